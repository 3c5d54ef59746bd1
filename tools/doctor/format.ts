import { DoctorResult } from "./types";

const LABEL = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "SKIP" } as const;

/** Human-readable report: one line per step, details indented, a hint line for warnings and failures. */
export function formatText(result: DoctorResult): string {
    const width = Math.max(...result.steps.map((s) => s.id.length), 4);
    const lines = [`doctor: registry ${result.registry}`];
    for (const s of result.steps) {
        lines.push(`${LABEL[s.status]}  ${s.id.padEnd(width)}  ${s.summary}`);
        if (s.status === "pass" || s.status === "skip") continue;
        for (const d of s.details) lines.push(`      ${"".padEnd(width)}  ${d}`);
        if (s.hint) lines.push(`      ${"".padEnd(width)}  fix: ${s.hint}`);
    }
    const counts = (["pass", "warn", "fail", "skip"] as const)
        .map((k) => `${result.steps.filter((s) => s.status === k).length} ${k}`)
        .join(", ");
    lines.push(`${result.ok ? "OK" : "FAILED"}: ${counts}`);
    return `${lines.join("\n")}\n`;
}

export function formatJson(result: DoctorResult): string {
    return `${JSON.stringify(result, null, 2)}\n`;
}
