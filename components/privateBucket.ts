import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BLOCK_ALL_PUBLIC_ACCESS } from "../src/s3/privateBucket";

/**
 * The settings that make a bucket private, shared by every bucket of the
 * program (AccessLogBucket, SelfHostedRegistry's storage): every public
 * access setting blocked, ACLs off (objects owned by the bucket owner) and
 * SSE-S3 encryption by default. Not a component: the three resources are
 * registered as children of the calling component (`parent`) under `name`,
 * so their URNs are those the component would give them itself. The bucket
 * policy (TLS only, see `denyInsecureTransport`) stays with the component,
 * which knows who else it admits; it should depend on `publicAccess`, since
 * S3 refuses a policy while the block is being applied.
 */
export function privateBucketSettings(
    name: string,
    bucket: aws.s3.Bucket,
    parent: pulumi.Resource,
): {
    publicAccess: aws.s3.BucketPublicAccessBlock;
    ownership: aws.s3.BucketOwnershipControls;
} {
    const child = { parent };
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        name,
        { bucket: bucket.id, ...BLOCK_ALL_PUBLIC_ACCESS },
        child,
    );
    // The default for new buckets since April 2023, stated so the plan shows it.
    const ownership = new aws.s3.BucketOwnershipControls(
        name,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        {
            bucket: bucket.id,
            // SSE-S3: the only kind ELB access-log delivery supports (ALB user
            // guide, "Enable access logs"), and no KMS key to grant.
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        },
        child,
    );
    return { publicAccess, ownership };
}
