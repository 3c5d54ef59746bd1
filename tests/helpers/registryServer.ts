/**
 * Test helpers that run a real Distribution registry (`docker-registry`, 2.8)
 * on 127.0.0.1 with TLS and either htpasswd or token auth, plus the two
 * small HTTPS servers such a setup talks to: a token endpoint that signs
 * JWTs the registry accepts, and a "storage" server standing in for S3 that
 * serves blobs the registry redirects to. All loopback-only, bounded in
 * time; call `stop()` in an `after` hook (it is idempotent).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { freePort } from "./dnsServers";
import { stopper as processStopper } from "./process";

export interface RunningRegistry {
    host: string;
    port: number;
    /** Filesystem storage root (blobs under docker/registry/v2/blobs). */
    rootDir: string;
    logs(): string;
    stop(): Promise<void>;
}

export type RegistryAuth =
    | { none: true }
    | { htpasswd: { users: Record<string, string> } }
    | { token: { realm: string; service: string; issuer: string; rootCertBundleFile: string } };

export interface RegistryOptions {
    certFile: string;
    keyFile: string;
    auth: RegistryAuth;
    /** Storage root to reuse (e.g. to serve images pushed to another instance); a fresh one otherwise. */
    rootDir?: string;
    /** When set, blob GETs answer with a redirect to this base URL (storage middleware `redirect`), like ECR to S3. */
    redirectBaseUrl?: string;
    /** Readiness deadline; default 15 s. */
    timeoutMs?: number;
    /** Address and port to listen on (inside a test's network namespace); 127.0.0.1 and a free port by default. */
    listen?: { host: string; port: number };
    /**
     * Pull-through cache mode (`proxy` in Distribution's configuration): pulls of a name the
     * registry does not hold are fetched from `remoteurl` and kept. Distribution 2.8 sends
     * `username`/`password` only to a Bearer realm the remote names (registry/proxy/proxyauth.go).
     */
    proxy?: { remoteurl: string; username?: string; password?: string };
    /**
     * Extra environment, e.g. `SSL_CERT_FILE` so that the registry (Go) trusts a test CA when it
     * talks to a proxy remote over TLS.
     */
    env?: Record<string, string>;
}

/** htpasswd lines (bcrypt, which the registry requires) made with the `htpasswd` CLI. */
export function htpasswdLines(users: Record<string, string>): string {
    return Object.entries(users)
        .map(([u, p]) =>
            execFileSync("htpasswd", ["-nbB", "-C", "4", u, p], { timeout: 10000 })
                .toString()
                .trim(),
        )
        .join("\n");
}

/** Starts `docker-registry serve` on 127.0.0.1:<free port> and waits until it accepts TLS connections. */
export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-test-"));
    const rootDir = opts.rootDir ?? path.join(dir, "storage");
    fs.mkdirSync(rootDir, { recursive: true });
    let auth: Record<string, unknown> | undefined;
    if ("none" in opts.auth) {
        auth = undefined;
    } else if ("htpasswd" in opts.auth) {
        const file = path.join(dir, "htpasswd");
        fs.writeFileSync(file, `${htpasswdLines(opts.auth.htpasswd.users)}\n`);
        auth = { htpasswd: { realm: "test-registry", path: file } };
    } else {
        const t = opts.auth.token;
        auth = {
            token: {
                realm: t.realm,
                service: t.service,
                issuer: t.issuer,
                rootcertbundle: t.rootCertBundleFile,
            },
        };
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
        const port = opts.listen?.port ?? (await freePort());
        const config = {
            version: 0.1,
            log: { level: "info", accesslog: { disabled: true } },
            storage: { filesystem: { rootdirectory: rootDir }, delete: { enabled: true } },
            http: {
                addr: `${opts.listen?.host ?? "127.0.0.1"}:${port}`,
                secret: randomBytes(16).toString("hex"),
                tls: { certificate: opts.certFile, key: opts.keyFile },
            },
            ...(auth ? { auth } : {}),
            ...(opts.proxy ? { proxy: opts.proxy } : {}),
            ...(opts.redirectBaseUrl
                ? {
                      middleware: {
                          storage: [
                              { name: "redirect", options: { baseurl: opts.redirectBaseUrl } },
                          ],
                      },
                  }
                : {}),
        };
        // YAML is a superset of JSON.
        const confFile = path.join(dir, "config.yml");
        fs.writeFileSync(confFile, JSON.stringify(config, null, 2));
        const child = spawn("docker-registry", ["serve", confFile], {
            cwd: dir,
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...opts.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const server = wrapChild(child, port, rootDir, dir, opts.listen?.host);
        try {
            await waitForTcp(
                opts.listen?.host ?? "127.0.0.1",
                port,
                child,
                opts.timeoutMs ?? 15000,
                server.logs,
            );
            return server;
        } catch (e) {
            lastError = e;
            await server.stop();
            // A fixed port will not get free by retrying; and stop() removed `dir`.
            break;
        }
    }
    throw lastError;
}

/** `dir` (config, htpasswd and, unless the caller gave one, the storage root) is removed on stop. */
function wrapChild(
    child: ChildProcess,
    port: number,
    rootDir: string,
    dir: string,
    host = "127.0.0.1",
): RunningRegistry {
    let output = "";
    const keep = (d: Buffer) => {
        if (output.length < 200000) output += d.toString();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    return {
        host,
        port,
        rootDir,
        logs: () => output,
        stop: processStopper(child, dir),
    };
}

export async function waitForTcp(
    host: string,
    port: number,
    child: ChildProcess,
    timeoutMs: number,
    logs: () => string,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`${child.spawnfile} exited early (code ${child.exitCode}):\n${logs()}`);
        }
        const up = await new Promise<boolean>((resolve) => {
            const s = net.connect({ host, port });
            const timer = setTimeout(() => {
                s.destroy();
                resolve(false);
            }, 500);
            s.once("connect", () => {
                clearTimeout(timer);
                s.destroy();
                resolve(true);
            });
            s.once("error", () => {
                clearTimeout(timer);
                resolve(false);
            });
        });
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${child.spawnfile} not listening after ${timeoutMs} ms:\n${logs()}`);
}

export interface RunningHttps {
    port: number;
    /** Requests seen, as `METHOD path` (query stripped). */
    requests: string[];
    stop(): Promise<void>;
}

async function listenHttps(
    server: https.Server,
    listen?: { host: string; port: number },
): Promise<number> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
        const port = listen?.port ?? (await freePort());
        try {
            await new Promise<void>((resolve, reject) => {
                server.once("error", reject);
                server.listen(port, listen?.host ?? "127.0.0.1", () => {
                    server.removeListener("error", reject);
                    resolve();
                });
            });
            return port;
        } catch (e) {
            lastError = e;
        }
    }
    throw lastError;
}

function httpsStopper(server: https.Server): () => Promise<void> {
    let stopped: Promise<void> | undefined;
    return () => {
        stopped ??= new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        });
        return stopped;
    };
}

function b64url(data: Buffer | string): string {
    return Buffer.from(data).toString("base64url");
}

/**
 * The libtrust key ID of a public key, the form docker-registry 2.8 matches a
 * JWT `kid` header against: SHA-256 of the DER SubjectPublicKeyInfo, first
 * 240 bits, base32 without padding, in 12 colon-separated groups of 4.
 * (The token server below sends `x5c` instead, which the registry prefers;
 * this is kept for tests of the kid path.)
 */
export function libtrustKeyId(certPem: string): string {
    const der = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
    const bytes = createHash("sha256").update(der).digest().subarray(0, 30);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = "";
    for (const b of bytes) bits += b.toString(2).padStart(8, "0");
    let out = "";
    for (let i = 0; i + 5 <= bits.length; i += 5)
        out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
    return out.match(/.{4}/g)!.join(":");
}

export interface TokenServerOptions {
    certFile: string;
    keyFile: string;
    issuer: string;
    service: string;
    /** Users who may get tokens with access; anonymous callers get a token with no access. */
    users: Record<string, string>;
    /** EC P-256 certificate and key that sign tokens; the cert must be in the registry's rootcertbundle. */
    signing: { certPem: string; keyPem: string };
    /** Header used to name the signing key: `x5c` (default) or a libtrust `kid`. */
    keyHeader?: "x5c" | "kid";
    /**
     * The repository name a token grants for a requested one (default: the same). A proxy in
     * front of the registry that rewrites names (ECR's cache prefix) needs its grants rewritten
     * the same way.
     */
    grantName?: (requested: string) => string;
}

/**
 * A minimal Docker token endpoint (GET /token?service=&scope=): Basic
 * credentials of a known user get the requested pull/push access, no
 * credentials get an anonymous token without access, wrong ones get 401.
 */
export async function startTokenServer(opts: TokenServerOptions): Promise<RunningHttps> {
    const requests: string[] = [];
    const key = createPrivateKey(opts.signing.keyPem);
    const certDer = new X509Certificate(opts.signing.certPem).raw.toString("base64");
    const server = https.createServer(
        { cert: fs.readFileSync(opts.certFile), key: fs.readFileSync(opts.keyFile) },
        (req, res) => {
            const url = new URL(req.url ?? "/", "https://token.invalid");
            requests.push(`${req.method} ${url.pathname}`);
            const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
                res.writeHead(status, { "Content-Type": "application/json", ...headers });
                res.end(JSON.stringify(body));
            };
            if (url.pathname !== "/token") return send(404, { error: "not found" });
            if (url.searchParams.get("service") !== opts.service)
                return send(400, { error: "unknown service" });
            let subject = "";
            const authz = req.headers.authorization;
            if (authz) {
                const m = /^Basic (.+)$/.exec(authz);
                const decoded = m ? Buffer.from(m[1], "base64").toString() : "";
                const i = decoded.indexOf(":");
                const [user, pass] = [decoded.slice(0, i), decoded.slice(i + 1)];
                if (i < 0 || opts.users[user] === undefined || opts.users[user] !== pass) {
                    return send(
                        401,
                        { errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] },
                        {
                            "WWW-Authenticate": 'Basic realm="token"',
                        },
                    );
                }
                subject = user;
            }
            const access = subject
                ? url.searchParams.getAll("scope").flatMap((s) => {
                      const [type, ...rest] = s.split(":");
                      const actions = rest.pop() ?? "";
                      const name = rest.join(":");
                      return [
                          {
                              type,
                              name: opts.grantName ? opts.grantName(name) : name,
                              actions: actions
                                  .split(",")
                                  .filter((a) => a === "pull" || a === "push"),
                          },
                      ];
                  })
                : [];
            const now = Math.floor(Date.now() / 1000);
            const header =
                opts.keyHeader === "kid"
                    ? { typ: "JWT", alg: "ES256", kid: libtrustKeyId(opts.signing.certPem) }
                    : { typ: "JWT", alg: "ES256", x5c: [certDer] };
            const claims = {
                iss: opts.issuer,
                sub: subject,
                aud: opts.service,
                exp: now + 300,
                nbf: now - 10,
                iat: now,
                jti: randomBytes(8).toString("hex"),
                access,
            };
            const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
            // JWS ES256 wants the raw r||s signature, not DER.
            const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
            const token = `${input}.${b64url(sig)}`;
            send(200, {
                token,
                access_token: token,
                expires_in: 300,
                issued_at: new Date(now * 1000).toISOString(),
            });
        },
    );
    const port = await listenHttps(server);
    return { port, requests, stop: httpsStopper(server) };
}

/**
 * An HTTPS stand-in for the registry's object storage (S3 for ECR): serves
 * GET/HEAD of files under `rootDir` by URL path, which is what the registry's
 * `redirect` storage middleware points clients at.
 */
export async function startStorageServer(opts: {
    certFile: string;
    keyFile: string;
    rootDir: string;
    listen?: { host: string; port: number };
}): Promise<RunningHttps> {
    const requests: string[] = [];
    const root = path.resolve(opts.rootDir);
    const server = https.createServer(
        { cert: fs.readFileSync(opts.certFile), key: fs.readFileSync(opts.keyFile) },
        (req, res) => {
            const url = new URL(req.url ?? "/", "https://storage.invalid");
            requests.push(`${req.method} ${url.pathname}`);
            const file = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
            if (req.headers.authorization) {
                // Like S3 with a presigned URL: a second credential is an error.
                res.writeHead(400, { "Content-Type": "text/plain" });
                return void res.end("Only one auth mechanism allowed");
            }
            if (
                !file.startsWith(`${root}${path.sep}`) ||
                !fs.existsSync(file) ||
                !fs.statSync(file).isFile()
            ) {
                res.writeHead(404, { "Content-Type": "text/plain" });
                return void res.end("NoSuchKey");
            }
            const size = fs.statSync(file).size;
            res.writeHead(200, {
                "Content-Type": "application/octet-stream",
                "Content-Length": String(size),
            });
            if (req.method === "HEAD") return void res.end();
            fs.createReadStream(file).pipe(res);
        },
    );
    const port = await listenHttps(server, opts.listen);
    return { port, requests, stop: httpsStopper(server) };
}

/**
 * Writes a one-layer OCI image layout (`oci-layout`, `index.json`, blobs) to
 * `dir` with a tiny gzip'd tar layer, tagged `tag`, for `skopeo copy oci:dir:tag`.
 * Returns the manifest's and the layer's digests.
 */
export function writeOciLayout(
    dir: string,
    tag: string,
): { manifestDigest: string; layerDigest: string } {
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    const put = (data: Buffer): { digest: string; size: number } => {
        const hex = createHash("sha256").update(data).digest("hex");
        fs.writeFileSync(path.join(blobs, hex), data);
        return { digest: `sha256:${hex}`, size: data.length };
    };
    const content = path.join(dir, "layer-src");
    fs.mkdirSync(content, { recursive: true });
    fs.writeFileSync(path.join(content, "hello.txt"), "hello from the doctor test\n");
    const tarFile = path.join(dir, "layer.tar.gz");
    execFileSync(
        "tar",
        ["-czf", tarFile, "--owner=0", "--group=0", "--mtime=@0", "-C", content, "hello.txt"],
        {
            timeout: 10000,
        },
    );
    const layerGz = fs.readFileSync(tarFile);
    const layerTar = execFileSync("gzip", ["-dc", tarFile], { timeout: 10000 });
    fs.rmSync(tarFile);
    fs.rmSync(content, { recursive: true });
    const layer = put(layerGz);
    const diffId = `sha256:${createHash("sha256").update(layerTar).digest("hex")}`;
    const config = put(
        Buffer.from(
            JSON.stringify({
                architecture: "amd64",
                os: "linux",
                config: {},
                rootfs: { type: "layers", diff_ids: [diffId] },
            }),
        ),
    );
    const manifest = put(
        Buffer.from(
            JSON.stringify({
                schemaVersion: 2,
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
                layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
            }),
        ),
    );
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(
        path.join(dir, "index.json"),
        JSON.stringify({
            schemaVersion: 2,
            manifests: [
                {
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    ...manifest,
                    annotations: { "org.opencontainers.image.ref.name": tag },
                },
            ],
        }),
    );
    return { manifestDigest: manifest.digest, layerDigest: layer.digest };
}
