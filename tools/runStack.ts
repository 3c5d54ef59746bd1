import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { mockCloud, MockCloudExtras } from "./mockCloud";
import { tunePlanProcess } from "./planProcess";
import type { PlanResource, PlanResourceOptions } from "../src/report/plan";

/**
 * Runs the real Pulumi program in-process under the mock runtime and records
 * every registered resource with its parent and the inputs exactly as the
 * engine would send them to the provider.
 */

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Registration {
    urn: string;
    type: string;
    name: string;
    parent: string;
    custom: boolean;
    read: boolean;
    inputs: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    options?: PlanResourceOptions;
}

let recorder: Registration[] | undefined;

// The mock monitor hands `newResource` neither the parent nor the URN, and it
// unwraps secrets. Observe the raw requests instead, once per process: new
// resources (registerResource) and reads such as StackReference (readResource).
function observe(method: "registerResource" | "readResource", inputsOf: (req: any) => any) {
    const original = (MockMonitor.prototype as any)[method];
    (MockMonitor.prototype as any)[method] = function (this: MockMonitor, req: any, callback: any) {
        const wrapped = (err: any, resp: any) => {
            if (!err && recorder) {
                const read = method === "readResource";
                recorder.push({
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent(),
                    custom: read || req.getCustom(),
                    read,
                    inputs: plain(inputsOf(req)?.toJavaScript() ?? {}) as Record<string, unknown>,
                    dependencies: req.getDependenciesList(),
                    propertyDependencies: read ? {} : propertyDependenciesOf(req),
                    options: read ? undefined : optionsOf(req),
                });
            }
            callback(err, resp);
        };
        return original.call(this, req, wrapped);
    };
}
observe("registerResource", (req) => req.getObject());
observe("readResource", (req) => req.getProperties());
// The SDK's per-resource work the plan never uses, and a bounded heap (tools/planProcess.ts).
tunePlanProcess();

/** What the SDK told the engine each input depends on; inputs that depend on nothing are left out. */
function propertyDependenciesOf(req: any): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const map = req.getPropertydependenciesMap();
    for (const key of [...map.keys()].sort()) {
        const urns: string[] = map.get(key).getUrnsList();
        if (urns.length > 0) out[key] = urns;
    }
    return out;
}

/**
 * The resource options the engine hands the policy analyzer (AnalyzerResourceOptions), only
 * those set away from their default. Custom timeouts arrive as Go durations ("5m", "1h30m").
 */
function optionsOf(req: any): PlanResourceOptions | undefined {
    const o: PlanResourceOptions = {};
    if (req.getProtect()) o.protect = true;
    if (req.getIgnorechangesList().length > 0) o.ignoreChanges = req.getIgnorechangesList();
    if (req.getDeletebeforereplacedefined()) o.deleteBeforeReplace = req.getDeletebeforereplace();
    if (req.getAdditionalsecretoutputsList().length > 0) {
        o.additionalSecretOutputs = req.getAdditionalsecretoutputsList();
    }
    // Aliases given as URNs; alias specs (name/type/parent) would need the engine to resolve them.
    const aliases: string[] = [
        ...req.getAliasurnsList(),
        ...req
            .getAliasesList()
            .map((a: any) => a.getUrn())
            .filter(Boolean),
    ];
    if (aliases.length > 0) o.aliases = aliases;
    const t = req.getCustomtimeouts();
    if (t) {
        const timeouts = {
            createSeconds: durationSeconds(t.getCreate()),
            updateSeconds: durationSeconds(t.getUpdate()),
            deleteSeconds: durationSeconds(t.getDelete()),
        };
        if (Object.values(timeouts).some((v) => v > 0)) o.customTimeouts = timeouts;
    }
    return Object.keys(o).length > 0 ? o : undefined;
}

/** A Go duration string ("1h2m3.5s", "250ms") in seconds; "" is 0. */
export function durationSeconds(d: string): number {
    const unit: Record<string, number> = {
        h: 3600,
        m: 60,
        s: 1,
        ms: 1e-3,
        us: 1e-6,
        µs: 1e-6,
        ns: 1e-9,
    };
    let total = 0;
    for (const [, n, u] of d.matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) total += Number(n) * unit[u];
    return total;
}

/** Turns the wire form into plain JSON: secrets become "[secret]", unknowns "[unknown]". */
export function plain(value: unknown): unknown {
    if (value === UNKNOWN) return "[unknown]";
    if (Array.isArray(value)) return value.map(plain);
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SIG] === SECRET_SIG) return "[secret]";
        if (obj[SIG] === RESOURCE_SIG) return obj.urn;
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

export interface RunStackOptions {
    project: string;
    stack: string;
    account: string;
    region: string;
    /** Full config map (`project:key` -> string; objects JSON-encoded). */
    config: Record<string, string>;
    secretKeys?: string[];
    /** Outputs of the stacks this one references. */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /** What the mock cloud answers beyond the defaults (zones, image contexts, ...). */
    mock?: MockCloudExtras;
    /**
     * Absolute path of the program's entry module (its exports become the
     * stack outputs), or a function that builds resources and returns outputs.
     */
    program: string | (() => unknown);
}

export interface StackRun {
    resources: PlanResource[];
    outputs: Record<string, unknown>;
}

export async function runStack(opts: RunStackOptions): Promise<StackRun> {
    const records: Registration[] = [];
    recorder = records;
    try {
        await pulumi.runtime.setMocks(
            mockCloud({
                account: opts.account,
                region: opts.region,
                stack: opts.stack,
                stackOutputs: opts.stackOutputs,
                ...opts.mock,
                projectDir:
                    opts.mock?.projectDir ??
                    (typeof opts.program === "string" ? path.dirname(opts.program) : undefined),
            }),
            opts.project,
            opts.stack,
            false,
        );
        pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
        const program = opts.program;
        if (typeof program === "string") {
            forgetProgram(program);
        }
        // An error thrown inside an `apply` that feeds a resource input never
        // reaches the stack's outputs: under mocks it surfaces only as an
        // unhandled rejection, the resource silently goes missing and whatever
        // waits on it hangs. A real `pulumi up` fails; so does the plan.
        await failOnUnhandledRejection(async () => {
            await pulumi.runtime.runInPulumiStack(async () =>
                typeof program === "string" ? require(program) : ((await program()) ?? {}),
            );
            await waitForRpcs();
            // Rejections are reported a turn after they happen.
            await new Promise((resolve) => setImmediate(resolve));
        });

        const monitor = (pulumi.runtime as any).getMonitor() as MockMonitor;
        const registered = monitor.getRegisteredResources() as Map<
            string,
            { id: string | null; state: any }
        >;
        const resources: PlanResource[] = [];
        let outputs: Record<string, unknown> = {};
        for (const r of records) {
            const state = registered.get(r.urn);
            if (r.type === "pulumi:pulumi:Stack") {
                outputs = (plain(toJs(state?.state)) ?? {}) as Record<string, unknown>;
                continue;
            }
            resources.push({
                urn: r.urn,
                id: state?.id ?? "",
                type: r.type,
                name: r.name,
                parent: r.parent || undefined,
                ...(r.read ? { read: true as const } : {}),
                inputs: r.inputs,
                outputs: r.custom
                    ? ((plain(toJs(state?.state)) ?? {}) as Record<string, unknown>)
                    : {},
                dependencies: r.dependencies,
                propertyDependencies: r.propertyDependencies,
                ...(r.options ? { options: r.options } : {}),
            });
        }
        return { resources, outputs };
    } finally {
        recorder = undefined;
    }
}

async function failOnUnhandledRejection(body: () => Promise<void>): Promise<void> {
    let onRejection: (reason: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
        onRejection = (reason: unknown) => reject(programError(reason));
    });
    process.on("unhandledRejection", onRejection);
    try {
        await Promise.race([body(), failed]);
    } catch (e) {
        // The failed run's resources stay pending forever; the failure is
        // reported, so drop them rather than have Pulumi's exit hook report
        // them as leaked promises (and fail the process) later.
        require("@pulumi/pulumi/runtime/debuggable").leakedPromises();
        throw e;
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

/** Keeps a config error recognisable (exit 2) when Pulumi wraps it while serializing an input. */
function programError(reason: unknown): Error {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    if (error.message.includes("invalid stack configuration:")) {
        const wrapped = new Error(
            error.message.slice(error.message.indexOf("invalid stack configuration:")),
        );
        wrapped.name = "ConfigError";
        return wrapped;
    }
    return error;
}

function toJs(state: any): unknown {
    return state && typeof state.toJavaScript === "function" ? state.toJavaScript() : state;
}

async function waitForRpcs(): Promise<void> {
    // Resources registered from outputs settle after the stack's own outputs.
    const settings = require("@pulumi/pulumi/runtime/settings");
    await settings.waitForRPCs();
}

/**
 * Drops the entry module so the next stack runs it afresh. Only the entry
 * module has top-level effects; components and config are plain modules.
 */
function forgetProgram(program: string): void {
    delete require.cache[require.resolve(program)];
}
