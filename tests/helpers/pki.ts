/**
 * A throwaway PKI for tests, made with the openssl CLI in a temp dir: one CA
 * and any number of leaf certificates (server or token-signing) it signs.
 * EC P-256 keys keep generation fast; every command has a time limit.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface Ca {
    dir: string;
    certFile: string;
    keyFile: string;
    certPem: string;
}

export interface Leaf {
    certFile: string;
    keyFile: string;
    certPem: string;
    keyPem: string;
}

function openssl(args: string[], cwd: string): void {
    execFileSync("openssl", args, { cwd, timeout: 15000, stdio: ["ignore", "ignore", "pipe"] });
}

/** P-256 key generation arguments shared by every request. */
const NEW_EC_KEY = ["-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** Writes `<base>.key` and a self-signed `<base>.crt` (2 days) in `dir`. */
function selfSigned(dir: string, base: string, subject: string, addext: string[]): Leaf {
    const req = [
        "req",
        "-x509",
        "-new",
        ...NEW_EC_KEY,
        "-keyout",
        `${base}.key`,
        "-out",
        `${base}.crt`,
    ];
    openssl(
        [...req, "-days", "2", "-subj", subject, ...addext.flatMap((e) => ["-addext", e])],
        dir,
    );
    return readLeaf(path.join(dir, `${base}.crt`), path.join(dir, `${base}.key`));
}

function readLeaf(certFile: string, keyFile: string): Leaf {
    return {
        certFile,
        keyFile,
        certPem: fs.readFileSync(certFile, "utf8"),
        keyPem: fs.readFileSync(keyFile, "utf8"),
    };
}

const subjectAltName = (names: string[]) =>
    names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");

/** A fresh temp dir holding a self-signed CA (`ca.crt`, `ca.key`), valid 2 days. */
export function makeCa(commonName = "ecr-private-access test CA"): Ca {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-pki-"));
    const { certFile, keyFile, certPem } = selfSigned(dir, "ca", `/CN=${commonName}`, [
        "basicConstraints=critical,CA:TRUE",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    return { dir, certFile, keyFile, certPem };
}

let serial = 0;

/**
 * A leaf certificate signed by `ca` for `names` (DNS names or IP addresses,
 * all put in subjectAltName; the first is also the CN). `usage: "server"`
 * gives serverAuth, `"signing"` a plain digital-signature key.
 */
export function makeLeaf(ca: Ca, names: string[], usage: "server" | "signing" = "server"): Leaf {
    const base = `leaf-${process.pid}-${++serial}`;
    const san = subjectAltName(names);
    const ext = [
        "basicConstraints=critical,CA:FALSE",
        usage === "server"
            ? "keyUsage=critical,digitalSignature,keyEncipherment"
            : "keyUsage=critical,digitalSignature",
        ...(usage === "server" ? ["extendedKeyUsage=serverAuth"] : []),
        ...(san ? [`subjectAltName=${san}`] : []),
    ].join("\n");
    fs.writeFileSync(path.join(ca.dir, `${base}.ext`), `${ext}\n`);
    openssl(
        [
            "req",
            "-new",
            ...NEW_EC_KEY,
            "-keyout",
            `${base}.key`,
            "-out",
            `${base}.csr`,
            "-subj",
            `/CN=${names[0] ?? "leaf"}`,
        ],
        ca.dir,
    );
    openssl(
        [
            "x509",
            "-req",
            "-in",
            `${base}.csr`,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            String(Date.now() * 1000 + serial),
            "-days",
            "2",
            "-out",
            `${base}.crt`,
            "-extfile",
            `${base}.ext`,
        ],
        ca.dir,
    );
    return readLeaf(path.join(ca.dir, `${base}.crt`), path.join(ca.dir, `${base}.key`));
}

/** A self-signed certificate (its own CA) for `names`, for token signing or "untrusted" cases. */
export function makeSelfSigned(names: string[]): Leaf & { dir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-self-"));
    const san = subjectAltName(names);
    return {
        dir,
        ...selfSigned(dir, "self", `/CN=${names[0]}`, san ? [`subjectAltName=${san}`] : []),
    };
}

/** Removes a PKI dir made here. */
export function removePki(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
}
