/**
 * IDC connectivity doctor: `npm run doctor -- --registry <host>[:<port>]`.
 * Checks DNS, TCP, TLS, the registry's auth challenge, the token service,
 * credentials and (optionally) a manifest and blob pull from the machine it
 * runs on. Exit 0 all pass (warnings allowed), 1 a step failed, 2 bad arguments.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { normaliseDnsServer } from "./dnsCheck";
import { parseImage, runDoctor } from "./doctor";
import { formatJson, formatText } from "./format";
import { DoctorOptions, DoctorResult } from "./types";

export const DEFAULT_TIMEOUT_MS = 5000;

export const USAGE = `usage: npm run doctor -- --registry <host>[:<port>] [options]

  --registry <host>[:<port>]  registry to check (port 443 unless given)
  --dns-server <ip>[:<port>]  ask this DNS server instead of the system resolver
  --ca-file <pem>             extra trusted CA certificates (private CA)
  --timeout <ms>              limit for each network call (default ${DEFAULT_TIMEOUT_MS})
  --username <name>           user name; the password is read from stdin
  --docker-config <file>      Docker config with auths (default ~/.docker/config.json)
  --image <repo>:<tag>        also fetch this image's manifest and first blob, following
                              the redirect to the host that serves layers
  --pull-through-cache        --image is an ECR pull-through cache path (<prefix>/<upstream path>):
                              explain a miss (first pulls need an internet path: warm it up)
  --layer-host <host>[:<port>]  layer bucket host to check (default for ECR:
                              prod-<region>-starport-layer-bucket.s3.<region>.amazonaws.com)
  --allow-alias               accept ECR names resolving straight to private IPs
                              (inside the VPC, a Route 53 alias record, the SNI proxy)
  --allow-public              accept ECR names on public addresses (not the private path)
  --json                      print the result (and usage errors) as JSON
`;

export class UsageError extends Error {}

export interface CliArgs {
    options: DoctorOptions;
    json: boolean;
    caFile?: string;
    help: boolean;
}

const VALUE_FLAGS = new Set([
    "registry",
    "dns-server",
    "ca-file",
    "timeout",
    "username",
    "docker-config",
    "image",
    "layer-host",
]);
const BOOL_FLAGS = new Set(["json", "allow-alias", "allow-public", "pull-through-cache", "help"]);
const HOST_NAME =
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** `host`, `host:port`, `[v6]:port`, with an optional `https://` prefix and trailing `/`. */
export function parseRegistry(value: string, flag = "--registry"): { host: string; port: number } {
    const v = value.replace(/^https:\/\//i, "").replace(/\/+$/, "");
    let host: string;
    let port: string | undefined;
    const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(v);
    if (v6) {
        host = v6[1];
        port = v6[2];
        if (!net.isIPv6(host)) throw new UsageError(`${flag}: bad IPv6 address "${host}"`);
    } else {
        const parts = v.split(":");
        if (parts.length > 2)
            throw new UsageError(`${flag}: write IPv6 addresses as [addr]:port, got "${value}"`);
        [host, port] = parts;
        if (!net.isIPv4(host) && !HOST_NAME.test(host))
            throw new UsageError(`${flag}: "${host}" is not a host name`);
    }
    let portNumber = 443;
    if (port !== undefined) {
        if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
            throw new UsageError(`${flag}: port must be 1-65535, got "${port}"`);
        }
        portNumber = Number(port);
    }
    return { host: host.toLowerCase().replace(/\.$/, ""), port: portNumber };
}

export function parseArgs(argv: string[]): CliArgs {
    const values: Record<string, string> = {};
    const flags = new Set<string>();
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
        if (!m) throw new UsageError(`unexpected argument "${arg}"`);
        const [, name, inline] = m;
        if (BOOL_FLAGS.has(name)) {
            if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
            flags.add(name);
        } else if (VALUE_FLAGS.has(name)) {
            const value = inline ?? argv[++i];
            if (value === undefined || (inline === undefined && value.startsWith("--"))) {
                throw new UsageError(`--${name} needs a value`);
            }
            if (name in values) throw new UsageError(`--${name} given twice`);
            values[name] = value;
        } else {
            throw new UsageError(`unknown option --${name}`);
        }
    }
    if (flags.has("help")) {
        return {
            options: { host: "", port: 443, timeoutMs: DEFAULT_TIMEOUT_MS },
            json: false,
            help: true,
        };
    }
    if (!values.registry) throw new UsageError("--registry is required");
    const { host, port } = parseRegistry(values.registry);
    let timeoutMs = DEFAULT_TIMEOUT_MS;
    if (values.timeout !== undefined) {
        if (
            !/^\d+$/.test(values.timeout) ||
            Number(values.timeout) < 1 ||
            Number(values.timeout) > 600000
        ) {
            throw new UsageError(
                `--timeout must be milliseconds between 1 and 600000, got "${values.timeout}"`,
            );
        }
        timeoutMs = Number(values.timeout);
    }
    let dnsServer: string | undefined;
    if (values["dns-server"] !== undefined) {
        dnsServer = normaliseDnsServer(values["dns-server"]);
        if (!dnsServer)
            throw new UsageError(
                `--dns-server must be <ip>[:<port>], got "${values["dns-server"]}"`,
            );
    }
    if (values.image !== undefined && !parseImage(values.image)) {
        throw new UsageError(
            `--image must be <repo>:<tag> or <repo>@<digest>, got "${values.image}"`,
        );
    }
    if (flags.has("pull-through-cache") && values.image === undefined) {
        throw new UsageError("--pull-through-cache needs --image <prefix>/<upstream path>:<tag>");
    }
    if (values.username !== undefined && values.username.length === 0)
        throw new UsageError("--username is empty");
    const layer =
        values["layer-host"] !== undefined
            ? parseRegistry(values["layer-host"], "--layer-host")
            : undefined;
    return {
        options: {
            host,
            port,
            timeoutMs,
            dnsServer,
            username: values.username,
            dockerConfigPath: values["docker-config"],
            image: values.image,
            pullThroughCache: flags.has("pull-through-cache"),
            allowAlias: flags.has("allow-alias"),
            allowPublic: flags.has("allow-public"),
            layerHost: layer?.host,
            layerPort: layer?.port,
        },
        json: flags.has("json"),
        caFile: values["ca-file"],
        help: false,
    };
}

/** Reads the password: stdin up to the first newline or end, bounded in size and time. */
export function readPassword(stdin: NodeJS.ReadableStream, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
        let buf = "";
        const timer = setTimeout(
            () => done(new UsageError(`no password on stdin within ${timeoutMs} ms`)),
            timeoutMs,
        );
        const onData = (d: Buffer | string): void => {
            buf += d.toString();
            const nl = buf.indexOf("\n");
            if (nl >= 0) {
                buf = buf.slice(0, nl);
                done();
            } else if (buf.length > 65536) done(new UsageError("password on stdin is too long"));
        };
        const onEnd = (): void => done();
        function done(err?: Error): void {
            clearTimeout(timer);
            stdin.removeListener("data", onData);
            stdin.removeListener("end", onEnd);
            stdin.removeListener("error", onErr);
            stdin.pause();
            if (err) reject(err);
            else resolve(buf.replace(/\r$/, ""));
        }
        const onErr = (e: Error): void => done(e);
        stdin.on("data", onData);
        stdin.once("end", onEnd);
        stdin.once("error", onErr);
        stdin.resume();
    });
}

/** The flag a usage error is about (`--timeout`), or null for a stray argument. */
function flagOf(message: string): string | null {
    return /^(?:unknown option )?(--[a-z-]+)/.exec(message)?.[1] ?? null;
}

export interface CliIo {
    stdin?: NodeJS.ReadableStream;
    stdout?: (text: string) => void;
    stderr?: (text: string) => void;
}

/** The CLI without process.exit: returns the exit code (0 pass, 1 a step failed, 2 bad arguments). */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
    const out = io.stdout ?? ((s: string) => void process.stdout.write(s));
    const err = io.stderr ?? ((s: string) => void process.stderr.write(s));
    let args: CliArgs;
    try {
        args = parseArgs(argv);
        if (args.help) {
            out(USAGE);
            return 0;
        }
        if (args.caFile !== undefined) {
            try {
                args.options.caPem = fs.readFileSync(args.caFile, "utf8");
            } catch (e) {
                throw new UsageError(
                    `--ca-file: cannot read "${args.caFile}": ${(e as NodeJS.ErrnoException).code ?? e}`,
                );
            }
            if (!args.options.caPem.includes("-----BEGIN CERTIFICATE-----")) {
                throw new UsageError(`--ca-file: "${args.caFile}" holds no PEM certificate`);
            }
        }
        if (
            args.options.dockerConfigPath !== undefined &&
            !fs.existsSync(args.options.dockerConfigPath)
        ) {
            throw new UsageError(
                `--docker-config: "${args.options.dockerConfigPath}" does not exist`,
            );
        }
        if (args.options.username !== undefined) {
            const stdin = io.stdin ?? process.stdin;
            const isTty = (stdin as { isTTY?: boolean }).isTTY === true;
            if (isTty) err(`password for ${args.options.username}: `);
            args.options.password = await readPassword(
                stdin,
                isTty ? 120000 : Math.max(args.options.timeoutMs, 10000),
            );
        }
    } catch (e) {
        if (e instanceof UsageError) {
            // --json callers parse stdout: a usage error is JSON there too.
            if (argv.includes("--json")) {
                out(
                    `${JSON.stringify({ ok: false, exitCode: 2, error: { kind: "usage", flag: flagOf(e.message), message: e.message } }, null, 2)}\n`,
                );
            } else {
                err(`doctor: ${e.message}\n\n${USAGE}`);
            }
            return 2;
        }
        throw e;
    }
    const result: DoctorResult = await runDoctor(args.options);
    out(args.json ? formatJson(result) : formatText(result));
    return result.exitCode;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`doctor: ${(e as Error).stack ?? e}\n`);
            process.exitCode = 1;
        },
    );
}
