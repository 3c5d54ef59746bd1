import { expect } from "chai";
import { s3BucketLockedDown } from "../../policies/rules/s3";
import { accessLogBucketPolicy } from "../../src/nlp/edge";
import {
    StackResource,
    UNKNOWN_BOOL,
    UNKNOWN_STRING,
    runStack,
    stackMessages,
    urnOf,
} from "../helpers/policyHarness";

const NAME = "nlp-access-logs-1a2b3c4";
const T = {
    bucket: "aws:s3/bucket:Bucket",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
};
const bucket = (): StackResource => ({
    type: T.bucket,
    name: "logs",
    props: { id: NAME, bucket: NAME, arn: `arn:aws:s3:::${NAME}` },
});
const pab = (props: Record<string, unknown> = {}): StackResource => ({
    type: T.pab,
    name: "logs-pab",
    props: {
        bucket: NAME,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
        ...props,
    },
});
const sse = (algorithm: unknown = "AES256"): StackResource => ({
    type: T.sse,
    name: "logs-sse",
    props: {
        bucket: NAME,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: algorithm } }],
    },
});
// The very policy the program writes.
const programPolicy = JSON.stringify(
    accessLogBucketPolicy({ bucketName: NAME, accountId: "444455556666", region: "us-west-2" }),
);
const policy = (doc: unknown = programPolicy): StackResource => ({
    type: T.policy,
    name: "logs-policy",
    props: { bucket: NAME, policy: doc },
});

const LACKS = `S3 bucket "logs" lacks`;

describe("policy s3-bucket-locked-down", () => {
    it("passes the program's bucket: public access blocked, SSE-S3, TLS-only policy", () => {
        expect(stackMessages(s3BucketLockedDown, [bucket(), pab(), sse(), policy()])).to.deep.equal(
            [],
        );
    });

    it("reports a bare bucket, naming every missing piece, on the bucket's URN", () => {
        expect(runStack(s3BucketLockedDown, [bucket()])).to.deep.equal([
            {
                message: `${LACKS} a public access block with all four settings true, a default encryption configuration, a bucket policy denying requests with "aws:SecureTransport": "false".`,
                urn: urnOf(T.bucket, "logs"),
            },
        ]);
    });

    it("reports one public access setting left false", () => {
        for (const flag of [
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        ]) {
            expect(
                stackMessages(s3BucketLockedDown, [
                    bucket(),
                    pab({ [flag]: false }),
                    sse(),
                    policy(),
                ]),
                flag,
            ).to.deep.equal([`${LACKS} a public access block with all four settings true.`]);
        }
    });

    it("reports a policy that allows plain HTTP (no Deny on aws:SecureTransport)", () => {
        const allowOnly = JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                    Action: "s3:PutObject",
                    Resource: `arn:aws:s3:::${NAME}/alb/*`,
                },
            ],
        });
        const denyOnlyPut = JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:PutObject",
                    Resource: `arn:aws:s3:::${NAME}/*`,
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
        for (const doc of [allowOnly, denyOnlyPut, "not json"]) {
            expect(
                stackMessages(s3BucketLockedDown, [bucket(), pab(), sse(), policy(doc)]),
            ).to.deep.equal([
                `${LACKS} a bucket policy denying requests with "aws:SecureTransport": "false".`,
            ]);
        }
    });

    it("counts inline encryption and policy on the bucket itself", () => {
        const b = bucket();
        b.props = {
            ...b.props,
            serverSideEncryptionConfiguration: {
                rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } },
            },
            policy: programPolicy,
        };
        expect(stackMessages(s3BucketLockedDown, [b, pab()])).to.deep.equal([]);
    });

    it("follows the engine's property dependencies when the bucket name is unknown", () => {
        const b = bucket();
        b.props = { id: UNKNOWN_STRING, bucket: UNKNOWN_STRING };
        const deps = { bucket: ["logs"] };
        const other: StackResource = { ...bucket(), name: "other", props: { id: "other-bucket" } };
        const r = [
            b,
            other,
            { ...pab({ bucket: UNKNOWN_STRING }), deps },
            { ...sse(), props: { ...sse().props, bucket: UNKNOWN_STRING }, deps },
            { ...policy(), props: { bucket: UNKNOWN_STRING, policy: programPolicy }, deps },
        ];
        // `logs` is complete; `other` has nothing.
        expect(stackMessages(s3BucketLockedDown, r)).to.deep.equal([
            `S3 bucket "other" lacks a public access block with all four settings true, a default encryption configuration, a bucket policy denying requests with "aws:SecureTransport": "false".`,
        ]);
    });

    it("skips what is unknown during preview", () => {
        expect(
            stackMessages(s3BucketLockedDown, [
                bucket(),
                pab({ blockPublicAcls: UNKNOWN_BOOL }),
                sse(UNKNOWN_STRING),
                policy(UNKNOWN_STRING),
            ]),
        ).to.deep.equal([]);
        // A sub-resource whose bucket cannot be told: no verdict on that piece.
        expect(
            stackMessages(s3BucketLockedDown, [
                bucket(),
                pab({ bucket: UNKNOWN_STRING }),
                sse(),
                policy(),
            ]),
        ).to.deep.equal([]);
    });
});
