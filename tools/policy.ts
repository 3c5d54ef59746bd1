import * as fs from "fs";
import type { Plan, PlanResource, Violation } from "../src/report/plan";
import { PolicyConfig, withAnalyzer } from "./analyzer";
import { displayPath, runCli, UserError } from "./cli";
import { loadPolicyConfig } from "./policyConfig";

/**
 * `npm run policy`: judges any plan file with the policy pack's own analyzer (tools/analyzer.ts),
 * as `pulumi preview --policy-pack policies` would. Policy config follows the CrossGuard JSON
 * format (`{"<policy>": "mandatory" | {"enforcementLevel": ..., ...}, "all": ...}`).
 */

export type { PolicyConfig } from "./analyzer";

export const hasMandatory = (violations: Violation[]) =>
    violations.some((v) => v.enforcementLevel === "mandatory");

/**
 * Reads a CrossGuard policy config file, checked against the pack (tools/policyConfig.ts).
 * A missing file is `{}` unless `required`; a broken one is a UserError (exit 2) naming file and key.
 */
export function readPolicyConfig(path: string | undefined, required = false): PolicyConfig {
    if (!path) return {};
    return loadPolicyConfig(path, required) as PolicyConfig;
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

const USAGE = "usage: npm run policy -- <plan.json> [--config <policy-config.json>] [--preview]";

/** `npm run policy -- <plan.json> [--config <policy-config.json>] [--preview]` */
export async function main(argv: string[]): Promise<number> {
    const configIndex = argv.findIndex((a) => a === "--config" || a === "--policy-config");
    const configFile = configIndex >= 0 ? argv[configIndex + 1] : undefined;
    if (configIndex >= 0 && (configFile === undefined || configFile.startsWith("--"))) {
        throw new UserError(`${argv[configIndex]} needs a file; ${USAGE}`);
    }
    const file = argv.find(
        (a, i) => !a.startsWith("--") && (configIndex < 0 || i !== configIndex + 1),
    );
    const unknown = argv.find(
        (a) => a.startsWith("--") && !["--config", "--policy-config", "--preview"].includes(a),
    );
    if (unknown) throw new UserError(`unknown argument ${unknown}; ${USAGE}`);
    if (!file) throw new UserError(USAGE);
    const plan = readPlanFile(file);
    const violations = await withAnalyzer((analyzer) =>
        analyzer.analyze(plan.resources, {
            project: plan.project ?? "ecr-private-access",
            stack: plan.stack ?? "plan",
            preview: argv.includes("--preview"),
            policyConfig: readPolicyConfig(configFile, true),
            configSource: configFile,
        }),
    );
    process.stdout.write(`${formatViolations(violations)}\n`);
    return hasMandatory(violations) ? 1 : 0;
}

/** A plan.json named on the command line; anything that is not one is a UserError naming the file. */
function readPlanFile(file: string): Pick<Plan, "resources"> & Partial<Plan> {
    let value: unknown;
    try {
        value = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(
            `${displayPath(file)}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `not valid JSON (${(e as Error).message})`}; give a plan.json written by npm run plan`,
        );
    }
    const resources = (value as { resources?: unknown } | null)?.resources;
    if (
        !Array.isArray(resources) ||
        !resources.every(
            (r) =>
                r !== null &&
                typeof r === "object" &&
                typeof (r as PlanResource).urn === "string" &&
                typeof (r as PlanResource).type === "string" &&
                typeof (r as PlanResource).inputs === "object",
        )
    ) {
        throw new UserError(
            `${displayPath(file)}: not a plan: plan.json has "resources": [{ "urn", "type", "name", "inputs", "outputs", ... }] (write one with npm run plan)`,
        );
    }
    return value as Pick<Plan, "resources"> & Partial<Plan>;
}

if (require.main === module) {
    void runCli("policy", () => main(process.argv.slice(2)));
}
