import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import type { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import type Ajv from "ajv";
import type { PlanResource, PlanResourceOptions, Violation } from "../src/report/plan";

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

/**
 * The gRPC client and protobuf messages, loaded on first use rather than on import, so that a
 * tool can spawn the pack before this process spends its time loading them (and the SDK).
 */
let modules:
    | {
          grpc: typeof import("@grpc/grpc-js");
          pb: typeof import("@pulumi/pulumi/proto/analyzer_pb");
          AnalyzerClient: typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb").AnalyzerClient;
          Empty: typeof import("google-protobuf/google/protobuf/empty_pb").Empty;
          Struct: typeof import("google-protobuf/google/protobuf/struct_pb").Struct;
      }
    | undefined;
function rpc(): NonNullable<typeof modules> {
    modules ??= {
        grpc: require("@grpc/grpc-js"),
        pb: require("@pulumi/pulumi/proto/analyzer_pb"),
        AnalyzerClient: require("@pulumi/pulumi/proto/analyzer_grpc_pb").AnalyzerClient,
        Empty: require("google-protobuf/google/protobuf/empty_pb").Empty,
        Struct: require("google-protobuf/google/protobuf/struct_pb").Struct,
    };
    return modules;
}
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
export class PolicyConfigError extends Error {
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

function optionsMessage(o: PlanResourceOptions, parent: string): pb.AnalyzerResourceOptions {
    const proto = rpc().pb;
    const m = new proto.AnalyzerResourceOptions();
    m.setProtect(o.protect ?? false);
    m.setIgnorechangesList(o.ignoreChanges ?? []);
    m.setDeletebeforereplacedefined(o.deleteBeforeReplace !== undefined);
    m.setDeletebeforereplace(o.deleteBeforeReplace ?? false);
    m.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
    m.setAliasesList(o.aliases ?? []);
    const t = new proto.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(o.customTimeouts?.createSeconds ?? 0);
    t.setUpdate(o.customTimeouts?.updateSeconds ?? 0);
    t.setDelete(o.customTimeouts?.deleteSeconds ?? 0);
    m.setCustomtimeouts(t);
    m.setParent(parent);
    return m;
}

/** A protobuf Struct of a JSON-like value; undefined fields are left out, as in JSON. */
const struct = (v: Record<string, unknown>) => rpc().Struct.fromJavaScript(defined(v) as any);

function defined(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : defined(x)));
    if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = defined(x);
        return out;
    }
    return v;
}

function analyzeRequest(r: EngineResource): pb.AnalyzeRequest {
    const proto = rpc().pb;
    const req = new proto.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(r.name);
    req.setProperties(struct(r.inputs));
    req.setOptions(optionsMessage(r.options, r.parent));
    return req;
}

function stackRequest(resources: EngineResource[]): pb.AnalyzeStackRequest {
    const proto = rpc().pb;
    const req = new proto.AnalyzeStackRequest();
    req.setResourcesList(
        resources.map((r) => {
            const m = new proto.AnalyzerResource();
            m.setUrn(r.urn);
            m.setType(r.type);
            m.setName(r.name);
            m.setProperties(struct(r.state));
            // The engine sends the parent beside the options here, not in them.
            m.setOptions(optionsMessage(r.options, ""));
            m.setParent(r.parent);
            m.setDependenciesList(r.dependencies);
            const deps = m.getPropertydependenciesMap();
            for (const [key, urns] of Object.entries(r.propertyDependencies)) {
                if (urns.length === 0) continue;
                deps.set(key, new proto.AnalyzerPropertyDependencies().setUrnsList(urns));
            }
            return m;
        }),
    );
    return req;
}

/** pulumirpc.EnforcementLevel (analyzer.proto). */
const LEVEL_OF_PROTO: Record<number, EnforcementLevel> = {
    0: "advisory",
    1: "mandatory",
    2: "disabled",
    3: "remediate",
};
const PROTO_OF_LEVEL = Object.fromEntries(
    Object.entries(LEVEL_OF_PROTO).map(([k, v]) => [v, Number(k)]),
) as Record<EnforcementLevel, pb.EnforcementLevel>;

/**
 * Diagnostics as violations. The analyzer prefixes the rule's message with the policy's
 * description; plan.json keeps the rule's own message (the description is the policy's).
 * For Analyze the engine always uses the analyzed resource's URN.
 */
function violationsOf(resp: pb.AnalyzeResponse, urn?: string): Violation[] {
    return resp.getDiagnosticsList().map((d) => {
        const description = d.getDescription();
        let message = d.getMessage();
        if (description && message.startsWith(`${description}\n`)) {
            message = message.slice(description.length + 1);
        }
        const v: Violation = {
            policy: d.getPolicyname(),
            enforcementLevel: LEVEL_OF_PROTO[d.getEnforcementlevel()],
            message,
        };
        const at = urn ?? d.getUrn();
        if (at) v.urn = at;
        return v;
    });
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

const live = new Set<PolicyAnalyzer>();
let exitHook = false;

/**
 * One policy pack process and a gRPC client to it. Start it early (it boots in parallel with
 * whatever runs next), analyze any number of plans, and `close()` it; a process that exits
 * without closing it kills it on exit, and the pack ends by itself when this process dies.
 */
export class PolicyAnalyzer {
    private readonly child: ChildProcess;
    private readonly ready: Promise<AnalyzerClient>;
    private client?: AnalyzerClient;
    private info?: Promise<AnalyzerInfo>;
    private queue: Promise<unknown> = Promise.resolve();
    private stderrTail = "";
    private exited: Promise<void>;
    private closing?: Promise<void>;
    private readonly callTimeoutMs: number;
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
        this.callTimeoutMs = opts.callTimeoutMs ?? 120_000;
        const host = path.join(__dirname, "policyHost.js");
        const args =
            opts.launcher === "engine"
                ? [
                      "-r",
                      host,
                      path.join(this.packDir, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"),
                      // The engine's address; a Node.js pack never calls it.
                      "127.0.0.1:0",
                      ".",
                  ]
                : ["-r", host, "-r", path.join(__dirname, "register.js"), "."];
        this.child = spawn(process.execPath, args, {
            cwd: this.packDir,
            stdio: ["pipe", "pipe", "pipe"],
        });
        live.add(this);
        if (!exitHook) {
            exitHook = true;
            process.on("exit", () => {
                for (const a of live) a.child.kill("SIGKILL");
            });
        }
        this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
        this.child.stderr!.setEncoding("utf8");
        this.child.stderr!.on("data", (d: string) => {
            this.stderrTail = (this.stderrTail + d).slice(-4000);
        });
        const bootTimeoutMs = opts.bootTimeoutMs ?? 60_000;
        this.ready = new Promise<AnalyzerClient>((resolve, reject) => {
            let stdout = "";
            let settled = false;
            const fail = (why: string) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                this.child.kill("SIGKILL");
                reject(
                    new Error(`policy pack ${this.packDir} did not start: ${why}${this.tail()}`),
                );
            };
            const timer = setTimeout(
                () => fail(`no port after ${bootTimeoutMs / 1000} s`),
                bootTimeoutMs,
            );
            this.child.once("error", (e) => fail(e.message));
            this.child.once("exit", (code, signal) =>
                fail(`it exited (${signal ?? `code ${code}`}) before printing its port`),
            );
            this.child.stdout!.setEncoding("utf8");
            const onData = (d: string) => {
                stdout += d;
                const nl = stdout.indexOf("\n");
                if (nl < 0) return;
                this.child.stdout!.off("data", onData);
                // Whatever the pack prints later is drained and dropped.
                this.child.stdout!.resume();
                const line = stdout.slice(0, nl).trim();
                if (!/^\d+$/.test(line)) {
                    fail(`its first line of output is not a port: ${JSON.stringify(line)}`);
                    return;
                }
                settled = true;
                clearTimeout(timer);
                const { AnalyzerClient: Client, grpc } = rpc();
                this.client = new Client(`127.0.0.1:${line}`, grpc.credentials.createInsecure(), {
                    // As the engine and @pulumi/policy's server allow: 400 MB.
                    "grpc.max_receive_message_length": 400 * 1024 * 1024,
                    "grpc.max_send_message_length": 400 * 1024 * 1024,
                });
                resolve(this.client);
            };
            this.child.stdout!.on("data", onData);
        });
        // As the engine does first: ask for the pack's policies, here while the program still runs.
        this.ready.then(() => this.analyzerInfo()).catch(() => undefined);
        // Neither the pack nor its pipes keep this process alive; the exit hook ends the pack.
        this.child.unref();
        for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) {
            (s as unknown as { unref?: () => void }).unref?.();
        }
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    private tail(): string {
        const t = this.stderrTail.trim();
        return t ? `\n${t}` : "";
    }

    private call<Res>(method: keyof AnalyzerClient & string, request: unknown): Promise<Res> {
        return this.ready.then(
            (client) =>
                new Promise<Res>((resolve, reject) => {
                    const deadline = new Date(Date.now() + this.callTimeoutMs);
                    (client as any)[method](request, { deadline }, (err: any, res: Res) => {
                        if (!err) return resolve(res);
                        const died = this.child.exitCode !== null || this.child.signalCode !== null;
                        reject(
                            new Error(
                                `policy analyzer ${method}: ${err.details ?? err.message}${died ? this.tail() : ""}`,
                            ),
                        );
                    });
                }),
        );
    }

    /** Runs one analysis at a time: Configure sets the server's global config. */
    private exclusive<T>(fn: () => Promise<T>): Promise<T> {
        const run = this.queue.then(fn, fn);
        this.queue = run.catch(() => undefined);
        return run;
    }

    /** GetAnalyzerInfo: the pack's name, version, policies, levels and config schemas. */
    analyzerInfo(): Promise<AnalyzerInfo> {
        this.info ??= this.call<pb.AnalyzerInfo>("getAnalyzerInfo", new (rpc().Empty)()).then(
            (resp) => {
                const level = (l: pb.EnforcementLevel) => LEVEL_OF_PROTO[l];
                const initialConfig: Record<string, ResolvedPolicyConfig> = {};
                resp.getInitialconfigMap().forEach((c, k) => {
                    initialConfig[k] = {
                        enforcementLevel: level(c.getEnforcementlevel()),
                        properties: (c.getProperties()?.toJavaScript() ?? {}) as Record<
                            string,
                            unknown
                        >,
                    };
                });
                return {
                    name: resp.getName(),
                    version: resp.getVersion(),
                    initialConfig,
                    policies: resp.getPoliciesList().map((p) => {
                        const schema = resp.getSupportsconfig() ? p.getConfigschema() : undefined;
                        return {
                            name: p.getName(),
                            enforcementLevel: level(p.getEnforcementlevel()),
                            schema: schema && {
                                properties: (schema.getProperties()?.toJavaScript() ??
                                    {}) as Record<string, any>,
                                required: schema.getRequiredList(),
                            },
                        };
                    }),
                };
            },
        );
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
            const proto = rpc().pb;

            const stackReq = new proto.AnalyzerStackConfigureRequest();
            stackReq.setStack(opts.stack);
            stackReq.setProject(opts.project);
            stackReq.setOrganization("organization");
            stackReq.setDryRun(opts.preview ?? false);
            await this.call("configureStack", stackReq);

            const configReq = new proto.ConfigureAnalyzerRequest();
            const map = configReq.getPolicyconfigMap();
            for (const [policy, c] of Object.entries(config)) {
                const m = new proto.PolicyConfig();
                m.setEnforcementlevel(PROTO_OF_LEVEL[c.enforcementLevel]);
                m.setProperties(struct(c.properties));
                map.set(policy, m);
            }
            await this.call("configure", configReq);

            const view = engineView(resources, opts.preview ?? false);
            // The engine analyzes one resource at a time as it registers; sending them all at
            // once only saves round trips (the server answers them in order).
            const perResource = await Promise.all(
                view
                    .filter((r) => r.analyze)
                    .map((r) =>
                        this.call<pb.AnalyzeResponse>("analyze", analyzeRequest(r)).then((resp) =>
                            violationsOf(resp, r.urn),
                        ),
                    ),
            );
            const stack = violationsOf(
                await this.call<pb.AnalyzeResponse>("analyzeStack", stackRequest(view)),
            );
            return [...perResource.flat(), ...stack];
        });
    }

    /** Ends the pack's process (SIGTERM, then SIGKILL after 5 s) and waits for it. */
    close(): Promise<void> {
        this.closing ??= (async () => {
            this.client?.close();
            if (this.child.exitCode === null && this.child.signalCode === null) {
                this.child.kill("SIGTERM");
                const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
                await this.exited;
                clearTimeout(timer);
            }
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
