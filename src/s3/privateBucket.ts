/**
 * What every S3 bucket of the program shares, as pure values: no public
 * access of any kind, and no request without TLS. The components register
 * them (components/privateBucket.ts); the bucket policies that carry the
 * TLS statement are built beside their other statements.
 */
import type { PolicyStatement } from "../iam";

/** Every public access setting of a BucketPublicAccessBlock, on. */
export const BLOCK_ALL_PUBLIC_ACCESS = {
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
} as const;

/**
 * Refuses every request to the bucket and its objects made without TLS
 * (AWS Security Hub control S3.5, AWS Config s3-bucket-ssl-requests-only).
 */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}
