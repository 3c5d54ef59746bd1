/**
 * Invariants of SelfHostedRegistry's arguments. The config block is checked
 * with full key names in src/config.ts; these checks guard direct use of the
 * component and throw the first broken rule, naming the argument.
 */
import { parseCidr } from "../cidr";
import { KMS_KEY_ARN } from "../ecs/iam";
import { FARGATE_TASK_SIZES, LOG_RETENTION_DAYS } from "../nlp/containers";
import { HTPASSWD_USER } from "./htpasswd";
import { bucketNameProblem } from "./storage";

export interface SelfHostedRegistryChecks {
    subnetCount: number;
    vpcCidr: string;
    hostName: string;
    zoneName?: string;
    /** The image when it is a plain string (an Output is checked when it resolves). */
    image?: string;
    users: string[];
    passwordLength: number;
    certificateSecretArn: string;
    certificateSecretKmsKeyArn?: string;
    allowedCidrs: string[];
    desiredCount: number;
    maxCount: number;
    cpuTargetPercent: number;
    cpu: number;
    memory: number;
    logRetentionDays: number;
    containerInsights: string;
    bucketName: string;
    noncurrentVersionDays: number;
}

const DNS_NAME =
    /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const PINNED_ECR_IMAGE =
    /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/;

export function assertSelfHostedRegistryArgs(a: SelfHostedRegistryChecks): void {
    const fail = (arg: string, message: string): never => {
        throw new Error(`\`${arg}\` ${message}`);
    };
    if (a.subnetCount < 2) {
        fail(
            "privateSubnetIds",
            `must name subnets in at least two availability zones, got ${a.subnetCount}`,
        );
    }
    try {
        parseCidr(a.vpcCidr);
    } catch (e) {
        fail("vpcCidr", (e as Error).message);
    }
    if (!DNS_NAME.test(a.hostName))
        fail(
            "hostName",
            `${JSON.stringify(a.hostName)} is not a lower-case DNS name with two or more labels`,
        );
    if (
        a.zoneName !== undefined &&
        a.hostName !== a.zoneName &&
        !a.hostName.endsWith(`.${a.zoneName}`)
    ) {
        fail("zoneName", `"${a.zoneName}" does not contain \`hostName\` "${a.hostName}"`);
    }
    if (a.image !== undefined && !PINNED_ECR_IMAGE.test(a.image)) {
        fail(
            "image",
            `must be an ECR private image pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>), got ${JSON.stringify(a.image)}`,
        );
    }
    if (a.users.length === 0) fail("users", "must list at least one user");
    a.users.forEach((u, i) => {
        if (!HTPASSWD_USER.test(u))
            fail(
                `users[${i}]`,
                `${JSON.stringify(u)} is not a user name (lower-case letters, digits, . _ -)`,
            );
        if (a.users.indexOf(u) !== i) fail(`users[${i}]`, `"${u}" is listed twice`);
    });
    if (!Number.isInteger(a.passwordLength) || a.passwordLength < 16 || a.passwordLength > 72) {
        fail(
            "passwordLength",
            `must be 16 to 72 (bcrypt reads at most 72 bytes), got ${a.passwordLength}`,
        );
    }
    if (!SECRET_ARN.test(a.certificateSecretArn))
        fail(
            "certificateSecretArn",
            `is not a Secrets Manager secret ARN: ${JSON.stringify(a.certificateSecretArn)}`,
        );
    if (
        a.certificateSecretKmsKeyArn !== undefined &&
        !KMS_KEY_ARN.test(a.certificateSecretKmsKeyArn)
    )
        fail(
            "certificateSecretKmsKeyArn",
            `is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; not an alias): ${JSON.stringify(a.certificateSecretKmsKeyArn)}`,
        );
    a.allowedCidrs.forEach((c, i) => {
        let prefix: number;
        try {
            prefix = parseCidr(c).prefix;
        } catch (e) {
            return fail(`allowedCidrs[${i}]`, (e as Error).message);
        }
        if (prefix === 0)
            fail(`allowedCidrs[${i}]`, `${c} would open the registry to every network`);
    });
    if (!Number.isInteger(a.desiredCount) || a.desiredCount < 2) {
        fail(
            "desiredCount",
            `must be a whole number of at least 2 (one task per zone), got ${a.desiredCount}`,
        );
    }
    if (!Number.isInteger(a.maxCount) || a.maxCount < a.desiredCount) {
        fail(
            "maxCount",
            `must be a whole number of at least \`desiredCount\` (${a.desiredCount}), got ${a.maxCount}`,
        );
    }
    if (
        !Number.isInteger(a.cpuTargetPercent) ||
        a.cpuTargetPercent < 10 ||
        a.cpuTargetPercent > 90
    ) {
        fail("cpuTargetPercent", `must be 10 to 90, got ${a.cpuTargetPercent}`);
    }
    const memories = FARGATE_TASK_SIZES[a.cpu];
    if (!memories)
        fail(
            "cpu",
            `${a.cpu} is not a Fargate task size (one of ${Object.keys(FARGATE_TASK_SIZES).join(", ")})`,
        );
    else if (!memories.includes(a.memory))
        fail(
            "memory",
            `${a.memory} does not go with \`cpu\` ${a.cpu} on Fargate (allowed MiB: ${memories.join(", ")})`,
        );
    if (!LOG_RETENTION_DAYS.includes(a.logRetentionDays))
        fail("logRetentionDays", `${a.logRetentionDays} is not a CloudWatch Logs retention value`);
    if (a.containerInsights !== "enabled" && a.containerInsights !== "enhanced") {
        fail(
            "containerInsights",
            `must be "enabled" or "enhanced", got ${JSON.stringify(a.containerInsights)}`,
        );
    }
    const problem = bucketNameProblem(a.bucketName);
    if (problem) fail("bucketName", problem);
    if (!Number.isInteger(a.noncurrentVersionDays) || a.noncurrentVersionDays < 1) {
        fail(
            "noncurrentVersionDays",
            `must be a whole number of days, at least 1, got ${a.noncurrentVersionDays}`,
        );
    }
}
