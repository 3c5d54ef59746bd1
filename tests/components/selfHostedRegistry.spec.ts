import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { SelfHostedRegistry, SelfHostedRegistryArgs } from "../../components/selfHostedRegistry";
import {
    REGISTRY_START_SCRIPT,
    registryConfig,
    registryContainerDefinition,
} from "../../src/registry/distribution";
import { registryBucketPolicy, registryTaskRolePolicy } from "../../src/registry/storage";
import { ecsTasksTrust, executionRoleDocument } from "../helpers/expectedIam";
import { policyDoc, run, TestRun } from "../helpers/run";
import { ruleTable } from "../helpers/securityGroups";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const BUCKET = "registry-test-123456789012-us-east-1";
const DIGEST = "sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e";
const IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/mirror/registry@${DIGEST}`;
const TLS = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-tls-AbCdEf`;

const T = {
    bucket: "aws:s3/bucket:Bucket",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    cluster: "aws:ecs/cluster:Cluster",
    password: "random:index/randomPassword:RandomPassword",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    tg: "aws:lb/targetGroup:TargetGroup",
    listener: "aws:lb/listener:Listener",
    taskDef: "aws:ecs/taskDefinition:TaskDefinition",
    service: "aws:ecs/service:Service",
    scalingTarget: "aws:appautoscaling/target:Target",
    scalingPolicy: "aws:appautoscaling/policy:Policy",
    zone: "aws:route53/zone:Zone",
    record: "aws:route53/record:Record",
};

function args(extra: Partial<SelfHostedRegistryArgs> = {}): SelfHostedRegistryArgs {
    return {
        vpcId: "vpc-0123456789abcdef0",
        vpcCidr: "10.40.0.0/16",
        privateSubnetIds: ["subnet-a", "subnet-b"],
        endpointSecurityGroupId: "sg-endpoints",
        s3PrefixListId: "pl-63a5400a",
        s3GatewayEndpointId: "vpce-0a1b2c3d4e5f60789",
        hostName: "registry.example.internal",
        image: IMAGE,
        users: ["ci", "alice"],
        certificateSecretArn: TLS,
        allowedCidrs: ["192.168.0.0/16"],
        bucketName: BUCKET,
        ...extra,
    };
}

interface Deployed extends TestRun {
    /** The config secret's value as the provider receives it (captured from the mock cloud). */
    secretString: string;
}

async function deploy(extra: Partial<SelfHostedRegistryArgs> = {}): Promise<Deployed> {
    let secretString = "";
    const r = await run(
        () => {
            const reg = new SelfHostedRegistry("registry", args(extra));
            return {
                url: reg.url,
                passwords: reg.passwords,
                htpasswd: pulumi.unsecret(reg.htpasswd),
                bucketName: reg.bucketName,
            };
        },
        {
            account: ACCOUNT,
            region: REGION,
            mock: {
                onResource: (a) => {
                    if (a.type === T.secretVersion) {
                        secretString = String((a.inputs.secretString as { value: unknown }).value);
                    }
                },
            },
        },
    );
    return { ...r, secretString };
}

const tags = (name: string) => ({ Name: `registry-${name}` });

describe("SelfHostedRegistry", () => {
    describe("defaults", () => {
        let r: Deployed;
        before(async () => {
            r = await deploy();
        });

        it("creates exactly the expected resources", () => {
            const counts = Object.fromEntries(
                Object.entries(T).map(([k, type]) => [k, r.ofType(type).length]),
            );
            expect(counts).to.deep.equal({
                bucket: 1,
                ownership: 1,
                publicAccess: 1,
                sse: 1,
                versioning: 1,
                lifecycle: 1,
                bucketPolicy: 1,
                logGroup: 1,
                cluster: 1,
                password: 3,
                secret: 1,
                secretVersion: 1,
                role: 2,
                rolePolicy: 2,
                attachment: 0,
                sg: 2,
                ingress: 3,
                egress: 3,
                lb: 1,
                tg: 1,
                listener: 1,
                taskDef: 1,
                service: 1,
                scalingTarget: 1,
                scalingPolicy: 1,
                zone: 1,
                record: 1,
            });
            const component = r.resources.filter(
                (x) => x.type === "ecr-private-access:registry:SelfHostedRegistry",
            );
            expect(component).to.have.length(1);
            // Every child hangs off the component and is named after it.
            for (const x of r.resources.filter((x) => x !== component[0])) {
                expect(x.parent, x.name).to.equal(component[0].urn);
                expect(x.name, x.type).to.match(/^registry(-|$)/);
            }
        });

        it("keeps the bucket private, encrypted and versioned, and retains it on delete", () => {
            const bucket = r.one(T.bucket);
            expect(bucket.inputs).to.deep.equal({
                bucket: BUCKET,
                forceDestroy: false,
                tags: tags("storage"),
            });
            expect(r.one(T.ownership).inputs).to.deep.equal({
                bucket: bucket.id,
                rule: { objectOwnership: "BucketOwnerEnforced" },
            });
            expect(r.one(T.publicAccess).inputs).to.deep.equal({
                bucket: bucket.id,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(r.one(T.sse).inputs).to.deep.equal({
                bucket: bucket.id,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            });
            expect(r.one(T.versioning).inputs).to.deep.equal({
                bucket: bucket.id,
                versioningConfiguration: { status: "Enabled" },
            });
            expect(r.one(T.lifecycle).inputs).to.deep.equal({
                bucket: bucket.id,
                rules: [
                    {
                        id: "abort-incomplete-multipart-uploads",
                        status: "Enabled",
                        filter: { prefix: "" },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                    {
                        id: "expire-noncurrent-versions",
                        status: "Enabled",
                        filter: { prefix: "" },
                        noncurrentVersionExpiration: { noncurrentDays: 30 },
                        expiration: { expiredObjectDeleteMarker: true },
                    },
                ],
            });
        });

        it("admits only the task role, over TLS, through the gateway endpoint", () => {
            const taskRole = r.one(T.role, "registry-task");
            const policy = r.one(T.bucketPolicy);
            expect(policy.inputs.bucket).to.equal(r.one(T.bucket).id);
            expect(policyDoc(policy.inputs.policy)).to.deep.equal(
                registryBucketPolicy({
                    bucketName: BUCKET,
                    taskRoleArn: taskRole.outputs.arn as string,
                    gatewayEndpointId: "vpce-0a1b2c3d4e5f60789",
                }),
            );
            expect(
                policyDoc(r.one(T.rolePolicy, "registry-task-storage").inputs.policy),
            ).to.deep.equal(registryTaskRolePolicy(BUCKET));
            expect(r.one(T.rolePolicy, "registry-task-storage").inputs.role).to.equal(
                taskRole.outputs.name,
            );
        });

        it("generates the passwords and the shared HTTP secret with @pulumi/random", () => {
            const pw = (name: string) => r.one(T.password, name).inputs;
            expect(pw("registry-user-ci")).to.deep.equal({ length: 32, special: false });
            expect(pw("registry-user-alice")).to.deep.equal({ length: 32, special: false });
            expect(pw("registry-http-secret")).to.deep.equal({ length: 48, special: false });
        });

        it("stores the htpasswd file (from the bcrypt hashes) and the HTTP secret in one secret", () => {
            const hash = (u: string) => r.one(T.password, `registry-user-${u}`).outputs.bcryptHash;
            const htpasswd = `ci:${hash("ci")}\nalice:${hash("alice")}\n`;
            expect(JSON.parse(r.secretString)).to.deep.equal({
                htpasswd,
                httpSecret: r.one(T.password, "registry-http-secret").outputs.result,
            });
            expect(r.outputs.htpasswd).to.equal(htpasswd);
            const secret = r.one(T.secret);
            expect(secret.inputs).to.deep.equal({
                description:
                    "htpasswd file and HTTP secret of the registry registry (JSON keys htpasswd, httpSecret)",
                tags: tags("config"),
            });
            expect(r.one(T.secretVersion).inputs).to.deep.equal({
                secretId: secret.id,
                secretString: "[secret]",
            });
        });

        it("exports the passwords only as a secret, and keeps them out of every other resource", () => {
            expect(r.outputs.passwords).to.equal("[secret]");
            for (const user of ["ci", "alice"]) {
                const value = r.one(T.password, `registry-user-${user}`).outputs.result as string;
                expect(value).to.match(/^plan-only-[0-9a-f]{16}$/);
                const holders = r.resources
                    .filter((x) => x.type !== T.password)
                    .filter((x) => JSON.stringify([x.inputs, x.outputs]).includes(value));
                expect(holders.map((x) => x.name)).to.deep.equal([]);
                expect(JSON.stringify(r.outputs)).not.to.include(value);
                expect(r.secretString).not.to.include(value);
            }
        });

        it("gives the execution role exactly its image's pull, its log streams and its two secrets, inline (no managed policy)", () => {
            const role = r.one(T.role, "registry-execution");
            // Only ECS tasks of this account and region (confused deputy).
            const assume = ecsTasksTrust(ACCOUNT, REGION);
            expect(policyDoc(role.inputs.assumeRolePolicy)).to.deep.equal(assume);
            expect(policyDoc(r.one(T.role, "registry-task").inputs.assumeRolePolicy)).to.deep.equal(
                assume,
            );
            expect(r.ofType(T.attachment)).to.deep.equal([]);
            expect(role.inputs.managedPolicyArns).to.equal(undefined);
            const policies = r
                .ofType(T.rolePolicy)
                .filter((p) => p.inputs.role === role.outputs.name);
            expect(policies.map((p) => p.name)).to.deep.equal(["registry-execution"]);
            expect(policyDoc(policies[0].inputs.policy)).to.deep.equal(
                executionRoleDocument({
                    repositories: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/mirror/registry`,
                    logGroupArn: r.one(T.logGroup).outputs.arn as string,
                    secrets: [r.one(T.secret).outputs.arn as string, TLS].sort(),
                }),
            );
        });

        it("opens 443 from the VPC and listed networks to the NLB, 5000 from the NLB to the tasks, and 443 out to endpoints and S3", () => {
            expect(ruleTable(r)).to.deep.equal([
                "registry-nlb in tcp/443-443 cidr:10.40.0.0/16",
                "registry-nlb in tcp/443-443 cidr:192.168.0.0/16",
                "registry-nlb out tcp/5000-5000 sg:registry-tasks",
                "registry-tasks in tcp/5000-5000 sg:registry-nlb",
                "registry-tasks out tcp/443-443 pl:pl-63a5400a",
                "registry-tasks out tcp/443-443 sg:sg-endpoints",
            ]);
            expect(
                r
                    .ofType(T.ingress)
                    .map((x) => x.name)
                    .sort(),
            ).to.deep.equal([
                "registry-nlb-in-192-168-0-0-16",
                "registry-nlb-in-vpc",
                "registry-tasks-in-nlb",
            ]);
        });

        it("puts an internal NLB in the private subnets, passing TCP 443 to the tasks' TLS", () => {
            const nlbSg = r.one(T.sg, "registry-nlb");
            const lb = r.one(T.lb);
            expect(lb.inputs).to.deep.equal({
                loadBalancerType: "network",
                internal: true,
                ipAddressType: "ipv4",
                subnets: ["subnet-a", "subnet-b"],
                securityGroups: [nlbSg.id],
                enableCrossZoneLoadBalancing: true,
                tags: tags("nlb"),
            });
            const tg = r.one(T.tg);
            expect(tg.inputs).to.deep.equal({
                vpcId: "vpc-0123456789abcdef0",
                targetType: "ip",
                protocol: "TCP",
                port: 5000,
                deregistrationDelay: 60,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTPS",
                    port: "traffic-port",
                    path: "/v2/",
                    matcher: "401",
                    interval: 10,
                    timeout: 6,
                    healthyThreshold: 2,
                    unhealthyThreshold: 2,
                },
                tags: tags("tg"),
            });
            expect(r.one(T.listener).inputs).to.deep.equal({
                loadBalancerArn: lb.outputs.arn,
                port: 443,
                protocol: "TCP",
                defaultActions: [{ type: "forward", targetGroupArn: tg.outputs.arn }],
                tags: tags("443"),
            });
            expect(lb.outputs.arn).to.match(/:loadbalancer\/net\//);
        });

        it("runs the pinned image with the config from registryConfig, on Fargate, in a task with the two roles", () => {
            const td = r.one(T.taskDef);
            const { containerDefinitions, ...rest } = td.inputs;
            expect(rest).to.deep.equal({
                family: "registry",
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: "512",
                memory: "1024",
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: r.one(T.role, "registry-execution").outputs.arn,
                taskRoleArn: r.one(T.role, "registry-task").outputs.arn,
                tags: tags("task"),
            });
            expect(JSON.parse(containerDefinitions as string)).to.deep.equal([
                registryContainerDefinition({
                    image: IMAGE,
                    config: registryConfig({
                        hostName: "registry.example.internal",
                        bucket: BUCKET,
                        region: REGION,
                    }),
                    configSecretArn: r.one(T.secret).outputs.arn as string,
                    tlsSecretArn: TLS,
                    logGroupName: r.one(T.logGroup).outputs.name as string,
                    region: REGION,
                }),
            ]);
            expect(JSON.parse(containerDefinitions as string)[0].command).to.deep.equal([
                REGISTRY_START_SCRIPT,
            ]);
        });

        it("keeps two tasks in the private subnets with no public IP, behind the target group, rolling on a new htpasswd", () => {
            const service = r.one(T.service);
            expect(service.inputs).to.deep.equal({
                cluster: r.one(T.cluster).outputs.arn,
                taskDefinition: r.one(T.taskDef).outputs.arn,
                launchType: "FARGATE",
                platformVersion: "1.4.0",
                desiredCount: 2,
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                availabilityZoneRebalancing: "ENABLED",
                networkConfiguration: {
                    subnets: ["subnet-a", "subnet-b"],
                    securityGroups: [r.one(T.sg, "registry-tasks").id],
                    assignPublicIp: false,
                },
                loadBalancers: [
                    {
                        targetGroupArn: r.one(T.tg).outputs.arn,
                        containerName: "registry",
                        containerPort: 5000,
                    },
                ],
                healthCheckGracePeriodSeconds: 60,
                enableEcsManagedTags: true,
                propagateTags: "SERVICE",
                forceNewDeployment: true,
                triggers: { configVersion: r.one(T.secretVersion).outputs.versionId },
                tags: tags("service"),
            });
        });

        it("turns on Container Insights and keeps logs 30 days", () => {
            expect(r.one(T.cluster).inputs).to.deep.equal({
                settings: [{ name: "containerInsights", value: "enabled" }],
                tags: tags("cluster"),
            });
            expect(r.one(T.logGroup).inputs).to.deep.equal({
                retentionInDays: 30,
                tags: tags("logs"),
            });
        });

        it("scales between 2 and 4 tasks on average CPU", () => {
            const cluster = r.one(T.cluster).outputs.name;
            const service = r.one(T.service).outputs.name;
            const target = r.one(T.scalingTarget);
            expect(target.inputs).to.deep.equal({
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: `service/${cluster}/${service}`,
                minCapacity: 2,
                maxCapacity: 4,
                tags: tags("scaling"),
            });
            expect(r.one(T.scalingPolicy).inputs).to.deep.equal({
                policyType: "TargetTrackingScaling",
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: `service/${cluster}/${service}`,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: {
                        predefinedMetricType: "ECSServiceAverageCPUUtilization",
                    },
                    targetValue: 60,
                    scaleOutCooldown: 60,
                    scaleInCooldown: 300,
                },
            });
        });

        it("names the registry in a private zone associated with the VPC, as an alias to the NLB", () => {
            const zone = r.one(T.zone);
            expect(zone.inputs).to.deep.equal({
                name: "example.internal",
                comment: "Private zone of the registry registry (registry.example.internal)",
                vpcs: [{ vpcId: "vpc-0123456789abcdef0" }],
                tags: tags("zone"),
            });
            const lb = r.one(T.lb);
            expect(r.one(T.record).inputs).to.deep.equal({
                zoneId: zone.outputs.zoneId,
                name: "registry.example.internal",
                type: "A",
                aliases: [
                    {
                        name: lb.outputs.dnsName,
                        zoneId: lb.outputs.zoneId,
                        evaluateTargetHealth: true,
                    },
                ],
            });
            expect(r.outputs.url).to.equal("https://registry.example.internal");
            expect(r.outputs.bucketName).to.equal(BUCKET);
        });
    });

    describe("options", () => {
        it("without versioning: no versioning resource and only the multipart rule", async () => {
            const r = await deploy({ versioning: false });
            expect(r.ofType(T.versioning)).to.have.length(0);
            expect(
                (r.one(T.lifecycle).inputs.rules as { id: string }[]).map((x) => x.id),
            ).to.deep.equal(["abort-incomplete-multipart-uploads"]);
        });

        it("with a pull-through cache image: the execution role pulls, imports and creates that repository only", async () => {
            const image = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/docker-hub/library/registry@${DIGEST}`;
            const r = await deploy({ image, pullThroughCache: true });
            const repo = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/docker-hub/library/registry`;
            const st = policyDoc(r.one(T.rolePolicy, "registry-execution").inputs.policy).Statement;
            expect(st.map((x: { Sid: string }) => x.Sid)).to.deep.equal([
                "EcrLogin",
                "PullTaskImages",
                "PullThroughCacheImport",
                "WriteTaskLogs",
                "ReadTaskSecrets",
            ]);
            expect(st[1].Resource).to.equal(repo);
            expect(st[2]).to.deep.equal({
                Sid: "PullThroughCacheImport",
                Effect: "Allow",
                Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                Resource: repo,
            });
        });

        it("with a customer managed key on the TLS secret: kms:Decrypt on exactly that key", async () => {
            const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
            const r = await deploy({ certificateSecretKmsKeyArn: key });
            const st = policyDoc(r.one(T.rolePolicy, "registry-execution").inputs.policy).Statement;
            expect(st.at(-1)).to.deep.equal({
                Sid: "DecryptTaskSecrets",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: key,
            });
            // Without one, no KMS action at all.
            const plain = await deploy();
            expect(
                String(plain.one(T.rolePolicy, "registry-execution").inputs.policy),
            ).not.to.contain("kms:");
        });

        it("sizes, counts and zone from the arguments", async () => {
            const r = await deploy({
                desiredCount: 3,
                maxCount: 6,
                cpu: 1024,
                memory: 2048,
                cpuTargetPercent: 50,
                logRetentionDays: 90,
                containerInsights: "enhanced",
                zoneName: "registry.example.internal",
                passwordLength: 40,
                noncurrentVersionDays: 7,
            });
            expect(r.one(T.service).inputs.desiredCount).to.equal(3);
            expect(r.one(T.scalingTarget).inputs).to.include({ minCapacity: 3, maxCapacity: 6 });
            expect(r.one(T.taskDef).inputs).to.include({ cpu: "1024", memory: "2048" });
            expect(
                (
                    r.one(T.scalingPolicy).inputs.targetTrackingScalingPolicyConfiguration as {
                        targetValue: number;
                    }
                ).targetValue,
            ).to.equal(50);
            expect(r.one(T.logGroup).inputs.retentionInDays).to.equal(90);
            expect(r.one(T.cluster).inputs.settings).to.deep.equal([
                { name: "containerInsights", value: "enhanced" },
            ]);
            expect(r.one(T.zone).inputs.name).to.equal("registry.example.internal");
            expect(r.one(T.password, "registry-user-ci").inputs.length).to.equal(40);
            expect(
                (r.one(T.lifecycle).inputs.rules as { noncurrentVersionExpiration?: unknown }[])[1]
                    .noncurrentVersionExpiration,
            ).to.deep.equal({ noncurrentDays: 7 });
        });

        it("refuses bad arguments before registering anything", async () => {
            let error: Error | undefined;
            const r = await run(
                () => {
                    try {
                        new SelfHostedRegistry(
                            "registry",
                            args({ privateSubnetIds: ["subnet-a"] }),
                        );
                    } catch (e) {
                        error = e as Error;
                    }
                    return {};
                },
                { account: ACCOUNT, region: REGION },
            );
            expect(error?.message).to.equal(
                "`privateSubnetIds` must name subnets in at least two availability zones, got 1",
            );
            expect(r.resources).to.deep.equal([]);
        });

        it("refuses an image Output that is not pinned by digest when it resolves", async () => {
            let error: unknown;
            try {
                await deploy({ image: pulumi.output(IMAGE.replace(/@.*/, ":3.0.0")) });
            } catch (e) {
                error = e;
            }
            expect(String(error)).to.include(
                "`image` must be an ECR private image pinned by digest",
            );
        });
    });
});
