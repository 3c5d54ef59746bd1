import * as fs from "fs";
import * as path from "path";
import { OnPremDnsInput, renderOnPremDns } from "../src/dns/onprem";
import { CostEstimate, estimateCost, formatCostTable, loadPrices } from "../src/report/cost";
import {
    architectureMarkdown,
    buildArchitecture,
    renderDot,
    renderSvg,
} from "../src/report/diagram";
import type { Plan } from "../src/report/plan";
import { formatViolations } from "./policy";

/**
 * Everything the plan writes next to plan.json, all derived from the plan:
 * summary.md (resources, cost estimate, outputs, policy), architecture.md
 * (Mermaid) and .svg (Graphviz, when installed), and onprem-dns/ (the records
 * for the data centre's DNS) when the stack exports them.
 */
export function writeArtefacts(plan: Plan, dir: string): { files: string[]; cost: CostEstimate } {
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
    const svg = renderSvg(renderDot(plan, { region }, arch));
    if (svg) write("architecture.svg", svg);

    const onPrem = plan.outputs.onPremDns as OnPremDnsInput | undefined;
    if (onPrem) {
        fs.rmSync(path.join(dir, "onprem-dns"), { recursive: true, force: true });
        for (const f of renderOnPremDns(onPrem)) write(path.join("onprem-dns", f.path), f.content);
    }
    return { files, cost };
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

export function summary(plan: Plan, cost = estimate(plan)): string {
    return [
        `## Stack \`${plan.stack}\`: ${plan.resources.length} resources`,
        "",
        "| type | count |",
        "|---|---:|",
        ...countByType(plan).map(([type, n]) => `| \`${type}\` | ${n} |`),
        "",
        formatCostTable(cost),
        "",
        "### Outputs",
        "",
        "```json",
        JSON.stringify(plan.outputs, null, 2),
        "```",
        "",
        "### Policy",
        "",
        formatViolations(plan.violations),
    ].join("\n");
}
