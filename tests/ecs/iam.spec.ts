import { expect } from "chai";
import {
    ecsTasksTrustPolicy,
    executionRolePolicy,
    imageRepositoryArn,
    parseEcrImage,
} from "../../src/ecs/iam";
import { ecsTasksTrust, executionRoleDocument } from "../helpers/expectedIam";

const OWN = "444455556666.dkr.ecr.us-west-2.amazonaws.com";
const VENDOR = "111122223333.dkr.ecr.us-west-2.amazonaws.com";
const LOG_GROUP = "arn:aws:logs:us-west-2:444455556666:log-group:nlp-1666378";
const SECRET = "arn:aws:secretsmanager:us-west-2:444455556666:secret:nlp-api-key-abc123";
const DIGEST = `sha256:${"a".repeat(64)}`;

describe("ECS task roles (src/ecs/iam.ts: the NLP service and the self-hosted registry)", () => {
    it("trust: ECS tasks of this account and region (SourceArn beside SourceAccount)", () => {
        expect(
            ecsTasksTrustPolicy({ accountId: "444455556666", region: "eu-west-1" }),
        ).to.deep.equal(ecsTasksTrust("444455556666", "eu-west-1"));
    });

    it("parses ECR references: tag, digest, namespaces; nothing for other registries", () => {
        expect(parseEcrImage(`${VENDOR}/acme/rake-app:1.0.0`)).to.deep.equal({
            registryId: "111122223333",
            region: "us-west-2",
            repositoryName: "acme/rake-app",
            tag: "1.0.0",
            digest: undefined,
        });
        expect(parseEcrImage(`${OWN}/nlp-client@${DIGEST}`)).to.deep.equal({
            registryId: "444455556666",
            region: "us-west-2",
            repositoryName: "nlp-client",
            tag: undefined,
            digest: DIGEST,
        });
        expect(parseEcrImage("docker.io/library/nginx:1.27")).to.equal(undefined);
        expect(parseEcrImage("public.ecr.aws/nginx/nginx:1.27")).to.equal(undefined);
        expect(imageRepositoryArn(`${VENDOR}/rake-app:1.0.0`)).to.equal(
            "arn:aws:ecr:us-west-2:111122223333:repository/rake-app",
        );
        expect(
            imageRepositoryArn("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/x:1", "aws-cn"),
        ).to.equal("arn:aws-cn:ecr:cn-north-1:111122223333:repository/x");
    });

    it("execution role: login on *, pull on exactly the image repositories, its log streams, the secret", () => {
        expect(
            executionRolePolicy({
                images: [
                    `${OWN}/nlp-client:1`,
                    `${VENDOR}/rake-app:1`,
                    `${OWN}/nlp-client@${DIGEST}`,
                ],
                logGroupArn: LOG_GROUP,
                secretArns: [SECRET],
            }),
        ).to.deep.equal(
            executionRoleDocument({
                repositories: [
                    "arn:aws:ecr:us-west-2:111122223333:repository/rake-app",
                    "arn:aws:ecr:us-west-2:444455556666:repository/nlp-client",
                ],
                logGroupArn: LOG_GROUP,
                secrets: SECRET,
            }),
        );
    });

    it("no ECR statement at all when no image is in ECR (public tasks pulling public images)", () => {
        const doc = executionRolePolicy({
            images: ["docker.io/library/nginx:1.27"],
            logGroupArn: LOG_GROUP,
            secretArns: [SECRET],
        });
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal(["WriteTaskLogs", "ReadTaskSecrets"]);
    });

    it("refuses a log group ARN with the trailing :* (the grant would not match the streams)", () => {
        expect(() =>
            executionRolePolicy({
                images: [],
                logGroupArn: `${LOG_GROUP}:*`,
                secretArns: [SECRET],
            }),
        ).to.throw(/without a trailing ":\*"/);
    });

    describe("the self-hosted registry's execution role", () => {
        const REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
        const LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:registry-1e4b035";
        const CONFIG = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-config-x1";
        const TLS = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-tls-AbCdEf";
        const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const base = {
            images: [`${REGISTRY}/mirror/registry@${DIGEST}`],
            logGroupArn: LOGS,
            secretArns: [TLS, CONFIG],
        };

        it("pulls exactly its image's repository, writes its log streams, reads exactly its two secrets; no KMS grant under aws/secretsmanager", () => {
            expect(executionRolePolicy(base).Statement).to.deep.equal(
                executionRoleDocument({
                    repositories: "arn:aws:ecr:us-east-1:123456789012:repository/mirror/registry",
                    logGroupArn: LOGS,
                    secrets: [CONFIG, TLS],
                }).Statement,
            );
        });

        it("a pull-through cache image: pull, import and create on exactly the cache path", () => {
            const image = `${REGISTRY.replace("us-east-1", "eu-west-1")}/docker-hub/library/registry:3.0.0`;
            const doc = executionRolePolicy({
                ...base,
                images: [],
                pullThroughCacheImages: [image],
            });
            const repo =
                "arn:aws:ecr:eu-west-1:123456789012:repository/docker-hub/library/registry";
            expect(doc.Statement.slice(1, 3)).to.deep.equal([
                {
                    Sid: "PullTaskImages",
                    Effect: "Allow",
                    Action: [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                    ],
                    Resource: repo,
                },
                {
                    Sid: "PullThroughCacheImport",
                    Effect: "Allow",
                    Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                    Resource: repo,
                },
            ]);
            // Without the flag, no import or creation anywhere.
            expect(
                executionRolePolicy({ ...base, images: [image] }).Statement.map((s) => s.Sid),
            ).to.deep.equal(["EcrLogin", "PullTaskImages", "WriteTaskLogs", "ReadTaskSecrets"]);
            expect(() =>
                executionRolePolicy({
                    ...base,
                    pullThroughCacheImages: ["docker.io/library/registry:3"],
                }),
            ).to.throw(/`pullThroughCacheImages` must be ECR private image references/);
        });

        it("a customer managed key: kms:Decrypt on exactly that key", () => {
            const doc = executionRolePolicy({ ...base, secretKmsKeyArns: [KEY] });
            expect(doc.Statement.at(-1)).to.deep.equal({
                Sid: "DecryptTaskSecrets",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: KEY,
            });
            expect(JSON.stringify(executionRolePolicy(base))).not.to.contain("kms:");
        });

        it("refuses an alias for the key (IAM authorises kms:Decrypt on the key ARN), and a key without secrets", () => {
            expect(() =>
                executionRolePolicy({
                    ...base,
                    secretKmsKeyArns: ["arn:aws:kms:us-east-1:123456789012:alias/registry"],
                }),
            ).to.throw(/`secretKmsKeyArns` must be KMS key ARNs/);
            expect(() =>
                executionRolePolicy({ ...base, secretArns: [], secretKmsKeyArns: [KEY] }),
            ).to.throw("`secretKmsKeyArns` is set but the task reads no secret");
        });
    });
});
