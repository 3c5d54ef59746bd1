/**
 * Test helpers that check and run the generated SNI proxy configurations
 * with the real HAProxy and nginx (Debian packages): `haproxy -c`, `nginx -t`,
 * and a foreground server in a temp dir, stopped by `stop()` (TERM, then KILL).
 * Meant to run inside a test's network namespace (tests/helpers/netns.ts),
 * where the proxies may listen on 443 and resolve the endpoint names through
 * the namespace's own name server.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "./dnsServers";
import { stopper } from "./process";
import { waitForTcp } from "./registryServer";

/** Debian's dynamic stream module (libnginx-mod-stream). */
export const NGINX_STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

export interface RunningProxy {
    logs(): string;
    stop(): Promise<void>;
}

/**
 * A minimal nginx.conf around the generated stream block, the way a proxy
 * host includes it: module, events, the file at the top level.
 */
export function nginxMainConf(dir: string, streamFile: string): string {
    return [
        `load_module ${NGINX_STREAM_MODULE};`,
        "worker_processes 1;",
        `pid ${dir}/nginx.pid;`,
        "error_log stderr info;",
        "events { worker_connections 64; }",
        `include ${streamFile};`,
        "",
    ].join("\n");
}

function tempWith(prefix: string, files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const [rel, content] of Object.entries(files))
        fs.writeFileSync(path.join(dir, rel), content);
    return dir;
}

/** `haproxy -c -f <file>` on the configuration text; returns the exit code and output. */
export async function haproxyCheck(cfg: string): Promise<{ code: number | null; output: string }> {
    const dir = tempWith("haproxy-check-", { "haproxy.cfg": cfg });
    try {
        const r = await run("haproxy", ["-c", "-f", path.join(dir, "haproxy.cfg")]);
        return { code: r.code, output: r.stdout + r.stderr };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** `nginx -t` on a main configuration that includes the stream block. */
export async function nginxCheck(stream: string): Promise<{ code: number | null; output: string }> {
    const dir = tempWith("nginx-check-", { "ecr-sni-stream.conf": stream });
    fs.writeFileSync(
        path.join(dir, "nginx.conf"),
        nginxMainConf(dir, path.join(dir, "ecr-sni-stream.conf")),
    );
    try {
        const r = await run("nginx", ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf")]);
        return { code: r.code, output: r.stdout + r.stderr };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function startProxy(
    bin: string,
    args: (dir: string) => string[],
    files: Record<string, string>,
    listen: { host: string; port: number },
): Promise<RunningProxy> {
    const dir = tempWith(`${bin}-test-`, files);
    const child = spawn(bin, args(dir), { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => {
        if (output.length < 200000) output += d.toString();
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const proxy = { logs: () => output, stop: stopper(child, dir) };
    try {
        await waitForTcp(listen.host, listen.port, child, 10000, proxy.logs);
    } catch (e) {
        await proxy.stop();
        throw e;
    }
    return proxy;
}

/** Runs HAProxy in the foreground (`-db`) with the configuration text. */
export function startHaproxy(
    cfg: string,
    listen: { host: string; port: number },
): Promise<RunningProxy> {
    return startProxy(
        "haproxy",
        (dir) => ["-db", "-f", path.join(dir, "haproxy.cfg")],
        { "haproxy.cfg": cfg },
        listen,
    );
}

/** Runs nginx in the foreground with the stream block included from a minimal main configuration. */
export function startNginx(
    stream: string,
    listen: { host: string; port: number },
): Promise<RunningProxy> {
    return startProxy(
        "nginx",
        (dir) => {
            fs.writeFileSync(
                path.join(dir, "nginx.conf"),
                nginxMainConf(dir, path.join(dir, "ecr-sni-stream.conf")),
            );
            return ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"];
        },
        { "ecr-sni-stream.conf": stream },
        listen,
    );
}

/**
 * Runs nginx in the foreground as an HTTP(S) reverse proxy: `server` is one `server { ... }`
 * block (or several). Temporary files and logs stay in the server's own directory, so it runs
 * without root and leaves nothing behind.
 */
export function startNginxHttp(
    server: string,
    listen: { host: string; port: number },
): Promise<RunningProxy> {
    return startProxy(
        "nginx",
        (dir) => {
            const temp = (name: string) => `${name}_temp_path ${dir}/${name};`;
            fs.writeFileSync(
                path.join(dir, "nginx.conf"),
                [
                    "worker_processes 1;",
                    `pid ${dir}/nginx.pid;`,
                    "error_log stderr info;",
                    "events { worker_connections 64; }",
                    "http {",
                    "    access_log off;",
                    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
                        (n) => `    ${temp(n)}`,
                    ),
                    `    include ${dir}/server.conf;`,
                    "}",
                    "",
                ].join("\n"),
            );
            return ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"];
        },
        { "server.conf": server },
        listen,
    );
}
