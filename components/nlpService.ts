import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    assertImageReference,
    assertNlpServiceArgs,
    containerDefinitions,
    NLP_CONTAINERS,
    PortFormat,
    taskVolumes,
} from "../src/nlp/containers";
import {
    DEFAULT_WAF_RULE_GROUPS,
    edgeMode,
    listenerPorts,
    normalizeDomain,
    PLAIN_HTTP_TAG,
    TLS_POLICY,
    wafRules,
} from "../src/nlp/edge";
import { executionRolePolicy } from "../src/ecs/iam";
import { requireImage } from "../src/nlp/images";
import { AccessLogBucket } from "./accessLogBucket";
import {
    ecsTaskRoles,
    fargateCluster,
    fargateService,
    fargateTaskDefinition,
    loadBalancerToTasks,
    privateTaskEgress,
    taskLogGroup,
} from "./fargate";

export interface NlpServiceArgs {
    /** VPC the load balancer, the tasks and their security groups live in. Warning: changing it replaces nearly everything. */
    vpcId: pulumi.Input<string>;
    /**
     * Subnets the tasks run in (one per AZ; two AZs or more for the default
     * two tasks). They need no route to the internet: images, logs and the
     * API key arrive through the registry endpoints.
     */
    privateSubnetIds: pulumi.Input<string>[];
    /**
     * Public subnets (two AZs or more) for the internet-facing load balancer,
     * and for the tasks when `publicTasks` is true. Unused (may be empty) with
     * `internal`. Warning: changing them replaces the load balancer.
     * @default []
     */
    publicSubnetIds?: pulumi.Input<string>[];
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
     * The service's own name and the public Route 53 hosted zone it lives in.
     * The stack requests an ACM certificate for `name`, validates it with a
     * DNS record in the zone, waits for it to be issued, serves HTTPS only
     * (port 80 redirects) and points an alias record at the load balancer.
     * With `certificateArn` as well, that certificate is used and none is
     * requested. Warning: changing `name` replaces the certificate.
     * @default none
     */
    domain?: { name: string; hostedZone: string };
    /**
     * An existing ACM certificate (same region as the load balancer) for the
     * HTTPS listener on 443; port 80 then only redirects to HTTPS.
     * @default none
     */
    certificateArn?: string;
    /**
     * With neither `domain` nor `certificateArn`, port 80 forwards plain HTTP
     * and the API key crosses the network in clear text. The listener is built
     * either way (a first try); this flag tags it as an explicit choice, which
     * turns the policy pack's mandatory violation into an advisory one.
     * @default false
     */
    allowPlainHttp?: boolean;
    /**
     * An internal load balancer in the private subnets, reachable only from
     * the VPC and the networks routed to it (`clientCidrs`); no public subnet
     * or internet gateway is needed. Warning: changing it replaces the load
     * balancer (turn `deletionProtection` off first).
     * @default false
     */
    internal?: boolean;
    /**
     * Source CIDRs allowed to the listener ports.
     * @default ["0.0.0.0/0"] (internet-facing); required with `internal`
     */
    clientCidrs?: string[];
    /**
     * Write access logs to an S3 bucket the service creates (see AccessLogBucket).
     * @default true
     */
    accessLogs?: boolean;
    /**
     * Days access logs are kept.
     * @default 90
     */
    accessLogRetentionDays?: number;
    /**
     * Load-balancer deletion protection. Off lets `pulumi destroy` delete the
     * load balancer and the access-log bucket with its logs (throwaway stacks).
     * @default true
     */
    deletionProtection?: boolean;
    /**
     * An AWS WAF web ACL on the load balancer with these AWS managed rule
     * groups, in order (see `WAF_MANAGED_RULE_GROUPS`).
     * @default none (no web ACL)
     */
    waf?: { ruleGroups?: string[] };
    /**
     * `pulumi up` waits until the service runs `desiredCount` healthy tasks,
     * and fails when it does not within the provider's timeout (tasks that
     * cannot pull or crash). Note that a later update the circuit breaker
     * rolls back still ends "steady" (terraform-provider-aws issue 20858).
     * @default true
     */
    waitForSteadyState?: boolean;
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

/**
 * Seed 004's NLP application on Fargate: one task with nlp-client (the
 * edge), the vendor's rake-app and prose-app, behind an Application Load
 * Balancer (internet-facing, or internal). The API key comes from Secrets
 * Manager, the tasks run in private subnets with no public IP and reach only
 * the registry endpoints and S3, and the load balancer is the only thing
 * open to clients: HTTPS with a domain or certificate, access logs to a
 * locked-down bucket, deletion protection and, on request, a WAF web ACL.
 */
export class NlpService extends pulumi.ComponentResource {
    /** `https://<domain>`, `https://<alb dns>` with only a certificate, else `http://<alb dns>`. */
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
    /** The access-log bucket's name, when access logs are on. */
    public readonly accessLogBucketName?: pulumi.Output<string>;
    /** The WAF web ACL's ARN, when `waf` is set. */
    public readonly webAclArn?: pulumi.Output<string>;

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
        const internal = args.internal ?? false;
        const publicSubnetIds = args.publicSubnetIds ?? [];
        const deletionProtection = args.deletionProtection ?? true;
        const accessLogs = args.accessLogs ?? true;
        const mode = edgeMode({ domain: args.domain?.name, certificateArn: args.certificateArn });
        if (containerInsights !== "enabled" && containerInsights !== "enhanced") {
            throw new Error(
                `\`containerInsights\` must be "enabled" or "enhanced", got ${JSON.stringify(containerInsights)}`,
            );
        }
        if (internal && args.clientCidrs === undefined) {
            throw new Error(
                "`clientCidrs` is required with `internal`: the networks that reach the service (the VPC's CIDR at least)",
            );
        }
        if (args.allowPlainHttp && mode !== "plain-http") {
            throw new Error(
                "`allowPlainHttp` has no effect with `domain` or `certificateArn` (HTTPS only)",
            );
        }
        const clientCidrs = args.clientCidrs ?? ["0.0.0.0/0"];
        assertNlpServiceArgs({
            desiredCount,
            cpu,
            memory,
            logRetentionDays,
            certificateArn: args.certificateArn,
            portFormat,
            publicTasks,
            internal,
            privateSubnetCount: args.privateSubnetIds.length,
            publicSubnetCount: publicSubnetIds.length,
            hasEndpointSecurityGroup: args.endpointSecurityGroupId !== undefined,
            hasS3PrefixList: args.s3PrefixListId !== undefined,
        });
        // Plain strings are checked now; Outputs (a vendor image read from a
        // StackReference) are checked when they resolve, below.
        for (const [key, image] of Object.entries(args.images)) {
            if (typeof image === "string") assertImageReference(image, `images.${key}`);
        }
        const wafGroups = args.waf && (args.waf.ruleGroups ?? DEFAULT_WAF_RULE_GROUPS);
        const rules = wafGroups && wafRules(wafGroups);

        super("ecr-private-access:ecs:NlpService", name, {}, opts);

        const child = { parent: this };
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        const https = mode !== "plain-http";
        const client = NLP_CONTAINERS.nlpClient;

        const region = aws.getRegionOutput({}, child).region;
        const account = aws.getCallerIdentityOutput({}, child).accountId;
        const partition = aws.getPartitionOutput({}, child).partition;

        // ----- Cluster and logs

        const cluster = fargateCluster(name, { containerInsights, tags }, this);
        const logGroup = taskLogGroup(name, { retentionDays: logRetentionDays, tags }, this);

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

        // Exactly the task's image repositories (the vendor's one is its
        // replica in this region), its own log streams and the API key. The
        // applications call no AWS API: their task role has no permissions.
        const { executionRole, taskRole } = ecsTaskRoles(
            name,
            {
                accountId: account,
                region,
                partition,
                executionDescription: `ECS pulls the images, writes logs and reads the API key for ${name}`,
                executionPolicy: pulumi
                    .all([
                        args.images.nlpClient,
                        args.images.rakeApp,
                        args.images.proseApp,
                        logGroup.arn,
                        secret.arn,
                        partition,
                    ])
                    .apply(([nlpClient, rakeApp, proseApp, logGroupArn, secretArn, p]) =>
                        JSON.stringify(
                            executionRolePolicy({
                                images: [nlpClient, rakeApp, proseApp],
                                logGroupArn,
                                secretArns: [secretArn],
                                partition: p,
                            }),
                        ),
                    ),
                // This inline policy once held only the secret read, under this name.
                executionPolicyAliases: [`${name}-execution-api-key`],
                taskDescription: `Runtime role of ${name}'s containers (no permissions)`,
                tags,
            },
            this,
        );

        // ----- Security groups (no inline rules: each rule is its own resource)

        const albSg = new aws.ec2.SecurityGroup(
            `${name}-alb`,
            {
                vpcId: args.vpcId,
                description: `${internal ? "Internal" : "Internet-facing"} load balancer of ${name}`,
                tags: tags("alb"),
            },
            child,
        );
        const taskSg = new aws.ec2.SecurityGroup(
            `${name}-tasks`,
            { vpcId: args.vpcId, description: `Fargate tasks of ${name}`, tags: tags("tasks") },
            child,
        );

        const world = (c: string) => c === "0.0.0.0/0";
        const from = (c: string) => (world(c) ? "the internet" : c);
        for (const port of listenerPorts(mode)) {
            for (const cidr of clientCidrs) {
                // The world rule keeps its original name; others carry their CIDR.
                const suffix = world(cidr) ? `${port}` : `${port}-${cidr.replace(/[./]/g, "-")}`;
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-alb-in-${suffix}`,
                    {
                        securityGroupId: albSg.id,
                        ipProtocol: "tcp",
                        fromPort: port,
                        toPort: port,
                        cidrIpv4: cidr,
                        description:
                            port === 443
                                ? `HTTPS from ${from(cidr)}`
                                : https
                                  ? `HTTP from ${from(cidr)} (redirected to HTTPS)`
                                  : `HTTP from ${from(cidr)}`,
                        tags: tags(`alb-in-${suffix}`),
                    },
                    child,
                );
            }
        }
        loadBalancerToTasks(
            name,
            {
                lb: "alb",
                lbSecurityGroupId: albSg.id,
                taskSecurityGroupId: taskSg.id,
                port: client.port,
                outDescription: `Requests and health checks to ${client.name}`,
                inDescription: `${client.name} from the load balancer only`,
                tags,
            },
            this,
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
            privateTaskEgress(
                name,
                {
                    taskSecurityGroupId: taskSg.id,
                    endpointSecurityGroupId: args.endpointSecurityGroupId!,
                    s3PrefixListId: args.s3PrefixListId!,
                    s3Description: "HTTPS to S3 through the gateway endpoint (image layers)",
                    tags,
                },
                this,
            );
        }

        // ----- Certificate (nlp.domain without a given certificate)

        const domainName = args.domain && normalizeDomain(args.domain.name);
        const zone =
            args.domain &&
            aws.route53.getZoneOutput(
                { name: normalizeDomain(args.domain.hostedZone), privateZone: false },
                child,
            );
        let certificateArn: pulumi.Input<string> | undefined = args.certificateArn;
        if (mode === "domain" && domainName && zone) {
            const certificate = new aws.acm.Certificate(
                name,
                { domainName, validationMethod: "DNS", tags: tags("certificate") },
                child,
            );
            // One name, so exactly one validation record.
            const dvo = certificate.domainValidationOptions.apply((o) => o[0]);
            const validationRecord = new aws.route53.Record(
                `${name}-cert-validation`,
                {
                    zoneId: zone.zoneId,
                    name: dvo.resourceRecordName,
                    type: dvo.resourceRecordType,
                    records: [dvo.resourceRecordValue],
                    ttl: 300,
                    // ACM gives the same record for the same name in one
                    // account: a re-requested certificate reuses it.
                    allowOverwrite: true,
                },
                child,
            );
            // Waits until ACM has issued the certificate (or times out).
            certificateArn = new aws.acm.CertificateValidation(
                name,
                {
                    certificateArn: certificate.arn,
                    validationRecordFqdns: [validationRecord.fqdn],
                },
                child,
            ).certificateArn;
        }

        // ----- Access logs

        const logBucket = accessLogs
            ? new AccessLogBucket(
                  `${name}-access-logs`,
                  {
                      accountId: account,
                      region,
                      partition,
                      retentionDays: args.accessLogRetentionDays,
                      forceDestroy: !deletionProtection,
                      tags: args.tags,
                  },
                  child,
              )
            : undefined;

        // ----- Load balancer

        const alb = new aws.lb.LoadBalancer(
            name,
            {
                loadBalancerType: "application",
                internal,
                ipAddressType: "ipv4",
                subnets: internal ? args.privateSubnetIds : publicSubnetIds,
                securityGroups: [albSg.id],
                dropInvalidHeaderFields: true,
                enableDeletionProtection: deletionProtection,
                accessLogs: logBucket && {
                    bucket: logBucket.bucketName,
                    prefix: logBucket.prefix,
                    enabled: true,
                },
                tags: tags("alb"),
            },
            // ELB checks its write access when access logs are turned on.
            { parent: this, dependsOn: logBucket ? [logBucket.policy] : [] },
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
                        certificateArn,
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
                        // The policy pack reads the opt-in from this tag.
                        tags: args.allowPlainHttp
                            ? { ...tags("http"), [PLAIN_HTTP_TAG]: "true" }
                            : tags("http"),
                    },
                    child,
                ),
            );
        }

        if (args.domain && zone && domainName) {
            new aws.route53.Record(
                `${name}-alias`,
                {
                    zoneId: zone.zoneId,
                    name: domainName,
                    type: "A",
                    aliases: [
                        { name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true },
                    ],
                },
                child,
            );
        }

        // ----- WAF

        let webAcl: aws.wafv2.WebAcl | undefined;
        if (rules) {
            webAcl = new aws.wafv2.WebAcl(
                name,
                {
                    description: `AWS managed rule groups in front of ${name}`,
                    scope: "REGIONAL",
                    defaultAction: { allow: {} },
                    rules,
                    visibilityConfig: {
                        cloudwatchMetricsEnabled: true,
                        metricName: `${name}-waf`,
                        sampledRequestsEnabled: true,
                    },
                    tags: tags("waf"),
                },
                child,
            );
            new aws.wafv2.WebAclAssociation(
                name,
                { resourceArn: alb.arn, webAclArn: webAcl.arn },
                child,
            );
        }

        // ----- Task definition and service

        // First deploy: the images in this account's own repositories are
        // read from ECR before the task definition exists. The read waits for
        // the repository's URL, which is unknown during the first preview, so
        // the preview passes; in `up` it runs once the repository is created
        // and, when a push is missing, stops the update with a message naming
        // it (src/nlp/images.ts). Later previews read it too.
        const lookup = (q: Parameters<typeof aws.ecr.getImage>[0]) => aws.ecr.getImage(q, child);
        const checked = (key: keyof NlpServiceArgs["images"]) =>
            pulumi
                .all([args.images[key], account])
                .apply(([ref, accountId]) => requireImage(ref, `images.${key}`, accountId, lookup));

        const taskDefinition = fargateTaskDefinition(
            name,
            {
                cpu,
                memory,
                executionRole,
                taskRole,
                volumes: taskVolumes(),
                containerDefinitions: pulumi
                    .all([
                        checked("nlpClient"),
                        checked("rakeApp"),
                        checked("proseApp"),
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
                subnets: publicTasks ? publicSubnetIds : args.privateSubnetIds,
                securityGroupId: taskSg.id,
                assignPublicIp: publicTasks,
                loadBalancer: {
                    targetGroupArn: targetGroup.arn,
                    containerName: client.name,
                    containerPort: client.port,
                },
                // A new key version rolls the tasks, or they keep the old key.
                triggers: { apiKeyVersion: secretVersion.versionId },
                extra: {
                    // `up` fails when tasks cannot pull or keep crashing, instead
                    // of reporting success over a service with no running task.
                    waitForSteadyState: args.waitForSteadyState ?? true,
                },
                tags,
            },
            { parent: this, dependsOn: listeners },
        );

        this.albDnsName = alb.dnsName;
        this.url = domainName
            ? pulumi.output(`https://${domainName}`)
            : pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`;
        this.clusterName = cluster.name;
        this.serviceName = service.name;
        this.logGroupName = logGroup.name;
        this.apiKeySecretArn = secret.arn;
        this.albSecurityGroupId = albSg.id;
        this.taskSecurityGroupId = taskSg.id;
        this.executionRoleArn = executionRole.arn;
        this.taskRoleArn = taskRole.arn;
        this.accessLogBucketName = logBucket?.bucketName;
        this.webAclArn = webAcl?.arn;
        this.registerOutputs({
            url: this.url,
            albDnsName: this.albDnsName,
            clusterName: this.clusterName,
            serviceName: this.serviceName,
            logGroupName: this.logGroupName,
            apiKeySecretArn: this.apiKeySecretArn,
            albSecurityGroupId: this.albSecurityGroupId,
            taskSecurityGroupId: this.taskSecurityGroupId,
            accessLogBucketName: this.accessLogBucketName,
            webAclArn: this.webAclArn,
        });
    }
}
