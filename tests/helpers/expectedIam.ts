/**
 * IAM documents the specs expect, spelled out here (never built with src/),
 * so a spec fails when a document the program builds changes.
 */

/** The trust policy of an ECS task role: ECS tasks of this account and region only (confused deputy). */
export function ecsTasksTrust(accountId: string, region: string) {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: "ecs-tasks.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    ArnLike: { "aws:SourceArn": `arn:aws:ecs:${region}:${accountId}:*` },
                    StringEquals: { "aws:SourceAccount": accountId },
                },
            },
        ],
    };
}

/**
 * An execution role's whole policy: an ECR login, the pull actions on
 * exactly `repositories`, writes to its log group's streams, and reads of
 * exactly `secrets` (no KMS grant).
 */
export function executionRoleDocument(expected: {
    repositories: string | string[];
    logGroupArn: string;
    secrets: string | string[];
}) {
    return {
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
                Resource: expected.repositories,
            },
            {
                Sid: "WriteTaskLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `${expected.logGroupArn}:log-stream:*`,
            },
            {
                Sid: "ReadTaskSecrets",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: expected.secrets,
            },
        ],
    };
}
