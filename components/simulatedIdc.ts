import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "../src/cidr";
import type { DnsLayout } from "../src/dns/records";
import {
    al2023RepoEndpointPolicy,
    cachePullCommands,
    connectCommand,
    doctorCommand,
    ec2TrustPolicy,
    hostEcrPolicy,
    hostUserData,
    parseRepositoryArn,
    pushCommands,
    registryHost,
    validateIdcNetwork,
} from "../src/idc/host";
import { availabilityZones } from "../src/regions";
import { PrivateNetwork } from "./privateNetwork";
import { usableZones } from "./zones";

/**
 * The registry and repository the push commands use; throws naming
 * `pushRepositoryArn` when the host could not push there through the endpoints.
 */
function checkPushRepository(
    arn: string,
    cloudRegion: string,
    allowed: pulumi.Input<string>[],
): { registry: string; repository: string } {
    const parts = parseRepositoryArn(arn, "pushRepositoryArn");
    if (parts.region !== cloudRegion) {
        throw new Error(
            `\`pushRepositoryArn\` ${arn} is in ${parts.region}; the IDC reaches only the registry of \`cloud.region\` ${cloudRegion}.`,
        );
    }
    // Outputs in `allowed` are compared once resolved (the caller passes resolved values then).
    if (allowed.every((a) => typeof a === "string") && !allowed.includes(arn)) {
        throw new Error(
            `\`pushRepositoryArn\` ${arn} is not in \`repositoryArns\`, so the host may not push to it.`,
        );
    }
    return { registry: registryHost(parts.accountId, parts.region), repository: parts.name };
}

/** The cloud side the simulated IDC peers with: the VPC that holds the ECR endpoints. */
export interface SimulatedIdcCloud {
    /** ID of the cloud VPC (the one with the ECR interface endpoints). */
    vpcId: pulumi.Input<string>;
    /** CIDR block of the cloud VPC; the IDC routes exactly this block over the peering. */
    cidr: string;
    /** Region of the cloud VPC, where the requester side of the peering is created. */
    region: string;
    /**
     * Route tables of the cloud VPC's private subnets (where the endpoints
     * live); each gets one route to the IDC CIDR. Their number must be known
     * when the program runs.
     */
    privateRouteTableIds: pulumi.Input<string>[];
}

export interface SimulatedIdcArgs {
    /**
     * Region standing in for the data centre. Must differ from `cloud.region`.
     * Warning: changing it replaces everything in the IDC.
     */
    region: string;
    /**
     * CIDR block of the IDC VPC, /16 to /28, not overlapping `cloud.cidr`.
     * Warning: changing it replaces the VPC, the host and the peering.
     */
    cidr: string;
    /**
     * Prefix length of the single IDC subnet.
     * @default the VPC prefix + 4, at most 28
     */
    subnetPrefixLength?: number;
    /**
     * Availability zone of the IDC subnet, host and Instance Connect Endpoint.
     * Warning: changing it replaces the subnet and the host.
     * @default the account's first zone in `region` that offers `instanceType`
     */
    availabilityZone?: pulumi.Input<string>;
    /** EC2 instance type of the developer host. @default "t3.micro" */
    instanceType?: string;
    /**
     * The host's AMI. Without it the newest Amazon Linux 2023 image is looked
     * up, used when the host is created, and ignored afterwards, so a new
     * AMI release does not replace the host (and lose its state). To move to
     * a newer image, set this (the `idcHostAmiId` output shows the current
     * one). Warning: changing it replaces the host.
     * @default the newest AL2023 x86_64 image at creation
     */
    amiId?: string;
    /** The cloud VPC to peer with. */
    cloud: SimulatedIdcCloud;
    /**
     * ARNs of the repositories the host may push to and pull from (exactly
     * these; plus `ecr:GetAuthorizationToken`, which has no resource type).
     * At least one; their number must be known when the program runs.
     */
    repositoryArns: pulumi.Input<string>[];
    /**
     * Repository the printed push commands use; its registry must be in
     * `cloud.region`, the region whose endpoints the IDC reaches.
     * @default the first of `repositoryArns`
     */
    pushRepositoryArn?: pulumi.Input<string>;
    /**
     * Layout of the private DNS answering the IDC (EcrPrivateDns). Only
     * changes the printed doctor command: the `exact` layout answers with
     * alias records, which the doctor accepts only with `--allow-alias`.
     * @default CNAMEs assumed
     */
    dnsLayout?: DnsLayout;
    /**
     * The stack's ECR pull-through cache, when it has one: the host may pull cached images and
     * fill the cache under `repositories` (`.../repository/<prefix>/*` patterns of the cloud
     * registry; ecr:BatchImportUpstreamImage and ecr:CreateRepository besides the pull
     * actions, never push), and the printed commands pull `image` through the endpoints.
     * Changing it updates the host's policy in place.
     * @default undefined (no cache permissions, no cache commands)
     */
    pullThroughCache?: {
        repositories: string[];
        /** A cached image, `<prefix>/<upstream path>:<tag>`, for the printed commands. */
        image?: string;
    };
    /** Tags for every taggable child. */
    tags?: Record<string, string>;
}

/**
 * A second-region VPC that stands in for an on-premises data centre (seed
 * 000, section 5): peered with the cloud VPC, no route to the internet, a
 * developer host with Docker and push rights on the stack's repositories,
 * reachable only through an EC2 Instance Connect Endpoint. Pushing from it
 * works only through the cloud region's ECR endpoints, once private DNS
 * (EcrPrivateDns, associated with `vpcId` in `region`) sends the ECR names
 * there.
 *
 * Every IDC-side resource sets the @pulumi/aws v7 per-resource `region`
 * instead of using a second provider: the resources stay under the stack's one
 * provider (one set of credentials and default tags), the region shows in each
 * resource's inputs for reviewers and policies, and there is no provider
 * resource whose replacement would cascade to every child.
 */
export class SimulatedIdc extends pulumi.ComponentResource {
    /** The IDC VPC; associate the ECR private zones with it (vpcRegion = `region`). */
    public readonly vpcId: pulumi.Output<string>;
    public readonly region: string;
    public readonly cidr: string;
    public readonly subnetId: pulumi.Output<string>;
    public readonly routeTableId: pulumi.Output<string>;
    public readonly peeringConnectionId: pulumi.Output<string>;
    public readonly amiId: pulumi.Output<string>;
    public readonly hostInstanceId: pulumi.Output<string>;
    public readonly hostPrivateIp: pulumi.Output<string>;
    public readonly hostRoleArn: pulumi.Output<string>;
    public readonly instanceConnectEndpointId: pulumi.Output<string>;
    /** Opens a shell on the host through the Instance Connect Endpoint. */
    public readonly connectCommand: pulumi.Output<string>;
    /** `<account>.dkr.ecr.<cloud region>.amazonaws.com`. */
    public readonly registry: pulumi.Output<string>;
    /** Seed 000's steps, run on the host: login, make an image, tag, push. */
    public readonly pushCommands: pulumi.Output<string[]>;
    /** Connectivity check of the registry from the host. */
    public readonly doctorCommand: pulumi.Output<string>;
    /** Pulls the pull-through cache image through the endpoints (with `pullThroughCache.image`). */
    public readonly cachePullCommands?: pulumi.Output<string[]>;
    /** The doctor, fetching the cached image (with `pullThroughCache.image`). */
    public readonly cacheDoctorCommand?: pulumi.Output<string>;

    constructor(name: string, args: SimulatedIdcArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecr-private-access:idc:SimulatedIdc", name, {}, opts);
        if (!args || typeof args !== "object") throw new Error("`args` are required.");
        if (!args.cloud || typeof args.cloud !== "object") {
            throw new Error(
                "`cloud` is required: the VPC holding the ECR endpoints ({ vpcId, cidr, region, privateRouteTableIds }).",
            );
        }
        validateIdcNetwork({
            region: args.region,
            cidr: args.cidr,
            cloudRegion: args.cloud.region,
            cloudCidr: args.cloud.cidr,
        });
        if (
            !Array.isArray(args.cloud.privateRouteTableIds) ||
            args.cloud.privateRouteTableIds.length === 0
        ) {
            throw new Error(
                "`cloud.privateRouteTableIds` must list the cloud private route tables (the IDC CIDR is routed from each).",
            );
        }
        if (!Array.isArray(args.repositoryArns) || args.repositoryArns.length === 0) {
            throw new Error(
                "`repositoryArns` must list at least one repository the host may push to.",
            );
        }
        args.repositoryArns.forEach((arn, i) => {
            if (typeof arn === "string") parseRepositoryArn(arn, `repositoryArns[${i}]`);
        });
        const cacheRepositories = args.pullThroughCache?.repositories ?? [];
        cacheRepositories.forEach((arn, i) => {
            const parts = parseRepositoryArn(arn, `pullThroughCache.repositories[${i}]`);
            if (parts.region !== args.cloud.region) {
                throw new Error(
                    `\`pullThroughCache.repositories[${i}]\` ${arn} is in ${parts.region}; the IDC reaches only the registry of \`cloud.region\` ${args.cloud.region}.`,
                );
            }
        });
        if (args.pullThroughCache?.image !== undefined && cacheRepositories.length === 0) {
            throw new Error(
                "`pullThroughCache.image` needs `pullThroughCache.repositories`: the host may not pull it otherwise.",
            );
        }
        const pushArn = args.pushRepositoryArn ?? args.repositoryArns[0];
        if (typeof pushArn === "string")
            checkPushRepository(pushArn, args.cloud.region, args.repositoryArns);
        const region = args.region;
        const cloud = args.cloud;
        // The account's first zone in the IDC region that offers the host's
        // instance type (not every zone offers every type).
        const az =
            args.availabilityZone ??
            usableZones(
                {
                    count: 1,
                    instanceType: args.instanceType ?? "t3.micro",
                    region,
                    configKey: "ecr-private-access:idc.instanceType",
                },
                { parent: this },
            )[0];
        const vpcPrefix = parseCidr(args.cidr).prefix;
        const subnetPrefixLength = args.subnetPrefixLength ?? Math.min(vpcPrefix + 4, 28);
        if (
            !Number.isInteger(subnetPrefixLength) ||
            subnetPrefixLength < vpcPrefix ||
            subnetPrefixLength > 28
        ) {
            throw new Error(
                `\`subnetPrefixLength\` must be an integer from ${vpcPrefix} to 28, got ${subnetPrefixLength}.`,
            );
        }
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        const child = { parent: this };

        // One private subnet, one route table with only the local route plus
        // the peering route and the S3 endpoint's prefix-list route added
        // below: the absence of a 0.0.0.0/0 route is the point of the
        // simulation, so the endpoints are the only way to ECR.
        const network = new PrivateNetwork(
            `${name}-net`,
            {
                cidr: args.cidr,
                availabilityZones: [az],
                // The subnet was named after the region table's first zone before v0.2.
                previousZoneNames: [availabilityZones(region)[0]],
                subnetPrefixLength,
                region,
                tags: args.tags,
            },
            child,
        );
        const subnetId = network.privateSubnetIds[0];
        const routeTableId = network.privateRouteTableIds[0];

        // Cross-region peering: the requester lives in the cloud region and
        // cannot accept for the other region, so the accepter is its own
        // resource in the IDC region. Remote DNS resolution stays off: it only
        // maps the peer's public EC2 host names to private IPs; the ECR names
        // come from our private zones, and the endpoints' regional DNS names
        // (the CNAME targets) resolve publicly to their private IPs anyway.
        const peering = new aws.ec2.VpcPeeringConnection(
            `${name}-peering`,
            {
                vpcId: cloud.vpcId,
                peerVpcId: network.vpcId,
                peerRegion: region,
                autoAccept: false,
                region: cloud.region,
                tags: tags("peering"),
            },
            child,
        );
        const accepter = new aws.ec2.VpcPeeringConnectionAccepter(
            `${name}-peering-accepter`,
            { vpcPeeringConnectionId: peering.id, autoAccept: true, region, tags: tags("peering") },
            child,
        );
        // Routes use the accepter's ID so they are created once the connection is active.
        cloud.privateRouteTableIds.forEach((rt, i) => {
            new aws.ec2.Route(
                `${name}-cloud-to-idc-${i}`,
                {
                    routeTableId: rt,
                    destinationCidrBlock: args.cidr,
                    vpcPeeringConnectionId: accepter.id,
                    region: cloud.region,
                },
                child,
            );
        });
        new aws.ec2.Route(
            `${name}-idc-to-cloud`,
            {
                routeTableId,
                destinationCidrBlock: cloud.cidr,
                vpcPeeringConnectionId: accepter.id,
                region,
            },
            child,
        );

        // The IDC has no internet, and AL2023 serves its dnf repositories from
        // an S3 bucket in each region: a (free) S3 gateway endpoint whose
        // policy allows that bucket only lets user data install Docker without
        // giving the IDC any other way out. Image layers (another bucket, in
        // the cloud region) stay unreachable, so pushes still take the ECR
        // endpoints. A real data centre uses its own package mirror instead.
        const packages = new aws.ec2.VpcEndpoint(
            `${name}-al2023-repos`,
            {
                vpcId: network.vpcId,
                serviceName: `com.amazonaws.${region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: [routeTableId],
                policy: JSON.stringify(al2023RepoEndpointPolicy(region)),
                region,
                tags: { ...tags("al2023-repos"), "ecr-private-access:purpose": "os-packages" },
            },
            child,
        );

        // Security groups. Cross-region peering allows no security group
        // references, so the host reaches the endpoints by the cloud CIDR.
        // No DNS rule: security groups do not filter the Amazon-provided
        // resolver (VPC base + 2), which answers from the private zones.
        const hostSg = new aws.ec2.SecurityGroup(
            `${name}-host`,
            {
                vpcId: network.vpcId,
                description: "Simulated IDC developer host",
                region,
                tags: tags("host"),
            },
            child,
        );
        const eiceSg = new aws.ec2.SecurityGroup(
            `${name}-eice`,
            {
                vpcId: network.vpcId,
                description: "Simulated IDC EC2 Instance Connect Endpoint",
                region,
                tags: tags("eice"),
            },
            child,
        );
        const toEndpoints = new aws.vpc.SecurityGroupEgressRule(
            `${name}-host-to-endpoints`,
            {
                securityGroupId: hostSg.id,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: cloud.cidr,
                description:
                    "HTTPS to the ECR interface endpoints in the cloud VPC, over the peering",
                region,
            },
            child,
        );
        const toPackages = new aws.vpc.SecurityGroupEgressRule(
            `${name}-host-to-al2023-repos`,
            {
                securityGroupId: hostSg.id,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                prefixListId: packages.prefixListId,
                description:
                    "HTTPS to S3 through the gateway endpoint (AL2023 package repositories only)",
                region,
            },
            child,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-host-ssh-from-eice`,
            {
                securityGroupId: hostSg.id,
                ipProtocol: "tcp",
                fromPort: 22,
                toPort: 22,
                referencedSecurityGroupId: eiceSg.id,
                description: "SSH from the EC2 Instance Connect Endpoint only",
                region,
            },
            child,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-eice-ssh-to-host`,
            {
                securityGroupId: eiceSg.id,
                ipProtocol: "tcp",
                fromPort: 22,
                toPort: 22,
                referencedSecurityGroupId: hostSg.id,
                description: "SSH to the developer host only",
                region,
            },
            child,
        );

        // IAM is global: no region on the role, policy or profile.
        const role = new aws.iam.Role(
            `${name}-host`,
            {
                assumeRolePolicy: JSON.stringify(ec2TrustPolicy()),
                description: "Simulated IDC developer host: push to the stack's ECR repositories",
                tags: tags("host"),
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-host-ecr`,
            {
                role: role.name,
                policy: pulumi
                    .all(args.repositoryArns)
                    .apply((arns) => JSON.stringify(hostEcrPolicy(arns, cacheRepositories))),
            },
            child,
        );
        const profile = new aws.iam.InstanceProfile(
            `${name}-host`,
            { role: role.name, tags: tags("host") },
            child,
        );

        const ami =
            args.amiId !== undefined
                ? pulumi.output(args.amiId)
                : aws.ec2.getAmiOutput(
                      {
                          owners: ["amazon"],
                          mostRecent: true,
                          // The standard image: it has the AWS CLI and ec2-instance-connect
                          // (the minimal image, "al2023-ami-minimal-*", has neither).
                          filters: [
                              { name: "name", values: ["al2023-ami-2023.*-x86_64"] },
                              { name: "architecture", values: ["x86_64"] },
                              { name: "state", values: ["available"] },
                          ],
                          region,
                      },
                      child,
                  ).id;

        const host = new aws.ec2.Instance(
            `${name}-host`,
            {
                ami,
                instanceType: args.instanceType ?? "t3.micro",
                subnetId,
                availabilityZone: az,
                vpcSecurityGroupIds: [hostSg.id],
                associatePublicIpAddress: false,
                iamInstanceProfile: profile.name,
                userData: hostUserData(),
                // User data runs at first boot only; a new script needs a new host.
                userDataReplaceOnChange: true,
                metadataOptions: {
                    httpEndpoint: "enabled",
                    httpTokens: "required",
                    // 1: docker login runs on the host itself; containers (one
                    // hop further) cannot fetch the host's push credentials.
                    httpPutResponseHopLimit: 1,
                },
                rootBlockDevice: { encrypted: true, volumeType: "gp3", deleteOnTermination: true },
                region,
                tags: tags("host"),
            },
            {
                parent: this,
                // User data runs dnf at first boot: the endpoint's route and
                // the egress rules must exist before the host starts.
                dependsOn: [packages, toPackages, toEndpoints],
                // Without a pinned AMI, a newer image must not replace the host.
                ignoreChanges: args.amiId === undefined ? ["ami"] : [],
            },
        );

        const eice = new aws.ec2transitgateway.InstanceConnectEndpoint(
            `${name}-eice`,
            {
                subnetId,
                securityGroupIds: [eiceSg.id],
                preserveClientIp: false,
                region,
                tags: tags("eice"),
            },
            child,
        );

        const target = pulumi
            .all([pushArn, pulumi.all(args.repositoryArns)])
            .apply(([arn, all]) => checkPushRepository(arn, cloud.region, all));

        this.vpcId = network.vpcId;
        this.region = region;
        this.cidr = args.cidr;
        this.subnetId = subnetId;
        this.routeTableId = routeTableId;
        this.peeringConnectionId = accepter.id;
        this.amiId = host.ami;
        this.hostInstanceId = host.id;
        this.hostPrivateIp = host.privateIp;
        this.hostRoleArn = role.arn;
        this.instanceConnectEndpointId = eice.id;
        this.connectCommand = host.id.apply((id) => connectCommand(id, region));
        this.registry = target.registry;
        this.pushCommands = target.apply((t) =>
            pushCommands({ registry: t.registry, region: cloud.region, repository: t.repository }),
        );
        this.doctorCommand = target.registry.apply((r) =>
            doctorCommand(r, { allowAlias: args.dnsLayout === "exact" }),
        );
        const cacheImage = args.pullThroughCache?.image;
        if (cacheImage !== undefined) {
            this.cachePullCommands = target.registry.apply((r) =>
                cachePullCommands(r, cloud.region, cacheImage),
            );
            this.cacheDoctorCommand = target.registry.apply((r) =>
                doctorCommand(r, {
                    allowAlias: args.dnsLayout === "exact",
                    cachedImage: cacheImage,
                }),
            );
        }
        this.registerOutputs({
            vpcId: this.vpcId,
            subnetId: this.subnetId,
            routeTableId: this.routeTableId,
            peeringConnectionId: this.peeringConnectionId,
            hostInstanceId: this.hostInstanceId,
            instanceConnectEndpointId: this.instanceConnectEndpointId,
            connectCommand: this.connectCommand,
            registry: this.registry,
            pushCommands: this.pushCommands,
            doctorCommand: this.doctorCommand,
            cachePullCommands: this.cachePullCommands,
            cacheDoctorCommand: this.cacheDoctorCommand,
        });
    }
}
