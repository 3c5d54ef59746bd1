import * as fs from "fs";
import type { Plan, Violation } from "../src/report/plan";
import { PolicyConfig, PolicyConfigError, withAnalyzer } from "./analyzer";

/**
 * `npm run policy`: judges any plan file with the policy pack's own analyzer (tools/analyzer.ts),
 * as `pulumi preview --policy-pack policies` would. Policy config follows the CrossGuard JSON
 * format (`{"<policy>": "mandatory" | {"enforcementLevel": ..., ...}, "all": ...}`).
 */

export type { PolicyConfig } from "./analyzer";

export const hasMandatory = (violations: Violation[]) =>
    violations.some((v) => v.enforcementLevel === "mandatory");

export function readPolicyConfig(path: string | undefined): PolicyConfig {
    if (!path || !fs.existsSync(path)) return {};
    try {
        return JSON.parse(fs.readFileSync(path, "utf8")) as PolicyConfig;
    } catch (e) {
        throw new PolicyConfigError(`${path}: not JSON: ${(e as Error).message}`);
    }
}

export function formatViolations(violations: Violation[]): string {
    if (violations.length === 0) return "no policy violations";
    return violations
        .map(
            (v) =>
                `[${v.enforcementLevel}] ${v.policy}: ${v.message}${v.urn ? `\n    ${v.urn}` : ""}`,
        )
        .join("\n");
}

/** `npm run policy -- <plan.json> [--config <policy-config.json>] [--preview]` */
export async function main(argv: string[]): Promise<number> {
    const configIndex = argv.findIndex((a) => a === "--config" || a === "--policy-config");
    const configFile = configIndex >= 0 ? argv[configIndex + 1] : undefined;
    const file = argv.find(
        (a, i) => !a.startsWith("--") && (configIndex < 0 || i !== configIndex + 1),
    );
    if (!file) {
        process.stderr.write(
            "usage: npm run policy -- <plan.json> [--config <policy-config.json>] [--preview]\n",
        );
        return 2;
    }
    if (configFile !== undefined && !fs.existsSync(configFile)) {
        process.stderr.write(`no policy config file ${configFile}\n`);
        return 2;
    }
    const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Plan;
    const violations = await withAnalyzer((analyzer) =>
        analyzer.analyze(plan.resources, {
            project: plan.project,
            stack: plan.stack,
            preview: argv.includes("--preview"),
            policyConfig: readPolicyConfig(configFile),
            configSource: configFile,
        }),
    );
    process.stdout.write(`${formatViolations(violations)}\n`);
    return hasMandatory(violations) ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`${(e as Error).message}\n`);
            process.exit(2);
        },
    );
}
