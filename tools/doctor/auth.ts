import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Challenge {
    scheme: string;
    params: Record<string, string>;
}

/**
 * Parses the first challenge of a `WWW-Authenticate` header, e.g.
 * `Bearer realm="https://auth/token",service="registry",scope="..."`.
 */
export function parseWwwAuthenticate(header: string): Challenge | undefined {
    const m = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
    let rest = m[2];
    for (let i = 0; i < 32 && rest.length > 0; i++) {
        re.lastIndex = 0;
        const p = re.exec(rest);
        if (!p || p.index !== 0) break;
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
        rest = rest.slice(p[0].length);
    }
    return { scheme: m[1], params };
}

export interface Credentials {
    username: string;
    password: string;
    /** Where they came from, for the report (never the secret). */
    source: string;
}

export function defaultDockerConfigPath(): string {
    const dir = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker");
    return path.join(dir, "config.json");
}

/** `https://host:port/v1/` -> `host:port`; keys in `auths` come in several spellings. */
function normaliseAuthKey(key: string): string {
    return key
        .replace(/^[a-z]+:\/\//i, "")
        .replace(/\/.*$/, "")
        .toLowerCase();
}

interface DockerConfig {
    auths?: Record<
        string,
        { auth?: string; username?: string; password?: string; identitytoken?: string }
    >;
    credHelpers?: Record<string, string>;
    credsStore?: string;
}

/**
 * Finds credentials for `host:port` in a Docker config file: an `auths`
 * entry, or a credential helper (`credHelpers`, then `credsStore`) run with
 * a timeout. Returns undefined when the file or an entry is missing.
 */
export async function credentialsFromDockerConfig(
    file: string,
    host: string,
    port: number,
    timeoutMs: number,
): Promise<Credentials | undefined> {
    let cfg: DockerConfig;
    try {
        cfg = JSON.parse(fs.readFileSync(file, "utf8")) as DockerConfig;
    } catch {
        return undefined;
    }
    const wanted = port === 443 ? [`${host}:443`, host] : [`${host}:${port}`];
    const key = (k: string): boolean => wanted.includes(normaliseAuthKey(k));
    const helper =
        Object.entries(cfg.credHelpers ?? {}).find(([k]) => key(k))?.[1] ?? cfg.credsStore;
    if (helper) {
        const server = port === 443 ? host : `${host}:${port}`;
        const fromHelper = await runCredentialHelper(helper, server, timeoutMs);
        if (fromHelper) return { ...fromHelper, source: `${file} (docker-credential-${helper})` };
    }
    for (const [k, v] of Object.entries(cfg.auths ?? {})) {
        if (!key(k)) continue;
        if (v.auth) {
            const decoded = Buffer.from(v.auth, "base64").toString("utf8");
            const i = decoded.indexOf(":");
            if (i > 0) {
                return {
                    username: decoded.slice(0, i),
                    password: decoded.slice(i + 1),
                    source: `${file} auths["${k}"]`,
                };
            }
        }
        if (v.username && v.password) {
            return { username: v.username, password: v.password, source: `${file} auths["${k}"]` };
        }
    }
    return undefined;
}

function runCredentialHelper(
    helper: string,
    server: string,
    timeoutMs: number,
): Promise<{ username: string; password: string } | undefined> {
    if (!/^[A-Za-z0-9._-]+$/.test(helper)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
        let out = "";
        const child = spawn(`docker-credential-${helper}`, ["get"], {
            stdio: ["pipe", "pipe", "ignore"],
        });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", () => {
            clearTimeout(timer);
            resolve(undefined);
        });
        child.stdout.on("data", (d: Buffer) => {
            if (out.length < 65536) out += d.toString("utf8");
        });
        child.on("close", (status) => {
            clearTimeout(timer);
            try {
                const j = JSON.parse(out) as { Username?: string; Secret?: string };
                resolve(
                    status === 0 && j.Username && j.Secret
                        ? { username: j.Username, password: j.Secret }
                        : undefined,
                );
            } catch {
                resolve(undefined);
            }
        });
        child.stdin.end(server);
    });
}

export function basicHeader(c: { username: string; password: string }): string {
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}
