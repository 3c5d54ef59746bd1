/**
 * The access matrix: who can do what, on which resource, through which endpoint, decided by an
 * IAM evaluator nobody here wrote (@cloud-copilot/iam-simulate) from the policies in plan.json:
 * identity policies (inline, group, and customer-managed ones the plan creates), resource
 * policies (repository policies, the creation templates replicas get, secret and bucket
 * policies) and VPC endpoint policies on the path a principal's requests take. A request that
 * goes through a VPC endpoint (interface or S3 gateway) carries the endpoint's ID as
 * `aws:SourceVpce` and its VPC as `aws:SourceVpc`, so resource policies that admit only that path
 * (the self-hosted registry's bucket) are decided as AWS decides them.
 *
 * Dev tooling only: iam-simulate is AGPL-3.0-or-later, so nothing the deployed program or the
 * policy pack loads may import this file (a test checks that).
 *
 * AWS managed policies are not bundled with the evaluator: a principal with one attached is not
 * evaluated but reported as an error (in the matrix, in access.md and in the tests), never read
 * as "no access". An evaluator error (`resultType: "error"`) is an error too, never a denial.
 */
import { COLLAPSE_REPOSITORIES } from "../src/report/diagram";
import type { Plan, PlanResource } from "../src/report/plan";
import { classColumns, Column, memberLines, targetClasses } from "./accessClasses";

// ---------------------------------------------------------------------------------------------
// What is asked

/** The service (and so the VPC endpoint) a request goes to. */
export type EndpointService = "ecr.api" | "ecr.dkr" | "logs" | "secretsmanager" | "s3";

interface Request {
    action: string;
    /** `"*"` for actions without a resource type (the registry login). */
    resource: "target" | "*";
    service: EndpointService;
    /** Only for resources of these kinds; the ARN builder gets the target. */
    arn?: (t: Target) => string;
}

interface CapabilitySpec {
    name: string;
    /** `all`: the capability needs every request (a pull); `any`: one is enough to do harm. */
    mode: "all" | "any";
    requests: Request[];
    /** Service principals act with the service's own credentials: no registry login. */
    loginFree?: string[];
}

const LOGIN: Request = { action: "ecr:GetAuthorizationToken", resource: "*", service: "ecr.api" };
const dkr = (action: string): Request => ({ action, resource: "target", service: "ecr.dkr" });
const api = (action: string): Request => ({ action, resource: "target", service: "ecr.api" });

// Docker's pull and push (ECR user guide, repository-policy-examples); the registry API calls go
// to ecr.dkr, the login and the management API to ecr.api (ECR user guide, vpc-endpoints).
// Requests are listed most telling first: an "all" capability stops at the first denial.
const REPOSITORY_CAPABILITIES: CapabilitySpec[] = [
    {
        name: "pull",
        mode: "all",
        requests: [
            dkr("ecr:BatchGetImage"),
            dkr("ecr:GetDownloadUrlForLayer"),
            dkr("ecr:BatchCheckLayerAvailability"),
            LOGIN,
        ],
    },
    {
        name: "push",
        mode: "all",
        requests: [
            dkr("ecr:PutImage"),
            dkr("ecr:InitiateLayerUpload"),
            dkr("ecr:UploadLayerPart"),
            dkr("ecr:CompleteLayerUpload"),
            dkr("ecr:BatchCheckLayerAvailability"),
            LOGIN,
        ],
    },
    {
        // A pull of an image a pull-through cache does not hold yet imports it, creating its
        // repository when needed (ECR user guide, pull-through-cache-iam). Both actions are
        // decided on the pull's own request, which goes to ecr.dkr.
        name: "fill cache",
        mode: "all",
        requests: [dkr("ecr:BatchImportUpstreamImage"), dkr("ecr:CreateRepository"), LOGIN],
    },
    {
        name: "delete",
        mode: "any",
        requests: [api("ecr:BatchDeleteImage"), api("ecr:DeleteRepository")],
    },
    {
        name: "change policy",
        mode: "any",
        requests: [api("ecr:SetRepositoryPolicy"), api("ecr:DeleteRepositoryPolicy")],
    },
];

const SECRET_CAPABILITIES: CapabilitySpec[] = [
    {
        name: "read",
        mode: "all",
        requests: [
            {
                action: "secretsmanager:GetSecretValue",
                resource: "target",
                service: "secretsmanager",
            },
        ],
    },
];

// The awslogs driver creates a stream, then puts events into it.
const LOG_CAPABILITIES: CapabilitySpec[] = [
    {
        name: "write logs",
        mode: "all",
        requests: ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
            action,
            resource: "target" as const,
            service: "logs" as const,
            arn: (t: Target) => `${t.arn}:log-stream:access-matrix`,
        })),
    },
];

const BUCKET_CAPABILITIES: CapabilitySpec[] = [
    {
        name: "read",
        mode: "all",
        requests: [
            {
                action: "s3:GetObject",
                resource: "target",
                service: "s3",
                arn: (t) => `${t.arn}/access-matrix`,
            },
        ],
    },
    {
        name: "write",
        mode: "any",
        requests: [
            {
                action: "s3:PutObject",
                resource: "target",
                service: "s3",
                arn: (t) => `${t.arn}/access-matrix`,
            },
        ],
    },
    {
        name: "change policy",
        mode: "any",
        requests: [{ action: "s3:PutBucketPolicy", resource: "target", service: "s3" }],
    },
];

/** Accounts that stand for "someone else": no shipped stack uses them. */
export const UNRELATED_ACCOUNT = "999999999999";
export const ORGANIZATION_MEMBER_ACCOUNT = "888888888888";

// ---------------------------------------------------------------------------------------------
// The model

export type TargetKind = "repository" | "secret" | "log group" | "bucket";

/** A column: one resource. */
export interface Target {
    label: string;
    kind: TargetKind;
    arn: string;
    account: string;
    region: string;
    /** The resource policy, when it has one. */
    policy?: Record<string, unknown>;
    /** Where the policy comes from (`repository policy`, `creation template ROOT`, ...). */
    policySource?: string;
    /**
     * The registry's permissions policy (repositories only), evaluated with the resource
     * policy: it grants ecr:BatchImportUpstreamImage and ecr:CreateRepository (and
     * ecr:ReplicateImage) on the repositories its statements name.
     */
    registryPolicy?: Record<string, unknown>;
    /** False for a replica the replication rules would not create: nobody can use it. */
    exists: boolean;
    note?: string;
}

/** A VPC endpoint (interface, or the S3 gateway) that a path's requests to one service take. */
export interface PathEndpoint {
    /** The plan's resource name. */
    name: string;
    /** `vpce-...`: what a request through it carries as `aws:SourceVpce`. */
    id: string;
    /** The endpoint's VPC: what a request through it carries as `aws:SourceVpc`. */
    vpcId: string;
    /** Absent: AWS's default full-access policy. */
    policy?: Record<string, unknown>;
}

/** A path a principal's requests take: straight to the service, or through VPC endpoints. */
export interface Path {
    label: string;
    /** Endpoint per service; absent: the request goes to the public service endpoint. */
    endpoints: Partial<Record<EndpointService, PathEndpoint>>;
}

/** A row: one principal on one path. */
export interface Principal {
    label: string;
    /** What the evaluator sees as the caller: an IAM ARN or a service principal. */
    principal: string;
    account: string;
    /** `any`: an account outside the stack, whose own IAM may allow anything. */
    identity: { name: string; policy: Record<string, unknown> }[] | "any";
    context: Record<string, string | string[]>;
    paths: Path[];
    isService: boolean;
    /** Why it cannot be evaluated (an AWS managed policy attached, ...). */
    error?: string;
    note?: string;
}

export interface Cell {
    principal: string;
    via: string;
    resource: string;
    /** Capabilities allowed; undefined when the row could not be evaluated. */
    allowed?: string[];
}

export interface AccessMatrix {
    stack: string;
    principals: Principal[];
    targets: Target[];
    cells: Cell[];
    /** Rows that could not be evaluated, with the reason. Never empty silently. */
    errors: { principal: string; message: string }[];
    /** Simulations run (for the benchmark). */
    simulations: number;
    /**
     * Targets no policy tells apart (tools/accessClasses.ts), in target order: only the first of
     * each is simulated, the others get its cells. One class per target when not grouped.
     */
    classes: Target[][];
    /** Why every target is its own class, when grouping was asked for but not possible. */
    ungrouped?: string;
}

export interface AccessOptions {
    /**
     * Simulate one target per equivalence class and give the others its answer.
     * @default true; false simulates every target (the reference the tests compare with).
     */
    group?: boolean;
}

export class EvaluatorError extends Error {}

// ---------------------------------------------------------------------------------------------
// Plan look-ups

const T = {
    repository: "aws:ecr/repository:Repository",
    repositoryPolicy: "aws:ecr/repositoryPolicy:RepositoryPolicy",
    replication: "aws:ecr/replicationConfiguration:ReplicationConfiguration",
    template: "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
    cacheRule: "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
    registryPolicy: "aws:ecr/registryPolicy:RegistryPolicy",
    secret: "aws:secretsmanager/secret:Secret",
    secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    user: "aws:iam/user:User",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    userPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    group: "aws:iam/group:Group",
    groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    groupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
    userGroupMembership: "aws:iam/userGroupMembership:UserGroupMembership",
    groupMembership: "aws:iam/groupMembership:GroupMembership",
    managedPolicy: "aws:iam/policy:Policy",
    instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
    instance: "aws:ec2/instance:Instance",
    subnet: "aws:ec2/subnet:Subnet",
    vpc: "aws:ec2/vpc:Vpc",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    zone: "aws:route53/zone:Zone",
    zoneAssociation: "aws:route53/zoneAssociation:ZoneAssociation",
    record: "aws:route53/record:Record",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    service: "aws:ecs/service:Service",
} as const;

/** One plan, indexed once. */
class PlanIndex {
    readonly account: string;
    readonly region: string;
    private readonly byType = new Map<string, PlanResource[]>();

    constructor(readonly plan: Plan) {
        for (const r of plan.resources) {
            const list = this.byType.get(r.type) ?? [];
            list.push(r);
            this.byType.set(r.type, list);
        }
        const account = plan.outputs.accountId;
        const region = plan.outputs.region;
        if (typeof account !== "string" || typeof region !== "string") {
            throw new Error(`stack ${plan.stack}: the plan exports no accountId/region outputs`);
        }
        this.account = account;
        this.region = region;
    }

    of(type: string): PlanResource[] {
        return this.byType.get(type) ?? [];
    }

    /** A value of the resource (what the cloud answered first, then the inputs). */
    static value(r: PlanResource, key: string): unknown {
        return r.outputs[key] ?? r.inputs[key];
    }

    static str(r: PlanResource, key: string): string | undefined {
        const v = PlanIndex.value(r, key);
        return typeof v === "string" ? v : undefined;
    }

    /** Names a resource can be referred to by: its ID, name and ARN. */
    static refs(r: PlanResource): string[] {
        return [r.id, PlanIndex.str(r, "name"), PlanIndex.str(r, "arn")].filter(
            (v): v is string => !!v,
        );
    }

    regionOf(r: PlanResource): string {
        return PlanIndex.str(r, "region") ?? this.region;
    }
}

function parseDoc(v: unknown): Record<string, unknown> | undefined {
    if (v && typeof v === "object") return v as Record<string, unknown>;
    if (typeof v !== "string" || v === "[secret]") return undefined;
    try {
        const parsed: unknown = JSON.parse(v);
        return parsed && typeof parsed === "object"
            ? (parsed as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}

const isAwsManaged = (arn: string) => /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);

// ---------------------------------------------------------------------------------------------
// Columns: repositories, replicas, the repository outside the shared set, secrets, logs, buckets

interface Replication {
    sourceRegion: string;
    rules: { filters: string[]; destinations: { region: string; account: string }[] }[];
}

function replicationOf(ix: PlanIndex): Replication | undefined {
    const r = ix.of(T.replication)[0];
    if (!r) return undefined;
    const cfg = PlanIndex.value(r, "replicationConfiguration") as
        | {
              rules?: {
                  destinations?: { region: string; registryId: string }[];
                  repositoryFilters?: { filter: string; filterType: string }[];
              }[];
          }
        | undefined;
    return {
        sourceRegion: ix.regionOf(r),
        rules: (cfg?.rules ?? []).map((rule) => ({
            // PREFIX_MATCH is the only filter type (ECR API reference, RepositoryFilter).
            filters: (rule.repositoryFilters ?? []).map((f) => f.filter),
            destinations: (rule.destinations ?? []).map((d) => ({
                region: d.region,
                account: d.registryId,
            })),
        })),
    };
}

/**
 * The creation template a repository named `name` gets when ECR creates it for `appliedFor`
 * (a replica, or a pull-through cache repository): the one whose prefix is the longest
 * namespace of the name (a prefix `p` covers `p/...`, "there is always an assumed /"), else
 * `ROOT`, which covers repositories no other template matches (ECR API reference,
 * CreateRepositoryCreationTemplate, prefix).
 */
function templateFor(
    indexes: PlanIndex[],
    account: string,
    region: string,
    name: string,
    appliedFor: "REPLICATION" | "PULL_THROUGH_CACHE" = "REPLICATION",
): { policy?: Record<string, unknown>; prefix: string } | undefined {
    const templates = indexes
        .filter((ix) => ix.account === account)
        .flatMap((ix) =>
            ix
                .of(T.template)
                .filter((t) => ix.regionOf(t) === region)
                .filter((t) => {
                    const applied = PlanIndex.value(t, "appliedFors");
                    return Array.isArray(applied) && applied.includes(appliedFor);
                }),
        );
    let best: PlanResource | undefined;
    let bestLength = -1;
    for (const t of templates) {
        const prefix = PlanIndex.str(t, "prefix") ?? "";
        if (prefix === "ROOT") {
            if (bestLength < 0) {
                best = t;
                bestLength = 0;
            }
        } else if (name.startsWith(`${prefix.replace(/\/$/, "")}/`) && prefix.length > bestLength) {
            best = t;
            bestLength = prefix.length;
        }
    }
    if (!best) return undefined;
    return {
        prefix: PlanIndex.str(best, "prefix") ?? "",
        policy: parseDoc(PlanIndex.value(best, "repositoryPolicy")),
    };
}

/** A name no repository of the stack has, beside its first one: `<last segment>-internal`. */
export function outsideRepositoryName(names: string[]): string | undefined {
    if (names.length === 0) return undefined;
    const base = names[0].split("/").pop()!;
    let candidate = `${base}-internal`;
    while (names.includes(candidate)) candidate = `${candidate}-x`;
    return candidate;
}

function repositoryTargets(ix: PlanIndex, all: PlanIndex[], prefix: string): Target[] {
    const targets: Target[] = [];
    const repos = ix.of(T.repository);
    const names = repos.map((r) => PlanIndex.str(r, "name")).filter((n): n is string => !!n);
    const policyOf = (name: string, region: string) => {
        const p = ix
            .of(T.repositoryPolicy)
            .find((rp) => PlanIndex.str(rp, "repository") === name && ix.regionOf(rp) === region);
        return p ? parseDoc(PlanIndex.value(p, "policy")) : undefined;
    };
    const arnOf = (account: string, region: string, name: string) =>
        `arn:aws:ecr:${region}:${account}:repository/${name}`;

    const sources: { name: string; region: string; inStack: boolean }[] = repos.map((r) => ({
        name: PlanIndex.str(r, "name")!,
        region: ix.regionOf(r),
        inStack: true,
    }));
    const outside = outsideRepositoryName(names);
    if (outside) sources.push({ name: outside, region: ix.region, inStack: false });

    const replication = replicationOf(ix);
    for (const s of sources) {
        const policy = s.inStack ? policyOf(s.name, s.region) : undefined;
        targets.push({
            label: `${prefix}${s.name}${s.inStack ? "" : " (outside the stack)"}`,
            kind: "repository",
            arn: arnOf(ix.account, s.region, s.name),
            account: ix.account,
            region: s.region,
            policy,
            policySource: policy ? "repository policy" : undefined,
            exists: true,
            note: s.inStack
                ? undefined
                : "a repository created outside the stack (no repository policy), to show who reaches the rest of the registry",
        });
        if (!replication || replication.sourceRegion !== s.region) continue;
        const destinations = new Map<string, { region: string; account: string }>();
        const replicated = new Set<string>();
        for (const rule of replication.rules) {
            // No filter replicates every repository; a filter is a plain prefix of the name.
            const matches =
                rule.filters.length === 0 || rule.filters.some((f) => s.name.startsWith(f));
            for (const d of rule.destinations) {
                destinations.set(`${d.account}/${d.region}`, d);
                if (matches) replicated.add(`${d.account}/${d.region}`);
            }
        }
        for (const [key, d] of destinations) {
            const exists = replicated.has(key);
            const template = exists ? templateFor(all, d.account, d.region, s.name) : undefined;
            targets.push({
                label: `${prefix}${s.name} (${d.region} replica${s.inStack ? "" : ", outside the stack"})`,
                kind: "repository",
                arn: arnOf(d.account, d.region, s.name),
                account: d.account,
                region: d.region,
                policy: template?.policy,
                policySource: template?.policy ? `creation template ${template.prefix}` : undefined,
                exists,
                note: exists
                    ? "created by registry replication"
                    : "not replicated: no replication filter matches the name",
            });
        }
    }
    return targets;
}

/**
 * One column per pull-through cache rule: a repository ECR would create under its prefix on a
 * first pull, with the policy the rule's creation template gives it.
 */
function cacheTargets(ix: PlanIndex, all: PlanIndex[]): Target[] {
    return ix.of(T.cacheRule).map((rule) => {
        const prefix = (PlanIndex.str(rule, "ecrRepositoryPrefix") ?? rule.name).replace(/\/$/, "");
        const region = ix.regionOf(rule);
        const name = `${prefix}/access-matrix`;
        const template = templateFor(all, ix.account, region, name, "PULL_THROUGH_CACHE");
        return {
            label: `${prefix}/* (pull-through cache)`,
            kind: "repository" as const,
            arn: `arn:aws:ecr:${region}:${ix.account}:repository/${name}`,
            account: ix.account,
            region,
            policy: template?.policy,
            policySource: template?.policy ? `creation template ${template.prefix}` : undefined,
            exists: true,
            note: `a repository ECR creates on the first pull of an image from ${PlanIndex.str(rule, "upstreamRegistryUrl") ?? "the upstream"}`,
        };
    });
}

/** The registry policy of an account's registry in a region, from the plans that hold one. */
function registryPolicyFor(
    indexes: PlanIndex[],
    account: string,
    region: string,
): Record<string, unknown> | undefined {
    for (const ix of indexes) {
        if (ix.account !== account) continue;
        const r = ix.of(T.registryPolicy).find((p) => ix.regionOf(p) === region);
        if (r) return parseDoc(PlanIndex.value(r, "policy"));
    }
    return undefined;
}

/** One resource policy from a repository's own (or template) policy and its registry's policy. */
function resourcePolicyOf(t: Target): Record<string, unknown> | undefined {
    if (!t.registryPolicy) return t.policy;
    const statements = (doc?: Record<string, unknown>) => {
        const st = doc?.Statement;
        return st === undefined ? [] : Array.isArray(st) ? st : [st];
    };
    return {
        Version: "2012-10-17",
        Statement: [...statements(t.policy), ...statements(t.registryPolicy)],
    };
}

function otherTargets(ix: PlanIndex): Target[] {
    const targets: Target[] = [];
    for (const s of ix.of(T.secret)) {
        const arn = PlanIndex.str(s, "arn") ?? s.id;
        const policy = ix
            .of(T.secretPolicy)
            .find((p) => PlanIndex.refs(s).includes(PlanIndex.str(p, "secretArn") ?? ""));
        const doc = policy ? parseDoc(PlanIndex.value(policy, "policy")) : undefined;
        targets.push({
            label: `secret ${s.name}`,
            kind: "secret",
            arn,
            account: ix.account,
            region: ix.regionOf(s),
            policy: doc,
            policySource: doc ? "secret policy" : undefined,
            exists: true,
        });
    }
    for (const g of ix.of(T.logGroup)) {
        const name = PlanIndex.str(g, "name") ?? g.id;
        targets.push({
            label: `log group ${g.name}`,
            kind: "log group",
            arn: `arn:aws:logs:${ix.regionOf(g)}:${ix.account}:log-group:${name}`,
            account: ix.account,
            region: ix.regionOf(g),
            exists: true,
        });
    }
    for (const b of [...ix.of(T.bucket), ...ix.of(T.bucketV2)]) {
        const name = PlanIndex.str(b, "bucket") ?? b.id;
        const policy = ix
            .of(T.bucketPolicy)
            .find((p) => [name, ...PlanIndex.refs(b)].includes(PlanIndex.str(p, "bucket") ?? ""));
        const doc = policy ? parseDoc(PlanIndex.value(policy, "policy")) : undefined;
        targets.push({
            label: `bucket ${b.name}`,
            kind: "bucket",
            arn: `arn:aws:s3:::${name}`,
            account: ix.account,
            region: ix.regionOf(b),
            policy: doc,
            policySource: doc ? "bucket policy" : undefined,
            exists: true,
        });
    }
    return targets;
}

// ---------------------------------------------------------------------------------------------
// Paths: which VPC endpoints a workload's requests go through

function pathEndpoint(e: PlanResource): PathEndpoint {
    return {
        name: e.name,
        id: PlanIndex.str(e, "id") ?? e.id,
        vpcId: PlanIndex.str(e, "vpcId") ?? "",
        policy: parseDoc(PlanIndex.value(e, "policy")),
    };
}

function endpointService(serviceName: string): EndpointService | undefined {
    const m = /^com\.amazonaws\.[a-z0-9-]+\.(.+)$/.exec(serviceName);
    const s = m?.[1];
    return s === "ecr.api" ||
        s === "ecr.dkr" ||
        s === "logs" ||
        s === "secretsmanager" ||
        s === "s3"
        ? s
        : undefined;
}

/**
 * Endpoints the clients of a VPC use: the VPC's own interface endpoints with private DNS and
 * its S3 gateway endpoints, then endpoints elsewhere whose DNS names private hosted zones
 * associated with the VPC point at (the simulated data centre reaches the cloud VPC's ECR
 * endpoints that way).
 */
function pathForVpc(ix: PlanIndex, vpc: PlanResource): Path | undefined {
    const endpoints: Path["endpoints"] = {};
    const all = ix.of(T.endpoint);
    for (const e of all) {
        if (PlanIndex.str(e, "vpcId") !== vpc.id) continue;
        const service = endpointService(PlanIndex.str(e, "serviceName") ?? "");
        if (!service) continue;
        const type = PlanIndex.str(e, "vpcEndpointType");
        const used =
            type === "Gateway"
                ? service === "s3"
                : PlanIndex.value(e, "privateDnsEnabled") === true;
        if (used && !endpoints[service]) endpoints[service] = pathEndpoint(e);
    }
    const zones = ix.of(T.zone).filter((z) => {
        const vpcs = PlanIndex.value(z, "vpcs");
        const direct = Array.isArray(vpcs) && vpcs.some((v) => v?.vpcId === vpc.id);
        const zoneId = PlanIndex.str(z, "zoneId") ?? z.id;
        const associated = ix
            .of(T.zoneAssociation)
            .some(
                (a) =>
                    PlanIndex.str(a, "vpcId") === vpc.id && PlanIndex.str(a, "zoneId") === zoneId,
            );
        return direct || associated;
    });
    const zoneIds = new Set(zones.map((z) => PlanIndex.str(z, "zoneId") ?? z.id));
    const targets = new Set<string>();
    for (const r of ix.of(T.record)) {
        if (!zoneIds.has(PlanIndex.str(r, "zoneId") ?? "")) continue;
        const aliases = PlanIndex.value(r, "aliases");
        if (Array.isArray(aliases))
            for (const a of aliases) if (a?.name) targets.add(String(a.name));
        const records = PlanIndex.value(r, "records");
        if (Array.isArray(records))
            for (const v of records) targets.add(String(v).replace(/\.$/, ""));
    }
    for (const e of all) {
        const service = endpointService(PlanIndex.str(e, "serviceName") ?? "");
        // S3 names sent through a zone are single buckets (the layer bucket), not "S3".
        if (!service || service === "s3" || endpoints[service]) continue;
        const entries = PlanIndex.value(e, "dnsEntries");
        const names = Array.isArray(entries) ? entries.map((d) => String(d?.dnsName ?? "")) : [];
        if (names.some((n) => targets.has(n))) endpoints[service] = pathEndpoint(e);
    }
    if (Object.keys(endpoints).length === 0) return undefined;
    return { label: `endpoints in VPC ${vpc.name}`, endpoints };
}

const DIRECT: Path = { label: "direct", endpoints: {} };

/** The VPCs a role's workloads run in: ECS services using its task definitions, EC2 instances. */
function vpcsOfRole(ix: PlanIndex, role: PlanResource): PlanResource[] {
    const refs = PlanIndex.refs(role);
    const subnets: string[] = [];
    const defs = ix
        .of(T.taskDefinition)
        .filter(
            (d) =>
                refs.includes(PlanIndex.str(d, "executionRoleArn") ?? "") ||
                refs.includes(PlanIndex.str(d, "taskRoleArn") ?? ""),
        );
    for (const d of defs) {
        for (const s of ix.of(T.service)) {
            if (!PlanIndex.refs(d).includes(PlanIndex.str(s, "taskDefinition") ?? "")) continue;
            const net = PlanIndex.value(s, "networkConfiguration") as
                { subnets?: string[] } | undefined;
            subnets.push(...(net?.subnets ?? []));
        }
    }
    const profiles = ix
        .of(T.instanceProfile)
        .filter((p) => refs.includes(PlanIndex.str(p, "role") ?? ""));
    for (const p of profiles) {
        for (const i of ix.of(T.instance)) {
            if (!PlanIndex.refs(p).includes(PlanIndex.str(i, "iamInstanceProfile") ?? "")) continue;
            const subnet = PlanIndex.str(i, "subnetId");
            if (subnet) subnets.push(subnet);
        }
    }
    const vpcIds = new Set(
        ix
            .of(T.subnet)
            .filter((s) => subnets.includes(s.id))
            .map((s) => PlanIndex.str(s, "vpcId")),
    );
    return ix.of(T.vpc).filter((v) => vpcIds.has(v.id));
}

// ---------------------------------------------------------------------------------------------
// Rows: principals

const ALLOW_ALL = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

interface IdentityPolicies {
    policies: { name: string; policy: Record<string, unknown> }[];
    errors: string[];
}

/** Documents of managed policies attached by ARN: the plan's own, or an error. */
function attached(ix: PlanIndex, arns: string[], who: string): IdentityPolicies {
    const out: IdentityPolicies = { policies: [], errors: [] };
    for (const arn of arns) {
        const own = ix.of(T.managedPolicy).find((p) => PlanIndex.refs(p).includes(arn));
        const doc = own && parseDoc(PlanIndex.value(own, "policy"));
        if (doc) {
            out.policies.push({ name: own!.name, policy: doc });
        } else if (isAwsManaged(arn)) {
            out.errors.push(
                `${who} has the AWS managed policy ${arn} attached; the evaluator does not bundle AWS managed policies, so its access cannot be computed (replace it with an inline policy)`,
            );
        } else {
            out.errors.push(
                `${who} has the managed policy ${arn} attached, which the plan does not create; its document is unknown`,
            );
        }
    }
    return out;
}

function rolePolicies(ix: PlanIndex, role: PlanResource): IdentityPolicies {
    const refs = PlanIndex.refs(role);
    const out: IdentityPolicies = { policies: [], errors: [] };
    const inline = PlanIndex.value(role, "inlinePolicies");
    if (Array.isArray(inline)) {
        inline.forEach((p, i) => {
            const doc = parseDoc(p?.policy);
            if (doc)
                out.policies.push({ name: `${role.name} inline ${p?.name ?? i}`, policy: doc });
        });
    }
    for (const p of ix.of(T.rolePolicy)) {
        if (!refs.includes(PlanIndex.str(p, "role") ?? "")) continue;
        const doc = parseDoc(PlanIndex.value(p, "policy"));
        if (doc) out.policies.push({ name: p.name, policy: doc });
        else out.errors.push(`role policy ${p.name} has no readable document`);
    }
    const arns = [
        ...ix
            .of(T.rolePolicyAttachment)
            .filter((a) => refs.includes(PlanIndex.str(a, "role") ?? ""))
            .map((a) => PlanIndex.str(a, "policyArn") ?? ""),
        ...ix
            .of(T.policyAttachment)
            .filter((a) => {
                const roles = PlanIndex.value(a, "roles");
                return Array.isArray(roles) && roles.some((r) => refs.includes(String(r)));
            })
            .map((a) => PlanIndex.str(a, "policyArn") ?? ""),
        ...((PlanIndex.value(role, "managedPolicyArns") as string[] | undefined) ?? []),
    ];
    const managed = attached(ix, arns, `role ${role.name}`);
    return {
        policies: [...out.policies, ...managed.policies],
        errors: [...out.errors, ...managed.errors],
    };
}

function userPolicies(ix: PlanIndex, user: PlanResource): IdentityPolicies {
    const userRefs = PlanIndex.refs(user);
    const groups = ix.of(T.group).filter((g) => {
        const refs = PlanIndex.refs(g);
        const viaUser = ix
            .of(T.userGroupMembership)
            .some(
                (m) =>
                    userRefs.includes(PlanIndex.str(m, "user") ?? "") &&
                    ((PlanIndex.value(m, "groups") as string[] | undefined) ?? []).some((x) =>
                        refs.includes(x),
                    ),
            );
        const viaGroup = ix
            .of(T.groupMembership)
            .some(
                (m) =>
                    refs.includes(PlanIndex.str(m, "group") ?? "") &&
                    ((PlanIndex.value(m, "users") as string[] | undefined) ?? []).some((x) =>
                        userRefs.includes(x),
                    ),
            );
        return viaUser || viaGroup;
    });
    const out: IdentityPolicies = { policies: [], errors: [] };
    const arns: string[] = [];
    for (const p of ix.of(T.userPolicy)) {
        if (!userRefs.includes(PlanIndex.str(p, "user") ?? "")) continue;
        const doc = parseDoc(PlanIndex.value(p, "policy"));
        if (doc) out.policies.push({ name: p.name, policy: doc });
    }
    arns.push(
        ...ix
            .of(T.userPolicyAttachment)
            .filter((a) => userRefs.includes(PlanIndex.str(a, "user") ?? ""))
            .map((a) => PlanIndex.str(a, "policyArn") ?? ""),
    );
    for (const g of groups) {
        const refs = PlanIndex.refs(g);
        for (const p of ix.of(T.groupPolicy)) {
            if (!refs.includes(PlanIndex.str(p, "group") ?? "")) continue;
            const doc = parseDoc(PlanIndex.value(p, "policy"));
            if (doc) out.policies.push({ name: p.name, policy: doc });
        }
        arns.push(
            ...ix
                .of(T.groupPolicyAttachment)
                .filter((a) => refs.includes(PlanIndex.str(a, "group") ?? ""))
                .map((a) => PlanIndex.str(a, "policyArn") ?? ""),
            ...ix
                .of(T.policyAttachment)
                .filter((a) => {
                    const gs = PlanIndex.value(a, "groups");
                    return Array.isArray(gs) && gs.some((x) => refs.includes(String(x)));
                })
                .map((a) => PlanIndex.str(a, "policyArn") ?? ""),
        );
    }
    const managed = attached(ix, arns, `user ${user.name}`);
    return {
        policies: [...out.policies, ...managed.policies],
        errors: [...out.errors, ...managed.errors],
    };
}

/** Accounts, roles and organizations the plan's resource policies grant, besides its own account. */
function grantees(ix: PlanIndex): {
    accounts: string[];
    roles: string[];
    orgs: string[];
    /** Service principals named, or `*` for a statement open to any principal. */
    services: Set<string>;
} {
    const accounts = new Set<string>();
    const roles = new Set<string>();
    const orgs = new Set<string>();
    const services = new Set<string>();
    const docs = [
        ...ix.of(T.repositoryPolicy).map((r) => PlanIndex.value(r, "policy")),
        ...ix.of(T.template).map((r) => PlanIndex.value(r, "repositoryPolicy")),
        ...ix.of(T.registryPolicy).map((r) => PlanIndex.value(r, "policy")),
        ...ix.of(T.secretPolicy).map((r) => PlanIndex.value(r, "policy")),
        ...ix.of(T.bucketPolicy).map((r) => PlanIndex.value(r, "policy")),
    ]
        .map(parseDoc)
        .filter((d): d is Record<string, unknown> => !!d);
    for (const doc of docs) {
        const st = doc.Statement;
        for (const s of (Array.isArray(st) ? st : [st]) as Record<string, any>[]) {
            if (s?.Effect !== "Allow") continue;
            const p = s.Principal;
            if (p === "*") services.add("*");
            for (const svc of [p?.Service ?? []].flat()) {
                if (typeof svc === "string") services.add(svc);
            }
            const aws: string[] =
                p === "*"
                    ? ["*"]
                    : [p?.AWS ?? []].flat().filter((x: unknown) => typeof x === "string");
            for (const a of aws) {
                const m = /^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::(.*))?$/.exec(a);
                if (a === "*") {
                    // Condition keys are case-insensitive.
                    for (const block of Object.values(s.Condition ?? {}) as Record<
                        string,
                        unknown
                    >[]) {
                        for (const [key, value] of Object.entries(block ?? {})) {
                            if (key.toLowerCase() !== "aws:principalorgid") continue;
                            for (const o of [value].flat()) if (typeof o === "string") orgs.add(o);
                        }
                    }
                } else if (m && m[1] !== ix.account) {
                    if (!m[2] || m[2] === "root") accounts.add(m[1]);
                    else roles.add(a);
                }
            }
        }
    }
    return {
        accounts: [...accounts].sort(),
        roles: [...roles].sort(),
        orgs: [...orgs].sort(),
        services,
    };
}

function principalsOf(ix: PlanIndex): Principal[] {
    const out: Principal[] = [];
    const vpcPaths = ix
        .of(T.vpc)
        .map((v) => pathForVpc(ix, v))
        .filter((p): p is Path => !!p && (!!p.endpoints["ecr.api"] || !!p.endpoints["ecr.dkr"]));
    const iamContext = (arn: string, account: string, extra: Record<string, string> = {}) => ({
        "aws:PrincipalArn": arn,
        "aws:PrincipalAccount": account,
        ...extra,
    });

    for (const role of ix.of(T.role)) {
        const arn = PlanIndex.str(role, "arn") ?? `arn:aws:iam::${ix.account}:role/${role.id}`;
        const { policies, errors } = rolePolicies(ix, role);
        const paths = vpcsOfRole(ix, role)
            .map((v) => pathForVpc(ix, v))
            .filter((p): p is Path => !!p);
        out.push({
            label: `role ${role.name}`,
            principal: arn,
            account: ix.account,
            identity: policies,
            context: iamContext(arn, ix.account),
            paths: paths.length > 0 ? paths : [DIRECT],
            isService: false,
            error: errors.length > 0 ? errors.join("; ") : undefined,
        });
    }
    for (const user of ix.of(T.user)) {
        const arn = PlanIndex.str(user, "arn") ?? `arn:aws:iam::${ix.account}:user/${user.id}`;
        const { policies, errors } = userPolicies(ix, user);
        out.push({
            label: `user ${PlanIndex.str(user, "name") ?? user.name}`,
            principal: arn,
            account: ix.account,
            identity: policies,
            context: iamContext(arn, ix.account),
            paths: [DIRECT],
            isService: false,
            error: errors.length > 0 ? errors.join("; ") : undefined,
        });
    }
    const outsiders = (
        label: string,
        arn: string,
        account: string,
        extra: Record<string, string>,
        note: string,
    ) =>
        out.push({
            label,
            principal: arn,
            account,
            identity: "any",
            context: iamContext(arn, account, extra),
            paths: [DIRECT, ...vpcPaths],
            isService: false,
            note,
        });
    const g = grantees(ix);
    for (const a of g.accounts) {
        outsiders(
            `account ${a} (consumer)`,
            `arn:aws:iam::${a}:role/any-principal`,
            a,
            {},
            "any principal of the account that its own IAM policies allow everything",
        );
    }
    for (const arn of g.roles) {
        const account = /::(\d{12}):/.exec(arn)![1];
        outsiders(
            `${arn} (consumer)`,
            arn,
            account,
            {},
            "a granted role, with everything allowed by its own account",
        );
    }
    for (const org of g.orgs) {
        outsiders(
            `organization ${org} member`,
            `arn:aws:iam::${ORGANIZATION_MEMBER_ACCOUNT}:role/any-principal`,
            ORGANIZATION_MEMBER_ACCOUNT,
            { "aws:PrincipalOrgID": org },
            `a principal of account ${ORGANIZATION_MEMBER_ACCOUNT} in the organization, allowed everything by its own IAM`,
        );
    }
    outsiders(
        `account ${UNRELATED_ACCOUNT} (unrelated)`,
        `arn:aws:iam::${UNRELATED_ACCOUNT}:role/any-principal`,
        UNRELATED_ACCOUNT,
        {},
        "an account nobody granted anything, whose own IAM allows everything",
    );
    // CodeBuild pulls build images with its service principal (the repository policy names it);
    // aws:SourceAccount tells the project's account, the confused-deputy guard. A service
    // principal has no identity policies: without a resource policy naming it (or `*`) it can do
    // nothing here, so its rows appear only where one does.
    const codeBuild = g.services.has("codebuild.amazonaws.com") || g.services.has("*");
    const codeBuildRows: [string, string][] = codeBuild
        ? [
              [`codebuild.amazonaws.com for ${ix.account}`, ix.account],
              [`codebuild.amazonaws.com for ${UNRELATED_ACCOUNT}`, UNRELATED_ACCOUNT],
          ]
        : [];
    for (const [label, account] of codeBuildRows) {
        out.push({
            label,
            principal: "codebuild.amazonaws.com",
            account,
            identity: [],
            context: {
                "aws:SourceAccount": account,
                "aws:SourceArn": `arn:aws:codebuild:${ix.region}:${account}:project/build`,
                "aws:PrincipalServiceName": "codebuild.amazonaws.com",
            },
            paths: [DIRECT],
            isService: true,
            note:
                account === ix.account
                    ? "a CodeBuild project of the stack's account"
                    : "a CodeBuild project of an unrelated account (confused deputy)",
        });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type Simulate = typeof import("@cloud-copilot/iam-simulate").runSimulation;

function capabilitiesOf(kind: TargetKind): CapabilitySpec[] {
    switch (kind) {
        case "repository":
            return REPOSITORY_CAPABILITIES;
        case "secret":
            return SECRET_CAPABILITIES;
        case "log group":
            return LOG_CAPABILITIES;
        case "bucket":
            return BUCKET_CAPABILITIES;
    }
}

/** Every capability name, in table order. */
export const CAPABILITIES: Record<TargetKind, string[]> = {
    repository: REPOSITORY_CAPABILITIES.map((c) => c.name),
    secret: SECRET_CAPABILITIES.map((c) => c.name),
    "log group": LOG_CAPABILITIES.map((c) => c.name),
    bucket: BUCKET_CAPABILITIES.map((c) => c.name),
};

/** Condition keys whose value depends on the network path (set by a VPC endpoint), lower case. */
const NETWORK_KEYS = /"aws:sourcevpce?"/i;

class Evaluator {
    simulations = 0;
    private readonly cache = new Map<string, Promise<boolean>>();
    private readonly networkKeyed = new Map<string, boolean>();
    constructor(private readonly simulate: Simulate) {}

    /**
     * Whether the principal's identity policies or the request's resource policy test
     * `aws:SourceVpce`/`aws:SourceVpc`: then the answer through an endpoint can differ from the
     * direct one, and from that through another endpoint with the same policy.
     */
    private onNetworkPath(p: Principal, req: Request, target: Target): boolean {
        const key = `${p.label}|${req.resource === "*" ? "*" : target.label}`;
        let hit = this.networkKeyed.get(key);
        if (hit === undefined) {
            const docs = [
                ...(p.identity === "any" ? [] : p.identity.map((i) => i.policy)),
                ...(req.resource === "*" || !target.policy ? [] : [target.policy]),
            ];
            hit = docs.some((d) => NETWORK_KEYS.test(JSON.stringify(d)));
            this.networkKeyed.set(key, hit);
        }
        return hit;
    }

    allowed(p: Principal, path: Path, req: Request, target: Target): Promise<boolean> {
        const resource = req.resource === "*" ? "*" : req.arn ? req.arn(target) : target.arn;
        const endpoint = path.endpoints[req.service];
        const networkKeyed = endpoint !== undefined && this.onNetworkPath(p, req, target);
        // Two paths with the same endpoint policy for this service give the same answer (a
        // service without an endpoint, or with AWS's default policy, is the direct path),
        // unless a policy tests the endpoint's or VPC's ID.
        const via = [
            endpoint?.policy ? JSON.stringify(endpoint.policy) : "direct",
            networkKeyed ? endpoint!.id : "",
        ].join("@");
        const key = `${p.label}|${via}|${req.action}|${resource}`;
        let hit = this.cache.get(key);
        if (!hit) {
            // An endpoint policy only narrows: it grants nothing on its own (VPC user guide,
            // "Control access to VPC endpoints using endpoint policies"). What a principal
            // cannot do directly it cannot do through an endpoint, so the endpoint is asked
            // only about what the direct path allows; unless a policy tests aws:SourceVpce or
            // aws:SourceVpc, which only a request through the endpoint carries.
            hit =
                endpoint?.policy && p.paths.includes(DIRECT) && !networkKeyed
                    ? this.allowed(p, DIRECT, req, target).then((direct) =>
                          direct ? this.run(p, path, req, target, resource) : false,
                      )
                    : this.run(p, path, req, target, resource);
            this.cache.set(key, hit);
        }
        return hit;
    }

    private async run(
        p: Principal,
        path: Path,
        req: Request,
        target: Target,
        resource: string,
    ): Promise<boolean> {
        const endpoint = path.endpoints[req.service];
        this.simulations++;
        const result = await this.simulate(
            {
                request: {
                    principal: p.principal,
                    action: req.action,
                    // The login is a call on the caller's own registry.
                    resource: {
                        resource,
                        accountId: req.resource === "*" ? p.account : target.account,
                    },
                    // Through a VPC endpoint (interface or gateway), AWS adds the endpoint's
                    // and the VPC's IDs to the request context (IAM user guide, global
                    // condition context keys: aws:SourceVpce, aws:SourceVpc).
                    contextVariables: endpoint
                        ? {
                              ...p.context,
                              "aws:SourceVpce": endpoint.id,
                              "aws:SourceVpc": endpoint.vpcId,
                          }
                        : p.context,
                },
                identityPolicies:
                    p.identity === "any" ? [{ name: "allow-all", policy: ALLOW_ALL }] : p.identity,
                serviceControlPolicies: [],
                resourceControlPolicies: [],
                resourcePolicy: req.resource === "*" ? undefined : resourcePolicyOf(target),
                // No policy on an endpoint means AWS's default full-access policy.
                vpcEndpointPolicies:
                    endpoint?.policy !== undefined
                        ? [{ name: endpoint.name, policy: endpoint.policy }]
                        : undefined,
            },
            {},
        );
        // An evaluator error is never a denial.
        if (result.resultType === "error") {
            throw new EvaluatorError(
                `the evaluator could not decide ${req.action} on ${resource} for ${p.label}: ${JSON.stringify(result.errors)}`,
            );
        }
        if (result.resultType !== "single" && result.resultType !== "wildcard") {
            throw new EvaluatorError(`unexpected evaluator result ${JSON.stringify(result)}`);
        }
        return result.overallResult === "Allowed";
    }

    async capability(
        p: Principal,
        path: Path,
        c: CapabilitySpec,
        target: Target,
    ): Promise<boolean> {
        const requests = p.isService ? c.requests.filter((r) => r !== LOGIN) : c.requests;
        for (const r of requests) {
            const ok = await this.allowed(p, path, r, target);
            if (c.mode === "all" && !ok) return false;
            if (c.mode === "any" && ok) return true;
        }
        return c.mode === "all";
    }
}

/** The resources the evaluator is asked about for a target: its ARN, `<ARN>/access-matrix`, ... */
function requestResources(t: Target): string[] {
    const out = new Set<string>();
    for (const c of capabilitiesOf(t.kind)) {
        for (const r of c.requests) if (r.resource === "target") out.add(r.arn ? r.arn(t) : t.arn);
    }
    return [...out];
}

/**
 * The access matrix of `plan`. `related` are plans of other stacks; those the plan references
 * (the vendor's, for the customer) add their repositories in the stack's region as columns, with
 * their policies, and their creation templates give replicas their policies.
 */
export async function computeAccess(
    plan: Plan,
    related: Plan[] = [],
    options: AccessOptions = {},
): Promise<AccessMatrix> {
    const { runSimulation } =
        require("@cloud-copilot/iam-simulate") as typeof import("@cloud-copilot/iam-simulate");
    const ix = new PlanIndex(plan);
    // Only the stacks this one reads through a StackReference (`<org>/<project>/<stack>`).
    const referenced = new Set(
        plan.resources
            .filter((r) => r.type === "pulumi:pulumi:StackReference")
            .map((r) => r.name.split("/").pop()),
    );
    const others = related
        .filter((p) => p.stack !== plan.stack && referenced.has(p.stack))
        .map((p) => new PlanIndex(p));
    const all = [ix, ...others];

    const targets: Target[] = [
        ...repositoryTargets(ix, all, ""),
        ...cacheTargets(ix, all),
        ...others.flatMap((o) =>
            repositoryTargets(o, all, `${o.plan.stack}: `).filter((t) => t.region === ix.region),
        ),
        ...otherTargets(ix),
    ];
    for (const t of targets) {
        if (t.kind !== "repository") continue;
        const registryPolicy = registryPolicyFor(all, t.account, t.region);
        if (registryPolicy) t.registryPolicy = registryPolicy;
    }
    const principals = principalsOf(ix);
    const { classes, ungrouped } =
        options.group === false
            ? { classes: targets.map((t) => [t]), ungrouped: undefined }
            : targetClasses(targets, principals, requestResources);
    const classOf = new Map<Target, Target[]>();
    for (const c of classes) for (const t of c) classOf.set(t, c);
    const evaluator = new Evaluator(runSimulation);
    const cells: Cell[] = [];
    const errors: AccessMatrix["errors"] = [];

    for (const p of principals) {
        const rows: Cell[] = [];
        try {
            if (p.error) throw new EvaluatorError(p.error);
            for (const path of p.paths) {
                // The first member of a class is simulated; the others get its answer.
                const answers = new Map<Target[], string[]>();
                for (const t of targets) {
                    const c = classOf.get(t)!;
                    let allowed = answers.get(c);
                    if (!allowed) {
                        allowed = [];
                        if (c[0].exists) {
                            for (const cap of capabilitiesOf(c[0].kind)) {
                                if (await evaluator.capability(p, path, cap, c[0]))
                                    allowed.push(cap.name);
                            }
                        }
                        answers.set(c, allowed);
                    }
                    rows.push({
                        principal: p.label,
                        via: path.label,
                        resource: t.label,
                        allowed: [...allowed],
                    });
                }
            }
        } catch (e) {
            if (!(e instanceof EvaluatorError)) throw e;
            errors.push({ principal: p.label, message: e.message });
            rows.length = 0;
            for (const path of p.paths) {
                for (const t of targets) {
                    rows.push({ principal: p.label, via: path.label, resource: t.label });
                }
            }
        }
        cells.push(...rows);
    }
    return {
        stack: plan.stack,
        principals,
        targets,
        cells,
        errors,
        simulations: evaluator.simulations,
        classes,
        ...(ungrouped ? { ungrouped } : {}),
    };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** `principal | via` -> resource -> "pull, push" ("-" for nothing, "ERROR" when not evaluated). */
export function accessGrid(m: AccessMatrix): Record<string, Record<string, string>> {
    const grid: Record<string, Record<string, string>> = {};
    for (const c of m.cells) {
        const row = (grid[`${c.principal} | ${c.via}`] ??= {});
        row[c.resource] = c.allowed === undefined ? "ERROR" : c.allowed.join(", ") || "-";
    }
    return grid;
}

const esc = (s: string) => s.replace(/\|/g, "\\|");

/** The resource policies of one target: its own (or its template's), and the registry policy. */
function policySourceOf(t: Target): string {
    return (
        [t.policySource, t.registryPolicy ? "registry policy" : undefined]
            .filter(Boolean)
            .join(" + ") || "none"
    );
}

/** The resource policies of a column: `creation template a`, `... b` -> `creation templates a, b`. */
function policySources(members: Target[]): string {
    const TEMPLATE = "creation template ";
    const sources = [...new Set(members.map(policySourceOf))];
    const templates = sources.filter((s) => s.startsWith(TEMPLATE));
    const out = sources.filter((s) => !s.startsWith(TEMPLATE));
    if (templates.length > 1) {
        out.push(`creation templates ${templates.map((s) => s.slice(TEMPLATE.length)).join(", ")}`);
    } else {
        out.push(...templates);
    }
    return out.join("; ");
}

/**
 * The matrix as Markdown. Above `COLLAPSE_REPOSITORIES` repository columns (as in the pictures),
 * one column per class of resources no policy tells apart, its members listed below the table;
 * smaller matrices show every resource.
 */
export function accessMarkdown(m: AccessMatrix): string {
    const grid = accessGrid(m);
    const large = m.targets.filter((t) => t.kind === "repository").length > COLLAPSE_REPOSITORIES;
    const columns: Column[] = large
        ? classColumns(m.classes)
        : m.targets.map((t) => ({ label: t.label, representative: t, members: [t] }));
    const lines: string[] = [`### Access matrix of \`${m.stack}\``, ""];
    if (m.errors.length > 0) {
        lines.push(
            `> **Not computed for ${m.errors.length} principal(s)** (cells marked ERROR; not a denial):`,
            ...m.errors.map((e) => `> - ${esc(e.principal)}: ${esc(e.message)}`),
            "",
        );
    }
    lines.push(
        "Decided by an independent IAM evaluator (@cloud-copilot/iam-simulate) from the plan's identity, resource and VPC endpoint policies; a request through an endpoint carries its `aws:SourceVpce` and `aws:SourceVpc`. A cell lists what the principal may do to the resource along that path; `-` is nothing.",
        "",
    );
    if (large) {
        lines.push(
            m.ungrouped
                ? `${m.targets.length} resources, each in its own column: ${esc(m.ungrouped)}.`
                : `${m.targets.length} resources in ${columns.length} columns: a column stands for the resources no policy of the evaluation tells apart (the same resource policy, every Resource pattern matching all of them or none), evaluated once; its resources are listed under the table.`,
            "",
        );
    }
    lines.push(
        `| principal | via | ${columns.map((c) => esc(c.label)).join(" | ")} |`,
        `|---|---|${columns.map(() => "---").join("|")}|`,
    );
    for (const [key, row] of Object.entries(grid)) {
        const [principal, via] = key.split(" | ");
        lines.push(
            `| ${esc(principal)} | ${esc(via)} | ${columns.map((c) => esc(row[c.representative.label] ?? "")).join(" | ")} |`,
        );
    }
    if (large && columns.some((c) => c.members.length > 1)) {
        lines.push("", "<details><summary>Resources of each column</summary>", "");
        for (const c of columns) {
            if (c.members.length === 1) continue;
            lines.push(`- **${esc(c.label)}**`, ...memberLines(c.members).map((l) => `  - ${l}`));
        }
        lines.push("", "</details>");
    }
    lines.push("", "<details><summary>Principals, resources, paths and actions</summary>", "");
    lines.push("| principal | evaluated as | identity policies | note |", "|---|---|---|---|");
    for (const p of m.principals) {
        const identity =
            p.identity === "any"
                ? "anything (its own account's IAM)"
                : p.identity.map((i) => i.name).join(", ") || "none";
        lines.push(
            `| ${esc(p.label)} | \`${p.principal}\` | ${esc(identity)} | ${esc(p.note ?? "")} |`,
        );
    }
    lines.push("", "| resource | ARN | resource policy | note |", "|---|---|---|---|");
    for (const c of columns) {
        const t = c.representative;
        const more = c.members.length > 1 ? ` and ${c.members.length - 1} more` : "";
        const source = large ? policySources(c.members) : policySourceOf(t);
        lines.push(
            `| ${esc(c.label)} | \`${t.arn}\`${more} | ${esc(source)} | ${esc(t.note ?? "")} |`,
        );
    }
    const paths = new Map<string, Path>();
    for (const p of m.principals) for (const path of p.paths) paths.set(path.label, path);
    lines.push(
        "",
        "| via | service | endpoint (aws:SourceVpce) | endpoint policy |",
        "|---|---|---|---|",
    );
    for (const path of paths.values()) {
        const services = Object.entries(path.endpoints);
        if (services.length === 0)
            lines.push(`| ${path.label} | every service | public endpoint | - |`);
        for (const [service, e] of services) {
            lines.push(
                `| ${path.label} | ${service} | ${e!.name} (\`${e!.id}\`) | ${e!.policy ? "custom" : "AWS default (full access)"} |`,
            );
        }
    }
    lines.push("", "| on | can | IAM actions (service) |", "|---|---|---|");
    for (const kind of ["repository", "secret", "log group", "bucket"] as TargetKind[]) {
        for (const c of capabilitiesOf(kind)) {
            lines.push(
                `| ${kind} | ${c.name} | ${c.mode === "all" ? "all of" : "any of"} ${c.requests.map((r) => `${r.action} (${r.service})`).join(", ")} |`,
            );
        }
    }
    lines.push("", "</details>", "");
    return lines.join("\n");
}
