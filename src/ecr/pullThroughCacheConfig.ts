/**
 * Config-time checks of the `pullThroughCache` block (src/config.ts calls them before any
 * resource is registered), and the rules it becomes. Each issue names the full config key and
 * the way out; a secret's value is never echoed.
 */
import type { ConfigIssue, StackConfig } from "../config";
import { repositoryArn } from "./policies";
import {
    CACHE_TOKEN_KEYS,
    cachePrefixOf,
    cacheRepositoryPattern,
    cachePrefixProblem,
    MAX_SCAN_FILTERS,
    parseCachedImage,
    scanOnPushFilters,
    Upstream,
    UPSTREAM_INFO,
} from "./pullThroughCache";
import { namespaceOf } from "./sharing";

// config.ts imports this module, so its PROJECT constant is not imported at run time.
const PROJECT = "ecr-private-access";
const k = (name: string) => `${PROJECT}:${name}`;

/** One cache rule as the component gets it. */
export interface CacheRule {
    upstream: Upstream;
    prefix: string;
    /** `upstreamRegistryUrl`. */
    url: string;
    /** Upstream user name, for upstreams that need credentials. */
    username?: string;
    /** The secret config key holding the access token, for upstreams that need credentials. */
    tokenKey?: string;
}

/** The block as validated by its schema (src/config.ts). */
export interface PullThroughCacheInput {
    rules: { upstream: Upstream; prefix?: string; username?: string }[];
    warmUpImages: string[];
    unpulledExpireDays: number;
    scanOnPush: boolean;
    consumers: { accounts: string[]; roleArns: string[] };
}

/** The rules with their defaults filled in. */
export function cacheRules(input: Pick<PullThroughCacheInput, "rules">): CacheRule[] {
    return input.rules.map((r) => {
        const info = UPSTREAM_INFO[r.upstream];
        return {
            upstream: r.upstream,
            prefix: r.prefix ?? info.defaultPrefix,
            url: info.url,
            ...(info.tokenKey ? { username: r.username, tokenKey: info.tokenKey } : {}),
        };
    });
}

/**
 * Where a pull of this stack's principals may fill the cache (identity and endpoint policies):
 * `<prefix>/*` of each rule, and the self-hosted registry's cached image repository when its
 * rule is made outside the stack (`registry.image.pullThroughCache` without the block).
 */
export function cacheFillResources(
    cfg: Pick<StackConfig, "accountId" | "region" | "pullThroughCache" | "registry">,
): string[] {
    const out = cacheRules(cfg.pullThroughCache ?? { rules: [] }).map((r) =>
        cacheRepositoryPattern(cfg.accountId, cfg.region, r.prefix),
    );
    const image = cfg.registry?.image;
    if (image?.pullThroughCache && !cfg.pullThroughCache) {
        out.push(repositoryArn(cfg.accountId, cfg.region, image.repository));
    }
    return out;
}

/**
 * The cached images the stack's commands use: `warmUp` (the configured warm-up images, then
 * the self-hosted registry's image when it is a cache path) and `idcImage`, the image the IDC
 * host's commands pull: the first warm-up image from Docker Hub, else the first one.
 */
export function cacheImages(cfg: Pick<StackConfig, "pullThroughCache" | "registry">): {
    warmUp: string[];
    idcImage?: string;
} {
    const block = cfg.pullThroughCache;
    const images = [...(block?.warmUpImages ?? [])];
    const registry = cfg.registry?.image;
    if (registry?.pullThroughCache) {
        const image = `${registry.repository}@${registry.digest}`;
        if (!images.includes(image)) images.push(image);
    }
    const rules = block ? cacheRules(block) : [];
    const dockerHub = rules.filter((r) => r.upstream === "docker-hub").map((r) => r.prefix);
    const idcImage =
        (block?.warmUpImages ?? []).find((i) => cachePrefixOf(i, dockerHub) !== undefined) ??
        block?.warmUpImages[0];
    return { warmUp: images, ...(idcImage !== undefined ? { idcImage } : {}) };
}

/** Upstream user names: what Docker Hub, GitHub and GitLab accept, loosely (no spaces, no `:`). */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$/;

/**
 * @param present full config keys the stack sets (a token given in plain text is refused by
 *   src/config.ts's secret check, with the command that stores it encrypted)
 */
export function pullThroughCacheIssues(
    cfg: StackConfig,
    present: ReadonlySet<string>,
): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const block = cfg.pullThroughCache;
    const stackFile = `Pulumi.${cfg.stack.split("/").pop()}.yaml`;
    const stack = cfg.stack.split("/").pop();

    if (!block) {
        // The block is there but broke its own schema: that is the error to report.
        if (present.has(k("pullThroughCache"))) return issues;
        // A token without the block is a leftover or a typo in the block's name.
        for (const key of CACHE_TOKEN_KEYS) {
            if (present.has(k(key))) {
                issues.push({
                    key: k(key),
                    message: `is set, but there is no pullThroughCache block that uses it; remove it from ${stackFile} (pulumi config rm --stack ${stack} ${k(key)})`,
                });
            }
        }
        return issues;
    }

    // ECR has no pull-through cache in China and AWS GovCloud (US) (user guide,
    // considerations); aws:region accepts commercial regions only (src/regions.ts).
    const rules = cacheRules(block);
    const seen = new Map<string, number>();
    const usedTokens = new Set<string>();
    rules.forEach((r, i) => {
        const info = UPSTREAM_INFO[r.upstream];
        const prefixKey = k(`pullThroughCache.rules[${i}].prefix`);
        const problem = cachePrefixProblem(r.prefix);
        if (problem) {
            issues.push({
                key: prefixKey,
                message: `"${r.prefix}" ${problem}${block.rules[i].prefix === undefined ? ` (the default for ${r.upstream}; set one)` : ""}`,
            });
            return;
        }
        if (seen.has(r.prefix)) {
            issues.push({
                key: prefixKey,
                message: `"${r.prefix}" is also the prefix of pullThroughCache.rules[${seen.get(r.prefix)}]; each rule needs its own prefix${block.rules[i].prefix === undefined ? ` (set prefix, the default for ${r.upstream} is taken)` : ""}`,
            });
        }
        seen.set(r.prefix, i);

        const userKey = k(`pullThroughCache.rules[${i}].username`);
        if (r.tokenKey) {
            usedTokens.add(r.tokenKey);
            if (r.username === undefined) {
                issues.push({
                    key: userKey,
                    message: `is required: ECR caches ${info.label} only with credentials (a Secrets Manager secret ecr-pullthroughcache/${r.prefix} holding the user name and an access token; anonymous pulls are also rate-limited)`,
                });
            } else if (!USERNAME.test(r.username)) {
                issues.push({
                    key: userKey,
                    message: `"${r.username}" is not a ${info.label} user name`,
                });
            }
            if (!present.has(k(r.tokenKey))) {
                issues.push({
                    key: k(r.tokenKey),
                    message: `is required by pullThroughCache.rules[${i}] (${info.label}): ${info.tokenHelp}. Store it encrypted with: pulumi config set --secret --stack ${stack} ${k(r.tokenKey)} (it prompts for the value)`,
                });
            }
        } else if (block.rules[i].username !== undefined) {
            issues.push({
                key: userKey,
                message: `${info.label} is cached without credentials (ECR accepts none for it); remove username`,
            });
        }
    });
    for (const key of CACHE_TOKEN_KEYS) {
        if (present.has(k(key)) && !usedTokens.has(key)) {
            const upstream = (Object.keys(UPSTREAM_INFO) as Upstream[]).find(
                (u) => UPSTREAM_INFO[u].tokenKey === key,
            )!;
            issues.push({
                key: k(key),
                message: `is set, but no pullThroughCache rule caches ${UPSTREAM_INFO[upstream].label} (upstream: ${upstream}); remove it (pulumi config rm --stack ${stack} ${k(key)}) or add the rule`,
            });
        }
    }

    // Prefixes are namespaces of their own: none inside another, none holding the stack's repositories.
    const prefixes = [...seen.keys()];
    prefixes.forEach((p) => {
        const outer = prefixes.find((q) => q !== p && p.startsWith(`${q}/`));
        if (outer) {
            issues.push({
                key: k(`pullThroughCache.rules[${seen.get(p)}].prefix`),
                message: `"${p}" is inside the prefix "${outer}" of pullThroughCache.rules[${seen.get(outer)}]; cache prefixes must not nest (ECR could not tell which rule a repository belongs to)`,
            });
        }
    });
    cfg.repositories?.names.forEach((n, i) => {
        const p = cachePrefixOf(n, prefixes);
        if (p) {
            issues.push({
                key: k(`repositories.names[${i}]`),
                message: `"${n}" is under the pull-through cache prefix "${p}", where ECR creates repositories from the upstream; name it outside the cache prefixes`,
            });
        } else {
            const ns = namespaceOf(n);
            const inside = ns && prefixes.find((q) => q.startsWith(`${ns}/`));
            if (inside) {
                issues.push({
                    key: k(`pullThroughCache.rules[${seen.get(inside)}].prefix`),
                    message: `"${inside}" is inside the namespace "${ns}" of repositories.names[${i}] (${n}), which the stack shares or grants as a whole; put the cache prefix outside it`,
                });
            }
        }
    });

    const images = new Set<string>();
    block.warmUpImages.forEach((image, i) => {
        const key = k(`pullThroughCache.warmUpImages[${i}]`);
        const parsed = parseCachedImage(image);
        if (!parsed) {
            issues.push({
                key,
                message: `"${image}" is not <prefix>/<upstream path>:<tag> or <prefix>/<upstream path>@sha256:<digest>`,
            });
            return;
        }
        if (images.has(image)) {
            issues.push({ key, message: `"${image}" is listed twice` });
            return;
        }
        images.add(image);
        const prefix = cachePrefixOf(parsed.repository, prefixes);
        if (!prefix) {
            issues.push({
                key,
                message: `"${image}" is under none of the cache prefixes (${prefixes.join(", ")}); a cached image is <prefix>/<upstream path>`,
            });
            return;
        }
        const rule = rules[seen.get(prefix)!];
        const path = parsed.repository.slice(prefix.length + 1);
        if (rule.upstream === "docker-hub" && !path.includes("/")) {
            issues.push({
                key,
                message: `"${image}": Docker Hub's official images are cached as ${prefix}/library/${path} (ECR needs the library/ namespace Docker's CLI leaves out)`,
            });
        }
    });

    // The self-hosted registry's image, when it comes from the cache, is under one of its prefixes.
    const registryImage = cfg.registry?.image;
    if (registryImage?.pullThroughCache && !cachePrefixOf(registryImage.repository, prefixes)) {
        issues.push({
            key: k("registry.image.repository"),
            message: `"${registryImage.repository}" is a pull-through cache path (registry.image.pullThroughCache) but under none of pullThroughCache's prefixes (${prefixes.join(", ")})`,
        });
    }

    if (block.scanOnPush) {
        const filters = scanOnPushFilters(prefixes, cfg.repositories?.names ?? []).length;
        if (filters > MAX_SCAN_FILTERS) {
            issues.push({
                key: k("pullThroughCache.scanOnPush"),
                message: `the registry's scan-on-push rule would need ${filters} repository filters (one per cache prefix, namespace and top-level repository); ECR allows ${MAX_SCAN_FILTERS} per rule. Put the repositories under fewer namespaces, or set scanOnPush: false and configure registry scanning outside the stack`,
            });
        }
    }

    const seenConsumers = new Set<string>();
    block.consumers.accounts.forEach((a, i) => {
        const key = k(`pullThroughCache.consumers.accounts[${i}]`);
        if (a === cfg.accountId) {
            issues.push({
                key,
                message: `${a} is this stack's own account; its principals use the cache through their own IAM policies`,
            });
        } else if (seenConsumers.has(a)) {
            issues.push({ key, message: `${a} is listed twice` });
        }
        seenConsumers.add(a);
    });
    block.consumers.roleArns.forEach((arn, i) => {
        if (arn.split(":")[4] === cfg.accountId) {
            issues.push({
                key: k(`pullThroughCache.consumers.roleArns[${i}]`),
                message: `${arn} is a role of this stack's own account; grant it through its own IAM policy`,
            });
        }
    });
    return issues;
}
