// The self-hosted registry's resources: its S3 storage stays private and TLS-only, and its
// Network Load Balancer stays internal. (Its tasks' public IPs are ecs-service-no-public-ip's.)
import type {
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    Statement,
    asStrings,
    awsPrincipals,
    conditionKeys,
    configOf,
    containsUnknown,
    coversResource,
    forType,
    hasCondition,
    isKnown,
    isUnknown,
    ofType,
    parseDocument,
    plain,
    resolveRef,
} from "./util";

export const S3_TYPES = {
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
} as const;
const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";

/** What a bucket's sub-resources (policy, public access block) may use in their `bucket` input. */
function bucketIds(r: PolicyResource): string[] {
    const p = plain(r.props);
    return ["bucket", "id", "arn"]
        .map((k) => p[k])
        .filter((v): v is string => typeof v === "string" && isKnown(v) && v !== "");
}

/** The sub-resources of one type that point at `bucket`, with whether any reference was unknown. */
function attached(
    resources: PolicyResource[],
    bucket: PolicyResource,
    type: string,
): { found: PolicyResource[]; unknown: boolean } {
    const found: PolicyResource[] = [];
    let unknown = false;
    for (const r of ofType(resources, type)) {
        const ref = resolveRef(resources, r, "bucket", S3_TYPES.bucket, bucketIds);
        if (ref.kind === "resolved" && ref.targets.includes(bucket)) found.push(r);
        if (ref.kind === "unknown") unknown = true;
    }
    return { found, unknown };
}

const bucketLabel = (b: PolicyResource) => {
    const name = plain(b.props)["bucket"];
    return typeof name === "string" && isKnown(name) ? `"${b.name}" (${name})` : `"${b.name}"`;
};

export interface BucketAllowListConfig {
    /** Pulumi resource names or bucket names exempt from the rule. */
    allowedBuckets: string[];
}
const allowListDefaults: BucketAllowListConfig = { allowedBuckets: [] };
const allowListSchema = {
    properties: {
        allowedBuckets: {
            type: "array" as const,
            items: { type: "string" as const },
            default: [],
            description: "Pulumi resource names or bucket names exempt from the rule.",
        },
    },
};
const exempt = (b: PolicyResource, cfg: BucketAllowListConfig) =>
    [b.name, plain(b.props)["bucket"]].some(
        (n) => typeof n === "string" && cfg.allowedBuckets.includes(n),
    );

const PUBLIC_ACCESS_FLAGS = [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
] as const;

export const s3BucketPublicAccessBlocked: StackValidationPolicy = {
    name: "s3-bucket-public-access-blocked",
    description:
        "Every S3 bucket must have a public access block with all four settings on (blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets) (Checkov CKV2_AWS_6).",
    enforcementLevel: "mandatory",
    configSchema: allowListSchema,
    validateStack: (args, reportViolation) => {
        const cfg = configOf(args, allowListDefaults);
        for (const bucket of ofType(args.resources, S3_TYPES.bucket)) {
            if (exempt(bucket, cfg)) continue;
            const { found, unknown } = attached(args.resources, bucket, S3_TYPES.publicAccessBlock);
            if (found.length === 0) {
                if (!unknown) {
                    reportViolation(
                        `S3 bucket ${bucketLabel(bucket)} has no public access block; add one with all four settings true.`,
                        bucket.urn,
                    );
                }
                continue;
            }
            for (const block of found) {
                const p = plain(block.props);
                const off = PUBLIC_ACCESS_FLAGS.filter((f) => isKnown(p[f]) && p[f] !== true);
                // Unset flags default to false in the S3 API.
                const unset = PUBLIC_ACCESS_FLAGS.filter((f) => p[f] === undefined);
                const bad = [...new Set([...off, ...unset])];
                if (bad.length > 0) {
                    reportViolation(
                        `Public access block "${block.name}" of S3 bucket ${bucketLabel(bucket)} leaves ${bad.join(", ")} off; set all four to true.`,
                        block.urn,
                    );
                }
            }
        }
    },
};

/**
 * Condition keys that tie an Allow for `*` to a network path or to known principals, so the
 * grant is not public (the same keys S3's "public" evaluation treats as restricting).
 */
const RESTRICTING_KEYS = [
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:userid",
];

/** Problems with a bucket policy document's Allow statements that grant to everyone. */
export function publicGrants(doc: unknown): string[] {
    const parsed = parseDocument(doc);
    if (!parsed.ok) return ["the bucket policy is not a valid JSON policy document"];
    const problems: string[] = [];
    parsed.statements.forEach((st: Statement, i) => {
        if (st.Effect !== "Allow") return;
        const principals = awsPrincipals(st.Principal);
        if (principals === undefined || !principals.includes("*")) return;
        const keys = conditionKeys(st);
        if (hasCondition(st) && keys.some((k) => RESTRICTING_KEYS.includes(k))) return;
        const actions = asStrings(st.Action).join(", ") || "(NotAction)";
        problems.push(
            `statement ${st.Sid ? `"${st.Sid}"` : i} allows ${actions} to every principal ("*") without a condition on the caller's account, principal or network path`,
        );
    });
    return problems;
}

export const s3BucketPolicyNoPublicGrant: ResourceValidationPolicy = {
    name: "s3-bucket-policy-no-public-grant",
    description:
        'S3 bucket policies must not allow "*" unless the statement is conditioned on the caller (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID) or the network path (aws:SourceVpce, aws:SourceVpc) (Checkov CKV_AWS_70).',
    enforcementLevel: "mandatory",
    validateResource: forType(S3_TYPES.bucketPolicy, (props, _args, report) => {
        const doc = props["policy"];
        if (doc === undefined || isUnknown(doc) || containsUnknown(doc)) return;
        for (const problem of publicGrants(doc)) report(`S3 bucket policy: ${problem}.`);
    }),
};

/** True when the statement denies every S3 action to everyone over plain HTTP. */
function deniesInsecureTransport(st: Statement): boolean {
    if (st.Effect !== "Deny") return false;
    const principals = awsPrincipals(st.Principal);
    if (principals === undefined || !principals.includes("*")) return false;
    const actions = asStrings(st.Action);
    if (!actions.some((a) => a === "*" || a.toLowerCase() === "s3:*")) return false;
    const cond = st.Condition ?? {};
    for (const [op, block] of Object.entries(cond)) {
        if (!block || typeof block !== "object") continue;
        for (const [key, value] of Object.entries(block)) {
            const values = asStrings(value).concat(
                typeof value === "boolean" ? [String(value)] : [],
            );
            if (
                /^Bool(IfExists)?$/.test(op) &&
                key.toLowerCase() === "aws:securetransport" &&
                values.some((v) => v.toLowerCase() === "false")
            )
                return true;
        }
    }
    return false;
}

export const s3BucketTlsOnly: StackValidationPolicy = {
    name: "s3-bucket-tls-only",
    description:
        'Every S3 bucket must have a bucket policy that denies "s3:*" to everyone on the bucket and its objects when aws:SecureTransport is false (AWS Security Hub control S3.5).',
    enforcementLevel: "mandatory",
    configSchema: allowListSchema,
    validateStack: (args, reportViolation) => {
        const cfg = configOf(args, allowListDefaults);
        for (const bucket of ofType(args.resources, S3_TYPES.bucket)) {
            if (exempt(bucket, cfg)) continue;
            const { found, unknown } = attached(args.resources, bucket, S3_TYPES.bucketPolicy);
            if (found.length === 0) {
                if (!unknown) {
                    reportViolation(
                        `S3 bucket ${bucketLabel(bucket)} has no bucket policy; add one that denies "s3:*" when aws:SecureTransport is false.`,
                        bucket.urn,
                    );
                }
                continue;
            }
            const name = plain(bucket.props)["bucket"];
            const arn =
                typeof name === "string" && isKnown(name) ? `arn:aws:s3:::${name}` : undefined;
            for (const policy of found) {
                const doc = plain(policy.props)["policy"];
                if (doc === undefined || isUnknown(doc) || containsUnknown(doc)) continue;
                const parsed = parseDocument(doc);
                if (!parsed.ok) continue; // s3-bucket-policy-no-public-grant reports it
                const denials = parsed.statements.filter(deniesInsecureTransport);
                const covers = (resource: string) =>
                    denials.some((st) => coversResource(st, resource));
                // A sample object name stands for `/*`.
                const missing = arn
                    ? [
                          [arn, arn],
                          [`${arn}/*`, `${arn}/any-object`],
                      ]
                          .filter(([, probe]) => !covers(probe))
                          .map(([shown]) => shown)
                    : [];
                if (denials.length === 0 || missing.length > 0) {
                    reportViolation(
                        `Bucket policy "${policy.name}" of S3 bucket ${bucketLabel(bucket)} does not deny non-TLS requests${denials.length > 0 ? ` on ${missing.join(" and ")}` : ""}; add a Deny of "s3:*" for Principal "*" on the bucket and its objects with Condition Bool aws:SecureTransport "false".`,
                        policy.urn,
                    );
                }
            }
        }
    },
};

export interface NlbInternalConfig {
    /** Load balancer names (Pulumi resource name or `name` input) allowed to face the internet. */
    allowedNames: string[];
}
const nlbInternalDefaults: NlbInternalConfig = { allowedNames: [] };

export const nlbInternal: ResourceValidationPolicy = {
    name: "nlb-internal",
    description:
        "Network Load Balancers must be internal (internal = true): the self-hosted registry and other TCP services are reached from the VPC and connected networks, not from the internet.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedNames: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Network Load Balancers allowed to be internet-facing.",
            },
        },
    },
    validateResource: forType(LOAD_BALANCER, (props, args, report) => {
        const cfg = configOf(args, nlbInternalDefaults);
        const type = props["loadBalancerType"];
        if (type === undefined || isUnknown(type) || type !== "network") return;
        const internal = props["internal"];
        if (internal !== undefined && isUnknown(internal)) return;
        if (internal === true) return;
        const names = [args.name, props["name"]].filter((n) => typeof n === "string");
        if (names.some((n) => cfg.allowedNames.includes(n))) return;
        report(
            `Network Load Balancer is internet-facing (internal is ${internal === undefined ? "unset, which means internet-facing" : String(internal)}); set internal: true.`,
        );
    }),
};

export const registryPolicies = [
    s3BucketPublicAccessBlocked,
    s3BucketPolicyNoPublicGrant,
    s3BucketTlsOnly,
    nlbInternal,
];
