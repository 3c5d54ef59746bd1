import * as fs from "fs";
import type {
    EnforcementLevel,
    Policies,
    PolicyResource,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { Plan, PlanResource, Violation } from "../src/report/plan";
import { displayPath, runCli, UserError } from "./cli";
import { loadPolicyConfig } from "./policyConfig";

/**
 * Evaluates CrossGuard policies against a plan file the way the Pulumi engine
 * would during a preview: resource policies see each resource's inputs, stack
 * policies see every resource with its outputs. Policy config follows the
 * CrossGuard JSON format (`{"<policy>": "mandatory" | {"enforcementLevel": ..., ...}, "all": ...}`).
 */

export type PolicyConfig = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

const isStackPolicy = (
    p: ResourceValidationPolicy | StackValidationPolicy,
): p is StackValidationPolicy =>
    "validateStack" in p && typeof (p as StackValidationPolicy).validateStack === "function";

/** Config for one policy: its schema's defaults overlaid by the user's values. */
function policyConfig(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    config: PolicyConfig,
): Record<string, unknown> {
    const defaults = Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {})
            .filter(([, schema]) => schema.default !== undefined)
            .map(([key, schema]) => [key, schema.default]),
    );
    const own = config[policy.name];
    const values = typeof own === "object" ? { ...own } : {};
    delete values.enforcementLevel;
    return { ...defaults, ...values };
}

function enforcement(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    config: PolicyConfig,
): EnforcementLevel {
    const pick = (entry: PolicyConfig[string] | undefined) =>
        typeof entry === "string" ? entry : entry?.enforcementLevel;
    return pick(config[policy.name]) ?? pick(config.all) ?? policy.enforcementLevel ?? "advisory";
}

class NotApplicable extends Error {}

// `isType`/`asType` compare against the class's type token, as CrossGuard does.
const isTypeOf = (type: string) => (cls: any) => cls?.__pulumiType === type;
const asTypeOf = (type: string, props: Record<string, unknown>) => (cls: any) =>
    cls?.__pulumiType === type ? props : undefined;

function toPolicyResource(r: PlanResource, byUrn: Map<string, PolicyResource>): PolicyResource {
    // Stack policies see what the cloud answered; the mock copies inputs to outputs.
    const props = { ...r.inputs, ...r.outputs };
    const resource: PolicyResource = {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            parent: r.parent,
        },
        dependencies: [],
        propertyDependencies: {},
        isType: isTypeOf(r.type) as PolicyResource["isType"],
        asType: asTypeOf(r.type, props) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, resource);
    return resource;
}

export async function evaluatePolicies(
    plan: Pick<Plan, "resources">,
    policies: Policies,
    config: PolicyConfig = {},
): Promise<Violation[]> {
    const violations: Violation[] = [];
    const byUrn = new Map<string, PolicyResource>();
    const stackResources = plan.resources.map((r) => toPolicyResource(r, byUrn));
    for (const r of stackResources) {
        const parent = r.opts.parent ? byUrn.get(r.opts.parent) : undefined;
        if (parent) r.parent = parent;
    }
    const notApplicable = (reason?: string): never => {
        throw new NotApplicable(reason);
    };

    for (const policy of policies) {
        const level = enforcement(policy, config);
        if (level === "disabled") continue;
        const cfg = policyConfig(policy, config);
        const report =
            (fallbackUrn?: string): ReportViolation =>
            (message, urn) =>
                violations.push({
                    policy: policy.name,
                    enforcementLevel: level,
                    urn: urn ?? fallbackUrn,
                    message,
                });

        try {
            if (isStackPolicy(policy)) {
                await policy.validateStack(
                    {
                        resources: stackResources,
                        stackTags: new Map(),
                        getConfig: <T>() => cfg as T,
                        notApplicable,
                    },
                    report(),
                );
                continue;
            }
            const validators = [policy.validateResource ?? []].flat();
            for (const r of plan.resources) {
                for (const validate of validators) {
                    try {
                        await validate(
                            {
                                type: r.type,
                                props: r.inputs,
                                urn: r.urn,
                                name: r.name,
                                opts: byUrn.get(r.urn)!.opts,
                                stackTags: new Map(),
                                isType: isTypeOf(r.type) as any,
                                asType: asTypeOf(r.type, r.inputs) as any,
                                getConfig: <T>() => cfg as T,
                                notApplicable,
                            },
                            report(r.urn),
                        );
                    } catch (e) {
                        if (!(e instanceof NotApplicable)) throw e;
                    }
                }
            }
        } catch (e) {
            if (!(e instanceof NotApplicable)) {
                throw new Error(`policy ${policy.name} failed: ${(e as Error).message}`);
            }
        }
    }
    return violations;
}

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

/** `npm run policy -- <plan.json> [--config <policy-config.json>]` */
export async function main(argv: string[]): Promise<number> {
    const usage = "usage: npm run policy -- <plan.json> [--config <policy-config.json>]";
    const configIndex = argv.indexOf("--config");
    const configFile = configIndex >= 0 ? argv[configIndex + 1] : undefined;
    if (configIndex >= 0 && (configFile === undefined || configFile.startsWith("--"))) {
        throw new UserError(`--config needs a file; ${usage}`);
    }
    const file = argv.find(
        (a, i) => !a.startsWith("--") && (configIndex < 0 || i !== configIndex + 1),
    );
    const unknown = argv.find((a) => a.startsWith("--") && a !== "--config");
    if (unknown) throw new UserError(`unknown argument ${unknown}; ${usage}`);
    if (!file) throw new UserError(usage);
    const plan = readPlanFile(file);
    const { allPolicies } = require("../policies/rules") as { allPolicies: Policies };
    const violations = await evaluatePolicies(
        plan,
        allPolicies,
        readPolicyConfig(configFile, true),
    );
    process.stdout.write(`${formatViolations(violations)}\n`);
    return hasMandatory(violations) ? 1 : 0;
}

/** A plan.json named on the command line; anything that is not one is a UserError naming the file. */
function readPlanFile(file: string): Pick<Plan, "resources"> {
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
    return value as Pick<Plan, "resources">;
}

if (require.main === module) {
    void runCli("policy", () => main(process.argv.slice(2)));
}
