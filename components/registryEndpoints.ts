import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cidrsOverlap, parseCidr } from "../src/cidr";
import { isKnownRegion } from "../src/regions";
import {
    assertEndpointPrincipals,
    ecrEndpointPolicy,
    endpointServiceName,
    INTERFACE_SERVICES,
    isInterfaceService,
    REQUIRED_INTERFACE_SERVICES,
    s3GatewayPolicy,
} from "../src/endpoints/policies";

export interface RegistryEndpointsArgs {
    /** VPC the endpoints live in. Warning: changing it replaces every endpoint and the security group. */
    vpcId: pulumi.Input<string>;
    /** The VPC's CIDR block; always allowed to reach the interface endpoints on 443. */
    vpcCidr: string;
    /**
     * Region of the VPC. Every child is created there (a @pulumi/aws v7
     * per-resource region), so a VPC outside the provider's region works.
     * Warning: changing it replaces everything.
     */
    region: string;
    /**
     * Private subnets, at most one per availability zone (AWS rejects an
     * interface endpoint with two subnets in one zone). Order matters for
     * `placement: "single-az"`, which uses the first.
     */
    privateSubnetIds: pulumi.Input<string>[];
    /** Route tables of the private subnets; each gets a route to S3 through the gateway endpoint. */
    privateRouteTableIds: pulumi.Input<string>[];
    /**
     * Interface endpoint services: `ecr.api` and `ecr.dkr` (required), plus
     * `logs` (awslogs driver), `secretsmanager` / `ssm` (secrets in task
     * definitions) and `ecs`, `ecs-agent`, `ecs-telemetry` (EC2 launch type only).
     * The S3 gateway endpoint is always created and is not listed here.
     * Warning: removing a service deletes its endpoint.
     */
    interfaceServices: string[];
    /**
     * `"all-azs"`: an endpoint network interface in every private subnet
     * (production: an AZ outage does not cut image pulls). `"single-az"`: only
     * in the first private subnet (development: 1/N of the hourly cost with N
     * zones; clients in other zones cross AZs, and an outage of that zone stops
     * pulls). Changing it updates the endpoints in place.
     * @default "all-azs"
     */
    placement?: "all-azs" | "single-az";
    /**
     * Further IPv4 CIDRs (on-premises networks, peered VPCs) allowed to reach
     * the interface endpoints on 443; one ingress rule each.
     * @default []
     */
    allowedCidrs?: string[];
    /**
     * Accept `0.0.0.0/0` in `allowedCidrs`. Endpoints have only private IPs,
     * but any network that can route to them could then use them.
     * @default false
     */
    allowWorldIngress?: boolean;
    /**
     * Accounts whose registries (in `region`) may be used through the ECR
     * endpoints, e.g. an image vendor's. The stack's own account is always added.
     * @default []
     */
    registryAccounts?: pulumi.Input<string>[];
    /**
     * The stack's own account, whose registry is always reachable.
     * @default the caller identity's account
     */
    accountId?: pulumi.Input<string>;
    /**
     * Allow `docker push` through the ECR endpoints (developer hosts); pulls
     * only otherwise.
     * @default false
     */
    allowPush?: boolean;
    /**
     * An AWS Organization (`o-...`) whose principals may also use the ECR
     * endpoints. Without it, only principals of `accountId` and
     * `registryAccounts` may (`aws:PrincipalAccount` in every ECR statement).
     * Changing it updates the endpoint policies in place.
     * @default undefined (no organization)
     */
    principalOrgId?: string;
    /**
     * Drop the ECR endpoints' data perimeter: principals of any account may use
     * them (still only on the listed registries). Credentials of an unrelated
     * account could then reach, through this VPC, any repository there that
     * grants that account. Changing it updates the endpoint policies in place.
     * @default false
     */
    allowAnyPrincipal?: boolean;
    /**
     * Pull-through cache repositories (`.../repository/<prefix>/*` patterns, or exact
     * repository ARNs) where a pull through the ECR endpoints may fill the cache:
     * ecr:BatchImportUpstreamImage and ecr:CreateRepository on exactly these, for the same
     * principals as the other statements. Changing it updates the endpoint policies in place.
     * @default [] (nothing can be imported through the endpoints)
     */
    cacheFillResources?: string[];
    /**
     * Extra S3 object ARNs (`arn:aws:s3:::bucket/prefix*`) readable through the
     * S3 gateway endpoint, which is the private subnets' only path to S3.
     * @default [] (ECR's layer bucket only)
     */
    s3AdditionalResources?: string[];
    /**
     * S3 buckets a self-hosted registry in this VPC reads and writes through
     * the gateway endpoint (its storage driver's bucket and object actions).
     * Changing it updates the endpoint policy in place.
     * @default []
     */
    s3ReadWriteBuckets?: string[];
    /**
     * Also create an S3 **interface** endpoint (`com.amazonaws.<region>.s3`)
     * in the interface endpoints' subnets, behind the same security group and
     * with the gateway endpoint's policy. A gateway endpoint serves only
     * clients inside this VPC; peered, VPN and Direct Connect networks reach
     * S3 privately only through an interface endpoint, and `docker pull`
     * downloads layers from S3. Private DNS stays off: in-VPC clients keep
     * the free gateway endpoint, and outside clients get DNS for exactly the
     * layer bucket's host name (EcrPrivateDns, on-premises files). Bills like
     * any interface endpoint (per AZ-hour and per GB).
     * Warning: turning it off deletes the endpoint and breaks those pulls.
     * @default false
     */
    s3Interface?: boolean;
    /** Tags for every child; each also gets a `Name`. */
    tags?: Record<string, string>;
}

/**
 * Throws on arguments that would build a broken or over-open set of endpoints,
 * naming the argument. Exported for tests; the constructor calls it first.
 */
export function validateRegistryEndpointsArgs(args: RegistryEndpointsArgs): void {
    if (!isKnownRegion(args.region)) {
        throw new Error(`\`region\`: "${args.region}" is not a known commercial AWS region`);
    }
    try {
        parseCidr(args.vpcCidr);
    } catch (e) {
        throw new Error(`\`vpcCidr\`: ${(e as Error).message}`);
    }
    const services = args.interfaceServices;
    for (const s of services) {
        if (!isInterfaceService(s)) {
            throw new Error(
                `\`interfaceServices\`: unknown service "${s}" (known: ${INTERFACE_SERVICES.join(", ")}` +
                    `${s === "s3" ? "; the S3 gateway endpoint is always created, and `s3Interface` adds an interface one" : ""})`,
            );
        }
    }
    const duplicate = services.find((s, i) => services.indexOf(s) !== i);
    if (duplicate) {
        throw new Error(`\`interfaceServices\`: "${duplicate}" is listed twice`);
    }
    for (const s of REQUIRED_INTERFACE_SERVICES) {
        if (!services.includes(s)) {
            throw new Error(
                `\`interfaceServices\` must include "${s}": container clients cannot pull without it`,
            );
        }
    }
    if (
        args.placement !== undefined &&
        args.placement !== "all-azs" &&
        args.placement !== "single-az"
    ) {
        throw new Error(
            `\`placement\` must be "all-azs" or "single-az", not "${String(args.placement)}"`,
        );
    }
    if (args.privateSubnetIds.length === 0) {
        throw new Error("`privateSubnetIds` must name at least one subnet");
    }
    if (args.privateRouteTableIds.length === 0) {
        throw new Error(
            "`privateRouteTableIds` must name at least one route table (the S3 gateway endpoint needs it)",
        );
    }
    const seen = new Set<string>();
    for (const c of args.allowedCidrs ?? []) {
        let prefix: number;
        try {
            prefix = parseCidr(c).prefix;
        } catch (e) {
            throw new Error(`\`allowedCidrs\`: ${(e as Error).message}`);
        }
        if (prefix === 0) {
            if (!args.allowWorldIngress) {
                throw new Error(
                    `\`allowedCidrs\`: ${c} would open the endpoints to every network; set \`allowWorldIngress\` to accept that`,
                );
            }
        } else if (cidrsOverlap(c, args.vpcCidr)) {
            // The VPC CIDR has its own rule; an overlapping block is either a
            // duplicate rule (AWS rejects it) or a network that cannot be routed.
            throw new Error(
                `\`allowedCidrs\`: ${c} overlaps \`vpcCidr\` ${args.vpcCidr}, which is always allowed`,
            );
        }
        if (seen.has(c)) {
            throw new Error(`\`allowedCidrs\`: ${c} is listed twice`);
        }
        seen.add(c);
    }
    // Builds the S3 policy once to surface a bad `s3AdditionalResources` entry now.
    s3GatewayPolicy({
        region: args.region,
        additionalResources: args.s3AdditionalResources,
        readWriteBuckets: args.s3ReadWriteBuckets,
    });
    // Outputs (accounts read from another stack) are checked when the policy is built.
    assertEndpointPrincipals({
        accounts: (args.registryAccounts ?? []).filter((a): a is string => typeof a === "string"),
        principalOrgId: args.principalOrgId,
        allowAnyPrincipal: args.allowAnyPrincipal,
    });
}

/**
 * The regional DNS entry of an interface endpoint
 * (`vpce-<id>-<rand>.<service>.<region>.vpce.amazonaws.com`), which answers in
 * every zone the endpoint has. AWS lists it first, before the zonal entries
 * (`vpce-<id>-<rand>-<az>...`) and the private DNS names; matched by shape so
 * an order change cannot hand out a zonal name. S3's entries are wildcards
 * (`*.vpce-<id>-<rand>.s3.<region>.vpce.amazonaws.com`: a bucket label goes in
 * front), so a leading `*.` is accepted.
 */
export function regionalDnsEntry<T extends { dnsName?: string }>(entries: T[]): T {
    const regional = entries.find((e) =>
        /^(?:\*\.)?vpce-[0-9a-f]+-[a-z0-9]+\.[^.]/.test(e.dnsName ?? ""),
    );
    const found = regional ?? entries[0];
    if (!found) {
        throw new Error("the interface endpoint has no DNS entries");
    }
    return found;
}

/**
 * Everything a container client in private subnets needs to reach ECR without
 * a NAT or internet gateway: ecr.api and ecr.dkr interface endpoints with
 * private DNS, the S3 gateway endpoint for image layers, the optional
 * logs / secrets / ECS endpoints, an optional S3 interface endpoint for image
 * layers pulled from peered or on-premises networks, and one security group
 * for the interface endpoints.
 */
export class RegistryEndpoints extends pulumi.ComponentResource {
    /** Endpoint IDs by service (`ecr.api`, `ecr.dkr`, `s3`, ...; `s3-interface` with `s3Interface`). */
    public readonly endpointIds: Record<string, pulumi.Output<string>>;
    /** Regional DNS name of the ecr.api endpoint: what on-premises `api.ecr.<region>` CNAMEs point at. */
    public readonly apiDnsName: pulumi.Output<string>;
    /** Regional DNS name of the ecr.dkr endpoint: the target for `dkr.ecr.<region>` and `*.dkr.ecr.<region>`. */
    public readonly dkrDnsName: pulumi.Output<string>;
    /** Hosted zone of the ecr.api endpoint's DNS name, for Route 53 alias records. */
    public readonly apiHostedZoneId: pulumi.Output<string>;
    /** Hosted zone of the ecr.dkr endpoint's DNS name, for Route 53 alias records. */
    public readonly dkrHostedZoneId: pulumi.Output<string>;
    /** Security group of the interface endpoints. */
    public readonly securityGroupId: pulumi.Output<string>;
    /** S3 prefix list of the gateway endpoint: task security groups need 443 egress to it. */
    public readonly s3PrefixListId: pulumi.Output<string>;
    /** Subnets that hold the interface endpoints' network interfaces. */
    public readonly endpointSubnetIds: pulumi.Input<string>[];
    /**
     * With `s3Interface`: the S3 interface endpoint's regional wildcard DNS
     * name (`*.vpce-<id>-<rand>.s3.<region>.vpce.amazonaws.com`), the target
     * for the layer bucket's host name. Undefined otherwise.
     */
    public readonly s3InterfaceDnsName?: pulumi.Output<string>;
    /** With `s3Interface`: hosted zone of that name, for a Route 53 alias record. */
    public readonly s3InterfaceHostedZoneId?: pulumi.Output<string>;

    constructor(name: string, args: RegistryEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecr-private-access:network:RegistryEndpoints", name, {}, opts);
        validateRegistryEndpointsArgs(args);

        const region = args.region;
        const child = { parent: this };
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        const placement = args.placement ?? "all-azs";
        const subnetIds =
            placement === "single-az" ? [args.privateSubnetIds[0]] : [...args.privateSubnetIds];

        // Interface endpoints only answer connections: security groups are
        // stateful, so replies need no egress rule, and the endpoint never
        // opens a connection into the VPC. The group therefore has no egress
        // rules at all (the provider also removes AWS's default allow-all one).
        const sg = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.vpcId,
                description: "Interface VPC endpoints: HTTPS from the VPC and listed networks",
                region,
                tags: tags("sg"),
            },
            child,
        );
        const ingress = (suffix: string, cidr: string, description: string) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-https-${suffix}`,
                {
                    securityGroupId: sg.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: cidr,
                    description,
                    region,
                    tags: tags(`https-${suffix}`),
                },
                child,
            );
        ingress(
            "vpc",
            args.vpcCidr,
            `HTTPS to AWS service endpoints from the VPC (${args.vpcCidr})`,
        );
        // Named by CIDR, not position: reordering the list replaces nothing.
        for (const cidr of args.allowedCidrs ?? []) {
            const world = parseCidr(cidr).prefix === 0;
            ingress(
                cidr.replace(/[./]/g, "-"),
                cidr,
                world
                    ? "HTTPS to AWS service endpoints from anywhere (allowWorldIngress)"
                    : `HTTPS to AWS service endpoints from on-premises or peered network ${cidr}`,
            );
        }

        const ownAccount = args.accountId ?? aws.getCallerIdentityOutput({}, child).accountId;
        const ecrPolicy = pulumi
            .all([ownAccount, ...(args.registryAccounts ?? [])])
            .apply((accounts) =>
                JSON.stringify(
                    ecrEndpointPolicy({
                        region,
                        accounts,
                        allowPush: args.allowPush ?? false,
                        principalOrgId: args.principalOrgId,
                        allowAnyPrincipal: args.allowAnyPrincipal ?? false,
                        cacheFillResources: args.cacheFillResources,
                    }),
                ),
            );

        const endpointIds: Record<string, pulumi.Output<string>> = {};
        const interfaces: Record<string, aws.ec2.VpcEndpoint> = {};
        for (const service of args.interfaceServices) {
            const suffix = service.replace(/\./g, "-");
            // Only the ECR endpoints get a custom policy. The others keep AWS's
            // full-access default: the task execution role's own permissions
            // already limit which log groups and secrets it can touch, and
            // scoping here would couple this component to ARNs created elsewhere.
            const isEcr = service === "ecr.api" || service === "ecr.dkr";
            const endpoint = new aws.ec2.VpcEndpoint(
                `${name}-${suffix}`,
                {
                    vpcId: args.vpcId,
                    serviceName: endpointServiceName(region, service),
                    vpcEndpointType: "Interface",
                    // Private DNS makes the standard service names resolve to the
                    // endpoint inside the VPC; ecr.dkr does not work without it.
                    privateDnsEnabled: true,
                    subnetIds,
                    securityGroupIds: [sg.id],
                    policy: isEcr ? ecrPolicy : undefined,
                    region,
                    tags: tags(suffix),
                },
                child,
            );
            interfaces[service] = endpoint;
            endpointIds[service] = endpoint.id;
        }

        // Gateway endpoints are free and add a route per table, so every
        // private route table gets one whatever the interface placement.
        const s3Policy = JSON.stringify(
            s3GatewayPolicy({
                region,
                additionalResources: args.s3AdditionalResources,
                readWriteBuckets: args.s3ReadWriteBuckets,
            }),
        );
        const s3 = new aws.ec2.VpcEndpoint(
            `${name}-s3`,
            {
                vpcId: args.vpcId,
                serviceName: endpointServiceName(region, "s3"),
                vpcEndpointType: "Gateway",
                routeTableIds: [...args.privateRouteTableIds],
                policy: s3Policy,
                region,
                tags: tags("s3"),
            },
            child,
        );
        endpointIds.s3 = s3.id;

        let s3Interface: aws.ec2.VpcEndpoint | undefined;
        if (args.s3Interface) {
            // Same policy as the gateway: outside clients may read ECR's layer
            // bucket (and the listed extras), nothing else. Private DNS off:
            // on, it would take `*.s3.<region>.amazonaws.com` inside this VPC
            // away from the free gateway endpoint.
            s3Interface = new aws.ec2.VpcEndpoint(
                `${name}-s3-interface`,
                {
                    vpcId: args.vpcId,
                    serviceName: endpointServiceName(region, "s3"),
                    vpcEndpointType: "Interface",
                    privateDnsEnabled: false,
                    subnetIds,
                    securityGroupIds: [sg.id],
                    policy: s3Policy,
                    region,
                    tags: tags("s3-interface"),
                },
                child,
            );
            endpointIds["s3-interface"] = s3Interface.id;
        }

        const entry = (service: string) =>
            interfaces[service].dnsEntries.apply((e) => regionalDnsEntry(e));
        this.endpointIds = endpointIds;
        this.apiDnsName = entry("ecr.api").apply((e) => e.dnsName);
        this.dkrDnsName = entry("ecr.dkr").apply((e) => e.dnsName);
        this.apiHostedZoneId = entry("ecr.api").apply((e) => e.hostedZoneId);
        this.dkrHostedZoneId = entry("ecr.dkr").apply((e) => e.hostedZoneId);
        this.securityGroupId = sg.id;
        this.s3PrefixListId = s3.prefixListId;
        this.endpointSubnetIds = subnetIds;
        if (s3Interface) {
            const s3Entry = s3Interface.dnsEntries.apply((e) => regionalDnsEntry(e));
            this.s3InterfaceDnsName = s3Entry.apply((e) => e.dnsName);
            this.s3InterfaceHostedZoneId = s3Entry.apply((e) => e.hostedZoneId);
        }
        this.registerOutputs({
            endpointIds: this.endpointIds,
            apiDnsName: this.apiDnsName,
            dkrDnsName: this.dkrDnsName,
            apiHostedZoneId: this.apiHostedZoneId,
            dkrHostedZoneId: this.dkrHostedZoneId,
            securityGroupId: this.securityGroupId,
            s3PrefixListId: this.s3PrefixListId,
            s3InterfaceDnsName: this.s3InterfaceDnsName,
            s3InterfaceHostedZoneId: this.s3InterfaceHostedZoneId,
        });
    }
}
