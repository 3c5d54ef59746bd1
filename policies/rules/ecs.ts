// ECS: secrets stay out of plain environment values, tasks stay private, clusters are observable.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, configOf, containsUnknown, forType, isUnknown } from "./util";

export interface PlaintextSecretsConfig {
    /** Case-insensitive regular expression for environment variable names that look like secrets. */
    secretNamePattern: string;
    /** Names that match the pattern but are known not to hold secrets. */
    allowedNames: string[];
}
export const plaintextSecretsDefaults: PlaintextSecretsConfig = {
    secretNamePattern:
        "^(?:.*_)?(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|PASSPHRASE|CREDENTIALS?|AUTH)$",
    allowedNames: [],
};

export const ecsNoPlaintextSecrets: ResourceValidationPolicy = {
    name: "ecs-no-plaintext-secrets",
    description:
        "ECS task definitions must not set secret-looking environment variables (API_KEY, *_TOKEN, *_PASSWORD, *_SECRET, *_KEY...) as plain values; use `secrets` with Secrets Manager or SSM (Trivy aws-ecs-no-plaintext-secrets, cdk-nag AwsSolutions-ECS2).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            secretNamePattern: {
                type: "string",
                default: plaintextSecretsDefaults.secretNamePattern,
                description:
                    "Case-insensitive regular expression for secret-looking variable names.",
            },
            allowedNames: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Variable names that match the pattern but hold no secret.",
            },
        },
    },
    validateResource: forType(TYPES.taskDefinition, (props, args, report) => {
        const cfg = configOf(args, plaintextSecretsDefaults);
        const raw = props["containerDefinitions"];
        if (raw === undefined || isUnknown(raw) || containsUnknown(raw)) return;
        let defs: unknown = raw;
        if (typeof raw === "string") {
            try {
                defs = JSON.parse(raw);
            } catch {
                report("ECS task definition containerDefinitions is not valid JSON.");
                return;
            }
        }
        if (!Array.isArray(defs)) return;
        const pattern = new RegExp(cfg.secretNamePattern, "i");
        for (const c of defs) {
            if (!c || typeof c !== "object" || !Array.isArray(c.environment)) continue;
            for (const env of c.environment) {
                const name = env && typeof env === "object" ? env.name : undefined;
                if (
                    typeof name !== "string" ||
                    !pattern.test(name) ||
                    cfg.allowedNames.includes(name)
                )
                    continue;
                report(
                    `Container "${String(c.name)}" sets environment variable "${name}" as a plain value; pass it through \`secrets\` (Secrets Manager or SSM valueFrom) instead (Trivy aws-ecs-no-plaintext-secrets, cdk-nag AwsSolutions-ECS2).`,
                );
            }
        }
    }),
};

export interface PublicIpConfig {
    /** Service names (Pulumi resource names or the `name` input) allowed to assign public IPs. */
    allowedServiceNames: string[];
}
export const publicIpDefaults: PublicIpConfig = { allowedServiceNames: [] };

export const ecsServiceNoPublicIp: ResourceValidationPolicy = {
    name: "ecs-service-no-public-ip",
    description:
        "ECS services (Fargate, awsvpc) must not assign public IPs to their tasks; tasks run in private subnets and pull through the VPC endpoints (Checkov CKV_AWS_333).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedServiceNames: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Services allowed to assign public IPs.",
            },
        },
    },
    validateResource: forType(TYPES.service, (props, args, report) => {
        const cfg = configOf(args, publicIpDefaults);
        const net = props["networkConfiguration"];
        if (!net || typeof net !== "object") return;
        if (net["assignPublicIp"] !== true) return;
        const names = [args.name, props["name"]].filter((n) => typeof n === "string");
        if (names.some((n) => cfg.allowedServiceNames.includes(n))) return;
        report(
            "ECS service sets networkConfiguration.assignPublicIp to true; run tasks in private subnets without public IPs (CKV_AWS_333).",
        );
    }),
};

export const ecsContainerInsights: ResourceValidationPolicy = {
    name: "ecs-container-insights",
    description:
        "ECS clusters must turn on Container Insights (setting containerInsights = enabled or enhanced) (Checkov CKV_AWS_65).",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.cluster, (props, _args, report) => {
        const settings = props["settings"];
        if (settings !== undefined && isUnknown(settings)) return;
        const list: any[] = Array.isArray(settings) ? settings : [];
        const ci = list.find((s) => s && typeof s === "object" && s.name === "containerInsights");
        if (ci && isUnknown(ci.value)) return;
        if (ci && (ci.value === "enabled" || ci.value === "enhanced")) return;
        report(
            `ECS cluster must set containerInsights to "enabled" or "enhanced" (is ${ci ? `"${String(ci.value)}"` : "unset"}) (CKV_AWS_65).`,
        );
    }),
};

export const ecsPolicies = [ecsNoPlaintextSecrets, ecsServiceNoPublicIp, ecsContainerInsights];
