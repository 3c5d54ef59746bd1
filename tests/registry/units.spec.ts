import { expect } from "chai";
import {
    REGISTRY_START_SCRIPT,
    registryConfig,
    registryContainerDefinition,
} from "../../src/registry/distribution";
import { htpasswdFile, htpasswdLine } from "../../src/registry/htpasswd";
import {
    bucketNameProblem,
    defaultBucketName,
    registryBucketPolicy,
    registryTaskRolePolicy,
} from "../../src/registry/storage";
import { s3GatewayPolicy } from "../../src/endpoints/policies";
import { assertSelfHostedRegistryArgs, SelfHostedRegistryChecks } from "../../src/registry/args";

const HASH = "$2a$10$HnlxTcQP2MUrU055btGC8.2wafJhGoOo9Tef.ySqGMfCLtzl/zDiy";
const IMAGE =
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/registry@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e";
const CONFIG_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-config-AbCdEf";
const TLS_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-tls-GhIjKl";
const ROLE = "arn:aws:iam::123456789012:role/registry-task-1234567";
const BUCKET = "registry-registry-123456789012-us-east-1";

describe("registry: registryConfig (the one source of the registry's configuration)", () => {
    it("builds the whole config: S3 through the task role, no redirects, TLS 1.2+, htpasswd, relative URLs", () => {
        expect(
            registryConfig({
                hostName: "registry.example.internal",
                bucket: BUCKET,
                region: "us-east-1",
            }),
        ).to.deep.equal({
            version: "0.1",
            log: {
                level: "info",
                formatter: "json",
                fields: { service: "registry", host: "registry.example.internal" },
                accesslog: { disabled: false },
            },
            storage: {
                s3: { region: "us-east-1", bucket: BUCKET, encrypt: true, secure: true },
                redirect: { disable: true },
                delete: { enabled: false },
                cache: { blobdescriptor: "inmemory" },
                maintenance: {
                    uploadpurging: { enabled: true, age: "168h", interval: "24h", dryrun: false },
                },
            },
            http: {
                addr: ":5000",
                relativeurls: true,
                draintimeout: "55s",
                headers: {
                    "X-Content-Type-Options": ["nosniff"],
                    "Strict-Transport-Security": ["max-age=31536000"],
                },
                tls: { certificate: "tls.crt", key: "tls.key", minimumtls: "tls1.2" },
            },
            auth: { htpasswd: { realm: "registry.example.internal", path: "htpasswd" } },
            health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
        });
    });

    it("has no access keys and no http.secret (they would sit in the task definition in clear)", () => {
        const text = JSON.stringify(
            registryConfig({ hostName: "r.example.internal", bucket: BUCKET, region: "eu-west-1" }),
        );
        expect(text).not.to.match(/accesskey|secretkey|"secret"/);
    });

    it("refuses a bad host name, bucket or region", () => {
        const ok = { hostName: "r.example.internal", bucket: BUCKET, region: "us-east-1" };
        expect(() => registryConfig({ ...ok, hostName: "R.Example" })).to.throw(
            '`hostName` "R.Example" is not a DNS name',
        );
        expect(() => registryConfig({ ...ok, bucket: "My_Bucket" })).to.throw(
            '`bucket` "My_Bucket" is not an S3 bucket name',
        );
        expect(() => registryConfig({ ...ok, region: "mars-1" })).to.throw(
            '`region` "mars-1" is not an AWS region',
        );
    });
});

describe("registry: the container", () => {
    const config = registryConfig({
        hostName: "r.example.internal",
        bucket: BUCKET,
        region: "us-east-1",
    });
    const input = {
        image: IMAGE,
        config,
        configSecretArn: CONFIG_ARN,
        tlsSecretArn: TLS_ARN,
        logGroupName: "registry-logs",
        region: "us-east-1",
    };

    it("starts the registry from files written from its variables, then drops them", () => {
        expect(REGISTRY_START_SCRIPT.split("\n")).to.deep.equal([
            "set -eu",
            "umask 077",
            'cd "$(mktemp -d)"',
            `printf '%s\\n' "$DISTRIBUTION_CONFIG" > config.json`,
            `printf '%s\\n' "$HTPASSWD" > htpasswd`,
            `printf '%s\\n' "$TLS_CERTIFICATE" > tls.crt`,
            `printf '%s\\n' "$TLS_PRIVATE_KEY" > tls.key`,
            "unset DISTRIBUTION_CONFIG HTPASSWD TLS_CERTIFICATE TLS_PRIVATE_KEY",
            "exec registry serve config.json",
        ]);
    });

    it("carries the config as plain environment and every secret by JSON key", () => {
        expect(registryContainerDefinition(input)).to.deep.equal({
            name: "registry",
            image: IMAGE,
            essential: true,
            entryPoint: ["/bin/sh", "-c"],
            command: [REGISTRY_START_SCRIPT],
            portMappings: [{ containerPort: 5000, hostPort: 5000, protocol: "tcp" }],
            environment: [
                { name: "DISTRIBUTION_CONFIG", value: JSON.stringify(config) },
                { name: "OTEL_TRACES_EXPORTER", value: "none" },
            ],
            secrets: [
                { name: "HTPASSWD", valueFrom: `${CONFIG_ARN}:htpasswd::` },
                { name: "REGISTRY_HTTP_SECRET", valueFrom: `${CONFIG_ARN}:httpSecret::` },
                { name: "TLS_CERTIFICATE", valueFrom: `${TLS_ARN}:certificate::` },
                { name: "TLS_PRIVATE_KEY", valueFrom: `${TLS_ARN}:privateKey::` },
            ],
            readonlyRootFilesystem: false,
            stopTimeout: 60,
            logConfiguration: {
                logDriver: "awslogs",
                options: {
                    "awslogs-group": "registry-logs",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "registry",
                },
            },
        });
    });

    it("refuses an image not pinned by digest, or not in ECR", () => {
        for (const image of [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/registry:3.0.0",
            "registry@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e",
            `${IMAGE}0`,
        ]) {
            expect(() => registryContainerDefinition({ ...input, image }), image).to.throw(
                /^`image` must be an ECR private image pinned by digest/,
            );
        }
        expect(() =>
            registryContainerDefinition({ ...input, tlsSecretArn: "registry-tls" }),
        ).to.throw('`tlsSecretArn` is not a Secrets Manager secret ARN: "registry-tls"');
    });
});

describe("registry: htpasswd", () => {
    it("writes user:bcrypt lines in the order given", () => {
        expect(
            htpasswdFile([
                { user: "ci", bcryptHash: HASH },
                { user: "alice.b", bcryptHash: HASH.replace("$2a$", "$2y$") },
            ]),
        ).to.equal(`ci:${HASH}\nalice.b:${HASH.replace("$2a$", "$2y$")}\n`);
    });

    it("refuses what the registry cannot use", () => {
        expect(() => htpasswdLine({ user: "a:b", bcryptHash: HASH })).to.throw(
            'htpasswd user "a:b" is not a valid user name',
        );
        expect(() => htpasswdLine({ user: "Alice", bcryptHash: HASH })).to.throw(
            'htpasswd user "Alice" is not a valid user name',
        );
        for (const hash of [
            "$apr1$abc$def",
            "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
            "",
            HASH.slice(0, -1),
        ]) {
            expect(() => htpasswdLine({ user: "ci", bcryptHash: hash }), hash).to.throw(
                "htpasswd user ci: the password hash is not a bcrypt hash",
            );
        }
        expect(() => htpasswdFile([])).to.throw("needs at least one user");
        expect(() =>
            htpasswdFile([
                { user: "ci", bcryptHash: HASH },
                { user: "ci", bcryptHash: HASH },
            ]),
        ).to.throw("htpasswd user ci is listed twice");
    });
});

describe("registry: the bucket", () => {
    it("names it per stack, account and region", () => {
        expect(defaultBucketName("registry", "123456789012", "us-east-1")).to.equal(BUCKET);
        expect(defaultBucketName("Dev_Stack", "123456789012", "us-east-1")).to.equal(
            "dev-stack-registry-123456789012-us-east-1",
        );
    });

    it("checks S3's naming rules", () => {
        expect(bucketNameProblem(BUCKET)).to.equal(undefined);
        expect(bucketNameProblem("ab")).to.equal(
            '"ab" is 2 characters; S3 bucket names are 3 to 63',
        );
        expect(bucketNameProblem("a".repeat(64))).to.match(/is 64 characters/);
        expect(bucketNameProblem("Upper")).to.match(/must be lower-case letters/);
        expect(bucketNameProblem("a..b")).to.match(/two adjacent periods/);
        expect(bucketNameProblem("192.168.5.4")).to.match(/looks like an IP address/);
        expect(bucketNameProblem("xn--abc")).to.match(/reserves/);
        expect(bucketNameProblem("images-s3alias")).to.match(/reserves/);
        expect(bucketNameProblem("my.images")).to.match(/contains dots/);
    });

    it("writes the bucket policy: TLS only, data for the task role only, through the gateway endpoint only", () => {
        const b = `arn:aws:s3:::${BUCKET}`;
        expect(
            registryBucketPolicy({
                bucketName: BUCKET,
                taskRoleArn: ROLE,
                gatewayEndpointId: "vpce-0abc123",
            }),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [b, `${b}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
                {
                    Sid: "DenyDataAccessExceptRegistry",
                    Effect: "Deny",
                    Principal: "*",
                    Action: [
                        "s3:AbortMultipartUpload",
                        "s3:DeleteObject*",
                        "s3:GetObject*",
                        "s3:ListBucket*",
                        "s3:ListMultipartUploadParts",
                        "s3:PutObject*",
                        "s3:RestoreObject",
                    ],
                    Resource: [b, `${b}/*`],
                    Condition: { StringNotEquals: { "aws:PrincipalArn": ROLE } },
                },
                {
                    Sid: "DenyRegistryOutsideGatewayEndpoint",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [b, `${b}/*`],
                    Condition: {
                        StringEquals: { "aws:PrincipalArn": ROLE },
                        StringNotEquals: { "aws:SourceVpce": "vpce-0abc123" },
                    },
                },
                {
                    Sid: "AllowRegistryBucket",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::123456789012:root" },
                    Action: [
                        "s3:GetBucketLocation",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                    ],
                    Resource: b,
                    Condition: {
                        StringEquals: {
                            "aws:PrincipalArn": ROLE,
                            "aws:SourceVpce": "vpce-0abc123",
                        },
                    },
                },
                {
                    Sid: "AllowRegistryObjects",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::123456789012:root" },
                    Action: [
                        "s3:AbortMultipartUpload",
                        "s3:DeleteObject",
                        "s3:GetObject",
                        "s3:ListMultipartUploadParts",
                        "s3:PutObject",
                    ],
                    Resource: `${b}/*`,
                    Condition: {
                        StringEquals: {
                            "aws:PrincipalArn": ROLE,
                            "aws:SourceVpce": "vpce-0abc123",
                        },
                    },
                },
            ],
        });
    });

    it("refuses a bad role, endpoint or bucket", () => {
        const ok = { bucketName: BUCKET, taskRoleArn: ROLE, gatewayEndpointId: "vpce-0abc123" };
        expect(() => registryBucketPolicy({ ...ok, taskRoleArn: "registry-task" })).to.throw(
            '`taskRoleArn` is not an IAM role ARN: "registry-task"',
        );
        expect(() => registryBucketPolicy({ ...ok, gatewayEndpointId: "pl-123" })).to.throw(
            '`gatewayEndpointId` is not a VPC endpoint ID: "pl-123"',
        );
        expect(() => registryBucketPolicy({ ...ok, bucketName: "A" })).to.throw(
            /^`bucketName` "A" is 1 characters/,
        );
    });

    it("gives the task role the same actions on that bucket only", () => {
        const b = `arn:aws:s3:::${BUCKET}`;
        expect(registryTaskRolePolicy(BUCKET)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "RegistryBucket",
                    Effect: "Allow",
                    Action: [
                        "s3:GetBucketLocation",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                    ],
                    Resource: b,
                },
                {
                    Sid: "RegistryObjects",
                    Effect: "Allow",
                    Action: [
                        "s3:AbortMultipartUpload",
                        "s3:DeleteObject",
                        "s3:GetObject",
                        "s3:ListMultipartUploadParts",
                        "s3:PutObject",
                    ],
                    Resource: `${b}/*`,
                },
            ],
        });
    });

    it("opens the bucket in the S3 gateway endpoint policy, next to ECR's layers", () => {
        const doc = s3GatewayPolicy({ region: "us-east-1", readWriteBuckets: [BUCKET, BUCKET] });
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal([
            "EcrImageLayers",
            "RegistryStorage",
        ]);
        expect(doc.Statement[1]).to.deep.equal({
            Sid: "RegistryStorage",
            Effect: "Allow",
            Principal: "*",
            Action: [
                "s3:GetBucketLocation",
                "s3:ListBucket",
                "s3:ListBucketMultipartUploads",
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        });
        expect(s3GatewayPolicy({ region: "us-east-1" }).Statement).to.have.length(1);
        expect(() => s3GatewayPolicy({ region: "us-east-1", readWriteBuckets: ["Bad"] })).to.throw(
            /^`s3ReadWriteBuckets`: "Bad" must be lower-case/,
        );
    });
});

describe("registry: SelfHostedRegistry argument invariants", () => {
    const ok = (): SelfHostedRegistryChecks => ({
        subnetCount: 2,
        vpcCidr: "10.40.0.0/16",
        hostName: "registry.example.internal",
        image: IMAGE,
        users: ["ci"],
        passwordLength: 32,
        certificateSecretArn: TLS_ARN,
        allowedCidrs: [],
        desiredCount: 2,
        maxCount: 4,
        cpuTargetPercent: 60,
        cpu: 512,
        memory: 1024,
        logRetentionDays: 30,
        containerInsights: "enabled",
        bucketName: BUCKET,
        noncurrentVersionDays: 30,
    });
    it("accepts the defaults", () => {
        expect(() => assertSelfHostedRegistryArgs(ok())).not.to.throw();
    });
    const cases: [Partial<SelfHostedRegistryChecks>, string][] = [
        [
            { subnetCount: 1 },
            "`privateSubnetIds` must name subnets in at least two availability zones, got 1",
        ],
        [
            { hostName: "registry" },
            '`hostName` "registry" is not a lower-case DNS name with two or more labels',
        ],
        [
            { zoneName: "other.internal" },
            '`zoneName` "other.internal" does not contain `hostName` "registry.example.internal"',
        ],
        [
            { image: IMAGE.replace(/@.*/, ":3.0.0") },
            "`image` must be an ECR private image pinned by digest",
        ],
        [{ users: [] }, "`users` must list at least one user"],
        [{ users: ["ci", "ci"] }, '`users[1]` "ci" is listed twice'],
        [{ passwordLength: 73 }, "`passwordLength` must be 16 to 72"],
        [
            { certificateSecretArn: "x" },
            "`certificateSecretArn` is not a Secrets Manager secret ARN",
        ],
        [
            { certificateSecretKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/registry" },
            "`certificateSecretKmsKeyArn` is not a KMS key ARN",
        ],
        [
            { allowedCidrs: ["0.0.0.0/0"] },
            "`allowedCidrs[0]` 0.0.0.0/0 would open the registry to every network",
        ],
        [{ desiredCount: 1 }, "`desiredCount` must be a whole number of at least 2"],
        [
            { maxCount: 1 },
            "`maxCount` must be a whole number of at least `desiredCount` (2), got 1",
        ],
        [{ cpuTargetPercent: 95 }, "`cpuTargetPercent` must be 10 to 90"],
        [{ cpu: 300 }, "`cpu` 300 is not a Fargate task size"],
        [{ memory: 512 }, "`memory` 512 does not go with `cpu` 512 on Fargate"],
        [{ logRetentionDays: 2 }, "`logRetentionDays` 2 is not a CloudWatch Logs retention value"],
        [{ containerInsights: "on" }, '`containerInsights` must be "enabled" or "enhanced"'],
        [{ bucketName: "x" }, '`bucketName` "x" is 1 characters'],
        [
            { noncurrentVersionDays: 0 },
            "`noncurrentVersionDays` must be a whole number of days, at least 1",
        ],
    ];
    for (const [change, message] of cases) {
        it(`refuses ${JSON.stringify(change)}`, () => {
            expect(() => assertSelfHostedRegistryArgs({ ...ok(), ...change })).to.throw(message);
        });
    }
});
