import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { carveSubnets } from "../src/cidr";

export interface PrivateNetworkArgs {
    /**
     * VPC CIDR block, e.g. `10.20.0.0/16`.
     * Warning: changing it replaces the VPC and every resource inside it.
     */
    cidr: string;
    /**
     * Availability zones to spread the subnets over, in order, usually from
     * `usableZones` (the account's zones, never a table of letters). Subnet N
     * takes the Nth block of `/subnetPrefixLength` in the VPC and is named
     * `<name>-private-<N>`, so appending a zone adds subnets without
     * renumbering the others. Warning: changing the zone of subnet N replaces
     * that subnet and what lives in it.
     */
    availabilityZones: pulumi.Input<string>[];
    /**
     * The zone names subnets were named after before they were numbered
     * (`<name>-private-us-west-2a`), one per subnet: given, each subnet keeps
     * that old name as a Pulumi alias, so a stack deployed by an earlier
     * version keeps its subnets instead of replacing them.
     * @default no aliases
     */
    previousZoneNames?: string[];
    /** Prefix length of every subnet, e.g. 20. Warning: changing it replaces the subnets. */
    subnetPrefixLength: number;
    /**
     * Add public subnets (after the private ones) with an internet gateway,
     * for internet-facing load balancers. Private subnets never get an
     * internet route, and there is never a NAT gateway.
     * @default false
     */
    publicSubnets?: boolean;
    /**
     * Region of the VPC when it is not the provider's (a @pulumi/aws v7
     * per-resource region). Warning: changing it replaces everything.
     * @default the provider's region
     */
    region?: string;
    tags?: Record<string, string>;
}

/**
 * A VPC with DNS support and host names on (interface endpoint private DNS
 * needs both), private subnets with one route table each and no route to the
 * internet, and optional public subnets for load balancers.
 */
export class PrivateNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly cidr: string;
    public readonly region?: string;
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly privateRouteTableIds: pulumi.Output<string>[];
    public readonly publicSubnetIds: pulumi.Output<string>[];
    public readonly availabilityZones: pulumi.Output<string>[];

    constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecr-private-access:network:PrivateNetwork", name, {}, opts);
        if (args.availabilityZones.length === 0) {
            throw new Error("`availabilityZones` must name at least one zone");
        }
        const region = args.region;
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        const child = { parent: this };

        const vpc = new aws.ec2.Vpc(
            name,
            {
                cidrBlock: args.cidr,
                enableDnsSupport: true,
                enableDnsHostnames: true,
                region,
                tags: tags("vpc"),
            },
            child,
        );

        const azCount = args.availabilityZones.length;
        const privateCidrs = carveSubnets(args.cidr, args.subnetPrefixLength, azCount);
        // Subnets are numbered: zone names are only known once the provider
        // answers, and a resource's name must be known when it is registered.
        const previous = (tier: string, i: number) => {
            const zone = args.previousZoneNames?.[i];
            return zone ? { aliases: [{ name: `${name}-${tier}-${zone}` }] } : {};
        };
        const subnets = args.availabilityZones.map((az, i) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-private-${i}`,
                {
                    vpcId: vpc.id,
                    cidrBlock: privateCidrs[i],
                    availabilityZone: az,
                    mapPublicIpOnLaunch: false,
                    region,
                    tags: { ...tags(`private-${i}`), Tier: "private" },
                },
                { ...child, ...previous("private", i) },
            );
            // One route table per private subnet: endpoints and peering add
            // routes per table, and nothing here points at the internet.
            const table = new aws.ec2.RouteTable(
                `${name}-private-${i}`,
                { vpcId: vpc.id, region, tags: tags(`private-${i}`) },
                { ...child, ...previous("private", i) },
            );
            new aws.ec2.RouteTableAssociation(
                `${name}-private-${i}`,
                { subnetId: subnet.id, routeTableId: table.id, region },
                { ...child, ...previous("private", i) },
            );
            return { subnet, table };
        });

        let publicSubnetIds: pulumi.Output<string>[] = [];
        if (args.publicSubnets) {
            const publicCidrs = carveSubnets(args.cidr, args.subnetPrefixLength, azCount, azCount);
            const igw = new aws.ec2.InternetGateway(
                `${name}-igw`,
                { vpcId: vpc.id, region, tags: tags("igw") },
                child,
            );
            const table = new aws.ec2.RouteTable(
                `${name}-public`,
                { vpcId: vpc.id, region, tags: tags("public") },
                child,
            );
            new aws.ec2.Route(
                `${name}-public-internet`,
                {
                    routeTableId: table.id,
                    destinationCidrBlock: "0.0.0.0/0",
                    gatewayId: igw.id,
                    region,
                },
                child,
            );
            publicSubnetIds = args.availabilityZones.map((az, i) => {
                const subnet = new aws.ec2.Subnet(
                    `${name}-public-${i}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock: publicCidrs[i],
                        availabilityZone: az,
                        // Only load balancers live here; nothing gets a public IP by default.
                        mapPublicIpOnLaunch: false,
                        region,
                        tags: { ...tags(`public-${i}`), Tier: "public" },
                    },
                    { ...child, ...previous("public", i) },
                );
                new aws.ec2.RouteTableAssociation(
                    `${name}-public-${i}`,
                    { subnetId: subnet.id, routeTableId: table.id, region },
                    { ...child, ...previous("public", i) },
                );
                return subnet.id;
            });
        }

        this.vpcId = vpc.id;
        this.cidr = args.cidr;
        this.region = region;
        this.availabilityZones = args.availabilityZones.map((z) => pulumi.output(z));
        this.privateSubnetIds = subnets.map((s) => s.subnet.id);
        this.privateRouteTableIds = subnets.map((s) => s.table.id);
        this.publicSubnetIds = publicSubnetIds;
        this.registerOutputs({
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            privateRouteTableIds: this.privateRouteTableIds,
            publicSubnetIds: this.publicSubnetIds,
        });
    }
}
