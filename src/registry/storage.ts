/**
 * The self-hosted registry's S3 storage: the bucket's name, its bucket
 * policy and the task role's permissions, as pure documents.
 */
import type { PolicyDocument, PolicyStatement } from "../iam";
import { denyInsecureTransport } from "../s3/privateBucket";

/**
 * What the distribution S3 driver calls on the bucket itself and on its
 * objects (the permission list in distribution's S3 storage-driver docs).
 */
export const REGISTRY_S3_BUCKET_ACTIONS = [
    "s3:GetBucketLocation",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
] as const;
export const REGISTRY_S3_OBJECT_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
] as const;

/**
 * Data actions nobody but the registry may use on the bucket: reading,
 * writing, deleting and listing objects in any form. Bucket configuration
 * (policy, versioning, encryption) stays with the account's administrators,
 * so the stack can still be updated and destroyed.
 */
export const REGISTRY_DATA_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject*",
    "s3:GetObject*",
    "s3:ListBucket*",
    "s3:ListMultipartUploadParts",
    "s3:PutObject*",
    "s3:RestoreObject",
] as const;

/** S3's bucket naming rules (general purpose buckets), as one message per broken rule, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
    if (name.length < 3 || name.length > 63) {
        return `"${name}" is ${name.length} characters; S3 bucket names are 3 to 63`;
    }
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
        return `"${name}" must be lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit`;
    }
    if (/\.\.|\.-|-\./.test(name)) {
        return `"${name}" has two adjacent periods or a period next to a hyphen`;
    }
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `"${name}" looks like an IP address`;
    if (
        /^(?:xn--|sthree-|amzn-s3-demo-)/.test(name) ||
        /(?:-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)
    ) {
        return `"${name}" uses a prefix or suffix S3 reserves`;
    }
    // Dots break virtual-hosted-style HTTPS (the wildcard certificate covers one label).
    if (name.includes(".")) return `"${name}" contains dots, which break HTTPS to the bucket`;
    return undefined;
}

/**
 * The default bucket name, `<stack>-registry-<account>-<region>`: unique per
 * stack, account and region, so two stacks never fight over one global name.
 */
export function defaultBucketName(stack: string, accountId: string, region: string): string {
    return `${stack.toLowerCase().replace(/[^a-z0-9-]/g, "-")}-registry-${accountId}-${region}`;
}

export interface BucketPolicyInput {
    bucketName: string;
    /** The registry tasks' role: the only principal that may touch the data. */
    taskRoleArn: string;
    /** The VPC's S3 gateway endpoint (`vpce-...`): the only path the tasks may use. */
    gatewayEndpointId: string;
    /** @default "aws" */
    partition?: string;
}

/**
 * The bucket policy:
 * 1. any request without TLS is refused;
 * 2. data actions by anyone but the task role are refused (administrators
 *    keep bucket configuration, not the images);
 * 3. the task role is refused unless its request comes through the gateway
 *    endpoint (`aws:SourceVpce`), so leaked task credentials are useless
 *    outside the VPC;
 * 4. the task role is allowed exactly what the S3 driver needs, through that
 *    endpoint (granted to the account, narrowed to the role by aws:PrincipalArn).
 * Condition keys: aws:SecureTransport, aws:PrincipalArn (the role ARN for a
 * role session) and aws:SourceVpce (IAM global condition keys reference).
 */
export function registryBucketPolicy(input: BucketPolicyInput): PolicyDocument {
    const problem = bucketNameProblem(input.bucketName);
    if (problem) throw new Error(`\`bucketName\` ${problem}`);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(input.taskRoleArn)) {
        throw new Error(
            `\`taskRoleArn\` is not an IAM role ARN: ${JSON.stringify(input.taskRoleArn)}`,
        );
    }
    if (!/^vpce-[0-9a-f]+$/.test(input.gatewayEndpointId)) {
        throw new Error(
            `\`gatewayEndpointId\` is not a VPC endpoint ID: ${JSON.stringify(input.gatewayEndpointId)}`,
        );
    }
    const partition = input.partition ?? "aws";
    const bucket = `arn:${partition}:s3:::${input.bucketName}`;
    const objects = `${bucket}/*`;
    const both = [bucket, objects];
    // The Allow names the account and narrows to the role by condition: S3, like ECR,
    // rejects a policy whose principal IAM has not propagated yet, which a role
    // created in the same deployment may not have.
    const account = /^arn:[a-z-]+:iam::(\d{12}):/.exec(input.taskRoleArn)![1];
    const registryThroughEndpoint = {
        StringEquals: {
            "aws:PrincipalArn": input.taskRoleArn,
            "aws:SourceVpce": input.gatewayEndpointId,
        },
    };
    const statements: PolicyStatement[] = [
        denyInsecureTransport(bucket),
        {
            Sid: "DenyDataAccessExceptRegistry",
            Effect: "Deny",
            Principal: "*",
            Action: [...REGISTRY_DATA_ACTIONS],
            Resource: both,
            Condition: { StringNotEquals: { "aws:PrincipalArn": input.taskRoleArn } },
        },
        {
            Sid: "DenyRegistryOutsideGatewayEndpoint",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: both,
            Condition: {
                StringEquals: { "aws:PrincipalArn": input.taskRoleArn },
                StringNotEquals: { "aws:SourceVpce": input.gatewayEndpointId },
            },
        },
        {
            Sid: "AllowRegistryBucket",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${account}:root` },
            Action: [...REGISTRY_S3_BUCKET_ACTIONS],
            Resource: bucket,
            Condition: registryThroughEndpoint,
        },
        {
            Sid: "AllowRegistryObjects",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${account}:root` },
            Action: [...REGISTRY_S3_OBJECT_ACTIONS],
            Resource: objects,
            Condition: registryThroughEndpoint,
        },
    ];
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * The task role's own permissions: the same actions on the same bucket. A
 * bucket policy that names a role may not be enough on its own, so the
 * identity policy grants them too; the bucket policy's denies still apply.
 */
export function registryTaskRolePolicy(bucketName: string, partition = "aws"): PolicyDocument {
    const problem = bucketNameProblem(bucketName);
    if (problem) throw new Error(`\`bucketName\` ${problem}`);
    const bucket = `arn:${partition}:s3:::${bucketName}`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "RegistryBucket",
                Effect: "Allow",
                Action: [...REGISTRY_S3_BUCKET_ACTIONS],
                Resource: bucket,
            },
            {
                Sid: "RegistryObjects",
                Effect: "Allow",
                Action: [...REGISTRY_S3_OBJECT_ACTIONS],
                Resource: `${bucket}/*`,
            },
        ],
    };
}
