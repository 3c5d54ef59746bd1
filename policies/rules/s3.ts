// S3 buckets the stack creates (the load balancer's access-log bucket, the self-hosted registry's
// storage): one rule per fault, so a bad bucket gets one violation for each thing it lacks. Every
// rule matches both bucket type tokens of @pulumi/aws v7 (`Bucket`, and the deprecated `BucketV2`).
import type {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    Statement,
    TYPES,
    asStrings,
    awsPrincipals,
    conditionKeys,
    configOf,
    containsUnknown,
    coversResource,
    hasCondition,
    isKnown,
    isUnknown,
    parseDocument,
    plain,
    resolveRef,
} from "./util";

/** Bucket type tokens (@pulumi/aws v7: `Bucket`, and the deprecated `BucketV2` name). */
export const BUCKET_TYPES: readonly string[] = [TYPES.bucket, TYPES.bucketV2];
const PUBLIC_ACCESS_BLOCK_TYPES: readonly string[] = [TYPES.bucketPublicAccessBlock];
const SSE_TYPES: readonly string[] = [TYPES.bucketSseConfiguration, TYPES.bucketSseConfigurationV2];
const BUCKET_POLICY_TYPES: readonly string[] = [TYPES.bucketPolicy];

const bucketsOf = (resources: PolicyResource[]) =>
    resources.filter((r) => BUCKET_TYPES.includes(r.type));

/** What a bucket's sub-resources (policy, public access block, encryption) use in their `bucket` input. */
function bucketIds(r: PolicyResource): string[] {
    const p = plain(r.props);
    return ["bucket", "id", "arn"]
        .map((k) => p[k])
        .filter((v): v is string => typeof v === "string" && isKnown(v) && v !== "");
}

/**
 * The stack's sub-resources of `types`, joined once to the bucket each configures.
 * `unresolved`: some sub-resource's bucket cannot be told (unknown during preview), so a bucket
 * without one is not reported as lacking it.
 */
function attached(
    resources: PolicyResource[],
    types: readonly string[],
): { of: (bucket: PolicyResource) => PolicyResource[]; unresolved: boolean } {
    const byBucket = new Map<PolicyResource, PolicyResource[]>();
    let unresolved = false;
    for (const r of resources.filter((x) => types.includes(x.type))) {
        const ref = resolveRef(resources, r, "bucket", BUCKET_TYPES, bucketIds);
        if (ref.kind === "unknown") unresolved = true;
        if (ref.kind !== "resolved") continue;
        for (const b of ref.targets) byBucket.set(b, [...(byBucket.get(b) ?? []), r]);
    }
    return { of: (b) => byBucket.get(b) ?? [], unresolved };
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

/**
 * Calls `check` for each bucket of the stack the rule's allow list does not exempt, with the
 * bucket's sub-resources of `types` (see `attached`, which also says what `unresolved` means).
 */
function eachBucket(
    args: StackValidationArgs,
    types: readonly string[],
    check: (bucket: PolicyResource, found: PolicyResource[], unresolved: boolean) => void,
): void {
    const cfg = configOf(args, allowListDefaults);
    const subs = attached(args.resources, types);
    for (const bucket of bucketsOf(args.resources)) {
        if (!exempt(bucket, cfg)) check(bucket, subs.of(bucket), subs.unresolved);
    }
}

// ---------------------------------------------------------------------------------------------
// Public access block

const PUBLIC_ACCESS_FLAGS = [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
] as const;

export const s3BucketPublicAccessBlocked: StackValidationPolicy = {
    name: "s3-bucket-public-access-blocked",
    description:
        "Every S3 bucket must have a public access block with all four settings on (blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets) (Checkov CKV_AWS_53 to CKV_AWS_56, CKV2_AWS_6).",
    enforcementLevel: "mandatory",
    configSchema: allowListSchema,
    validateStack: (args, reportViolation) =>
        eachBucket(args, PUBLIC_ACCESS_BLOCK_TYPES, (bucket, found, unresolved) => {
            if (found.length === 0) {
                if (!unresolved) {
                    reportViolation(
                        `S3 bucket ${bucketLabel(bucket)} has no public access block; add one with all four settings true.`,
                        bucket.urn,
                    );
                }
                return;
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
        }),
};

// ---------------------------------------------------------------------------------------------
// Default encryption

type Verdict = "yes" | "no" | "unknown";

/** Whether the bucket's inline configuration or one of its SSE resources sets a default algorithm. */
function encrypted(bucket: PolicyResource, configs: PolicyResource[]): Verdict {
    const inline = plain(bucket.props)["serverSideEncryptionConfiguration"];
    const candidates = [
        ...(inline !== undefined ? [{ rule: inline?.rule ? [inline.rule] : inline?.rules }] : []),
        ...configs.map((c) => ({ rule: plain(c.props)["rules"] })),
    ];
    let unknown = false;
    for (const { rule } of candidates) {
        if (containsUnknown(rule) || isUnknown(rule)) {
            unknown = true;
            continue;
        }
        const rules = Array.isArray(rule) ? rule : [];
        if (
            rules.some(
                (r: any) =>
                    typeof r?.applyServerSideEncryptionByDefault?.sseAlgorithm === "string" &&
                    r.applyServerSideEncryptionByDefault.sseAlgorithm !== "",
            )
        ) {
            return "yes";
        }
    }
    return unknown ? "unknown" : "no";
}

export const s3BucketEncrypted: StackValidationPolicy = {
    name: "s3-bucket-encrypted",
    description:
        "Every S3 bucket must have a default encryption configuration naming its algorithm (SSE-S3 or SSE-KMS), inline or as its own resource (Checkov CKV_AWS_19, AWS Config s3-bucket-server-side-encryption-enabled).",
    enforcementLevel: "mandatory",
    configSchema: allowListSchema,
    validateStack: (args, reportViolation) =>
        eachBucket(args, SSE_TYPES, (bucket, found, unresolved) => {
            if (encrypted(bucket, found) === "no" && !unresolved) {
                reportViolation(
                    `S3 bucket ${bucketLabel(bucket)} has no default encryption configuration; add a server-side encryption configuration with applyServerSideEncryptionByDefault (AES256 or aws:kms).`,
                    bucket.urn,
                );
            }
        }),
};

// ---------------------------------------------------------------------------------------------
// Bucket policies: no public grant

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
        'S3 bucket policies (a BucketPolicy, or a bucket\'s inline policy) must not allow "*" unless the statement is conditioned on the caller (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID) or the network path (aws:SourceVpce, aws:SourceVpc) (Checkov CKV_AWS_70).',
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation) => {
        const policyResource = BUCKET_POLICY_TYPES.includes(args.type);
        if (!policyResource && !BUCKET_TYPES.includes(args.type)) return;
        const doc = plain(args.props)["policy"];
        // A bucket without an inline policy has nothing to check.
        if (doc === undefined || (!policyResource && doc === "")) return;
        if (isUnknown(doc) || containsUnknown(doc)) return;
        const where = policyResource ? "S3 bucket policy" : "S3 bucket inline policy";
        for (const problem of publicGrants(doc)) reportViolation(`${where}: ${problem}.`);
    },
};

// ---------------------------------------------------------------------------------------------
// Bucket policies: TLS only

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

/**
 * Whether a policy document denies non-TLS requests on the bucket and its objects: `ok`, or the
 * resources it leaves out (`missing`), or no verdict (unknown during preview, or not a policy
 * document, which s3-bucket-policy-no-public-grant reports).
 */
function tlsVerdict(
    doc: unknown,
    arn: string | undefined,
): { kind: "ok" | "skip" } | { kind: "missing"; denials: number; missing: string[] } {
    if (isUnknown(doc) || containsUnknown(doc)) return { kind: "skip" };
    const parsed = parseDocument(doc);
    if (!parsed.ok) return { kind: "skip" };
    const denials = parsed.statements.filter(deniesInsecureTransport);
    const covers = (resource: string) => denials.some((st) => coversResource(st, resource));
    // A sample object name stands for `/*`.
    const missing = arn
        ? [
              [arn, arn],
              [`${arn}/*`, `${arn}/any-object`],
          ]
              .filter(([, probe]) => !covers(probe))
              .map(([shown]) => shown)
        : [];
    return denials.length > 0 && missing.length === 0
        ? { kind: "ok" }
        : { kind: "missing", denials: denials.length, missing };
}

export const s3BucketTlsOnly: StackValidationPolicy = {
    name: "s3-bucket-tls-only",
    description:
        'Every S3 bucket must have a bucket policy (a BucketPolicy, or its inline policy) that denies "s3:*" to everyone on the bucket and its objects when aws:SecureTransport is false (AWS Security Hub control S3.5, AWS Config s3-bucket-ssl-requests-only).',
    enforcementLevel: "mandatory",
    configSchema: allowListSchema,
    validateStack: (args, reportViolation) =>
        eachBucket(args, BUCKET_POLICY_TYPES, (bucket, found, unresolved) => {
            const inline = plain(bucket.props)["policy"];
            const docs = [
                ...(inline !== undefined && inline !== ""
                    ? [{ doc: inline, urn: bucket.urn, what: "The inline policy" }]
                    : []),
                ...found.map((p) => ({
                    doc: plain(p.props)["policy"],
                    urn: p.urn,
                    what: `Bucket policy "${p.name}"`,
                })),
            ];
            if (docs.length === 0) {
                if (!unresolved) {
                    reportViolation(
                        `S3 bucket ${bucketLabel(bucket)} has no bucket policy; add one that denies "s3:*" when aws:SecureTransport is false.`,
                        bucket.urn,
                    );
                }
                return;
            }
            const name = plain(bucket.props)["bucket"];
            const arn =
                typeof name === "string" && isKnown(name) ? `arn:aws:s3:::${name}` : undefined;
            const verdicts = docs.map((d) => ({ ...d, verdict: tlsVerdict(d.doc, arn) }));
            if (verdicts.some((v) => v.verdict.kind !== "missing")) return;
            for (const { urn, what, verdict } of verdicts) {
                if (verdict.kind !== "missing") continue;
                reportViolation(
                    `${what} of S3 bucket ${bucketLabel(bucket)} does not deny non-TLS requests${verdict.denials > 0 ? ` on ${verdict.missing.join(" and ")}` : ""}; add a Deny of "s3:*" for Principal "*" on the bucket and its objects with Condition Bool aws:SecureTransport "false".`,
                    urn,
                );
            }
        }),
};

export const s3Policies = [
    s3BucketPublicAccessBlocked,
    s3BucketEncrypted,
    s3BucketPolicyNoPublicGrant,
    s3BucketTlsOnly,
];
