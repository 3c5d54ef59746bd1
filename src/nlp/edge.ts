/**
 * Pure pieces of the NLP service's edge: how the load balancer is exposed
 * (public with a domain, public with an existing certificate, internal, or
 * plain HTTP on explicit request), the access-log bucket's policy, and the
 * optional WAF web ACL's rules. Tested without mocks; the component wires them.
 */
import { parseCidr } from "../cidr";
import type { PolicyDocument, PolicyStatement } from "../iam";
import { denyInsecureTransport } from "../s3/privateBucket";

// ---------------------------------------------------------------------------
// Exposure

/**
 * Tag a listener carries when it forwards plain HTTP because the stack said
 * so (`nlp.allowPlainHttp: true`). The policy pack reads it: without it a
 * forwarding HTTP listener is a mandatory violation, with it an advisory one.
 * A tag travels with the resource into `pulumi preview --policy-pack` and the
 * offline plan alike, with no per-stack policy file to keep in step.
 */
export const PLAIN_HTTP_TAG = "ecr-private-access:allow-plain-http";

/** ELB security policy: TLS 1.3 and 1.2 only (ELB user guide, "Security policies"). */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export type EdgeMode =
    /** ACM certificate requested for `domain`, DNS-validated in its public zone; alias record. */
    | "domain"
    /** HTTPS with a certificate the user already has. */
    | "certificate"
    /** No certificate: port 80 forwards plain HTTP (the pack objects unless allowed). */
    | "plain-http";

export interface EdgeChoice {
    domain?: string;
    certificateArn?: string;
}

/** Which of the three ways the listener is built. A given certificate wins over requesting one. */
export function edgeMode(c: EdgeChoice): EdgeMode {
    if (c.certificateArn !== undefined) return "certificate";
    if (c.domain !== undefined) return "domain";
    return "plain-http";
}

/** The ports the load balancer's security group opens to the clients. */
export function listenerPorts(mode: EdgeMode): number[] {
    // With HTTPS, 80 stays open only to answer with a redirect.
    return mode === "plain-http" ? [80] : [80, 443];
}

// ---------------------------------------------------------------------------
// Access logs

/**
 * Elastic Load Balancing's log-delivery account per region, for the regions
 * that opened before August 2022 (ALB user guide, "Enable access logs",
 * step 2; awsdocs/elb-application-load-balancers-user-guide
 * doc_source/enable-access-logging.md). Every other region is granted to the
 * `logdelivery.elasticloadbalancing.amazonaws.com` service principal instead.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-south-1": "718504428378",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
};

export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/** Who writes a region's access logs: the regional ELB account, or the log-delivery service. */
export function elbLogWriter(
    region: string,
    partition = "aws",
): { AWS: string } | { Service: string } {
    const account = ELB_LOG_ACCOUNTS[region];
    return account
        ? { AWS: `arn:${partition}:iam::${account}:root` }
        : { Service: ELB_LOG_DELIVERY_SERVICE };
}

/** Prefix under which the load balancer writes (ELB adds `AWSLogs/<account>/...`; the prefix must not contain `AWSLogs`). */
export const ACCESS_LOG_PREFIX = "alb";

export interface AccessLogBucketPolicyInput {
    bucketName: string;
    /** The load balancer's account: ELB writes under `AWSLogs/<account>/`. */
    accountId: string;
    region: string;
    partition?: string;
    prefix?: string;
}

/**
 * The log bucket's policy: the region's load-balancer log writer may put
 * objects under `<prefix>/AWSLogs/<account>/` and nowhere else, and every
 * request that is not TLS is denied (no other Allow: the account's own
 * principals need an identity policy to read the logs).
 */
export function accessLogBucketPolicy(input: AccessLogBucketPolicyInput): PolicyDocument {
    const partition = input.partition ?? "aws";
    const prefix = input.prefix ?? ACCESS_LOG_PREFIX;
    if (/AWSLogs/i.test(prefix)) {
        throw new Error(`\`prefix\` must not contain "AWSLogs" (ELB adds it), got "${prefix}"`);
    }
    const bucketArn = `arn:${partition}:s3:::${input.bucketName}`;
    const statements: PolicyStatement[] = [
        denyInsecureTransport(bucketArn),
        {
            Sid: "LoadBalancerLogDelivery",
            Effect: "Allow",
            Principal: elbLogWriter(input.region, partition),
            Action: "s3:PutObject",
            Resource: `${bucketArn}/${prefix}/AWSLogs/${input.accountId}/*`,
        },
    ];
    return { Version: "2012-10-17", Statement: statements };
}

// ---------------------------------------------------------------------------
// WAF

/**
 * AWS managed rule groups the web ACL may use, with their web ACL capacity
 * units (AWS WAF developer guide, "AWS Managed Rules rule groups list").
 * Only groups without a subscription fee: Bot Control, Account Takeover and
 * Account Creation Fraud Prevention add monthly and per-request charges this
 * project does not price.
 */
export const WAF_MANAGED_RULE_GROUPS: Readonly<Record<string, number>> = {
    AWSManagedRulesCommonRuleSet: 700,
    AWSManagedRulesAdminProtectionRuleSet: 100,
    AWSManagedRulesKnownBadInputsRuleSet: 200,
    AWSManagedRulesSQLiRuleSet: 200,
    AWSManagedRulesLinuxRuleSet: 200,
    AWSManagedRulesUnixRuleSet: 100,
    AWSManagedRulesWindowsRuleSet: 200,
    AWSManagedRulesPHPRuleSet: 100,
    AWSManagedRulesWordPressRuleSet: 100,
    AWSManagedRulesAmazonIpReputationList: 25,
    AWSManagedRulesAnonymousIpList: 50,
};

/** Paid intelligent-threat groups, refused with a reason. */
export const WAF_PAID_RULE_GROUPS = [
    "AWSManagedRulesBotControlRuleSet",
    "AWSManagedRulesATPRuleSet",
    "AWSManagedRulesACFPRuleSet",
    "AWSManagedRulesAntiDDoSRuleSet",
];

/** Capacity a web ACL's base price covers (AWS WAF pricing; more is billed per request). */
export const WAF_INCLUDED_WCU = 1500;

/** The default groups: the core rule set, known bad inputs, Amazon's IP reputation list (925 WCUs). */
export const DEFAULT_WAF_RULE_GROUPS = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
];

export interface WafRule {
    name: string;
    priority: number;
    overrideAction: { none: Record<string, never> };
    statement: { managedRuleGroupStatement: { vendorName: "AWS"; name: string } };
    visibilityConfig: {
        cloudwatchMetricsEnabled: boolean;
        metricName: string;
        sampledRequestsEnabled: boolean;
    };
}

/**
 * One rule per managed group, in the order given (the reputation list first
 * drops known-bad sources before the costlier inspections), each keeping the
 * group's own actions (`overrideAction: none`).
 */
export function wafRules(groups: readonly string[]): WafRule[] {
    return groups.map((name, i) => {
        if (WAF_MANAGED_RULE_GROUPS[name] === undefined) {
            throw new Error(
                `\`waf.ruleGroups[${i}]\` "${name}" is not a known AWS managed rule group`,
            );
        }
        return {
            name,
            priority: i,
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { vendorName: "AWS", name } },
            visibilityConfig: {
                cloudwatchMetricsEnabled: true,
                metricName: name,
                sampledRequestsEnabled: true,
            },
        };
    });
}

// ---------------------------------------------------------------------------
// Config checks (called by src/config.ts; keys are relative to the `nlp` block)

export interface EdgeConfig {
    domain?: string;
    hostedZone?: string;
    certificateArn?: string;
    allowPlainHttp: boolean;
    internal: boolean;
    clientCidrs?: string[];
    waf?: { ruleGroups: string[] };
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-cased, without one trailing dot. */
export function normalizeDomain(name: string): string {
    return name.trim().toLowerCase().replace(/\.$/, "");
}

function dnsNameProblem(name: string): string | undefined {
    const n = normalizeDomain(name);
    if (n.length > 253) return "is longer than 253 characters";
    const labels = n.split(".");
    if (labels.length < 2) return "must be a fully qualified name such as nlp.example.com";
    if (!labels.every((l) => DNS_LABEL.test(l))) {
        return "is not a DNS name (letters, digits and hyphens in dot-separated labels; no wildcard)";
    }
    if (/(^|\.)amazonaws\.com(\.cn)?$/.test(n) || /(^|\.)aws$/.test(n)) {
        return "is an AWS service name; use a domain you own";
    }
    return undefined;
}

/**
 * Rules on the edge keys that the schema alone cannot express. Returns
 * `{key, message}` with keys relative to the `nlp` block (`domain`,
 * `waf.ruleGroups[1]`, ...).
 */
export function edgeConfigIssues(
    c: EdgeConfig,
    ctx: { region: string },
): { key: string; message: string }[] {
    const issues: { key: string; message: string }[] = [];
    const add = (key: string, message: string) => issues.push({ key, message });

    if (c.domain !== undefined) {
        const p = dnsNameProblem(c.domain);
        if (p) add("domain", `"${c.domain}" ${p}`);
        if (c.hostedZone === undefined) {
            add(
                "hostedZone",
                "is required with nlp.domain: the public hosted zone the name lives in (its DNS validation and alias records go there)",
            );
        }
    }
    if (c.hostedZone !== undefined) {
        const p = dnsNameProblem(c.hostedZone);
        if (p) add("hostedZone", `"${c.hostedZone}" ${p}`);
        if (c.domain === undefined) {
            add("hostedZone", "is only used with nlp.domain");
        } else if (!p) {
            const d = normalizeDomain(c.domain);
            const z = normalizeDomain(c.hostedZone);
            if (d !== z && !d.endsWith(`.${z}`)) {
                add("domain", `"${c.domain}" is not in the hosted zone "${c.hostedZone}"`);
            }
        }
    }
    if (c.certificateArn !== undefined) {
        const region = c.certificateArn.split(":")[3];
        if (region && region !== ctx.region) {
            add(
                "certificateArn",
                `is in ${region}, but a load balancer only uses ACM certificates from its own region (${ctx.region})`,
            );
        }
    }
    if (c.allowPlainHttp && (c.domain !== undefined || c.certificateArn !== undefined)) {
        add(
            "allowPlainHttp",
            "has no effect with nlp.domain or nlp.certificateArn (the service is HTTPS-only); remove it",
        );
    }
    c.clientCidrs?.forEach((cidr, i) => {
        try {
            parseCidr(cidr);
        } catch (e) {
            add(`clientCidrs[${i}]`, (e as Error).message);
        }
    });
    if (c.clientCidrs !== undefined && c.clientCidrs.length === 0) {
        add("clientCidrs", "must list at least one CIDR (leave it out for the default)");
    }
    if (c.waf) {
        const seen = new Set<string>();
        let wcu = 0;
        c.waf.ruleGroups.forEach((g, i) => {
            const key = `waf.ruleGroups[${i}]`;
            if (WAF_PAID_RULE_GROUPS.includes(g)) {
                add(
                    key,
                    `"${g}" carries a subscription and per-request fee this project does not price or configure; attach it outside the stack`,
                );
            } else if (WAF_MANAGED_RULE_GROUPS[g] === undefined) {
                add(
                    key,
                    `"${g}" is not an AWS managed rule group this stack knows (${Object.keys(WAF_MANAGED_RULE_GROUPS).join(", ")})`,
                );
            } else if (seen.has(g)) {
                add(key, `"${g}" is listed twice`);
            } else {
                wcu += WAF_MANAGED_RULE_GROUPS[g];
            }
            seen.add(g);
        });
        if (c.waf.ruleGroups.length === 0) {
            add("waf.ruleGroups", "must list at least one managed rule group");
        }
        if (wcu > WAF_INCLUDED_WCU) {
            add(
                "waf.ruleGroups",
                `need ${wcu} web ACL capacity units; the web ACL's base price covers ${WAF_INCLUDED_WCU} (more is billed per request and not priced here): drop a group`,
            );
        }
    }
    return issues;
}
