/**
 * Runs an ECS container definition from a plan on this machine, the way
 * Fargate would start it: the entry point and command as written, the
 * `environment` as written, and each `secrets` entry resolved from the
 * secret values the test supplies (by ARN, with ECS's `<arn>:<json key>::`
 * form). Loopback only, bounded in time; `stop()` is idempotent.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stopper } from "./process";
import { waitForTcp } from "./registryServer";

export interface EcsContainer {
    name: string;
    image: string;
    entryPoint?: string[];
    command?: string[];
    environment?: { name: string; value: string }[];
    secrets?: { name: string; valueFrom: string }[];
}

/**
 * The value ECS injects for a `secrets` entry: the whole SecretString, or
 * one key of it when valueFrom is `<secret arn>:<json key>:<stage>:<version>`
 * (stage and version empty here: the current version).
 */
export function resolveSecret(valueFrom: string, secrets: Record<string, string>): string {
    const arn = Object.keys(secrets)
        .filter((a) => valueFrom === a || valueFrom.startsWith(`${a}:`))
        .sort((a, b) => b.length - a.length)[0];
    if (arn === undefined) throw new Error(`no secret value supplied for ${valueFrom}`);
    if (valueFrom === arn) return secrets[arn];
    const [jsonKey, stage, version] = valueFrom.slice(arn.length + 1).split(":");
    if (stage || version)
        throw new Error(`${valueFrom}: only the current version is supported here`);
    const doc = JSON.parse(secrets[arn]) as Record<string, unknown>;
    const value = doc[jsonKey];
    if (typeof value !== "string") throw new Error(`${arn} has no string key ${jsonKey}`);
    return value;
}

/** The container's environment as ECS builds it: `environment`, then the resolved `secrets`. */
export function containerEnvironment(
    container: EcsContainer,
    secrets: Record<string, string>,
): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of container.environment ?? []) env[e.name] = e.value;
    for (const s of container.secrets ?? []) {
        if (s.name in env)
            throw new Error(`${s.name} is both an environment variable and a secret`);
        env[s.name] = resolveSecret(s.valueFrom, secrets);
    }
    return env;
}

export interface RunningContainer {
    port: number;
    dir: string;
    logs(): string;
    exited(): boolean;
    stop(): Promise<void>;
}

export interface StartOptions {
    container: EcsContainer;
    /** The environment to run with (usually containerEnvironment's, with the test's substitutions). */
    env: Record<string, string>;
    /** Programs the image provides, by the name the command uses, mapped to this machine's binaries. */
    programs: Record<string, string>;
    /** TCP port to wait for on 127.0.0.1. */
    port: number;
    timeoutMs?: number;
}

/**
 * Starts `entryPoint + command` with `env`, PATH pointing at the `programs`
 * shims first and TMPDIR in a fresh directory, and waits for the port.
 */
export async function startContainer(opts: StartOptions): Promise<RunningContainer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ecs-${opts.container.name}-`));
    const bin = path.join(dir, "bin");
    const tmp = path.join(dir, "tmp");
    fs.mkdirSync(bin);
    fs.mkdirSync(tmp);
    for (const [name, target] of Object.entries(opts.programs)) {
        fs.symlinkSync(target, path.join(bin, name));
    }
    const argv = [...(opts.container.entryPoint ?? []), ...(opts.container.command ?? [])];
    if (argv.length === 0)
        throw new Error(`container ${opts.container.name} has no entry point or command`);
    const child = spawn(argv[0], argv.slice(1), {
        cwd: dir,
        env: { ...opts.env, PATH: `${bin}:/usr/bin:/bin`, HOME: dir, TMPDIR: tmp },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (d: Buffer) => {
        if (output.length < 200000) output += d.toString();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const running: RunningContainer = {
        port: opts.port,
        dir,
        logs: () => output,
        exited: () => child.exitCode !== null || child.signalCode !== null,
        stop: stopper(child, dir),
    };
    try {
        await waitForTcp("127.0.0.1", opts.port, child, opts.timeoutMs ?? 15000, () => output);
    } catch (e) {
        await running.stop();
        throw e;
    }
    return running;
}
