import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    assertImageReference,
    assertNlpServiceArgs,
    containerDefinitions,
    NLP_CONTAINERS,
    PortFormat,
} from "../src/nlp/containers";

export interface NlpServiceArgs {
    /** VPC the load balancer, the tasks and their security groups live in. Warning: changing it replaces nearly everything. */
    vpcId: pulumi.Input<string>;
    /**
     * Subnets the tasks run in (one per AZ; two AZs or more for the default
     * two tasks). They need no route to the internet: images, logs and the
     * API key arrive through the registry endpoints.
     */
    privateSubnetIds: pulumi.Input<string>[];
    /** Public subnets (two AZs or more) for the internet-facing load balancer. Warning: changing them replaces the load balancer. */
    publicSubnetIds: pulumi.Input<string>[];
    /**
     * Security group of the interface endpoints (ecr.api, ecr.dkr, logs,
     * secretsmanager). The tasks may send 443 to it and nowhere else but S3.
     * Required unless `publicTasks` is true.
     */
    endpointSecurityGroupId?: pulumi.Input<string>;
    /**
     * Prefix list of the S3 gateway endpoint (`pl-...`): image layers are
     * served from S3. Required unless `publicTasks` is true.
     */
    s3PrefixListId?: pulumi.Input<string>;
    /**
     * Full image references, `<repository URL>:<tag>` (or `@sha256:<digest>`);
     * never `latest`. `nlpClient` and `proseApp` come from the customer's own
     * repositories, `rakeApp` from the vendor's registry (another account).
     * Unless `publicTasks` is true, every image must be in an ECR private
     * registry in this stack's region: the endpoints serve no other region,
     * so a vendor in another region must replicate its repository here and
     * pass the replica's URL. Changing an image rolls out a new task definition.
     */
    images: {
        nlpClient: pulumi.Input<string>;
        rakeApp: pulumi.Input<string>;
        proseApp: pulumi.Input<string>;
    };
    /**
     * Tasks to keep running, spread over the subnets' AZs.
     * @default 2
     */
    desiredCount?: number;
    /**
     * Task CPU units; must be a Fargate size and hold the three containers'
     * 256 units each.
     * @default 1024
     */
    cpu?: number;
    /**
     * Task memory in MiB; must go with `cpu` on Fargate and hold the three
     * containers' 1024 MiB each.
     * @default 4096
     */
    memory?: number;
    /**
     * ACM certificate (same region as the load balancer) for an HTTPS
     * listener on 443; port 80 then only redirects to HTTPS. Without it the
     * service is plain HTTP on port 80, and the API key crosses the internet
     * in clear text: acceptable for a demonstration only.
     * @default none (HTTP only)
     */
    certificateArn?: string;
    /**
     * Days CloudWatch Logs keeps the containers' logs (a CloudWatch retention value).
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * Seed 004's layout for accounts without registry endpoints: tasks in the
     * public subnets with public IPs and 443 egress to anywhere. Off by
     * default; `endpointSecurityGroupId` and `s3PrefixListId` are then unused.
     * @default false
     */
    publicTasks?: boolean;
    /**
     * The API key, as a secret Output (e.g. `config.requireSecret`). When
     * absent a 32-character alphanumeric key is generated with
     * @pulumi/random. Either way it is stored only in Secrets Manager (and,
     * encrypted, in the Pulumi state).
     * @default generated
     */
    apiKey?: pulumi.Input<string>;
    /**
     * How the port variables are written: `number` (`8081`, the 2019 images
     * seed 004 runs) or `listen-address` (`:8081`, what later image versions
     * expect). Pick the one matching the image tags.
     * @default "number"
     */
    portFormat?: PortFormat;
    /**
     * CloudWatch Container Insights level for the cluster: `enabled`, or
     * `enhanced` (per-task and per-container metrics, billed per observation).
     * @default "enabled"
     */
    containerInsights?: "enabled" | "enhanced";
    /** Tags for every resource that takes them. */
    tags?: Record<string, string>;
}

const HEALTH_CHECK_PATH = "/health";
const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/**
 * Pinned rather than LATEST so the plan shows it: platform 1.4.0 is the first
 * that pulls images and fetches secrets through the task's own ENI, which is
 * what lets tasks with no internet route use the VPC endpoints.
 */
const FARGATE_PLATFORM_VERSION = "1.4.0";

/**
 * Seed 004's NLP application on Fargate: one task with nlp-client (the
 * edge), the vendor's rake-app and prose-app, behind an internet-facing
 * Application Load Balancer. The API key comes from Secrets Manager, the
 * tasks run in private subnets with no public IP and reach only the registry
 * endpoints and S3, and the load balancer is the only thing open to the
 * internet.
 */
export class NlpService extends pulumi.ComponentResource {
    /** `http://<alb dns>` or, with a certificate, `https://<alb dns>`. */
    public readonly url: pulumi.Output<string>;
    public readonly albDnsName: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    /** ARN of the secret holding the API key (the ARN, not the key). */
    public readonly apiKeySecretArn: pulumi.Output<string>;
    public readonly albSecurityGroupId: pulumi.Output<string>;
    public readonly taskSecurityGroupId: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;

    constructor(name: string, args: NlpServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        // Arguments are checked before the component registers, so a bad one
        // leaves nothing half-built in the plan.
        const desiredCount = args.desiredCount ?? 2;
        const cpu = args.cpu ?? 1024;
        const memory = args.memory ?? 4096;
        const logRetentionDays = args.logRetentionDays ?? 30;
        const publicTasks = args.publicTasks ?? false;
        const portFormat = args.portFormat ?? "number";
        const containerInsights = args.containerInsights ?? "enabled";
        if (containerInsights !== "enabled" && containerInsights !== "enhanced") {
            throw new Error(
                `\`containerInsights\` must be "enabled" or "enhanced", got ${JSON.stringify(containerInsights)}`,
            );
        }
        assertNlpServiceArgs({
            desiredCount,
            cpu,
            memory,
            logRetentionDays,
            certificateArn: args.certificateArn,
            portFormat,
            publicTasks,
            privateSubnetCount: args.privateSubnetIds.length,
            publicSubnetCount: args.publicSubnetIds.length,
            hasEndpointSecurityGroup: args.endpointSecurityGroupId !== undefined,
            hasS3PrefixList: args.s3PrefixListId !== undefined,
        });
        // Plain strings are checked now; Outputs (a vendor image read from a
        // StackReference) are checked when they resolve, below.
        for (const [key, image] of Object.entries(args.images)) {
            if (typeof image === "string") assertImageReference(image, `images.${key}`);
        }

        super("ecr-private-access:ecs:NlpService", name, {}, opts);

        const child = { parent: this };
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        const https = args.certificateArn !== undefined;
        const client = NLP_CONTAINERS.nlpClient;

        const region = aws.getRegionOutput({}, child).region;
        const account = aws.getCallerIdentityOutput({}, child).accountId;
        const partition = aws.getPartitionOutput({}, child).partition;

        // ----- Cluster and logs

        const cluster = new aws.ecs.Cluster(
            name,
            {
                settings: [{ name: "containerInsights", value: containerInsights }],
                tags: tags("cluster"),
            },
            child,
        );

        const logGroup = new aws.cloudwatch.LogGroup(
            name,
            { retentionInDays: logRetentionDays, tags: tags("logs") },
            child,
        );

        // ----- API key

        const apiKey: pulumi.Input<string> =
            args.apiKey ??
            new random.RandomPassword(`${name}-api-key`, { length: 32, special: false }, child)
                .result;

        const secret = new aws.secretsmanager.Secret(
            `${name}-api-key`,
            {
                description: `X-API-Key of the ${name} NLP API (seed 004); read by all three containers`,
                tags: tags("api-key"),
            },
            child,
        );
        const secretVersion = new aws.secretsmanager.SecretVersion(
            `${name}-api-key`,
            // Marked secret even when a plain value is passed in: the state
            // and every preview show it as [secret].
            { secretId: secret.id, secretString: pulumi.secret(apiKey) },
            child,
        );

        // ----- IAM

        // Only ECS tasks of this account may assume the roles (confused deputy).
        const assumeRolePolicy = account.apply((accountId) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { Service: "ecs-tasks.amazonaws.com" },
                        Action: "sts:AssumeRole",
                        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                    },
                ],
            }),
        );

        const executionRole = new aws.iam.Role(
            `${name}-execution`,
            {
                description: `ECS pulls the images, writes logs and reads the API key for ${name}`,
                assumeRolePolicy,
                tags: tags("execution"),
            },
            child,
        );
        // Pull actions on `*`: the vendor's repository policy, not this role,
        // decides whether the cross-account pull of rake-app is allowed.
        new aws.iam.RolePolicyAttachment(
            `${name}-execution`,
            {
                role: executionRole.name,
                policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-execution-api-key`,
            {
                role: executionRole.name,
                policy: secret.arn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Effect: "Allow",
                                Action: "secretsmanager:GetSecretValue",
                                Resource: arn,
                            },
                        ],
                    }),
                ),
            },
            child,
        );
        // The applications call no AWS API: their role has no permissions.
        const taskRole = new aws.iam.Role(
            `${name}-task`,
            {
                description: `Runtime role of ${name}'s containers (no permissions)`,
                assumeRolePolicy,
                tags: tags("task"),
            },
            child,
        );

        // ----- Security groups (no inline rules: each rule is its own resource)

        const albSg = new aws.ec2.SecurityGroup(
            `${name}-alb`,
            {
                vpcId: args.vpcId,
                description: `Internet-facing load balancer of ${name}`,
                tags: tags("alb"),
            },
            child,
        );
        const taskSg = new aws.ec2.SecurityGroup(
            `${name}-tasks`,
            { vpcId: args.vpcId, description: `Fargate tasks of ${name}`, tags: tags("tasks") },
            child,
        );

        const listenerPorts = https ? [80, 443] : [80];
        for (const port of listenerPorts) {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-alb-in-${port}`,
                {
                    securityGroupId: albSg.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    cidrIpv4: "0.0.0.0/0",
                    description:
                        port === 443
                            ? "HTTPS from the internet"
                            : https
                              ? "HTTP from the internet (redirected to HTTPS)"
                              : "HTTP from the internet",
                    tags: tags(`alb-in-${port}`),
                },
                child,
            );
        }
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-alb-out-tasks`,
            {
                securityGroupId: albSg.id,
                ipProtocol: "tcp",
                fromPort: client.port,
                toPort: client.port,
                referencedSecurityGroupId: taskSg.id,
                description: `Requests and health checks to ${client.name}`,
                tags: tags("alb-out-tasks"),
            },
            child,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-tasks-in-alb`,
            {
                securityGroupId: taskSg.id,
                ipProtocol: "tcp",
                fromPort: client.port,
                toPort: client.port,
                referencedSecurityGroupId: albSg.id,
                description: `${client.name} from the load balancer only`,
                tags: tags("tasks-in-alb"),
            },
            child,
        );
        if (publicTasks) {
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-tasks-out-internet`,
                {
                    securityGroupId: taskSg.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: "0.0.0.0/0",
                    description: "HTTPS to public AWS endpoints (ECR, S3, Logs, Secrets Manager)",
                    tags: tags("tasks-out-internet"),
                },
                child,
            );
        } else {
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-tasks-out-endpoints`,
                {
                    securityGroupId: taskSg.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    referencedSecurityGroupId: args.endpointSecurityGroupId!,
                    description: "HTTPS to the interface endpoints (ECR, Logs, Secrets Manager)",
                    tags: tags("tasks-out-endpoints"),
                },
                child,
            );
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-tasks-out-s3`,
                {
                    securityGroupId: taskSg.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    prefixListId: args.s3PrefixListId!,
                    description: "HTTPS to S3 through the gateway endpoint (image layers)",
                    tags: tags("tasks-out-s3"),
                },
                child,
            );
        }

        // ----- Load balancer

        const alb = new aws.lb.LoadBalancer(
            name,
            {
                loadBalancerType: "application",
                internal: false,
                ipAddressType: "ipv4",
                subnets: args.publicSubnetIds,
                securityGroups: [albSg.id],
                dropInvalidHeaderFields: true,
                tags: tags("alb"),
            },
            child,
        );

        const targetGroup = new aws.lb.TargetGroup(
            name,
            {
                vpcId: args.vpcId,
                targetType: "ip",
                protocol: "HTTP",
                port: client.port,
                // Tasks finish in-flight requests within seconds; the default
                // 300 s would slow every deployment and rollback.
                deregistrationDelay: 30,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTP",
                    port: "traffic-port",
                    path: HEALTH_CHECK_PATH,
                    matcher: "200",
                    interval: 6,
                    timeout: 5,
                    healthyThreshold: 2,
                    unhealthyThreshold: 2,
                },
                tags: tags("tg"),
            },
            child,
        );

        const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
        const listeners: aws.lb.Listener[] = [];
        if (https) {
            listeners.push(
                new aws.lb.Listener(
                    `${name}-https`,
                    {
                        loadBalancerArn: alb.arn,
                        port: 443,
                        protocol: "HTTPS",
                        sslPolicy: TLS_POLICY,
                        certificateArn: args.certificateArn,
                        defaultActions: forward,
                        tags: tags("https"),
                    },
                    child,
                ),
                new aws.lb.Listener(
                    `${name}-http`,
                    {
                        loadBalancerArn: alb.arn,
                        port: 80,
                        protocol: "HTTP",
                        defaultActions: [
                            {
                                type: "redirect",
                                redirect: {
                                    protocol: "HTTPS",
                                    port: "443",
                                    statusCode: "HTTP_301",
                                },
                            },
                        ],
                        tags: tags("http"),
                    },
                    child,
                ),
            );
        } else {
            listeners.push(
                new aws.lb.Listener(
                    `${name}-http`,
                    {
                        loadBalancerArn: alb.arn,
                        port: 80,
                        protocol: "HTTP",
                        defaultActions: forward,
                        tags: tags("http"),
                    },
                    child,
                ),
            );
        }

        // ----- Task definition and service

        const taskDefinition = new aws.ecs.TaskDefinition(
            name,
            {
                family: name,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(cpu),
                memory: String(memory),
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: executionRole.arn,
                taskRoleArn: taskRole.arn,
                containerDefinitions: pulumi
                    .all([
                        args.images.nlpClient,
                        args.images.rakeApp,
                        args.images.proseApp,
                        secret.arn,
                        logGroup.name,
                        region,
                    ])
                    .apply(([nlpClient, rakeApp, proseApp, secretArn, logGroupName, r]) =>
                        JSON.stringify(
                            containerDefinitions({
                                images: { nlpClient, rakeApp, proseApp },
                                apiKeySecretArn: secretArn,
                                logGroupName,
                                region: r,
                                portFormat,
                                privateTasks: !publicTasks,
                            }),
                        ),
                    ),
                tags: tags("task"),
            },
            child,
        );

        const service = new aws.ecs.Service(
            name,
            {
                cluster: cluster.arn,
                taskDefinition: taskDefinition.arn,
                launchType: "FARGATE",
                platformVersion: FARGATE_PLATFORM_VERSION,
                desiredCount,
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                networkConfiguration: {
                    subnets: publicTasks ? args.publicSubnetIds : args.privateSubnetIds,
                    securityGroups: [taskSg.id],
                    assignPublicIp: publicTasks,
                },
                loadBalancers: [
                    {
                        targetGroupArn: targetGroup.arn,
                        containerName: client.name,
                        containerPort: client.port,
                    },
                ],
                // Three containers start before /health answers; without a
                // grace period the first failed checks would kill the task.
                healthCheckGracePeriodSeconds: 60,
                enableEcsManagedTags: true,
                propagateTags: "SERVICE",
                // ECS injects secrets only when a task starts: a new key
                // version must roll the tasks, or they keep the old key.
                forceNewDeployment: true,
                triggers: { apiKeyVersion: secretVersion.versionId },
                tags: tags("service"),
            },
            // The target group must be attached to a listener before a
            // service can register targets in it.
            { parent: this, dependsOn: listeners },
        );

        this.albDnsName = alb.dnsName;
        this.url = pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`;
        this.clusterName = cluster.name;
        this.serviceName = service.name;
        this.logGroupName = logGroup.name;
        this.apiKeySecretArn = secret.arn;
        this.albSecurityGroupId = albSg.id;
        this.taskSecurityGroupId = taskSg.id;
        this.executionRoleArn = executionRole.arn;
        this.taskRoleArn = taskRole.arn;
        this.registerOutputs({
            url: this.url,
            albDnsName: this.albDnsName,
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            logGroupName: this.logGroupName,
            apiKeySecretArn: this.apiKeySecretArn,
            albSecurityGroupId: this.albSecurityGroupId,
            taskSecurityGroupId: this.taskSecurityGroupId,
        });
    }
}
