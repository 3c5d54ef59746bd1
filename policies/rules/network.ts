// VPC endpoints and security groups: the registry is reachable on 443 from inside only.
import type {
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    TYPES,
    Statement,
    StackResources,
    asStrings,
    conditionKeys,
    configOf,
    containsUnknown,
    coversResource,
    forType,
    grantedActions,
    indexStack,
    isUnknown,
    isWorldCidr,
    ofType,
    parseDocument,
    plain,
    resolveRef,
    resolveRefList,
} from "./util";

/** One ingress permission, whichever resource shape declared it. */
export interface Ingress {
    /** The resource that declared it (the security group itself for inline rules). */
    owner: PolicyResource;
    /** Where the rule sits, for messages: `"sg" ingress[0]` or `"rule-name"`. */
    where: string;
    /** The security group it belongs to, when known. */
    group: PolicyResource | "unknown" | "external";
    protocol: unknown;
    fromPort: unknown;
    toPort: unknown;
    /** Known CIDR sources (IPv4 and IPv6). */
    cidrs: string[];
    /** True when some source is unknown during preview. */
    cidrsUnknown: boolean;
}

function groupOf(resources: StackResources, rule: PolicyResource): Ingress["group"] {
    const ref = resolveRef(resources, rule, "securityGroupId", TYPES.securityGroup);
    return ref.kind === "resolved" ? ref.targets[0] : ref.kind;
}

/** Every ingress permission in the stack: inline `ingress`, SecurityGroupRule and SecurityGroupIngressRule. */
export function collectIngress(stackResources: StackResources): Ingress[] {
    const resources = indexStack(stackResources);
    const out: Ingress[] = [];
    for (const sg of ofType(resources, TYPES.securityGroup)) {
        const ingress = plain(sg.props)["ingress"];
        if (!Array.isArray(ingress)) continue;
        ingress.forEach((r, i) => {
            if (!r || typeof r !== "object") return;
            const cidrs = [...asList(r["cidrBlocks"]), ...asList(r["ipv6CidrBlocks"])];
            out.push({
                owner: sg,
                where: `"${sg.name}" ingress[${i}]`,
                group: sg,
                protocol: r["protocol"],
                fromPort: r["fromPort"],
                toPort: r["toPort"],
                cidrs: cidrs.filter((c): c is string => typeof c === "string" && !isUnknown(c)),
                cidrsUnknown:
                    containsUnknown(r["cidrBlocks"]) || containsUnknown(r["ipv6CidrBlocks"]),
            });
        });
    }
    for (const rule of ofType(resources, TYPES.securityGroupRule)) {
        const p = plain(rule.props);
        if (p["type"] !== "ingress") continue;
        const cidrs = [...asList(p["cidrBlocks"]), ...asList(p["ipv6CidrBlocks"])];
        out.push({
            owner: rule,
            where: `"${rule.name}"`,
            group: groupOf(resources, rule),
            protocol: p["protocol"],
            fromPort: p["fromPort"],
            toPort: p["toPort"],
            cidrs: cidrs.filter((c): c is string => typeof c === "string" && !isUnknown(c)),
            cidrsUnknown: containsUnknown(p["cidrBlocks"]) || containsUnknown(p["ipv6CidrBlocks"]),
        });
    }
    for (const rule of ofType(resources, TYPES.ingressRule)) {
        const p = plain(rule.props);
        const cidrs = [p["cidrIpv4"], p["cidrIpv6"]];
        out.push({
            owner: rule,
            where: `"${rule.name}"`,
            group: groupOf(resources, rule),
            protocol: p["ipProtocol"],
            fromPort: p["fromPort"],
            toPort: p["toPort"],
            cidrs: cidrs.filter((c): c is string => typeof c === "string" && !isUnknown(c)),
            cidrsUnknown: cidrs.some((c) => c !== undefined && isUnknown(c)),
        });
    }
    return out;
}

function asList(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

/** "tcp" for TCP in any spelling, the lower-cased protocol otherwise. */
function protocolName(p: unknown): string {
    const s = String(p).toLowerCase();
    return s === "6" ? "tcp" : s;
}

const isInterfaceEndpoint = (r: PolicyResource) =>
    plain(r.props)["vpcEndpointType"] === "Interface";

export const endpointSgIngressHttpsOnly: StackValidationPolicy = {
    name: "endpoint-sg-ingress-https-only",
    description:
        "Security groups attached to interface VPC endpoints may allow ingress only on TCP 443 and never from 0.0.0.0/0 or ::/0 (Checkov CKV_AWS_260, CKV_AWS_277).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const stack = indexStack(args.resources);
        const groups = new Set<PolicyResource>();
        for (const ep of ofType(stack, TYPES.vpcEndpoint).filter(isInterfaceEndpoint)) {
            resolveRefList(stack, ep, "securityGroupIds", TYPES.securityGroup).targets.forEach(
                (g) => groups.add(g),
            );
        }
        for (const ing of collectIngress(stack)) {
            if (typeof ing.group === "string" || !groups.has(ing.group)) continue;
            const sg = `endpoint security group "${ing.group.name}"`;
            const proto = ing.protocol;
            if (!isUnknown(proto) && protocolName(proto) !== "tcp") {
                reportViolation(
                    `Ingress rule ${ing.where} on ${sg} allows protocol "${String(proto)}"; interface endpoints need TCP 443 only.`,
                    ing.owner.urn,
                );
            } else if (
                !isUnknown(ing.fromPort) &&
                !isUnknown(ing.toPort) &&
                (ing.fromPort !== 443 || ing.toPort !== 443)
            ) {
                reportViolation(
                    `Ingress rule ${ing.where} on ${sg} opens ports ${String(ing.fromPort)}-${String(ing.toPort)}; interface endpoints need TCP 443 only.`,
                    ing.owner.urn,
                );
            }
            const world = ing.cidrs.filter(isWorldCidr);
            if (world.length > 0) {
                reportViolation(
                    `Ingress rule ${ing.where} on ${sg} is open to ${world.join(", ")}; allow the VPC and on-premises CIDRs only (CKV_AWS_260, CKV_AWS_277).`,
                    ing.owner.urn,
                );
            }
        }
    },
};

export interface WorldIngressConfig {
    /** TCP ports a load balancer's security group may open to the world. */
    loadBalancerPorts: number[];
}
export const worldIngressDefaults: WorldIngressConfig = { loadBalancerPorts: [80, 443] };

export const noWorldIngressExceptLb: StackValidationPolicy = {
    name: "no-world-ingress-except-lb",
    description:
        "Security group ingress from 0.0.0.0/0 or ::/0 is allowed only on a load balancer's security group, on TCP 80 or 443 (Checkov CKV_AWS_260, CKV_AWS_277).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            loadBalancerPorts: {
                type: "array",
                items: { type: "integer" },
                default: [80, 443],
                description: "TCP ports a load balancer's security group may open to the world.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const cfg = configOf(args, worldIngressDefaults);
        const stack = indexStack(args.resources);
        const lbGroups = new Set<PolicyResource>();
        let lbGroupsUnknown = false;
        for (const lb of ofType(stack, TYPES.loadBalancer)) {
            const r = resolveRefList(stack, lb, "securityGroups", TYPES.securityGroup);
            r.targets.forEach((g) => lbGroups.add(g));
            lbGroupsUnknown ||= r.unknown;
        }
        for (const ing of collectIngress(stack)) {
            const world = ing.cidrs.filter(isWorldCidr);
            if (world.length === 0) continue;
            if (isUnknown(ing.protocol)) continue;
            const proto = protocolName(ing.protocol);
            const allTraffic = proto === "-1" || proto === "all";
            if (!allTraffic && (isUnknown(ing.fromPort) || isUnknown(ing.toPort))) continue;
            const lbShaped =
                proto === "tcp" &&
                ing.fromPort === ing.toPort &&
                cfg.loadBalancerPorts.includes(Number(ing.fromPort));
            if (lbShaped) {
                if (typeof ing.group !== "string" && lbGroups.has(ing.group)) continue;
                // While the group or the load balancers' groups are unknown it may still be a load balancer's.
                if (ing.group === "unknown" || lbGroupsUnknown) continue;
                reportViolation(
                    `Ingress rule ${ing.where} opens TCP ${String(ing.fromPort)} to ${world.join(", ")} on a security group that no load balancer uses (CKV_AWS_260, CKV_AWS_277).`,
                    ing.owner.urn,
                );
                continue;
            }
            const ports = allTraffic
                ? "all traffic"
                : `${proto.toUpperCase()} ${String(ing.fromPort)}-${String(ing.toPort)}`;
            reportViolation(
                `Ingress rule ${ing.where} opens ${ports} to ${world.join(", ")}; only a load balancer's security group may accept the world, on TCP ${cfg.loadBalancerPorts.join(" or ")} (CKV_AWS_260, CKV_AWS_277).`,
                ing.owner.urn,
            );
        }
    },
};

/** `com.amazonaws.<region>.s3` (or the China partition's `cn.com.amazonaws.<region>.s3`): the region. */
function s3ServiceRegion(serviceName: string): string | undefined {
    return /^(?:cn\.)?com\.amazonaws\.([a-z0-9-]+)\.s3$/.exec(serviceName)?.[1];
}

/** Condition keys that break layer downloads: the pre-signed layer requests are not the caller's. */
const PRINCIPAL_KEYS = [
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:principalorgpaths",
];

const allowsEveryone = (st: Statement) => {
    if (st.NotPrincipal !== undefined) return false;
    const p = st.Principal;
    if (p === undefined || p === "*") return true;
    if (p && typeof p === "object" && !Array.isArray(p)) {
        const aws = asStrings((p as Record<string, unknown>)["AWS"]);
        return aws.includes("*");
    }
    return false;
};

/** Keys naming the VPC an endpoint sits in: the known vpcId and the Vpc resource it came from. */
function vpcKeys(ep: PolicyResource): string[] {
    const keys = ((ep.propertyDependencies ?? {})["vpcId"] ?? []).map((d) => `urn:${d.urn}`);
    const v = plain(ep.props)["vpcId"];
    if (typeof v === "string" && !isUnknown(v)) keys.push(`id:${v}`);
    return keys;
}

/** Problems with an S3 gateway endpoint policy for ECR layer downloads in `region`. */
export function layerBucketProblems(doc: unknown, region: string): string[] {
    const parsed = parseDocument(doc);
    if (!parsed.ok) return []; // vpc-endpoint-policy-has-allow reports an unreadable document.
    const bucket = `arn:aws:s3:::prod-${region}-starport-layer-bucket`;
    const sample = `${bucket}/sha256/0000`;
    const getsLayers = (st: Statement) =>
        grantedActions(st, ["s3:GetObject"]).length > 0 && coversResource(st, sample);
    const problems: string[] = [];
    const allowed = parsed.statements.some(
        (st) =>
            st.Effect === "Allow" &&
            getsLayers(st) &&
            allowsEveryone(st) &&
            !conditionKeys(st).some((k) => PRINCIPAL_KEYS.includes(k)),
    );
    if (!allowed) {
        problems.push(
            `S3 gateway endpoint policy must allow s3:GetObject on ${bucket}/* to every principal without aws:PrincipalAccount/aws:PrincipalOrgID conditions; ECR image layers are downloaded from that bucket.`,
        );
    }
    if (parsed.statements.some((st) => st.Effect === "Deny" && getsLayers(st) && !st.Condition)) {
        problems.push(
            `S3 gateway endpoint policy denies s3:GetObject on ${bucket}/*, which blocks ECR image layer downloads.`,
        );
    }
    return problems;
}

export const s3GatewayEndpointAllowsEcrLayers: StackValidationPolicy = {
    name: "s3-gateway-endpoint-allows-ecr-layers",
    description:
        "An S3 gateway endpoint in a VPC that has an ecr.dkr interface endpoint must allow s3:GetObject on arn:aws:s3:::prod-<region>-starport-layer-bucket/* to every principal, without principal-account conditions, or ECR image layer downloads fail.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const endpoints = ofType(args.resources, TYPES.vpcEndpoint);
        // VPCs that pull from ECR: those with an ecr.dkr interface endpoint.
        const ecrVpcs = new Set<string>();
        for (const ep of endpoints) {
            const p = plain(ep.props);
            const service = p["serviceName"];
            if (p["vpcEndpointType"] !== "Interface" || typeof service !== "string") continue;
            if (!/\.ecr\.dkr$/.test(service)) continue;
            vpcKeys(ep).forEach((k) => ecrVpcs.add(k));
        }
        for (const ep of endpoints) {
            const p = plain(ep.props);
            const type = p["vpcEndpointType"];
            const service = p["serviceName"];
            if (type !== undefined && isUnknown(type)) continue;
            if (typeof service !== "string" || isUnknown(service)) continue;
            if ((type ?? "Gateway") !== "Gateway") continue;
            const region = s3ServiceRegion(service);
            if (!region) continue;
            if (!vpcKeys(ep).some((k) => ecrVpcs.has(k))) continue;
            const doc = p["policy"];
            if (doc === undefined || doc === "" || isUnknown(doc) || containsUnknown(doc)) continue;
            for (const problem of layerBucketProblems(doc, region))
                reportViolation(problem, ep.urn);
        }
    },
};

export const vpcEndpointPolicyHasAllow: ResourceValidationPolicy = {
    name: "vpc-endpoint-policy-has-allow",
    description:
        "A VPC endpoint policy (interface or gateway) must be valid JSON with at least one Allow statement; without one every request through the endpoint, and so every image pull, is denied.",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.vpcEndpoint, (props, _args, report) => {
        const doc = props["policy"];
        if (doc === undefined || doc === "" || isUnknown(doc) || containsUnknown(doc)) return;
        const parsed = parseDocument(doc);
        if (!parsed.ok) {
            report("VPC endpoint policy is not a valid JSON policy document.");
            return;
        }
        if (!parsed.statements.some((st) => st.Effect === "Allow")) {
            report(
                "VPC endpoint policy has no Allow statement, so it denies every request through the endpoint.",
            );
        }
    }),
};

export const networkPolicies = [
    endpointSgIngressHttpsOnly,
    noWorldIngressExceptLb,
    s3GatewayEndpointAllowsEcrLayers,
    vpcEndpointPolicyHasAllow,
];
