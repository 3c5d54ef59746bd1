// ECR repositories and repository policies: the publisher pushes, consumers only pull.
import type {
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    TYPES,
    Statement,
    StackResources,
    awsPrincipals,
    configOf,
    containsUnknown,
    forType,
    grantedActions,
    hasCondition,
    indexStack,
    isKnown,
    isUnknown,
    ofType,
    parseDocument,
    plain,
    resolveRef,
} from "./util";

export interface ImmutableTagsConfig {
    /** Accept IMMUTABLE_WITH_EXCLUSION (some tag filters stay mutable). */
    allowExclusions: boolean;
}
export const immutableTagsDefaults: ImmutableTagsConfig = { allowExclusions: false };

export const ecrImmutableTags: ResourceValidationPolicy = {
    name: "ecr-immutable-tags",
    description:
        "ECR repositories must use immutable image tags so a pushed tag can never be re-pointed at other content (Checkov CKV_AWS_51).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowExclusions: {
                type: "boolean",
                default: false,
                description: "Also accept IMMUTABLE_WITH_EXCLUSION.",
            },
        },
    },
    validateResource: forType(TYPES.repository, (props, args, report) => {
        const cfg = configOf(args, immutableTagsDefaults);
        const v = props["imageTagMutability"];
        if (v !== undefined && isUnknown(v)) return;
        const value = typeof v === "string" ? v : "MUTABLE";
        if (value === "IMMUTABLE" || (cfg.allowExclusions && value === "IMMUTABLE_WITH_EXCLUSION"))
            return;
        report(
            `ECR repository must set imageTagMutability to "IMMUTABLE" (is "${value}") (CKV_AWS_51).`,
        );
    }),
};

export const ecrScanOnPush: ResourceValidationPolicy = {
    name: "ecr-scan-on-push",
    description: "ECR repositories must scan images on push (Checkov CKV_AWS_163).",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.repository, (props, _args, report) => {
        const cfg = props["imageScanningConfiguration"];
        if (cfg !== undefined && isUnknown(cfg)) return;
        const scan = cfg && typeof cfg === "object" ? cfg["scanOnPush"] : undefined;
        if (scan !== undefined && isUnknown(scan)) return;
        if (scan !== true) {
            report(
                "ECR repository must set imageScanningConfiguration.scanOnPush to true (CKV_AWS_163).",
            );
        }
    }),
};

export interface EncryptionConfig {
    /** Require KMS (or KMS_DSSE) instead of the default AES256. */
    requireKms: boolean;
    /** With requireKms, also require a customer managed key (`kmsKey`). */
    requireKmsKey: boolean;
}
export const encryptionDefaults: EncryptionConfig = { requireKms: false, requireKmsKey: false };

export const ecrEncryption: ResourceValidationPolicy = {
    name: "ecr-encryption",
    description:
        "ECR repositories are encrypted at rest with AES256 or KMS; set requireKms (and requireKmsKey) to demand KMS with a customer managed key as Checkov CKV_AWS_136 does.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireKms: {
                type: "boolean",
                default: false,
                description: "Require encryptionType KMS or KMS_DSSE.",
            },
            requireKmsKey: {
                type: "boolean",
                default: false,
                description: "With requireKms, require kmsKey.",
            },
        },
    },
    validateResource: forType(TYPES.repository, (props, args, report) => {
        const cfg = configOf(args, encryptionDefaults);
        const list = props["encryptionConfigurations"];
        if (list !== undefined && isUnknown(list)) return;
        const first = Array.isArray(list) && list.length > 0 ? list[0] : undefined;
        const t = first && typeof first === "object" ? first["encryptionType"] : undefined;
        if (t !== undefined && isUnknown(t)) return;
        const type = typeof t === "string" ? t : "AES256";
        if (!["AES256", "KMS", "KMS_DSSE"].includes(type)) {
            report(
                `ECR repository encryptionType "${type}" is not AES256, KMS or KMS_DSSE (CKV_AWS_136).`,
            );
            return;
        }
        if (cfg.requireKms && type === "AES256") {
            report(
                `ECR repository must use KMS encryption (encryptionType "KMS"), not "AES256" (CKV_AWS_136).`,
            );
            return;
        }
        if (cfg.requireKms && cfg.requireKmsKey) {
            const key = first ? first["kmsKey"] : undefined;
            if (key !== undefined && isUnknown(key)) return;
            if (typeof key !== "string" || key === "") {
                report(
                    "ECR repository must name a customer managed KMS key (encryptionConfigurations[0].kmsKey) (CKV_AWS_136).",
                );
            }
        }
    }),
};

function policyStatements(props: Record<string, any>): Statement[] | "invalid" | undefined {
    const doc = props["policy"];
    if (doc === undefined || isUnknown(doc) || containsUnknown(doc)) return undefined;
    const parsed = parseDocument(doc);
    return parsed.ok ? parsed.statements : "invalid";
}

const sidOf = (st: Statement, i: number) =>
    typeof st.Sid === "string" && st.Sid !== "" ? `"${st.Sid}"` : `#${i + 1}`;

export const ecrRepositoryPolicyNotPublic: ResourceValidationPolicy = {
    name: "ecr-repository-policy-not-public",
    description:
        'ECR repository policies must not allow Principal "*" without a condition (Checkov CKV_AWS_32, Trivy aws-ecr-no-public-access).',
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.repositoryPolicy, (props, _args, report) => {
        const statements = policyStatements(props);
        if (statements === undefined) return;
        if (statements === "invalid") {
            report("ECR repository policy is not a valid JSON policy document.");
            return;
        }
        statements.forEach((st, i) => {
            if (st.Effect !== "Allow" || hasCondition(st)) return;
            const principals = awsPrincipals(st.Principal);
            if (principals?.includes("*")) {
                report(
                    `ECR repository policy statement ${sidOf(st, i)} allows Principal "*" without a condition, which makes the repository public (CKV_AWS_32).`,
                );
            }
        });
    }),
};

export const ecrNoAuthTokenInRepositoryPolicy: ResourceValidationPolicy = {
    name: "ecr-no-auth-token-in-repository-policy",
    description:
        'Advises removing ecr:GetAuthorizationToken from ECR repository policies: it has no resource type and only works in the caller\'s identity policy on "*".',
    enforcementLevel: "advisory",
    validateResource: forType(TYPES.repositoryPolicy, (props, _args, report) => {
        const statements = policyStatements(props);
        if (statements === undefined || statements === "invalid") return;
        statements.forEach((st, i) => {
            const actions = [
                ...(Array.isArray(st.Action) ? st.Action : st.Action ? [st.Action] : []),
            ];
            if (
                actions.some(
                    (a) => typeof a === "string" && a.toLowerCase() === "ecr:getauthorizationtoken",
                )
            ) {
                report(
                    `ECR repository policy statement ${sidOf(st, i)} grants ecr:GetAuthorizationToken, which does nothing in a repository policy; grant it on "*" in the puller's identity policy instead.`,
                );
            }
        });
    }),
};

/** Actions that change a repository or its images: consumers must not have any of them. */
export const ECR_WRITE_ACTIONS = [
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:BatchDeleteImage",
    "ecr:DeleteRepository",
    "ecr:DeleteRepositoryPolicy",
    "ecr:SetRepositoryPolicy",
    "ecr:PutLifecyclePolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:PutImageTagMutability",
    "ecr:PutImageScanningConfiguration",
    "ecr:ReplicateImage",
    "ecr:TagResource",
    "ecr:UntagResource",
];

export interface PullOnlyConfig {
    /** Accounts that publish (besides the repository's own account, read from the stack). */
    publisherAccountIds: string[];
    /** Statement Sids allowed to grant write actions to other accounts. */
    allowedPushSids: string[];
}
export const pullOnlyDefaults: PullOnlyConfig = { publisherAccountIds: [], allowedPushSids: [] };

/** The account of an AWS principal string, "*" for everyone, undefined for unrecognised forms. */
function principalAccount(p: string): string | undefined {
    if (p === "*") return "*";
    if (/^\d{12}$/.test(p)) return p;
    const m = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(p);
    return m ? m[1] : undefined;
}

/**
 * The repository's own account: from the policy's registryId, else the repository's
 * registryId/ARN. Undefined while it cannot be known: the repository is created in the same
 * change (a first preview), so its registryId and ARN are still unknown.
 */
function ownAccounts(resources: StackResources, policy: PolicyResource): string[] | undefined {
    const out: string[] = [];
    const add = (v: unknown) => {
        if (typeof v === "string" && isKnown(v) && /^\d{12}$/.test(v)) out.push(v);
    };
    add(plain(policy.props)["registryId"]);
    const ref = resolveRef(resources, policy, "repository", TYPES.repository);
    if (ref.kind === "resolved") {
        for (const repo of ref.targets) {
            const rp = plain(repo.props);
            add(rp["registryId"]);
            const arn = rp["arn"];
            if (typeof arn === "string" && isKnown(arn))
                add(/^arn:[^:]+:ecr:[^:]*:(\d{12}):/.exec(arn)?.[1]);
        }
    }
    if (out.length === 0 && ref.kind !== "external") return undefined;
    return out;
}

export const ecrConsumersPullOnly: StackValidationPolicy = {
    name: "ecr-consumers-pull-only",
    description:
        'ECR repository policy statements whose principal is another account than the repository\'s own (or "*" with an organization condition) must grant only pull/read actions, never push or other write actions, unless the statement Sid is in allowedPushSids.',
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            publisherAccountIds: {
                type: "array",
                items: { type: "string", pattern: "^\\d{12}$" },
                default: [],
                description: "Accounts treated as publishers besides the repository's own account.",
            },
            allowedPushSids: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Statement Sids allowed to grant write actions to other accounts.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const cfg = configOf(args, pullOnlyDefaults);
        const stack = indexStack(args.resources);
        for (const policy of ofType(stack, TYPES.repositoryPolicy)) {
            const statements = policyStatements(plain(policy.props));
            if (statements === undefined || statements === "invalid") continue;
            const repositoryAccounts = ownAccounts(stack, policy);
            const own = new Set([...(repositoryAccounts ?? []), ...cfg.publisherAccountIds]);
            // Without the repository's own account (preview) an account principal cannot be
            // judged: publisherAccountIds alone would make the publisher look like a consumer.
            const judgeAccounts = repositoryAccounts !== undefined && own.size > 0;
            statements.forEach((st, i) => {
                if (st.Effect !== "Allow") return;
                if (typeof st.Sid === "string" && cfg.allowedPushSids.includes(st.Sid)) return;
                const principals = awsPrincipals(st.Principal);
                if (principals === undefined) return;
                const consumers = principals.filter((p) => {
                    const acct = principalAccount(p);
                    if (acct === "*") return true;
                    return acct !== undefined && judgeAccounts && !own.has(acct);
                });
                if (consumers.length === 0) return;
                const writes = grantedActions(st, ECR_WRITE_ACTIONS);
                if (writes.length === 0) return;
                reportViolation(
                    `ECR repository policy statement ${sidOf(st, i)} grants write actions (${writes.join(", ")}) to ${consumers.map((c) => `"${c}"`).join(", ")}, which is not the publisher; consumers get pull actions only (add the Sid to allowedPushSids if intended).`,
                    policy.urn,
                );
            });
        }
    },
};

export const ecrPolicies = [
    ecrImmutableTags,
    ecrScanOnPush,
    ecrEncryption,
    ecrRepositoryPolicyNotPublic,
    ecrConsumersPullOnly,
    ecrNoAuthTokenInRepositoryPolicy,
];
