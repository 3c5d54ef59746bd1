/**
 * Test helpers that run a real Unbound or BIND `named` on 127.0.0.1 with a
 * given configuration, query it with `dig`, and stop it again.
 *
 * Everything is loopback-only, unprivileged-friendly (no chroot, no user
 * switch, high ports, files in a fresh temp dir) and bounded in time. Always
 * call `stop()` in an `after`/`afterEach` hook; `stopAll()` stops whatever a
 * test file left running.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as dgram from "dgram";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { stopper } from "./process";

/** A running server. */
export interface RunningDnsServer {
    /** Always 127.0.0.1. */
    host: string;
    /** UDP and TCP port the server listens on. */
    port: number;
    /** Temp dir holding the config, pid file and zone files; removed by `stop()`. */
    dir: string;
    /** Full path of the main config file written for the server. */
    confPath: string;
    /** Everything the server wrote to stdout/stderr so far (for failure messages). */
    logs(): string;
    /** Kills the server (TERM, then KILL after 3 s) and removes `dir`. Idempotent. */
    stop(): Promise<void>;
}

/** One resource record parsed from dig output. */
export interface DigRecord {
    name: string;
    ttl: number;
    type: string;
    value: string;
}

/** A parsed dig response. */
export interface DigResult {
    /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED... or `TIMEOUT` when nothing answered. */
    status: string;
    /** Header flags, e.g. `["qr", "aa", "rd", "ra"]`. */
    flags: string[];
    answer: DigRecord[];
    authority: DigRecord[];
    /** Raw dig output, for failure messages. */
    raw: string;
}

const running = new Set<RunningDnsServer>();
const SBIN_PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin:/usr/local/sbin`;

/** True when `bin` is on PATH (including the sbin directories). */
export function haveTool(bin: string): boolean {
    const r = spawnSync("sh", ["-c", `command -v ${bin}`], {
        env: { ...process.env, PATH: SBIN_PATH },
    });
    return r.status === 0;
}

/** Runs a program with a time limit and returns its exit code and output; never throws on non-zero exit. */
export function run(
    bin: string,
    args: string[],
    timeoutMs = 15000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(bin, args, {
            env: { ...process.env, PATH: SBIN_PATH },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += String(d)));
        child.stderr.on("data", (d) => (stderr += String(d)));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.once("error", (e) => {
            clearTimeout(timer);
            resolve({ code: null, stdout, stderr: stderr + String(e) });
        });
        child.once("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}

/**
 * A port that is free for both UDP and TCP on 127.0.0.1 right now (the OS
 * picks it). A small race remains until the server binds it, so the start
 * functions retry with a new port when binding fails.
 */
export async function freePort(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
        const port = await new Promise<number>((resolve, reject) => {
            const s = dgram.createSocket("udp4");
            s.once("error", reject);
            s.bind(0, "127.0.0.1", () => {
                const p = s.address().port;
                s.close(() => resolve(p));
            });
        });
        const tcpFree = await new Promise<boolean>((resolve) => {
            const srv = net.createServer();
            srv.once("error", () => resolve(false));
            srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
        });
        if (tcpFree) return port;
    }
    throw new Error("freePort: no port free for both UDP and TCP after 20 attempts");
}

/**
 * Queries `name`/`type` at 127.0.0.1:`port` with dig (one try, 2 s timeout).
 * `recurse: false` sends RD=0.
 */
export async function dig(
    port: number,
    name: string,
    type = "A",
    opts: { recurse?: boolean; timeoutSec?: number; server?: string } = {},
): Promise<DigResult> {
    const args = [
        `@${opts.server ?? "127.0.0.1"}`,
        "-p",
        String(port),
        name,
        type,
        "+tries=1",
        `+time=${opts.timeoutSec ?? 2}`,
        opts.recurse === false ? "+norecurse" : "+recurse",
        "+nocookie",
    ];
    const r = await run("dig", args, ((opts.timeoutSec ?? 2) + 5) * 1000);
    return parseDig(r.stdout + r.stderr);
}

/** Parses dig's default output. */
export function parseDig(raw: string): DigResult {
    const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? "TIMEOUT";
    const flags = (/;; flags: ([a-z ]+)[;:]/.exec(raw)?.[1] ?? "")
        .trim()
        .split(/\s+/)
        .filter(Boolean);
    const section = (title: string): DigRecord[] => {
        const start = raw.indexOf(`;; ${title} SECTION:`);
        if (start < 0) return [];
        const lines = raw.slice(start).split("\n").slice(1);
        const out: DigRecord[] = [];
        for (const line of lines) {
            if (line.trim() === "" || line.startsWith(";")) break;
            const [name, ttl, , type, ...rest] = line.split(/\s+/);
            out.push({
                name: name.toLowerCase(),
                ttl: Number(ttl),
                type,
                value: rest.join(" ").toLowerCase(),
            });
        }
        return out;
    };
    return { status, flags, answer: section("ANSWER"), authority: section("AUTHORITY"), raw };
}

interface StartSpec {
    bin: string;
    /** Fixed address and port (inside a network namespace); 127.0.0.1 and a free port by default. */
    listen?: { host: string; port: number };
    args: (confPath: string) => string[];
    conf: (port: number, dir: string) => string;
    confName: string;
    files?: Record<string, string>;
    timeoutMs: number;
}

async function startServer(spec: StartSpec): Promise<RunningDnsServer> {
    let lastError: unknown;
    // A second or third attempt only happens when another process grabbed the port first.
    for (let attempt = 0; attempt < (spec.listen ? 1 : 3); attempt++) {
        const port = spec.listen?.port ?? (await freePort());
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${spec.bin}-test-`));
        for (const [rel, content] of Object.entries(spec.files ?? {})) {
            fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            fs.writeFileSync(path.join(dir, rel), content);
        }
        const confPath = path.join(dir, spec.confName);
        fs.writeFileSync(confPath, spec.conf(port, dir));
        fs.writeFileSync(path.join(dir, "port"), String(port));
        const child = spawn(spec.bin, spec.args(confPath), {
            cwd: dir,
            env: { ...process.env, PATH: SBIN_PATH },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const server = wrap(child, port, dir, confPath, spec.listen?.host);
        try {
            await waitReady(server, child, spec.timeoutMs);
            return server;
        } catch (e) {
            lastError = e;
            await server.stop();
        }
    }
    throw lastError;
}

function wrap(
    child: ChildProcess,
    port: number,
    dir: string,
    confPath: string,
    host = "127.0.0.1",
): RunningDnsServer {
    let output = "";
    child.stdout?.on("data", (d) => (output += String(d)));
    child.stderr?.on("data", (d) => (output += String(d)));
    const server: RunningDnsServer = {
        host,
        port,
        dir,
        confPath,
        logs: () => output,
        stop: stopper(child, dir, () => running.delete(server)),
    };
    running.add(server);
    return server;
}

async function waitReady(
    server: RunningDnsServer,
    child: ChildProcess,
    timeoutMs: number,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`server exited early (code ${child.exitCode}):\n${server.logs()}`);
        }
        // Any response at all (even REFUSED) proves the socket is up; the
        // probe name is under .invalid so it never leaves the server.
        const r = await dig(server.port, "readiness-probe.invalid", "A", {
            recurse: false,
            timeoutSec: 1,
            server: server.host,
        });
        if (r.status !== "TIMEOUT") return;
        await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`server not ready after ${timeoutMs} ms:\n${server.logs()}`);
}

/** Options for {@link startUnbound}. */
export interface UnboundOptions {
    /**
     * Config under test, starting with `server:` (e.g. the output of
     * `renderUnbound`). Appended after the harness's own `server:` block.
     */
    confSnippet: string;
    /** Extra `local-data` strings, e.g. `"vpce-x.api.ecr.r.vpce.amazonaws.com. 60 IN A 127.0.0.1"`. */
    extraLocalData?: string[];
    /**
     * Where every name not answered locally goes: a stand-in for the
     * internet's DNS on loopback. Without it, client queries for all other
     * names get REFUSED by a root `refuse` zone, and Unbound's own follow-up
     * lookups (CNAME targets) are sent to itself, so nothing leaves the machine.
     */
    upstream?: { host: string; port: number };
    /** Readiness deadline; default 10 s. */
    timeoutMs?: number;
    /** Fixed address and port, e.g. 127.0.0.53:53 inside a test's network namespace. */
    listen?: { host: string; port: number };
}

/** Starts a real Unbound on 127.0.0.1:<free port>, in the foreground, without chroot or user switch. */
export function startUnbound(opts: UnboundOptions): Promise<RunningDnsServer> {
    const host = opts.listen?.host ?? "127.0.0.1";
    return startServer({
        bin: "unbound",
        listen: opts.listen,
        confName: "unbound.conf",
        args: (conf) => ["-d", "-c", conf],
        timeoutMs: opts.timeoutMs ?? 10000,
        conf: (port, dir) =>
            [
                "server:",
                "    verbosity: 1",
                `    interface: ${host}@${port}`,
                `    port: ${port}`,
                "    do-ip6: no",
                '    username: ""',
                '    chroot: ""',
                `    directory: "${dir}"`,
                `    pidfile: "${dir}/unbound.pid"`,
                "    do-daemonize: no",
                "    use-syslog: no",
                '    logfile: ""',
                "    num-threads: 1",
                "    access-control: 127.0.0.0/8 allow",
                // Iterator only: no DNSSEC trust anchor to fetch, no validation of fake test zones.
                '    module-config: "iterator"',
                "    qname-minimisation: no",
                // The upstream (or Unbound itself, below) lives on loopback, which
                // Unbound refuses to query by default.
                "    do-not-query-localhost: no",
                // Without an upstream, client queries for names outside the
                // config under test are refused on the spot.
                ...(opts.upstream ? [] : ['    local-zone: "." refuse']),
                ...(opts.extraLocalData ?? []).map((d) => `    local-data: "${d}"`),
                "remote-control:",
                "    control-enable: no",
                "",
                opts.confSnippet.trim(),
                "",
                // Unbound resolves the target of a redirect zone's CNAME with a
                // fresh recursive lookup that bypasses local data. Without an
                // upstream, that lookup is sent back to this Unbound, where
                // `extraLocalData` answers it (and anything else is refused).
                "forward-zone:",
                '    name: "."',
                opts.upstream
                    ? `    forward-addr: ${opts.upstream.host}@${opts.upstream.port}`
                    : `    forward-addr: ${host}@${port}`,
                "",
            ].join("\n"),
    });
}

/** Options for {@link startNamed}. */
export interface NamedOptions {
    /** named.conf statements under test (zone statements...), appended after the harness's `options`. */
    confSnippet: string;
    /** Files written into the server's dir before start, by relative path (zone files). */
    files?: Record<string, string>;
    /** Recursion on (true) or off; default false, so names outside the zones get REFUSED. */
    recursion?: boolean;
    /** Global forwarders (`forward only`), e.g. a stand-in upstream on loopback. */
    forwarders?: { host: string; port: number }[];
    /** Statements under test that belong inside `options { }` (e.g. `response-policy`). */
    optionsSnippet?: string;
    /** Readiness deadline; default 15 s. */
    timeoutMs?: number;
}

/**
 * Starts a real BIND `named` on 127.0.0.1:<free port> in the foreground (`-g`).
 * The snippet's relative `file` paths resolve against the server's dir,
 * which is the `directory` option.
 */
export function startNamed(opts: NamedOptions): Promise<RunningDnsServer> {
    const recursion = opts.recursion ?? false;
    return startServer({
        bin: "named",
        confName: "named.conf",
        args: (conf) => ["-g", "-4", "-n", "1", "-c", conf],
        files: opts.files,
        timeoutMs: opts.timeoutMs ?? 15000,
        conf: (port, dir) =>
            [
                "options {",
                `    directory "${dir}";`,
                `    pid-file "${dir}/named.pid";`,
                `    session-keyfile "${dir}/session.key";`,
                `    managed-keys-directory "${dir}";`,
                `    listen-on port ${port} { 127.0.0.1; };`,
                "    listen-on-v6 { none; };",
                `    recursion ${recursion ? "yes" : "no"};`,
                "    allow-query { 127.0.0.0/8; };",
                `    allow-recursion { ${recursion ? "127.0.0.0/8" : "none"}; };`,
                "    dnssec-validation no;",
                "    notify no;",
                ...(opts.forwarders?.length
                    ? [
                          "    forward only;",
                          `    forwarders { ${opts.forwarders.map((f) => `${f.host} port ${f.port};`).join(" ")} };`,
                      ]
                    : []),
                ...(opts.optionsSnippet ? [opts.optionsSnippet.trim()] : []),
                "};",
                // No rndc channel: nothing to authenticate, nothing else listening.
                "controls { };",
                "",
                opts.confSnippet.trim(),
                "",
            ].join("\n"),
    });
}

/** Options for {@link startDnsmasq}. */
export interface DnsmasqOptions {
    /** Config under test (e.g. `dnsmasq/ecr.conf` with real `server=` lines), loaded with --conf-file. */
    confSnippet: string;
    /** Where every other name goes (dnsmasq's default upstream); nothing else is read (no resolv.conf, no hosts). */
    upstream: { host: string; port: number };
    /** Readiness deadline; default 10 s. */
    timeoutMs?: number;
}

/** Starts a real dnsmasq on 127.0.0.1:<free port> in the foreground, DNS only (no DHCP). */
export function startDnsmasq(opts: DnsmasqOptions): Promise<RunningDnsServer> {
    return startServer({
        bin: "dnsmasq",
        confName: "ecr.conf",
        files: {},
        timeoutMs: opts.timeoutMs ?? 10000,
        conf: () => opts.confSnippet,
        args: (conf) => {
            const dir = path.dirname(conf);
            const port = Number(fs.readFileSync(path.join(dir, "port"), "utf8"));
            return [
                "--keep-in-foreground",
                "--log-facility=-",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--bind-interfaces",
                "--listen-address=127.0.0.1",
                `--port=${port}`,
                `--pid-file=${dir}/dnsmasq.pid`,
                `--server=${opts.upstream.host}#${opts.upstream.port}`,
                `--conf-file=${conf}`,
                "--cache-size=0",
            ];
        },
    });
}

/** Stops every server this module started and that is still running. */
export async function stopAll(): Promise<void> {
    await Promise.all([...running].map((s) => s.stop()));
}

/** Writes `files` into a fresh temp dir and returns its path (caller removes it). */
export function tempDirWith(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dns-test-"));
    for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
}
