import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { executionRolePolicy } from "../src/ecs/iam";
import {
    CONFIG_SECRET_KEYS,
    REGISTRY_PORT,
    registryConfig,
    registryContainerDefinition,
} from "../src/registry/distribution";
import { htpasswdFile } from "../src/registry/htpasswd";
import { assertSelfHostedRegistryArgs } from "../src/registry/args";
import { registryBucketPolicy, registryTaskRolePolicy } from "../src/registry/storage";
import { privateBucketSettings } from "./privateBucket";
import {
    ecsTaskRoles,
    fargateCluster,
    fargateService,
    fargateTaskDefinition,
    loadBalancerToTasks,
    privateTaskEgress,
    taskLogGroup,
} from "./fargate";

export interface SelfHostedRegistryArgs {
    /** VPC of the tasks and the load balancer. Warning: changing it replaces nearly everything. */
    vpcId: pulumi.Input<string>;
    /** The VPC's CIDR block: always allowed to reach the registry on 443. */
    vpcCidr: string;
    /**
     * Private subnets in two or more availability zones, one per zone. The
     * tasks and the internal load balancer's nodes live here; no route to the
     * internet is needed. Warning: changing them replaces the load balancer.
     */
    privateSubnetIds: pulumi.Input<string>[];
    /** Security group of the interface endpoints (ecr.api, ecr.dkr, logs, secretsmanager): the tasks' only 443 peer besides S3. */
    endpointSecurityGroupId: pulumi.Input<string>;
    /** Prefix list of the S3 gateway endpoint (`pl-...`), for the tasks' egress rule. */
    s3PrefixListId: pulumi.Input<string>;
    /** ID of the S3 gateway endpoint (`vpce-...`): the bucket admits the tasks only through it. */
    s3GatewayEndpointId: pulumi.Input<string>;
    /**
     * The name clients use (`docker login <hostName>`); the TLS certificate
     * must name it. Warning: changing it replaces the DNS record.
     */
    hostName: string;
    /**
     * The private hosted zone created for the host name and associated with
     * the VPC. Warning: changing it replaces the zone.
     * @default the host name's parent domain
     */
    zoneName?: string;
    /**
     * The distribution registry image, pinned by digest:
     * `<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>`,
     * in this stack's region (the tasks pull through the VPC's ECR
     * endpoints). Distribution 3.x: 2.x's S3 driver cannot use the task role.
     * Changing it rolls out a new task definition.
     */
    image: pulumi.Input<string>;
    /**
     * The image's repository is an ECR pull-through cache path: the
     * execution role may then also import the upstream image and create the
     * cached repository (ecr:BatchImportUpstreamImage, ecr:CreateRepository
     * on that repository only).
     * @default false
     */
    pullThroughCache?: boolean;
    /**
     * htpasswd users. Each gets a password generated with @pulumi/random;
     * only its bcrypt hash reaches the registry (through Secrets Manager).
     * Warning: removing a user deletes their password; renaming one makes a
     * new password.
     */
    users: string[];
    /**
     * Length of each generated password (alphanumeric; bcrypt reads 72 bytes at most).
     * Warning: changing it generates new passwords.
     * @default 32
     */
    passwordLength?: number;
    /**
     * A Secrets Manager secret (this region) holding JSON
     * `{"certificate": "<PEM chain>", "privateKey": "<PEM key>"}` for the
     * registry's TLS. Created outside the stack (a private CA's certificate
     * for `hostName`). ECS reads it when a task starts.
     */
    certificateSecretArn: string;
    /**
     * The customer managed KMS key (key ARN, not an alias) the certificate
     * secret is encrypted with: the execution role may then decrypt with
     * exactly this key. Leave it out when the secret uses the AWS managed key
     * `aws/secretsmanager`, which needs no grant.
     * @default none
     */
    certificateSecretKmsKeyArn?: string;
    /**
     * Further client networks (on-premises, peered VPCs) allowed to reach the
     * registry on 443; never 0.0.0.0/0.
     * @default []
     */
    allowedCidrs?: string[];
    /**
     * Tasks kept running, and the autoscaling minimum; at least 2, spread over the zones.
     * @default 2
     */
    desiredCount?: number;
    /**
     * Autoscaling maximum.
     * @default 4
     */
    maxCount?: number;
    /**
     * Average CPU utilisation (percent) the target-tracking policy keeps.
     * @default 60
     */
    cpuTargetPercent?: number;
    /**
     * Task CPU units (a Fargate size).
     * @default 512
     */
    cpu?: number;
    /**
     * Task memory in MiB (must go with `cpu` on Fargate).
     * @default 1024
     */
    memory?: number;
    /**
     * Days CloudWatch Logs keeps the registry's logs.
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * Container Insights level of the cluster.
     * @default "enabled"
     */
    containerInsights?: "enabled" | "enhanced";
    /**
     * The S3 bucket's (globally unique) name. Warning: changing it creates a
     * new, empty bucket; the old one is kept (see `retainBucketOnDelete`).
     */
    bucketName: string;
    /**
     * Keep overwritten and deleted objects for `noncurrentVersionDays`: a
     * deleted tag or a bad garbage collection can then be undone. Blobs are
     * content-addressed and never overwritten, so the extra storage is the
     * small link and upload files.
     * @default true
     */
    versioning?: boolean;
    /**
     * Days noncurrent object versions are kept (with `versioning`).
     * @default 30
     */
    noncurrentVersionDays?: number;
    /**
     * Keep the bucket (and the images in it) in AWS when it leaves the
     * program: images are never deleted by a routine change.
     * @default true
     */
    retainBucketOnDelete?: boolean;
    /** Tags for every resource that takes them. */
    tags?: Record<string, string>;
}

/**
 * Seed 001's self-hosted registry, modernised: Docker's distribution
 * registry on Fargate in two or more private subnets (no public IP), behind
 * an internal Network Load Balancer that passes TLS through to the tasks,
 * storing images in a private, encrypted S3 bucket that admits only the task
 * role through the VPC's gateway endpoint. htpasswd users get generated
 * passwords whose bcrypt hashes reach the tasks through Secrets Manager; a
 * private hosted zone gives the registry its name.
 */
export class SelfHostedRegistry extends pulumi.ComponentResource {
    /** `https://<hostName>`. */
    public readonly url: string;
    public readonly hostName: string;
    public readonly zoneId: pulumi.Output<string>;
    public readonly nlbDnsName: pulumi.Output<string>;
    public readonly bucketName: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    /** ARN of the secret with the htpasswd file and the HTTP secret (the ARN, not the values). */
    public readonly configSecretArn: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly taskSecurityGroupId: pulumi.Output<string>;
    public readonly nlbSecurityGroupId: pulumi.Output<string>;
    /** The users, in order. */
    public readonly users: string[];
    /** Generated passwords by user: a secret Output. */
    public readonly passwords: pulumi.Output<Record<string, string>>;
    /** The htpasswd file the tasks receive: a secret Output. */
    public readonly htpasswd: pulumi.Output<string>;

    constructor(
        name: string,
        args: SelfHostedRegistryArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const desiredCount = args.desiredCount ?? 2;
        const maxCount = args.maxCount ?? 4;
        const cpu = args.cpu ?? 512;
        const memory = args.memory ?? 1024;
        const logRetentionDays = args.logRetentionDays ?? 30;
        const containerInsights = args.containerInsights ?? "enabled";
        const versioning = args.versioning ?? true;
        const noncurrentVersionDays = args.noncurrentVersionDays ?? 30;
        const passwordLength = args.passwordLength ?? 32;
        const cpuTargetPercent = args.cpuTargetPercent ?? 60;
        // Checked before the component registers: a bad argument leaves nothing half-built.
        assertSelfHostedRegistryArgs({
            subnetCount: args.privateSubnetIds.length,
            vpcCidr: args.vpcCidr,
            hostName: args.hostName,
            zoneName: args.zoneName,
            image: typeof args.image === "string" ? args.image : undefined,
            users: args.users,
            passwordLength,
            certificateSecretArn: args.certificateSecretArn,
            certificateSecretKmsKeyArn: args.certificateSecretKmsKeyArn,
            allowedCidrs: args.allowedCidrs ?? [],
            desiredCount,
            maxCount,
            cpuTargetPercent,
            cpu,
            memory,
            logRetentionDays,
            containerInsights,
            bucketName: args.bucketName,
            noncurrentVersionDays,
        });

        super("ecr-private-access:registry:SelfHostedRegistry", name, {}, opts);

        const child = { parent: this };
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        const zoneName = args.zoneName ?? args.hostName.slice(args.hostName.indexOf(".") + 1);
        const region = aws.getRegionOutput({}, child).region;
        const account = aws.getCallerIdentityOutput({}, child).accountId;
        const partition = aws.getPartitionOutput({}, child).partition;

        // ----- Storage

        const bucket = new aws.s3.Bucket(
            name,
            { bucket: args.bucketName, forceDestroy: false, tags: tags("storage") },
            { parent: this, retainOnDelete: args.retainBucketOnDelete ?? true },
        );
        const { publicAccess, ownership } = privateBucketSettings(name, bucket, this);
        const versioningResource =
            versioning &&
            new aws.s3.BucketVersioning(
                name,
                { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
                child,
            );
        new aws.s3.BucketLifecycleConfiguration(
            name,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "abort-incomplete-multipart-uploads",
                        status: "Enabled",
                        filter: { prefix: "" },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                    ...(versioning
                        ? [
                              {
                                  id: "expire-noncurrent-versions",
                                  status: "Enabled",
                                  filter: { prefix: "" },
                                  noncurrentVersionExpiration: {
                                      noncurrentDays: noncurrentVersionDays,
                                  },
                                  expiration: { expiredObjectDeleteMarker: true },
                              },
                          ]
                        : []),
                ],
            },
            // S3 rejects lifecycle rules on noncurrent versions while versioning is being set up.
            { parent: this, dependsOn: versioningResource ? [versioningResource] : [] },
        );

        // ----- Logs and cluster

        const logGroup = taskLogGroup(name, { retentionDays: logRetentionDays, tags }, this);
        const cluster = fargateCluster(name, { containerInsights, tags }, this);

        // ----- Users and secrets

        const passwords = args.users.map(
            (user) =>
                new random.RandomPassword(
                    `${name}-user-${user}`,
                    { length: passwordLength, special: false },
                    child,
                ),
        );
        const httpSecret = new random.RandomPassword(
            `${name}-http-secret`,
            { length: 48, special: false },
            child,
        );
        this.htpasswd = pulumi.secret(
            pulumi
                .all(passwords.map((p) => p.bcryptHash))
                .apply((hashes) =>
                    htpasswdFile(args.users.map((user, i) => ({ user, bcryptHash: hashes[i] }))),
                ),
        );
        const configSecret = new aws.secretsmanager.Secret(
            `${name}-config`,
            {
                description: `htpasswd file and HTTP secret of the ${name} registry (JSON keys ${CONFIG_SECRET_KEYS.htpasswd}, ${CONFIG_SECRET_KEYS.httpSecret})`,
                tags: tags("config"),
            },
            child,
        );
        const configVersion = new aws.secretsmanager.SecretVersion(
            `${name}-config`,
            {
                secretId: configSecret.id,
                secretString: pulumi.secret(
                    pulumi.all([this.htpasswd, httpSecret.result]).apply(([htpasswd, secret]) =>
                        JSON.stringify({
                            [CONFIG_SECRET_KEYS.htpasswd]: htpasswd,
                            [CONFIG_SECRET_KEYS.httpSecret]: secret,
                        }),
                    ),
                ),
            },
            child,
        );

        // ----- IAM

        // Exactly the image's repository, its own log streams and its two secrets.
        const image = pulumi.output(args.image);
        const { executionRole, taskRole } = ecsTaskRoles(
            name,
            {
                accountId: account,
                region,
                partition,
                executionDescription: `ECS pulls the registry image, writes its logs and reads its secrets for ${name}`,
                executionPolicy: pulumi
                    .all([image, logGroup.arn, configSecret.arn, partition])
                    .apply(([img, logGroupArn, configArn, p]) =>
                        JSON.stringify(
                            executionRolePolicy({
                                images: args.pullThroughCache ? [] : [img],
                                pullThroughCacheImages: args.pullThroughCache ? [img] : [],
                                logGroupArn,
                                secretArns: [configArn, args.certificateSecretArn],
                                secretKmsKeyArns: args.certificateSecretKmsKeyArn
                                    ? [args.certificateSecretKmsKeyArn]
                                    : [],
                                partition: p,
                            }),
                        ),
                    ),
                // This inline policy once held only the secret reads, under this name.
                executionPolicyAliases: [`${name}-execution-secrets`],
                taskDescription: `Runtime role of the ${name} registry: its S3 bucket only`,
                tags,
            },
            this,
        );
        new aws.iam.RolePolicy(
            `${name}-task-storage`,
            {
                role: taskRole.name,
                policy: pulumi
                    .all([bucket.bucket, partition])
                    .apply(([b, p]) => JSON.stringify(registryTaskRolePolicy(b, p))),
            },
            child,
        );
        new aws.s3.BucketPolicy(
            name,
            {
                bucket: bucket.id,
                policy: pulumi
                    .all([bucket.bucket, taskRole.arn, args.s3GatewayEndpointId, partition])
                    .apply(([b, roleArn, vpce, p]) =>
                        JSON.stringify(
                            registryBucketPolicy({
                                bucketName: b,
                                taskRoleArn: roleArn,
                                gatewayEndpointId: vpce,
                                partition: p,
                            }),
                        ),
                    ),
            },
            // S3 refuses a policy while the public access block is being applied.
            { parent: this, dependsOn: [publicAccess, ownership] },
        );

        // ----- Security groups (no inline rules: each rule is its own resource)

        const nlbSg = new aws.ec2.SecurityGroup(
            `${name}-nlb`,
            {
                vpcId: args.vpcId,
                description: `Internal load balancer of the ${name} registry`,
                tags: tags("nlb"),
            },
            child,
        );
        const taskSg = new aws.ec2.SecurityGroup(
            `${name}-tasks`,
            {
                vpcId: args.vpcId,
                description: `Tasks of the ${name} registry`,
                tags: tags("tasks"),
            },
            child,
        );
        const clientIngress = (suffix: string, cidr: string, description: string) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-nlb-in-${suffix}`,
                {
                    securityGroupId: nlbSg.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: cidr,
                    description,
                    tags: tags(`nlb-in-${suffix}`),
                },
                child,
            );
        clientIngress("vpc", args.vpcCidr, `Registry clients in the VPC (${args.vpcCidr})`);
        // Named by CIDR, not position: reordering the list replaces nothing.
        for (const cidr of args.allowedCidrs ?? []) {
            clientIngress(cidr.replace(/[./]/g, "-"), cidr, `Registry clients in ${cidr}`);
        }
        loadBalancerToTasks(
            name,
            {
                lb: "nlb",
                lbSecurityGroupId: nlbSg.id,
                taskSecurityGroupId: taskSg.id,
                port: REGISTRY_PORT,
                outDescription: "Connections and health checks to the registry tasks",
                inDescription: "The registry, from the load balancer only",
                tags,
            },
            this,
        );
        privateTaskEgress(
            name,
            {
                taskSecurityGroupId: taskSg.id,
                endpointSecurityGroupId: args.endpointSecurityGroupId,
                s3PrefixListId: args.s3PrefixListId,
                s3Description:
                    "HTTPS to S3 through the gateway endpoint (image layers and registry storage)",
                tags,
            },
            this,
        );

        // ----- Load balancer: TCP pass-through, TLS ends in the tasks

        const nlb = new aws.lb.LoadBalancer(
            name,
            {
                loadBalancerType: "network",
                internal: true,
                ipAddressType: "ipv4",
                subnets: args.privateSubnetIds,
                // Security groups can only be given to an NLB when it is created.
                securityGroups: [nlbSg.id],
                enableCrossZoneLoadBalancing: true,
                tags: tags("nlb"),
            },
            child,
        );
        const targetGroup = new aws.lb.TargetGroup(
            name,
            {
                vpcId: args.vpcId,
                targetType: "ip",
                protocol: "TCP",
                port: REGISTRY_PORT,
                // Long uploads get a minute to finish when a task leaves.
                deregistrationDelay: 60,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTPS",
                    port: "traffic-port",
                    path: "/v2/",
                    // A healthy registry with htpasswd auth answers /v2/ with 401;
                    // 503 means its storage is unreachable. NLBs accept 200-599 here.
                    matcher: "401",
                    interval: 10,
                    timeout: 6,
                    healthyThreshold: 2,
                    unhealthyThreshold: 2,
                },
                tags: tags("tg"),
            },
            child,
        );
        const listener = new aws.lb.Listener(
            `${name}-443`,
            {
                loadBalancerArn: nlb.arn,
                port: 443,
                protocol: "TCP",
                defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
                tags: tags("443"),
            },
            child,
        );

        // ----- Task definition and service

        const taskDefinition = fargateTaskDefinition(
            name,
            {
                cpu,
                memory,
                executionRole,
                taskRole,
                containerDefinitions: pulumi
                    .all([image, configSecret.arn, logGroup.name, region, bucket.bucket])
                    .apply(([image, configArn, logGroupName, r, b]) =>
                        JSON.stringify([
                            registryContainerDefinition({
                                image,
                                config: registryConfig({
                                    hostName: args.hostName,
                                    bucket: b,
                                    region: r,
                                }),
                                configSecretArn: configArn,
                                tlsSecretArn: args.certificateSecretArn,
                                logGroupName,
                                region: r,
                            }),
                        ]),
                    ),
                tags,
            },
            this,
        );
        const service = fargateService(
            name,
            {
                cluster,
                taskDefinition,
                desiredCount,
                subnets: args.privateSubnetIds,
                securityGroupId: taskSg.id,
                assignPublicIp: false,
                loadBalancer: {
                    targetGroupArn: targetGroup.arn,
                    containerName: "registry",
                    containerPort: REGISTRY_PORT,
                },
                // A new htpasswd rolls the tasks.
                triggers: { configVersion: configVersion.versionId },
                extra: { availabilityZoneRebalancing: "ENABLED" },
                tags,
            },
            {
                parent: this,
                dependsOn: [listener],
                // Autoscaling owns the running count after creation.
                ignoreChanges: ["desiredCount"],
            },
        );

        // ----- Autoscaling on CPU

        const scaling = new aws.appautoscaling.Target(
            name,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
                minCapacity: desiredCount,
                maxCapacity: maxCount,
                tags: tags("scaling"),
            },
            child,
        );
        new aws.appautoscaling.Policy(
            `${name}-cpu`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: scaling.serviceNamespace,
                scalableDimension: scaling.scalableDimension,
                resourceId: scaling.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: {
                        predefinedMetricType: "ECSServiceAverageCPUUtilization",
                    },
                    targetValue: cpuTargetPercent,
                    scaleOutCooldown: 60,
                    scaleInCooldown: 300,
                },
            },
            child,
        );

        // ----- Private DNS name

        const zone = new aws.route53.Zone(
            name,
            {
                name: zoneName,
                comment: `Private zone of the ${name} registry (${args.hostName})`,
                vpcs: [{ vpcId: args.vpcId }],
                tags: tags("zone"),
            },
            child,
        );
        new aws.route53.Record(
            name,
            {
                zoneId: zone.zoneId,
                name: args.hostName,
                type: "A",
                aliases: [{ name: nlb.dnsName, zoneId: nlb.zoneId, evaluateTargetHealth: true }],
            },
            child,
        );

        this.url = `https://${args.hostName}`;
        this.hostName = args.hostName;
        this.zoneId = zone.zoneId;
        this.nlbDnsName = nlb.dnsName;
        this.bucketName = bucket.bucket;
        this.clusterName = cluster.name;
        this.serviceName = service.name;
        this.logGroupName = logGroup.name;
        this.configSecretArn = configSecret.arn;
        this.taskRoleArn = taskRole.arn;
        this.executionRoleArn = executionRole.arn;
        this.taskSecurityGroupId = taskSg.id;
        this.nlbSecurityGroupId = nlbSg.id;
        this.users = [...args.users];
        this.passwords = pulumi.secret(
            pulumi
                .all(passwords.map((p) => p.result))
                .apply((values) => Object.fromEntries(args.users.map((u, i) => [u, values[i]]))),
        );
        this.registerOutputs({
            url: this.url,
            zoneId: this.zoneId,
            nlbDnsName: this.nlbDnsName,
            bucketName: this.bucketName,
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            logGroupName: this.logGroupName,
            configSecretArn: this.configSecretArn,
            users: this.users,
        });
    }
}
