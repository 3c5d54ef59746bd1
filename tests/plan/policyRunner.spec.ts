import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { allPolicies } from "../../policies/rules";
import type { Plan, PlanResource, Violation } from "../../src/report/plan";
import { PolicyAnalyzer } from "../../tools/analyzer";

const ROOT = path.resolve(__dirname, "../..");
const STACK = "urn:pulumi:dev::ecr-private-access::pulumi:pulumi:Stack::ecr-private-access-dev";
const REGION = "ap-southeast-1";
const ACCOUNT = "111122223333";

let serial = 0;

/**
 * A resource as the plan records it. `computed` are the outputs the cloud adds (unknown in a
 * first preview); inputs fed by other resources name them in `deps`, as the SDK tells the engine.
 */
function resource(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    opts: { computed?: Record<string, unknown>; deps?: Record<string, PlanResource[]> } = {},
): PlanResource {
    const id = `${name}-${(++serial).toString(16).padStart(17, "0")}`;
    const propertyDependencies = Object.fromEntries(
        Object.entries(opts.deps ?? {}).map(([k, rs]) => [k, rs.map((r) => r.urn)]),
    );
    return {
        urn: `urn:pulumi:dev::ecr-private-access::${type}::${name}`,
        id,
        type,
        name,
        parent: STACK,
        inputs,
        outputs: {
            ...inputs,
            arn: `arn:aws:test:${REGION}:${ACCOUNT}:${name}/${id}`,
            ...opts.computed,
        },
        dependencies: [...new Set(Object.values(propertyDependencies).flat())],
        propertyDependencies,
    };
}

const arnOf = (r: PlanResource) => r.outputs.arn as string;

function plan(resources: PlanResource[]): Plan {
    return { project: "ecr-private-access", stack: "dev", resources, outputs: {}, violations: [] };
}

/** `npm run policy -- <file>` as a user runs it. */
function policyCli(p: Plan, extra: string[] = []) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cli-"));
    const file = path.join(dir, "plan.json");
    fs.writeFileSync(file, JSON.stringify(p));
    const res = spawnSync(
        process.execPath,
        [
            "-r",
            path.join(ROOT, "tools/register.js"),
            path.join(ROOT, "tools/policy.ts"),
            file,
            ...extra,
        ],
        { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
    );
    return { code: res.status, stdout: res.stdout, stderr: res.stderr, dir };
}

// Building blocks, each created in the same change as what uses it.
const vpc = () =>
    resource("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16", enableDnsSupport: true });
const zone = (name: string, v: PlanResource) =>
    resource(
        "aws:route53/zone:Zone",
        `zone-${name}`,
        { name, vpcs: [{ vpcId: v.id, vpcRegion: REGION }] },
        {
            computed: { zoneId: `Z${(++serial).toString().padStart(20, "0")}` },
            deps: { vpcs: [v] },
        },
    );
const sg = (name: string, v: PlanResource) =>
    resource(
        "aws:ec2/securityGroup:SecurityGroup",
        name,
        { vpcId: v.id },
        { deps: { vpcId: [v] } },
    );
const ingress = (name: string, group: PlanResource, rule: Record<string, unknown>) =>
    resource(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name,
        { securityGroupId: group.id, ...rule },
        { deps: { securityGroupId: [group] } },
    );
const subnet = (v: PlanResource) =>
    resource(
        "aws:ec2/subnet:Subnet",
        "subnet",
        { vpcId: v.id, cidrBlock: "10.0.1.0/24" },
        { deps: { vpcId: [v] } },
    );
const interfaceEndpoint = (
    service: string,
    v: PlanResource,
    group: PlanResource,
    s: PlanResource,
) =>
    resource(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        `ep-${service}`,
        {
            vpcId: v.id,
            vpcEndpointType: "Interface",
            serviceName: `com.amazonaws.${REGION}.${service}`,
            privateDnsEnabled: true,
            securityGroupIds: [group.id],
            subnetIds: [s.id],
        },
        { deps: { vpcId: [v], securityGroupIds: [group], subnetIds: [s] } },
    );
const repository = (name: string, inputs: Record<string, unknown>) =>
    resource(
        "aws:ecr/repository:Repository",
        name,
        {
            name,
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "AES256" }],
            ...inputs,
        },
        {
            computed: {
                registryId: ACCOUNT,
                repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
            },
        },
    );
const repositoryPolicy = (repo: PlanResource, statement: Record<string, unknown>) =>
    resource(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        `${repo.name}-policy`,
        {
            repository: repo.inputs.name,
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", ...statement }],
            }),
        },
        { computed: { registryId: ACCOUNT }, deps: { repository: [repo] } },
    );
const loadBalancer = (group: PlanResource, s: PlanResource) =>
    resource(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        {
            loadBalancerType: "application",
            internal: false,
            securityGroups: [group.id],
            subnets: [s.id],
            accessLogs: { enabled: true, bucket: "alb-logs-bucket", prefix: "alb" },
            enableDeletionProtection: true,
        },
        { deps: { securityGroups: [group], subnets: [s] } },
    );
const listener = (
    name: string,
    lb: PlanResource,
    inputs: Record<string, unknown>,
    deps: Record<string, PlanResource[]> = {},
) =>
    resource(
        "aws:lb/listener:Listener",
        name,
        { loadBalancerArn: arnOf(lb), ...inputs },
        {
            deps: { loadBalancerArn: [lb], ...deps },
        },
    );

/** One bucket, named by a literal (known in a first preview); each S3 case adds some of its parts. */
const BUCKET = "store-bucket";
const bucket = () => resource("aws:s3/bucket:Bucket", "store", { bucket: BUCKET });
const bucketPart = (b: PlanResource, type: string, name: string, inputs: Record<string, unknown>) =>
    resource(type, name, { bucket: b.id, ...inputs }, { deps: { bucket: [b] } });
const publicAccessBlock = (b: PlanResource) =>
    bucketPart(b, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "store-pab", {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
    });
const encryption = (b: PlanResource) =>
    bucketPart(
        b,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "store-sse",
        { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    );
const bucketPolicy = (b: PlanResource, name: string, statements: Record<string, unknown>[]) =>
    bucketPart(b, "aws:s3/bucketPolicy:BucketPolicy", name, {
        policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    });
const denyPlainTransport = {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
};

/**
 * For every mandatory rule, a change whose violation shows in values a first preview already
 * knows (literals beside references to resources created in the same change).
 */
function mandatoryCases(): { policy: string; resources: PlanResource[]; offender: string }[] {
    const v = vpc();
    const s = subnet(v);
    const endpointSg = sg("endpoints", v);
    const albSg = sg("alb", v);
    const lb = loadBalancer(albSg, s);
    const cert = resource("aws:acm/certificate:Certificate", "cert", {
        domainName: "nlp.example.com",
    });
    const tg = resource(
        "aws:lb/targetGroup:TargetGroup",
        "tg",
        { port: 8080, protocol: "HTTP", vpcId: v.id, targetType: "ip" },
        { deps: { vpcId: [v] } },
    );
    const forward = [{ type: "forward", targetGroupArn: arnOf(tg) }];
    const https = listener(
        "https",
        lb,
        {
            port: 443,
            protocol: "HTTPS",
            certificateArn: arnOf(cert),
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            defaultActions: forward,
        },
        { certificateArn: [cert], defaultActions: [tg] },
    );
    const key = resource("aws:kms/key:Key", "key", { description: "ecr" });
    const cluster = resource("aws:ecs/cluster:Cluster", "cluster", {
        name: "nlp",
        settings: [{ name: "containerInsights", value: "enabled" }],
    });
    const role = resource("aws:iam/role:Role", "exec", { assumeRolePolicy: "{}" });
    const apexZone = zone(`${REGION}.amazonaws.com`, v);
    const ecrZone = zone(`ecr.${REGION}.amazonaws.com`, v);
    const dkr = interfaceEndpoint("ecr.dkr", v, endpointSg, s);
    const rt = resource(
        "aws:ec2/routeTable:RouteTable",
        "rt",
        { vpcId: v.id },
        { deps: { vpcId: [v] } },
    );
    const gateway = (policy: object) =>
        resource(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "ep-s3",
            {
                vpcId: v.id,
                vpcEndpointType: "Gateway",
                serviceName: `com.amazonaws.${REGION}.s3`,
                routeTableIds: [rt.id],
                policy: JSON.stringify(policy),
            },
            { deps: { vpcId: [v], routeTableIds: [rt] } },
        );
    const repo = (name: string, inputs: Record<string, unknown>) =>
        resource(
            "aws:ecr/repository:Repository",
            name,
            {
                name,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: arnOf(key) }],
                ...inputs,
            },
            { deps: { encryptionConfigurations: [key] } },
        );
    const record = resource(
        "aws:route53/record:Record",
        "api-a",
        { zoneId: ecrZone.outputs.zoneId, name: "api", type: "A", ttl: 60, records: ["10.0.1.23"] },
        { computed: { fqdn: `api.ecr.${REGION}.amazonaws.com` }, deps: { zoneId: [ecrZone] } },
    );
    const app = repository("app", {});
    return [
        { policy: "ecr-dns-cname-not-a", resources: [v, ecrZone, record], offender: "api-a" },
        { policy: "no-apex-overrides", resources: [v, apexZone], offender: apexZone.name },
        {
            policy: "ecr-immutable-tags",
            resources: [key, repo("mutable", { imageTagMutability: "MUTABLE" })],
            offender: "mutable",
        },
        {
            policy: "ecr-scan-on-push",
            resources: [
                key,
                repo("unscanned", { imageScanningConfiguration: { scanOnPush: false } }),
            ],
            offender: "unscanned",
        },
        {
            policy: "ecr-encryption",
            resources: [
                key,
                repo("plain", {
                    encryptionConfigurations: [{ encryptionType: "NONE", kmsKey: arnOf(key) }],
                }),
            ],
            offender: "plain",
        },
        {
            policy: "ecr-repository-policy-not-public",
            resources: [
                app,
                repositoryPolicy(app, { Principal: "*", Action: ["ecr:BatchGetImage"] }),
            ],
            offender: "app-policy",
        },
        {
            policy: "ecr-consumers-pull-only",
            resources: [
                app,
                repositoryPolicy(app, {
                    Principal: "*",
                    Action: ["ecr:BatchGetImage", "ecr:PutImage"],
                    Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abcdef1234" } },
                }),
            ],
            offender: "app-policy",
        },
        {
            policy: "endpoint-sg-ingress-https-only",
            resources: [
                v,
                s,
                endpointSg,
                dkr,
                ingress("endpoints-ssh", endpointSg, {
                    ipProtocol: "tcp",
                    fromPort: 22,
                    toPort: 22,
                    cidrIpv4: "10.0.0.0/16",
                }),
            ],
            offender: "endpoints-ssh",
        },
        {
            policy: "no-world-ingress-except-lb",
            resources: [
                v,
                s,
                albSg,
                lb,
                ingress("alb-ssh", albSg, {
                    ipProtocol: "tcp",
                    fromPort: 22,
                    toPort: 22,
                    cidrIpv4: "0.0.0.0/0",
                }),
            ],
            offender: "alb-ssh",
        },
        {
            policy: "s3-gateway-endpoint-allows-ecr-layers",
            resources: [
                v,
                s,
                endpointSg,
                dkr,
                rt,
                gateway({
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: "*",
                            Action: "s3:GetObject",
                            Resource: "arn:aws:s3:::my-bucket/*",
                        },
                    ],
                }),
            ],
            offender: "ep-s3",
        },
        {
            policy: "vpc-endpoint-policy-has-allow",
            resources: [
                v,
                rt,
                gateway({
                    Statement: [{ Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }],
                }),
            ],
            offender: "ep-s3",
        },
        {
            policy: "ecs-no-plaintext-secrets",
            resources: [
                role,
                resource(
                    "aws:ecs/taskDefinition:TaskDefinition",
                    "task",
                    {
                        family: "nlp",
                        executionRoleArn: arnOf(role),
                        containerDefinitions: JSON.stringify([
                            {
                                name: "app",
                                image: "public.ecr.aws/docker/library/nginx:1.27",
                                environment: [{ name: "API_KEY", value: "hunter2" }],
                            },
                        ]),
                    },
                    { deps: { executionRoleArn: [role] } },
                ),
            ],
            offender: "task",
        },
        {
            policy: "ecs-service-no-public-ip",
            resources: [
                v,
                s,
                albSg,
                cluster,
                resource(
                    "aws:ecs/service:Service",
                    "svc",
                    {
                        cluster: arnOf(cluster),
                        launchType: "FARGATE",
                        networkConfiguration: {
                            assignPublicIp: true,
                            subnets: [s.id],
                            securityGroups: [albSg.id],
                        },
                    },
                    { deps: { cluster: [cluster], networkConfiguration: [s, albSg] } },
                ),
            ],
            offender: "svc",
        },
        {
            policy: "ecs-container-insights",
            resources: [
                resource("aws:ecs/cluster:Cluster", "dark", {
                    name: "dark",
                    settings: [{ name: "containerInsights", value: "disabled" }],
                }),
            ],
            offender: "dark",
        },
        {
            policy: "alb-http-redirects-to-https",
            resources: [
                v,
                s,
                albSg,
                lb,
                cert,
                tg,
                https,
                listener(
                    "http",
                    lb,
                    { port: 80, protocol: "HTTP", defaultActions: forward },
                    { defaultActions: [tg] },
                ),
            ],
            offender: "http",
        },
        {
            policy: "alb-https-tls12",
            resources: [
                v,
                s,
                albSg,
                lb,
                cert,
                tg,
                listener(
                    "old-tls",
                    lb,
                    {
                        port: 443,
                        protocol: "HTTPS",
                        certificateArn: arnOf(cert),
                        sslPolicy: "ELBSecurityPolicy-2016-08",
                        defaultActions: forward,
                    },
                    { certificateArn: [cert], defaultActions: [tg] },
                ),
            ],
            offender: "old-tls",
        },
        {
            policy: "alb-access-logs",
            resources: [
                v,
                s,
                albSg,
                resource(
                    "aws:lb/loadBalancer:LoadBalancer",
                    "alb-no-logs",
                    {
                        loadBalancerType: "application",
                        internal: true,
                        securityGroups: [albSg.id],
                        subnets: [s.id],
                        accessLogs: { enabled: false },
                        enableDeletionProtection: true,
                    },
                    { deps: { securityGroups: [albSg], subnets: [s] } },
                ),
            ],
            offender: "alb-no-logs",
        },
        {
            policy: "nlb-internal",
            resources: [
                v,
                s,
                resource(
                    "aws:lb/loadBalancer:LoadBalancer",
                    "nlb",
                    {
                        loadBalancerType: "network",
                        internal: false,
                        subnets: [s.id],
                        enableDeletionProtection: true,
                    },
                    { deps: { subnets: [s] } },
                ),
            ],
            offender: "nlb",
        },
        ...((): { policy: string; resources: PlanResource[]; offender: string }[] => {
            const b = bucket();
            const pab = publicAccessBlock(b);
            const sse = encryption(b);
            const tls = bucketPolicy(b, "store-policy", [denyPlainTransport]);
            return [
                {
                    policy: "s3-bucket-public-access-blocked",
                    resources: [b, sse, tls],
                    offender: "store",
                },
                { policy: "s3-bucket-encrypted", resources: [b, pab, tls], offender: "store" },
                { policy: "s3-bucket-tls-only", resources: [b, pab, sse], offender: "store" },
                {
                    policy: "s3-bucket-policy-no-public-grant",
                    resources: [
                        b,
                        pab,
                        sse,
                        tls,
                        bucketPolicy(b, "store-public-policy", [
                            denyPlainTransport,
                            {
                                Sid: "Everyone",
                                Effect: "Allow",
                                Principal: "*",
                                Action: "s3:GetObject",
                                Resource: `arn:aws:s3:::${BUCKET}/*`,
                            },
                        ]),
                    ],
                    offender: "store-public-policy",
                },
            ];
        })(),
        ...((): { policy: string; resources: PlanResource[]; offender: string }[] => {
            const secret = resource("aws:secretsmanager/secret:Secret", "hub-token", {
                name: "dockerhub-token",
            });
            return [
                {
                    policy: "ecr-pull-through-cache-credential-secret",
                    resources: [
                        secret,
                        resource(
                            "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
                            "docker-hub",
                            {
                                ecrRepositoryPrefix: "docker-hub",
                                upstreamRegistryUrl: "registry-1.docker.io",
                                credentialArn: arnOf(secret),
                            },
                            { deps: { credentialArn: [secret] } },
                        ),
                    ],
                    offender: "docker-hub",
                },
            ];
        })(),
        ...((): { policy: string; resources: PlanResource[]; offender: string }[] => {
            const role = resource("aws:iam/role:Role", "big-role", {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "ecs-tasks.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
            });
            // 400 repository ARNs: about 25,000 characters, over a role's 10,240.
            const arns = Array.from(
                { length: 400 },
                (_, i) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app-${i}`,
            );
            return [
                {
                    policy: "iam-inline-policy-size",
                    resources: [
                        role,
                        resource(
                            "aws:iam/rolePolicy:RolePolicy",
                            "big-role-pull",
                            {
                                role: role.id,
                                policy: JSON.stringify({
                                    Version: "2012-10-17",
                                    Statement: [
                                        {
                                            Effect: "Allow",
                                            Action: "ecr:BatchGetImage",
                                            Resource: arns,
                                        },
                                    ],
                                }),
                            },
                            { deps: { role: [role] } },
                        ),
                    ],
                    offender: "big-role",
                },
            ];
        })(),
    ];
}

const aRecordPlan = plan(mandatoryCases()[0].resources);

describe("policy verdicts through the pack's analyzer", function () {
    this.timeout(120_000);
    let analyzer: PolicyAnalyzer;
    const cases = mandatoryCases();

    before(() => {
        analyzer = PolicyAnalyzer.start();
    });
    after(async () => {
        await analyzer.close();
    });

    it("has a case for every mandatory rule of the pack", () => {
        const mandatory = allPolicies
            .filter((p) => p.enforcementLevel === "mandatory")
            .map((p) => p.name);
        expect(cases.map((c) => c.policy).sort()).to.deep.equal(mandatory.sort());
    });

    for (const preview of [false, true]) {
        const mode = preview ? "in a first preview" : "in the planned change";
        for (const c of cases) {
            it(`${c.policy}: reports the violation ${mode}, and only that one`, async () => {
                const vs = await analyzer.analyze(c.resources, {
                    project: "ecr-private-access",
                    stack: "dev",
                    preview,
                });
                const offender = c.resources.find((r) => r.name === c.offender)!;
                const mandatory = vs.filter((v) => v.enforcementLevel === "mandatory");
                expect(mandatory.map((v) => `${v.policy} ${v.urn}`)).to.include(
                    `${c.policy} ${offender.urn}`,
                );
                // Nothing else is reported, and no rule trips over an unknown value.
                expect(
                    vs.filter((v) => v.policy !== c.policy && v.enforcementLevel === "mandatory"),
                ).to.deep.equal([]);
                expect(vs.filter((v) => /can't run/.test(v.message))).to.deep.equal([]);
            });
        }
    }

    it("reports nothing in a preview where every value is unknown", async () => {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const blank = (r: PlanResource): PlanResource => ({
            ...r,
            inputs: Object.fromEntries(Object.keys(r.inputs).map((k) => [k, unknown])),
            outputs: {},
        });
        const resources = [
            ...new Map(cases.flatMap((c) => c.resources).map((r) => [r.urn, blank(r)])).values(),
        ];
        const vs: Violation[] = await analyzer.analyze(resources, {
            project: "ecr-private-access",
            stack: "dev",
            preview: true,
        });
        expect(vs).to.deep.equal([]);
    });
});

describe("policy runner (npm run policy)", function () {
    this.timeout(60_000);

    it("exits 1 and names ecr-dns-cname-not-a for an A record with a literal IP on api.ecr.<region>", () => {
        const res = policyCli(aRecordPlan);
        expect(res.code, res.stderr).to.equal(1);
        expect(res.stdout).to.match(/\[mandatory\] ecr-dns-cname-not-a: /);
        expect(res.stdout).to.contain(`api.ecr.${REGION}.amazonaws.com`);
    });

    it("exits 1 with --preview too: the zone is created in the same change, its name is known", () => {
        const res = policyCli(aRecordPlan, ["--preview"]);
        expect(res.code, res.stderr).to.equal(1);
        expect(res.stdout).to.match(
            /\[mandatory\] ecr-dns-cname-not-a: Route 53 record "api\.ecr\./,
        );
    });

    it("with --preview, does not judge a value another new resource produces", () => {
        // The zone's name comes from another resource's computed output: known once it exists,
        // unknown in a first preview, where the rule must stay quiet rather than guess.
        const v = vpc();
        const namer = resource(
            "test:index:Namer",
            "namer",
            {},
            { computed: { zoneName: `${REGION}.amazonaws.com` } },
        );
        const z = resource(
            "aws:route53/zone:Zone",
            "zone",
            { name: namer.outputs.zoneName, vpcs: [{ vpcId: v.id, vpcRegion: REGION }] },
            { deps: { name: [namer], vpcs: [v] } },
        );
        const p = plan([v, namer, z]);
        const full = policyCli(p);
        expect(full.code, full.stderr).to.equal(1);
        expect(full.stdout).to.match(/\[mandatory\] no-apex-overrides: /);
        const preview = policyCli(p, ["--preview"]);
        expect(preview.code, preview.stderr).to.equal(0);
        expect(preview.stdout).to.equal("no policy violations\n");
    });

    it("exits 0 for the same zone set with a CNAME to the endpoint", () => {
        const [v, z, a] = aRecordPlan.resources;
        const cname = {
            ...a,
            inputs: {
                ...a.inputs,
                type: "CNAME",
                records: [`vpce-0a1b2c3d4e5f67890-abcdefgh.api.ecr.${REGION}.vpce.amazonaws.com`],
            },
        };
        cname.outputs = { ...a.outputs, ...cname.inputs };
        const res = policyCli(plan([v, z, cname]));
        expect(res.code, res.stdout + res.stderr).to.equal(0);
        expect(res.stdout).to.not.contain("[mandatory]");
    });

    it("lets a stack lower a rule through policy config, as CrossGuard does", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cfg-"));
        const cfg = path.join(dir, "policy.json");
        fs.writeFileSync(cfg, JSON.stringify({ "ecr-dns-cname-not-a": "advisory" }));
        const res = policyCli(aRecordPlan, ["--config", cfg]);
        expect(res.code, res.stderr).to.equal(0);
        expect(res.stdout).to.match(/\[advisory\] ecr-dns-cname-not-a: /);
    });

    it("exits 2 naming the file and key for a policy config the pack rejects", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cfg-"));
        const cfg = path.join(dir, "policy.json");
        fs.writeFileSync(cfg, JSON.stringify({ "ecr-encryption": { requireKms: "yes" } }));
        const res = policyCli(aRecordPlan, ["--config", cfg]);
        expect(res.code).to.equal(2);
        expect(res.stderr).to.contain(`${cfg}: ecr-encryption.requireKms: "yes" is not a boolean`);
    });
});
