/**
 * Monthly cost estimate computed from an offline plan (plan.json) and the
 * price table in pricing/prices.json. Pure functions except `loadPrices`.
 *
 * The estimate covers fixed, always-on charges (hours x hourly rate, monthly
 * fees). Usage charges (per GB processed, stored or transferred) are listed
 * as rates, never guessed: the plan does not know the traffic.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import type { Plan, PlanResource } from "./plan";

// ---------------------------------------------------------------- price table

const priceEntrySchema = z.strictObject({
    usd: z.number().nonnegative(),
    unit: z.string().min(1),
    region: z.string().min(1),
    source: z.string().min(1),
    date: z.string().min(1),
    note: z.string().optional(),
});

const priceTableSchema = z.strictObject({
    currency: z.literal("USD"),
    baseRegion: z.string().min(1),
    note: z.string().optional(),
    /** Factor applied to base-region prices; a bare number is allowed in overrides. */
    regionMultipliers: z.record(
        z.string(),
        z.union([
            z.number().positive(),
            z.strictObject({ factor: z.number().positive(), source: z.string().min(1) }),
        ]),
    ),
    prices: z.record(z.string(), priceEntrySchema),
});

export type PriceEntry = z.infer<typeof priceEntrySchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

/** Keys the estimate reads; a table without one of them is rejected at load time. */
export const REQUIRED_PRICE_KEYS = [
    "interfaceEndpointAzHour",
    "interfaceEndpointGb",
    "natGatewayHour",
    "natGatewayGb",
    "publicIpv4Hour",
    "albHour",
    "albLcuHour",
    "fargateVcpuHour",
    "fargateGbHour",
    "route53PrivateZoneMonth",
    "resolverEndpointEniHour",
    "interRegionTransferGb",
    "ecrStorageGbMonth",
    "secretsManagerSecretMonth",
    "cloudwatchLogsIngestGb",
    "cloudwatchLogsStorageGbMonth",
    "ebsGp3GbMonth",
    "s3StandardGbMonth",
    "wafWebAclMonth",
    "wafRuleMonth",
    "wafRequestsMillion",
    "nlbHour",
    "nlbNlcuHour",
    "s3PutRequests1k",
    "s3GetRequests1k",
] as const;
export type PriceKey = (typeof REQUIRED_PRICE_KEYS)[number];

export const DEFAULT_PRICES_PATH = path.resolve(__dirname, "../../pricing/prices.json");
const LOCAL_PRICES_NAME = "prices.local.json";

function readJson(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new Error(`price table ${file}: cannot read it (${(e as Error).message})`);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new Error(`price table ${file}: not valid JSON (${(e as Error).message})`);
    }
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Merges an override file over the base table: top-level fields replace,
 * `prices` and `regionMultipliers` merge by key, and an override price entry
 * may be partial (`{ "usd": 0.012 }`) when the key already exists.
 */
export function mergePriceTables(
    base: unknown,
    override: unknown,
    overrideName = "override",
): unknown {
    if (!isRecord(override)) throw new Error(`price table ${overrideName}: must be a JSON object`);
    if (!isRecord(base)) return override;
    const merged: Record<string, unknown> = { ...base, ...override };
    for (const key of ["prices", "regionMultipliers"]) {
        const b = isRecord(base[key]) ? base[key] : {};
        const o = override[key];
        if (o === undefined) continue;
        if (!isRecord(o))
            throw new Error(`price table ${overrideName}: \`${key}\` must be an object`);
        const out: Record<string, unknown> = { ...b };
        for (const [k, v] of Object.entries(o)) {
            out[k] = key === "prices" && isRecord(b[k]) && isRecord(v) ? { ...b[k], ...v } : v;
        }
        merged[key] = out;
    }
    return merged;
}

/** Validates a price table, naming the file and the failing key. */
export function parsePriceTable(data: unknown, name = "price table"): PriceTable {
    const result = priceTableSchema.safeParse(data);
    if (!result.success) {
        const lines = result.error.issues.map(
            (i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`,
        );
        throw new Error(`${name} is invalid:\n${lines.join("\n")}`);
    }
    const missing = REQUIRED_PRICE_KEYS.filter((k) => !(k in result.data.prices));
    if (missing.length > 0) {
        throw new Error(
            `${name} is invalid: missing prices ${missing.map((k) => `\`${k}\``).join(", ")}`,
        );
    }
    return result.data;
}

/**
 * Reads the price table (default pricing/prices.json) and merges user
 * overrides over it: `overridePath` when given (it must exist), otherwise
 * `prices.local.json` next to the base file when present.
 */
export function loadPrices(
    basePath: string = DEFAULT_PRICES_PATH,
    overridePath?: string,
): PriceTable {
    let data = readJson(basePath);
    let name = basePath;
    const local = overridePath ?? path.join(path.dirname(basePath), LOCAL_PRICES_NAME);
    if (overridePath !== undefined || fs.existsSync(local)) {
        data = mergePriceTables(data, readJson(local), local);
        name = `${basePath} + ${local}`;
    }
    return parsePriceTable(data, name);
}

// ------------------------------------------------------------------- estimate

export interface CostLine {
    urn: string;
    type: string;
    name: string;
    region: string;
    /** Fixed monthly cost; 0 for free resources and usage-only ones. */
    monthlyUsd: number;
    /** How the number was computed, or "free". */
    basis: string;
}

export interface PerGbRate {
    what: string;
    usdPerGb: number;
}

export interface NatComparison {
    /** Distinct AZs spanned by the private subnets of the VPCs compared. */
    azCount: number;
    /** Monthly cost of one NAT gateway (with its public IPv4 address) per AZ. */
    natMonthlyUsd: number;
    /** Monthly fixed cost of the interface endpoints in the same VPCs. */
    endpointsMonthlyUsd: number;
    natUsdPerGb: number;
    endpointUsdPerGb: number;
    /**
     * Monthly traffic above which endpoints are cheaper than NAT (when
     * endpoints cost more fixed); 0 when endpoints are cheaper at any traffic.
     */
    breakEvenGbPerMonth: number;
    note: string;
}

/**
 * A self-hosted registry (SelfHostedRegistry) against Amazon ECR holding the
 * same images: the registry's fixed monthly cost plus S3 storage, against
 * ECR's storage price (ECR has no fixed charge).
 */
export interface RegistryComparison {
    /** Fixed monthly cost of the registry's own resources (tasks, load balancer, secrets, zone). */
    fixedMonthlyUsd: number;
    s3UsdPerGbMonth: number;
    ecrUsdPerGbMonth: number;
    /** Stored GB above which self-hosting costs less than ECR; undefined when S3 is not cheaper per GB. */
    breakEvenGb?: number;
    /** Monthly totals at a few storage sizes. */
    examples: { gb: number; selfHostedUsd: number; ecrUsd: number }[];
    note: string;
}

/**
 * The pull-through cache: its images are billed as ECR storage, and first pulls need a path to
 * the internet. The stack warms the cache from outside the VPC (no fixed cost); a temporary NAT
 * gateway in the VPC is the alternative the user guide names, priced here for comparison.
 */
export interface PullThroughCacheCost {
    /** Cache prefixes of the plan's rules. */
    prefixes: string[];
    storageUsdPerGbMonth: number;
    /** One NAT gateway with its Elastic IP, per hour and per GB processed, in the cache's region. */
    natAlternative: { usdPerHour: number; usdPerMonth: number; usdPerGb: number };
    note: string;
}

export interface CostEstimate {
    project: string;
    stack: string;
    region: string;
    currency: "USD";
    hoursPerMonth: number;
    /** Priced resources, including the free ones ($0, basis "free"). */
    lines: CostLine[];
    fixedMonthlyUsd: number;
    /** Usage rates that apply on top of the fixed total. */
    perGb: PerGbRate[];
    /** Resources whose type (or detail) the table cannot price: never counted as $0. */
    notPriced: { urn: string; type: string; reason: string }[];
    /** Component resources: containers for other resources, no charge of their own. */
    components: { urn: string; type: string }[];
    /** Types that appear in the plan and cost nothing by themselves. */
    freeTypes: string[];
    natComparison: NatComparison;
    /** Present when the plan has a self-hosted registry. */
    registryComparison?: RegistryComparison;
    /** Present when the plan has pull-through cache rules. */
    pullThroughCache?: PullThroughCacheCost;
    notes: string[];
}

export interface EstimateOptions {
    /** The stack's region (config `aws:region`); resources with `inputs.region` use theirs. */
    region: string;
    prices: PriceTable;
    /** Default 730 (AWS's own monthly convention). */
    hoursPerMonth?: number;
}

/** Types that are free by themselves, with the reason shown in the basis. */
const FREE_TYPES: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "free",
    "aws:ec2/subnet:Subnet": "free",
    "aws:ec2/routeTable:RouteTable": "free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "free",
    "aws:ec2/route:Route": "free",
    "aws:ec2/internetGateway:InternetGateway": "free (data transfer out billed separately)",
    "aws:ec2/securityGroup:SecurityGroup": "free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "free",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "free",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
        "free (transfer billed on the connection)",
    "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint": "free",
    "aws:route53/record:Record": "free (queries billed per million, not included)",
    "aws:route53/zoneAssociation:ZoneAssociation": "free",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "free",
    // Built where `pulumi up` runs; its layers are billed as the repository's storage.
    "awsx:ecr:Image": "free (its layers are billed as ECR storage)",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "free",
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": "free",
    "aws:ecr/registryPolicy:RegistryPolicy": "free",
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration":
        "free (basic scanning; Inspector's enhanced scanning is billed)",
    "aws:ecs/cluster:Cluster": "free (Container Insights metrics billed by usage)",
    "aws:ecs/taskDefinition:TaskDefinition": "free (tasks priced on the ECS service)",
    "aws:lb/listener:Listener": "free (billed on the load balancer)",
    "aws:lb/targetGroup:TargetGroup": "free (billed on the load balancer)",
    "aws:secretsmanager/secretVersion:SecretVersion": "free (billed on the secret)",
    "random:index/randomPassword:RandomPassword": "free (generated locally)",
    "aws:s3/bucketPolicy:BucketPolicy": "free",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "free",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "free",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "free (SSE-S3)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "free",
    "aws:acm/certificate:Certificate": "free (public ACM certificate, not exportable)",
    "aws:acm/certificateValidation:CertificateValidation": "free (waits for issuance)",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "free (billed on the web ACL)",
    "aws:s3/bucketVersioning:BucketVersioning": "free (noncurrent versions billed as storage)",
    "aws:appautoscaling/target:Target": "free",
    "aws:appautoscaling/policy:Policy": "free (its CloudWatch alarms are billed by usage)",
};

/** The component whose resources the registry comparison adds up. */
const SELF_HOSTED_REGISTRY = "ecr-private-access:registry:SelfHostedRegistry";

const isIam = (type: string) => type.startsWith("aws:iam/");

/** Component resources and Pulumi's own bookkeeping: not cloud resources at all. */
export function isComponentResource(r: PlanResource, project: string): boolean {
    const pkg = r.type.split(":")[0];
    return r.type.startsWith("pulumi:") || pkg === project || pkg === "ecr-private-access";
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | undefined => {
    const n = typeof v === "string" ? Number(v) : v;
    return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};
/** Rates are shown and returned to 6 decimals, so a multiplier leaves no float noise. */
const round6 = (n: number) => +n.toFixed(6);
const usd = (n: number) => `$${round6(n)}`;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** The region a resource lives in: its own `region` input (aws v7) or the stack's. */
export function resourceRegion(r: PlanResource, stackRegion: string): string {
    return str(r.inputs.region) ?? stackRegion;
}

/** Index of resources by every identifier another resource's input may use. */
function indexByIds(plan: Plan): Map<string, PlanResource> {
    const byId = new Map<string, PlanResource>();
    for (const r of plan.resources) {
        for (const key of [r.id, str(r.outputs.id), str(r.outputs.arn)]) {
            if (key) byId.set(key, r);
        }
    }
    return byId;
}

interface Pricer {
    price(key: string): PriceEntry;
    /** Hourly/monthly rate for a key in a region, with the region multiplier applied. */
    rate(key: string, region: string): number;
}

function makePricer(prices: PriceTable, notes: Set<string>): Pricer {
    const price = (key: string) => {
        const p = prices.prices[key];
        if (!p) throw new Error(`price table has no \`${key}\``);
        return p;
    };
    const multiplier = (region: string): number => {
        if (region === "global") return 1;
        const m = prices.regionMultipliers[region];
        if (m !== undefined) return typeof m === "number" ? m : m.factor;
        notes.add(
            `No region multiplier for ${region}: ${prices.baseRegion} prices are used there; ` +
                `actual ${region} prices differ (add regionMultipliers.${region} to pricing/prices.local.json).`,
        );
        return 1;
    };
    return {
        price,
        rate: (key, region) =>
            price(key).usd * multiplier(price(key).region === "global" ? "global" : region),
    };
}

/** Distinct AZs of a set of subnets (a subnet with no AZ counts as its own). */
function azsOf(subnets: PlanResource[]): Set<string> {
    return new Set(
        subnets.map(
            (s) => str(s.inputs.availabilityZone) ?? str(s.outputs.availabilityZone) ?? s.urn,
        ),
    );
}

/** Estimates the fixed monthly cost of everything in a plan. */
export function estimateCost(plan: Plan, options: EstimateOptions): CostEstimate {
    const hours = options.hoursPerMonth ?? 730;
    const stackRegion = options.region;
    const notes = new Set<string>();
    const pricer = makePricer(options.prices, notes);
    const byId = indexByIds(plan);
    const perGb = new Map<string, number>();
    const lines: CostLine[] = [];
    const notPriced: CostEstimate["notPriced"] = [];
    const components: CostEstimate["components"] = [];

    for (const r of plan.resources) {
        if (isComponentResource(r, plan.project)) {
            components.push({ urn: r.urn, type: r.type });
            continue;
        }
        const region = resourceRegion(r, stackRegion);
        const line = (monthlyUsd: number, basis: string, where = region) =>
            lines.push({
                urn: r.urn,
                type: r.type,
                name: r.name,
                region: where,
                monthlyUsd,
                basis,
            });
        const hourly = (key: string, count: number, what: string) => {
            const rate = pricer.rate(key, region);
            line(count * rate * hours, `${count} ${what} x ${usd(rate)}/h x ${hours} h`);
        };
        const gbRate = (what: string, key: string) =>
            perGb.set(`${what} (${region})`, round6(pricer.rate(key, region)));

        if (isIam(r.type) || FREE_TYPES[r.type] !== undefined) {
            line(0, FREE_TYPES[r.type] ?? "free");
            continue;
        }
        switch (r.type) {
            case "aws:ec2/vpcEndpoint:VpcEndpoint": {
                const kind = str(r.inputs.vpcEndpointType) ?? "Gateway";
                if (kind === "Gateway") {
                    line(0, "free (gateway endpoint)");
                    break;
                }
                if (kind !== "Interface") {
                    notPriced.push({
                        urn: r.urn,
                        type: r.type,
                        reason: `endpoint type ${kind}`,
                    });
                    break;
                }
                let azs = arr(r.inputs.subnetIds).length;
                if (azs === 0) {
                    azs = 1;
                    notes.add(`${r.name}: no subnetIds in the plan, priced as one AZ.`);
                }
                hourly("interfaceEndpointAzHour", azs, azs === 1 ? "AZ" : "AZs");
                gbRate("Interface endpoint data processed", "interfaceEndpointGb");
                break;
            }
            case "aws:route53/zone:Zone":
                line(
                    pricer.rate("route53PrivateZoneMonth", "global"),
                    "hosted zone, monthly fee",
                    "global",
                );
                break;
            case "aws:route53/resolverEndpoint:ResolverEndpoint": {
                // AWS requires at least two IP addresses (ENIs) per Resolver endpoint.
                const enis = Math.max(2, arr(r.inputs.ipAddresses).length);
                hourly("resolverEndpointEniHour", enis, "ENIs");
                break;
            }
            case "aws:ecr/replicationConfiguration:ReplicationConfiguration":
                line(0, "no fixed charge; replicas billed as storage, copies as transfer per GB");
                gbRate("ECR cross-region replication transfer", "interRegionTransferGb");
                break;
            case "aws:ecr/repository:Repository":
                line(0, "storage only (per GB-month)");
                gbRate("ECR image storage per GB-month", "ecrStorageGbMonth");
                break;
            case "aws:ecr/pullThroughCacheRule:PullThroughCacheRule":
                line(0, "no fixed charge; cached images billed as ECR storage per GB-month");
                gbRate("ECR pull-through cache storage per GB-month", "ecrStorageGbMonth");
                break;
            case "aws:s3/bucket:Bucket":
            case "aws:s3/bucketV2:BucketV2":
                // ELB access-log delivery into a bucket is not charged.
                line(0, "storage and requests only (per GB-month, per 1,000 requests)");
                gbRate("S3 Standard storage per GB-month", "s3StandardGbMonth");
                break;
            case "aws:ecs/service:Service": {
                const launch = str(r.inputs.launchType) ?? "FARGATE";
                const tdRef = str(r.inputs.taskDefinition) ?? "";
                // An ARN (what the program passes), else `family` or `family:revision`.
                const family = tdRef.replace(/^.*task-definition\//, "").split(":")[0];
                const td =
                    byId.get(tdRef) ??
                    plan.resources.find(
                        (t) =>
                            t.type === "aws:ecs/taskDefinition:TaskDefinition" &&
                            t.inputs.family === family,
                    );
                const cpu = num(td?.inputs.cpu);
                const mem = num(td?.inputs.memory);
                if (launch !== "FARGATE" || cpu === undefined || mem === undefined) {
                    notPriced.push({
                        urn: r.urn,
                        type: r.type,
                        reason:
                            launch !== "FARGATE"
                                ? `launch type ${launch}`
                                : "task definition cpu/memory not found",
                    });
                    break;
                }
                const count = num(r.inputs.desiredCount) ?? 1;
                const vcpu = cpu / 1024;
                const gb = mem / 1024;
                const perTaskHour =
                    vcpu * pricer.rate("fargateVcpuHour", region) +
                    gb * pricer.rate("fargateGbHour", region);
                line(
                    count * perTaskHour * hours,
                    `${count} Fargate tasks x (${vcpu} vCPU + ${gb} GB) = ${usd(perTaskHour)}/h x ${hours} h`,
                );
                break;
            }
            case "aws:lb/loadBalancer:LoadBalancer": {
                const lbType = str(r.inputs.loadBalancerType) ?? "application";
                if (lbType === "network") {
                    const rate = pricer.rate("nlbHour", region);
                    const nlcu = pricer.rate("nlbNlcuHour", region);
                    line(
                        rate * hours,
                        `1 NLB x ${usd(rate)}/h x ${hours} h, + ${usd(nlcu)} per NLCU-hour (usage, not included)`,
                    );
                    break;
                }
                if (lbType !== "application") {
                    notPriced.push({
                        urn: r.urn,
                        type: r.type,
                        reason: `${lbType} load balancer`,
                    });
                    break;
                }
                const rate = pricer.rate("albHour", region);
                const lcu = pricer.rate("albLcuHour", region);
                // An internet-facing ALB holds at least one public IPv4 address per
                // subnet (AZ), billed like any other since 2024-02-01 (more when it scales).
                const publicIps = r.inputs.internal === true ? 0 : arr(r.inputs.subnets).length;
                const ip = pricer.rate("publicIpv4Hour", region);
                line(
                    (rate + publicIps * ip) * hours,
                    `1 ALB x ${usd(rate)}/h x ${hours} h` +
                        (publicIps > 0
                            ? ` + ${publicIps} public IPv4 (one per AZ, at least) x ${usd(ip)}/h x ${hours} h`
                            : " (internal: no public IPv4)") +
                        `, + ${usd(lcu)} per LCU-hour (usage, not included)`,
                );
                break;
            }
            case "aws:wafv2/webAcl:WebAcl": {
                const rules = arr(r.inputs.rules).length;
                const acl = pricer.rate("wafWebAclMonth", region);
                const rule = pricer.rate("wafRuleMonth", region);
                const perMillion = pricer.rate("wafRequestsMillion", region);
                line(
                    acl + rules * rule,
                    `web ACL ${usd(acl)}/month + ${rules} rules x ${usd(rule)}/month, + ${usd(perMillion)} per million requests (usage, not included)`,
                );
                break;
            }
            case "aws:cloudwatch/logGroup:LogGroup":
                line(0, "usage only (per GB ingested and stored)");
                gbRate("CloudWatch Logs ingestion", "cloudwatchLogsIngestGb");
                gbRate("CloudWatch Logs storage per GB-month", "cloudwatchLogsStorageGbMonth");
                break;
            case "aws:secretsmanager/secret:Secret":
                line(pricer.rate("secretsManagerSecretMonth", region), "secret, monthly fee");
                break;
            case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": {
                const peer = str(r.inputs.peerRegion);
                if (peer && peer !== region) {
                    line(0, `no hourly charge; ${region} <-> ${peer} transfer per GB`);
                    gbRate(`Inter-region transfer to ${peer}`, "interRegionTransferGb");
                } else {
                    line(0, "no hourly charge; same-region transfer across AZs billed per GB");
                }
                break;
            }
            case "aws:ec2/instance:Instance": {
                const itype = str(r.inputs.instanceType) ?? "";
                if (!options.prices.prices[`ec2.${itype}`]) {
                    notPriced.push({
                        urn: r.urn,
                        type: r.type,
                        reason: `no price for instance type "${itype}"`,
                    });
                    break;
                }
                const root = r.inputs.rootBlockDevice as Record<string, unknown> | undefined;
                const rootGb = num(root?.volumeSize) ?? 8;
                const compute = pricer.rate(`ec2.${itype}`, region) * hours;
                const disk = rootGb * pricer.rate("ebsGp3GbMonth", region);
                line(
                    compute + disk,
                    `${itype} ${usd(pricer.rate(`ec2.${itype}`, region))}/h x ${hours} h + ${rootGb} GB gp3 root volume`,
                );
                break;
            }
            default:
                notPriced.push({
                    urn: r.urn,
                    type: r.type,
                    reason: "type not in the price table",
                });
        }
    }

    const natComparison = compareWithNat(plan, stackRegion, lines, pricer, hours);
    const registryComparison = compareRegistryWithEcr(plan, stackRegion, lines, pricer);
    const pullThroughCache = cacheCost(plan, stackRegion, pricer, hours);
    const fixed = round2(lines.reduce((s, l) => s + l.monthlyUsd, 0));
    return {
        project: plan.project,
        stack: plan.stack,
        region: stackRegion,
        currency: "USD",
        hoursPerMonth: hours,
        lines,
        fixedMonthlyUsd: fixed,
        perGb: [...perGb].map(([what, usdPerGb]) => ({ what, usdPerGb })),
        notPriced,
        components,
        freeTypes: [
            ...new Set(lines.filter((l) => l.basis.startsWith("free")).map((l) => l.type)),
        ].sort(),
        natComparison,
        ...(registryComparison ? { registryComparison } : {}),
        ...(pullThroughCache ? { pullThroughCache } : {}),
        notes: [...notes],
    };
}

function cacheCost(
    plan: Plan,
    stackRegion: string,
    pricer: Pricer,
    hours: number,
): PullThroughCacheCost | undefined {
    const rules = plan.resources.filter(
        (r) => r.type === "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
    );
    if (rules.length === 0) return undefined;
    const region = resourceRegion(rules[0], stackRegion);
    const prefixes = rules.map((r) => str(r.inputs.ecrRepositoryPrefix) ?? r.name);
    const storage = round6(pricer.rate("ecrStorageGbMonth", region));
    const natHour = round6(
        pricer.rate("natGatewayHour", region) + pricer.rate("publicIpv4Hour", region),
    );
    const natGb = round6(pricer.rate("natGatewayGb", region));
    const natMonth = round2(natHour * hours);
    const note =
        `Pull-through cache (${prefixes.join(", ")}): cached images are ECR storage, $${storage}/GB-month ` +
        `(a multi-architecture image is cached with every platform), until they go unpulled long enough to expire; ` +
        `no fixed charge. First pulls are warmed up from a network with an internet path (stack output pullThroughCacheWarmUpCommands): no cost here. ` +
        `A temporary NAT gateway in the VPC instead (the ECR user guide's way for first pulls through interface endpoints) would cost ` +
        `$${natHour}/hour with its Elastic IP ($${natMonth.toFixed(2)}/month if left running) + $${natGb}/GB processed, ` +
        `and would give the private subnets an internet route while it exists.`;
    return {
        prefixes,
        storageUsdPerGbMonth: storage,
        natAlternative: { usdPerHour: natHour, usdPerMonth: natMonth, usdPerGb: natGb },
        note,
    };
}

/** Storage sizes the comparison prints totals for. */
export const REGISTRY_COMPARISON_GB = [100, 1000, 10000];

/**
 * Seed 001's registry against ECR for the same storage: the registry pays its
 * tasks, load balancer, secrets and zone every month whatever it stores, and
 * S3 per GB; ECR only per GB. Requests and transfer are left out on both
 * sides (S3 requests are listed as rates; pulls inside the region move no
 * billable data either way).
 */
function compareRegistryWithEcr(
    plan: Plan,
    stackRegion: string,
    lines: CostLine[],
    pricer: Pricer,
): RegistryComparison | undefined {
    const components = plan.resources.filter((r) => r.type === SELF_HOSTED_REGISTRY);
    if (components.length === 0) return undefined;
    const roots = new Set(components.map((c) => c.urn));
    const parentOf = new Map(plan.resources.map((r) => [r.urn, r.parent]));
    const under = (urn: string): boolean => {
        for (let p = parentOf.get(urn); p; p = parentOf.get(p)) if (roots.has(p)) return true;
        return false;
    };
    const mine = lines.filter((l) => under(l.urn));
    const fixed = mine.reduce((s, l) => s + l.monthlyUsd, 0);
    const region = mine.find((l) => l.region !== "global")?.region ?? stackRegion;
    const s3 = round6(pricer.rate("s3StandardGbMonth", region));
    const ecr = round6(pricer.rate("ecrStorageGbMonth", region));
    const breakEven = ecr > s3 ? Math.ceil(fixed / (ecr - s3)) : undefined;
    const examples = REGISTRY_COMPARISON_GB.map((gb) => ({
        gb,
        selfHostedUsd: round2(fixed + gb * s3),
        ecrUsd: round2(gb * ecr),
    }));
    const note =
        `Self-hosted registry: $${fixed.toFixed(2)}/month fixed + $${s3}/GB-month in S3; ` +
        `ECR: $${ecr}/GB-month, no fixed charge. ` +
        (breakEven !== undefined
            ? `Self-hosting costs less only above ${breakEven} GB stored.`
            : `S3 is not cheaper per GB here, so ECR costs less at any size.`) +
        ` VPC endpoints are counted on neither side (private ECR clients need them too); S3 requests and NLB capacity units come on top.`;
    return {
        fixedMonthlyUsd: round2(fixed),
        s3UsdPerGbMonth: s3,
        ecrUsdPerGbMonth: ecr,
        ...(breakEven !== undefined ? { breakEvenGb: breakEven } : {}),
        examples,
        note,
    };
}

/**
 * The same stack built the NAT-gateway way (seed 002 replaces NAT with
 * endpoints): one NAT gateway per AZ that the private subnets span, in each
 * VPC that has interface endpoints (every VPC with private subnets when there
 * are none), against those endpoints' fixed cost.
 */
function compareWithNat(
    plan: Plan,
    stackRegion: string,
    lines: CostLine[],
    pricer: Pricer,
    hours: number,
): NatComparison {
    const byType = (t: string) => plan.resources.filter((r) => r.type === t);
    const vpcIdOf = (r: PlanResource) => str(r.inputs.vpcId) ?? "";
    const interfaces = byType("aws:ec2/vpcEndpoint:VpcEndpoint").filter(
        (e) => e.inputs.vpcEndpointType === "Interface",
    );
    const privateSubnets = byType("aws:ec2/subnet:Subnet").filter(
        (s) => s.inputs.mapPublicIpOnLaunch !== true,
    );
    const vpcIds = new Set(
        interfaces.length > 0 ? interfaces.map(vpcIdOf) : privateSubnets.map(vpcIdOf),
    );

    let azCount = 0;
    let natMonthly = 0;
    let natRegion = stackRegion;
    for (const vpcId of vpcIds) {
        const subnets = privateSubnets.filter((s) => vpcIdOf(s) === vpcId);
        if (subnets.length === 0) continue;
        const azs = azsOf(subnets).size;
        natRegion = resourceRegion(subnets[0], stackRegion);
        azCount += azs;
        natMonthly +=
            azs *
            (pricer.rate("natGatewayHour", natRegion) + pricer.rate("publicIpv4Hour", natRegion)) *
            hours;
    }
    const endpointUrns = new Set(
        interfaces.filter((e) => vpcIds.has(vpcIdOf(e))).map((e) => e.urn),
    );
    const endpointsMonthly = lines
        .filter((l) => endpointUrns.has(l.urn))
        .reduce((s, l) => s + l.monthlyUsd, 0);
    // Base prices when there is nothing to compare, so no region note is raised for it.
    const gbRate = (key: string) =>
        azCount > 0 ? pricer.rate(key, natRegion) : pricer.price(key).usd;
    const natGb = round6(gbRate("natGatewayGb"));
    const epGb = round6(gbRate("interfaceEndpointGb"));
    const breakEven =
        endpointsMonthly > natMonthly && natGb > epGb
            ? (endpointsMonthly - natMonthly) / (natGb - epGb)
            : 0;

    const nat =
        `NAT way: ${azCount} NAT gateway(s), one per AZ, each with an Elastic IP, ` +
        `$${natMonthly.toFixed(2)}/month + $${natGb}/GB processed.`;
    let note: string;
    if (azCount === 0) {
        note = "No private subnets in the plan: nothing to compare.";
    } else if (endpointUrns.size === 0) {
        note = `${nat} The plan has no interface endpoints to compare with.`;
    } else {
        note =
            `${nat} Endpoint way: ${endpointUrns.size} interface endpoint(s), ` +
            `$${endpointsMonthly.toFixed(2)}/month + $${epGb}/GB. ` +
            `Layer traffic from inside the VPC is free through the S3 gateway endpoint either way` +
            (interfaces.some((e) => String(e.inputs.serviceName ?? "").endsWith(".s3"))
                ? ` (layers pulled from outside it go through the S3 interface endpoint at the per-GB rate). `
                : `. `) +
            (breakEven > 0
                ? `Endpoints cost more fixed and pay off above ${Math.ceil(breakEven)} GB/month through them.`
                : `Endpoints are cheaper at any traffic, and need no internet route.`);
    }
    return {
        azCount,
        natMonthlyUsd: round2(natMonthly),
        endpointsMonthlyUsd: round2(endpointsMonthly),
        natUsdPerGb: natGb,
        endpointUsdPerGb: epGb,
        breakEvenGbPerMonth: Math.ceil(breakEven),
        note,
    };
}

// ------------------------------------------------------------------ rendering

const money = (n: number) => `$${n.toFixed(2)}`;
const cell = (s: string) => s.replace(/\|/g, "\\|");

/**
 * Lines of one type, region, basis and price above which the table shows them as one
 * (`Repository x1000`), as the pictures draw repositories above 12 (src/report/diagram.ts): a
 * plan of 4,000 repositories keeps a short summary.
 */
export const COLLAPSE_COST_LINES = 12;

/** `items` in order, runs of more than COLLAPSE_COST_LINES equal keys as one group where the first was. */
function collapsed<T>(items: T[], key: (x: T) => string): T[][] {
    const groups = new Map<string, T[]>();
    for (const x of items) {
        const k = key(x);
        const g = groups.get(k);
        if (g) g.push(x);
        else groups.set(k, [x]);
    }
    const out: T[][] = [];
    for (const x of items) {
        const g = groups.get(key(x))!;
        if (g.length <= COLLAPSE_COST_LINES) out.push([x]);
        else if (g[0] === x) out.push(g);
    }
    return out;
}

/** Markdown text for the plan summary: an estimate, labelled as one. */
export function formatCostTable(e: CostEstimate): string {
    const out: string[] = [];
    out.push(`### Estimated monthly cost: ${e.project}/${e.stack} (${e.region})`);
    out.push("");
    out.push(
        `Estimate only: on-demand list prices from pricing/prices.json, ${e.hoursPerMonth} h/month, ` +
            `fixed charges only; usage (GB, LCU, queries) is listed separately and not included.`,
    );
    out.push("");
    out.push("| resource | type | region | USD/month | basis |");
    out.push("|---|---|---|---:|---|");
    const free = e.lines.filter((l) => l.basis.startsWith("free"));
    const priced = e.lines.filter((x) => !x.basis.startsWith("free"));
    for (const g of collapsed(priced, (l) =>
        JSON.stringify([l.type, l.region, l.basis, l.monthlyUsd]),
    )) {
        const [l] = g;
        if (g.length === 1) {
            out.push(
                `| ${cell(l.name)} | \`${l.type}\` | ${l.region} | ${money(l.monthlyUsd)} | ${cell(l.basis)} |`,
            );
            continue;
        }
        const total = g.reduce((s, x) => s + x.monthlyUsd, 0);
        const each = l.monthlyUsd > 0 ? `${money(l.monthlyUsd)} each: ` : "";
        out.push(
            `| ${cell(l.type.split(":").pop() ?? l.type)} x${g.length} | \`${l.type}\` | ${l.region} | ${money(total)} | ${each}${cell(l.basis)} |`,
        );
    }
    if (free.length > 0) {
        out.push(
            `| ${free.length} free resources | ${e.freeTypes.length} types | | $0.00 | free |`,
        );
    }
    out.push(`| **fixed total** | | | **${money(e.fixedMonthlyUsd)}** | |`);
    if (e.perGb.length > 0) {
        out.push("");
        out.push("Usage rates on top of the fixed total:");
        out.push("");
        for (const p of e.perGb) out.push(`- ${p.what}: $${p.usdPerGb}/GB`);
    }
    const n = e.natComparison;
    if (n.azCount > 0) {
        out.push("");
        out.push(`NAT gateway comparison: ${n.note}`);
    }
    const reg = e.registryComparison;
    if (reg) {
        out.push("");
        out.push(`Self-hosted registry against ECR for the same storage: ${reg.note}`);
        out.push("");
        out.push("| stored | self-hosted USD/month | ECR USD/month |");
        out.push("|---:|---:|---:|");
        for (const x of reg.examples) {
            out.push(`| ${x.gb} GB | ${money(x.selfHostedUsd)} | ${money(x.ecrUsd)} |`);
        }
    }
    if (e.pullThroughCache) {
        out.push("");
        out.push(e.pullThroughCache.note);
    }
    if (e.notPriced.length > 0) {
        out.push("");
        out.push(`Not priced (${e.notPriced.length}, not counted in the total):`);
        out.push("");
        for (const g of collapsed(e.notPriced, (p) => JSON.stringify([p.type, p.reason]))) {
            const [p] = g;
            out.push(
                g.length === 1
                    ? `- \`${p.type}\` ${p.urn.split("::").pop()}: ${p.reason}`
                    : `- \`${p.type}\` x${g.length}: ${p.reason}`,
            );
        }
    }
    for (const note of e.notes) {
        out.push("");
        out.push(`Note: ${note}`);
    }
    return out.join("\n") + "\n";
}
