/**
 * `npm run onprem-dns -- --outputs <file|-> [--out <dir>] [--layout exact|seed]`:
 * renders the data centre hand-off (`onprem-dns/`, `onprem-proxy/`) from a
 * deployed stack's outputs, i.e. the JSON `pulumi stack output --json` prints,
 * with the real endpoint names instead of the offline plan's example values.
 * Exit 0 written, 2 bad arguments or outputs (naming the flag), 3 a bug.
 */
import * as fs from "fs";
import * as path from "path";
import { DnsLayout } from "../src/dns/records";
import { renderHandOff } from "./artefacts";

export const USAGE = `usage: npm run onprem-dns -- --outputs <file|-> [--out <dir>] [--layout exact|seed]

  --outputs <file|->   JSON of \`pulumi stack output --json\` (- reads stdin)
  --out <dir>          where onprem-dns/ and onprem-proxy/ are written (default out/deployed)
  --layout exact|seed  the stack's dns.layout, for outputs of stacks deployed before
                       onPremDns carried it (default: onPremDns.layout, else exact)

  pulumi stack output --stack <stack> --json | npm run onprem-dns -- --outputs - --out out/<stack>-deployed
`;

export class UsageError extends Error {}

export interface CliIo {
    stdin?: NodeJS.ReadableStream;
    stdout?: (text: string) => void;
    stderr?: (text: string) => void;
    /** Working directory for relative paths. */
    cwd?: string;
}

function parseArgs(argv: string[]): { outputs: string; out: string; layout?: DnsLayout } {
    const values: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const m = /^--(outputs|out|layout)(?:=(.*))?$/s.exec(argv[i]);
        if (!m) {
            throw new UsageError(
                argv[i].startsWith("--")
                    ? `unknown option ${argv[i].split("=")[0]}`
                    : `unexpected argument "${argv[i]}"`,
            );
        }
        const value = m[2] ?? argv[++i];
        if (value === undefined || (m[2] === undefined && value.startsWith("--") && value !== "-"))
            throw new UsageError(`--${m[1]} needs a value`);
        if (m[1] in values) throw new UsageError(`--${m[1]} given twice`);
        values[m[1]] = value;
    }
    if (values.outputs === undefined) throw new UsageError("--outputs is required");
    if (values.layout !== undefined && values.layout !== "exact" && values.layout !== "seed")
        throw new UsageError(`--layout must be exact or seed, got "${values.layout}"`);
    return {
        outputs: values.outputs,
        out: values.out ?? path.join("out", "deployed"),
        layout: values.layout as DnsLayout | undefined,
    };
}

function readAll(stream: NodeJS.ReadableStream, limit = 64 * 1024 * 1024): Promise<string> {
    return new Promise((resolve, reject) => {
        let data = "";
        stream.setEncoding("utf8");
        stream.on("data", (d: string) => {
            data += d;
            if (data.length > limit)
                reject(new UsageError("--outputs: stdin is larger than 64 MiB"));
        });
        stream.once("end", () => resolve(data));
        stream.once("error", reject);
    });
}

/** The CLI without process.exit: returns the exit code. */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
    const out = io.stdout ?? ((s: string) => void process.stdout.write(s));
    const err = io.stderr ?? ((s: string) => void process.stderr.write(s));
    const cwd = io.cwd ?? process.cwd();
    try {
        if (argv.includes("--help")) {
            out(USAGE);
            return 0;
        }
        const args = parseArgs(argv);
        let text: string;
        if (args.outputs === "-") {
            text = await readAll(io.stdin ?? process.stdin);
        } else {
            try {
                text = fs.readFileSync(path.resolve(cwd, args.outputs), "utf8");
            } catch (e) {
                throw new UsageError(
                    `--outputs: cannot read "${args.outputs}": ${(e as NodeJS.ErrnoException).code ?? e}`,
                );
            }
        }
        const outputs = parseOutputs(text, args.layout, err);
        const dir = path.resolve(cwd, args.out);
        for (const sub of ["onprem-dns", "onprem-proxy"])
            fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
        let files: { path: string; content: string }[];
        try {
            files = renderHandOff(outputs, { kind: "deployed" });
        } catch (e) {
            // The renderers name what is wrong with the records (a zonal name, another region...).
            throw new UsageError(`--outputs: onPremDns: ${(e as Error).message}`);
        }
        for (const f of files) {
            const file = path.join(dir, f.path);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, f.content);
        }
        out(
            `onprem-dns: wrote ${files.length} files under ${path.relative(cwd, dir) || "."} (onprem-dns/, onprem-proxy/)\n`,
        );
        return 0;
    } catch (e) {
        if (e instanceof UsageError) {
            err(`onprem-dns: ${e.message}\n\n${USAGE}`);
            return 2;
        }
        throw e;
    }
}

/** Checks the outputs' shape; every problem is a usage error naming --outputs. */
export function parseOutputs(
    text: string,
    layout: DnsLayout | undefined,
    warn: (s: string) => void = () => undefined,
): Record<string, unknown> {
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch (e) {
        throw new UsageError(
            `--outputs: not JSON (${(e as Error).message}); give the output of \`pulumi stack output --json\``,
        );
    }
    if (!outputs || typeof outputs !== "object" || Array.isArray(outputs))
        throw new UsageError(
            "--outputs: expected the JSON object `pulumi stack output --json` prints",
        );
    const o = outputs as Record<string, unknown>;
    const onPrem = o.onPremDns as Record<string, unknown> | undefined;
    if (onPrem === undefined) {
        throw new UsageError(
            "--outputs: no onPremDns output: the stack has no ecr-private-access:dns block (or these are another program's outputs)",
        );
    }
    if (!onPrem || typeof onPrem !== "object" || typeof onPrem.region !== "string")
        throw new UsageError("--outputs: onPremDns.region is missing");
    if (onPrem.records !== undefined && !Array.isArray(onPrem.records))
        throw new UsageError("--outputs: onPremDns.records must be a list of records");
    if (onPrem.resolverIps !== undefined && !Array.isArray(onPrem.resolverIps))
        throw new UsageError("--outputs: onPremDns.resolverIps must be a list of addresses");
    if (onPrem.records === undefined && onPrem.resolverIps === undefined)
        throw new UsageError("--outputs: onPremDns has neither records nor resolverIps");
    const fromOutputs = onPrem.layout as string | undefined;
    if (fromOutputs !== undefined && fromOutputs !== "exact" && fromOutputs !== "seed")
        throw new UsageError(
            `--outputs: onPremDns.layout must be exact or seed, got ${JSON.stringify(fromOutputs)}`,
        );
    if (layout === undefined && fromOutputs === undefined) {
        warn(
            "onprem-dns: onPremDns has no layout (a stack deployed before it was exported); using exact, pass --layout seed if the stack uses dns.layout: seed\n",
        );
    }
    return { ...o, onPremDns: { ...onPrem, layout: layout ?? fromOutputs ?? "exact" } };
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`onprem-dns: internal error: ${(e as Error).stack ?? e}\n`);
            process.exitCode = 3;
        },
    );
}
