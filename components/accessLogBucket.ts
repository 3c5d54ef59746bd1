import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ACCESS_LOG_PREFIX, accessLogBucketPolicy } from "../src/nlp/edge";
import { privateBucketSettings } from "./privateBucket";

export interface AccessLogBucketArgs {
    /** The account whose load balancers write here (ELB writes under `<prefix>/AWSLogs/<account>/`). */
    accountId: pulumi.Input<string>;
    /** The bucket's region, which must be the load balancers' region; it picks the log writer (ELB account or service principal). */
    region: pulumi.Input<string>;
    /** @default "aws" */
    partition?: pulumi.Input<string>;
    /**
     * Days an access-log object is kept before S3 expires it.
     * @default 90
     */
    retentionDays?: number;
    /**
     * Let `pulumi destroy` delete the bucket with the logs in it. Off, a
     * destroy fails while logs remain, which keeps them for an investigation.
     * @default false
     */
    forceDestroy?: boolean;
    /** Tags for every resource that takes them. */
    tags?: Record<string, string>;
}

/**
 * An S3 bucket for load-balancer access logs: SSE-S3 encryption (the only
 * kind ELB log delivery supports), every public access setting blocked, ACLs
 * off, TLS-only access, write access for the region's ELB log writer under
 * one prefix only, and expiry after `retentionDays`.
 */
export class AccessLogBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    /** The prefix to give the load balancer (its `accessLogs.prefix`). */
    public readonly prefix: string;
    /**
     * The bucket policy: a load balancer must depend on it, since ELB checks
     * that it may write when access logs are turned on.
     */
    public readonly policy: aws.s3.BucketPolicy;

    constructor(name: string, args: AccessLogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        const retentionDays = args.retentionDays ?? 90;
        if (!Number.isInteger(retentionDays) || retentionDays < 1) {
            throw new Error(
                `\`retentionDays\` must be a whole number of days, got ${retentionDays}`,
            );
        }
        super("ecr-private-access:lb:AccessLogBucket", name, {}, opts);
        const child = { parent: this };
        this.prefix = ACCESS_LOG_PREFIX;

        const bucket = new aws.s3.Bucket(
            name,
            {
                forceDestroy: args.forceDestroy ?? false,
                tags: { ...args.tags, Name: name },
            },
            child,
        );
        const { publicAccess } = privateBucketSettings(name, bucket, this);
        new aws.s3.BucketLifecycleConfiguration(
            name,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-access-logs",
                        status: "Enabled",
                        filter: { prefix: `${this.prefix}/` },
                        expiration: { days: retentionDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            child,
        );
        this.policy = new aws.s3.BucketPolicy(
            name,
            {
                bucket: bucket.id,
                policy: pulumi
                    .all([bucket.bucket, args.accountId, args.region, args.partition ?? "aws"])
                    .apply(([bucketName, accountId, region, partition]) =>
                        JSON.stringify(
                            accessLogBucketPolicy({
                                bucketName,
                                accountId,
                                region,
                                partition,
                                prefix: this.prefix,
                            }),
                        ),
                    ),
            },
            // S3 rejects concurrent changes to a bucket's access settings.
            { parent: this, dependsOn: [publicAccess] },
        );

        this.bucketName = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
    }
}
