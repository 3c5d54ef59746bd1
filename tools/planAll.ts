import * as os from "os";
import * as path from "path";
import type { RegistrySetting } from "../src/ecr/registryWide";
import type { Plan } from "../src/report/plan";
import { didYouMean } from "../src/validation/suggest";
import { PolicyAnalyzer } from "./analyzer";
import { displayPath, runCli, UserError } from "./cli";
import { hasMandatory } from "./policy";

/**
 * `npm start`: plans every Pulumi.<stack>.yaml in the repository in one
 * process, producers first, feeding each stack's outputs to the stacks that
 * reference it (so the StackReference path runs for real), and prints one
 * table. A broken stack file is reported by name and the others are still
 * planned; the run then exits 2.
 *
 * One policy analyzer serves every stack: it is started first, so that it
 * boots while the first program loads, and it judges each stack while the
 * next one's program runs. With many stack files and more than two cores the
 * programs run in worker processes too (`--jobs`); a stack waits only for the
 * stacks it references. Stacks are judged and written in file order, so the output is
 * the same whatever the number of workers.
 *
 * `npm start -- --dir <dir> --out <dir>` plans the stack files of another
 * directory (with this repository's program) and writes elsewhere;
 * `--preview` judges every stack as a first preview.
 */

const USAGE =
    "usage: npm start [-- --dir <directory of stack files>] [--out <dir>] [--preview] [--jobs <n>]";

interface Args {
    dir: string;
    outDir: string;
    preview: boolean;
    /** Worker processes for the programs; 0 runs them in this process. @default by stack count */
    jobs?: number;
}

/**
 * Below this many stack files the programs run in this process: a worker
 * process costs the SDK's load time again (about 0.5 s of CPU), which only
 * pays off when there are enough stacks to share.
 */
export const WORKERS_FROM = 8;

/**
 * Worker processes for `count` stack files: from WORKERS_FROM files on, one
 * per core beyond two. This process and the policy pack's each keep a core
 * busy already (the pack judges while the programs run, the analyzer client
 * and the access matrices run on worker threads): measured with 50 stack
 * files on 2 cores, the run uses 1.65 cores in one process (8.8 s of CPU in
 * 5.4 s) and is 6% slower with 1 worker process, 8% with 2 (`npm run bench --
 * --only stacks`); more worker processes pay off only where there are more cores.
 */
export function defaultJobs(count: number, cores = os.cpus().length): number {
    return count >= WORKERS_FROM && cores > 2 ? Math.min(cores - 2, count) : 0;
}

const ROOT = path.resolve(__dirname, "..");

function parseArgs(argv: string[]): Args {
    const args: Args = { dir: ROOT, outDir: path.join(ROOT, "out"), preview: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--"))
                throw new UserError(`${a} needs a value; ${USAGE}`);
            return path.resolve(v);
        };
        if (a === "--dir") args.dir = value();
        else if (a === "--out" || a === "--out-dir") args.outDir = value();
        else if (a === "--preview") args.preview = true;
        else if (a === "--jobs") {
            const v = argv[++i];
            if (v === undefined || !/^\d+$/.test(v) || Number(v) > 64)
                throw new UserError(
                    `--jobs takes a whole number of worker processes from 0 to 64; ${USAGE}`,
                );
            args.jobs = Number(v);
        } else
            throw new UserError(
                `unknown argument ${a}${didYouMean(a, ["--dir", "--out", "--preview", "--jobs"])}\n${USAGE}`,
            );
    }
    return args;
}

export async function main(argv: string[] = []): Promise<number> {
    const args = parseArgs(argv);
    const analyzer = PolicyAnalyzer.start();
    try {
        return await planAll(args, analyzer);
    } finally {
        await analyzer.close();
    }
}

async function planAll(args: Args, analyzer: PolicyAnalyzer): Promise<number> {
    // Loaded once the pack's process is on its way (they take YAML, zod and the rest).
    const { judgePlan, loadStackFile, policyConfigOf, stackFiles } =
        require("./plan") as typeof import("./plan");
    const { AccessMatrices, writeArtefacts, countByType } =
        require("./artefacts") as typeof import("./artefacts");
    const { registryConflicts, registrySettings } =
        require("../src/ecr/registryWide") as typeof import("../src/ecr/registryWide");
    const { referencedStacks } = require("../src/config") as typeof import("../src/config");
    const { ProgramPool } = require("./planPool") as typeof import("./planPool");

    /** Bare names of the stacks a stack file references; none when it cannot be read. */
    const refsOf = (file: string): string[] => {
        try {
            return referencedStacks(loadStackFile(file).config).map((r) => r.split("/").pop()!);
        } catch {
            return [];
        }
    };

    let files: string[];
    try {
        files = stackFiles(args.dir, ROOT);
    } catch (e) {
        throw new UserError(
            `${displayPath(args.dir)}: cannot list stack files (${(e as Error).message})`,
        );
    }
    if (files.length === 0) {
        throw new UserError(`${displayPath(args.dir)}: no Pulumi.<stack>.yaml stack files to plan`);
    }

    const outputs: Record<string, Record<string, unknown>> = {};
    const access = new AccessMatrices();
    const rows: string[][] = [];
    const failed = new Set<string>();
    const problems: string[] = [];
    const owners: { stackFile: string; settings: RegistrySetting[] }[] = [];
    const pictures: Promise<void>[] = [];
    let exit = 0;
    const refuse = (i: number, stack: string, e: unknown) => {
        if (!(e instanceof UserError)) throw e;
        problems[i] = e.message;
        rows[i] = [stack, "-", "-", "-", "-", "invalid config", "-"];
        failed.add(stack);
        exit = 2;
    };
    const finish = (i: number, file: string, ms: number) => (plan: Plan) => {
        owners.push({ stackFile: file, settings: registrySettings(plan) });
        const dir = path.join(args.outDir, plan.stack);
        const { cost, svgWritten } = writeArtefacts(plan, dir, { deferSvg: true });
        if (svgWritten) pictures.push(svgWritten);
        const mandatory = plan.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        const failedPolicy = hasMandatory(plan.violations);
        if (failedPolicy) exit = Math.max(exit, 1);
        rows[i] = [
            plan.stack,
            String(plan.resources.length),
            countByType(plan)
                .filter(([type]) => type.startsWith("aws:"))
                .slice(0, 4)
                .map(([type, n]) => `${type.split(":").pop()} ${n}`)
                .join(", "),
            `$${cost.fixedMonthlyUsd.toFixed(2)}`,
            `${mandatory} mandatory, ${plan.violations.length - mandatory} advisory`,
            failedPolicy ? "FAIL" : "ok",
            `${Math.round(ms)} ms`,
        ];
    };

    const stacks = files.map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(f))![1]);
    const pool = new ProgramPool(args.jobs ?? defaultJobs(files.length));
    const programMs: number[] = [];
    const verdicts: Promise<Plan["violations"]>[] = [];
    // Each stack's program starts once the programs of the stacks it references (among these
    // files) have run: their outputs feed its StackReference. Undefined: it was not planned.
    const programs = new Map<string, Promise<Omit<Plan, "violations"> | undefined>>();
    try {
        for (const [i, file] of files.entries()) {
            const stack = stacks[i];
            const refs = refsOf(file).filter((r) => programs.has(r));
            programs.set(
                stack,
                (async () => {
                    const ran = await Promise.all(refs.map((r) => programs.get(r)!));
                    // A consumer of a broken stack is not planned: its producer's own row says why.
                    const broken = refs.filter((_, k) => ran[k] === undefined);
                    if (broken.length > 0) {
                        problems[i] =
                            `${displayPath(file)}: not planned: it reads ${broken.join(", ")} (ecr-private-access:nlp.vendorStack), whose stack file is invalid (see above)`;
                        rows[i] = [stack, "-", "-", "-", "-", `needs ${broken.join(", ")}`, "-"];
                        failed.add(stack);
                        exit = Math.max(exit, 2);
                        return undefined;
                    }
                    try {
                        const stackOutputs = Object.fromEntries(refs.map((r) => [r, outputs[r]]));
                        const { plan, ms } = await pool.run({ stackFile: file, stackOutputs });
                        outputs[plan.stack] = plan.outputs;
                        programMs[i] = ms;
                        // Its access matrix is computed now too (it needs no verdict); the
                        // stacks it reads have run before it.
                        access.write(
                            { ...plan, violations: [] },
                            path.join(args.outDir, plan.stack),
                            refs,
                        );
                        // The pack judges it now, while other programs run; the verdicts are
                        // collected in file order below.
                        verdicts[i] = (async () =>
                            judgePlan(plan, analyzer, args, policyConfigOf({ stackFile: file })))();
                        verdicts[i].catch(() => undefined);
                        return plan;
                    } catch (e) {
                        refuse(i, stack, e);
                        return undefined;
                    }
                })(),
            );
        }
        // Written in file order: a consumer's access matrix reads the plans written before it,
        // and the table does not depend on which program or verdict was ready first.
        for (const [i, file] of files.entries()) {
            const plan = await programs.get(stacks[i])!;
            if (!plan) continue;
            try {
                const violations = await verdicts[i];
                finish(i, file, programMs[i])({ ...plan, violations });
            } catch (e) {
                refuse(i, stacks[i], e);
            }
        }
    } finally {
        pool.close();
    }
    await Promise.all(pictures);
    await access.done();
    // Two stacks that own the same registry-wide setting undo each other on every `pulumi up`.
    for (const c of registryConflicts(owners)) {
        problems.push(
            `${c.stackFiles.map(displayPath).join(" and ")} both own the ${c.setting.label} of registry ${c.setting.account}/${c.setting.region} (${c.setting.configKey}): there is one per registry, so each \`pulumi up\` replaces the other's; declare it in one of these stacks only`,
        );
        exit = 2;
    }
    for (const p of problems.filter(Boolean)) process.stderr.write(`${p}\n\n`);
    process.stdout.write(
        `${table(["stack", "resources", "largest types", "est. $/month", "violations", "result", "time"], rows.filter(Boolean))}\n`,
    );
    if (failed.size > 0) {
        process.stdout.write(
            `${failed.size} of ${files.length} stack files invalid (${[...failed].join(", ")}): see the messages above; exit 2\n`,
        );
    }
    process.stdout.write(`artefacts: ${displayPath(args.outDir)}/<stack>/\n`);
    return exit;
}

function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

if (require.main === module) {
    void runCli("npm start", () => main(process.argv.slice(2)));
}
