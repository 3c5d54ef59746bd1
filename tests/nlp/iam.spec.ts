import { expect } from "chai";
import {
    ecsTasksTrustPolicy,
    executionRolePolicy,
    imageRepositoryArn,
    parseEcrImage,
} from "../../src/nlp/iam";

const OWN = "444455556666.dkr.ecr.us-west-2.amazonaws.com";
const VENDOR = "111122223333.dkr.ecr.us-west-2.amazonaws.com";
const LOG_GROUP = "arn:aws:logs:us-west-2:444455556666:log-group:nlp-1666378";
const SECRET = "arn:aws:secretsmanager:us-west-2:444455556666:secret:nlp-api-key-abc123";
const DIGEST = `sha256:${"a".repeat(64)}`;

describe("NLP task roles", () => {
    it("trust: ECS tasks of this account and region (SourceArn beside SourceAccount)", () => {
        expect(
            ecsTasksTrustPolicy({ accountId: "444455556666", region: "eu-west-1" }),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "ecs-tasks.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: {
                        ArnLike: { "aws:SourceArn": "arn:aws:ecs:eu-west-1:444455556666:*" },
                        StringEquals: { "aws:SourceAccount": "444455556666" },
                    },
                },
            ],
        });
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
                secretArn: SECRET,
            }),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "EcrLogin",
                    Effect: "Allow",
                    Action: "ecr:GetAuthorizationToken",
                    Resource: "*",
                },
                {
                    Sid: "PullTaskImages",
                    Effect: "Allow",
                    Action: [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                    ],
                    Resource: [
                        "arn:aws:ecr:us-west-2:111122223333:repository/rake-app",
                        "arn:aws:ecr:us-west-2:444455556666:repository/nlp-client",
                    ],
                },
                {
                    Sid: "WriteTaskLogs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                    Resource: `${LOG_GROUP}:log-stream:*`,
                },
                {
                    Sid: "ReadApiKey",
                    Effect: "Allow",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: SECRET,
                },
            ],
        });
    });

    it("no ECR statement at all when no image is in ECR (public tasks pulling public images)", () => {
        const doc = executionRolePolicy({
            images: ["docker.io/library/nginx:1.27"],
            logGroupArn: LOG_GROUP,
            secretArn: SECRET,
        });
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal(["WriteTaskLogs", "ReadApiKey"]);
    });

    it("refuses a log group ARN with the trailing :* (the grant would not match the streams)", () => {
        expect(() =>
            executionRolePolicy({ images: [], logGroupArn: `${LOG_GROUP}:*`, secretArn: SECRET }),
        ).to.throw(/without a trailing ":\*"/);
    });
});
