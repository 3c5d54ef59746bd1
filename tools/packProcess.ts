import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { parentPort, workerData } from "worker_threads";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { PlanResourceOptions, Violation } from "../src/report/plan";
import type {
    AnalyzerInfo,
    AnalyzerOptions,
    EnforcementLevel,
    EngineResource,
    ResolvedPolicyConfig,
} from "./analyzer";

/**
 * The policy pack's process and the engine's side of the gRPC conversation with it. Runs in a
 * worker thread of the plan (tools/packThread.js, started by tools/analyzer.ts): the plan's own
 * thread is busy for long stretches loading the SDK and running programs, and the pack's
 * answers, which need this side's event loop, would wait for those stretches to end.
 *
 * What the engine does, from pulumi/pulumi: sdk/go/common/resource/plugin/analyzer_plugin.go
 * (NewPolicyAnalyzer: the pack's plugin runs with cwd = the pack, args `<engine> .`, prints its
 * port; then ConfigureStack, GetAnalyzerInfo, Configure, Analyze, AnalyzeStack) and
 * pkg/resource/deploy/step_generator.go (what Analyze and AnalyzeStack carry).
 */

/** Messages from tools/analyzer.ts. */
export type PackRequest =
    | { id: number; op: "info" }
    | {
          id: number;
          op: "analyze";
          project: string;
          stack: string;
          preview: boolean;
          config: Record<string, Required<ResolvedPolicyConfig>>;
          resources: EngineResource[];
      }
    | { id: number; op: "close" };

/** Messages to tools/analyzer.ts: the pack's pid once spawned, then one reply per request. */
export type PackReply =
    | { event: "spawned"; pid: number | undefined }
    | { id: number; ok: true; value: unknown }
    | { id: number; ok: false; message: string };

/** pulumirpc.EnforcementLevel (analyzer.proto). */
const LEVEL_OF_PROTO: Record<number, EnforcementLevel> = {
    [pb.EnforcementLevel.ADVISORY]: "advisory",
    [pb.EnforcementLevel.MANDATORY]: "mandatory",
    [pb.EnforcementLevel.REMEDIATE]: "remediate",
    [pb.EnforcementLevel.DISABLED]: "disabled",
};
const PROTO_OF_LEVEL = Object.fromEntries(
    Object.entries(LEVEL_OF_PROTO).map(([k, v]) => [v, Number(k)]),
) as Record<EnforcementLevel, pb.EnforcementLevel>;

class PackProcess {
    private readonly child: ChildProcess;
    private readonly ready: Promise<AnalyzerClient>;
    private readonly exited: Promise<void>;
    private client?: AnalyzerClient;
    private stderrTail = "";
    private readonly callTimeoutMs: number;
    private readonly packDir: string;

    constructor(opts: AnalyzerOptions & { packDir: string }) {
        this.packDir = opts.packDir;
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
                this.client = new AnalyzerClient(
                    `127.0.0.1:${line}`,
                    grpc.credentials.createInsecure(),
                    {
                        // As the engine and @pulumi/policy's server allow: 400 MB.
                        "grpc.max_receive_message_length": 400 * 1024 * 1024,
                        "grpc.max_send_message_length": 400 * 1024 * 1024,
                    },
                );
                resolve(this.client);
            };
            this.child.stdout!.on("data", onData);
        });
        this.ready.catch(() => undefined);
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

    /** GetAnalyzerInfo: the pack's name, version, policies, levels and config schemas. */
    async info(): Promise<AnalyzerInfo> {
        const resp = await this.call<pb.AnalyzerInfo>("getAnalyzerInfo", new Empty());
        const initialConfig: Record<string, ResolvedPolicyConfig> = {};
        resp.getInitialconfigMap().forEach((c, k) => {
            initialConfig[k] = {
                enforcementLevel: LEVEL_OF_PROTO[c.getEnforcementlevel()],
                properties: (c.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
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
                    enforcementLevel: LEVEL_OF_PROTO[p.getEnforcementlevel()],
                    schema: schema && {
                        properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<
                            string,
                            any
                        >,
                        required: schema.getRequiredList(),
                    },
                };
            }),
        };
    }

    /** ConfigureStack, Configure, Analyze for each registered resource, AnalyzeStack. */
    async analyze(req: Extract<PackRequest, { op: "analyze" }>): Promise<Violation[]> {
        const stackReq = new pb.AnalyzerStackConfigureRequest();
        stackReq.setStack(req.stack);
        stackReq.setProject(req.project);
        stackReq.setOrganization("organization");
        stackReq.setDryRun(req.preview);
        await this.call("configureStack", stackReq);

        const configReq = new pb.ConfigureAnalyzerRequest();
        const map = configReq.getPolicyconfigMap();
        for (const [policy, c] of Object.entries(req.config)) {
            const m = new pb.PolicyConfig();
            m.setEnforcementlevel(PROTO_OF_LEVEL[c.enforcementLevel]);
            m.setProperties(struct(c.properties));
            map.set(policy, m);
        }
        await this.call("configure", configReq);

        // The engine analyzes one resource at a time as it registers them; sending them all at
        // once only saves round trips (the server answers them in order).
        const perResource = await Promise.all(
            req.resources
                .filter((r) => r.analyze)
                .map((r) =>
                    this.call<pb.AnalyzeResponse>("analyze", analyzeRequest(r)).then((resp) =>
                        violationsOf(resp, r.urn),
                    ),
                ),
        );
        const stack = violationsOf(
            await this.call<pb.AnalyzeResponse>("analyzeStack", stackRequest(req.resources)),
        );
        return [...perResource.flat(), ...stack];
    }

    /** Ends the pack's process (SIGTERM, then SIGKILL after 5 s) and waits for it. */
    async close(): Promise<void> {
        this.client?.close();
        if (this.child.exitCode === null && this.child.signalCode === null) {
            this.child.kill("SIGTERM");
            const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
            await this.exited;
            clearTimeout(timer);
        }
    }
}

function optionsMessage(o: PlanResourceOptions, parent: string): pb.AnalyzerResourceOptions {
    const m = new pb.AnalyzerResourceOptions();
    m.setProtect(o.protect ?? false);
    m.setIgnorechangesList(o.ignoreChanges ?? []);
    m.setDeletebeforereplacedefined(o.deleteBeforeReplace !== undefined);
    m.setDeletebeforereplace(o.deleteBeforeReplace ?? false);
    m.setAdditionalsecretoutputsList(o.additionalSecretOutputs ?? []);
    m.setAliasesList(o.aliases ?? []);
    const t = new pb.AnalyzerResourceOptions.CustomTimeouts();
    t.setCreate(o.customTimeouts?.createSeconds ?? 0);
    t.setUpdate(o.customTimeouts?.updateSeconds ?? 0);
    t.setDelete(o.customTimeouts?.deleteSeconds ?? 0);
    m.setCustomtimeouts(t);
    m.setParent(parent);
    return m;
}

/** A protobuf Struct of a JSON-like value; undefined fields are left out, as in JSON. */
const struct = (v: Record<string, unknown>) => Struct.fromJavaScript(defined(v) as any);

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
    const req = new pb.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(r.name);
    req.setProperties(struct(r.inputs));
    req.setOptions(optionsMessage(r.options, r.parent));
    return req;
}

function stackRequest(resources: EngineResource[]): pb.AnalyzeStackRequest {
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(
        resources.map((r) => {
            const m = new pb.AnalyzerResource();
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
                deps.set(key, new pb.AnalyzerPropertyDependencies().setUrnsList(urns));
            }
            return m;
        }),
    );
    return req;
}

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

// The worker's side of the conversation with tools/analyzer.ts.
if (parentPort) {
    const port = parentPort;
    const pack = new PackProcess(workerData as AnalyzerOptions & { packDir: string });
    port.postMessage({ event: "spawned", pid: pack.pid } satisfies PackReply);
    port.on("message", (req: PackRequest) => {
        const work: Promise<unknown> =
            req.op === "info"
                ? pack.info()
                : req.op === "analyze"
                  ? pack.analyze(req)
                  : pack.close();
        work.then(
            (value) => port.postMessage({ id: req.id, ok: true, value } satisfies PackReply),
            (e: Error) =>
                port.postMessage({ id: req.id, ok: false, message: e.message } satisfies PackReply),
        );
    });
}
