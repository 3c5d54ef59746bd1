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

/** A fresh temp dir holding a self-signed CA (`ca.crt`, `ca.key`), valid 2 days. */
export function makeCa(commonName = "ecr-private-access test CA"): Ca {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-pki-"));
    openssl(
        [
            "req",
            "-x509",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            `/CN=${commonName}`,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
    );
    const certFile = path.join(dir, "ca.crt");
    return {
        dir,
        certFile,
        keyFile: path.join(dir, "ca.key"),
        certPem: fs.readFileSync(certFile, "utf8"),
    };
}

let serial = 0;

/**
 * A leaf certificate signed by `ca` for `names` (DNS names or IP addresses,
 * all put in subjectAltName; the first is also the CN). `usage: "server"`
 * gives serverAuth, `"signing"` a plain digital-signature key.
 */
export function makeLeaf(ca: Ca, names: string[], usage: "server" | "signing" = "server"): Leaf {
    const base = `leaf-${process.pid}-${++serial}`;
    const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
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
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
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
    const certFile = path.join(ca.dir, `${base}.crt`);
    const keyFile = path.join(ca.dir, `${base}.key`);
    return {
        certFile,
        keyFile,
        certPem: fs.readFileSync(certFile, "utf8"),
        keyPem: fs.readFileSync(keyFile, "utf8"),
    };
}

/** A self-signed certificate (its own CA) for `names`, for token signing or "untrusted" cases. */
export function makeSelfSigned(names: string[]): Leaf & { dir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-self-"));
    const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    openssl(
        [
            "req",
            "-x509",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            "self.key",
            "-out",
            "self.crt",
            "-days",
            "2",
            "-subj",
            `/CN=${names[0]}`,
            ...(san ? ["-addext", `subjectAltName=${san}`] : []),
        ],
        dir,
    );
    const certFile = path.join(dir, "self.crt");
    const keyFile = path.join(dir, "self.key");
    return {
        dir,
        certFile,
        keyFile,
        certPem: fs.readFileSync(certFile, "utf8"),
        keyPem: fs.readFileSync(keyFile, "utf8"),
    };
}

/** Removes a PKI dir made here. */
export function removePki(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
}
