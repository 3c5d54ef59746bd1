import * as path from "path";
import { PolicyAnalyzer } from "./analyzer";
import { hasMandatory } from "./policy";
import type { StartedPlan } from "./plan";

/**
 * `npm start`: plans every Pulumi.<stack>.yaml in the repository in one
 * process, producers first, feeding each stack's outputs to the stacks that
 * reference it (so the StackReference path runs for real), and prints one table. One policy
 * analyzer serves every stack; it is started first so that it boots while the first program
 * loads, and it judges each stack while the next one's program runs.
 */
export async function main(argv: string[] = []): Promise<number> {
    const analyzer = PolicyAnalyzer.start();
    try {
        return await planAll(analyzer, argv.includes("--preview"));
    } finally {
        await analyzer.close();
    }
}

async function planAll(analyzer: PolicyAnalyzer, preview: boolean): Promise<number> {
    // Loaded once the pack's process is on its way (they take YAML, zod and the rest).
    const { finishPlan, PlanConfigError, ROOT, stackFiles, startPlan } =
        require("./plan") as typeof import("./plan");
    const { writeArtefacts, countByType } = require("./artefacts") as typeof import("./artefacts");
    const outputs: Record<string, Record<string, unknown>> = {};
    const files = stackFiles();
    const rows: string[][] = [];
    const finishing: Promise<void>[] = [];
    let exit = 0;
    for (const [i, file] of files.entries()) {
        const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))![1];
        const started = process.hrtime.bigint();
        const invalid = (e: unknown) => {
            if (!(e instanceof PlanConfigError)) throw e;
            process.stderr.write(`${stack}: ${e.message}\n`);
            rows[i] = [stack, "-", "-", "-", "-", "invalid config", "-"];
            exit = 2;
        };
        let run: StartedPlan;
        try {
            run = await startPlan(
                { stackFile: file, stackOutputs: outputs, analyzer, preview },
                analyzer,
            );
        } catch (e) {
            invalid(e);
            continue;
        }
        outputs[run.plan.stack] = run.plan.outputs;
        // The pack judges this stack while the next stack's program runs.
        finishing.push(
            finishPlan(run).then((plan) => {
                const { cost } = writeArtefacts(plan, path.join(ROOT, "out", plan.stack));
                const mandatory = plan.violations.filter(
                    (v) => v.enforcementLevel === "mandatory",
                ).length;
                const failed = hasMandatory(plan.violations);
                if (failed) exit = Math.max(exit, 1);
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
                    failed ? "FAIL" : "ok",
                    `${Math.round(ms)} ms`,
                ];
            }, invalid),
        );
    }
    await Promise.all(finishing);
    process.stdout.write(
        `${table(["stack", "resources", "largest types", "est. $/month", "violations", "result", "time"], rows)}\n`,
    );
    process.stdout.write(
        `artefacts: ${path.relative(process.cwd(), path.join(ROOT, "out"))}/<stack>/\n`,
    );
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
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exit(3);
        },
    );
}
