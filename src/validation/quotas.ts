import { z } from "zod";
import type { ConfigIssue, StackConfig } from "../config";
import { lifecyclePolicyDocument } from "../ecr/policies";
import { cacheFillResources } from "../ecr/pullThroughCacheConfig";
import { ecrEndpointPolicy, s3GatewayPolicy } from "../endpoints/policies";
import { didYouMean } from "./suggest";

/**
 * AWS quotas a stack's plan can be checked against before `pulumi up`. Every
 * check counts what this stack itself would create (the plan cannot see what
 * else an account already holds), so a green plan means the stack alone fits.
 *
 * Adjustable quotas can be overridden in the `ecr-private-access:quotas`
 * config block, with the value the account's Service Quotas console shows
 * ("applied quota value"); fixed limits cannot. To add a quota: add an entry
 * here (the config block's schema, its docs check and the README table follow
 * it), count what the stack creates where the config is checked, and call
 * `exceeds` with the config key that drives the count.
 */

export interface QuotaDefinition {
    /** AWS's name for the quota, as Service Quotas and the docs show it. */
    name: string;
    default: number;
    /** Raised through Service Quotas (or AWS Support): the `quotas` block accepts a value. */
    adjustable: boolean;
    /** Highest value AWS allows the quota to be raised to, when documented. */
    max?: number;
    /** Service Quotas code, for the console link in messages. */
    code?: string;
    /** Where the figure comes from. */
    source: string;
    /** What the stack counts against it. */
    counts: string;
}

export const QUOTAS = {
    securityGroupRulesPerGroup: {
        name: "Inbound or outbound rules per security group",
        default: 60,
        adjustable: true,
        // "This quota multiplied by the quota for security groups per network
        // interface cannot exceed 1,000": with one group per interface, 1,000.
        max: 1000,
        code: "L-0EA8095F",
        source: "Amazon VPC User Guide, Amazon VPC quotas (security groups); enforced separately for IPv4 and IPv6 rules and for inbound and outbound",
        counts: "IPv4 inbound rules of the endpoints' security group (the VPC, each on-premises CIDR, idc.cidr) and of the Resolver endpoint's group (UDP and TCP per CIDR)",
    },
    interfaceEndpointsPerVpc: {
        name: "Interface and Gateway Load Balancer endpoints per VPC",
        default: 50,
        adjustable: true,
        source: "Amazon VPC User Guide, Amazon VPC quotas (VPC endpoints); raised through AWS Support",
        counts: "interface endpoints in the stack's VPC (ecr.api, ecr.dkr, the optional and derived services, the S3 interface endpoint)",
    },
    vpcAssociationsPerPrivateHostedZone: {
        name: "Amazon VPCs that you can associate with a private hosted zone",
        default: 300,
        adjustable: true,
        source: "Amazon Route 53 Developer Guide, Quotas on hosted zones (older versions of the guide: 100)",
        counts: "VPCs each ECR private hosted zone is associated with (the simulated IDC's VPC)",
    },
    repositoriesPerRegistry: {
        name: "Registered repositories",
        default: 100_000,
        adjustable: true,
        code: "L-CFEB8E8D",
        source: "Amazon ECR User Guide, Amazon ECR service quotas",
        counts: "repositories.names (in the home region, and again in each replication region)",
    },
    endpointPolicyLength: {
        name: "VPC endpoint policy size (characters, white space included)",
        default: 20_480,
        adjustable: false,
        source: "Amazon VPC User Guide, Amazon VPC quotas (VPC endpoints)",
        counts: "the ECR endpoints' policy (one repository ARN per registry account, twice with allowPush) and the S3 endpoints' policy (s3AdditionalResources)",
    },
    lifecyclePolicyLength: {
        name: "Lifecycle policy length (characters)",
        default: 30_720,
        adjustable: false,
        source: "Amazon ECR User Guide, Amazon ECR service quotas; PutLifecyclePolicy API reference",
        counts: "each repository's lifecycle policy (a rule per release tag pattern, plus two)",
    },
    lifecycleRulesPerPolicy: {
        name: "Rules per lifecycle policy",
        default: 50,
        adjustable: false,
        source: "Amazon ECR User Guide, Amazon ECR service quotas",
        counts: "rules of each repository's lifecycle policy (a rule per release tag pattern, plus the untagged and the `any` rules)",
    },
    pullThroughCacheRulesPerRegistry: {
        name: "Pull through cache rules per registry",
        default: 50,
        adjustable: false,
        source: "Amazon ECR User Guide, Amazon ECR service quotas (older versions of the pull-through cache page: 10)",
        counts: "pullThroughCache.rules (one rule each, in the stack's registry and region)",
    },
    repositoryPolicyLength: {
        name: "Repository policy length (characters)",
        default: 10_240,
        adjustable: false,
        source: "Amazon ECR API Reference, SetRepositoryPolicy",
        counts: "each repository's policy (consumer accounts, roles, organization, CodeBuild)",
    },
} as const satisfies Record<string, QuotaDefinition>;

export type QuotaKey = keyof typeof QUOTAS;
export type Quotas = Record<QuotaKey, number>;

const KEYS = Object.keys(QUOTAS) as QuotaKey[];
const ADJUSTABLE = KEYS.filter((k) => QUOTAS[k].adjustable);

/**
 * Schema of the `quotas` config block: one optional whole number per
 * adjustable quota. A fixed limit or an unknown key is refused, naming it.
 */
export const quotasSchema = z
    .record(z.string(), z.unknown())
    .superRefine((block, ctx) => {
        for (const [key, value] of Object.entries(block)) {
            const quota = (QUOTAS as Record<string, QuotaDefinition>)[key];
            if (!quota) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `is not a quota the plan checks (adjustable quotas: ${ADJUSTABLE.join(", ")})${didYouMean(key, ADJUSTABLE)}`,
                });
            } else if (!quota.adjustable) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `is set, but "${quota.name}" is a fixed AWS limit (${quota.default.toLocaleString("en-US")}) that no account can raise; remove the key`,
                });
            } else if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `must be a whole number of at least 1 (the account's applied quota for "${quota.name}")`,
                });
            } else if (quota.max !== undefined && value > quota.max) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `is more than ${quota.max.toLocaleString("en-US")}, the most AWS raises "${quota.name}" to`,
                });
            }
        }
    })
    .transform((block) => block as Partial<Quotas>);

/** The quotas in force: AWS's defaults, overridden by the stack's `quotas` block. */
export function resolveQuotas(overrides: Partial<Quotas> = {}): Quotas {
    return Object.fromEntries(KEYS.map((k) => [k, overrides[k] ?? QUOTAS[k].default])) as Quotas;
}

/**
 * The end of a quota message: the limit in force, then what to change and,
 * for an adjustable quota, how to raise it and tell the plan.
 */
export function quotaAdvice(key: QuotaKey, quotas: Quotas, fix: string): string {
    const q: QuotaDefinition = QUOTAS[key];
    const value = quotas[key];
    const source =
        value === q.default
            ? q.adjustable
                ? "the default"
                : "a fixed limit"
            : `ecr-private-access:quotas.${key}`;
    const limit = `AWS allows ${value.toLocaleString("en-US")} ("${q.name}", ${source})`;
    if (!q.adjustable) return `${limit}. ${capitalize(fix)}`;
    const where = q.code ? `Service Quotas (${q.code})` : "AWS Support";
    return `${limit}. ${capitalize(fix)}, or raise the quota through ${where} and set ecr-private-access:quotas.${key} to the new value`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The quota table for the README, one row per quota. */
export function quotaTable(): string {
    return [
        "| quota | default | override (`quotas.`) | counts | source |",
        "|---|---:|---|---|---|",
        ...KEYS.map((k) => {
            const q: QuotaDefinition = QUOTAS[k];
            return `| ${q.name} | ${q.default.toLocaleString("en-US")} | ${q.adjustable ? `\`${k}\`` : "fixed"} | ${q.counts} | ${q.source} |`;
        }),
    ].join("\n");
}

const k = (name: string) => `ecr-private-access:${name}`;

/**
 * Counts what the stack would create against each quota, on the derived
 * config (interface services and ingress CIDRs as the components get them).
 * One issue per quota exceeded, under the key that drives the count.
 */
export function quotaChecks(cfg: StackConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const q = cfg.quotas;
    const over = (key: string, quota: QuotaKey, count: number, what: string, fix: string) => {
        if (count > q[quota]) {
            issues.push({ key: k(key), message: `${what}; ${quotaAdvice(quota, q, fix)}` });
        }
    };
    const { endpoints, dns, repositories, nlp, idc } = cfg;

    if (endpoints) {
        const cidrs = endpoints.onPremisesCidrs.length;
        const idcNote = idc ? ", idc.cidr included" : "";
        over(
            "endpoints.onPremisesCidrs",
            "securityGroupRulesPerGroup",
            1 + cidrs,
            `gives the registry endpoints' security group ${1 + cidrs} inbound rules (443 from the VPC and from each of ${cidrs} CIDRs${idcNote})`,
            "summarise the networks into fewer, larger CIDR blocks",
        );
        if (dns?.resolverEndpoint) {
            over(
                "endpoints.onPremisesCidrs",
                "securityGroupRulesPerGroup",
                2 * cidrs,
                `gives the Route 53 Resolver endpoint's security group ${2 * cidrs} inbound rules (DNS over UDP and TCP from each of ${cidrs} CIDRs${idcNote}, dns.resolverEndpoint: true)`,
                "summarise the networks into fewer, larger CIDR blocks",
            );
        }
        const interfaces = endpoints.interfaceServices.length + (endpoints.s3Interface ? 1 : 0);
        over(
            "endpoints.optionalServices",
            "interfaceEndpointsPerVpc",
            interfaces,
            `needs ${interfaces} interface endpoints in the stack's VPC`,
            "turn off services the stack does not use",
        );
        // The vendor's registry is added to the ECR endpoint policy from the
        // vendor stack when the NLP service runs: count one more account.
        const accounts = [cfg.accountId, ...endpoints.registryAccounts];
        if (nlp) accounts.push("000000000000");
        const ecrPolicy = policyLength(() =>
            ecrEndpointPolicy({
                region: cfg.region,
                accounts,
                allowPush: endpoints.allowPush,
                cacheFillResources: cacheFillResources(cfg),
            }),
        );
        over(
            "endpoints.registryAccounts",
            "endpointPolicyLength",
            ecrPolicy,
            `makes the ECR endpoints' policy ${ecrPolicy} characters (one repository ARN per registry account${endpoints.allowPush ? ", twice with allowPush" : ""}${cfg.pullThroughCache ? ", one per cache prefix" : ""})`,
            "list fewer registry accounts",
        );
        const s3Policy = policyLength(() =>
            s3GatewayPolicy({
                region: cfg.region,
                additionalResources: endpoints.s3AdditionalResources,
            }),
        );
        over(
            "endpoints.s3AdditionalResources",
            "endpointPolicyLength",
            s3Policy,
            `makes the S3 endpoint policy ${s3Policy} characters`,
            "use wildcards (arn:aws:s3:::<bucket>/<prefix>*) instead of listing objects one by one",
        );
    }

    if (dns && idc) {
        // Each ECR zone is associated with the IDC VPC (the endpoints' own VPC
        // resolves the names through private DNS and is not associated).
        over(
            "idc",
            "vpcAssociationsPerPrivateHostedZone",
            1,
            "associates each ECR private hosted zone with 1 VPC",
            "associate fewer VPCs",
        );
    }

    if (cfg.pullThroughCache) {
        const rules = cfg.pullThroughCache.rules.length;
        over(
            "pullThroughCache.rules",
            "pullThroughCacheRulesPerRegistry",
            rules,
            `creates ${rules} pull-through cache rules in one registry (${cfg.region})`,
            "cache fewer upstreams, or split the rules over more registries (accounts or regions)",
        );
    }

    if (repositories) {
        over(
            "repositories.names",
            "repositoriesPerRegistry",
            repositories.names.length,
            `lists ${repositories.names.length} repositories for one registry (${cfg.region})`,
            "split them over more accounts or regions",
        );
        let lifecycle: ReturnType<typeof lifecyclePolicyDocument> | undefined;
        try {
            lifecycle = lifecyclePolicyDocument(repositories.lifecycle);
        } catch {
            // Refused by the builder itself (its own length check): reported by
            // componentInvariants unless the rule count below already is.
        }
        const patterns = repositories.lifecycle.releaseTagPatterns.length;
        // A rule per release pattern, then the untagged and the `any` rule (src/ecr/policies.ts).
        const rules = lifecycle?.rules.length ?? patterns + 2;
        over(
            "repositories.lifecycle.releaseTagPatterns",
            "lifecycleRulesPerPolicy",
            rules,
            `gives each repository's lifecycle policy ${rules} rules (one per pattern, ${patterns}, plus the untagged and the any rule)`,
            "protect releases with fewer, broader patterns (a pattern may hold up to 4 * wildcards)",
        );
        if (lifecycle) {
            const length = JSON.stringify(lifecycle).length;
            over(
                "repositories.lifecycle.releaseTagPatterns",
                "lifecyclePolicyLength",
                length,
                `makes each repository's lifecycle policy ${length} characters`,
                "protect releases with fewer, shorter patterns",
            );
        }
    }
    return issues;
}

/** Length of a policy as the program sends it (compact JSON), or 0 when the builder refuses it (reported elsewhere). */
function policyLength(build: () => unknown): number {
    try {
        return JSON.stringify(build()).length;
    } catch {
        return 0;
    }
}
