import * as fs from "fs";
import * as path from "path";
import type { ConfigIssue } from "../src/config";
import type { Plan, Violation } from "../src/report/plan";
import { didYouMean } from "../src/validation/suggest";
import { PolicyAnalyzer, PolicyConfig } from "./analyzer";
import { displayPath, runCli, UserError } from "./cli";
import { hasMandatory, readPolicyConfig } from "./policy";
import { loadStackFile as loadFile, StackFile, stackNameOf } from "./stackFile";
import { writeAccessMatrix, writeArtefacts, summary } from "./artefacts";

/**
 * The offline plan: runs the real program for one stack under Pulumi's mock
 * runtime, has the policy pack's own analyzer judge it, and writes
 * `out/<stack>/plan.json` plus the artefacts built from it. No Pulumi CLI,
 * cloud account or plugin needed.
 */

export const ROOT = path.resolve(__dirname, "..");

export type { StackFile } from "./stackFile";

/** Loads Pulumi.yaml defaults plus a stack file. `secure:` values become "[secret]", never decrypted. */
export function loadStackFile(stackFile: string, projectDir = ROOT): StackFile {
    return loadFile(stackFile, projectDir);
}

/**
 * The stack file or its config is wrong: exit 2. The message names the file,
 * the line where the key is written (when it is), the full key and the rule.
 */
export class PlanConfigError extends UserError {
    constructor(
        message: string,
        readonly issues: ConfigIssue[] = [],
    ) {
        super(message);
        this.name = "PlanConfigError";
    }

    /** One line per issue: `Pulumi.x.yaml:12: ecr-private-access:network.cidr: <rule>`. */
    static fromIssues(file: StackFile, issues: ConfigIssue[]): PlanConfigError {
        const shown = displayPath(file.file);
        // In file order; keys the file does not contain (missing ones) last.
        const lines = issues
            .map((i) => ({ ...i, line: file.lineOf(i.key) }))
            .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))
            .map((i) => `  ${shown}${i.line ? `:${i.line}` : ""}: ${i.key}: ${i.message}`);
        const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
        return new PlanConfigError(
            `${shown}: invalid stack configuration (${count}); nothing was planned or written:\n${lines.join("\n")}`,
            issues,
        );
    }
}

/** A ConfigError (thrown by src/config or while the program ran) as a PlanConfigError for the file. */
function configFailure(file: StackFile, error: unknown): PlanConfigError | undefined {
    const e = error as { name?: string; issues?: ConfigIssue[]; message?: string } | undefined;
    if (e?.name !== "ConfigError") return undefined;
    const { ConfigError } = require("../src/config") as typeof import("../src/config");
    const issues = e.issues ?? ConfigError.issuesFromMessage(e.message ?? "");
    return issues.length > 0
        ? PlanConfigError.fromIssues(file, issues)
        : new PlanConfigError(`${displayPath(file.file)}: ${e.message}`);
}

export interface PlanOptions {
    stackFile: string;
    projectDir?: string;
    /** Outputs of stacks already planned, by bare stack name. */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /**
     * The policy pack's analyzer, started early by the caller so that it boots while the program
     * runs and serves every stack of a run; without one, planStack starts its own and closes it.
     */
    analyzer?: PolicyAnalyzer;
    /** Policy config (CrossGuard format); default `policies/config/<stack>.json` when present. */
    policyConfig?: PolicyConfig;
    /** Where `policyConfig` came from, for messages. */
    policyConfigSource?: string;
    /** Judge the plan as a first preview: every value another resource produces is unknown. */
    preview?: boolean;
    /** Stack files being planned further up a chain of references (cycle detection). */
    visiting?: string[];
    /**
     * Receives the plans of the stacks this one references, as they are run (not judged: their
     * violations are empty; the access matrix reads their resources).
     */
    related?: Plan[];
}

/**
 * Everything the plan checks before the program runs: the file's name and
 * YAML, then the config with the program's own validator. Throws a UserError
 * (exit 2) naming the file, the line and the key; returns the file and its
 * validated config.
 */
export function checkStackFile(
    stackFile: string,
    projectDir = ROOT,
): { file: StackFile; cfg: import("../src/config").StackConfig } {
    const file = loadStackFile(stackFile, projectDir);
    const { parseStackConfig } = require("../src/config") as typeof import("../src/config");
    try {
        return {
            file,
            cfg: parseStackConfig(file.config, file.stack, { secretKeys: file.secretKeys }),
        };
    } catch (e) {
        throw configFailure(file, e) ?? e;
    }
}

export async function planStack(opts: PlanOptions): Promise<Plan> {
    if (opts.analyzer) return finishPlan(await startPlan(opts, opts.analyzer));
    const analyzer = PolicyAnalyzer.start();
    try {
        return await finishPlan(await startPlan(opts, analyzer));
    } finally {
        await analyzer.close();
    }
}

/** A stack whose program has run and whose verdict the analyzer is working on. */
export interface StartedPlan {
    /** Everything but the violations: enough for the stacks that reference this one. */
    plan: Omit<Plan, "violations">;
    /** The violations; a UserError when the pack refuses the policy config. */
    verdict: Promise<Violation[]>;
}

export async function finishPlan(started: StartedPlan): Promise<Plan> {
    return { ...started.plan, violations: await started.verdict };
}

/**
 * Runs one stack's program (after those of the stacks it references, which are only run, not
 * judged) and asks the analyzer for its verdict without waiting for it: `npm start` runs the
 * next stack's program while the pack judges this one.
 */
export async function startPlan(opts: PlanOptions, analyzer: PolicyAnalyzer): Promise<StartedPlan> {
    // The policy config is read before anything runs (a broken one is exit 2); the pack checks
    // it against its schemas once the analyzer answers.
    const policy = policyConfigOf(opts);
    const plan = await runProgram(opts);
    return { plan, verdict: judgePlan(plan, analyzer, opts, policy) };
}

/** The policy config a stack is judged with, and where it came from (for messages). */
export function policyConfigOf(opts: PlanOptions): { config: PolicyConfig; source: string } {
    const projectDir = opts.projectDir ?? ROOT;
    const stack = stackNameOf(opts.stackFile);
    const configFile = path.join(projectDir, "policies", "config", `${stack}.json`);
    return opts.policyConfig
        ? { config: opts.policyConfig, source: opts.policyConfigSource ?? "policy config" }
        : { config: readPolicyConfig(configFile), source: displayPath(configFile) };
}

/** Asks the analyzer for a plan's violations; the promise is already handled when returned. */
export function judgePlan(
    plan: Omit<Plan, "violations">,
    analyzer: PolicyAnalyzer,
    opts: Pick<PlanOptions, "preview">,
    policy: { config: PolicyConfig; source: string },
): Promise<Violation[]> {
    const verdict = analyzer.analyze(plan.resources, {
        project: plan.project,
        stack: plan.stack,
        preview: opts.preview,
        policyConfig: policy.config,
        configSource: policy.source,
    });
    // Whoever awaits the verdict gets its error; until then it is no unhandled rejection.
    verdict.catch(() => undefined);
    return verdict;
}

/**
 * Checks a stack file and runs its program under the mock runtime, after the programs of the
 * stacks it references that `stackOutputs` does not hold yet (run, not judged). What the
 * worker processes of `npm start` do; no policy analyzer involved.
 */
export async function runProgram(opts: PlanOptions): Promise<Omit<Plan, "violations">> {
    const projectDir = opts.projectDir ?? ROOT;
    // Validate before anything runs, with the program's own validator.
    const { file, cfg } = checkStackFile(opts.stackFile, projectDir);
    const { referencedStacks, PROJECT } =
        require("../src/config") as typeof import("../src/config");
    const stackOutputs = { ...opts.stackOutputs };
    const visiting = [...(opts.visiting ?? []), file.file];
    const refKey = `${PROJECT}:nlp.vendorStack`;
    for (const ref of referencedStacks(file.config)) {
        const [, refProject, refStack] = ref.split("/");
        if (stackOutputs[ref] || stackOutputs[refStack]) continue;
        const refFile = referencedStackFile(file.file, projectDir, refStack);
        const fail = (message: string) =>
            PlanConfigError.fromIssues(file, [{ key: refKey, message }]);
        if (refProject !== file.project) {
            throw fail(
                `${ref} belongs to project ${refProject}, not ${file.project}; the offline plan can only follow references to stacks of this project`,
            );
        }
        if (!refFile) {
            const dirs = [...new Set([path.dirname(file.file), projectDir])].map(displayPath);
            throw fail(
                `${ref}: no Pulumi.${refStack}.yaml beside the stack file or in the repository (looked in ${dirs.join(" and ")}); the offline plan needs the referenced stack's file to plan it first`,
            );
        }
        if (visiting.includes(refFile)) {
            throw fail(
                `${ref} leads back to ${displayPath(refFile)}: the stacks reference each other in a cycle (${[...visiting, refFile].map((f) => path.basename(f)).join(" -> ")})`,
            );
        }
        try {
            const refRun = await runProgram({
                ...opts,
                stackFile: refFile,
                stackOutputs,
                visiting,
            });
            opts.related?.push({ ...refRun, violations: [] });
            stackOutputs[refStack] = refRun.outputs;
        } catch (e) {
            if (!(e instanceof UserError)) throw e;
            throw new PlanConfigError(
                `${displayPath(file.file)}: ${refKey} reads ${ref}, whose stack file ${displayPath(refFile)} must be fixed first:\n${e.message}`,
            );
        }
    }

    // Loaded here, not on import: a CLI starts the policy pack's process before the SDK loads.
    const { runStack } = require("./runStack") as typeof import("./runStack");
    const result = await runStack({
        project: file.project,
        stack: file.stack,
        account: cfg.accountId,
        region: cfg.region,
        config: file.config,
        secretKeys: file.secretKeys,
        stackOutputs,
        // The program is always this repository's; `projectDir` only supplies the stack files.
        program: path.join(ROOT, "index.ts"),
    }).catch((e: unknown) => {
        // Config rules that need another stack's outputs are checked while the program runs.
        throw configFailure(file, e) ?? e;
    });
    return {
        project: file.project,
        stack: file.stack,
        resources: result.resources,
        outputs: result.outputs,
    };
}

/**
 * The file a StackReference to `refStack` is planned from: `Pulumi.<refStack>.yaml`
 * beside the referencing stack file first (a set of stack files kept outside
 * the repository), then the repository's own.
 */
export function referencedStackFile(
    stackFile: string,
    projectDir: string,
    refStack: string,
): string | undefined {
    return [path.dirname(path.resolve(stackFile)), projectDir]
        .map((dir) => path.join(dir, `Pulumi.${refStack}.yaml`))
        .find((f) => fs.existsSync(f));
}

/**
 * Stack files in a directory, producers before consumers. Files that look
 * like stack files but are named wrongly (`Pulumi.x.yml`) are listed too, so
 * that planning them reports the name; a file that cannot be read is ordered
 * by name and reports its own problem when planned.
 */
export function stackFiles(dir = ROOT, projectDir = ROOT): string[] {
    const files = fs
        .readdirSync(dir)
        .filter((f) => /^Pulumi\..+\.ya?ml$/.test(f))
        .map((f) => path.join(dir, f));
    const { referencedStacks } = require("../src/config") as typeof import("../src/config");
    const refs = new Map(
        files.map((f) => {
            try {
                return [f, referencedStacks(loadStackFile(f, projectDir).config)];
            } catch {
                return [f, [] as string[]];
            }
        }),
    );
    const name = (f: string) => /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(f))![1];
    // Stacks referenced by others first; then by name for a stable order.
    const referenced = new Set([...refs.values()].flat().map((r) => r.split("/").pop()!));
    return files.sort(
        (a, b) =>
            Number(referenced.has(name(b))) - Number(referenced.has(name(a))) ||
            name(a).localeCompare(name(b)),
    );
}

const USAGE =
    "usage: npm run plan -- (--stack <name> | --stack-file <path>) [--json] [--out <dir>] [--policy-config <file>] [--preview]";

interface CliArgs {
    stack?: string;
    stackFile?: string;
    json: boolean;
    outDir: string;
    policyConfig?: string;
    preview: boolean;
    help: boolean;
}

function parseArgs(argv: string[]): CliArgs {
    const args: CliArgs = {
        json: false,
        outDir: path.join(ROOT, "out"),
        preview: false,
        help: false,
    };
    const value = (i: number, flag: string) => {
        const v = argv[i];
        if (v === undefined || v.startsWith("--")) {
            throw new UserError(`${flag} needs a value; ${USAGE}`);
        }
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") args.stack = value(++i, a);
        else if (a === "--stack-file") args.stackFile = value(++i, a);
        else if (a === "--json") args.json = true;
        // `--out-dir` is the older name of `--out`.
        else if (a === "--out" || a === "--out-dir") args.outDir = path.resolve(value(++i, a));
        else if (a === "--policy-config") args.policyConfig = path.resolve(value(++i, a));
        else if (a === "--preview") args.preview = true;
        else if (a === "--help" || a === "-h") args.help = true;
        else {
            const known = [
                "--stack",
                "--stack-file",
                "--json",
                "--out",
                "--out-dir",
                "--policy-config",
                "--preview",
            ];
            throw new UserError(`unknown argument ${a}${didYouMean(a, known)}\n${USAGE}`);
        }
    }
    if (!args.help && !args.stack === !args.stackFile) {
        throw new UserError(`give exactly one of --stack <name> or --stack-file <path>; ${USAGE}`);
    }
    return args;
}

/** The stack file `--stack <name>` stands for, or a message listing the stacks there are. */
function namedStackFile(stack: string): string {
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    if (fs.existsSync(file)) return file;
    const stacks = stackFiles(ROOT)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(f))![1])
        .sort();
    throw new UserError(
        `--stack ${stack}: no ${displayPath(file)}; for a stack file elsewhere use --stack-file <path> (stacks here: ${stacks.join(", ")})${didYouMean(stack, stacks)}`,
    );
}

export async function main(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const stackFile = args.stackFile ? path.resolve(args.stackFile) : namedStackFile(args.stack!);
    // The name is checked before anything else: a wrongly named file is never read.
    stackNameOf(stackFile);
    const policyConfig = args.policyConfig ? readPolicyConfig(args.policyConfig, true) : undefined;
    // Boots while the program loads and runs.
    const analyzer = PolicyAnalyzer.start();
    try {
        // The plans of the stacks it references (the vendor's for a customer): the
        // access matrix shows their repositories in this stack's region too.
        const related: Plan[] = [];
        const plan = await planStack({
            stackFile,
            analyzer,
            preview: args.preview,
            policyConfig,
            policyConfigSource: args.policyConfig && displayPath(args.policyConfig),
            related,
        });
        writeArtefacts(plan, path.join(args.outDir, plan.stack));
        await writeAccessMatrix(plan, path.join(args.outDir, plan.stack), related);
        process.stdout.write(
            args.json ? `${JSON.stringify(plan, null, 2)}\n` : `${summary(plan)}\n`,
        );
        return hasMandatory(plan.violations) ? 1 : 0;
    } finally {
        await analyzer.close();
    }
}

if (require.main === module) {
    void runCli("plan", () => main(process.argv.slice(2)));
}
