// Private DNS for ECR: records that send ECR names to the interface endpoints, and zones that must
// not swallow other AWS service names (a matching private zone answers NXDOMAIN for every name it
// has no record for; Route 53 does not fall back to public DNS).
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    TYPES,
    StackResources,
    answersForEcr,
    allowListCovers,
    configOf,
    isBareEcrName,
    isEcrServiceName,
    indexStack,
    isEndpointDnsName,
    isInAwsNamespace,
    isKnown,
    isUnknown,
    normalizeName,
    ofType,
    plain,
    recordFqdn,
    resolveRef,
} from "./util";

const zoneKeys = (z: PolicyResource): string[] => {
    const p = plain(z.props);
    return ["zoneId", "id"]
        .map((k) => p[k])
        .filter((v): v is string => typeof v === "string" && isKnown(v));
};

/** The zone a record belongs to: its (normalized) name, "external" (not in this stack) or unknown. */
function zoneNameOf(
    resources: StackResources,
    record: PolicyResource,
): string | "external" | undefined {
    const ref = resolveRef(resources, record, "zoneId", TYPES.zone, zoneKeys);
    if (ref.kind === "external") return "external";
    if (ref.kind === "unknown") return undefined;
    const name = plain(ref.targets[0].props)["name"];
    return typeof name === "string" && isKnown(name) ? normalizeName(name) : undefined;
}

/**
 * A record's fully qualified name, or undefined while it cannot be known (preview). A record in a
 * zone outside this stack is taken at its written name: without the zone a relative name cannot
 * be qualified, so such records are judged only when written absolute.
 */
export function fqdnOfRecord(
    resources: StackResources,
    record: PolicyResource,
): string | undefined {
    const p = plain(record.props);
    const name = p["name"];
    if (typeof name !== "string" || isUnknown(name)) return undefined;
    const zone = zoneNameOf(resources, record);
    if (zone === undefined) {
        const fqdn = p["fqdn"];
        return typeof fqdn === "string" && isKnown(fqdn) && fqdn !== ""
            ? normalizeName(fqdn)
            : undefined;
    }
    if (zone === "external") {
        const fqdn = p["fqdn"];
        return normalizeName(
            typeof fqdn === "string" && isKnown(fqdn) && fqdn !== "" ? fqdn : name,
        );
    }
    return recordFqdn(name, zone);
}

export const ecrDnsCnameNotA: StackValidationPolicy = {
    name: "ecr-dns-cname-not-a",
    description:
        "Route 53 records for names under api.ecr.<region>.amazonaws.com or dkr.ecr.<region>.amazonaws.com (relative or absolute, wildcards included) must be CNAMEs or alias records to an interface endpoint DNS name (*.vpce.amazonaws.com), never A/AAAA records with literal IPs, which break when the endpoint is replaced.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const stack = indexStack(args.resources);
        for (const record of ofType(stack, TYPES.record)) {
            const p = plain(record.props);
            const type = p["type"];
            if (typeof type !== "string" || isUnknown(type)) continue;
            const fqdn = fqdnOfRecord(stack, record);
            if (fqdn === undefined || !answersForEcr(fqdn)) continue;
            const t = type.toUpperCase();
            const aliases = p["aliases"];
            if (isUnknown(aliases) && aliases !== undefined) continue;
            if (Array.isArray(aliases) && aliases.length > 0) {
                for (const alias of aliases) {
                    const target = alias && typeof alias === "object" ? alias["name"] : undefined;
                    if (typeof target !== "string" || isUnknown(target)) continue;
                    if (!isEndpointDnsName(target)) {
                        reportViolation(
                            `Route 53 record "${fqdn}" (${t}) aliases "${target}", which is not an interface endpoint DNS name (*.vpce.amazonaws.com).`,
                            record.urn,
                        );
                    }
                }
                continue;
            }
            if (t === "A" || t === "AAAA") {
                reportViolation(
                    `Route 53 record "${fqdn}" is an ${t} record with literal addresses; use a CNAME or an alias to the interface endpoint's DNS name (*.vpce.amazonaws.com), because endpoint IPs change when the endpoint or its subnets are replaced.`,
                    record.urn,
                );
            }
        }
    },
};

export interface NoApexOverridesConfig {
    /**
     * Zone names allowed in addition to ECR's service names; an entry allows the name and its
     * subdomains, and `{region}` stands for any region (the same one throughout an entry).
     */
    allowedZoneNames: string[];
    /** Zone names whose apex may carry records even though the apex is an AWS name (not api.ecr/dkr.ecr). */
    allowedApexNames: string[];
}

/**
 * ECR's layer bucket host, where `docker pull` downloads layers. A private zone of exactly this
 * name, with an apex alias to an S3 interface endpoint, captures no other name (every other bucket
 * and S3 itself are outside it): that is how peered and on-premises networks pull privately.
 */
export const LAYER_BUCKET_HOSTS = [
    "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com",
    "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com.cn",
];

export const noApexOverridesDefaults: NoApexOverridesConfig = {
    allowedZoneNames: [
        "ecr.{region}.amazonaws.com",
        "ecr.{region}.amazonaws.com.cn",
        ...LAYER_BUCKET_HOSTS,
    ],
    allowedApexNames: [...LAYER_BUCKET_HOSTS],
};

/** Zones that are private: inline `vpcs`, or associated through a ZoneAssociation. Undefined if unknown. */
function privateZones(stackResources: StackResources): Map<PolicyResource, boolean | undefined> {
    const resources = indexStack(stackResources);
    const associated = new Set<PolicyResource>();
    for (const a of ofType(resources, TYPES.zoneAssociation)) {
        const ref = resolveRef(resources, a, "zoneId", TYPES.zone, zoneKeys);
        if (ref.kind === "resolved") ref.targets.forEach((t) => associated.add(t));
    }
    const out = new Map<PolicyResource, boolean | undefined>();
    for (const z of ofType(resources, TYPES.zone)) {
        const vpcs = plain(z.props)["vpcs"];
        if (associated.has(z) || (Array.isArray(vpcs) && vpcs.length > 0)) out.set(z, true);
        else if (vpcs !== undefined && isUnknown(vpcs)) out.set(z, undefined);
        else out.set(z, false);
    }
    return out;
}

export const noApexOverrides: StackValidationPolicy = {
    name: "no-apex-overrides",
    description:
        "No private hosted zone may be named amazonaws.com, <region>.amazonaws.com, com or any other name that captures AWS service names beyond ECR's (allow-list: allowedZoneNames; by default also ECR's layer bucket host exactly), and no record may override a zone apex that is an AWS name other than an ECR service name (or an allowedApexNames entry), or put a CNAME at any apex.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedZoneNames: {
                type: "array",
                items: { type: "string" },
                default: noApexOverridesDefaults.allowedZoneNames,
                description:
                    "Zone names allowed besides api.ecr/dkr.ecr.<region>.amazonaws.com; each entry also allows its subdomains; {region} matches any region (the same one throughout an entry). Default: the seed layout's ecr.<region> zone and ECR's layer bucket host.",
            },
            allowedApexNames: {
                type: "array",
                items: { type: "string" },
                default: noApexOverridesDefaults.allowedApexNames,
                description:
                    "AWS-namespace zone names whose apex may carry records ({region} matches any region, the same one throughout an entry). Default: ECR's layer bucket host prod-<region>-starport-layer-bucket.s3.<region>.amazonaws.com.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const cfg = configOf(args, noApexOverridesDefaults);
        const stack = indexStack(args.resources);
        const privacy = privateZones(stack);
        for (const [zone, isPrivate] of privacy) {
            const name = plain(zone.props)["name"];
            if (isPrivate !== true || typeof name !== "string" || isUnknown(name)) continue;
            const z = normalizeName(name);
            if (isEcrServiceName(z) || !isInAwsNamespace(z)) continue;
            if (cfg.allowedZoneNames.some((e) => allowListCovers(e, z))) continue;
            reportViolation(
                `Private hosted zone "${z}" captures AWS service names beyond ECR's (STS, CloudWatch Logs, S3 and others answer NXDOMAIN inside it); name zones after api.ecr.<region>.amazonaws.com or dkr.ecr.<region>.amazonaws.com, or add the name to allowedZoneNames.`,
                zone.urn,
            );
        }
        for (const record of ofType(stack, TYPES.record)) {
            const p = plain(record.props);
            const type = p["type"];
            const rname = p["name"];
            if (
                typeof type !== "string" ||
                isUnknown(type) ||
                typeof rname !== "string" ||
                isUnknown(rname)
            )
                continue;
            const zoneName = zoneNameOf(stack, record);
            if (zoneName === undefined || zoneName === "external") continue;
            if (recordFqdn(rname, zoneName) !== zoneName) continue;
            const t = type.toUpperCase();
            if (t === "NS" || t === "SOA") continue;
            if (t === "CNAME") {
                reportViolation(
                    `Route 53 record at the apex of zone "${zoneName}" is a CNAME, which Route 53 rejects at a zone apex; use an alias record to the endpoint's DNS name.`,
                    record.urn,
                );
                continue;
            }
            if (!isInAwsNamespace(zoneName) || isEcrServiceName(zoneName)) continue;
            if (cfg.allowedApexNames.some((e) => allowListCovers(e, zoneName, false))) continue;
            reportViolation(
                `Route 53 record (${t}) overrides the apex of zone "${zoneName}", an AWS name that is not an ECR service name (api.ecr/dkr.ecr.<region>.amazonaws.com).`,
                record.urn,
            );
        }
    },
};

export const ecrZoneCapturesBareEcrName: StackValidationPolicy = {
    name: "ecr-zone-captures-bare-ecr-name",
    description:
        "Advises against the seed layout's private zone ecr.<region>.amazonaws.com, which also answers (with NXDOMAIN) for the bare ECR API name ecr.<region>.amazonaws.com; exact zones api.ecr and dkr.ecr with apex alias records avoid it.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        for (const [zone, isPrivate] of privateZones(args.resources)) {
            const name = plain(zone.props)["name"];
            if (isPrivate !== true || typeof name !== "string" || isUnknown(name)) continue;
            const z = normalizeName(name);
            if (!isBareEcrName(z)) continue;
            reportViolation(
                `Private hosted zone "${z}" also answers for the bare ECR name "${z}" (NXDOMAIN unless the zone has an apex record); prefer exact zones "api.${z}" and "dkr.${z}" with alias records at their apex.`,
                zone.urn,
            );
        }
    },
};

export const dnsPolicies = [ecrDnsCnameNotA, noApexOverrides, ecrZoneCapturesBareEcrName];
