/**
 * The shared set of a vendor's registry, and the cross-account contract.
 *
 * A repository is shared through its NAMESPACE (the part of its name before the
 * last `/`): replication filters (`<namespace>/`, a PREFIX_MATCH) and repository
 * creation templates (prefix `<namespace>`) name namespaces, never `ROOT` and
 * never a bare repository name, because both match by prefix: a filter
 * `rake-app` also replicates a later `rake-app-internal`, and the `ROOT` template
 * shapes every top-level repository that replication creates. So a namespace
 * that a stack shares is shared as a whole, including repositories created
 * outside the stack: nothing that must stay private may live under it.
 *
 * Pure functions only (no Pulumi): the config check, the components and the
 * tests use the same rules. Every function is linear in the number of
 * repositories (Sets and Maps, no scan of all repositories per repository).
 */

import { PolicyDocument } from "../iam";

// ---------------------------------------------------------------------------
// Namespaces

/** `team/app` -> `team`, `a/b/c` -> `a/b`, `app` -> undefined (a top-level name). */
export function namespaceOf(repositoryName: string): string | undefined {
    const slash = repositoryName.lastIndexOf("/");
    return slash < 0 ? undefined : repositoryName.slice(0, slash);
}

/** The proper ancestors of a namespace, nearest last: `a/b/c` -> `a`, `a/b`. */
function ancestorsOf(namespace: string): string[] {
    const parts = namespace.split("/");
    const out: string[] = [];
    for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
    return out;
}

/**
 * The namespaces that cover a set of namespaced repository names, with nested
 * ones folded into their outermost listed ancestor (`a` covers `a/b`: a filter
 * `a/` and a template `a` already apply to everything under `a/`). Returns a
 * map namespace -> the covering namespace. Top-level names are skipped.
 */
export function coveringNamespaces(names: Iterable<string>): Map<string, string> {
    const own = new Set<string>();
    for (const n of names) {
        const ns = namespaceOf(n);
        if (ns !== undefined) own.add(ns);
    }
    const cover = new Map<string, string>();
    for (const ns of own) {
        // Depth is small (ECR names are at most 256 characters): O(depth) per namespace.
        cover.set(ns, ancestorsOf(ns).find((a) => own.has(a)) ?? ns);
    }
    return cover;
}

/**
 * ECR's pattern for a replication filter (RepositoryFilter API reference,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryFilter.html):
 * 2-256 characters; it allows a trailing `/`, which is what makes a filter
 * match a namespace and nothing beside it (`team/` never matches `team-x/`).
 */
export const REPLICATION_FILTER_PATTERN =
    /^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*\/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$/;

/** The replication filter of a namespace: `team` -> `team/`. */
export function replicationFilter(namespace: string): string {
    const filter = `${namespace}/`;
    if (filter.length < 2 || filter.length > 256 || !REPLICATION_FILTER_PATTERN.test(filter)) {
        throw new Error(`\`namespace\` "${namespace}" gives no valid ECR replication filter.`);
    }
    return filter;
}

// ---------------------------------------------------------------------------
// Identity policy resources: one ARN pattern per namespace

const REPOSITORY_ARN = /^(arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/)(.+)$/;

/**
 * Collapses repository ARNs to one `.../repository/<namespace>/*` pattern per
 * namespace (and region and account); top-level repositories stay exact ARNs.
 * An identity policy then grows with the number of namespaces, not of
 * repositories: IAM allows 5,120 characters for all inline policies of a group
 * and 10,240 for a role, which about 40 exact repository ARNs (home + replica)
 * already fill. The pattern also covers repositories created later in the
 * namespace: a namespace belongs to the stack that lists a repository in it.
 * ARNs that are already patterns (`.../ns/*`) pass through. Order is kept
 * (first occurrence), duplicates are dropped.
 */
export function namespaceResourcePatterns(arns: readonly string[]): string[] {
    // Group by "registry prefix" (partition, region, account) then namespace.
    const namespacesOf = new Map<string, string[]>();
    const parsed: { prefix: string; name: string }[] = [];
    for (const arn of arns) {
        const m = REPOSITORY_ARN.exec(arn);
        if (!m) {
            parsed.push({ prefix: "", name: arn });
            continue;
        }
        const name = m[2].endsWith("/*") ? `${m[2].slice(0, -2)}/x` : m[2];
        parsed.push({ prefix: m[1], name });
        const list = namespacesOf.get(m[1]) ?? [];
        if (list.length === 0) namespacesOf.set(m[1], list);
        list.push(name);
    }
    const covers = new Map<string, Map<string, string>>();
    for (const [prefix, names] of namespacesOf) covers.set(prefix, coveringNamespaces(names));
    const out = new Set<string>();
    for (const { prefix, name } of parsed) {
        if (prefix === "") {
            out.add(name);
            continue;
        }
        const ns = namespaceOf(name);
        out.add(
            ns === undefined ? `${prefix}${name}` : `${prefix}${covers.get(prefix)!.get(ns)!}/*`,
        );
    }
    return [...out];
}

// ---------------------------------------------------------------------------
// IAM policy size quotas (IAM and AWS STS quotas,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
// the aggregate of all inline policies of one identity, whitespace not counted.

export const MAX_GROUP_INLINE_POLICY_CHARS = 5_120;
export const MAX_ROLE_INLINE_POLICY_CHARS = 10_240;
export const MAX_USER_INLINE_POLICY_CHARS = 2_048;
/** One customer managed policy (same page). */
export const MAX_MANAGED_POLICY_CHARS = 6_144;

/** The size IAM counts: every character but whitespace. */
export function iamPolicySize(doc: PolicyDocument | string): number {
    const text = typeof doc === "string" ? doc : JSON.stringify(doc);
    let n = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        // space, tab, LF, CR (JSON's whitespace; IAM accepts no other control characters)
        if (c !== 32 && c !== 9 && c !== 10 && c !== 13) n++;
    }
    return n;
}

// ---------------------------------------------------------------------------
// The cross-account contract: who may pull, and which tags never expire

/** Who may pull a repository in one region: what its repository policy grants. */
export interface PullGrant {
    /** 12-digit account IDs (the account root: every principal the account delegates to). */
    accounts: string[];
    /** Role ARNs in other accounts (only these roles, not their whole account). */
    roleArns: string[];
    /** An AWS Organizations ID whose every account may pull. */
    organizationId?: string;
    /** Organizational unit paths (`o-.../r-.../ou-.../`) whose accounts, and those of child OUs, may pull. */
    organizationalUnitPaths: string[];
}

/** AWS Organizations entity path of an account's OU, as `aws:PrincipalOrgPaths` reports it. */
export const ORGANIZATION_PATH =
    /^o-[a-z0-9]{10,32}\/r-[0-9a-z]{4,32}\/(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}\/)+$/;

/** The organization ID at the start of an entity path. */
export function organizationOfPath(path: string): string {
    return path.slice(0, path.indexOf("/"));
}

export type AccessVerdict =
    | { granted: true; by: string }
    | { granted: false; roleOnly: boolean; organizationUnverified: boolean };

/**
 * Whether `grant` lets account `accountId` pull: its account root, its
 * organization, or an OU above it (`organizationPath` is the account's own
 * path; without it organization and OU grants cannot be verified). A grant to
 * roles of the account is not enough for workloads whose roles are not listed.
 */
export function accountAccess(
    grant: PullGrant,
    accountId: string,
    organizationPath?: string,
): AccessVerdict {
    if (grant.accounts.includes(accountId)) return { granted: true, by: "account" };
    if (organizationPath !== undefined) {
        if (grant.organizationId === organizationOfPath(organizationPath)) {
            return { granted: true, by: "organization" };
        }
        const ou = grant.organizationalUnitPaths.find((p) => organizationPath.startsWith(p));
        if (ou) return { granted: true, by: `organizational unit ${ou}` };
    }
    return {
        granted: false,
        roleOnly: grant.roleArns.some((r) => r.split(":")[4] === accountId),
        organizationUnverified:
            organizationPath === undefined &&
            (grant.organizationId !== undefined || grant.organizationalUnitPaths.length > 0),
    };
}

/**
 * ECR lifecycle tag pattern match: `*` matches any run of characters (ECR
 * user guide, lifecycle policy parameters, `tagPatternList`), nothing else is
 * special, and the whole tag must match.
 */
export function tagMatches(pattern: string, tag: string): boolean {
    const parts = pattern.split("*");
    if (parts.length === 1) return pattern === tag;
    if (!tag.startsWith(parts[0])) return false;
    const last = parts[parts.length - 1];
    if (tag.length < parts[0].length + last.length || !tag.endsWith(last)) return false;
    let at = parts[0].length;
    const end = tag.length - last.length;
    for (let i = 1; i < parts.length - 1; i++) {
        const found = tag.indexOf(parts[i], at);
        if (found < 0 || found + parts[i].length > end) return false;
        at = found + parts[i].length;
    }
    return true;
}

/** True when a release pattern protects the tag from the lifecycle policy. */
export function isReleaseTag(tag: string, patterns: readonly string[]): boolean {
    return patterns.some((p) => tagMatches(p, tag));
}

/**
 * Release tag patterns when the stack file gives none: `v*` (v1.2.3) and
 * `*.*.*` (1.2.3, the tags the shipped stacks deploy). The simulated IDC's
 * push commands tag `idc-<UTC timestamp>`, so a stack with `idc` also keeps
 * `idc-*` (IDC_PUSH_TAG_PATTERN).
 */
export const DEFAULT_RELEASE_TAG_PATTERNS = ["v*", "*.*.*"] as const;

/** What the simulated IDC's push commands tag (`TAG=idc-$(date -u +%Y%m%d%H%M%S)`, src/idc/host.ts). */
export const IDC_PUSH_TAG_PATTERN = "idc-*";
export const IDC_PUSH_TAG_EXAMPLE = "idc-20250101120000";

/** The default release patterns of a stack, given whether it runs the simulated IDC. */
export function defaultReleaseTagPatterns(withIdc: boolean): string[] {
    return [...DEFAULT_RELEASE_TAG_PATTERNS, ...(withIdc ? [IDC_PUSH_TAG_PATTERN] : [])];
}

/** `<org>/<project>/<stack>` -> `Pulumi.<stack>.yaml`: the stack file to edit. */
export function stackFileOf(stackName: string): string {
    return `Pulumi.${stackName.split("/").pop()}.yaml`;
}
