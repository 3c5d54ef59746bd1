import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import type { Plan, Violation } from "../src/report/plan";
import { PolicyAnalyzer, PolicyConfig, PolicyConfigError } from "./analyzer";
import { hasMandatory, readPolicyConfig } from "./policy";
import { writeArtefacts, summary } from "./artefacts";

/**
 * The offline plan: runs the real program for one stack under Pulumi's mock
 * runtime, has the policy pack's own analyzer judge it, and writes `out/<stack>/plan.json` plus
 * the artefacts built from it. No Pulumi CLI, cloud account or plugin needed.
 */

export const ROOT = path.resolve(__dirname, "..");

export interface StackFile {
    project: string;
    stack: string;
    /** `project:key` -> string (objects JSON-encoded), defaults from Pulumi.yaml applied. */
    config: Record<string, string>;
    secretKeys: string[];
}

/** Loads Pulumi.yaml defaults plus a stack file. `secure:` values become "[secret]", never decrypted. */
export function loadStackFile(stackFile: string, projectDir = ROOT): StackFile {
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
        name: string;
        config?: Record<string, { default?: unknown; value?: unknown }>;
    };
    const base = path.basename(stackFile);
    const match = /^Pulumi\.(.+)\.ya?ml$/.exec(base);
    if (!match) throw new Error(`${stackFile}: a stack file is named Pulumi.<stack>.yaml`);
    const stack = match[1];

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
    const put = (key: string, value: unknown) => {
        if (value !== null && typeof value === "object" && "secure" in (value as object)) {
            config[key] = "[secret]";
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    };
    for (const [key, decl] of Object.entries(project.config ?? {})) {
        const value = decl?.value ?? decl?.default;
        if (value !== undefined) put(qualify(key), value);
    }
    const stackDoc = (YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {}) as {
        config?: Record<string, unknown>;
    };
    for (const [key, value] of Object.entries(stackDoc.config ?? {})) {
        put(qualify(key), value);
    }
    return { project: project.name, stack, config, secretKeys };
}

export class PlanConfigError extends Error {}

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
    /** The violations; a PlanConfigError when the pack refuses the policy config. */
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
export async function startPlan(
    opts: PlanOptions,
    analyzer: PolicyAnalyzer,
    judge = true,
): Promise<StartedPlan> {
    const projectDir = opts.projectDir ?? ROOT;
    const file = loadStackFile(opts.stackFile, projectDir);
    // Validate before anything runs, with the program's own validator.
    const { parseStackConfig, referencedStacks } =
        require("../src/config") as typeof import("../src/config");
    let cfg;
    try {
        cfg = parseStackConfig(file.config, file.stack);
    } catch (e) {
        if ((e as Error).name === "ConfigError") throw new PlanConfigError((e as Error).message);
        throw e;
    }

    // Read the policy config before anything runs too; it is checked against the pack's schemas
    // once the analyzer answers.
    const configFile = path.join(projectDir, "policies", "config", `${file.stack}.json`);
    let policyConfig: PolicyConfig;
    try {
        policyConfig = opts.policyConfig ?? readPolicyConfig(configFile);
    } catch (e) {
        if (e instanceof PolicyConfigError) throw new PlanConfigError(e.message);
        throw e;
    }

    const stackOutputs = { ...opts.stackOutputs };
    for (const ref of referencedStacks(file.config)) {
        const [, refProject, refStack] = ref.split("/");
        if (stackOutputs[ref] || stackOutputs[refStack]) continue;
        const refFile = path.join(projectDir, `Pulumi.${refStack}.yaml`);
        if (refProject !== file.project || !fs.existsSync(refFile)) {
            throw new PlanConfigError(
                `${file.project}:nlp.vendorStack ${ref} is not a stack of this repository (no ${path.basename(refFile)}); the offline plan can only follow references to stacks it can plan`,
            );
        }
        stackOutputs[refStack] = (
            await startPlan({ ...opts, stackFile: refFile, stackOutputs }, analyzer, false)
        ).plan.outputs;
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
        program: path.join(projectDir, "index.ts"),
    }).catch((e: Error) => {
        // Config rules that need another stack's outputs are checked while the program runs.
        throw e?.name === "ConfigError" ? new PlanConfigError(e.message) : e;
    });
    const verdict = judge
        ? analyzer
              .analyze(result.resources, {
                  project: file.project,
                  stack: file.stack,
                  preview: opts.preview,
                  policyConfig,
                  configSource: opts.policyConfig
                      ? (opts.policyConfigSource ?? "policy config")
                      : path.relative(projectDir, configFile),
              })
              .catch((e: Error) => {
                  throw e instanceof PolicyConfigError ? new PlanConfigError(e.message) : e;
              })
        : Promise.resolve([]);
    // Whoever awaits the verdict gets its error; until then it is no unhandled rejection.
    verdict.catch(() => undefined);
    return {
        plan: {
            project: file.project,
            stack: file.stack,
            resources: result.resources,
            outputs: result.outputs,
        },
        verdict,
    };
}

/** Stack files in a directory, producers before consumers. */
export function stackFiles(projectDir = ROOT): string[] {
    const files = fs
        .readdirSync(projectDir)
        .filter((f) => /^Pulumi\..+\.ya?ml$/.test(f))
        .map((f) => path.join(projectDir, f));
    const { referencedStacks } = require("../src/config") as typeof import("../src/config");
    const refs = new Map(
        files.map((f) => [f, referencedStacks(loadStackFile(f, projectDir).config)]),
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

interface CliArgs {
    stack?: string;
    stackFile?: string;
    json: boolean;
    outDir: string;
    policyConfig?: string;
    preview: boolean;
}

function parseArgs(argv: string[]): CliArgs {
    const args: CliArgs = { json: false, outDir: path.join(ROOT, "out"), preview: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") args.stack = argv[++i];
        else if (a === "--stack-file") args.stackFile = argv[++i];
        else if (a === "--json") args.json = true;
        else if (a === "--out-dir") args.outDir = path.resolve(argv[++i]);
        else if (a === "--policy-config") args.policyConfig = path.resolve(argv[++i]);
        else if (a === "--preview") args.preview = true;
        else
            throw new PlanConfigError(
                `unknown argument ${a}; usage: npm run plan -- --stack <name> | --stack-file <path> [--json] [--out-dir <dir>] [--policy-config <file>] [--preview]`,
            );
    }
    if (!args.stack === !args.stackFile) {
        throw new PlanConfigError("give exactly one of --stack <name> or --stack-file <path>");
    }
    return args;
}

export async function main(argv: string[]): Promise<number> {
    let args: CliArgs;
    let analyzer: PolicyAnalyzer | undefined;
    try {
        args = parseArgs(argv);
        // Boots while the program loads and runs.
        analyzer = PolicyAnalyzer.start();
        const stackFile = args.stackFile
            ? path.resolve(args.stackFile)
            : path.join(ROOT, `Pulumi.${args.stack}.yaml`);
        if (!fs.existsSync(stackFile)) throw new PlanConfigError(`no stack file ${stackFile}`);
        if (args.policyConfig && !fs.existsSync(args.policyConfig)) {
            throw new PlanConfigError(`no policy config file ${args.policyConfig}`);
        }
        const plan = await planStack({
            stackFile,
            analyzer,
            preview: args.preview,
            policyConfig: args.policyConfig ? readPolicyConfig(args.policyConfig) : undefined,
            policyConfigSource:
                args.policyConfig && path.relative(process.cwd(), args.policyConfig),
        });
        writeArtefacts(plan, path.join(args.outDir, plan.stack));
        process.stdout.write(
            args.json ? `${JSON.stringify(plan, null, 2)}\n` : `${summary(plan)}\n`,
        );
        return hasMandatory(plan.violations) ? 1 : 0;
    } catch (e) {
        if (e instanceof PlanConfigError || e instanceof PolicyConfigError) {
            process.stderr.write(`${e.message}\n`);
            return 2;
        }
        throw e;
    } finally {
        await analyzer?.close();
    }
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
