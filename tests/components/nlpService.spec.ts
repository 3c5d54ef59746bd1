import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { NlpService, NlpServiceArgs } from "../../components/nlpService";
import { ecsTasksTrust, executionRoleDocument } from "../helpers/expectedIam";
import { policyDoc, run, TestRun } from "../helpers/run";
import { ruleTable } from "../helpers/securityGroups";

const ACCOUNT = "999888777666";
const REGION = "us-west-2";
const CUSTOMER = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
// The vendor's replica in the customer's region: private tasks pull only there.
const VENDOR = "111222333444.dkr.ecr.us-west-2.amazonaws.com";
// The vendor's home region (seed 004), reachable only by public tasks.
const VENDOR_HOME = "111222333444.dkr.ecr.us-east-2.amazonaws.com";
const CERT = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0a1b2c3d-1111-2222-3333-444455556666`;

const T = {
    cluster: "aws:ecs/cluster:Cluster",
    taskDef: "aws:ecs/taskDefinition:TaskDefinition",
    service: "aws:ecs/service:Service",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    password: "random:index/randomPassword:RandomPassword",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    alb: "aws:lb/loadBalancer:LoadBalancer",
    tg: "aws:lb/targetGroup:TargetGroup",
    listener: "aws:lb/listener:Listener",
    bucket: "aws:s3/bucket:Bucket",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    cert: "aws:acm/certificate:Certificate",
    certValidation: "aws:acm/certificateValidation:CertificateValidation",
    record: "aws:route53/record:Record",
    webAcl: "aws:wafv2/webAcl:WebAcl",
    webAclAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
};

function baseArgs(extra: Partial<NlpServiceArgs> = {}): NlpServiceArgs {
    return {
        vpcId: "vpc-0123456789abcdef0",
        privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"],
        publicSubnetIds: ["subnet-pub-a", "subnet-pub-b"],
        endpointSecurityGroupId: "sg-endpoints",
        s3PrefixListId: "pl-68a54001",
        images: {
            nlpClient: `${CUSTOMER}/nlp-client:1.1.0`,
            rakeApp: `${VENDOR}/rake-app:1.1.0`,
            proseApp: `${CUSTOMER}/prose-app:1.1.0`,
        },
        ...extra,
    };
}

function deploy(
    extra: Partial<NlpServiceArgs> = {},
    opts: { missingImages?: string[] } = {},
): Promise<TestRun> {
    return run(
        () => {
            const s = new NlpService("nlp", baseArgs(extra));
            return {
                url: s.url,
                clusterName: s.clusterName,
                serviceName: s.serviceName,
                logGroupName: s.logGroupName,
                apiKeySecretArn: s.apiKeySecretArn,
            };
        },
        { account: ACCOUNT, region: REGION, mock: { missingImages: opts.missingImages } },
    );
}

/** The error a run fails with (the run must fail). */
async function failure(p: Promise<unknown>): Promise<string> {
    try {
        await p;
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected the run to fail");
}

const containers = (r: TestRun): any[] =>
    JSON.parse(r.one(T.taskDef).inputs.containerDefinitions as string);

/** Resources whose inputs or outputs contain `value` anywhere, except the ones allowed to hold it. */
function holdersOf(r: TestRun, value: string): string[] {
    const found: string[] = [];
    for (const res of r.resources) {
        if (JSON.stringify(res.inputs).includes(value))
            found.push(`${res.type} ${res.name} inputs`);
        // The password resource's own `result` output is where the value is born.
        if (res.type !== T.password && JSON.stringify(res.outputs).includes(value)) {
            found.push(`${res.type} ${res.name} outputs`);
        }
    }
    if (JSON.stringify(r.outputs).includes(value)) found.push("stack outputs");
    return found;
}

describe("NlpService", () => {
    describe("defaults: HTTP, private tasks, generated API key", () => {
        let r: TestRun;
        before(async () => {
            r = await deploy();
        });

        it("creates exactly the expected resources", () => {
            const count = (type: string) => r.ofType(type).length;
            expect({
                cluster: count(T.cluster),
                taskDef: count(T.taskDef),
                service: count(T.service),
                logGroup: count(T.logGroup),
                password: count(T.password),
                secret: count(T.secret),
                secretVersion: count(T.secretVersion),
                role: count(T.role),
                rolePolicy: count(T.rolePolicy),
                attachment: count(T.attachment),
                sg: count(T.sg),
                ingress: count(T.ingress),
                egress: count(T.egress),
                alb: count(T.alb),
                tg: count(T.tg),
                listener: count(T.listener),
                bucket: count(T.bucket),
                pab: count(T.pab),
                ownership: count(T.ownership),
                sse: count(T.sse),
                lifecycle: count(T.lifecycle),
                bucketPolicy: count(T.bucketPolicy),
                cert: count(T.cert),
                record: count(T.record),
                webAcl: count(T.webAcl),
            }).to.deep.equal({
                cluster: 1,
                taskDef: 1,
                service: 1,
                logGroup: 1,
                password: 1,
                secret: 1,
                secretVersion: 1,
                role: 2,
                rolePolicy: 1,
                attachment: 0,
                sg: 2,
                ingress: 2,
                egress: 3,
                alb: 1,
                tg: 1,
                listener: 1,
                bucket: 1,
                pab: 1,
                ownership: 1,
                sse: 1,
                lifecycle: 1,
                bucketPolicy: 1,
                cert: 0,
                record: 0,
                webAcl: 0,
            });
            const component = r.one("ecr-private-access:ecs:NlpService", "nlp");
            const logs = r.one("ecr-private-access:lb:AccessLogBucket", "nlp-access-logs");
            expect(logs.parent).to.equal(component.urn);
            for (const res of r.resources) {
                if (res === component || res === logs) continue;
                // The bucket's pieces belong to the AccessLogBucket, everything else to the service.
                const expected = res.type.startsWith("aws:s3/") ? logs.urn : component.urn;
                expect(res.parent, `${res.type} ${res.name}`).to.equal(expected);
            }
        });

        it("cluster has Container Insights on; logs are kept 30 days", () => {
            expect(r.one(T.cluster).inputs.settings).to.deep.equal([
                { name: "containerInsights", value: "enabled" },
            ]);
            expect(r.one(T.logGroup).inputs.retentionInDays).to.equal(30);
        });

        it("task definition: Fargate, awsvpc, 1024/4096, its own execution and task roles", () => {
            const td = r.one(T.taskDef).inputs;
            expect(td.family).to.equal("nlp");
            expect(td.requiresCompatibilities).to.deep.equal(["FARGATE"]);
            expect(td.networkMode).to.equal("awsvpc");
            expect(td.cpu).to.equal("1024");
            expect(td.memory).to.equal("4096");
            expect(td.runtimePlatform).to.deep.equal({
                operatingSystemFamily: "LINUX",
                cpuArchitecture: "X86_64",
            });
            expect(td.executionRoleArn).to.equal(r.one(T.role, "nlp-execution").outputs.arn);
            expect(td.taskRoleArn).to.equal(r.one(T.role, "nlp-task").outputs.arn);
            expect(td.executionRoleArn).to.not.equal(td.taskRoleArn);
            // Each container's writable /tmp (the root filesystem is read-only).
            expect(td.volumes).to.deep.equal([
                { name: "tmp-nlp-client" },
                { name: "tmp-rake-app" },
                { name: "tmp-prose-app" },
            ]);
            expect(
                containers(r).map((d) => [d.readonlyRootFilesystem, d.mountPoints]),
            ).to.deep.equal(
                ["nlp-client", "rake-app", "prose-app"].map((n) => [
                    true,
                    [{ sourceVolume: `tmp-${n}`, containerPath: "/tmp", readOnly: false }],
                ]),
            );
        });

        it("container definitions: names, images, ports, environment, secret, logs", () => {
            const defs = containers(r);
            const secretArn = r.one(T.secret).outputs.arn;
            const logGroupName = r.one(T.logGroup).outputs.name;
            expect(secretArn).to.match(/^arn:aws:secretsmanager:us-west-2:999888777666:secret:/);
            expect(defs.map((d) => d.name)).to.deep.equal(["nlp-client", "rake-app", "prose-app"]);
            expect(defs.map((d) => d.image)).to.deep.equal([
                `${CUSTOMER}/nlp-client:1.1.0`,
                "111222333444.dkr.ecr.us-west-2.amazonaws.com/rake-app:1.1.0",
                `${CUSTOMER}/prose-app:1.1.0`,
            ]);
            expect(defs.map((d) => d.portMappings)).to.deep.equal([
                [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
                [],
                [],
            ]);
            expect(defs.map((d) => d.environment)).to.deep.equal([
                [
                    { name: "NLP_CLIENT_PORT", value: "8080" },
                    { name: "PROSE_ENDPOINT", value: "http://localhost:8082" },
                    { name: "RAKE_ENDPOINT", value: "http://localhost:8081" },
                ],
                [{ name: "RAKE_PORT", value: "8081" }],
                [{ name: "PROSE_PORT", value: "8082" }],
            ]);
            for (const d of defs) {
                expect(d.secrets, d.name).to.deep.equal([
                    { name: "API_KEY", valueFrom: secretArn },
                ]);
                expect(d.essential, d.name).to.equal(true);
                expect([d.cpu, d.memory], d.name).to.deep.equal([256, 1024]);
                expect(d.logConfiguration, d.name).to.deep.equal({
                    logDriver: "awslogs",
                    options: {
                        "awslogs-group": logGroupName,
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": d.name,
                    },
                });
            }
        });

        it("API key: 32 alphanumeric characters, stored only as a [secret] SecretVersion", () => {
            expect(r.one(T.password).inputs).to.deep.equal({ length: 32, special: false });
            const version = r.one(T.secretVersion).inputs;
            expect(version).to.deep.equal({
                secretId: r.one(T.secret).outputs.arn,
                secretString: "[secret]",
            });
            const generated = r.one(T.password).outputs.result as string;
            expect(generated).to.be.a("string").and.not.equal("");
            expect(holdersOf(r, generated)).to.deep.equal([]);
        });

        it("execution role: trusted by ECS tasks of this account and region only", () => {
            expect(policyDoc(r.one(T.role, "nlp-execution").inputs.assumeRolePolicy)).to.deep.equal(
                ecsTasksTrust(ACCOUNT, REGION),
            );
        });

        it("execution role: no managed policy; pull on exactly the three repositories, its own log streams, the API key", () => {
            const executionRole = r.one(T.role, "nlp-execution").outputs.name;
            expect(r.ofType(T.attachment)).to.deep.equal([]);
            const inline = r.one(T.rolePolicy, "nlp-execution");
            expect(inline.inputs.role).to.equal(executionRole);
            const logGroupArn = r.one(T.logGroup).outputs.arn;
            expect(logGroupArn).to.match(
                /^arn:aws:logs:us-west-2:999888777666:log-group:nlp-[0-9a-f]+$/,
            );
            expect(policyDoc(inline.inputs.policy)).to.deep.equal(
                executionRoleDocument({
                    // The vendor's repository as its replica in the tasks' region.
                    repositories: [
                        "arn:aws:ecr:us-west-2:111222333444:repository/rake-app",
                        `arn:aws:ecr:us-west-2:${ACCOUNT}:repository/nlp-client`,
                        `arn:aws:ecr:us-west-2:${ACCOUNT}:repository/prose-app`,
                    ],
                    logGroupArn: logGroupArn as string,
                    secrets: r.one(T.secret).outputs.arn as string,
                }),
            );
        });

        it("task role: same trust, no permissions at all", () => {
            const task = r.one(T.role, "nlp-task");
            expect(policyDoc(task.inputs.assumeRolePolicy)).to.deep.equal(
                policyDoc(r.one(T.role, "nlp-execution").inputs.assumeRolePolicy),
            );
            expect(task.inputs.managedPolicyArns).to.equal(undefined);
            expect(task.inputs.inlinePolicies).to.equal(undefined);
            const attachedTo = [...r.ofType(T.attachment), ...r.ofType(T.rolePolicy)].map(
                (p) => p.inputs.role,
            );
            expect(attachedTo).to.not.include(task.outputs.name);
        });

        it("security groups: only the ALB is open to the world; tasks reach only the endpoints and S3", () => {
            for (const sg of r.ofType(T.sg)) {
                expect(sg.inputs.vpcId).to.equal("vpc-0123456789abcdef0");
                expect(sg.inputs.ingress, sg.name).to.equal(undefined);
                expect(sg.inputs.egress, sg.name).to.equal(undefined);
            }
            expect(ruleTable(r)).to.deep.equal([
                "nlp-alb in tcp/80-80 cidr:0.0.0.0/0",
                "nlp-alb out tcp/8080-8080 sg:nlp-tasks",
                "nlp-tasks in tcp/8080-8080 sg:nlp-alb",
                "nlp-tasks out tcp/443-443 pl:pl-68a54001",
                "nlp-tasks out tcp/443-443 sg:sg-endpoints",
            ]);
            for (const rule of [...r.ofType(T.ingress), ...r.ofType(T.egress)]) {
                expect(rule.inputs.description, rule.name).to.be.a("string").and.not.equal("");
            }
        });

        it("load balancer: internet-facing in the public subnets, ALB security group only, protected, logging", () => {
            const alb = r.one(T.alb).inputs;
            expect(alb.loadBalancerType).to.equal("application");
            expect(alb.internal).to.equal(false);
            expect(alb.subnets).to.deep.equal(["subnet-pub-a", "subnet-pub-b"]);
            expect(alb.securityGroups).to.deep.equal([r.one(T.sg, "nlp-alb").id]);
            expect(alb.dropInvalidHeaderFields).to.equal(true);
            expect(alb.enableDeletionProtection).to.equal(true);
            expect(alb.accessLogs).to.deep.equal({
                bucket: r.one(T.bucket).outputs.bucket,
                prefix: "alb",
                enabled: true,
            });
        });

        it("access-log bucket: private, SSE-S3, TLS-only, written by us-west-2's ELB account under alb/AWSLogs/<account>/, expiring after 90 days", () => {
            const bucket = r.one(T.bucket);
            const name = bucket.outputs.bucket as string;
            expect(name).to.match(/^nlp-access-logs-[0-9a-f]{7}$/);
            expect(bucket.inputs.forceDestroy).to.equal(false);
            expect(r.one(T.pab).inputs).to.deep.equal({
                bucket: name,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(r.one(T.ownership).inputs).to.deep.equal({
                bucket: name,
                rule: { objectOwnership: "BucketOwnerEnforced" },
            });
            expect(r.one(T.sse).inputs).to.deep.equal({
                bucket: name,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            });
            expect(r.one(T.lifecycle).inputs).to.deep.equal({
                bucket: name,
                rules: [
                    {
                        id: "expire-access-logs",
                        status: "Enabled",
                        filter: { prefix: "alb/" },
                        expiration: { days: 90 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            });
            const policy = r.one(T.bucketPolicy);
            expect(policy.inputs.bucket).to.equal(name);
            expect(policyDoc(policy.inputs.policy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "DenyInsecureTransport",
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                    {
                        Sid: "LoadBalancerLogDelivery",
                        Effect: "Allow",
                        Principal: { AWS: "arn:aws:iam::797873946194:root" },
                        Action: "s3:PutObject",
                        Resource: `arn:aws:s3:::${name}/alb/AWSLogs/${ACCOUNT}/*`,
                    },
                ],
            });
        });

        it("target group: ip targets on 8080, the seed's /health check, short deregistration", () => {
            expect(r.one(T.tg).inputs).to.deep.equal({
                vpcId: "vpc-0123456789abcdef0",
                targetType: "ip",
                protocol: "HTTP",
                port: 8080,
                deregistrationDelay: 30,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTP",
                    port: "traffic-port",
                    path: "/health",
                    matcher: "200",
                    interval: 6,
                    timeout: 5,
                    healthyThreshold: 2,
                    unhealthyThreshold: 2,
                },
                tags: { Name: "nlp-tg" },
            });
        });

        it("one HTTP listener on 80 forwarding to the target group, not tagged as an explicit choice", () => {
            const l = r.one(T.listener, "nlp-http").inputs;
            expect(l.tags).to.deep.equal({ Name: "nlp-http" });
            expect(l.loadBalancerArn).to.equal(r.one(T.alb).outputs.arn);
            expect([l.port, l.protocol, l.certificateArn, l.sslPolicy]).to.deep.equal([
                80,
                "HTTP",
                undefined,
                undefined,
            ]);
            expect(l.defaultActions).to.deep.equal([
                { type: "forward", targetGroupArn: r.one(T.tg).outputs.arn },
            ]);
        });

        it("service: 2 Fargate 1.4.0 tasks in the private subnets, no public IP, circuit breaker with rollback", () => {
            const s = r.one(T.service).inputs;
            expect(s.cluster).to.equal(r.one(T.cluster).outputs.arn);
            expect(s.taskDefinition).to.equal(r.one(T.taskDef).outputs.arn);
            expect(s.launchType).to.equal("FARGATE");
            expect(s.platformVersion).to.equal("1.4.0");
            expect(s.desiredCount).to.equal(2);
            expect(s.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
            expect(s.networkConfiguration).to.deep.equal({
                subnets: ["subnet-priv-a", "subnet-priv-b"],
                securityGroups: [r.one(T.sg, "nlp-tasks").id],
                assignPublicIp: false,
            });
            expect(s.loadBalancers).to.deep.equal([
                {
                    targetGroupArn: r.one(T.tg).outputs.arn,
                    containerName: "nlp-client",
                    containerPort: 8080,
                },
            ]);
            expect(s.healthCheckGracePeriodSeconds).to.equal(60);
            // `up` fails when the tasks do (e.g. an image that cannot be pulled).
            expect(s.waitForSteadyState).to.equal(true);
            // A new key version rolls the tasks (secrets are read at task start).
            expect(s.forceNewDeployment).to.equal(true);
            expect(s.triggers).to.deep.equal({
                apiKeyVersion: r.one(T.secretVersion).outputs.versionId,
            });
        });

        it("outputs: http URL of the ALB, names and the secret's ARN, never the key", () => {
            expect(r.outputs).to.deep.equal({
                url: `http://${r.one(T.alb).outputs.dnsName}`,
                clusterName: r.one(T.cluster).outputs.name,
                serviceName: r.one(T.service).outputs.name,
                logGroupName: r.one(T.logGroup).outputs.name,
                apiKeySecretArn: r.one(T.secret).outputs.arn,
            });
        });
    });

    describe("HTTPS with an ACM certificate", () => {
        let r: TestRun;
        before(async () => {
            r = await deploy({ certificateArn: CERT });
        });

        it("443 terminates TLS 1.2+ and forwards; 80 only redirects to HTTPS (301)", () => {
            expect(
                r
                    .ofType(T.listener)
                    .map((l) => l.name)
                    .sort(),
            ).to.deep.equal(["nlp-http", "nlp-https"]);
            const albArn = r.one(T.alb).outputs.arn;
            const httpsL = r.one(T.listener, "nlp-https").inputs;
            expect(httpsL.loadBalancerArn).to.equal(albArn);
            expect([
                httpsL.port,
                httpsL.protocol,
                httpsL.certificateArn,
                httpsL.sslPolicy,
            ]).to.deep.equal([443, "HTTPS", CERT, "ELBSecurityPolicy-TLS13-1-2-2021-06"]);
            expect(httpsL.defaultActions).to.deep.equal([
                { type: "forward", targetGroupArn: r.one(T.tg).outputs.arn },
            ]);
            const httpL = r.one(T.listener, "nlp-http").inputs;
            expect(httpL.loadBalancerArn).to.equal(albArn);
            expect([httpL.port, httpL.protocol]).to.deep.equal([80, "HTTP"]);
            expect(httpL.defaultActions).to.deep.equal([
                {
                    type: "redirect",
                    redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
                },
            ]);
        });

        it("ALB accepts 80 and 443 from the world; everything else unchanged", () => {
            expect(ruleTable(r)).to.deep.equal([
                "nlp-alb in tcp/443-443 cidr:0.0.0.0/0",
                "nlp-alb in tcp/80-80 cidr:0.0.0.0/0",
                "nlp-alb out tcp/8080-8080 sg:nlp-tasks",
                "nlp-tasks in tcp/8080-8080 sg:nlp-alb",
                "nlp-tasks out tcp/443-443 pl:pl-68a54001",
                "nlp-tasks out tcp/443-443 sg:sg-endpoints",
            ]);
        });

        it("url is https", () => {
            expect(r.outputs.url).to.equal(`https://${r.one(T.alb).outputs.dnsName}`);
        });
    });

    describe("publicTasks (seed 004's layout, no endpoints)", () => {
        let r: TestRun;
        before(async () => {
            r = await deploy({
                publicTasks: true,
                endpointSecurityGroupId: undefined,
                s3PrefixListId: undefined,
                images: { ...baseArgs().images, rakeApp: `${VENDOR_HOME}/rake-app:1.1.0` },
            });
        });

        it("may pull the vendor image straight from its home region", () => {
            expect(containers(r)[1].image).to.equal(`${VENDOR_HOME}/rake-app:1.1.0`);
        });

        it("tasks run in the public subnets with public IPs", () => {
            expect(r.one(T.service).inputs.networkConfiguration).to.deep.equal({
                subnets: ["subnet-pub-a", "subnet-pub-b"],
                securityGroups: [r.one(T.sg, "nlp-tasks").id],
                assignPublicIp: true,
            });
        });

        it("tasks may send 443 anywhere, and still accept only the ALB", () => {
            expect(ruleTable(r)).to.deep.equal([
                "nlp-alb in tcp/80-80 cidr:0.0.0.0/0",
                "nlp-alb out tcp/8080-8080 sg:nlp-tasks",
                "nlp-tasks in tcp/8080-8080 sg:nlp-alb",
                "nlp-tasks out tcp/443-443 cidr:0.0.0.0/0",
            ]);
        });
    });

    describe("API key passed in, listen-address ports, enhanced insights, custom size", () => {
        const KEY = "passed-in-key-0123456789abcdefABCDEF";
        let r: TestRun;
        before(async () => {
            r = await deploy({
                apiKey: pulumi.secret(KEY),
                portFormat: "listen-address",
                containerInsights: "enhanced",
                cpu: 2048,
                memory: 8192,
                desiredCount: 3,
                logRetentionDays: 90,
                tags: { Project: "nlp" },
            });
        });

        it("generates nothing, stores the given key as [secret], and the key appears nowhere else", () => {
            expect(r.ofType(T.password)).to.have.length(0);
            expect(r.one(T.secretVersion).inputs.secretString).to.equal("[secret]");
            expect(holdersOf(r, KEY)).to.deep.equal([]);
        });

        it("port variables are listen addresses; endpoints unchanged", () => {
            expect(containers(r).map((d) => d.environment)).to.deep.equal([
                [
                    { name: "NLP_CLIENT_PORT", value: ":8080" },
                    { name: "PROSE_ENDPOINT", value: "http://localhost:8082" },
                    { name: "RAKE_ENDPOINT", value: "http://localhost:8081" },
                ],
                [{ name: "RAKE_PORT", value: ":8081" }],
                [{ name: "PROSE_PORT", value: ":8082" }],
            ]);
        });

        it("passes size, count, retention, insights level and tags through", () => {
            expect([r.one(T.taskDef).inputs.cpu, r.one(T.taskDef).inputs.memory]).to.deep.equal([
                "2048",
                "8192",
            ]);
            expect(r.one(T.service).inputs.desiredCount).to.equal(3);
            expect(r.one(T.logGroup).inputs.retentionInDays).to.equal(90);
            expect(r.one(T.cluster).inputs.settings).to.deep.equal([
                { name: "containerInsights", value: "enhanced" },
            ]);
            expect(r.one(T.alb).inputs.tags).to.deep.equal({ Project: "nlp", Name: "nlp-alb" });
        });
    });

    describe("a plain-string API key is still stored as a secret", () => {
        const KEY = "plain-string-key-9876543210zyxwvuTSRQ";
        let r: TestRun;
        before(async () => {
            r = await deploy({ apiKey: KEY });
        });
        it("shows [secret] and leaks nowhere", () => {
            expect(r.one(T.secretVersion).inputs.secretString).to.equal("[secret]");
            expect(holdersOf(r, KEY)).to.deep.equal([]);
        });
    });

    describe("vendor image read from the vendor stack (StackReference)", () => {
        it("uses the referenced image exactly", async () => {
            const vendorImage = `${VENDOR}/rake-app:2.0.1`;
            const r = await run(
                () => {
                    const vendor = new pulumi.StackReference("acme/ecr-private-access/vendor");
                    const rakeApp = vendor.requireOutput("rakeAppImage") as pulumi.Output<string>;
                    new NlpService("nlp", baseArgs({ images: { ...baseArgs().images, rakeApp } }));
                    return {};
                },
                {
                    account: ACCOUNT,
                    region: REGION,
                    stackOutputs: { vendor: { rakeAppImage: vendorImage } },
                },
            );
            expect(containers(r)[1].image).to.equal(vendorImage);
        });
        // A referenced `latest` image is rejected inside the apply that renders
        // the container definitions (containerDefinitions() in tests/nlp): the
        // mock runtime cannot report that error, so it is tested there.
    });

    describe("nlp.domain: ACM certificate validated in the public zone, HTTPS only, alias record", () => {
        let r: TestRun;
        before(async () => {
            r = await deploy({ domain: { name: "NLP.Example.com.", hostedZone: "example.com" } });
        });

        it("requests a DNS-validated certificate, writes its record in the zone and waits for it", () => {
            const cert = r.one(T.cert);
            expect(cert.inputs).to.deep.equal({
                domainName: "nlp.example.com",
                validationMethod: "DNS",
                tags: { Name: "nlp-certificate" },
            });
            const dvo = (cert.outputs.domainValidationOptions as any[])[0];
            const validation = r.one(T.record, "nlp-cert-validation");
            const alias = r.one(T.record, "nlp-alias");
            // Both records go to the zone the lookup found by name.
            expect(validation.inputs.zoneId).to.match(/^Z[0-9A-F]{20}$/);
            expect(alias.inputs.zoneId).to.equal(validation.inputs.zoneId);
            expect(validation.inputs).to.deep.equal({
                zoneId: validation.inputs.zoneId,
                name: dvo.resourceRecordName,
                type: "CNAME",
                records: [dvo.resourceRecordValue],
                ttl: 300,
                allowOverwrite: true,
            });
            expect(r.one(T.certValidation).inputs).to.deep.equal({
                certificateArn: cert.outputs.arn,
                validationRecordFqdns: [validation.outputs.fqdn],
            });
        });

        it("443 uses the validated certificate with TLS 1.2+; 80 only redirects", () => {
            const httpsL = r.one(T.listener, "nlp-https").inputs;
            expect([httpsL.port, httpsL.protocol, httpsL.sslPolicy]).to.deep.equal([
                443,
                "HTTPS",
                "ELBSecurityPolicy-TLS13-1-2-2021-06",
            ]);
            expect(httpsL.certificateArn).to.equal(r.one(T.certValidation).outputs.certificateArn);
            expect(httpsL.certificateArn).to.equal(r.one(T.cert).outputs.arn);
            expect(r.one(T.listener, "nlp-http").inputs.defaultActions).to.deep.equal([
                {
                    type: "redirect",
                    redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
                },
            ]);
        });

        it("points an alias A record at the load balancer, and the url is the domain", () => {
            const alb = r.one(T.alb).outputs;
            expect(r.one(T.record, "nlp-alias").inputs).to.deep.equal({
                zoneId: r.one(T.record, "nlp-alias").inputs.zoneId,
                name: "nlp.example.com",
                type: "A",
                aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
            });
            expect(r.outputs.url).to.equal("https://nlp.example.com");
        });

        it("with certificateArn as well: that certificate, no request, still the alias", async () => {
            const both = await deploy({
                domain: { name: "nlp.example.com", hostedZone: "example.com" },
                certificateArn: CERT,
            });
            expect(both.ofType(T.cert)).to.deep.equal([]);
            expect(both.ofType(T.certValidation)).to.deep.equal([]);
            expect(both.one(T.listener, "nlp-https").inputs.certificateArn).to.equal(CERT);
            expect(both.ofType(T.record).map((x) => x.name)).to.deep.equal(["nlp-alias"]);
        });
    });

    describe("internal: true", () => {
        let r: TestRun;
        before(async () => {
            r = await deploy({
                internal: true,
                publicSubnetIds: [],
                clientCidrs: ["10.20.0.0/16", "192.168.0.0/24"],
                allowPlainHttp: true,
            });
        });

        it("an internal load balancer in the private subnets", () => {
            const alb = r.one(T.alb).inputs;
            expect(alb.internal).to.equal(true);
            expect(alb.subnets).to.deep.equal(["subnet-priv-a", "subnet-priv-b"]);
            expect(r.one(T.sg, "nlp-alb").inputs.description).to.equal(
                "Internal load balancer of nlp",
            );
            expect(r.outputs.url).to.match(/^http:\/\/internal-nlp-/);
        });

        it("answers only the listed networks, nothing from the world", () => {
            expect(ruleTable(r)).to.deep.equal([
                "nlp-alb in tcp/80-80 cidr:10.20.0.0/16",
                "nlp-alb in tcp/80-80 cidr:192.168.0.0/24",
                "nlp-alb out tcp/8080-8080 sg:nlp-tasks",
                "nlp-tasks in tcp/8080-8080 sg:nlp-alb",
                "nlp-tasks out tcp/443-443 pl:pl-68a54001",
                "nlp-tasks out tcp/443-443 sg:sg-endpoints",
            ]);
            expect(
                r
                    .ofType(T.ingress)
                    .map((i) => i.name)
                    .sort(),
            ).to.deep.equal([
                "nlp-alb-in-80-10-20-0-0-16",
                "nlp-alb-in-80-192-168-0-0-24",
                "nlp-tasks-in-alb",
            ]);
        });

        it("allowPlainHttp tags the forwarding listener for the policy pack", () => {
            const l = r.one(T.listener, "nlp-http").inputs;
            expect(l.defaultActions).to.deep.equal([
                { type: "forward", targetGroupArn: r.one(T.tg).outputs.arn },
            ]);
            expect(l.tags).to.deep.equal({
                Name: "nlp-http",
                "ecr-private-access:allow-plain-http": "true",
            });
        });
    });

    describe("throwaway stack: deletion protection off, access logs off", () => {
        it("deletionProtection: false unprotects the load balancer and lets destroy empty the log bucket", async () => {
            const r = await deploy({ deletionProtection: false, accessLogRetentionDays: 7 });
            expect(r.one(T.alb).inputs.enableDeletionProtection).to.equal(false);
            expect(r.one(T.bucket).inputs.forceDestroy).to.equal(true);
            const rules = r.one(T.lifecycle).inputs.rules as any[];
            expect(rules[0].expiration).to.deep.equal({ days: 7 });
        });
        it("accessLogs: false builds no bucket and sets no accessLogs", async () => {
            const r = await deploy({ accessLogs: false });
            expect(r.resources.filter((x) => x.type.startsWith("aws:s3/"))).to.deep.equal([]);
            expect(r.one(T.alb).inputs.accessLogs).to.equal(undefined);
        });
    });

    describe("waf", () => {
        it("a regional web ACL with the default managed groups, associated with the load balancer", async () => {
            const r = await deploy({ waf: {} });
            const acl = r.one(T.webAcl);
            expect(acl.inputs.scope).to.equal("REGIONAL");
            expect(acl.inputs.defaultAction).to.deep.equal({ allow: {} });
            expect((acl.inputs.rules as any[]).map((x) => [x.priority, x.name])).to.deep.equal([
                [0, "AWSManagedRulesAmazonIpReputationList"],
                [1, "AWSManagedRulesCommonRuleSet"],
                [2, "AWSManagedRulesKnownBadInputsRuleSet"],
            ]);
            expect((acl.inputs.rules as any[])[1]).to.deep.equal({
                name: "AWSManagedRulesCommonRuleSet",
                priority: 1,
                overrideAction: { none: {} },
                statement: {
                    managedRuleGroupStatement: {
                        vendorName: "AWS",
                        name: "AWSManagedRulesCommonRuleSet",
                    },
                },
                visibilityConfig: {
                    cloudwatchMetricsEnabled: true,
                    metricName: "AWSManagedRulesCommonRuleSet",
                    sampledRequestsEnabled: true,
                },
            });
            expect(r.one(T.webAclAssociation).inputs).to.deep.equal({
                resourceArn: r.one(T.alb).outputs.arn,
                webAclArn: acl.outputs.arn,
            });
        });
        it("takes the groups given, in order", async () => {
            const r = await deploy({ waf: { ruleGroups: ["AWSManagedRulesSQLiRuleSet"] } });
            expect((r.one(T.webAcl).inputs.rules as any[]).map((x) => x.name)).to.deep.equal([
                "AWSManagedRulesSQLiRuleSet",
            ]);
        });
    });

    describe("first deploy: images in the stack's own repositories are read before the task definition", () => {
        it("a missing push fails the run (the task definition input cannot resolve) with a message naming it", async () => {
            const message = await failure(deploy({}, { missingImages: ["prose-app:1.1.0"] }));
            expect(message).to.contain(
                `\`images.proseApp\`: ${CUSTOMER}/prose-app:1.1.0 has not been pushed yet. Push it (docker push ${CUSTOMER}/prose-app:1.1.0`,
            );
            expect(message).to.contain("run `pulumi up` again");
        });
        it("the vendor's image is not read (pull-only rights), so its absence does not stop the plan", async () => {
            const r = await deploy({}, { missingImages: ["rake-app:1.1.0"] });
            expect(containers(r)[1].image).to.equal(`${VENDOR}/rake-app:1.1.0`);
        });
    });

    describe("bad arguments fail before anything is registered", () => {
        const cases: [string, Partial<NlpServiceArgs>, RegExp][] = [
            [
                "desiredCount 0",
                { desiredCount: 0 },
                /^`desiredCount` must be a whole number of at least 1, got 0$/,
            ],
            [
                "a certificate that is not from ACM",
                { certificateArn: `arn:aws:iam::${ACCOUNT}:server-certificate/nlp` },
                /^`certificateArn` must be an ACM certificate ARN/,
            ],
            [
                "cpu too small for three containers",
                { cpu: 512, memory: 4096 },
                /^`cpu` 512 is less than the 768 CPU units/,
            ],
            [
                "memory Fargate does not offer",
                { memory: 5000 },
                /^`memory` 5000 does not go with `cpu` 1024 on Fargate/,
            ],
            [
                "one public subnet",
                { publicSubnetIds: ["subnet-pub-a"] },
                /^`publicSubnetIds` must list at least two subnets/,
            ],
            [
                "no endpoint SG",
                { endpointSecurityGroupId: undefined },
                /^`endpointSecurityGroupId` is required unless `publicTasks` is true/,
            ],
            [
                "no S3 prefix list",
                { s3PrefixListId: undefined },
                /^`s3PrefixListId` is required unless `publicTasks` is true/,
            ],
            [
                "retention CloudWatch does not offer",
                { logRetentionDays: 10 },
                /^`logRetentionDays` 10 is not a CloudWatch Logs retention value/,
            ],
            [
                "unknown insights level",
                { containerInsights: "on" as never },
                /^`containerInsights` must be "enabled" or "enhanced"/,
            ],
            [
                "a latest image",
                { images: { ...baseArgs().images, nlpClient: `${CUSTOMER}/nlp-client:latest` } },
                /^`images.nlpClient` must name a version, not `latest`/,
            ],
            [
                "internal without clientCidrs",
                { internal: true },
                /^`clientCidrs` is required with `internal`/,
            ],
            [
                "allowPlainHttp with a certificate",
                { certificateArn: CERT, allowPlainHttp: true },
                /^`allowPlainHttp` has no effect with `domain` or `certificateArn`/,
            ],
            [
                "an unknown WAF rule group",
                { waf: { ruleGroups: ["AWSManagedRulesEverything"] } },
                /^`waf.ruleGroups\[0\]` "AWSManagedRulesEverything" is not a known AWS managed rule group$/,
            ],
            [
                "internal with one private subnet",
                {
                    internal: true,
                    clientCidrs: ["10.0.0.0/16"],
                    privateSubnetIds: ["subnet-priv-a"],
                },
                /^`privateSubnetIds` must list at least two subnets in different AZs \(the internal load balancer needs two\)/,
            ],
            [
                "an untagged image",
                { images: { ...baseArgs().images, proseApp: `${CUSTOMER}/prose-app` } },
                /^`images.proseApp` must name a tag or digest/,
            ],
        ];
        for (const [label, patch, message] of cases) {
            it(label, () => {
                expect(() => new NlpService("bad", baseArgs(patch))).to.throw(message);
            });
        }
    });
});
