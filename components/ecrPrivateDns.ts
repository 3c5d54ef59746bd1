import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "../src/cidr";
import {
    assertRegion,
    assertTtl,
    DnsLayout,
    dnsSuffix,
    ecrRecordSet,
    ecrZoneNames,
    layerBucketHost,
    layerBucketRecord,
    onPremRecordSet,
    validateEndpointNames,
    route53StoredName,
} from "../src/dns/records";
import type { EcrDnsRecord } from "../src/dns/types";

/** One VPC a private zone answers for; each association carries its own region. */
export interface EcrPrivateDnsAssociation {
    /** ID of the VPC. */
    vpcId: pulumi.Input<string>;
    /** Region of that VPC (the zone itself is global). */
    vpcRegion: string;
}

/** Route 53 Resolver inbound endpoint for on-premises conditional forwarders. */
export interface EcrPrivateDnsResolverArgs {
    /** VPC holding the ECR endpoints (private DNS on), in `region`. */
    vpcId: pulumi.Input<string>;
    /**
     * Private subnets of that VPC, in different availability zones; one
     * resolver address in each. At least two (an AWS minimum).
     * Warning: changing them replaces the resolver addresses.
     */
    subnetIds: pulumi.Input<string>[];
    /** On-premises CIDR blocks allowed to send DNS queries (UDP and TCP 53); never 0.0.0.0/0. */
    allowedCidrs: string[];
}

export interface EcrPrivateDnsArgs {
    /** Region of the ECR endpoints (and of the registry the names belong to). Warning: changing it replaces everything. */
    region: string;
    /** Regional DNS name of the `ecr.api` endpoint (its first `dnsEntries` item). */
    apiDnsName: pulumi.Input<string>;
    /** Route 53 hosted zone ID of the `ecr.api` endpoint's DNS name (alias target zone). */
    apiHostedZoneId: pulumi.Input<string>;
    /** Regional DNS name of the `ecr.dkr` endpoint (its first `dnsEntries` item). */
    dkrDnsName: pulumi.Input<string>;
    /** Route 53 hosted zone ID of the `ecr.dkr` endpoint's DNS name. */
    dkrHostedZoneId: pulumi.Input<string>;
    /**
     * Zone layout (see `DnsLayout` in src/dns/records.ts): `exact` zones with
     * alias records, or seed 000's `ecr.<region>` zone with an `api` CNAME.
     * Warning: switching replaces the api zone and the records.
     * @default "exact"
     */
    layout?: DnsLayout;
    /**
     * Regional wildcard DNS name of an S3 interface endpoint in `region`
     * (RegistryEndpoints' `s3InterfaceDnsName`,
     * `*.vpce-<id>-<random>.s3.<region>.vpce.amazonaws.com`). Given, the
     * layer bucket's host `prod-<region>-starport-layer-bucket.s3.<region>.amazonaws.com`
     * (where `docker pull` downloads layers) gets a private zone of exactly
     * that name with an apex alias to the endpoint (with associations), and
     * a CNAME in `onPremRecords`. No other S3 name is touched.
     * Warning: removing it deletes that zone, and pulls from the associated VPCs fail.
     * @default none
     */
    s3InterfaceDnsName?: pulumi.Input<string>;
    /** Route 53 hosted zone ID of `s3InterfaceDnsName`; required with it. */
    s3InterfaceHostedZoneId?: pulumi.Input<string>;
    /** TTL of the CNAME records, in seconds (alias records have none). @default 60 */
    ttl?: number;
    /**
     * VPCs the private zones answer for, e.g. the simulated IDC's VPC in
     * another region. None: no zones are created (a real data centre loads
     * the `onPremRecords` into its own DNS instead). Never the VPC whose
     * endpoints have private DNS on: Route 53 rejects the association
     * (ConflictingDomainExists) and that VPC already resolves the names.
     * @default []
     */
    associations?: EcrPrivateDnsAssociation[];
    /**
     * The VPC whose ECR endpoints have private DNS on. Only checked: an
     * association naming it fails the deployment with a clear message.
     */
    endpointVpcId?: pulumi.Input<string>;
    /**
     * Adds a Route 53 Resolver inbound endpoint in the endpoints' VPC, the
     * AWS-recommended way for on-premises DNS to resolve the ECR names
     * (conditional forwarders to `resolverIps`). About $0.25/hour for two
     * addresses.
     * @default none
     */
    resolver?: EcrPrivateDnsResolverArgs;
    /** Tags for every taggable child. */
    tags?: Record<string, string>;
}

// Stand-ins with the endpoints' name shape: the record set's shape (names,
// zones, types) depends only on region and layout, so it is computed before
// the real endpoint names are known, and each record's target is then taken
// from the matching endpoint output.
const placeholderNames = (region: string) => ({
    region,
    apiDnsName: `vpce-00000000000000000-placeholder.api.ecr.${region}.vpce.${dnsSuffix(region)}`,
    dkrDnsName: `vpce-00000000000000000-placeholder.dkr.ecr.${region}.vpce.${dnsSuffix(region)}`,
});

function conflictMessage(i: number, vpcId: string): string {
    return `\`associations[${i}].vpcId\` ${vpcId} is the VPC whose ECR endpoints have private DNS on; Route 53 rejects the association (ConflictingDomainExists) and that VPC already resolves the ECR names.`;
}

/** Validates the arguments that are known when the program runs; throws naming the argument. */
export function validateEcrPrivateDnsArgs(args: EcrPrivateDnsArgs): {
    layout: DnsLayout;
    ttl: number;
} {
    if (!args || typeof args !== "object") throw new Error("`args` are required.");
    assertRegion(args.region);
    const layout = args.layout ?? "exact";
    if (layout !== "seed" && layout !== "exact") {
        throw new Error(`\`layout\` must be "seed" or "exact", got ${JSON.stringify(layout)}.`);
    }
    const ttl = args.ttl ?? 60;
    assertTtl(ttl);
    for (const field of [
        "apiDnsName",
        "apiHostedZoneId",
        "dkrDnsName",
        "dkrHostedZoneId",
    ] as const) {
        if (args[field] === undefined || args[field] === null || args[field] === "") {
            throw new Error(`\`${field}\` is required.`);
        }
    }
    const given = (v: unknown) => v !== undefined && v !== null && v !== "";
    if (given(args.s3InterfaceDnsName) !== given(args.s3InterfaceHostedZoneId)) {
        throw new Error(
            "`s3InterfaceDnsName` and `s3InterfaceHostedZoneId` go together: give both or neither.",
        );
    }
    if (typeof args.s3InterfaceDnsName === "string") {
        layerBucketRecord(args.region, args.s3InterfaceDnsName, ttl);
    }
    const associations = args.associations ?? [];
    if (!Array.isArray(associations))
        throw new Error("`associations` must be an array of { vpcId, vpcRegion }.");
    const seen = new Set<string>();
    associations.forEach((a, i) => {
        if (!a || a.vpcId === undefined || a.vpcId === null || a.vpcId === "") {
            throw new Error(`\`associations[${i}].vpcId\` is required.`);
        }
        try {
            assertRegion(a.vpcRegion);
        } catch {
            throw new Error(
                `\`associations[${i}].vpcRegion\` ${JSON.stringify(a.vpcRegion)} is not an AWS region name.`,
            );
        }
        if (typeof a.vpcId === "string") {
            if (seen.has(a.vpcId))
                throw new Error(`\`associations[${i}].vpcId\` ${a.vpcId} is listed twice.`);
            seen.add(a.vpcId);
        }
    });
    const endpointVpc = args.endpointVpcId ?? args.resolver?.vpcId;
    if (typeof endpointVpc === "string") {
        const i = associations.findIndex((a) => a.vpcId === endpointVpc);
        if (i >= 0) throw new Error(conflictMessage(i, endpointVpc));
    }
    if (args.resolver) {
        const r = args.resolver;
        if (!Array.isArray(r.subnetIds) || r.subnetIds.length < 2) {
            throw new Error(
                "`resolver.subnetIds` must list at least two subnets in different availability zones (AWS minimum).",
            );
        }
        if (!Array.isArray(r.allowedCidrs) || r.allowedCidrs.length === 0) {
            throw new Error(
                "`resolver.allowedCidrs` must list the on-premises CIDR blocks allowed to query the resolver.",
            );
        }
        r.allowedCidrs.forEach((c, i) => {
            let prefix: number;
            try {
                prefix = parseCidr(c).prefix;
            } catch (e) {
                throw new Error(`\`resolver.allowedCidrs[${i}]\`: ${(e as Error).message}`);
            }
            if (prefix === 0) {
                throw new Error(
                    `\`resolver.allowedCidrs[${i}]\` ${c} would open the resolver to the whole internet.`,
                );
            }
        });
        if (new Set(r.allowedCidrs).size !== r.allowedCidrs.length) {
            throw new Error("`resolver.allowedCidrs` lists a CIDR block twice.");
        }
    }
    return { layout, ttl };
}

/**
 * Route 53 private hosted zones that send the ECR host names
 * (`api.ecr.<region>`, `dkr.ecr.<region>`, `*.dkr.ecr.<region>`) to the ECR
 * interface endpoints, for VPCs without endpoints of their own (the simulated
 * IDC), plus the same records for on-premises DNS and an optional Resolver
 * inbound endpoint. With an S3 interface endpoint, ECR's layer bucket host
 * (and nothing else in S3) goes to it as well, so those VPCs can pull.
 *
 * Targets are always the endpoints' regional DNS names (CNAME or alias),
 * never their IPs: clients keep the AWS host name for TLS, and endpoint IPs
 * change when the endpoint or its subnets are replaced. Zones are never
 * `amazonaws.com` or `<region>.amazonaws.com`: Route 53 answers NXDOMAIN
 * for names missing from a matching private zone, which would break every
 * other AWS service for the associated VPCs.
 */
export class EcrPrivateDns extends pulumi.ComponentResource {
    /** Zone IDs by zone name; empty when there are no associations. */
    public readonly zoneIds: pulumi.Output<Record<string, string>>;
    /** Zone names (known when the program runs); empty when there are no associations. */
    public readonly zoneNames: string[];
    /**
     * The records of the layout, with the real endpoint names, plus the layer
     * bucket alias with `s3InterfaceDnsName`: what the zones hold (or would
     * hold with no associations). The on-premises renderers accept this set too.
     */
    public readonly records: pulumi.Output<EcrDnsRecord[]>;
    /**
     * CNAME-only records for on-premises DNS servers (ALIAS exists only in
     * Route 53), plus the layer bucket CNAME with `s3InterfaceDnsName`.
     */
    public readonly onPremRecords: pulumi.Output<EcrDnsRecord[]>;
    /** Resolver inbound endpoint addresses, for on-premises conditional forwarders. */
    public readonly resolverIps?: pulumi.Output<string[]>;
    public readonly resolverEndpointId?: pulumi.Output<string>;

    constructor(name: string, args: EcrPrivateDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecr-private-access:dns:EcrPrivateDns", name, {}, opts);
        const { layout, ttl } = validateEcrPrivateDnsArgs(args);
        const region = args.region;
        const associations = args.associations ?? [];
        const child = { parent: this };
        const conflictVpc = args.endpointVpcId ?? args.resolver?.vpcId;

        const names = pulumi
            .all([args.apiDnsName, args.dkrDnsName])
            .apply(([apiDnsName, dkrDnsName]) => ({
                region,
                apiDnsName,
                dkrDnsName,
            }));
        // Regional endpoint names only (not zonal names, not IPs), normalized as in `records`.
        const targets = names.apply((n) => validateEndpointNames(n));
        const layer =
            args.s3InterfaceDnsName === undefined
                ? undefined
                : pulumi
                      .output(args.s3InterfaceDnsName)
                      .apply((s3) => layerBucketRecord(region, s3, ttl));
        this.records = pulumi
            .all([names, layer])
            .apply(([n, l]) => [...ecrRecordSet(n, { layout, ttl }), ...(l ? [l.route53] : [])]);
        this.onPremRecords = pulumi
            .all([names, layer])
            .apply(([n, l]) => [...onPremRecordSet(n, ttl), ...(l ? [l.onPrem] : [])]);

        const zoneIdsByName: Record<string, pulumi.Output<string>> = {};
        this.zoneNames = [];
        if (associations.length > 0) {
            const vpcs = associations.map((a) => ({ vpcId: a.vpcId, vpcRegion: a.vpcRegion }));
            const [apiZoneName, dkrZoneName] = ecrZoneNames(region, layout);
            // Child names say which zone, not which layout: the dkr zone is the
            // same name in both layouts and survives a layout switch.
            const zones = {
                [apiZoneName]: new aws.route53.Zone(
                    `${name}-api`,
                    {
                        name: apiZoneName,
                        comment: `ECR API names to the ecr.api interface endpoint (${layout} layout)`,
                        vpcs,
                        tags: { ...args.tags, Name: `${name}-api` },
                    },
                    child,
                ),
                [dkrZoneName]: new aws.route53.Zone(
                    `${name}-dkr`,
                    {
                        name: dkrZoneName,
                        comment: `ECR registry names to the ecr.dkr interface endpoint (${layout} layout)`,
                        vpcs,
                        tags: { ...args.tags, Name: `${name}-dkr` },
                    },
                    child,
                ),
            };
            const placeholder = placeholderNames(region);
            const shape = ecrRecordSet(placeholder, { layout, ttl });
            for (const rec of shape) {
                const isApi = rec.value === placeholder.apiDnsName;
                const target = isApi ? targets.api : targets.dkr;
                const targetZone = isApi ? args.apiHostedZoneId : args.dkrHostedZoneId;
                const label = rec.name.startsWith("*.") ? "dkr-wildcard" : isApi ? "api" : "dkr";
                const zone = zones[rec.zone];
                new aws.route53.Record(
                    `${name}-${label}`,
                    rec.type === "CNAME"
                        ? {
                              zoneId: zone.zoneId,
                              name: rec.name,
                              type: "CNAME",
                              ttl: rec.ttl,
                              records: [target],
                          }
                        : {
                              zoneId: zone.zoneId,
                              name: rec.name,
                              type: "A",
                              aliases: [
                                  { name: target, zoneId: targetZone, evaluateTargetHealth: false },
                              ],
                          },
                    // A layout switch turns a CNAME into an alias A record of the
                    // same name; the two cannot coexist, so delete first.
                    { parent: this, deleteBeforeReplace: true },
                );
            }
            this.zoneNames = [apiZoneName, dkrZoneName];
            if (layer) {
                // Named exactly the layer bucket's host, so it captures that
                // name only: every other bucket and S3 itself still resolve
                // publicly (a zone for `s3.<region>...` would answer NXDOMAIN
                // for all of them). Route 53 allows no CNAME at an apex,
                // hence the alias to the endpoint's wildcard name.
                const host = layerBucketHost(region);
                zones[host] = new aws.route53.Zone(
                    `${name}-s3-layers`,
                    {
                        name: host,
                        comment:
                            "ECR layer downloads (exactly the layer bucket's host) to the S3 interface endpoint",
                        vpcs,
                        tags: { ...args.tags, Name: `${name}-s3-layers` },
                    },
                    child,
                );
                new aws.route53.Record(
                    `${name}-s3-layers`,
                    {
                        zoneId: zones[host].zoneId,
                        name: host,
                        type: "A",
                        aliases: [
                            {
                                name: layer.apply((l) => route53StoredName(l.route53.value)),
                                zoneId: args.s3InterfaceHostedZoneId!,
                                evaluateTargetHealth: false,
                            },
                        ],
                    },
                    child,
                );
                this.zoneNames.push(host);
            }
            for (const [zoneName, zone] of Object.entries(zones))
                zoneIdsByName[zoneName] = zone.zoneId;
        }
        // IDs that are outputs can only be compared once known; the check
        // rides on zoneIds so that a stack exporting them fails with the
        // message rather than with Route 53's ConflictingDomainExists alone.
        const conflict = pulumi
            .all([conflictVpc, pulumi.all(associations.map((a) => a.vpcId))])
            .apply(([endpointVpc, ids]) => {
                const i = endpointVpc === undefined ? -1 : ids.indexOf(endpointVpc);
                if (i >= 0) throw new Error(conflictMessage(i, endpointVpc as string));
                return true;
            });
        this.zoneIds = pulumi
            .all([pulumi.output(zoneIdsByName), conflict])
            .apply(([ids]) => ids as Record<string, string>);

        if (args.resolver) {
            const r = args.resolver;
            const sg = new aws.ec2.SecurityGroup(
                `${name}-resolver`,
                {
                    vpcId: r.vpcId,
                    description: "Route 53 Resolver inbound endpoint: DNS from on-premises only",
                    region,
                    tags: { ...args.tags, Name: `${name}-resolver` },
                },
                child,
            );
            // Replies go back to the querying servers, from whatever port the
            // endpoint uses: AWS recommends egress on all TCP and UDP ports for
            // inbound endpoints ("Resolver endpoint scaling", Route 53
            // developer guide). Here only to the on-premises CIDRs that may ask.
            // Rules narrower than 0.0.0.0/0 keep connections tracked, which
            // caps an address at about 1,500 queries per second (same page).
            r.allowedCidrs.forEach((cidr, i) => {
                for (const protocol of ["udp", "tcp"] as const) {
                    new aws.vpc.SecurityGroupEgressRule(
                        `${name}-resolver-${protocol}-out-${i}`,
                        {
                            securityGroupId: sg.id,
                            ipProtocol: protocol,
                            fromPort: 0,
                            toPort: 65535,
                            cidrIpv4: cidr,
                            description: `DNS replies (${protocol.toUpperCase()}) to on-premises ${cidr}`,
                            region,
                        },
                        child,
                    );
                    new aws.vpc.SecurityGroupIngressRule(
                        `${name}-resolver-${protocol}-${i}`,
                        {
                            securityGroupId: sg.id,
                            ipProtocol: protocol,
                            fromPort: 53,
                            toPort: 53,
                            cidrIpv4: cidr,
                            description: `DNS (${protocol.toUpperCase()}) from on-premises ${cidr}`,
                            region,
                        },
                        child,
                    );
                }
            });
            const resolver = new aws.route53.ResolverEndpoint(
                `${name}-resolver`,
                {
                    direction: "INBOUND",
                    securityGroupIds: [sg.id],
                    ipAddresses: r.subnetIds.map((subnetId) => ({ subnetId })),
                    protocols: ["Do53"],
                    region,
                    tags: { ...args.tags, Name: `${name}-resolver` },
                },
                child,
            );
            this.resolverEndpointId = resolver.id;
            this.resolverIps = resolver.ipAddresses.apply((ips) => (ips ?? []).map((ip) => ip.ip));
        }

        this.registerOutputs({
            zoneIds: this.zoneIds,
            records: this.records,
            onPremRecords: this.onPremRecords,
            resolverIps: this.resolverIps,
        });
    }
}
