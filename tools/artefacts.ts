import * as fs from "fs";
import * as path from "path";
import { BundleSource, OnPremDnsInput, renderOnPremDns } from "../src/dns/onprem";
import { renderOnPremProxy } from "../src/proxy/onpremProxy";
import { CostEstimate, estimateCost, formatCostTable, loadPrices } from "../src/report/cost";
import {
    architectureMarkdown,
    buildArchitecture,
    renderDot,
    renderSvg,
    renderSvgAsync,
} from "../src/report/diagram";
import { registrySettings } from "../src/ecr/registryWide";
import type { Plan } from "../src/report/plan";
import { formatViolations } from "./policy";
import { Worker } from "worker_threads";
import { accessMarkdown, computeAccess } from "./access";
import type { AccessReply, AccessRequest } from "./accessWorker";

/**
 * Everything the plan writes next to plan.json, all derived from the plan:
 * summary.md (resources, cost estimate, outputs, policy), architecture.md
 * (Mermaid) and .svg (Graphviz, when installed), and onprem-dns/ (the records
 * for the data centre's DNS) and onprem-proxy/ (seed 003's SNI proxy) when the
 * stack exports them; both with the mock cloud's example endpoint names.
 */
export function writeArtefacts(
    plan: Plan,
    dir: string,
    options: { deferSvg?: boolean } = {},
): { files: string[]; cost: CostEstimate; svgWritten?: Promise<void> } {
    fs.mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const write = (rel: string, content: string) => {
        const file = path.join(dir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
        files.push(file);
    };
    const region = stackRegion(plan);
    const cost = estimate(plan);
    write("plan.json", `${JSON.stringify(plan, null, 2)}\n`);
    write("summary.md", `${summary(plan, cost)}\n`);
    // One model for both pictures.
    const arch = buildArchitecture(plan, { region });
    write("architecture.md", architectureMarkdown(plan, { region }, arch));
    const dot = renderDot(plan, { region }, arch);
    // `npm start` lets Graphviz draw while it plans the next stack; `npm run plan` waits.
    let svgWritten: Promise<void> | undefined;
    if (options.deferSvg) {
        svgWritten = renderSvgAsync(dot).then((svg) => {
            if (svg) write("architecture.svg", svg);
        });
    } else {
        const svg = renderSvg(dot);
        if (svg) write("architecture.svg", svg);
    }

    const onPrem = plan.outputs.onPremDns as OnPremDnsInput | undefined;
    for (const sub of ["onprem-dns", "onprem-proxy"])
        fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
    if (onPrem) {
        for (const f of renderHandOff(plan.outputs, { kind: "plan", stack: plan.stack }))
            write(f.path, f.content);
    }
    return { files, cost, svgWritten };
}

/**
 * The data centre hand-off from a stack's outputs (the plan's, or
 * `pulumi stack output --json` of a deployed stack): `onprem-dns/` and, when
 * the records are there, `onprem-proxy/`. Paths are relative to the stack's
 * output directory; the caller clears both directories before writing them.
 */
export function renderHandOff(
    outputs: Record<string, unknown>,
    source: BundleSource,
): { path: string; content: string }[] {
    const onPrem = outputs.onPremDns as OnPremDnsInput;
    const files = renderOnPremDns(onPrem, { source }).map((f) => ({
        path: path.join("onprem-dns", f.path),
        content: f.content,
    }));
    if (onPrem.records) {
        // A hosts file has no wildcards: one line per registry the stack knows of.
        const accounts = [outputs.accountId, outputs.registryId, outputs.vendorImage]
            .map((v) => /^(\d{12})(?:\.|$)/.exec(String(v ?? ""))?.[1])
            .filter((a): a is string => a !== undefined);
        for (const f of renderOnPremProxy(
            { region: onPrem.region, records: onPrem.records },
            { accounts, source },
        ))
            files.push({ path: path.join("onprem-proxy", f.path), content: f.content });
    }
    return files;
}

/**
 * Writes `access.md`, the access matrix decided by the IAM evaluator (tools/access.ts), and
 * returns the principals it could not evaluate. `related` are other stacks' plans (the vendor's
 * for the customer): their repositories in this stack's region are columns too. Rows that
 * cannot be evaluated (an AWS managed policy attached) are marked in the file, printed on
 * stderr and returned, never shown as "no access".
 */
export async function writeAccessMatrix(
    plan: Plan,
    dir: string,
    related: Plan[] = [],
): Promise<{ file: string; errors: AccessErrors }> {
    const matrix = await computeAccess(plan, related);
    return saveAccess(plan.stack, dir, accessMarkdown(matrix), matrix.errors);
}

type AccessErrors = { principal: string; message: string }[];

function saveAccess(
    stack: string,
    dir: string,
    markdown: string,
    errors: AccessErrors,
): { file: string; errors: AccessErrors } {
    const file = path.join(dir, "access.md");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, markdown);
    for (const e of errors) {
        process.stderr.write(
            `${stack}: access matrix: ${e.principal} not evaluated: ${e.message}\n`,
        );
    }
    return { file, errors };
}

/**
 * `writeAccessMatrix` for several stacks in a row (`npm start`), on a worker thread, so that
 * each matrix is computed while the main thread plans the next stack. The thread keeps each
 * plan it is sent, so a stack names the earlier stacks it reads instead of sending them again.
 */
export class AccessMatrices {
    private readonly worker: Worker;
    private readonly waiting = new Map<number, (reply: AccessReply) => void>();
    private readonly results: Promise<{ file: string; errors: AccessErrors }>[] = [];
    private failure?: Error;

    constructor() {
        this.worker = new Worker(path.join(__dirname, "accessWorker.ts"), {
            execArgv: ["-r", path.join(__dirname, "register.js")],
        });
        this.worker.on("message", (reply: AccessReply) => {
            this.waiting.get(reply.id)?.(reply);
            this.waiting.delete(reply.id);
        });
        const fail = (e: Error) => {
            this.failure ??= e;
            for (const [id, settle] of this.waiting) settle({ id, failure: e.stack ?? e.message });
            this.waiting.clear();
        };
        this.worker.on("error", fail);
        this.worker.on("exit", (code) =>
            fail(new Error(`the access matrix thread exited (${code})`)),
        );
    }

    /**
     * Starts the matrix of `plan`, given the plans of `related` stacks written before it
     * (those it references: the vendor's for a customer); `done()` waits for it.
     */
    write(plan: Plan, dir: string, related: string[] = []): void {
        const id = this.results.length;
        const reply = new Promise<AccessReply>((resolve) => {
            if (this.failure) resolve({ id, failure: this.failure.message });
            else this.waiting.set(id, resolve);
        });
        this.worker.postMessage({ id, plan, related } satisfies AccessRequest);
        const saved = reply.then((r) => {
            if ("failure" in r) throw new Error(`access matrix of ${plan.stack}: ${r.failure}`);
            return saveAccess(plan.stack, dir, r.markdown, r.errors);
        });
        saved.catch(() => undefined); // surfaced by done(), not as an unhandled rejection
        this.results.push(saved);
    }

    /** Waits for every matrix written so far, stops the thread, and rethrows any failure. */
    async done(): Promise<{ file: string; errors: AccessErrors }[]> {
        try {
            return await Promise.all(this.results);
        } finally {
            await this.worker.terminate();
        }
    }
}

function stackRegion(plan: Plan): string {
    const region = plan.outputs.region;
    if (typeof region !== "string") throw new Error(`stack ${plan.stack} exports no region output`);
    return region;
}

export function estimate(plan: Plan): CostEstimate {
    return estimateCost(plan, { region: stackRegion(plan), prices: loadPrices() });
}

/** Resource counts by type token, largest first. */
export function countByType(plan: Plan): [string, number][] {
    const counts = new Map<string, number>();
    for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * What the stack owns registry-wide (one per account and region): `pulumi up`
 * replaces what was set outside the stack, `pulumi destroy` removes it.
 */
function registrySettingsSection(plan: Plan): string {
    const settings = registrySettings(plan);
    if (settings.length === 0)
        return "### Registry-wide settings\n\nnone: this stack owns no setting of a whole registry";
    return [
        "### Registry-wide settings",
        "",
        "This stack owns these settings of a whole registry: `pulumi up` replaces whatever was set outside it, and `pulumi destroy` removes them. Only one stack per registry may declare each.",
        "",
        ...settings.map(
            (s) => `- ${s.label} of registry ${s.account}/${s.region} (\`${s.configKey}\`)`,
        ),
    ].join("\n");
}

/** Objects and arrays of the outputs with more entries than this are abridged in summary.md. */
export const SUMMARY_OUTPUT_ENTRIES = 12;
/** Entries an abridged object or array keeps. */
const SUMMARY_OUTPUT_SHOWN = 3;

/**
 * The outputs as summary.md shows them: an object or array inside them with more than
 * SUMMARY_OUTPUT_ENTRIES entries (the `repositories` output of 4,000 repositories) keeps its first
 * SUMMARY_OUTPUT_SHOWN and a `"…"` entry saying how many more plan.json holds. `abridged` names
 * each one (`outputs.repositories: 3 of 4000`).
 */
export function abridgeOutputs(
    value: unknown,
    at = "outputs",
): { value: unknown; abridged: string[] } {
    const abridged: string[] = [];
    const walk = (v: unknown, where: string): unknown => {
        if (Array.isArray(v)) {
            const kept = v.slice(
                0,
                v.length > SUMMARY_OUTPUT_ENTRIES ? SUMMARY_OUTPUT_SHOWN : v.length,
            );
            const out = kept.map((x, i) => walk(x, `${where}[${i}]`));
            if (kept.length < v.length) {
                abridged.push(`${where}: ${kept.length} of ${v.length}`);
                out.push(`… ${v.length - kept.length} more in plan.json`);
            }
            return out;
        }
        if (typeof v !== "object" || v === null) return v;
        const entries = Object.entries(v);
        // The outputs themselves are as many as the program exports: never abridged.
        const kept =
            entries.length > SUMMARY_OUTPUT_ENTRIES && where !== at
                ? entries.slice(0, SUMMARY_OUTPUT_SHOWN)
                : entries;
        const out: Record<string, unknown> = {};
        for (const [k, x] of kept) {
            out[k] = walk(
                x,
                /^[A-Za-z_$][\w$]*$/.test(k) ? `${where}.${k}` : `${where}[${JSON.stringify(k)}]`,
            );
        }
        if (kept.length < entries.length) {
            abridged.push(`${where}: ${kept.length} of ${entries.length}`);
            out["…"] = `${entries.length - kept.length} more in plan.json`;
        }
        return out;
    };
    return { value: walk(value, at), abridged };
}

export function summary(plan: Plan, cost = estimate(plan)): string {
    const outputs = abridgeOutputs(plan.outputs);
    return [
        `## Stack \`${plan.stack}\`: ${plan.resources.length} resources`,
        "",
        "| type | count |",
        "|---|---:|",
        ...countByType(plan).map(([type, n]) => `| \`${type}\` | ${n} |`),
        "",
        formatCostTable(cost),
        "",
        registrySettingsSection(plan),
        "",
        "### Outputs",
        "",
        ...(outputs.abridged.length > 0
            ? [`Abridged here, complete in plan.json: ${outputs.abridged.join("; ")} entries.`, ""]
            : []),
        "```json",
        JSON.stringify(outputs.value, null, 2),
        "```",
        "",
        "### Policy",
        "",
        formatViolations(plan.violations),
    ].join("\n");
}
