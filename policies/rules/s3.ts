// S3 buckets the stack creates (the load balancer's access-log bucket): every public access
// setting blocked, default encryption, and a policy that refuses requests without TLS.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    TYPES,
    asStrings,
    containsUnknown,
    isUnknown,
    label,
    parseDocument,
    plain,
    resolveRef,
} from "./util";

/** Bucket type tokens (@pulumi/aws v7: `Bucket`, and the deprecated `BucketV2` name). */
export const BUCKET_TYPES = [TYPES.bucket, "aws:s3/bucketV2:BucketV2"];
const PUBLIC_ACCESS_BLOCK = TYPES.bucketPublicAccessBlock;
const SSE_TYPES = [
    TYPES.bucketSseConfiguration,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const BUCKET_POLICY = TYPES.bucketPolicy;
const PAB_FLAGS = [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
] as const;

type Verdict = "yes" | "no" | "unknown";

/** The bucket a bucket-level resource (`bucket` input) belongs to, among the stack's buckets. */
function bucketOf(resources: PolicyResource[], r: PolicyResource): PolicyResource[] | "unknown" {
    for (const type of BUCKET_TYPES) {
        const ref = resolveRef(resources, r, "bucket", type, (b) => {
            const p = plain(b.props);
            return ["id", "bucket", "arn"]
                .map((k) => p[k])
                .filter((v): v is string => typeof v === "string" && !isUnknown(v));
        });
        if (ref.kind === "resolved") return ref.targets;
        if (ref.kind === "unknown") return "unknown";
    }
    return [];
}

/** Joins each bucket to the resources of `types` that configure it. */
function attached(
    resources: PolicyResource[],
    types: string[],
): { byBucket: Map<PolicyResource, PolicyResource[]>; unresolved: boolean } {
    const byBucket = new Map<PolicyResource, PolicyResource[]>();
    let unresolved = false;
    for (const r of resources.filter((x) => types.includes(x.type))) {
        const buckets = bucketOf(resources, r);
        if (buckets === "unknown") {
            unresolved = true;
            continue;
        }
        for (const b of buckets) byBucket.set(b, [...(byBucket.get(b) ?? []), r]);
    }
    return { byBucket, unresolved };
}

function publicAccessBlocked(blocks: PolicyResource[]): Verdict {
    let unknown = false;
    for (const b of blocks) {
        const p = plain(b.props);
        if (PAB_FLAGS.some((f) => isUnknown(p[f]))) {
            unknown = true;
            continue;
        }
        if (PAB_FLAGS.every((f) => p[f] === true)) return "yes";
    }
    return unknown ? "unknown" : "no";
}

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

/** A Deny for every principal on every S3 action (or `*`) when aws:SecureTransport is false. */
function deniesPlainTransport(doc: unknown): Verdict {
    if (isUnknown(doc) || containsUnknown(doc)) return "unknown";
    const parsed = parseDocument(doc);
    if (!parsed.ok) return "no";
    const ok = parsed.statements.some((st) => {
        if (st.Effect !== "Deny") return false;
        const everyone =
            st.Principal === "*" ||
            asStrings((st.Principal as Record<string, unknown> | undefined)?.["AWS"]).includes("*");
        const actions = asStrings(st.Action);
        const allActions = actions.includes("*") || actions.includes("s3:*");
        const bool = (st.Condition?.["Bool"] ?? {}) as Record<string, unknown>;
        const key = Object.keys(bool).find((k) => k.toLowerCase() === "aws:securetransport");
        const value = key === undefined ? [] : asStrings(bool[key]).map((v) => v.toLowerCase());
        return everyone && allActions && value.includes("false");
    });
    return ok ? "yes" : "no";
}

export const s3BucketLockedDown: StackValidationPolicy = {
    name: "s3-bucket-locked-down",
    description:
        "Every S3 bucket the stack creates blocks all public access, encrypts by default and denies requests without TLS (Checkov CKV_AWS_53 to CKV_AWS_56, AWS Config s3-bucket-ssl-requests-only).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const buckets = args.resources.filter((r) => BUCKET_TYPES.includes(r.type));
        if (buckets.length === 0) return;
        const pabs = attached(args.resources, [PUBLIC_ACCESS_BLOCK]);
        const sses = attached(args.resources, SSE_TYPES);
        const policies = attached(args.resources, [BUCKET_POLICY]);
        for (const bucket of buckets) {
            const missing: string[] = [];
            const pab = publicAccessBlocked(pabs.byBucket.get(bucket) ?? []);
            if (pab === "no" && !pabs.unresolved) {
                missing.push("a public access block with all four settings true");
            }
            const sse = encrypted(bucket, sses.byBucket.get(bucket) ?? []);
            if (sse === "no" && !sses.unresolved) {
                missing.push("a default encryption configuration");
            }
            const docs = [
                ...(plain(bucket.props)["policy"] !== undefined
                    ? [plain(bucket.props)["policy"]]
                    : []),
                ...(policies.byBucket.get(bucket) ?? []).map((p) => plain(p.props)["policy"]),
            ];
            const verdicts = docs.map(deniesPlainTransport);
            if (
                !verdicts.includes("yes") &&
                !verdicts.includes("unknown") &&
                !policies.unresolved
            ) {
                missing.push(
                    'a bucket policy denying requests with "aws:SecureTransport": "false"',
                );
            }
            if (missing.length > 0) {
                reportViolation(
                    `S3 bucket ${label(bucket)} lacks ${missing.join(", ")}.`,
                    bucket.urn,
                );
            }
        }
    },
};

export const s3Policies = [s3BucketLockedDown];
