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

export function readPolicyConfig(path: string | undefined): PolicyConfig {
    if (!path || !fs.existsSync(path)) return {};
    return JSON.parse(fs.readFileSync(path, "utf8")) as PolicyConfig;
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
    const file = argv.find((a) => !a.startsWith("--"));
    const configIndex = argv.indexOf("--config");
    if (!file) {
        process.stderr.write(
            "usage: npm run policy -- <plan.json> [--config <policy-config.json>]\n",
        );
        return 2;
    }
    const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Plan;
    const { allPolicies } = require("../policies/rules") as { allPolicies: Policies };
    const violations = await evaluatePolicies(
        plan,
        allPolicies,
        readPolicyConfig(configIndex >= 0 ? argv[configIndex + 1] : undefined),
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
