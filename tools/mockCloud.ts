import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { contextDigest } from "../src/images/context";
import * as bcrypt from "bcryptjs";
import { availabilityZones } from "../src/regions";

/**
 * A mock AWS that answers the way AWS would: IDs in each service's format,
 * ARNs that carry the stack's account and the resource's region, interface
 * endpoint DNS entries in the real `vpce-<id>-<rand>.<service>.<region>.vpce.amazonaws.com`
 * form. IDs are derived from the stack and resource name, so the same program
 * always plans the same IDs (plans diff cleanly in pull requests).
 */
export interface MockCloudOptions {
    account: string;
    region: string;
    stack: string;
    /** Outputs of other stacks, by fully qualified name or by bare stack name. */
    stackOutputs?: Record<string, Record<string, unknown>>;
    /**
     * Zones where an interface endpoint service (`ecr.dkr`) or an instance
     * type (`t3.micro`) is offered; unlisted ones are offered in every zone.
     */
    offerings?: Record<string, string[]>;
    /** The program's directory, against which image build contexts are resolved. */
    projectDir?: string;
    /**
     * Images not pushed yet, as `<repository>:<tag>`: `aws.ecr.getImage`
     * answers ImageNotFoundException for them (every other image exists).
     */
    missingImages?: string[];
    /**
     * Sees every resource registration with its inputs as the provider gets
     * them, secrets in the clear (tests use it to read a secret's value the way
     * the cloud would store it; the plan never records it).
     */
    onResource?: (args: pulumi.runtime.MockResourceArgs) => void;
}

/** The options a caller may add to the stack's own (account, region, stack, references). */
export type MockCloudExtras = Omit<
    MockCloudOptions,
    "account" | "region" | "stack" | "stackOutputs"
>;

export function mockCloud(opts: MockCloudOptions): pulumi.runtime.Mocks {
    const { account } = opts;
    const hex = (seed: string, length = 17) =>
        createHash("sha256").update(`${opts.stack}/${seed}`).digest("hex").slice(0, length);
    const alnum = (seed: string, length = 8) =>
        BigInt(`0x${hex(seed, 24)}`)
            .toString(36)
            .padStart(length, "0")
            .slice(0, length);

    // Subnet CIDRs by the IDs answered, so addresses placed in a subnet lie inside it.
    const subnetCidrs = new Map<string, string>();

    return {
        call(args) {
            const region = (args.inputs.region as string | undefined) ?? opts.region;
            switch (args.token) {
                case "aws:index/getRegion:getRegion":
                    return {
                        region,
                        name: region,
                        id: region,
                        endpoint: `ec2.${region}.amazonaws.com`,
                        description: region,
                    };
                case "aws:index/getCallerIdentity:getCallerIdentity":
                    return {
                        accountId: account,
                        arn: `arn:aws:iam::${account}:user/planner`,
                        userId: "AIDAPLANNER",
                        id: account,
                    };
                case "aws:index/getAvailabilityZones:getAvailabilityZones": {
                    const names = availabilityZones(region);
                    return {
                        region,
                        names,
                        zoneIds: names.map(
                            (_, i) => `${region.replace(/-/g, "").slice(0, 6)}-az${i + 1}`,
                        ),
                        id: region,
                    };
                }
                case "aws:ec2/getVpcEndpointService:getVpcEndpointService": {
                    const service = String(args.inputs.service ?? "");
                    return {
                        id: `com.amazonaws.${region}.${service}`,
                        service,
                        serviceName: `com.amazonaws.${region}.${service}`,
                        serviceType: args.inputs.serviceType ?? "Interface",
                        availabilityZones: opts.offerings?.[service] ?? availabilityZones(region),
                        privateDnsName: `${service}.${region}.amazonaws.com`,
                    };
                }
                case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": {
                    const filter = (args.inputs.filters as { values: string[] }[] | undefined)?.[0];
                    const type = filter?.values?.[0] ?? "";
                    return {
                        id: region,
                        instanceTypes: [type],
                        locationTypes: ["availability-zone"],
                        locations: opts.offerings?.[type] ?? availabilityZones(region),
                    };
                }
                case "aws:index/getPartition:getPartition":
                    return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
                case "aws:ec2/getAmi:getAmi":
                    return {
                        id: `ami-${hex(`ami/${region}`)}`,
                        imageId: `ami-${hex(`ami/${region}`)}`,
                        name: "al2023-ami-2023.9.20251117.1-kernel-6.1-x86_64",
                        architecture: "x86_64",
                    };
                case "aws:ecr/getImage:getImage": {
                    const { registryId, repositoryName, imageTag, imageDigest } = args.inputs;
                    const tag = imageTag as string | undefined;
                    if (tag && opts.missingImages?.includes(`${repositoryName}:${tag}`)) {
                        // ECR's own wording (DescribeImages). The SDK reads a failed
                        // invoke's text from the gRPC error's `details`.
                        const text = `ImageNotFoundException: The image with imageId {imageDigest:'null', imageTag:'${tag}'} does not exist within the repository with name '${repositoryName}' in the registry with id '${registryId ?? account}'`;
                        throw Object.assign(new Error(text), { details: text });
                    }
                    const digest =
                        (imageDigest as string | undefined) ??
                        `sha256:${hex(`image/${repositoryName}:${tag}`, 64)}`;
                    return {
                        id: digest,
                        imageDigest: digest,
                        imageTags: tag ? [tag] : [],
                        imagePushedAt: 1767225600,
                        imageSizeInBytes: 7340032,
                        registryId: registryId ?? account,
                        repositoryName,
                        region,
                    };
                }
                case "aws:route53/getZone:getZone": {
                    const name = String(args.inputs.name ?? "").replace(/\.$/, "");
                    return {
                        id: `Z${hex(`public-zone/${name}`, 20).toUpperCase()}`,
                        zoneId: `Z${hex(`public-zone/${name}`, 20).toUpperCase()}`,
                        name,
                        privateZone: false,
                    };
                }
                case "aws:ec2/getPrefixList:getPrefixList":
                case "aws:ec2/getManagedPrefixList:getManagedPrefixList":
                    return { id: `pl-${hex(`pl/${region}`, 8)}`, name: args.inputs.name };
                default:
                    return { ...args.inputs };
            }
        },

        newResource(args) {
            opts.onResource?.(args);
            const inputs = args.inputs as Record<string, any>;
            const region: string = inputs.region ?? opts.region;
            const arn = (service: string, resource: string, r: string | null = region) =>
                `arn:aws:${service}:${r ?? ""}:${account}:${resource}`;
            const id = (prefix: string) => `${prefix}-${hex(`${args.type}/${args.name}`)}`;
            const done = (resourceId: string, state: Record<string, unknown>) => ({
                id: resourceId,
                state: { ...inputs, ...state, region: inputs.region ?? region },
            });

            if (args.type === "pulumi:pulumi:StackReference") {
                const name = inputs.name as string;
                const outputs =
                    opts.stackOutputs?.[name] ?? opts.stackOutputs?.[name.split("/").pop() ?? ""];
                if (!outputs) {
                    throw new Error(
                        `stack reference ${name}: no outputs known for that stack (plan it first)`,
                    );
                }
                return { id: name, state: { name, outputs, secretOutputNames: [] } };
            }
            if (args.type === "awsx:ecr:Image") {
                // The digest of the build context stands in for the pushed
                // image's: the same context plans the same digest, and a
                // changed Dockerfile changes the plan.
                const dir = path.resolve(opts.projectDir ?? process.cwd());
                const context = path.resolve(dir, String(inputs.context ?? "."));
                const digest = contextDigest({
                    context,
                    dockerfile: path.relative(
                        context,
                        path.resolve(
                            dir,
                            String(inputs.dockerfile ?? path.join(context, "Dockerfile")),
                        ),
                    ),
                    platform: String(inputs.platform ?? "linux/amd64"),
                    args: (inputs.args as Record<string, string> | undefined) ?? {},
                });
                return {
                    id: undefined,
                    state: { ...inputs, imageUri: `${inputs.repositoryUrl}@sha256:${digest}` },
                };
            }
            if (!args.custom) {
                return { id: undefined, state: inputs };
            }

            const handler = HANDLERS[args.type];
            if (handler) {
                return handler({ name: args.name, inputs, region, account, hex, alnum, done });
            }

            switch (args.type) {
                case "aws:ec2/vpc:Vpc": {
                    const vpc = id("vpc");
                    return done(vpc, {
                        arn: arn("ec2", `vpc/${vpc}`),
                        defaultRouteTableId: id("rtb"),
                        mainRouteTableId: id("rtb"),
                        defaultSecurityGroupId: id("sg"),
                        ownerId: account,
                    });
                }
                case "aws:ec2/subnet:Subnet": {
                    const subnet = id("subnet");
                    if (typeof inputs.cidrBlock === "string")
                        subnetCidrs.set(subnet, inputs.cidrBlock);
                    return done(subnet, { arn: arn("ec2", `subnet/${subnet}`), ownerId: account });
                }
                case "aws:ec2/routeTable:RouteTable":
                    return done(id("rtb"), {
                        arn: arn("ec2", `route-table/${id("rtb")}`),
                        ownerId: account,
                    });
                case "aws:ec2/internetGateway:InternetGateway":
                    return done(id("igw"), { arn: arn("ec2", `internet-gateway/${id("igw")}`) });
                case "aws:ec2/route:Route":
                    return done(`r-${inputs.routeTableId}${inputs.destinationCidrBlock}`, {});
                case "aws:ec2/routeTableAssociation:RouteTableAssociation":
                    return done(id("rtbassoc"), {});
                case "aws:ec2/securityGroup:SecurityGroup":
                    return done(id("sg"), {
                        arn: arn("ec2", `security-group/${id("sg")}`),
                        ownerId: account,
                    });
                case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
                case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
                    return done(id("sgr"), {
                        arn: arn("ec2", `security-group-rule/${id("sgr")}`),
                        securityGroupRuleId: id("sgr"),
                    });
                case "aws:ec2/vpcEndpoint:VpcEndpoint": {
                    const vpce = id("vpce");
                    const service = String(inputs.serviceName ?? "");
                    const state: Record<string, unknown> = {
                        arn: arn("ec2", `vpc-endpoint/${vpce}`),
                        ownerId: account,
                        state: "available",
                    };
                    if (inputs.vpcEndpointType === "Gateway") {
                        state.prefixListId = `pl-${hex(`pl/${region}/${service}`, 8)}`;
                        state.dnsEntries = [];
                    } else {
                        const host = endpointHostSuffix(service, region);
                        const rand = alnum(`${args.name}/rand`);
                        const zoneId = `Z${hex(`vpce-zone/${region}`, 13).toUpperCase()}`;
                        const azs = (inputs.subnetIds as string[] | undefined) ?? [];
                        const zones = availabilityZones(region).slice(0, Math.max(azs.length, 1));
                        // S3's interface endpoint names are wildcards: any bucket
                        // label in front of `vpce-<id>-<rand>.s3.<region>...` resolves.
                        const star = service === `com.amazonaws.${region}.s3` ? "*." : "";
                        state.dnsEntries = [
                            { dnsName: `${star}${vpce}-${rand}.${host}`, hostedZoneId: zoneId },
                            ...zones.map((az) => ({
                                dnsName: `${star}${vpce}-${rand}-${az}.${host}`,
                                hostedZoneId: zoneId,
                            })),
                        ];
                        state.networkInterfaceIds = azs.map((s) => `eni-${hex(`${vpce}/${s}`)}`);
                    }
                    return done(vpce, state);
                }
                case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
                    return done(id("pcx"), {
                        acceptStatus: "pending-acceptance",
                        peerOwnerId: account,
                    });
                case "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
                    return done(String(inputs.vpcPeeringConnectionId), { acceptStatus: "active" });
                case "aws:ec2/instance:Instance": {
                    const instance = id("i");
                    return done(instance, {
                        arn: arn("ec2", `instance/${instance}`),
                        privateIp: "10.255.0.10",
                        privateDns: `ip-10-255-0-10.${region}.compute.internal`,
                        publicIp: "",
                    });
                }
                case "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint": {
                    const eice = id("eice");
                    return done(eice, {
                        arn: arn("ec2", `instance-connect-endpoint/${eice}`),
                        dnsName: `${eice}.${hex("eice-dns", 8)}.ec2-instance-connect-endpoint.${region}.amazonaws.com`,
                        networkInterfaceIds: [`eni-${hex(`${eice}/eni`)}`],
                    });
                }
                case "aws:route53/zone:Zone": {
                    const zoneId = `Z${hex(`zone/${args.name}`, 20).toUpperCase()}`;
                    return done(zoneId, {
                        zoneId,
                        arn: `arn:aws:route53:::hostedzone/${zoneId}`,
                        nameServers: ["ns-0.awsdns-00.com.", "ns-512.awsdns-00.net."],
                        primaryNameServer: "ns-0.awsdns-00.com.",
                    });
                }
                case "aws:route53/record:Record": {
                    const name = String(inputs.name ?? "");
                    return done(`${inputs.zoneId}_${name}_${inputs.type}`, {
                        fqdn: name.replace(/\.$/, ""),
                    });
                }
                case "aws:route53/resolverEndpoint:ResolverEndpoint": {
                    const rid = `rslvr-in-${hex(args.name, 17)}`;
                    const ips = (
                        (inputs.ipAddresses as { subnetId: string }[] | undefined) ?? []
                    ).map((a: { subnetId: string; ip?: string }, i) => ({
                        ...a,
                        // An address inside its own subnet, as AWS assigns it.
                        ip: a.ip ?? addressInSubnet(subnetCidrs.get(a.subnetId), 10 + i),
                        ipId: `rni-${hex(`${rid}/${i}`)}`,
                    }));
                    return done(rid, {
                        arn: arn("route53resolver", `resolver-endpoint/${rid}`),
                        hostVpcId: id("vpc"),
                        ipAddresses: ips,
                    });
                }
                case "aws:ecr/repository:Repository": {
                    const name = String(inputs.name ?? args.name);
                    return done(name, {
                        arn: arn("ecr", `repository/${name}`),
                        registryId: account,
                        repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${name}`,
                    });
                }
                case "aws:s3/bucket:Bucket": {
                    // Auto-named as the provider does: the logical name and a random suffix.
                    const name = String(inputs.bucket ?? `${args.name}-${hex(args.name, 7)}`);
                    return done(name, {
                        bucket: name,
                        arn: `arn:aws:s3:::${name}`,
                        bucketRegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
                    });
                }
                case "aws:acm/certificate:Certificate": {
                    const certArn = arn(
                        "acm",
                        `certificate/${hex(args.name, 8)}-${hex(`${args.name}/2`, 4)}-${hex(`${args.name}/3`, 4)}-${hex(`${args.name}/4`, 4)}-${hex(`${args.name}/5`, 12)}`,
                    );
                    const domain = String(inputs.domainName);
                    return done(certArn, {
                        arn: certArn,
                        status: "PENDING_VALIDATION",
                        domainValidationOptions: [
                            {
                                domainName: domain,
                                resourceRecordName: `_${hex(`dv/${domain}`, 32)}.${domain}.`,
                                resourceRecordType: "CNAME",
                                resourceRecordValue: `_${hex(`dv-value/${domain}`, 32)}.${alnum(domain, 10)}.acm-validations.aws.`,
                            },
                        ],
                    });
                }
                case "aws:acm/certificateValidation:CertificateValidation":
                    return done(String(inputs.certificateArn), {});
                case "aws:ecr/repositoryPolicy:RepositoryPolicy":
                case "aws:ecr/lifecyclePolicy:LifecyclePolicy":
                    return done(String(inputs.repository), { registryId: account });
                case "aws:iam/role:Role":
                case "aws:iam/group:Group":
                case "aws:iam/user:User":
                case "aws:iam/instanceProfile:InstanceProfile": {
                    const kind = args.type.split(":").pop()!;
                    const iamType = {
                        Role: "role",
                        Group: "group",
                        User: "user",
                        InstanceProfile: "instance-profile",
                    }[kind]!;
                    const name = String(inputs.name ?? `${args.name}-${hex(args.name, 7)}`);
                    const path = String(inputs.path ?? "/");
                    return done(name, {
                        name,
                        arn: `arn:aws:iam::${account}:${iamType}${path}${name}`,
                        uniqueId: `AROA${hex(args.name, 17).toUpperCase()}`,
                    });
                }
                case "aws:iam/policy:Policy": {
                    const name = String(inputs.name ?? `${args.name}-${hex(args.name, 7)}`);
                    return done(`arn:aws:iam::${account}:policy/${name}`, {
                        name,
                        arn: `arn:aws:iam::${account}:policy/${name}`,
                    });
                }
                case "aws:ecs/cluster:Cluster": {
                    const name = String(inputs.name ?? `${args.name}-${hex(args.name, 7)}`);
                    const clusterArn = arn("ecs", `cluster/${name}`);
                    return done(clusterArn, { name, arn: clusterArn });
                }
                case "aws:ecs/taskDefinition:TaskDefinition": {
                    const family = String(inputs.family ?? args.name);
                    return done(family, {
                        arn: arn("ecs", `task-definition/${family}:1`),
                        revision: 1,
                    });
                }
                case "aws:ecs/service:Service": {
                    const name = String(inputs.name ?? `${args.name}-${hex(args.name, 7)}`);
                    return done(arn("ecs", `service/${name}`), { name });
                }
                case "aws:lb/loadBalancer:LoadBalancer": {
                    const name = String(
                        inputs.name ?? `${args.name}`.slice(0, 24) + `-${hex(args.name, 7)}`,
                    );
                    const kind = inputs.loadBalancerType === "network" ? "net" : "app";
                    const lbArn = arn(
                        "elasticloadbalancing",
                        `loadbalancer/${kind}/${name}/${hex(args.name, 16)}`,
                    );
                    return done(lbArn, {
                        name,
                        arn: lbArn,
                        // Internal load balancers' names start with `internal-`.
                        dnsName: `${inputs.internal ? "internal-" : ""}${name}-${parseInt(hex(args.name, 8), 16)}.${region}.elb.amazonaws.com`,
                        zoneId: "Z35SXDOTRQ7X7K",
                    });
                }
                case "aws:lb/targetGroup:TargetGroup": {
                    const name = String(
                        inputs.name ?? `${args.name}`.slice(0, 24) + `-${hex(args.name, 7)}`,
                    );
                    const tgArn = arn(
                        "elasticloadbalancing",
                        `targetgroup/${name}/${hex(args.name, 16)}`,
                    );
                    return done(tgArn, {
                        name,
                        arn: tgArn,
                        arnSuffix: `targetgroup/${name}/${hex(args.name, 16)}`,
                    });
                }
                case "aws:lb/listener:Listener": {
                    const lArn = arn(
                        "elasticloadbalancing",
                        `listener/app/${args.name}/${hex(args.name, 16)}`,
                    );
                    return done(lArn, { arn: lArn });
                }
                case "aws:cloudwatch/logGroup:LogGroup": {
                    const name = String(inputs.name ?? `${args.name}-${hex(args.name, 7)}`);
                    return done(name, { name, arn: arn("logs", `log-group:${name}`) });
                }
                case "aws:secretsmanager/secret:Secret": {
                    const name = String(inputs.name ?? `${args.name}-${hex(args.name, 7)}`);
                    const sArn = arn("secretsmanager", `secret:${name}-${alnum(args.name, 6)}`);
                    return done(sArn, { name, arn: sArn });
                }
                case "aws:secretsmanager/secretVersion:SecretVersion":
                    return done(`${inputs.secretId}|${hex(args.name, 32)}`, {
                        versionId: hex(args.name, 32),
                        arn: inputs.secretId,
                    });
                default: {
                    const generic = id(args.type.split(":").pop()!.toLowerCase().slice(0, 8));
                    return done(generic, {
                        arn: arn(args.type.split(":")[1]?.split("/")[0] ?? "aws", generic),
                    });
                }
            }
        },
    };
}

interface HandlerContext {
    name: string;
    inputs: Record<string, any>;
    region: string;
    account: string;
    hex: (seed: string, length?: number) => string;
    alnum: (seed: string, length?: number) => string;
    done: (
        id: string,
        state: Record<string, unknown>,
    ) => { id: string; state: Record<string, unknown> };
}

/** Per-type answers, one small function each (newer types; the switch above holds the rest). */
const HANDLERS: Record<
    string,
    (c: HandlerContext) => { id: string | undefined; state: Record<string, unknown> }
> = {
    // Not a real secret: the plan never holds a usable password. The hash is a
    // real bcrypt hash of that result in the provider's `$2a$` form, at cost 4
    // rather than the provider's 10 (Go's bcrypt.DefaultCost): 10 takes about
    // 150 ms per hash in plain JavaScript, on every plan. The salt comes from the
    // resource name, so plans stay reproducible; tests check it with `htpasswd -vb`.
    "random:index/randomPassword:RandomPassword": ({ name, inputs, hex }) => {
        const result = `plan-only-${hex(name, 16)}`;
        return {
            id: "none",
            state: {
                ...inputs,
                result,
                bcryptHash: bcrypt.hashSync(result, bcryptSalt(hex(`salt/${name}`, 44))),
            },
        };
    },
    "aws:s3/bucket:Bucket": ({ name, inputs, region, hex, done }) => {
        const bucket = String(inputs.bucket ?? `${name}-${hex(name, 7)}`);
        return done(bucket, {
            bucket,
            arn: `arn:aws:s3:::${bucket}`,
            bucketDomainName: `${bucket}.s3.amazonaws.com`,
            bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
            hostedZoneId: "Z3AQBSTGFYJSTF",
        });
    },
    "aws:s3/bucketPolicy:BucketPolicy": ({ inputs, done }) => done(String(inputs.bucket), {}),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ({ inputs, done }) =>
        done(String(inputs.bucket), {}),
    "aws:appautoscaling/target:Target": ({ inputs, region, account, hex, done }) =>
        done(String(inputs.resourceId), {
            arn: `arn:aws:application-autoscaling:${region}:${account}:scalable-target/${hex(String(inputs.resourceId), 24)}`,
        }),
    "aws:appautoscaling/policy:Policy": ({ name, inputs, region, account, hex, done }) => {
        const policyName = String(inputs.name ?? `${name}-${hex(name, 7)}`);
        return done(policyName, {
            name: policyName,
            arn: `arn:aws:autoscaling:${region}:${account}:scalingPolicy:${hex(name, 8)}:resource/${String(inputs.serviceNamespace)}/${String(inputs.resourceId)}:policyName/${policyName}`,
        });
    },
};

/** A bcrypt salt (`$2a$04$` + 22 characters of bcrypt's base64 alphabet) from hex digits. */
function bcryptSalt(hexDigits: string): string {
    const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let out = "";
    for (let i = 0; out.length < 22; i++) {
        out +=
            alphabet[
                parseInt(
                    hexDigits.slice((i * 2) % hexDigits.length, ((i * 2) % hexDigits.length) + 2),
                    16,
                ) % 64
            ];
    }
    // The 22nd character carries only 2 bits of salt: bcrypt implementations
    // normalise it, so use one of the four values every implementation keeps.
    return `$2a$04$${out.slice(0, 21)}${".Oeu"[parseInt(hexDigits.slice(0, 1), 16) % 4]}`;
}

/**
 * `com.amazonaws.<region>.ecr.dkr` -> `dkr.ecr.<region>.vpce.amazonaws.com`:
 * the service labels after the region, reversed, then the region.
 */
export function endpointHostSuffix(serviceName: string, region: string): string {
    const prefix = `com.amazonaws.${region}.`;
    const labels = serviceName.startsWith(prefix)
        ? serviceName.slice(prefix.length).split(".")
        : [serviceName];
    return `${labels.reverse().join(".")}.${region}.vpce.amazonaws.com`;
}

/**
 * The `offset`-th address of `cidr` (AWS reserves the first four and the last
 * one, so small offsets from 4 up are what it hands out). Without a known
 * CIDR (a subnet the program did not create), an address in 10.255.0.0/16.
 */
export function addressInSubnet(cidr: string | undefined, offset: number): string {
    const [base, bits] = (cidr ?? "10.255.0.0/16").split("/");
    const size = 2 ** (32 - Number(bits));
    if (offset < 4 || offset > size - 2) throw new Error(`offset ${offset} is outside ${cidr}`);
    const n = base.split(".").reduce((acc, o) => acc * 256 + Number(o), 0) + offset;
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
