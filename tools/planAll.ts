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
 * next one's program runs.
 *
 * `npm start -- --dir <dir> --out <dir>` plans the stack files of another
 * directory (with this repository's program) and writes elsewhere;
 * `--preview` judges every stack as a first preview.
 */

const USAGE = "usage: npm start [-- --dir <directory of stack files>] [--out <dir>] [--preview]";

interface Args {
    dir: string;
    outDir: string;
    preview: boolean;
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
        else
            throw new UserError(
                `unknown argument ${a}${didYouMean(a, ["--dir", "--out", "--preview"])}\n${USAGE}`,
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
    const { finishPlan, loadStackFile, stackFiles, startPlan } =
        require("./plan") as typeof import("./plan");
    const { AccessMatrices, writeArtefacts, countByType } =
        require("./artefacts") as typeof import("./artefacts");
    const { registryConflicts, registrySettings } =
        require("../src/ecr/registryWide") as typeof import("../src/ecr/registryWide");
    const { referencedStacks } = require("../src/config") as typeof import("../src/config");

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
    let exit = 0;
    const refuse = (i: number, stack: string, e: unknown) => {
        if (!(e instanceof UserError)) throw e;
        problems.push(e.message);
        rows[i] = [stack, "-", "-", "-", "-", "invalid config", "-"];
        failed.add(stack);
        exit = 2;
    };
    const finish = (i: number, file: string, started: bigint) => (plan: Plan) => {
        owners.push({ stackFile: file, settings: registrySettings(plan) });
        const { cost } = writeArtefacts(plan, path.join(args.outDir, plan.stack));
        access.write(plan, path.join(args.outDir, plan.stack));
        const mandatory = plan.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        const failedPolicy = hasMandatory(plan.violations);
        if (failedPolicy) exit = Math.max(exit, 1);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
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

    // Verdicts are finished in file order (the access matrix of a consumer reads the plans
    // written before it), each while the next stack's program runs.
    let finished: Promise<void> = Promise.resolve();
    for (const [i, file] of files.entries()) {
        const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))![1];
        // A consumer of a broken stack is not planned: its producer's own row says why.
        const broken = refsOf(file).filter((r) => failed.has(r));
        if (broken.length > 0) {
            problems.push(
                `${displayPath(file)}: not planned: it reads ${broken.join(", ")} (ecr-private-access:nlp.vendorStack), whose stack file is invalid (see above)`,
            );
            rows[i] = [stack, "-", "-", "-", "-", `needs ${broken.join(", ")}`, "-"];
            failed.add(stack);
            exit = Math.max(exit, 2);
            continue;
        }
        const started = process.hrtime.bigint();
        let run: Awaited<ReturnType<typeof startPlan>>;
        try {
            run = await startPlan(
                { stackFile: file, stackOutputs: outputs, preview: args.preview },
                analyzer,
            );
        } catch (e) {
            refuse(i, stack, e);
            continue;
        }
        outputs[run.plan.stack] = run.plan.outputs;
        const done = finishPlan(run);
        done.catch(() => undefined); // handled in the chain below, in file order
        finished = finished.then(() =>
            done.then(finish(i, file, started), (e: unknown) => refuse(i, stack, e)),
        );
    }
    await finished;
    await access.done();
    // Two stacks that own the same registry-wide setting undo each other on every `pulumi up`.
    for (const c of registryConflicts(owners)) {
        problems.push(
            `${c.stackFiles.map(displayPath).join(" and ")} both own the ${c.setting.label} of registry ${c.setting.account}/${c.setting.region} (${c.setting.configKey}): there is one per registry, so each \`pulumi up\` replaces the other's; declare it in one of these stacks only`,
        );
        exit = 2;
    }
    for (const p of problems) process.stderr.write(`${p}\n\n`);
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
