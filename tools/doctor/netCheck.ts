import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import { Outcome } from "./types";

/** Hosts in URLs and SNI are written without IPv6 brackets. */
export function bareHost(host: string): string {
    return host.replace(/^\[(.*)\]$/, "$1");
}

export function hostPort(host: string, port: number): string {
    return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Picks the address to connect to: IPv4 first, as most VPN/DX routes are IPv4. */
export function pickAddress(addresses: string[]): string | undefined {
    return addresses.find((a) => net.isIPv4(a)) ?? addresses[0];
}

export async function checkTcp(
    host: string,
    ip: string,
    port: number,
    timeoutMs: number,
    service = "registry",
): Promise<Outcome> {
    const started = Date.now();
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        const socket = net.connect({ host: ip, port });
        const timer = setTimeout(() => {
            socket.destroy();
            resolve(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }));
        }, timeoutMs);
        socket.once("connect", () => {
            clearTimeout(timer);
            socket.destroy();
            resolve(undefined);
        });
        socket.once("error", (e) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(e);
        });
    });
    const where = `${hostPort(ip, port)} (${host})`;
    if (!err) {
        return { status: "pass", summary: `connected to ${where} in ${Date.now() - started} ms` };
    }
    switch (err.code) {
        case "ECONNREFUSED":
            return {
                status: "fail",
                summary: `connection refused by ${where}`,
                hint: `nothing listens there: the ${service} is down or on another port, or the name points at the wrong address`,
            };
        case "ETIMEDOUT":
            return {
                status: "fail",
                summary: `no answer from ${where} within ${timeoutMs} ms`,
                hint:
                    service === "registry" || service === "layer bucket"
                        ? `packets are dropped: the endpoint security group must allow TCP ${port} from this network's CIDR, and the VPN/Direct Connect/peering routes must cover both directions`
                        : `packets to the ${service} are dropped: a firewall or missing route between this machine and ${host}`,
            };
        case "EHOSTUNREACH":
        case "ENETUNREACH":
            return {
                status: "fail",
                summary: `no route to ${where} (${err.code})`,
                hint: `this machine has no route to the ${service}'s address: add its network (the cloud VPC CIDR for ECR endpoints) to the VPN/Direct Connect routes`,
            };
        default:
            return {
                status: "fail",
                summary: `cannot connect to ${where}: ${err.code ?? err.message}`,
                hint: `check the address, the port and any firewall between this machine and the ${service}`,
            };
    }
}

function altNames(cert: tls.PeerCertificate): string {
    return cert.subjectaltname ?? "(no subjectAltName)";
}

const UNTRUSTED = new Set([
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_GET_ISSUER_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
]);

/**
 * TLS handshake to `ip` with SNI and name verification on `host` (a custom
 * resolver's answer is used for the socket, never for the identity check).
 */
export async function checkTls(
    host: string,
    ip: string,
    port: number,
    ca: string[] | undefined,
    timeoutMs: number,
    service = "registry",
): Promise<Outcome> {
    type Seen = {
        cert?: tls.PeerCertificate;
        protocol?: string | null;
        authError?: string;
        err?: NodeJS.ErrnoException;
    };
    const seen = await new Promise<Seen>((resolve) => {
        const socket = tls.connect({
            host: ip,
            port,
            servername: net.isIP(host) ? undefined : host,
            ca,
            rejectUnauthorized: false,
            ALPNProtocols: ["http/1.1"],
        });
        const timer = setTimeout(() => {
            socket.destroy();
            resolve({ err: Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }) });
        }, timeoutMs);
        socket.once("secureConnect", () => {
            clearTimeout(timer);
            const authError = socket.authorized ? undefined : String(socket.authorizationError);
            resolve({
                cert: socket.getPeerCertificate(),
                protocol: socket.getProtocol(),
                authError,
            });
            socket.destroy();
        });
        socket.once("error", (e) => {
            clearTimeout(timer);
            socket.destroy();
            resolve({ err: e });
        });
    });
    const where = hostPort(ip, port);
    if (seen.err || !seen.cert) {
        const e = seen.err;
        return {
            status: "fail",
            summary: `TLS handshake with ${where} (SNI ${host}) failed: ${e?.code ?? e?.message ?? "no certificate"}`,
            hint:
                e?.code === "ETIMEDOUT"
                    ? "the handshake did not finish: a middlebox or MTU problem on the VPN path, or the port is not TLS"
                    : `the ${service} did not complete a TLS handshake: the port may not be HTTPS, a proxy interferes, or an SNI proxy does not route this name`,
        };
    }
    const cert = seen.cert;
    const details = [
        `protocol: ${seen.protocol ?? "unknown"}`,
        `subject: CN=${cert.subject?.CN ?? ""}`,
        `names: ${altNames(cert)}`,
        `issuer: CN=${cert.issuer?.CN ?? ""}${cert.issuer?.O ? `, O=${cert.issuer.O}` : ""}`,
        `valid: ${cert.valid_from} .. ${cert.valid_to}`,
    ];
    // Node reports a name mismatch as an authorization error too; the identity check below explains it better.
    if (seen.authError && seen.authError !== "ERR_TLS_CERT_ALTNAME_INVALID") {
        const untrusted = UNTRUSTED.has(seen.authError);
        return {
            status: "fail",
            summary: untrusted
                ? `certificate for ${host} does not chain to a trusted CA (${seen.authError})`
                : `certificate for ${host} rejected: ${seen.authError}`,
            details,
            hint: untrusted
                ? `pass the ${service}'s private CA with --ca-file, or a TLS-intercepting proxy sits in the path (exempt the ${service} from inspection)`
                : seen.authError === "CERT_HAS_EXPIRED"
                  ? `the certificate has expired: renew it on the ${service} (or fix this machine's clock)`
                  : "the certificate is not acceptable: check its validity dates and chain on the server",
        };
    }
    const identityError = tls.checkServerIdentity(host, cert);
    if (identityError) {
        return {
            status: "fail",
            summary: `certificate names ${altNames(cert)}, not ${host}`,
            details,
            hint: `this address serves another host's certificate: DNS points the name at the wrong server (or a proxy that terminates TLS), or the certificate lacks the name; keep using the ${service}'s own name, never an IP or alias`,
        };
    }
    return {
        status: "pass",
        summary: `${seen.protocol ?? "TLS"}, certificate for ${host} issued by ${cert.issuer?.CN ?? "?"}, valid until ${cert.valid_to}`,
        details,
    };
}

export interface HttpAnswer {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
    /** True when the body was cut at `maxBytes`. */
    truncated: boolean;
}

export interface HttpOptions {
    method?: string;
    headers?: Record<string, string>;
    /** Connect to this address instead of resolving the URL's host; SNI and verification stay on the host. */
    ip?: string;
    ca?: string[];
    timeoutMs: number;
    maxBytes?: number;
}

/** One HTTP(S) request, no redirects followed, bounded in time and body size. */
export function request(url: URL, opts: HttpOptions): Promise<HttpAnswer> {
    const maxBytes = opts.maxBytes ?? 1024 * 1024;
    const mod = url.protocol === "http:" ? http : https;
    const hostname = bareHost(url.hostname);
    const ip = opts.ip;
    const lookup: net.LookupFunction | undefined = ip
        ? (_name, options, cb) => {
              const family = net.isIPv6(ip) ? 6 : 4;
              if ((options as { all?: boolean }).all) {
                  (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(
                      null,
                      [{ address: ip, family }],
                  );
              } else {
                  cb(null, ip, family);
              }
          }
        : undefined;
    return new Promise<HttpAnswer>((resolve, reject) => {
        const req = mod.request(
            {
                protocol: url.protocol,
                hostname,
                port: url.port || (url.protocol === "http:" ? 80 : 443),
                path: `${url.pathname}${url.search}`,
                method: opts.method ?? "GET",
                headers: { "User-Agent": "ecr-private-access-doctor", ...opts.headers },
                agent: false,
                lookup,
                ca: opts.ca,
                servername: net.isIP(hostname) ? undefined : hostname,
            },
            (res) => {
                const chunks: Buffer[] = [];
                let size = 0;
                let truncated = false;
                res.on("data", (chunk: Buffer) => {
                    if (truncated) return;
                    chunks.push(chunk);
                    size += chunk.length;
                    if (size >= maxBytes) {
                        truncated = true;
                        finish();
                        res.destroy();
                    }
                });
                res.on("end", finish);
                res.on("error", (e) => {
                    if (!truncated) fail(e);
                });
                let done = false;
                function finish(): void {
                    if (done) return;
                    done = true;
                    clearTimeout(timer);
                    const body = Buffer.concat(chunks);
                    resolve({
                        status: res.statusCode ?? 0,
                        headers: res.headers,
                        body: truncated ? body.subarray(0, maxBytes) : body,
                        truncated,
                    });
                }
            },
        );
        const timer = setTimeout(() => {
            req.destroy(
                Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), {
                    code: "ETIMEDOUT",
                }),
            );
        }, opts.timeoutMs);
        function fail(e: Error): void {
            clearTimeout(timer);
            reject(e);
        }
        req.on("error", fail);
        req.end();
    });
}
