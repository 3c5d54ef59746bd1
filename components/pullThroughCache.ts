import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    CacheConsumers,
    cachePrefixProblem,
    cacheRegistryPolicy,
    cacheRepositoryPattern,
    cacheTemplate,
    credentialSecretName,
    credentialSecretValue,
    hasCacheConsumers,
    privateRegistryHost,
    scanOnPushFilters,
    Upstream,
    UPSTREAM_INFO,
    UPSTREAMS,
} from "../src/ecr/pullThroughCache";

/** One upstream registry cached under one prefix. */
export interface PullThroughCacheRuleArgs {
    /** The upstream registry (ECR's `upstreamRegistry` name). Warning: changing it replaces the rule. */
    upstream: Upstream;
    /**
     * Repository prefix of the cached images (`<prefix>/<upstream path>`), 2 to 30
     * characters. Warning: changing it replaces the rule, its template and its secret; images
     * cached under the old prefix stay (ECR never deletes them with the rule).
     */
    prefix: string;
    /** User name at the upstream. Required for Docker Hub, GitHub and GitLab, refused otherwise. */
    username?: string;
    /**
     * Access token at the upstream, as a secret Output (a `secure:` config value). Required
     * with `username`. Changing it writes a new secret version.
     */
    token?: pulumi.Input<string>;
}

export interface PullThroughCacheArgs {
    /** The registry's account (ARNs of the registry policy and the outputs). */
    accountId: string;
    /** The registry's region. Warning: changing it replaces everything. */
    region: string;
    /** The cache rules, at least one, each with its own prefix. */
    rules: PullThroughCacheRuleArgs[];
    /**
     * Encrypt cached repositories with KMS (the region's AWS managed `aws/ecr` key) instead of
     * AES256: set it when the stack's own repositories use KMS. Only repositories created
     * after the change get it.
     * @default false
     */
    kmsEncrypted?: boolean;
    /**
     * Cached images not pulled for this many days expire (the creation template's lifecycle
     * policy); a later pull imports them again.
     * @default 90
     */
    unpulledExpireDays?: number;
    /**
     * Other accounts (or roles in them) that may pull cached images (the template's repository
     * policy) and fill the cache (a registry policy on the cache prefixes only). The registry
     * policy replaces any other registry policy of the account in this region.
     * @default none (no registry policy, no repository policy)
     */
    consumers?: CacheConsumers;
    /**
     * Own the registry's scanning configuration: basic scan on push for the cache prefixes and
     * for `scanRepositoryNames`. Warning: it replaces the registry's scanning configuration
     * (an Inspector enhanced configuration included); turn it off where scanning is managed
     * elsewhere.
     * @default true
     */
    scanOnPush?: boolean;
    /** The stack's own repositories, kept in the scan-on-push rule. @default [] */
    scanRepositoryNames?: string[];
    /** Tags for the secrets. */
    tags?: Record<string, string>;
}

/** Asserts the invariants config validation guarantees; throws naming the argument. */
export function validatePullThroughCacheArgs(args: PullThroughCacheArgs): void {
    if (!/^\d{12}$/.test(String(args.accountId))) {
        throw new Error(
            `\`accountId\` ${JSON.stringify(args.accountId)} is not a 12-digit account ID.`,
        );
    }
    if (!Array.isArray(args.rules) || args.rules.length === 0) {
        throw new Error("`rules` must list at least one upstream to cache.");
    }
    const seen = new Set<string>();
    args.rules.forEach((r, i) => {
        if (!(UPSTREAMS as readonly string[]).includes(r.upstream)) {
            throw new Error(
                `\`rules[${i}].upstream\` "${r.upstream}" is not one of ${UPSTREAMS.join(", ")}.`,
            );
        }
        const problem = cachePrefixProblem(r.prefix);
        if (problem) throw new Error(`\`rules[${i}].prefix\` "${r.prefix}" ${problem}.`);
        if (seen.has(r.prefix))
            throw new Error(`\`rules[${i}].prefix\` "${r.prefix}" is used twice.`);
        seen.add(r.prefix);
        const needs = UPSTREAM_INFO[r.upstream].tokenKey !== undefined;
        if (needs && (r.username === undefined || r.token === undefined)) {
            throw new Error(
                `\`rules[${i}]\`: ${UPSTREAM_INFO[r.upstream].label} needs \`username\` and \`token\` (ECR caches it only with credentials).`,
            );
        }
        if (!needs && (r.username !== undefined || r.token !== undefined)) {
            throw new Error(
                `\`rules[${i}]\`: ${UPSTREAM_INFO[r.upstream].label} takes no credentials.`,
            );
        }
    });
    const days = args.unpulledExpireDays ?? 90;
    if (!Number.isInteger(days) || days < 1) {
        throw new Error(`\`unpulledExpireDays\` must be a whole number of days, at least 1.`);
    }
}

/**
 * ECR pull-through cache for public registries (seed 001's need, with no server to run):
 * networks with no internet path pull `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>`
 * through the same registry endpoints as the stack's own images.
 *
 * Per rule: the cache rule, a repository creation template (`PULL_THROUGH_CACHE`, the rule's
 * prefix, never ROOT) that gives every cached repository its tag mutability, encryption,
 * lifecycle policy and, with consumers, its pull policy, and for upstreams that need
 * credentials a Secrets Manager secret `ecr-pullthroughcache/<prefix>` (the name ECR
 * requires) whose value comes from a secret config value. Once per registry: the registry
 * policy (with consumers) and the basic scan-on-push scanning configuration.
 *
 * Cached repositories are created by ECR, not by this component, so no change here ever
 * deletes them or their images.
 */
export class PullThroughCache extends pulumi.ComponentResource {
    /** `<account>.dkr.ecr.<region>.amazonaws.com`. */
    public readonly registry: string;
    /** Cache prefix -> upstream registry URL. */
    public readonly prefixes: Record<string, string>;
    /** `.../repository/<prefix>/*` of every rule, for identity and endpoint policies. */
    public readonly repositoryPatterns: string[];
    public readonly rules: aws.ecr.PullThroughCacheRule[] = [];
    public readonly templates: aws.ecr.RepositoryCreationTemplate[] = [];
    /** Credential secrets by prefix (their ARNs are not secret; their values are). */
    public readonly credentialSecrets: Record<string, aws.secretsmanager.Secret> = {};
    public readonly registryPolicy?: aws.ecr.RegistryPolicy;
    public readonly scanning?: aws.ecr.RegistryScanningConfiguration;

    constructor(name: string, args: PullThroughCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecr-private-access:ecr:PullThroughCache", name, {}, opts);
        validatePullThroughCacheArgs(args);
        const child = { parent: this };
        const region = args.region;

        for (const r of args.rules) {
            // `/` -> `--` cannot collide: ECR names never hold two separators in a row.
            const base = `${name}-${r.prefix.replace(/\//g, "--")}`;
            const t = cacheTemplate({
                prefix: r.prefix,
                upstream: r.upstream,
                kmsEncrypted: args.kmsEncrypted ?? false,
                unpulledExpireDays: args.unpulledExpireDays ?? 90,
                consumers: args.consumers,
            });
            const template = new aws.ecr.RepositoryCreationTemplate(
                `${base}-template`,
                { ...t, region },
                child,
            );
            this.templates.push(template);

            let credentialArn: pulumi.Output<string> | undefined;
            const dependsOn: pulumi.Resource[] = [template];
            if (r.username !== undefined && r.token !== undefined) {
                const username = r.username;
                const secret = new aws.secretsmanager.Secret(
                    `${base}-credential`,
                    {
                        name: credentialSecretName(r.prefix),
                        description: `${UPSTREAM_INFO[r.upstream].label} credentials of the ECR pull-through cache rule ${r.prefix}`,
                        // The AWS managed key (aws/secretsmanager): ECR's service-linked role
                        // reads the secret through Secrets Manager and has no kms:Decrypt for a
                        // customer managed key (AWSECRPullThroughCache_ServiceRolePolicy).
                        //
                        // ECR fixes the name, so a deletion scheduled for the default 30 days
                        // would block recreating the secret; the value lives in the stack's
                        // encrypted config, so nothing is lost by deleting it at once.
                        recoveryWindowInDays: 0,
                        region,
                        tags: { ...args.tags, Name: `${base}-credential` },
                    },
                    child,
                );
                const version = new aws.secretsmanager.SecretVersion(
                    `${base}-credential`,
                    {
                        secretId: secret.id,
                        secretString: pulumi.secret(
                            pulumi
                                .output(r.token)
                                .apply((token) => credentialSecretValue(username, token)),
                        ),
                        region,
                    },
                    child,
                );
                this.credentialSecrets[r.prefix] = secret;
                credentialArn = secret.arn;
                dependsOn.push(version);
            }
            // Templates only shape repositories created after them, and the credential must
            // hold a value before the first pull: the rule comes last.
            this.rules.push(
                new aws.ecr.PullThroughCacheRule(
                    `${base}-rule`,
                    {
                        ecrRepositoryPrefix: r.prefix,
                        upstreamRegistryUrl: UPSTREAM_INFO[r.upstream].url,
                        credentialArn,
                        region,
                    },
                    { parent: this, dependsOn },
                ),
            );
        }

        const prefixes = args.rules.map((r) => r.prefix);
        const registryPolicy = cacheRegistryPolicy({
            accountId: args.accountId,
            region,
            prefixes,
            consumers: args.consumers,
        });
        if (registryPolicy && hasCacheConsumers(args.consumers)) {
            this.registryPolicy = new aws.ecr.RegistryPolicy(
                `${name}-registry-policy`,
                { policy: JSON.stringify(registryPolicy), region },
                child,
            );
        }
        if (args.scanOnPush ?? true) {
            this.scanning = new aws.ecr.RegistryScanningConfiguration(
                `${name}-scanning`,
                {
                    scanType: "BASIC",
                    rules: [
                        {
                            scanFrequency: "SCAN_ON_PUSH",
                            repositoryFilters: scanOnPushFilters(
                                prefixes,
                                args.scanRepositoryNames ?? [],
                            ).map((filter) => ({ filter, filterType: "WILDCARD" })),
                        },
                    ],
                    region,
                },
                child,
            );
        }

        this.registry = privateRegistryHost(args.accountId, region);
        this.prefixes = Object.fromEntries(
            args.rules.map((r) => [r.prefix, UPSTREAM_INFO[r.upstream].url]),
        );
        this.repositoryPatterns = prefixes.map((p) =>
            cacheRepositoryPattern(args.accountId, region, p),
        );
        this.registerOutputs({
            registry: this.registry,
            prefixes: this.prefixes,
            repositoryPatterns: this.repositoryPatterns,
        });
    }
}
