/**
 * Config-time checks of the sharing design (src/config.ts calls them before
 * any resource is registered): shared repositories live in namespaces,
 * replication fits ECR's limits, identity policies fit IAM's size quotas, and
 * every tag a stack deploys is protected by a release pattern of its
 * repository. Each issue names the full config key and the way out.
 * Linear in the number of repositories.
 */
import type { ConfigIssue, StackConfig } from "../config";
import { hostEcrPolicy } from "../idc/host";
import { cacheFillResources } from "./pullThroughCacheConfig";
import {
    lifecyclePolicyDocument,
    policyText,
    pushPullIdentityPolicy,
    ReplicationLimitError,
    replicationPlan,
    repositoryArn,
    repositoryPolicyDocument,
} from "./policies";
import {
    iamPolicySize,
    IDC_PUSH_TAG_EXAMPLE,
    isReleaseTag,
    MAX_GROUP_INLINE_POLICY_CHARS,
    MAX_ROLE_INLINE_POLICY_CHARS,
    namespaceOf,
} from "./sharing";

// config.ts imports this module, so its PROJECT constant is not imported at run time.
const PROJECT = "ecr-private-access";
const k = (name: string) => `${PROJECT}:${name}`;

/** True when the block grants pull to anyone outside the account. */
export function hasConsumers(c: {
    accounts?: string[];
    roleArns?: string[];
    organizationId?: string;
    organizationalUnitPaths?: string[];
}): boolean {
    return (
        (c.accounts?.length ?? 0) > 0 ||
        (c.roleArns?.length ?? 0) > 0 ||
        c.organizationId !== undefined ||
        (c.organizationalUnitPaths?.length ?? 0) > 0
    );
}

export function sharingIssues(cfg: StackConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const { repositories, developers, nlp, idc } = cfg;
    const account = cfg.accountId || "000000000000";

    if (nlp && namespaceOf(nlp.vendorRepository) === undefined) {
        issues.push({
            key: k("nlp.vendorRepository"),
            message: `"${nlp.vendorRepository}" is not in a namespace; a vendor shares repositories only under namespaces (<namespace>/${nlp.vendorRepository}, e.g. shared/rake-app), so that its replication filters and templates cover nothing else`,
        });
    }
    if (!repositories) return issues;

    const shared = hasConsumers(repositories.consumers);
    const replicated = repositories.replicationRegions.length > 0;
    let topLevel = 0;
    if (shared || replicated) {
        const why = [
            ...(shared ? ["repositories.consumers grants other accounts"] : []),
            ...(replicated ? ["repositories.replicationRegions replicates them"] : []),
        ].join(" and ");
        repositories.names.forEach((n, i) => {
            if (namespaceOf(n) !== undefined) return;
            topLevel++;
            issues.push({
                key: k(`repositories.names[${i}]`),
                message: `"${n}" is shared (${why}) but not in a namespace: name it <namespace>/${n} (e.g. shared/${n}). Replication filters and creation templates match by prefix, so only a namespace keeps repositories that are not shared out of them; every repository under a shared namespace is shared`,
            });
        });
    }

    const patterns = repositories.lifecycle.releaseTagPatterns;
    const seen = new Set<string>();
    patterns.forEach((p, i) => {
        if (seen.has(p)) {
            issues.push({
                key: k(`repositories.lifecycle.releaseTagPatterns[${i}]`),
                message: `"${p}" is listed twice (ECR wants each tag selection once)`,
            });
        }
        seen.add(p);
    });
    let lifecycleText = "";
    if (seen.size === patterns.length) {
        try {
            lifecycleText = JSON.stringify(lifecyclePolicyDocument(repositories.lifecycle));
        } catch (e) {
            issues.push({
                key: k("repositories.lifecycle.releaseTagPatterns"),
                message: (e as Error).message,
            });
        }
    }

    // Replication within ECR's limits (only once every name is namespaced).
    if (replicated && topLevel === 0 && lifecycleText !== "") {
        const doc = repositoryPolicyDocument({
            accountId: account,
            consumers: repositories.consumers,
            codeBuild: repositories.codeBuild,
        });
        const policy = doc && policyText(doc);
        try {
            // Duplicates are reported by crossCheck; the plan needs each name once.
            replicationPlan(
                [...new Set(repositories.names)].map((name) => ({
                    name,
                    accountId: account,
                    region: cfg.region,
                    replicationRegions: repositories.replicationRegions,
                    repositoryPolicy: policy,
                    lifecyclePolicy: lifecycleText,
                    kmsEncrypted: repositories.kmsKeyArn !== undefined,
                })),
            );
        } catch (e) {
            if (!(e instanceof ReplicationLimitError)) throw e;
            issues.push(
                e.subject === "regions"
                    ? {
                          key: k("repositories.replicationRegions"),
                          message: `${e.message}; list fewer regions`,
                      }
                    : {
                          key: k("repositories.names"),
                          message: `${e.message}; group the repositories into fewer namespaces (a filter "team/" replicates team/a and team/x/b alike), or split them over stacks in other registries`,
                      },
            );
        }
    }

    // IAM inline policy quotas for the documents built from this config.
    const homeArns = repositories.names.map((n) => repositoryArn(account, cfg.region, n));
    if (developers) {
        const replicas = repositories.replicationRegions.flatMap((r) =>
            repositories.names.map((n) => repositoryArn(account, r, n)),
        );
        const size = iamPolicySize(pushPullIdentityPolicy(homeArns, replicas));
        if (size > MAX_GROUP_INLINE_POLICY_CHARS) {
            issues.push({
                key: k("repositories.names"),
                message: `the developers' group policy (developers block) would be ${size} characters; IAM allows ${MAX_GROUP_INLINE_POLICY_CHARS} for all inline policies of a group (whitespace excluded). It holds one ARN per namespace and region, and one per top-level repository: put the repositories under fewer namespaces`,
            });
        }
    }
    if (idc) {
        const size = iamPolicySize(hostEcrPolicy(homeArns, cacheFillResources(cfg)));
        if (size > MAX_ROLE_INLINE_POLICY_CHARS) {
            issues.push({
                key: k("repositories.names"),
                message: `the IDC host role's policy (idc block) would be ${size} characters; IAM allows ${MAX_ROLE_INLINE_POLICY_CHARS} for all inline policies of a role (whitespace excluded). It holds one ARN per namespace, one per top-level repository and two per cache prefix: put the repositories under fewer namespaces`,
            });
        }
        if (!isReleaseTag(IDC_PUSH_TAG_EXAMPLE, patterns)) {
            issues.push({
                key: k("repositories.lifecycle.releaseTagPatterns"),
                message: `no pattern matches the tags the IDC host pushes (idc-<UTC timestamp>, e.g. ${IDC_PUSH_TAG_EXAMPLE}), so the lifecycle policy would expire them; add "idc-*"`,
            });
        }
    }

    // Every tag the NLP service deploys from this stack's own repositories is a release tag.
    if (nlp) {
        for (const [field, tagKey] of [
            ["clientRepository", "nlpClient"],
            ["proseRepository", "proseApp"],
        ] as const) {
            const tag = nlp.imageTags[tagKey];
            if (repositories.names.includes(nlp[field]) && !isReleaseTag(tag, patterns)) {
                issues.push({
                    key: k(`nlp.imageTags.${tagKey}`),
                    message: `"${tag}" matches none of repositories.lifecycle.releaseTagPatterns (${patterns.join(", ")}): the lifecycle policy would expire the image the service runs once ${repositories.lifecycle.keepImages} newer images exist; deploy a release tag or add a pattern that matches it`,
                });
            }
        }
    }
    return issues;
}
