/**
 * Architecture pictures computed from an offline plan: Mermaid (for Markdown)
 * and Graphviz DOT (rendered to SVG when `dot` is installed).
 *
 * Both renderers draw the same model: region -> VPC -> component groups, the
 * resources worth seeing (VPCs, endpoints, zones, repositories, clients,
 * peering), and the private pull path: client -> DNS (Route 53 zone or the
 * on-premises forwarder) -> interface endpoint -> ECR, and client -> S3
 * gateway endpoint -> the layer bucket. IAM, routes, security groups and the
 * like are counted, not drawn.
 *
 * Large stacks stay readable and cheap to draw: when a region holds more than
 * `COLLAPSE_REPOSITORIES` repositories they are drawn as one node per
 * namespace ("Repository x100", `team-a/*`), at most `MAX_NAMESPACE_NODES`
 * of them, the smallest namespaces merged into one last node. Building the
 * model is linear in the plan's size; the picture's size is bounded.
 */
import { spawn, spawnSync } from "child_process";
import { isComponentResource, resourceRegion } from "./cost";
import type { Plan, PlanResource } from "./plan";

export type Shape = "box" | "round" | "hex" | "cylinder";

export interface ArchNode {
    key: string;
    lines: string[];
    shape: Shape;
    /** The plan resource drawn, absent for AWS services and on-premises nodes. */
    urn?: string;
    /** The plan resources one collapsed node stands for ("Repository x100"). */
    urns?: string[];
}

export interface ArchGroup {
    key: string;
    kind: "region" | "vpc" | "component";
    label: string;
    groups: ArchGroup[];
    nodes: ArchNode[];
}

export interface ArchEdge {
    from: string;
    to: string;
    label?: string;
    dashed?: boolean;
}

export interface Architecture {
    title: string;
    groups: ArchGroup[];
    /** Nodes outside every region (the on-premises DNS). */
    nodes: ArchNode[];
    edges: ArchEdge[];
    /** Resources in the plan that are not drawn (IAM, routes, security groups, ...). */
    omitted: number;
}

export interface DiagramOptions {
    /** The stack's region (config `aws:region`). */
    region: string;
}

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    zone: "aws:route53/zone:Zone",
    zoneAssociation: "aws:route53/zoneAssociation:ZoneAssociation",
    record: "aws:route53/record:Record",
    resolver: "aws:route53/resolverEndpoint:ResolverEndpoint",
    repository: "aws:ecr/repository:Repository",
    service: "aws:ecs/service:Service",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    instance: "aws:ec2/instance:Instance",
    eice: "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint",
    peering: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    secret: "aws:secretsmanager/secret:Secret",
    bucket: "aws:s3/bucket:Bucket",
    cacheRule: "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
} as const;

/** Repositories in one region above which they are drawn per namespace. */
export const COLLAPSE_REPOSITORIES = 12;
/** Namespace nodes per region at most; the smallest namespaces share the last one. */
export const MAX_NAMESPACE_NODES = 24;

const DRAWN = new Set<string>(
    Object.values(T).filter((t) => t !== T.subnet && t !== T.record && t !== T.zoneAssociation),
);

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const lastSegment = (type: string) => type.split(":").pop() ?? type;
/** A DNS name for comparison: no trailing dot, lower case, Route 53's `\052` read as `*`. */
const stripDot = (s: string) => s.replace(/\.$/, "").replace(/\\052/g, "*").toLowerCase();

/** What an endpoint's service name points at, e.g. `ecr.dkr` for `com.amazonaws.us-east-1.ecr.dkr`. */
function endpointService(e: PlanResource): { short: string; region?: string } {
    const name = str(e.inputs.serviceName) ?? "";
    const m = /^com\.amazonaws\.([a-z0-9-]+)\.(.+)$/.exec(name);
    return m ? { region: m[1], short: m[2] } : { short: name || "unknown" };
}

/** An S3 endpoint carries ECR layers unless its policy names only other buckets. */
function carriesLayers(e: PlanResource): boolean {
    const policy = str(e.inputs.policy);
    return policy === undefined || policy.includes("starport-layer-bucket");
}

/** Builds the model both renderers draw. */
export function buildArchitecture(plan: Plan, options: DiagramOptions): Architecture {
    const res = plan.resources;
    const byUrn = new Map(res.map((r) => [r.urn, r]));
    const byId = new Map<string, PlanResource>();
    for (const r of res)
        for (const k of [r.id, str(r.outputs.id), str(r.outputs.arn)]) if (k) byId.set(k, r);
    const byType = new Map<string, PlanResource[]>();
    for (const r of res) {
        const list = byType.get(r.type);
        if (list) list.push(r);
        else byType.set(r.type, [r]);
    }
    const ofType = (t: string) => byType.get(t) ?? [];

    // -- placement: which VPC and which component a resource belongs to
    const vpcOf = (r: PlanResource): PlanResource | undefined => {
        if (r.type === T.vpc) return r;
        const direct = byId.get(str(r.inputs.vpcId) ?? "");
        if (direct?.type === T.vpc) return direct;
        const subnetRefs = [
            r.inputs.subnetId,
            ...arr(r.inputs.subnetIds),
            ...arr(r.inputs.subnets),
            ...arr(obj(r.inputs.networkConfiguration).subnets),
            ...arr(r.inputs.ipAddresses).map((a) => obj(a).subnetId),
        ];
        for (const ref of subnetRefs) {
            const subnet = byId.get(str(ref) ?? "");
            const vpc = subnet && byId.get(str(subnet.inputs.vpcId) ?? "");
            if (vpc?.type === T.vpc) return vpc;
        }
        return undefined;
    };
    const componentOf = (r: PlanResource): PlanResource | undefined => {
        for (let p = byUrn.get(r.parent ?? ""); p; p = byUrn.get(p.parent ?? "")) {
            if (!p.type.startsWith("pulumi:") && isComponentResource(p, plan.project)) return p;
        }
        return undefined;
    };

    // -- groups
    const regions = new Map<string, ArchGroup>();
    const groupIndex = new Map<string, ArchGroup>();
    const child = (
        parent: ArchGroup | undefined,
        key: string,
        kind: ArchGroup["kind"],
        label: string,
    ) => {
        let g = groupIndex.get(key);
        if (!g) {
            g = { key, kind, label, groups: [], nodes: [] };
            groupIndex.set(key, g);
            if (parent) parent.groups.push(g);
            else regions.set(key, g);
        }
        return g;
    };
    const regionGroup = (region: string) => child(undefined, `region:${region}`, "region", region);
    const nodes = new Map<string, ArchNode>();
    const place = (
        r: PlanResource,
        lines: string[],
        shape: Shape,
        inComponent = true,
    ): ArchNode => {
        const vpc = vpcOf(r);
        const region = resourceRegion(vpc ?? r, options.region);
        let g = regionGroup(region);
        if (vpc) g = child(g, `vpc:${vpc.urn}`, "vpc", `VPC ${vpc.name}`);
        const comp = inComponent ? componentOf(r) : undefined;
        if (comp)
            g = child(
                g,
                `${g.key}|${comp.urn}`,
                "component",
                `${lastSegment(comp.type)} ${comp.name}`,
            );
        const node: ArchNode = { key: r.urn, lines, shape, urn: r.urn };
        g.nodes.push(node);
        nodes.set(node.key, node);
        return node;
    };
    const external = (key: string, region: string, lines: string[], shape: Shape = "round") => {
        if (!nodes.has(key)) {
            const node: ArchNode = { key, lines, shape };
            regionGroup(region).nodes.push(node);
            nodes.set(key, node);
        }
        return key;
    };
    const edges: ArchEdge[] = [];
    const edgeKeys = new Set<string>();
    const edge = (from: string, to: string, label?: string, dashed?: boolean) => {
        const k = `${from}\u0000${to}`;
        if (edgeKeys.has(k)) return;
        edgeKeys.add(k);
        edges.push({ from, to, label, dashed });
    };

    // -- nodes
    for (const vpc of ofType(T.vpc)) {
        const subnets = ofType(T.subnet).filter((s) => byId.get(str(s.inputs.vpcId) ?? "") === vpc);
        const azs = [
            ...new Set(
                subnets.map((s) => str(s.inputs.availabilityZone)).filter((a): a is string => !!a),
            ),
        ];
        const lines = [`VPC ${vpc.name}`];
        if (str(vpc.inputs.cidrBlock)) lines.push(str(vpc.inputs.cidrBlock)!);
        if (azs.length > 0)
            lines.push(
                `${subnets.length} subnet${subnets.length === 1 ? "" : "s"}: ${azs.join(", ")}`,
            );
        place(vpc, lines, "box", false);
    }
    const ecrNode = (region: string) =>
        external(`aws:ecr:${region}`, region, ["Amazon ECR", region]);
    for (const e of ofType(T.endpoint)) {
        const { short, region: svcRegion } = endpointService(e);
        const region = svcRegion ?? resourceRegion(e, options.region);
        const type = str(e.inputs.vpcEndpointType) ?? "Gateway";
        const azs = arr(e.inputs.subnetIds).length;
        place(
            e,
            [
                `${short} endpoint`,
                type === "Interface" ? `Interface, ${azs} AZ${azs === 1 ? "" : "s"}` : type,
            ],
            "box",
        );
        if (short === "s3") {
            if (carriesLayers(e)) {
                const bucket = `prod-${region}-starport-layer-bucket`;
                const node = external(
                    `aws:s3layer:${region}`,
                    region,
                    ["S3 layer bucket", bucket],
                    "cylinder",
                );
                edge(e.urn, node, "layers");
            } else {
                // Scoped to other buckets (the simulated IDC's package repositories).
                edge(
                    e.urn,
                    external(`aws:s3:${region}`, region, ["Amazon S3", region], "cylinder"),
                    "S3",
                );
            }
        } else if (short === "ecr.api" || short === "ecr.dkr") {
            edge(e.urn, ecrNode(region), "PrivateLink");
        } else {
            edge(
                e.urn,
                external(`aws:${short}:${region}`, region, [`AWS ${short}`, region]),
                "PrivateLink",
            );
        }
    }
    const reposByRegion = new Map<string, PlanResource[]>();
    for (const r of ofType(T.repository)) {
        const region = resourceRegion(r, options.region);
        const list = reposByRegion.get(region);
        if (list) list.push(r);
        else reposByRegion.set(region, [r]);
    }
    const collapsed = new Set<string>();
    for (const r of ofType(T.repository)) {
        const region = resourceRegion(r, options.region);
        const repos = reposByRegion.get(region)!;
        if (repos.length <= COLLAPSE_REPOSITORIES) {
            const lines = [`repository ${str(r.inputs.name) ?? r.name}`];
            if (r.inputs.imageTagMutability)
                lines.push(`tags ${String(r.inputs.imageTagMutability).toLowerCase()}`);
            place(r, lines, "cylinder");
            edge(ecrNode(region), r.urn, "stores", true);
            continue;
        }
        // Drawn per namespace, all at the region's first repository.
        if (collapsed.has(region)) continue;
        collapsed.add(region);
        // One group for the repositories' component when they share one ("SharedRepository x4000").
        const comps = new Set(repos.map((x) => componentOf(x)?.type));
        const [only] = comps;
        const g =
            comps.size === 1 && only
                ? child(
                      regionGroup(region),
                      `region:${region}|${only}`,
                      "component",
                      `${lastSegment(only)} x${repos.length}`,
                  )
                : regionGroup(region);
        for (const ns of namespaceNodes(repos)) {
            const key = `repositories:${region}:${ns.key}`;
            const node: ArchNode = { key, lines: ns.lines, shape: "cylinder", urns: ns.urns };
            g.nodes.push(node);
            nodes.set(key, node);
            edge(ecrNode(region), key, "stores", true);
        }
    }

    // Pull-through cache: ECR fills `<prefix>/` from the upstream on a first pull, which needs
    // an internet path (the warm-up); cached images are then served like the repositories.
    const upstreams: ArchNode[] = [];
    for (const r of ofType(T.cacheRule)) {
        const region = resourceRegion(r, options.region);
        const prefix = str(r.inputs.ecrRepositoryPrefix) ?? r.name;
        const url = str(r.inputs.upstreamRegistryUrl) ?? "upstream";
        place(
            r,
            [
                `pull-through cache ${prefix}/`,
                `from ${url}${r.inputs.credentialArn ? " (credential)" : ""}`,
            ],
            "cylinder",
        );
        edge(ecrNode(region), r.urn, "caches", true);
        const key = `upstream:${url}`;
        if (!upstreams.some((n) => n.key === key)) {
            upstreams.push({ key, lines: [`upstream ${url}`, "internet"], shape: "round" });
        }
        edge(r.urn, key, "first pull (warm-up)", true);
    }

    // Zones: record lines in the label; the endpoints they send ECR names to.
    const zones = ofType(T.zone);
    const zoneIdOf = (z: PlanResource) =>
        [z.id, str(z.outputs.id), str(z.outputs.zoneId)].filter(Boolean);
    const endpoints = ofType(T.endpoint);
    const dnsNamesOf = (e: PlanResource) =>
        arr(e.outputs.dnsEntries)
            .map((d) => stripDot(str(obj(d).dnsName) ?? ""))
            .filter((n) => n !== "");
    const zoneTargets = new Map<string, PlanResource[]>();
    for (const z of zones) {
        const name = stripDot(str(z.inputs.name) ?? z.name);
        const records = ofType(T.record).filter((rec) =>
            zoneIdOf(z).includes(str(rec.inputs.zoneId) ?? "-"),
        );
        const lines = [`zone ${name}`, "Route 53 private"];
        for (const rec of records.slice(0, 3)) {
            const alias = arr(rec.inputs.aliases).length > 0;
            lines.push(
                `${str(rec.inputs.name) ?? rec.name} ${alias ? "ALIAS" : (str(rec.inputs.type) ?? "")}`.trim(),
            );
        }
        // Record values first (CNAME targets, alias names), the zone's name when the mock gave no DNS names.
        const values = records.flatMap((rec) => [
            ...arr(rec.inputs.records).map((v) => stripDot(String(v))),
            ...arr(rec.inputs.aliases).map((a) => stripDot(str(obj(a).name) ?? "")),
        ]);
        let targets = endpoints.filter((e) => dnsNamesOf(e).some((n) => values.includes(n)));
        if (targets.length === 0) {
            const m = /(?:^|\.)(dkr\.)?ecr\.([a-z0-9-]+)\.amazonaws\.com$/.exec(name);
            if (m) {
                const want = `com.amazonaws.${m[2]}.${m[1] ? "ecr.dkr" : "ecr.api"}`;
                targets = endpoints.filter((e) => e.inputs.serviceName === want);
            }
        }
        zoneTargets.set(z.urn, targets);
        place(z, lines, "hex");
        // A self-hosted registry's name: an alias to its load balancer.
        for (const lb of ofType(T.lb).filter((l) =>
            values.includes(stripDot(str(l.outputs.dnsName) ?? "-")),
        ))
            edge(z.urn, lb.urn, "alias");
        for (const t of targets)
            edge(
                z.urn,
                t.urn,
                records.some((r) => arr(r.inputs.aliases).length) ? "alias" : "CNAME",
            );
    }
    const zoneVpcIds = (z: PlanResource) => [
        ...arr(z.inputs.vpcs).map((v) => str(obj(v).vpcId)),
        ...ofType(T.zoneAssociation)
            .filter((a) => zoneIdOf(z).includes(str(a.inputs.zoneId) ?? "-"))
            .map((a) => str(a.inputs.vpcId)),
    ];
    const zonesFor = (vpc: PlanResource | undefined) =>
        vpc ? zones.filter((z) => zoneVpcIds(z).some((id) => id && byId.get(id) === vpc)) : [];

    // Clients: ECS services and EC2 hosts pull images.
    const clients = [...ofType(T.service), ...ofType(T.instance)];
    for (const c of clients) {
        const lines =
            c.type === T.service
                ? [
                      `ECS service ${c.name}`,
                      `${String(c.inputs.desiredCount ?? 1)} x ${String(c.inputs.launchType ?? "FARGATE").toLowerCase()} task`,
                  ]
                : [`EC2 ${c.name}`, str(c.inputs.instanceType) ?? "instance"];
        place(c, lines, "box");
        const vpc = vpcOf(c);
        const myZones = zonesFor(vpc);
        for (const z of myZones) edge(c.urn, z.urn, "DNS");
        const local = endpoints.filter((e) => vpc && vpcOf(e) === vpc);
        const viaZones = new Set(myZones.flatMap((z) => zoneTargets.get(z.urn) ?? []));
        const reached = new Set([...local, ...viaZones]);
        for (const e of reached) {
            const short = endpointService(e).short;
            if (short.startsWith("ecr.")) edge(c.urn, e.urn, "HTTPS 443");
            // An S3 interface endpoint (private DNS off) serves only clients whose
            // zones send a bucket's host name to it; a gateway, its whole VPC.
            if (short === "s3" && (e.inputs.vpcEndpointType !== "Interface" || viaZones.has(e)))
                edge(c.urn, e.urn, carriesLayers(e) ? "layers" : "S3");
        }
    }
    for (const lb of ofType(T.lb)) {
        const nlb = lb.inputs.loadBalancerType === "network";
        place(
            lb,
            [
                `${nlb ? "NLB" : "ALB"} ${lb.name}`,
                lb.inputs.internal ? "internal" : "internet-facing",
            ],
            "box",
        );
        for (const s of ofType(T.service).filter(
            (s) => vpcOf(s) === vpcOf(lb) && componentOf(s) === componentOf(lb),
        ))
            edge(lb.urn, s.urn, nlb ? "TLS 443" : "HTTP");
    }
    // Buckets a gateway endpoint's policy opens (a self-hosted registry's storage).
    for (const b of ofType(T.bucket)) {
        const name = str(b.inputs.bucket) ?? b.name;
        place(b, [`S3 bucket ${name}`], "cylinder");
        for (const e of endpoints.filter(
            (e) =>
                e.inputs.vpcEndpointType === "Gateway" &&
                (str(e.inputs.policy) ?? "").includes(`:::${name}`),
        ))
            edge(e.urn, b.urn, "storage");
    }
    for (const eice of ofType(T.eice)) {
        place(eice, ["EC2 Instance Connect", "Endpoint"], "box");
        for (const i of ofType(T.instance).filter((i) => vpcOf(i) === vpcOf(eice)))
            edge(eice.urn, i.urn, "SSH", true);
    }
    for (const s of ofType(T.secret)) place(s, [`secret ${s.name}`], "box");

    // On-premises DNS forwards ECR names to a Resolver inbound endpoint.
    const outside: ArchNode[] = [];
    for (const r of ofType(T.resolver)) {
        const direction = str(r.inputs.direction) ?? "INBOUND";
        place(
            r,
            [
                `Resolver ${direction.toLowerCase()} endpoint`,
                `${Math.max(2, arr(r.inputs.ipAddresses).length)} ENIs`,
            ],
            "box",
        );
        if (direction === "INBOUND") {
            if (outside.length === 0)
                outside.push({
                    key: "onprem:dns",
                    lines: ["on-premises DNS", "conditional forwarder"],
                    shape: "round",
                });
            edge("onprem:dns", r.urn, "forward");
        }
        // It answers with its VPC's resolver: the zones associated there, else endpoint private DNS.
        const vpc = vpcOf(r);
        const vpcZones = zonesFor(vpc);
        for (const z of vpcZones) edge(r.urn, z.urn, "resolve");
        if (vpcZones.length === 0) {
            for (const e of endpoints.filter(
                (e) => vpcOf(e) === vpc && endpointService(e).short.startsWith("ecr."),
            )) {
                edge(r.urn, e.urn, "private DNS");
            }
        }
    }

    // Peering: requester VPC -> connection -> accepter VPC, across regions.
    for (const p of ofType(T.peering)) {
        const region = resourceRegion(p, options.region);
        const peerRegion = str(p.inputs.peerRegion) ?? region;
        place(
            p,
            ["VPC peering", peerRegion === region ? region : `${region} to ${peerRegion}`],
            "round",
        );
        const from = byId.get(str(p.inputs.vpcId) ?? "");
        const to = byId.get(str(p.inputs.peerVpcId) ?? "");
        if (from && nodes.has(from.urn)) edge(from.urn, p.urn, "requester");
        if (to && nodes.has(to.urn))
            edge(p.urn, to.urn, peerRegion === region ? "accepter" : "inter-region");
    }

    const drawnCount = res.filter((r) => DRAWN.has(r.type)).length;
    const componentCount = res.filter((r) => isComponentResource(r, plan.project)).length;
    // Stack region first, then the others in name order.
    const groups = [...regions.values()].sort((a, b) =>
        a.label === options.region
            ? -1
            : b.label === options.region
              ? 1
              : a.label.localeCompare(b.label),
    );
    return {
        title: `${plan.project} / ${plan.stack}`,
        groups,
        nodes: [...outside, ...upstreams],
        edges,
        omitted: res.length - drawnCount - componentCount,
    };
}

/** A repository's namespace: the name up to its first `/`, "" for a top-level name. */
function namespaceOf(r: PlanResource): string {
    const name = str(r.inputs.name) ?? r.name;
    const i = name.indexOf("/");
    return i > 0 ? name.slice(0, i) : "";
}

/**
 * Collapsed repository nodes: one per namespace, largest first (then by name),
 * at most MAX_NAMESPACE_NODES, the rest merged into the last node.
 */
function namespaceNodes(repos: PlanResource[]): { key: string; lines: string[]; urns: string[] }[] {
    const byNs = new Map<string, PlanResource[]>();
    for (const r of repos) {
        const ns = namespaceOf(r);
        const list = byNs.get(ns);
        if (list) list.push(r);
        else byNs.set(ns, [r]);
    }
    const sorted = [...byNs.entries()].sort(
        (a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0], "en", { numeric: true }),
    );
    const shown =
        sorted.length > MAX_NAMESPACE_NODES ? sorted.slice(0, MAX_NAMESPACE_NODES - 1) : sorted;
    const rest = sorted.slice(shown.length);
    const tags = (list: PlanResource[]) => {
        const kinds = new Set(list.map((r) => str(r.inputs.imageTagMutability)?.toLowerCase()));
        const [only] = kinds;
        return kinds.size === 1 && only ? [`tags ${only}`] : [];
    };
    const out = shown.map(([ns, list]) => ({
        key: `ns:${ns}`,
        lines: [`Repository x${list.length}`, ns ? `${ns}/*` : "no namespace", ...tags(list)],
        urns: list.map((r) => r.urn),
    }));
    if (rest.length > 0) {
        const list = rest.flatMap(([, l]) => l);
        out.push({
            key: "ns:*others*",
            lines: [`Repository x${list.length}`, `${rest.length} more namespaces`, ...tags(list)],
            urns: list.map((r) => r.urn),
        });
    }
    return out;
}

// -------------------------------------------------------------------- Mermaid

/** Makes ids Mermaid accepts: a letter, then letters, digits, underscores; never a keyword. */
export function mermaidId(prefix: "n" | "g", index: number, hint: string): string {
    const slug = hint
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "_")
        .replace(/^_+|_+$/g, "")
        .slice(0, 24);
    return `${prefix}${index}${slug ? `_${slug}` : ""}`;
}

/** Mermaid label text: entity codes for the characters that end or confuse a label. */
function mermaidText(s: string): string {
    return s
        .replace(/#/g, "#35;")
        .replace(/"/g, "#quot;")
        .replace(/</g, "#lt;")
        .replace(/>/g, "#gt;");
}

const MERMAID_SHAPES: Record<Shape, [string, string]> = {
    box: ["[", "]"],
    round: ["([", "])"],
    hex: ["{{", "}}"],
    cylinder: ["[(", ")]"],
};

function idAssigner() {
    const ids = new Map<string, string>();
    let n = 0;
    return (prefix: "n" | "g", key: string, hint: string) => {
        let id = ids.get(key);
        if (!id) {
            id = mermaidId(prefix, ++n, hint);
            ids.set(key, id);
        }
        return id;
    };
}

const hintOf = (node: ArchNode) => node.lines[0];

/** Mermaid `flowchart` text: region -> VPC -> component subgraphs, the pull path as edges. */
export function renderMermaid(
    plan: Plan,
    options: DiagramOptions,
    arch: Architecture = buildArchitecture(plan, options),
): string {
    const id = idAssigner();
    const out = ["flowchart LR"];
    const nodeLine = (node: ArchNode, indent: string) => {
        const [open, close] = MERMAID_SHAPES[node.shape];
        const label = node.lines.map(mermaidText).join("<br/>");
        out.push(`${indent}${id("n", node.key, hintOf(node))}${open}"${label}"${close}`);
    };
    const walk = (g: ArchGroup, indent: string) => {
        out.push(`${indent}subgraph ${id("g", g.key, g.label)}["${mermaidText(g.label)}"]`);
        for (const n of g.nodes) nodeLine(n, indent + "    ");
        for (const c of g.groups) walk(c, indent + "    ");
        out.push(`${indent}end`);
    };
    for (const n of arch.nodes) nodeLine(n, "    ");
    for (const g of arch.groups) walk(g, "    ");
    for (const e of arch.edges) {
        const arrow = e.dashed ? "-.->" : "-->";
        const label = e.label ? `|"${mermaidText(e.label)}"|` : "";
        out.push(`    ${id("n", e.from, "")} ${arrow}${label} ${id("n", e.to, "")}`);
    }
    return out.join("\n") + "\n";
}

// ------------------------------------------------------------------------ DOT

const dotText = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
const DOT_SHAPES: Record<Shape, string> = {
    box: "box",
    round: "ellipse",
    hex: "hexagon",
    cylinder: "cylinder",
};
const GROUP_STYLE: Record<ArchGroup["kind"], string> = {
    region: 'style="rounded,bold"; color="#444444"',
    vpc: 'style="rounded,filled"; fillcolor="#f4f8ff"; color="#5b7db1"',
    component: 'style="rounded,dashed"; color="#888888"',
};

/** Graphviz DOT text of the same picture. */
export function renderDot(
    plan: Plan,
    options: DiagramOptions,
    arch: Architecture = buildArchitecture(plan, options),
): string {
    const id = idAssigner();
    const out = [
        "digraph architecture {",
        "    rankdir=LR;",
        `    label="${dotText(arch.title)}"; labelloc=t; fontname="Helvetica";`,
        '    node [fontname="Helvetica", fontsize=10, style=filled, fillcolor=white];',
        '    edge [fontname="Helvetica", fontsize=9];',
    ];
    const nodeLine = (n: ArchNode, indent: string) =>
        out.push(
            `${indent}"${id("n", n.key, hintOf(n))}" [label="${n.lines.map(dotText).join("\\n")}", shape=${DOT_SHAPES[n.shape]}];`,
        );
    const walk = (g: ArchGroup, indent: string) => {
        out.push(`${indent}subgraph "cluster_${id("g", g.key, g.label)}" {`);
        out.push(`${indent}    label="${dotText(g.label)}"; ${GROUP_STYLE[g.kind]};`);
        for (const n of g.nodes) nodeLine(n, indent + "    ");
        for (const c of g.groups) walk(c, indent + "    ");
        out.push(`${indent}}`);
    };
    for (const n of arch.nodes) nodeLine(n, "    ");
    for (const g of arch.groups) walk(g, "    ");
    for (const e of arch.edges) {
        const attrs = [
            e.label ? `label="${dotText(e.label)}"` : "",
            e.dashed ? "style=dashed" : "",
        ].filter(Boolean);
        out.push(
            `    "${id("n", e.from, "")}" -> "${id("n", e.to, "")}"${attrs.length ? ` [${attrs.join(", ")}]` : ""};`,
        );
    }
    out.push("}");
    return out.join("\n") + "\n";
}

/**
 * Renders DOT to SVG with Graphviz. Returns undefined when `dot` is not
 * installed; throws with Graphviz's message when it rejects the input.
 */
export function renderSvg(dot: string): string | undefined {
    const result = spawnSync("dot", ["-Tsvg"], {
        input: dot,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) {
        if ((result.error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw result.error;
    }
    if (result.status !== 0) throw new Error(`dot -Tsvg failed: ${result.stderr.trim()}`);
    return result.stdout;
}

/** {@link renderSvg} without blocking: Graphviz draws in its own process meanwhile. */
export function renderSvgAsync(dot: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
        const child = spawn("dot", ["-Tsvg"], { stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", (e: NodeJS.ErrnoException) =>
            e.code === "ENOENT" ? resolve(undefined) : reject(e),
        );
        child.on("close", (code) => {
            if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
            else if (code !== null)
                reject(
                    new Error(`dot -Tsvg failed: ${Buffer.concat(err).toString("utf8").trim()}`),
                );
        });
        child.stdin.on("error", () => undefined); // dot may exit before reading it all
        child.stdin.end(dot);
    });
}

/** A Markdown file with the Mermaid picture and how to read it. */
export function architectureMarkdown(
    plan: Plan,
    options: DiagramOptions,
    arch: Architecture = buildArchitecture(plan, options),
): string {
    return [
        `# Architecture: ${arch.title}`,
        "",
        `Generated from the offline plan (stack region ${options.region}). Boxes are grouped by region, VPC and component.`,
        "Follow the edges for the private pull path: client -> DNS (Route 53 private zone, or on-premises DNS",
        "through a Resolver inbound endpoint) -> interface endpoint -> Amazon ECR, and client -> S3 gateway",
        "endpoint -> the ECR layer bucket. Dashed edges are not traffic (storage, administration).",
        "",
        "```mermaid",
        renderMermaid(plan, options, arch).trimEnd(),
        "```",
        "",
        `${arch.omitted} further resources (IAM, routes, security groups, policies, ...) are in plan.json but not drawn.`,
        "",
    ].join("\n");
}
