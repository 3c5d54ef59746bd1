// Shared helpers for the rule modules. Only @pulumi/policy types are imported: the pack is
// installed standalone by the Pulumi CLI with its own node_modules.
import type { PolicyResource, StackValidationArgs, ResourceValidationArgs } from "@pulumi/policy";

/**
 * The sentinels the policy analyzer substitutes for values that are unknown during preview
 * (@pulumi/policy proxy.ts; the string one is also the SDK's `unknownValue`).
 */
const UNKNOWN_SENTINELS = new Set<string>([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** The analyzer's "unknown string" marker, exported for tests. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when a value cannot be used: undefined, or a preview-unknown sentinel. */
export function isUnknown(v: unknown): boolean {
    return v === undefined || (typeof v === "string" && UNKNOWN_SENTINELS.has(v));
}

/** True when a value is present and known. */
export function isKnown<T>(v: T | undefined): v is T {
    return !isUnknown(v);
}

/** True when a value or anything nested in it is unknown. */
export function containsUnknown(v: unknown): boolean {
    if (typeof v === "string") return UNKNOWN_SENTINELS.has(v);
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
    return false;
}

/**
 * The engine hands rules a proxy that throws on reading an unknown value, which aborts the whole
 * policy (for a stack policy: every resource) with a "can't run during preview" note. Reading the
 * proxy's target instead lets a rule skip only the unknown value. Nested values of the target
 * are plain objects.
 */
export function plain(props: unknown): Record<string, any> {
    if (props && typeof props === "object") {
        const p = props as Record<string, any>;
        if (p["__isSpecialProxy"] === true) {
            return p["__getSpecialProxyTarget"] as Record<string, any>;
        }
        return p;
    }
    return {};
}

/** Config with the rule's defaults applied (the engine applies schema defaults, tests do not). */
export function configOf<T extends object>(
    args: ResourceValidationArgs | StackValidationArgs,
    defaults: T,
): T {
    let given: Partial<T> = {};
    try {
        given = (args.getConfig<Partial<T>>() ?? {}) as Partial<T>;
    } catch {
        given = {};
    }
    const out = { ...defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(given)) {
        if (v !== undefined) out[k] = v;
    }
    return out as T;
}

/** Parses a JSON policy document given as a string (or already an object). */
export function parseDocument(doc: unknown): { ok: true; statements: Statement[] } | { ok: false } {
    let parsed: unknown = doc;
    if (typeof doc === "string") {
        try {
            parsed = JSON.parse(doc);
        } catch {
            return { ok: false };
        }
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { ok: false };
    const st = (parsed as Record<string, unknown>)["Statement"];
    const list = Array.isArray(st) ? st : st && typeof st === "object" ? [st] : [];
    return {
        ok: true,
        statements: list.filter((s) => s && typeof s === "object") as Statement[],
    };
}

export interface Statement {
    Sid?: string;
    Effect?: string;
    Principal?: unknown;
    NotPrincipal?: unknown;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

export function asList(v: unknown): unknown[] {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : [v];
}

export function asStrings(v: unknown): string[] {
    return asList(v).filter((x): x is string => typeof x === "string");
}

// Compiled patterns, shared by every statement that repeats them (thousands of repository
// policies carry the same few action patterns).
const globCache = new Map<string, RegExp>();

/** IAM-style wildcard match (`*`, `?`), case-insensitive as IAM actions are. */
export function globMatch(pattern: string, value: string, caseInsensitive = true): boolean {
    const flags = caseInsensitive ? "is" : "s";
    const key = `${flags}:${pattern}`;
    let re = globCache.get(key);
    if (!re) {
        re = new RegExp(
            "^" +
                pattern
                    .split("")
                    .map((c) =>
                        c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
                    )
                    .join("") +
                "$",
            flags,
        );
        if (globCache.size >= 10_000) globCache.clear();
        globCache.set(key, re);
    }
    return re.test(value);
}

/** Actions a statement grants among `candidates`, honouring Action and NotAction. */
export function grantedActions(st: Statement, candidates: string[]): string[] {
    if (st.Action !== undefined) {
        const pats = asStrings(st.Action);
        return candidates.filter((a) => pats.some((p) => globMatch(p, a)));
    }
    if (st.NotAction !== undefined) {
        const pats = asStrings(st.NotAction);
        return candidates.filter((a) => !pats.some((p) => globMatch(p, a)));
    }
    return [];
}

/** True when the statement's resources cover `arn` (Resource or NotResource). */
export function coversResource(st: Statement, arn: string): boolean {
    if (st.Resource !== undefined) {
        return asStrings(st.Resource).some((p) => globMatch(p, arn, false));
    }
    if (st.NotResource !== undefined) {
        return !asStrings(st.NotResource).some((p) => globMatch(p, arn, false));
    }
    // Resource policies (ECR) may omit Resource: the statement applies to the resource itself.
    return true;
}

/** The AWS principals of a statement: "*" or the strings under `AWS`. Undefined if unknown. */
export function awsPrincipals(principal: unknown): string[] | undefined {
    if (containsUnknown(principal)) return undefined;
    if (principal === "*") return ["*"];
    if (principal && typeof principal === "object" && !Array.isArray(principal)) {
        return asStrings((principal as Record<string, unknown>)["AWS"]);
    }
    return [];
}

/** Condition keys used anywhere in a statement's Condition block, lower-cased. */
export function conditionKeys(st: Statement): string[] {
    const keys: string[] = [];
    const cond = st.Condition;
    if (cond && typeof cond === "object") {
        for (const block of Object.values(cond)) {
            if (block && typeof block === "object")
                keys.push(...Object.keys(block).map((k) => k.toLowerCase()));
        }
    }
    return keys;
}

export function hasCondition(st: Statement): boolean {
    return (
        !!st.Condition && typeof st.Condition === "object" && Object.keys(st.Condition).length > 0
    );
}

// ---------------------------------------------------------------------------------------------
// Stack joins

/**
 * One stack's resources, indexed for joins: by type token, and by the identifiers a reference
 * can name (id, ARN, name...). Build it once at the top of a `validateStack` and pass it to the
 * helpers below, so each lookup is a map read instead of a scan of every resource. It works
 * the same for the offline runner (one resource array for every policy) and for the policy
 * analyzer (a fresh array per policy): the index belongs to the array it was built from.
 * Nothing is cached across calls, so a caller that changes resources builds a new index.
 */
export class StackIndex {
    private readonly types = new Map<string, PolicyResource[]>();
    private readonly keyed = new Map<
        (r: PolicyResource) => string[],
        Map<string, Map<unknown, PolicyResource[]>>
    >();

    constructor(readonly resources: PolicyResource[]) {
        for (const r of resources) {
            const list = this.types.get(r.type);
            if (list) list.push(r);
            else this.types.set(r.type, [r]);
        }
    }

    /** Resources of one type token, in stack order. */
    ofType(type: string): PolicyResource[] {
        return [...(this.types.get(type) ?? [])];
    }

    /**
     * Resources of `type` among whose `keyFn` identifiers is `value`, in stack order (what
     * `ofType(type).filter((t) => keyFn(t).includes(value))` returns). The map for one
     * (type, keyFn) pair is built on first use.
     */
    withKey(
        type: string,
        keyFn: (r: PolicyResource) => string[],
        value: unknown,
    ): PolicyResource[] {
        let byType = this.keyed.get(keyFn);
        if (!byType) {
            byType = new Map();
            this.keyed.set(keyFn, byType);
        }
        let map = byType.get(type);
        if (!map) {
            map = new Map();
            for (const r of this.types.get(type) ?? []) {
                for (const key of new Set<unknown>(keyFn(r))) {
                    const list = map.get(key);
                    if (list) list.push(r);
                    else map.set(key, [r]);
                }
            }
            byType.set(type, map);
        }
        return [...(map.get(value) ?? [])];
    }
}

/** A stack's resources: the array a policy was given, or an index built from it. */
export type StackResources = PolicyResource[] | StackIndex;

/** The index for `resources` (built now when given the bare array: build it once and pass it). */
export function indexStack(resources: StackResources): StackIndex {
    return resources instanceof StackIndex ? resources : new StackIndex(resources);
}

/** Resources of one type token. */
export function ofType(resources: StackResources, type: string): PolicyResource[] {
    return resources instanceof StackIndex
        ? resources.ofType(type)
        : resources.filter((r) => r.type === type);
}

/** Identifiers a resource can be referred to by in another resource's inputs. */
export function identifiersOf(r: PolicyResource): string[] {
    const p = plain(r.props);
    const ids: string[] = [];
    for (const k of ["id", "zoneId", "arn", "name"]) {
        const v = p[k];
        if (typeof v === "string" && isKnown(v) && v !== "") ids.push(v);
    }
    // Security groups are referred to by id; the id is the ARN's last path segment.
    const arn = p["arn"];
    if (typeof arn === "string" && isKnown(arn)) {
        const m = /:security-group\/(sg-[0-9a-z]+)$/.exec(arn);
        if (m) ids.push(m[1]);
    }
    return ids;
}

/** How a reference from one resource's property to another resolved. */
export type Ref =
    { kind: "resolved"; targets: PolicyResource[] } | { kind: "external" } | { kind: "unknown" };

/**
 * Resolves `from.props[prop]` (a single id, ARN or name) to resources of `targetType` (one type
 * token, or several that name the same kind of resource, e.g. `Bucket` and `BucketV2`). Tries the
 * engine's property dependencies first (they exist even while ids are unknown during preview),
 * then matches the value against the targets' id/zoneId/arn/name outputs. Pass a `StackIndex`
 * when resolving many references: with the bare array each call scans the stack.
 */
export function resolveRef(
    resources: StackResources,
    from: PolicyResource,
    prop: string,
    targetType: string | readonly string[],
    idKeys?: (r: PolicyResource) => string[],
): Ref {
    const types: readonly string[] = typeof targetType === "string" ? [targetType] : targetType;
    const deps = (from.propertyDependencies ?? {})[prop] ?? [];
    const viaDeps = deps.filter((d) => d && types.includes(d.type));
    if (viaDeps.length > 0) return { kind: "resolved", targets: viaDeps };
    const value = plain(from.props)[prop];
    if (isUnknown(value) || typeof value !== "string") return { kind: "unknown" };
    const keyFn = idKeys ?? identifiersOf;
    const index = indexStack(resources);
    const matches = types.flatMap((t) => index.withKey(t, keyFn, value));
    return matches.length > 0 ? { kind: "resolved", targets: matches } : { kind: "external" };
}

/**
 * For a list-valued reference (e.g. `securityGroupIds`): the resources it resolves to, the known
 * literal values that matched nothing in the stack, and whether any element was unknown.
 */
export function resolveRefList(
    resources: StackResources,
    from: PolicyResource,
    prop: string,
    targetType: string,
): { targets: PolicyResource[]; external: string[]; unknown: boolean } {
    const deps = ((from.propertyDependencies ?? {})[prop] ?? []).filter(
        (d) => d && d.type === targetType,
    );
    const value = plain(from.props)[prop];
    const targets = new Set<PolicyResource>(deps);
    const external: string[] = [];
    let unknown = false;
    if (value === undefined) return { targets: [...targets], external, unknown: false };
    if (isUnknown(value) || !Array.isArray(value)) {
        return { targets: [...targets], external, unknown: deps.length === 0 };
    }
    const index = indexStack(resources);
    for (const v of value) {
        if (typeof v !== "string" || isUnknown(v)) {
            unknown = true;
            continue;
        }
        const m = index.withKey(targetType, identifiersOf, v);
        if (m.length > 0) m.forEach((t) => targets.add(t));
        else external.push(v);
    }
    // Unknown elements are covered when the engine told us which resources feed the property.
    return { targets: [...targets], external, unknown: unknown && deps.length === 0 };
}

// ---------------------------------------------------------------------------------------------
// DNS names

/** Lower-cases, drops one trailing dot and Route 53's octal escape for `*`. */
export function normalizeName(name: string): string {
    let n = name.trim().toLowerCase();
    if (n.startsWith("\\052")) n = "*" + n.slice(4);
    if (n.endsWith(".")) n = n.slice(0, -1);
    return n;
}

/**
 * The fully qualified name the AWS provider gives a record: the name as written when it ends
 * with the zone's name (a plain string suffix test, as the provider's `expandRecordName` does),
 * otherwise the name joined to the zone; an empty name is the zone apex.
 */
export function recordFqdn(name: string, zoneName: string): string {
    const rn = normalizeName(name);
    const zone = normalizeName(zoneName);
    if (rn === "") return zone;
    if (rn.endsWith(zone)) return rn;
    return `${rn}.${zone}`;
}

const REGION = "[a-z]{2}(?:-[a-z]+)+-\\d+";
const PARTITION_SUFFIX = "amazonaws\\.com(?:\\.cn)?";

/** `api.ecr.<region>.amazonaws.com`, `dkr.ecr.<region>.amazonaws.com`, and names below them. */
const ECR_SERVICE_NAME = new RegExp(
    `^(?:[^.]+\\.)*(?:api|dkr)\\.ecr\\.${REGION}\\.${PARTITION_SUFFIX}$`,
);
/** `ecr.<region>.amazonaws.com`: the bare ECR name (the seed layout's zone). */
const BARE_ECR_NAME = new RegExp(`^ecr\\.${REGION}\\.${PARTITION_SUFFIX}$`);
const REGIONAL_AWS_NAME = new RegExp(`^${REGION}\\.${PARTITION_SUFFIX}$`);
const AWS_ANCESTORS = new Set(["com", "cn", "com.cn", "amazonaws.com", "amazonaws.com.cn"]);
const UNDER_AWS = new RegExp(`\\.${PARTITION_SUFFIX}$`);

/** True when a normalized name is an ECR service name or lies below one. */
export function isEcrServiceName(n: string): boolean {
    return ECR_SERVICE_NAME.test(n);
}

export function isBareEcrName(n: string): boolean {
    return BARE_ECR_NAME.test(n);
}

/** True when `n` is `ecr.<region>.amazonaws.com` or one of its ancestors (`<region>.amazonaws.com` ... `com`). */
export function isAncestorOfEcrNames(n: string): boolean {
    return BARE_ECR_NAME.test(n) || REGIONAL_AWS_NAME.test(n) || AWS_ANCESTORS.has(n);
}

/** True when a record name answers for an ECR service name: it is one, or a wildcard above one. */
export function answersForEcr(fqdn: string): boolean {
    if (isEcrServiceName(fqdn)) return true;
    if (fqdn.startsWith("*.")) return isAncestorOfEcrNames(fqdn.slice(2));
    return false;
}

/** True when a zone of this name would answer for AWS service names (any of `amazonaws.com`'s tree or its ancestors). */
export function isInAwsNamespace(n: string): boolean {
    return AWS_ANCESTORS.has(n) || UNDER_AWS.test(n);
}

/** True when `n` equals `base` or lies below it. */
export function isAtOrUnder(n: string, base: string): boolean {
    return n === base || n.endsWith("." + base);
}

/**
 * Matches a zone name against an allow-list entry in which `{region}` stands for any region;
 * every `{region}` of one entry is the same region
 * (`prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com`).
 */
export function allowListCovers(entry: string, zone: string, withSubdomains = true): boolean {
    const e = normalizeName(entry);
    const pattern = e
        .split("{region}")
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .reduce((acc, part, i) => acc + (i === 1 ? `(${REGION})` : "\\1") + part);
    return new RegExp(`^${withSubdomains ? "(?:[^.]+\\.)*" : ""}${pattern}$`).test(zone);
}

/** Names of interface-endpoint DNS entries (`vpce-...<service>.<region>.vpce.amazonaws.com`). */
export function isEndpointDnsName(name: string): boolean {
    let n = normalizeName(name);
    if (n.startsWith("dualstack.")) n = n.slice("dualstack.".length);
    return /^(?:[^.]+\.)+vpce\.amazonaws\.com(?:\.cn)?$/.test(n);
}

/** The world, as a security-group source. */
export function isWorldCidr(c: string): boolean {
    return c.trim() === "0.0.0.0/0" || c.trim() === "::/0";
}

/** A short printable name for a resource in messages. */
export function label(r: { name: string }): string {
    return `"${r.name}"`;
}

// ---------------------------------------------------------------------------------------------
// Types and small wrappers

/** Pulumi type tokens the rules look at (@pulumi/aws v7). */
export const TYPES = {
    zone: "aws:route53/zone:Zone",
    record: "aws:route53/record:Record",
    zoneAssociation: "aws:route53/zoneAssociation:ZoneAssociation",
    repository: "aws:ecr/repository:Repository",
    repositoryPolicy: "aws:ecr/repositoryPolicy:RepositoryPolicy",
    pullThroughCacheRule: "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
    secret: "aws:secretsmanager/secret:Secret",
    vpcEndpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    // v7 keeps the `aws:alb/*` aliases of the two above.
    albLoadBalancer: "aws:alb/loadBalancer:LoadBalancer",
    albListener: "aws:alb/listener:Listener",
    bucket: "aws:s3/bucket:Bucket",
    // v7 keeps the deprecated `BucketV2` names of the bucket and its encryption configuration.
    bucketV2: "aws:s3/bucketV2:BucketV2",
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketSseConfiguration:
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketSseConfigurationV2:
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    cluster: "aws:ecs/cluster:Cluster",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    service: "aws:ecs/service:Service",
} as const;

type PropsValidation = (
    props: Record<string, any>,
    args: ResourceValidationArgs,
    report: (message: string) => void,
) => void;
type ResourceValidation = (
    args: ResourceValidationArgs,
    reportViolation: (message: string, urn?: string) => void,
) => void;

/**
 * A resource validation that runs only for the given type tokens (a type and its aliases) and
 * receives the unwrapped props (unknown values appear as sentinels that `isUnknown` recognises,
 * instead of throwing).
 */
export function forTypes(types: readonly string[], validate: PropsValidation): ResourceValidation {
    return (args, reportViolation) => {
        if (!types.includes(args.type)) return;
        validate(plain(args.props), args, (m) => reportViolation(m));
    };
}

/** `forTypes` for one type token. */
export function forType(type: string, validate: PropsValidation): ResourceValidation {
    return forTypes([type], validate);
}
