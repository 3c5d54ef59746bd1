/**
 * The ECR pull-through cache, as pure functions: the upstreams ECR supports, the cache rules,
 * the credential secrets, the creation template cached repositories get, who may fill the
 * cache, and the commands that warm it and pull from it. The component
 * (components/pullThroughCache.ts), the config check (src/config.ts), the IDC host's policy and
 * the endpoint policies build from the same functions, so a cache prefix means the same thing
 * everywhere.
 *
 * A cached image lives at `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<upstream path>`.
 * ECR creates `<prefix>/<upstream path>` on the first pull of an image, imports it from the
 * upstream registry, and from then on serves it like any other repository, through the same
 * VPC endpoints. Sources: ECR user guide, "Sync an upstream registry with an Amazon ECR
 * private registry" (pull-through-cache.html) and its IAM page (pull-through-cache-iam.html);
 * ECR API reference, CreatePullThroughCacheRule.
 */
import { PULL_ACTIONS, PolicyDocument, PolicyStatement } from "../iam";
import { repositoryArn } from "./policies";
import { coveringNamespaces, namespaceOf } from "./sharing";

// ---------------------------------------------------------------------------
// Upstreams

/** Upstream registries this program can cache (the API's `upstreamRegistry` names). */
export const UPSTREAMS = [
    "ecr-public",
    "k8s",
    "quay",
    "docker-hub",
    "github-container-registry",
    "gitlab-container-registry",
] as const;
export type Upstream = (typeof UPSTREAMS)[number];

export interface UpstreamInfo {
    /** What people call it. */
    label: string;
    /** `upstreamRegistryUrl` (CreatePullThroughCacheRule API reference). */
    url: string;
    /** The repository prefix when the stack names none (the ECR console's defaults). */
    defaultPrefix: string;
    /**
     * The secret config key holding the access token, for upstreams that require
     * authentication with a Secrets Manager secret (ECR user guide: Docker Hub, GitHub
     * Container Registry and GitLab Container Registry do; ECR Public, Kubernetes and Quay
     * do not).
     */
    tokenKey?: string;
    /** Where the user creates the token. */
    tokenHelp?: string;
}

export const UPSTREAM_INFO: Record<Upstream, UpstreamInfo> = {
    "ecr-public": {
        label: "Amazon ECR Public",
        url: "public.ecr.aws",
        defaultPrefix: "ecr-public",
    },
    k8s: {
        label: "Kubernetes (registry.k8s.io)",
        url: "registry.k8s.io",
        defaultPrefix: "kubernetes",
    },
    quay: { label: "Quay", url: "quay.io", defaultPrefix: "quay" },
    "docker-hub": {
        label: "Docker Hub",
        url: "registry-1.docker.io",
        defaultPrefix: "docker-hub",
        tokenKey: "pullThroughCacheDockerHubToken",
        tokenHelp: "a Docker Hub personal access token (Account settings, Personal access tokens)",
    },
    "github-container-registry": {
        label: "GitHub Container Registry",
        url: "ghcr.io",
        defaultPrefix: "github",
        tokenKey: "pullThroughCacheGitHubToken",
        tokenHelp: "a GitHub personal access token (classic) with read:packages",
    },
    "gitlab-container-registry": {
        label: "GitLab Container Registry",
        url: "registry.gitlab.com",
        defaultPrefix: "gitlab",
        tokenKey: "pullThroughCacheGitLabToken",
        tokenHelp: "a GitLab personal access token with read_registry",
    },
};

/** The secret config keys of the credentialed upstreams, in UPSTREAMS order. */
export const CACHE_TOKEN_KEYS = UPSTREAMS.map((u) => UPSTREAM_INFO[u].tokenKey).filter(
    (k): k is string => k !== undefined,
);

export function needsCredential(upstream: Upstream): boolean {
    return UPSTREAM_INFO[upstream].tokenKey !== undefined;
}

// ---------------------------------------------------------------------------
// Prefixes, secrets, ARNs

/**
 * `ecrRepositoryPrefix` (CreatePullThroughCacheRule API reference): 2 to 30 characters of
 * repository-name syntax. ECR always reads it with a `/` appended (`docker-hub` covers
 * `docker-hub/...` and nothing beside it), and `ROOT` is not a cache prefix this program writes.
 */
export const CACHE_PREFIX = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const CACHE_PREFIX_MIN = 2;
export const CACHE_PREFIX_MAX = 30;

/** A prefix's problem, or undefined when ECR accepts it. */
export function cachePrefixProblem(prefix: string): string | undefined {
    if (prefix === "ROOT") return "ROOT is not a cache prefix (a cache needs its own namespace)";
    if (prefix.length < CACHE_PREFIX_MIN || prefix.length > CACHE_PREFIX_MAX)
        return `must be ${CACHE_PREFIX_MIN} to ${CACHE_PREFIX_MAX} characters (CreatePullThroughCacheRule)`;
    if (!CACHE_PREFIX.test(prefix))
        return "must be lower-case letters and digits with . _ - separators and optional / namespaces (CreatePullThroughCacheRule)";
    return undefined;
}

/** The name ECR requires of a credential secret: it reads only `ecr-pullthroughcache/...`. */
export const CREDENTIAL_SECRET_PREFIX = "ecr-pullthroughcache/";

export function credentialSecretName(prefix: string): string {
    return `${CREDENTIAL_SECRET_PREFIX}${prefix}`;
}

/**
 * `credentialArn` as CreatePullThroughCacheRule accepts it: a Secrets Manager secret whose name
 * starts with `ecr-pullthroughcache/`, 50 to 612 characters. (The API's pattern spells the
 * partition `aws` only; other partitions are allowed here.)
 */
export const CREDENTIAL_ARN =
    /^arn:aws[a-z-]*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;
export const CREDENTIAL_ARN_MIN = 50;
export const CREDENTIAL_ARN_MAX = 612;

/** Every cached repository of a prefix, for identity, endpoint and registry policies. */
export function cacheRepositoryPattern(accountId: string, region: string, prefix: string): string {
    return repositoryArn(accountId, region, `${prefix}/*`);
}

/** The cache prefix a repository name is under, if any (`docker-hub/library/x` -> `docker-hub`). */
export function cachePrefixOf(name: string, prefixes: readonly string[]): string | undefined {
    // The longest prefix wins (ECR matches rules by prefix, and prefixes may nest).
    return [...prefixes]
        .sort((a, b) => b.length - a.length)
        .find((p) => name.startsWith(`${p}/`) && name.length > p.length + 1);
}

/**
 * The secret's value, in the form the ECR user guide gives for every credentialed upstream
 * ("Storing your upstream repository credentials in an AWS Secrets Manager secret"):
 * `{"username": ..., "accessToken": ...}`.
 */
export function credentialSecretValue(username: string, accessToken: string): string {
    return JSON.stringify({ username, accessToken });
}

// ---------------------------------------------------------------------------
// Who may fill the cache

/**
 * What a pull of an image that is not cached yet needs besides the pull actions (ECR user
 * guide, pull-through-cache-iam): ecr:BatchImportUpstreamImage to import it, and
 * ecr:CreateRepository when its repository does not exist yet. Both are checked against the
 * cached repository's ARN (`<prefix>/<upstream path>`).
 */
export const CACHE_FILL_ACTIONS = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"] as const;

/** The identity-policy statement that lets a principal fill the cache under `resources`. */
export function cacheFillStatement(
    resources: string[],
    sid = "FillPullThroughCache",
): PolicyStatement {
    if (resources.length === 0) throw new Error("`resources` must name at least one cache prefix");
    return {
        Sid: sid,
        Effect: "Allow",
        Action: [...CACHE_FILL_ACTIONS],
        Resource: resources.length === 1 ? resources[0] : [...resources],
    };
}

/** Who outside the account may use the cache: pull cached images and fill the cache. */
export interface CacheConsumers {
    /** 12-digit account IDs (the account root). */
    accounts: string[];
    /** IAM role ARNs in other accounts. */
    roleArns: string[];
}

export function hasCacheConsumers(c: CacheConsumers | undefined): c is CacheConsumers {
    return !!c && (c.accounts.length > 0 || c.roleArns.length > 0);
}

function consumerPrincipals(c: CacheConsumers): string[] {
    return [...new Set([...c.accounts.map((a) => `arn:aws:iam::${a}:root`), ...c.roleArns])];
}

/**
 * The registry permissions policy for cross-account consumers: ecr:BatchImportUpstreamImage
 * and ecr:CreateRepository on the cache prefixes and nothing else (ECR enforces only these
 * and ecr:ReplicateImage at the registry level: user guide, registry-permissions). Their pull
 * comes from the cached repositories' policy, which the creation template gives them
 * ({@link cacheRepositoryPolicy}). Undefined without consumers: no registry policy at all.
 */
export function cacheRegistryPolicy(input: {
    accountId: string;
    region: string;
    prefixes: readonly string[];
    consumers?: CacheConsumers;
}): PolicyDocument | undefined {
    if (!hasCacheConsumers(input.consumers)) return undefined;
    if (input.prefixes.length === 0)
        throw new Error("`prefixes` must name at least one cache prefix");
    const resources = input.prefixes.map((p) =>
        cacheRepositoryPattern(input.accountId, input.region, p),
    );
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ConsumersFillPullThroughCache",
                Effect: "Allow",
                Principal: { AWS: consumerPrincipals(input.consumers) },
                Action: [...CACHE_FILL_ACTIONS],
                Resource: resources.length === 1 ? resources[0] : resources,
            },
        ],
    };
}

/**
 * The repository policy every cached repository gets from the creation template when the
 * cache has cross-account consumers: pull only. Undefined without consumers (the account's own
 * principals pull through their identity policies).
 */
export function cacheRepositoryPolicy(consumers?: CacheConsumers): PolicyDocument | undefined {
    if (!hasCacheConsumers(consumers)) return undefined;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ConsumersPullCachedImages",
                Effect: "Allow",
                Principal: { AWS: consumerPrincipals(consumers) },
                Action: [...PULL_ACTIONS],
            },
        ],
    };
}

// ---------------------------------------------------------------------------
// The creation template cached repositories get

/**
 * Lifecycle policy of cached repositories: an image nobody pulled for `days` days expires
 * (`countType: sinceImagePulled`, ECR user guide, lifecycle policy properties). Expiring a
 * cached image loses nothing the upstream does not still hold: the next pull imports it again,
 * and that pull is a first pull again (see README, "First pulls"), hence a generous default.
 * `tagStatus: any` also covers the untagged per-platform manifests of a multi-architecture
 * image, each expiring on its own last pull.
 */
export function cacheLifecyclePolicy(days: number): { rules: Record<string, unknown>[] } {
    if (!Number.isInteger(days) || days < 1) {
        throw new Error(
            `\`unpulledExpireDays\` must be a whole number of days, at least 1 (got ${days})`,
        );
    }
    return {
        rules: [
            {
                rulePriority: 1,
                description: `Expire cached images not pulled for ${days} days`,
                selection: {
                    tagStatus: "any",
                    countType: "sinceImagePulled",
                    countUnit: "days",
                    countNumber: days,
                },
                action: { type: "expire" },
            },
        ],
    };
}

export interface CacheTemplateInput {
    prefix: string;
    /** The upstream, for the description. */
    upstream: Upstream;
    /** KMS (with the region's AWS managed `aws/ecr` key) rather than AES256. */
    kmsEncrypted: boolean;
    unpulledExpireDays: number;
    consumers?: CacheConsumers;
}

/** The inputs of the PULL_THROUGH_CACHE creation template of one prefix. */
export interface CacheTemplate {
    prefix: string;
    appliedFors: ["PULL_THROUGH_CACHE"];
    description: string;
    imageTagMutability: "MUTABLE";
    encryptionConfigurations: { encryptionType: "AES256" | "KMS" }[];
    lifecyclePolicy: string;
    repositoryPolicy?: string;
}

/**
 * The creation template of a cache prefix (never ROOT: that would shape every top-level
 * repository a pull-through cache creates, of any rule).
 *
 * Tags stay MUTABLE: ECR keeps a cached tag in step with the upstream (it checks the upstream
 * at most once every 24 hours on pull), and the user guide warns that with immutable tags "ECR
 * may not be able to update the cached images", so `alpine:3.20` would stay frozen on the
 * first copy, missing the upstream's security rebuilds. What must not move is pinned by digest
 * instead (the self-hosted registry's image is).
 *
 * Encryption follows the stack's repositories: AES256, or KMS with the region's AWS managed
 * `aws/ecr` key when `repositories.kmsKeyArn` is set (a customer managed key in a template
 * needs a custom role for ECR; cached public images gain nothing from it), as for replicas.
 * Scan on push is a registry scanning setting, which templates cannot carry.
 */
export function cacheTemplate(input: CacheTemplateInput): CacheTemplate {
    const problem = cachePrefixProblem(input.prefix);
    if (problem) throw new Error(`\`prefix\` "${input.prefix}" ${problem}`);
    const policy = cacheRepositoryPolicy(input.consumers);
    const full = `Pull-through cache of ${UPSTREAM_INFO[input.upstream].label} under ${input.prefix}/`;
    return {
        prefix: input.prefix,
        appliedFors: ["PULL_THROUGH_CACHE"],
        // CreateRepositoryCreationTemplate accepts at most 256 characters.
        description: full.length <= 256 ? full : "Pull-through cache",
        imageTagMutability: "MUTABLE",
        encryptionConfigurations: [{ encryptionType: input.kmsEncrypted ? "KMS" : "AES256" }],
        lifecyclePolicy: JSON.stringify(cacheLifecyclePolicy(input.unpulledExpireDays)),
        ...(policy ? { repositoryPolicy: JSON.stringify(policy) } : {}),
    };
}

/**
 * Repository filters of the registry's basic scan-on-push rule: every cache prefix
 * (`<prefix>/*`) and the stack's own repositories, a namespace as `<namespace>/*` and a
 * top-level name as itself (a filter without a wildcard matches every name that contains it).
 * A registry scanning configuration takes over from the repositories' own scan-on-push
 * settings, hence the stack's repositories are listed too.
 */
export function scanOnPushFilters(
    prefixes: readonly string[],
    repositoryNames: readonly string[],
): string[] {
    const covers = coveringNamespaces(repositoryNames);
    const own = repositoryNames.map((n) => {
        const ns = namespaceOf(n);
        return ns === undefined ? n : `${covers.get(ns)!}/*`;
    });
    return [...new Set([...prefixes.map((p) => `${p}/*`), ...own])];
}

/** Repository filters per scanning rule (PutRegistryScanningConfiguration API reference). */
export const MAX_SCAN_FILTERS = 100;

// ---------------------------------------------------------------------------
// Images and commands

/** `docker-hub/library/alpine:3.20` -> its parts; undefined when not `<repo>:<tag>` or `<repo>@sha256:<hex>`. */
export function parseCachedImage(
    image: string,
): { repository: string; reference: string; digest: boolean } | undefined {
    const m =
        /^([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(sha256:[0-9a-f]{64}))$/.exec(
            image,
        );
    if (!m) return undefined;
    return { repository: m[1], reference: m[2] ?? m[3], digest: m[3] !== undefined };
}

/** `<account>.dkr.ecr.<region>.amazonaws.com`. */
export function privateRegistryHost(accountId: string, region: string): string {
    const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return `${accountId}.dkr.ecr.${region}.${suffix}`;
}

function login(registry: string, region: string): string {
    return `aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${registry}`;
}

/**
 * The first pull of each image, run where there is an internet path (a workstation or CI
 * runner) with credentials allowed to fill the cache. ECR's user guide says the first pull of
 * an image through a pull-through cache rule does not work for a client that reaches ECR only
 * through interface endpoints; once cached, the image is served through the endpoints like any
 * other. A multi-architecture image is imported whole (its index and every platform's manifest).
 */
export function warmUpCommands(
    registry: string,
    region: string,
    images: readonly string[],
): string[] {
    if (images.length === 0) return [];
    return [login(registry, region), ...images.map((i) => `docker pull ${registry}/${i}`)];
}
