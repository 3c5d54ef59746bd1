/**
 * Pure builders for the documents an ECR repository carries: the repository
 * (resource) policy, the identity policies of the people and roles that use
 * it, and the lifecycle policy. No Pulumi here: every function takes plain
 * values, validates them the way ECR/IAM would, and returns a typed document
 * that callers `JSON.stringify`.
 */

import {
    AUTH_ACTION,
    DESCRIBE_ACTIONS,
    PolicyDocument,
    PolicyStatement,
    PULL_ACTIONS,
    PUSH_ACTIONS,
} from "../iam";

/** SetRepositoryPolicy rejects policy text longer than this (ECR API reference). */
export const MAX_REPOSITORY_POLICY_LENGTH = 10_240;

/** PutLifecyclePolicy rejects policy text longer than this (ECR service quotas, not adjustable). */
export const MAX_LIFECYCLE_POLICY_LENGTH = 30_720;

/** ECR's repository name rule (SetRepositoryPolicy API reference), 2 to 256 characters. */
export const REPOSITORY_NAME_PATTERN =
    /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

// ---------------------------------------------------------------------------
// Small validated helpers

export function assertRepositoryName(name: string, argument = "name"): void {
    if (
        typeof name !== "string" ||
        name.length < 2 ||
        name.length > 256 ||
        !REPOSITORY_NAME_PATTERN.test(name)
    ) {
        throw new Error(
            `\`${argument}\` "${name}" is not a valid ECR repository name (2-256 characters: lower-case letters, digits and single . _ - separators, optional / namespaces).`,
        );
    }
}

export function assertAccountId(id: string, argument: string): void {
    if (typeof id !== "string" || !ACCOUNT_ID.test(id)) {
        throw new Error(`\`${argument}\` "${id}" is not a 12-digit AWS account ID.`);
    }
}

export function assertRegionName(region: string, argument: string): void {
    if (typeof region !== "string" || !REGION.test(region)) {
        throw new Error(`\`${argument}\` "${region}" is not an AWS region name (e.g. us-west-2).`);
    }
}

/** `aws`, `aws-cn` or `aws-us-gov`: ARNs and cross-region replication stay inside one partition. */
export function partitionOf(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

function dnsSuffixOf(region: string): string {
    return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** `arn:aws:ecr:<region>:<account>:repository/<name>`: what identity policies name. */
export function repositoryArn(accountId: string, region: string, name: string): string {
    return `arn:${partitionOf(region)}:ecr:${region}:${accountId}:repository/${name}`;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: what `docker pull` names (also for replicas). */
export function repositoryUrl(accountId: string, region: string, name: string): string {
    return `${accountId}.dkr.ecr.${region}.${dnsSuffixOf(region)}/${name}`;
}

/**
 * A Pulumi logical name for an ECR repository name. `/` becomes `--`: ECR
 * names never contain two separators in a row, so the mapping cannot make two
 * repositories collide (`a/b-c` -> `a--b-c`, `a-b/c` -> `a-b--c`).
 */
export function repositoryResourceName(name: string): string {
    assertRepositoryName(name);
    return name.replace(/\//g, "--");
}

function unique<T>(values: readonly T[]): T[] {
    return [...new Set(values)];
}

// ---------------------------------------------------------------------------
// Repository policy

export interface RepositoryConsumers {
    /** 12-digit account IDs; each account's administrator then delegates with identity policies. */
    accounts?: string[];
    /** IAM role ARNs in other accounts. The roles must exist before the policy is set. */
    roleArns?: string[];
    /** An AWS Organizations ID (`o-...`): every account of the organization may pull. */
    organizationId?: string;
}

export interface RepositoryPolicyInput {
    /** The publisher's (the repository owner's) account. */
    accountId: string;
    consumers?: RepositoryConsumers;
    /** Let CodeBuild projects of the publisher's account pull build images from the repository. */
    codeBuild?: boolean;
}

/**
 * The repository policy: pull-only grants for consumers and, optionally, the
 * CodeBuild service. Returns `undefined` when there is nothing to grant (then
 * no policy resource should exist).
 *
 * What is deliberately absent:
 * - A push statement for the publisher's own principals. Inside the owning
 *   account an identity policy alone grants access (the DeveloperAccess
 *   group's policy does), and an IAM group cannot be a policy principal
 *   anyway. Naming the publisher's account root here would grant nothing an
 *   identity policy doesn't already have to grant.
 * - `ecr:GetAuthorizationToken`: it has no resource type and does nothing in
 *   a repository policy; it belongs in the callers' identity policies.
 * - Push for anyone outside the account: consumers only ever pull.
 *
 * All account roots and role ARNs share one statement (one principal list):
 * that keeps the document as small as possible, see `assertRepositoryPolicySize`.
 */
export function repositoryPolicyDocument(input: RepositoryPolicyInput): PolicyDocument | undefined {
    assertAccountId(input.accountId, "accountId");
    const consumers = input.consumers ?? {};
    const accounts = unique(consumers.accounts ?? []);
    const roleArns = unique(consumers.roleArns ?? []);
    accounts.forEach((a, i) => assertAccountId(a, `consumers.accounts[${i}]`));
    roleArns.forEach((arn, i) => {
        if (!ROLE_ARN.test(arn)) {
            throw new Error(
                `\`consumers.roleArns[${i}]\` "${arn}" is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>).`,
            );
        }
    });
    if (consumers.organizationId !== undefined && !ORGANIZATION_ID.test(consumers.organizationId)) {
        throw new Error(
            `\`consumers.organizationId\` "${consumers.organizationId}" is not an AWS Organizations ID (o-xxxxxxxxxx).`,
        );
    }

    const statements: PolicyStatement[] = [];
    const principals = [...accounts.map((a) => `arn:aws:iam::${a}:root`), ...roleArns];
    if (principals.length > 0) {
        statements.push({
            Sid: "ConsumersPull",
            Effect: "Allow",
            Principal: { AWS: principals },
            Action: [...PULL_ACTIONS],
        });
    }
    if (consumers.organizationId !== undefined) {
        statements.push({
            Sid: "OrganizationPull",
            Effect: "Allow",
            // "*" is only safe with the organization condition: without it the
            // repository would be public to every AWS account.
            Principal: "*",
            Action: [...PULL_ACTIONS],
            Condition: { StringEquals: { "aws:PrincipalOrgID": consumers.organizationId } },
        });
    }
    if (input.codeBuild) {
        // CodeBuild pulls a project's custom build image with its own service
        // principal (image pull credentials type CODEBUILD), so that is a
        // resource-policy grant. It never needs push: a build that pushes does
        // so with the project's service role, an identity in this account.
        // aws:SourceAccount stops other accounts' projects from using the
        // grant (confused deputy).
        statements.push({
            Sid: "CodeBuildPull",
            Effect: "Allow",
            Principal: { Service: "codebuild.amazonaws.com" },
            Action: [...PULL_ACTIONS],
            Condition: { StringEquals: { "aws:SourceAccount": input.accountId } },
        });
    }
    return statements.length === 0 ? undefined : { Version: "2012-10-17", Statement: statements };
}

/** The policy text exactly as it is sent to ECR (compact JSON). */
export function policyText(doc: PolicyDocument): string {
    return JSON.stringify(doc);
}

/**
 * Throws when the policy text would exceed ECR's 10,240-character limit,
 * naming the size, the limit and what to configure instead. Never let an
 * oversized policy reach `pulumi up`, where it fails half-way through.
 */
export function assertRepositoryPolicySize(
    doc: PolicyDocument,
    repositoryName: string,
    consumers?: RepositoryConsumers,
): void {
    const length = policyText(doc).length;
    if (length <= MAX_REPOSITORY_POLICY_LENGTH) return;
    const accounts = unique(consumers?.accounts ?? []).length;
    const roles = unique(consumers?.roleArns ?? []).length;
    throw new Error(
        `The repository policy for \`${repositoryName}\` would be ${length} characters; ECR accepts at most ` +
            `${MAX_REPOSITORY_POLICY_LENGTH} (SetRepositoryPolicy). It lists ${accounts} account(s) in ` +
            `\`repositories.consumers.accounts\` and ${roles} role(s) in \`repositories.consumers.roleArns\`. ` +
            `Grant the consumers' AWS Organization instead with \`repositories.consumers.organizationId\` ` +
            `(one statement with an aws:PrincipalOrgID condition, whatever the number of accounts), or list fewer accounts.`,
    );
}

// ---------------------------------------------------------------------------
// Identity policies

/**
 * Identity policy for the publisher's developers (and build hosts): log in,
 * push and pull on exactly the given home-region repositories, and pull and
 * list on their replicas. Replicas are read-only copies: replication is
 * one-way, an image pushed into a replica never reaches the source, and a tag
 * pushed there first would clash with the replicated image (immutable tags).
 */
export function pushPullIdentityPolicy(
    repositoryArns: string[],
    replicaRepositoryArns: string[] = [],
): PolicyDocument {
    if (repositoryArns.length === 0) {
        throw new Error("`repositoryArns` must name at least one repository.");
    }
    const arn = /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/.+$/;
    [...repositoryArns, ...replicaRepositoryArns].forEach((a) => {
        if (!arn.test(a))
            throw new Error(`\`repositoryArns\` "${a}" is not an ECR repository ARN.`);
    });
    const home = unique(repositoryArns);
    const homeSet = new Set(home);
    const replicas = unique(replicaRepositoryArns).filter((a) => !homeSet.has(a));
    const statements: PolicyStatement[] = [
        { Sid: "RegistryLogin", Effect: "Allow", Action: AUTH_ACTION, Resource: "*" },
        {
            Sid: "PushPull",
            Effect: "Allow",
            Action: [...PULL_ACTIONS, ...PUSH_ACTIONS, ...DESCRIBE_ACTIONS],
            Resource: home,
        },
    ];
    if (replicas.length > 0) {
        statements.push({
            Sid: "PullReplicas",
            Effect: "Allow",
            Action: [...PULL_ACTIONS, ...DESCRIBE_ACTIONS],
            Resource: replicas,
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/** Identity policy for a consumer's role: log in and pull the given repositories (any account's). */
export function pullIdentityPolicy(repositoryArns: string[]): PolicyDocument {
    if (repositoryArns.length === 0) {
        throw new Error("`repositoryArns` must name at least one repository.");
    }
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "RegistryLogin", Effect: "Allow", Action: AUTH_ACTION, Resource: "*" },
            {
                Sid: "Pull",
                Effect: "Allow",
                Action: [...PULL_ACTIONS],
                Resource: unique(repositoryArns),
            },
        ],
    };
}

// ---------------------------------------------------------------------------
// Lifecycle policy

export interface LifecycleSettings {
    /** Expire untagged images this many days after they were pushed. */
    untaggedExpireDays: number;
    /** Keep this many of the newest images; older ones expire unless a release pattern protects them. */
    keepImages: number;
    /** Tag patterns (`*` wildcards) of images that never expire, e.g. `["v*"]`. */
    releaseTagPatterns: string[];
}

export interface LifecycleRule {
    rulePriority: number;
    description: string;
    selection: {
        tagStatus: "tagged" | "untagged" | "any";
        tagPatternList?: string[];
        countType: "imageCountMoreThan" | "sinceImagePushed";
        countUnit?: "days";
        countNumber: number;
    };
    action: { type: "expire" };
}

export interface LifecyclePolicyDocument {
    rules: LifecycleRule[];
}

/**
 * The count a release rule keeps: the default "images per repository" quota
 * (ECR service quotas), so a release rule never expires anything in a
 * repository that stays within the default quota.
 */
export const RELEASE_KEEP_COUNT = 100_000;

/**
 * Builds the lifecycle policy. ECR has no "keep" action, so release images
 * are protected by rule priority (ECR user guide, "Lifecycle policy
 * evaluation rules", https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html):
 * "an image that matches the tagging requirements of a rule cannot be expired
 * by a rule with a lower priority". So:
 *
 * 1. one rule per release pattern, first, selecting the pattern with a count
 *    (RELEASE_KEEP_COUNT) it never reaches: matched images are held by it
 *    and no later rule can expire them. One rule per pattern because a
 *    `tagPatternList` with several patterns selects only images matching
 *    *all* of them (lifecycle_policy_parameters);
 * 2. the untagged rule (ECR allows only one rule to select untagged images):
 *    expire untagged images after `untaggedExpireDays`;
 * 3. the `any` rule, which ECR requires to have the highest priority: expire
 *    everything beyond the newest `keepImages`. ECR still counts images held
 *    by earlier rules ("rules ... can still identify them"), so `keepImages`
 *    counts every image, while only unprotected tagged images are expired.
 */
export function lifecyclePolicyDocument(settings: LifecycleSettings): LifecyclePolicyDocument {
    const { untaggedExpireDays, keepImages, releaseTagPatterns } = settings;
    for (const [name, value] of [
        ["lifecycle.untaggedExpireDays", untaggedExpireDays],
        ["lifecycle.keepImages", keepImages],
    ] as const) {
        // ECR: countNumber is a positive integer ("0 is not an accepted value").
        if (!Number.isInteger(value) || value < 1) {
            throw new Error(
                `\`${name}\` must be a whole number of at least 1 (ECR rejects a countNumber of ${value}).`,
            );
        }
    }
    if (!Array.isArray(releaseTagPatterns)) {
        throw new Error("`lifecycle.releaseTagPatterns` must be a list of tag patterns.");
    }
    const seen = new Set<string>();
    releaseTagPatterns.forEach((p, i) => {
        const key = `lifecycle.releaseTagPatterns[${i}]`;
        if (typeof p !== "string" || !/^[A-Za-z0-9_.*-]{1,128}$/.test(p)) {
            throw new Error(
                `\`${key}\` "${p}" is not a tag pattern (1-128 letters, digits, _ . - and * wildcards).`,
            );
        }
        // ECR allows at most four wildcards per pattern (lifecycle_policy_parameters).
        if ((p.match(/\*/g) ?? []).length > 4) {
            throw new Error(
                `\`${key}\` "${p}" has more than the 4 wildcards ECR allows in a tag pattern.`,
            );
        }
        // ECR wants a unique set of tag selections across rules.
        if (seen.has(p)) {
            throw new Error(`\`${key}\` "${p}" is listed twice.`);
        }
        seen.add(p);
    });

    const rules: LifecycleRule[] = releaseTagPatterns.map((pattern, i) => ({
        rulePriority: i + 1,
        description: `Keep release images tagged ${pattern}`,
        selection: {
            tagStatus: "tagged",
            tagPatternList: [pattern],
            countType: "imageCountMoreThan",
            countNumber: RELEASE_KEEP_COUNT,
        },
        action: { type: "expire" },
    }));
    rules.push({
        rulePriority: rules.length + 1,
        description: `Expire untagged images after ${untaggedExpireDays} days`,
        selection: {
            tagStatus: "untagged",
            countType: "sinceImagePushed",
            countUnit: "days",
            countNumber: untaggedExpireDays,
        },
        action: { type: "expire" },
    });
    rules.push({
        rulePriority: rules.length + 1,
        description: `Keep the newest ${keepImages} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
        action: { type: "expire" },
    });

    const doc = { rules };
    const length = JSON.stringify(doc).length;
    if (length > MAX_LIFECYCLE_POLICY_LENGTH) {
        throw new Error(
            `The lifecycle policy would be ${length} characters; ECR accepts at most ${MAX_LIFECYCLE_POLICY_LENGTH}. ` +
                `List fewer \`lifecycle.releaseTagPatterns\`.`,
        );
    }
    return doc;
}

// ---------------------------------------------------------------------------
// Replication

/**
 * The repository creation template prefix that covers a repository created
 * by replication. ECR treats a template prefix as a namespace ("there is
 * always an assumed / applied to the end of the prefix", CreateRepositoryCreationTemplate
 * API reference): prefix `nlp` covers `nlp/rake-app`, and a top-level
 * repository such as `rake-app` is covered only by the `ROOT` template.
 */
export function creationTemplatePrefix(repositoryName: string): string {
    assertRepositoryName(repositoryName, "repositoryName");
    const slash = repositoryName.lastIndexOf("/");
    return slash < 0 ? "ROOT" : repositoryName.slice(0, slash);
}

/** Limits of one registry's replication configuration (ECR user guide, replication considerations). */
export const MAX_REPLICATION_RULES = 10;
export const MAX_REPLICATION_DESTINATIONS = 25;
export const MAX_REPLICATION_FILTERS_PER_RULE = 100;

/** What the registry replication needs to know about one repository (SharedRepository has these fields). */
export interface ReplicatedRepository {
    name: string;
    accountId: string;
    /** Home region: where the registry's replication configuration lives. */
    region: string;
    replicationRegions: string[];
    /** Repository policy text the replicas get, or undefined for none. */
    repositoryPolicy?: string;
    lifecyclePolicy: string;
    kmsEncrypted: boolean;
}

export interface ReplicationRule {
    destinations: { region: string; registryId: string }[];
    repositoryFilters: { filter: string; filterType: "PREFIX_MATCH" }[];
}

export interface CreationTemplatePlan {
    region: string;
    prefix: string;
    repositoryPolicy?: string;
    lifecyclePolicy: string;
    kmsEncrypted: boolean;
    /** The repositories whose replicas this template shapes. */
    repositories: string[];
}

export interface ReplicationPlan {
    accountId: string;
    region: string;
    rules: ReplicationRule[];
    templates: CreationTemplatePlan[];
}

/**
 * Plans a registry's replication: one rule per distinct set of destination
 * regions (a filter per repository), and one repository creation template per
 * (destination region, namespace prefix) so that replicas are created with
 * the same immutability, encryption, lifecycle and pull-only policy as the
 * source. Returns `undefined` when no repository is replicated.
 *
 * Replication itself copies none of those settings: "repository policies ...
 * and lifecycle policies aren't replicated" and "tag immutability, image
 * scanning, and KMS encryption settings are disabled by default on all
 * repositories created because of a replication action" (ECR user guide,
 * replication considerations). Creation templates fill that gap, but only for
 * repositories created after the template exists.
 */
export function replicationPlan(repositories: ReplicatedRepository[]): ReplicationPlan | undefined {
    const replicated = repositories.filter((r) => r.replicationRegions.length > 0);
    if (replicated.length === 0) return undefined;
    const { accountId, region } = replicated[0];
    const names = new Set<string>();
    for (const repo of replicated) {
        // A registry (account + region) has exactly one replication configuration.
        if (repo.accountId !== accountId || repo.region !== region) {
            throw new Error(
                `\`repositories\` span registries: ${repo.name} is in ${repo.accountId}/${repo.region}, ` +
                    `${replicated[0].name} in ${accountId}/${region}; make one RegistryReplication per registry.`,
            );
        }
        if (names.has(repo.name)) throw new Error(`\`repositories\` lists ${repo.name} twice.`);
        names.add(repo.name);
    }

    const byRegions = new Map<string, string[]>();
    for (const repo of replicated) {
        const key = [...new Set(repo.replicationRegions)].sort().join(",");
        byRegions.set(key, [...(byRegions.get(key) ?? []), repo.name]);
    }
    const rules: ReplicationRule[] = [...byRegions.entries()].map(([key, repoNames]) => ({
        destinations: key.split(",").map((r) => ({ region: r, registryId: accountId })),
        // PREFIX_MATCH is a plain string prefix: `rake-app` also matches a
        // later `rake-app-old`, which is then replicated too (harmless).
        repositoryFilters: repoNames.map((n) => ({
            filter: n,
            filterType: "PREFIX_MATCH" as const,
        })),
    }));
    if (rules.length > MAX_REPLICATION_RULES) {
        throw new Error(
            `Replication needs ${rules.length} rules (one per distinct set of \`replicationRegions\`); ECR allows ${MAX_REPLICATION_RULES}. Give repositories the same regions.`,
        );
    }
    const destinations = new Set(rules.flatMap((r) => r.destinations.map((d) => d.region)));
    if (destinations.size > MAX_REPLICATION_DESTINATIONS) {
        throw new Error(
            `Replication names ${destinations.size} destination regions; ECR allows ${MAX_REPLICATION_DESTINATIONS}.`,
        );
    }
    for (const rule of rules) {
        if (rule.repositoryFilters.length > MAX_REPLICATION_FILTERS_PER_RULE) {
            throw new Error(
                `A replication rule would filter ${rule.repositoryFilters.length} repositories; ECR allows ${MAX_REPLICATION_FILTERS_PER_RULE} filters per rule. Group repositories under a namespace.`,
            );
        }
    }

    const templates = new Map<string, CreationTemplatePlan>();
    for (const repo of replicated) {
        const prefix = creationTemplatePrefix(repo.name);
        for (const r of [...new Set(repo.replicationRegions)].sort()) {
            const key = `${r}|${prefix}`;
            const existing = templates.get(key);
            if (!existing) {
                templates.set(key, {
                    region: r,
                    prefix,
                    repositoryPolicy: repo.repositoryPolicy,
                    lifecyclePolicy: repo.lifecyclePolicy,
                    kmsEncrypted: repo.kmsEncrypted,
                    repositories: [repo.name],
                });
                continue;
            }
            // One template serves every replica in the namespace, so their
            // settings must agree.
            if (
                existing.repositoryPolicy !== repo.repositoryPolicy ||
                existing.lifecyclePolicy !== repo.lifecyclePolicy ||
                existing.kmsEncrypted !== repo.kmsEncrypted
            ) {
                throw new Error(
                    `\`repositories\` ${existing.repositories[0]} and ${repo.name} share the creation template prefix ` +
                        `"${prefix}" in ${r} but differ in policy, lifecycle or encryption; put them in different namespaces.`,
                );
            }
            existing.repositories.push(repo.name);
        }
    }
    return { accountId, region, rules, templates: [...templates.values()] };
}

export { AUTH_ACTION, DESCRIBE_ACTIONS, PULL_ACTIONS, PUSH_ACTIONS };
export type { PolicyDocument, PolicyStatement };
