import * as path from "path";
import { Worker } from "worker_threads";
import type Ajv from "ajv";
import type { PlanResource, PlanResourceOptions, Violation } from "../src/report/plan";
import { UserError } from "./cli";
import type { PackReply, PackRequest } from "./packProcess";

/**
 * The policy pack's own analyzer, driven the way the Pulumi engine drives it during
 * `pulumi preview --policy-pack policies`: the pack's entry file runs in its own process (cwd =
 * the pack), @pulumi/policy's `serve` prints the port of its gRPC server on the first line of
 * stdout, and the engine calls ConfigureStack, GetAnalyzerInfo and Configure, then Analyze for
 * each registered resource (its inputs) and AnalyzeStack once (every resource's outputs, with
 * parent, dependencies and property dependencies). Deserialisation, the unknown-value proxy,
 * enforcement levels and per-policy config are @pulumi/policy's own.
 *
 * Engine behaviour mirrored here is from pulumi/pulumi: sdk/go/common/resource/plugin/
 * analyzer_plugin.go (NewPolicyAnalyzer, Analyze, AnalyzeStack, Configure),
 * pkg/resource/deploy/step_generator.go (what Analyze and AnalyzeStack receive) and
 * pkg/resource/analyzer/config.go (how a policy config file is reconciled with the pack).
 */

const ROOT = path.resolve(__dirname, "..");

export const POLICY_PACK_DIR = path.join(ROOT, "policies");

/** The engine's marker for a value that is unknown during a preview (UnknownStringValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * A policy config file in CrossGuard's JSON format (`pulumi preview --policy-pack-config`):
 * `{"<policy>": "<level>" | {"enforcementLevel"?: "<level>", ...properties}, "all": "<level>"}`.
 */
export type PolicyConfig = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

/** A bad policy config (exit 2): the message names the file and the policy key. */
export class PolicyConfigError extends UserError {
    constructor(message: string) {
        super(message);
        this.name = "PolicyConfigError";
    }
}

interface PolicyInfo {
    name: string;
    enforcementLevel: EnforcementLevel;
    schema?: { properties: Record<string, any>; required: string[] };
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    policies: PolicyInfo[];
    initialConfig: Record<string, ResolvedPolicyConfig>;
}

export interface ResolvedPolicyConfig {
    enforcementLevel?: EnforcementLevel;
    properties: Record<string, unknown>;
}

const levelOf = (v: unknown): EnforcementLevel | undefined =>
    typeof v === "string" && (LEVELS as string[]).includes(v) ? (v as EnforcementLevel) : undefined;

/** Parses the CrossGuard file format as the engine does (parsePolicyPackConfig). */
export function parsePolicyConfig(
    config: unknown,
    source: string,
): Record<string, ResolvedPolicyConfig> {
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new PolicyConfigError(`${source}: a policy config is a JSON object keyed by policy`);
    }
    const out: Record<string, ResolvedPolicyConfig> = {};
    for (const [policy, value] of Object.entries(config as Record<string, unknown>)) {
        const bad = (why: string) => new PolicyConfigError(`${source}: "${policy}": ${why}`);
        if (typeof value === "string") {
            const level = levelOf(value);
            if (!level) throw bad(`${JSON.stringify(value)} is not ${LEVELS.join(", ")}`);
            out[policy] = { enforcementLevel: level, properties: {} };
        } else if (value && typeof value === "object" && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            const level = levelOf(enforcementLevel);
            if (enforcementLevel !== undefined && !level) {
                throw bad(
                    `enforcementLevel ${JSON.stringify(enforcementLevel)} is not ${LEVELS.join(", ")}`,
                );
            }
            out[policy] = { enforcementLevel: level, properties };
        } else {
            throw bad("must be an enforcement level or an object");
        }
    }
    return out;
}

// Loaded only when a config sets properties (a plan without policy config never needs it).
let ajv: Ajv | undefined;

/**
 * The config the engine sends with Configure: each policy's schema defaults and default level,
 * then the pack's initial config, then the file (`all` first, then per policy), validated
 * against each policy's schema (a policy left at its schema's defaults needs no check, unless
 * the schema requires properties). Stricter than the CLI in one way: a policy or property the
 * pack does not have is an error, not silently ignored (it is almost always a typo).
 */
export function reconcilePolicyConfig(
    info: AnalyzerInfo,
    given: Record<string, ResolvedPolicyConfig>,
    source: string,
): Record<string, Required<ResolvedPolicyConfig>> {
    const result: Record<string, Required<ResolvedPolicyConfig>> = {};
    for (const p of info.policies) {
        const defaults = Object.entries(p.schema?.properties ?? {})
            .filter(([, s]) => s && typeof s === "object" && "default" in s)
            .map(([k, s]) => [k, s.default]);
        result[p.name] = {
            enforcementLevel: p.enforcementLevel,
            properties: Object.fromEntries(defaults),
        };
    }
    const apply = (config: Record<string, ResolvedPolicyConfig>) => {
        const all = config.all?.enforcementLevel;
        if (all) for (const c of Object.values(result)) c.enforcementLevel = all;
        for (const [policy, c] of Object.entries(config)) {
            if (policy === "all") continue;
            const target = result[policy];
            if (!target) {
                throw new PolicyConfigError(
                    `${source}: "${policy}" is not a policy of pack ${info.name} (${info.policies.map((p) => p.name).join(", ")})`,
                );
            }
            if (c.enforcementLevel) target.enforcementLevel = c.enforcementLevel;
            Object.assign(target.properties, c.properties);
        }
    };
    apply(info.initialConfig);
    const all = given.all;
    if (all && (Object.keys(all.properties).length > 0 || !all.enforcementLevel)) {
        throw new PolicyConfigError(`${source}: "all" takes only an enforcement level`);
    }
    apply(given);

    const errors: string[] = [];
    for (const p of info.policies) {
        const props = result[p.name].properties;
        const known = Object.keys(p.schema?.properties ?? {});
        for (const k of Object.keys(props)) {
            if (!known.includes(k)) {
                errors.push(
                    `"${p.name}.${k}": not a config property of this policy${known.length ? ` (${known.join(", ")})` : " (it has none)"}`,
                );
            }
        }
        const configured = [given[p.name], info.initialConfig[p.name]].some(
            (c) => c && Object.keys(c.properties).length > 0,
        );
        if (!p.schema || (!configured && p.schema.required.length === 0)) continue;
        ajv ??= new (require("ajv").default as typeof Ajv)({ allErrors: true, strict: false });
        const validate = ajv.compile({
            type: "object",
            properties: p.schema.properties,
            ...(p.schema.required.length ? { required: p.schema.required } : {}),
        });
        if (!validate(props)) {
            for (const e of validate.errors ?? []) {
                const at = e.instancePath.split("/").filter(Boolean).join(".");
                errors.push(`"${p.name}${at ? `.${at}` : ""}": ${e.message}`);
            }
        }
    }
    if (errors.length > 0) throw new PolicyConfigError(`${source}: ${errors.join("; ")}`);
    return result;
}

// ---------------------------------------------------------------------------------------------
// What the engine sends for each resource

/** One resource as the engine describes it to the analyzer. */
export interface EngineResource {
    urn: string;
    type: string;
    name: string;
    parent: string;
    /** Registered resources are analyzed one by one; reads only appear in AnalyzeStack. */
    analyze: boolean;
    /** Analyze's properties: the inputs. */
    inputs: Record<string, unknown>;
    /** AnalyzeStack's properties: the resource's state after the change (its outputs). */
    state: Record<string, unknown>;
    options: PlanResourceOptions;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
}

/** A plan resource as read from any plan file (older ones lack the dependency fields). */
export type PlanLikeResource = Omit<PlanResource, "dependencies" | "propertyDependencies"> &
    Partial<Pick<PlanResource, "dependencies" | "propertyDependencies">>;

/**
 * Outputs the AWS provider fills in while it plans (from its own configuration), so a preview
 * knows them although the program did not set them.
 */
const KNOWN_WHILE_PLANNING = new Set(["region", "tagsAll"]);

/** A value shorter than this is only recognised whole, never inside a longer string. */
const MIN_EMBEDDED = 8;

/**
 * The resources as the engine would send them. With `preview`, as in a stack's first preview,
 * where nothing exists yet:
 * - a resource's not-yet-known values are its ID, the outputs the provider computes (those the
 *   program did not give as inputs, except the few it fills in while planning: region,
 *   tagsAll) and whatever it was given from other resources' not-yet-known values;
 * - in each input that propertyDependencies ties to resources created in the same change, every
 *   value carrying one of those resources' not-yet-known values becomes the engine's unknown:
 *   a reference itself (`vpcId: vpc.id`), an element (`securityGroupIds: [sg.id]`) or a field
 *   (`vpcs: [{ vpcId, vpcRegion }]` keeps its literal `vpcRegion`), and a string that embeds
 *   one as a whole (a JSON policy naming an ARN, as an `apply` result is). Literal values beside
 *   them stay known, as the SDK sends them;
 * - AnalyzeStack sees each resource's inputs so judged plus its computed outputs as unknown.
 * Resources only read (a StackReference) exist already: their values are known.
 */
export function engineView(resources: PlanLikeResource[], preview: boolean): EngineResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    // Per resource, the values a preview does not know yet (filled in registration order:
    // a resource registers after everything it depends on).
    const unknownValues = new Map<string, Set<string>>();
    return resources.map((r) => {
        const propertyDependencies = r.propertyDependencies ?? {};
        const inputs = { ...r.inputs };
        let state = { ...r.inputs, ...r.outputs };
        if (preview && !r.read) {
            const hidden = new Set<string>();
            for (const [key, urns] of Object.entries(propertyDependencies)) {
                const pool = new Set<string>();
                let unseen = false;
                for (const u of urns) {
                    const dep = byUrn.get(u);
                    if (dep?.read) continue;
                    const values = unknownValues.get(u);
                    if (values) values.forEach((v) => pool.add(v));
                    else unseen = true;
                }
                if (unseen) {
                    // Produced by something the plan does not show: unknown as a whole.
                    leaves(inputs[key]).forEach((v) => hidden.add(v));
                    inputs[key] = UNKNOWN;
                } else if (pool.size > 0) {
                    inputs[key] = hide(inputs[key], pool, hidden);
                }
            }
            const own = new Set<string>(hidden);
            if (r.id) own.add(r.id);
            state = { ...inputs };
            for (const [key, value] of Object.entries(r.outputs)) {
                if (key in r.inputs) continue;
                if (KNOWN_WHILE_PLANNING.has(key)) {
                    state[key] = value;
                    continue;
                }
                leaves(value).forEach((v) => own.add(v));
                state[key] = UNKNOWN;
            }
            unknownValues.set(r.urn, own);
        } else if (preview) {
            unknownValues.set(r.urn, new Set());
        }
        return {
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent ?? "",
            analyze: !r.read,
            inputs,
            state,
            options: r.options ?? {},
            dependencies: r.dependencies ?? [],
            propertyDependencies,
        };
    });
}

/** Every non-empty string in a value. */
function leaves(v: unknown, out: string[] = []): string[] {
    if (typeof v === "string") {
        if (v !== "") out.push(v);
    } else if (Array.isArray(v)) {
        v.forEach((x) => leaves(x, out));
    } else if (v && typeof v === "object") {
        Object.values(v).forEach((x) => leaves(x, out));
    }
    return out;
}

/** `v` with every string that is, or embeds, a value of `pool` replaced by UNKNOWN. */
function hide(v: unknown, pool: Set<string>, hidden: Set<string>): unknown {
    if (typeof v === "string") {
        const carries =
            pool.has(v) || [...pool].some((p) => p.length >= MIN_EMBEDDED && v.includes(p));
        if (!carries) return v;
        hidden.add(v);
        return UNKNOWN;
    }
    if (Array.isArray(v)) return v.map((x) => hide(x, pool, hidden));
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hide(x, pool, hidden)]));
    }
    return v;
}

// ---------------------------------------------------------------------------------------------
// The analyzer process

export interface AnalyzerOptions {
    /** The pack's directory (PulumiPolicy.yaml, package.json, entry file). Default: policies/. */
    packDir?: string;
    /**
     * How the entry file is loaded. "esbuild" (default): the pack's entry (`.` resolves to
     * index.ts) with this repository's TypeScript loader, which strips types (the pack is
     * type-checked by `npm run build`). "engine": @pulumi/pulumi's `run-policy-pack` from the
     * pack's node_modules, exactly what the CLI's `pulumi-analyzer-policy` runs (ts-node with
     * type-checking, about 3 s slower).
     */
    launcher?: "esbuild" | "engine";
    /** How long the pack may take to print its port. Default 60 s. */
    bootTimeoutMs?: number;
    /** Deadline of one RPC. Default 120 s. */
    callTimeoutMs?: number;
}

export interface AnalyzeOptions {
    project: string;
    stack: string;
    /** Judge the plan as a first preview (see `engineView`). */
    preview?: boolean;
    /** Policy config in CrossGuard's JSON format. */
    policyConfig?: PolicyConfig;
    /** Where the config came from, for messages. */
    configSource?: string;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

const live = new Set<PolicyAnalyzer>();
let exitHook = false;

/**
 * One policy pack process and the engine's side of the conversation with it. Start it early (it
 * boots while whatever runs next loads), analyze any number of plans, and `close()` it; a process
 * that exits without closing it kills it on exit, and the pack ends by itself when this process
 * dies. The process and its gRPC client live in a worker thread (tools/packProcess.ts), so
 * that they make progress while this thread is busy loading and running programs.
 */
export class PolicyAnalyzer {
    private readonly worker: Worker;
    private readonly pending = new Map<
        number,
        { resolve: (v: any) => void; reject: (e: Error) => void }
    >();
    private nextId = 1;
    private childPid?: number;
    private info?: Promise<AnalyzerInfo>;
    private queue: Promise<unknown> = Promise.resolve();
    private closing?: Promise<void>;
    private workerError?: Error;
    readonly packDir: string;

    static start(opts: AnalyzerOptions = {}): PolicyAnalyzer {
        return new PolicyAnalyzer(opts);
    }

    /** Analyzers started and not yet closed (the tests check that none is left). */
    static live(): number {
        return live.size;
    }

    private constructor(opts: AnalyzerOptions) {
        this.packDir = path.resolve(opts.packDir ?? POLICY_PACK_DIR);
        this.worker = new Worker(path.join(__dirname, "packThread.js"), {
            workerData: { ...opts, packDir: this.packDir },
        });
        live.add(this);
        if (!exitHook) {
            exitHook = true;
            process.on("exit", () => {
                for (const a of live) {
                    try {
                        if (a.childPid) process.kill(a.childPid, "SIGKILL");
                    } catch {
                        // Already gone.
                    }
                }
            });
        }
        this.worker.on("message", (m: PackReply) => {
            if ("event" in m) {
                this.childPid = m.pid;
                return;
            }
            const p = this.pending.get(m.id);
            if (!p) return;
            this.pending.delete(m.id);
            if (this.pending.size === 0 && !this.closing) this.worker.unref();
            if (m.ok) p.resolve(m.value);
            else p.reject(new Error(m.message));
        });
        const failAll = (e: Error) => {
            this.workerError = e;
            for (const p of this.pending.values()) p.reject(e);
            this.pending.clear();
        };
        this.worker.on("error", failAll);
        this.worker.on("exit", () =>
            failAll(this.workerError ?? new Error("policy analyzer closed")),
        );
        // Idle, the worker keeps nothing alive; a request holds it until its answer comes.
        this.worker.unref();
        // As the engine does first: ask for the pack's policies, here while the program still runs.
        this.analyzerInfo().catch(() => undefined);
    }

    /** The pack's process id, once spawned. */
    get pid(): number | undefined {
        return this.childPid;
    }

    private request<T>(req: DistributiveOmit<PackRequest, "id">): Promise<T> {
        if (this.workerError) return Promise.reject(this.workerError);
        const id = this.nextId++;
        return new Promise<T>((resolve, reject) => {
            if (this.pending.size === 0) this.worker.ref();
            this.pending.set(id, { resolve, reject });
            this.worker.postMessage({ ...req, id });
        });
    }

    /** Runs one analysis at a time: Configure sets the server's global config. */
    private exclusive<T>(fn: () => Promise<T>): Promise<T> {
        const run = this.queue.then(fn, fn);
        this.queue = run.catch(() => undefined);
        return run;
    }

    /** GetAnalyzerInfo: the pack's name, version, policies, levels and config schemas. */
    analyzerInfo(): Promise<AnalyzerInfo> {
        this.info ??= this.request<AnalyzerInfo>({ op: "info" });
        return this.info;
    }

    /** Validates a policy config against the pack and returns what Configure would receive. */
    async resolveConfig(
        config: PolicyConfig = {},
        source = "policy config",
    ): Promise<Record<string, Required<ResolvedPolicyConfig>>> {
        return reconcilePolicyConfig(
            await this.analyzerInfo(),
            parsePolicyConfig(config, source),
            source,
        );
    }

    /** The violations `pulumi preview --policy-pack` would report for a plan. */
    analyze(resources: PlanLikeResource[], opts: AnalyzeOptions): Promise<Violation[]> {
        return this.exclusive(async () => {
            const config = await this.resolveConfig(opts.policyConfig, opts.configSource);
            return this.request<Violation[]>({
                op: "analyze",
                project: opts.project,
                stack: opts.stack,
                preview: opts.preview ?? false,
                config,
                resources: engineView(resources, opts.preview ?? false),
            });
        });
    }

    /** Ends the pack's process (SIGTERM, then SIGKILL after 5 s), waits for it, ends the worker. */
    close(): Promise<void> {
        this.closing ??= (async () => {
            // Held until the worker has ended: an unreferenced worker would let this process
            // exit, with whatever exit code, before the caller gets to set one.
            this.worker.ref();
            if (!this.workerError) await this.request({ op: "close" }).catch(() => undefined);
            await this.worker.terminate();
            live.delete(this);
        })();
        return this.closing;
    }
}

/** Runs `fn` with an analyzer that is closed afterwards, whatever happens. */
export async function withAnalyzer<T>(
    fn: (analyzer: PolicyAnalyzer) => Promise<T>,
    opts: AnalyzerOptions = {},
): Promise<T> {
    const analyzer = PolicyAnalyzer.start(opts);
    try {
        return await fn(analyzer);
    } finally {
        await analyzer.close();
    }
}
