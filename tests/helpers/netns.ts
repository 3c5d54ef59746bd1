/**
 * Runs a test scenario inside a network namespace of its own (`ip netns`,
 * root only), so servers can sit on real ports (443, 53) and on addresses
 * that stand for public ones (203.0.113.x, a documentation range) without
 * anything leaving the machine: the namespace has only its loopback.
 *
 * `ip netns exec` bind-mounts `/etc/netns/<name>/hosts` and `resolv.conf`
 * over the real ones for the processes inside, which is how a scenario gives
 * clients (skopeo, the doctor, HAProxy, nginx) a hosts file and a name server.
 *
 * A scenario is a TypeScript file run with the project's loader; it reads its
 * input from the NETNS_SCENARIO_INPUT environment variable and prints one
 * JSON line starting with `RESULT ` on stdout. Every process it leaves behind
 * is killed by id when the namespace is removed.
 */
import { spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Ca, makeCa, removePki } from "./pki";

const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => fs.existsSync(p));

/** Why network namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
    if (typeof process.getuid === "function" && process.getuid() !== 0)
        return "network namespaces need root (ip netns add)";
    if (!IP) return "the ip command (iproute2) is not installed";
    const name = `ecrpa-probe-${randomBytes(3).toString("hex")}`;
    const add = spawnSync(IP, ["netns", "add", name], { timeout: 10000 });
    if (add.status !== 0) return `ip netns add failed: ${String(add.stderr).trim()}`;
    spawnSync(IP, ["netns", "delete", name], { timeout: 10000 });
    return undefined;
}

export interface NetnsScenario {
    /** Scenario file, relative to the repository root. */
    script: string;
    /** JSON-serialisable input for the scenario. */
    input: unknown;
    /** Addresses (besides 127.0.0.0/8) put on the namespace's loopback, e.g. 203.0.113.10. */
    addresses?: string[];
    /** Content of the namespace's /etc/hosts. */
    hosts?: string;
    /** Content of the namespace's /etc/resolv.conf. @default "nameserver 127.0.0.53\n" */
    resolvConf?: string;
    /** Hard limit for the whole scenario. @default 90000 */
    timeoutMs?: number;
}

function ip(args: string[]): void {
    const r = spawnSync(IP as string, args, { timeout: 10000 });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${String(r.stderr).trim()}`);
}

/** Runs the scenario in a fresh namespace and returns what it printed after `RESULT `. */
export async function runInNetns<T>(s: NetnsScenario): Promise<T> {
    const name = `ecrpa-${randomBytes(4).toString("hex")}`;
    const etc = path.join("/etc/netns", name);
    ip(["netns", "add", name]);
    try {
        ip(["-n", name, "link", "set", "lo", "up"]);
        for (const a of s.addresses ?? []) ip(["-n", name, "addr", "add", `${a}/32`, "dev", "lo"]);
        fs.mkdirSync(etc, { recursive: true });
        fs.writeFileSync(path.join(etc, "hosts"), s.hosts ?? "127.0.0.1 localhost\n");
        fs.writeFileSync(path.join(etc, "resolv.conf"), s.resolvConf ?? "nameserver 127.0.0.53\n");
        const root = path.resolve(__dirname, "..", "..");
        const { code, stdout, stderr } = await new Promise<{
            code: number | null;
            stdout: string;
            stderr: string;
        }>((resolve) => {
            const child = spawn(
                IP as string,
                ["netns", "exec", name, process.execPath, "-r", "./tools/register.js", s.script],
                {
                    cwd: root,
                    env: { ...process.env, NETNS_SCENARIO_INPUT: JSON.stringify(s.input) },
                    stdio: ["ignore", "pipe", "pipe"],
                },
            );
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += String(d)));
            child.stderr.on("data", (d) => {
                if (stderr.length < 200000) stderr += String(d);
            });
            const timer = setTimeout(() => child.kill("SIGKILL"), s.timeoutMs ?? 90000);
            child.once("close", (c) => {
                clearTimeout(timer);
                resolve({ code: c, stdout, stderr });
            });
        });
        const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
        if (code !== 0 || !line) {
            throw new Error(`scenario ${s.script} exited ${code}:\n${stdout}\n${stderr}`);
        }
        return JSON.parse(line.slice("RESULT ".length)) as T;
    } finally {
        // Whatever the scenario left running in the namespace (it stops its
        // servers itself; this is for a scenario killed at the time limit).
        const pids = spawnSync(IP as string, ["netns", "pids", name], { timeout: 10000 });
        for (const pid of String(pids.stdout).split(/\s+/).filter(Boolean)) {
            try {
                process.kill(Number(pid), "SIGKILL");
            } catch {
                // already gone
            }
        }
        spawnSync(IP as string, ["netns", "delete", name], { timeout: 10000 });
        fs.rmSync(etc, { recursive: true, force: true });
    }
}

/** For scenario files: their input. */
export function scenarioInput<T>(): T {
    return JSON.parse(process.env.NETNS_SCENARIO_INPUT ?? "null") as T;
}

/** For scenario files: prints the result line the runner reads. */
export function scenarioResult(result: unknown): void {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** What a scenario's body gets: a work directory, a test CA, and where to put its servers' stop functions. */
export interface ScenarioContext {
    work: string;
    ca: Ca;
    stops: (() => Promise<void>)[];
}

/**
 * For scenario files: runs `body` with a fresh work directory (`<prefix>...`
 * under the temporary directory) and CA, prints what it returns as the
 * result line, then stops its servers (last started first) and removes the
 * CA and the directory, whatever happened. A failure is written to stderr
 * with exit code 1, which the runner reports.
 */
export function runScenario(
    prefix: string,
    body: (ctx: ScenarioContext) => Promise<unknown>,
): void {
    const main = async () => {
        const stops: (() => Promise<void>)[] = [];
        const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
        const ca = makeCa();
        try {
            scenarioResult(await body({ work, ca, stops }));
        } finally {
            for (const stop of stops.reverse()) await stop().catch(() => undefined);
            removePki(ca.dir);
            fs.rmSync(work, { recursive: true, force: true });
        }
    };
    main().catch((e) => {
        process.stderr.write(`${(e as Error).stack ?? e}\n`);
        process.exitCode = 1;
    });
}
