import { expect } from "chai";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../../policies/rules";
import {
    publicGrants,
    s3BucketEncrypted,
    s3BucketPolicyNoPublicGrant,
    s3BucketPublicAccessBlocked,
    s3BucketTlsOnly,
    s3Policies,
} from "../../policies/rules/s3";
import { accessLogBucketPolicy } from "../../src/nlp/edge";
import { registryBucketPolicy } from "../../src/registry/storage";
import {
    StackResource,
    UNKNOWN_BOOL,
    UNKNOWN_STRING,
    runResource,
    runStack,
    stackMessages,
    urnOf,
} from "../helpers/policyHarness";

// The S3 rules (policies/rules/s3.ts), each tested both ways on the program's two buckets: the
// self-hosted registry's storage and the NLP load balancer's access-log bucket.

const T = {
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    sseV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
};
const NAME = "registry-registry-123456789012-us-east-1";
const ROLE = "arn:aws:iam::123456789012:role/registry-task-1234567";
const LOGS = "nlp-access-logs-1a2b3c4";

/** The registry's own policy document: the happy path every rule must accept. */
const goodPolicy = () =>
    JSON.stringify(
        registryBucketPolicy({
            bucketName: NAME,
            taskRoleArn: ROLE,
            gatewayEndpointId: "vpce-0a1b2c3d",
        }),
    );
/** The access-log bucket's policy as the program writes it. */
const logsPolicy = () =>
    JSON.stringify(
        accessLogBucketPolicy({ bucketName: LOGS, accountId: "444455556666", region: "us-west-2" }),
    );

const bucket = (props: Record<string, unknown> = {}, type = T.bucket): StackResource => ({
    type,
    name: "registry",
    props: { bucket: NAME, arn: `arn:aws:s3:::${NAME}`, ...props },
});
const pab = (
    props: Record<string, unknown> = {},
    deps?: Record<string, string[]>,
): StackResource => ({
    type: T.pab,
    name: "registry-pab",
    props: {
        bucket: NAME,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
        ...props,
    },
    deps,
});
const sse = (algorithm: unknown = "AES256", props: Record<string, unknown> = {}, type = T.sse) => ({
    type,
    name: "registry-sse",
    props: {
        bucket: NAME,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: algorithm } }],
        ...props,
    },
});
const bucketPolicy = (policy: unknown, props: Record<string, unknown> = {}): StackResource => ({
    type: T.policy,
    name: "registry-policy",
    props: { bucket: NAME, policy, ...props },
});
/** The registry's bucket with everything the rules ask for. */
const complete = (type = T.bucket): StackResource[] => [
    bucket({}, type),
    pab(),
    sse(),
    bucketPolicy(goodPolicy()),
];
/** The access-log bucket with everything, named by id as the program's sub-resources do. */
const logsBucket = (): StackResource[] => [
    {
        type: T.bucket,
        name: "logs",
        props: { id: LOGS, bucket: LOGS, arn: `arn:aws:s3:::${LOGS}` },
    },
    { ...pab({ bucket: LOGS }), name: "logs-pab" },
    { ...sse("AES256", { bucket: LOGS }), name: "logs-sse" },
    { ...bucketPolicy(logsPolicy(), { bucket: LOGS }), name: "logs-policy" },
];

/** Every S3 rule over the resources: `<rule>: <message>`. */
function s3Violations(resources: StackResource[]): string[] {
    const out: string[] = [];
    for (const p of s3Policies) {
        if ("validateStack" in p) {
            runStack(p as StackValidationPolicy, resources).forEach((v) =>
                out.push(`${p.name}: ${v.message}`),
            );
        } else {
            for (const r of resources) {
                runResource(p as ResourceValidationPolicy, r.type, r.props, {
                    name: r.name,
                }).forEach((m) => out.push(`${p.name}: ${m}`));
            }
        }
    }
    return out;
}

describe("policy s3-bucket-public-access-blocked", () => {
    it("passes a bucket with all four settings on", () => {
        expect(stackMessages(s3BucketPublicAccessBlocked, [bucket(), pab()])).to.deep.equal([]);
    });
    it("reports a bucket without a public access block, Bucket and BucketV2 alike", () => {
        for (const type of [T.bucket, T.bucketV2]) {
            expect(runStack(s3BucketPublicAccessBlocked, [bucket({}, type)])).to.deep.equal([
                {
                    message: `S3 bucket "registry" (${NAME}) has no public access block; add one with all four settings true.`,
                    urn: urnOf(type, "registry"),
                },
            ]);
            expect(
                stackMessages(s3BucketPublicAccessBlocked, [bucket({}, type), pab()]),
            ).to.deep.equal([]);
        }
    });
    it("reports settings that are off or unset (S3's default is off)", () => {
        expect(
            runStack(s3BucketPublicAccessBlocked, [
                bucket(),
                pab({ blockPublicPolicy: false, restrictPublicBuckets: undefined }),
            ]),
        ).to.deep.equal([
            {
                message: `Public access block "registry-pab" of S3 bucket "registry" (${NAME}) leaves blockPublicPolicy, restrictPublicBuckets off; set all four to true.`,
                urn: urnOf(T.pab, "registry-pab"),
            },
        ]);
    });
    it("reports each one public access setting left false", () => {
        for (const flag of [
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        ]) {
            expect(
                stackMessages(s3BucketPublicAccessBlocked, [bucket(), pab({ [flag]: false })]),
                flag,
            ).to.deep.equal([
                `Public access block "registry-pab" of S3 bucket "registry" (${NAME}) leaves ${flag} off; set all four to true.`,
            ]);
        }
    });
    it("does not count another bucket's block", () => {
        expect(
            stackMessages(s3BucketPublicAccessBlocked, [bucket(), pab({ bucket: "other-bucket" })]),
        ).to.have.length(1);
    });
    it("follows the engine's property dependencies while the bucket name is unknown (preview)", () => {
        const b = bucket({ bucket: UNKNOWN_STRING, arn: UNKNOWN_STRING });
        expect(
            stackMessages(s3BucketPublicAccessBlocked, [
                b,
                pab({ bucket: UNKNOWN_STRING }, { bucket: ["registry"] }),
            ]),
        ).to.deep.equal([]);
        // The same through a BucketV2.
        expect(
            stackMessages(s3BucketPublicAccessBlocked, [
                { ...b, type: T.bucketV2 },
                pab({ bucket: UNKNOWN_STRING }, { bucket: ["registry"] }),
            ]),
        ).to.deep.equal([]);
        // An unknown reference with no dependency information is not reported as missing.
        expect(
            stackMessages(s3BucketPublicAccessBlocked, [b, pab({ bucket: UNKNOWN_STRING })]),
        ).to.deep.equal([]);
    });
    it("skips a setting that is unknown during preview", () => {
        expect(
            stackMessages(s3BucketPublicAccessBlocked, [
                bucket(),
                pab({ blockPublicAcls: UNKNOWN_BOOL }),
            ]),
        ).to.deep.equal([]);
    });
    it("skips buckets listed in allowedBuckets", () => {
        expect(
            stackMessages(s3BucketPublicAccessBlocked, [bucket()], {
                config: { allowedBuckets: [NAME] },
            }),
        ).to.deep.equal([]);
    });
});

describe("policy s3-bucket-encrypted", () => {
    const MISSING = `S3 bucket "registry" (${NAME}) has no default encryption configuration; add a server-side encryption configuration with applyServerSideEncryptionByDefault (AES256 or aws:kms).`;
    it("passes SSE-S3 and SSE-KMS, as either configuration type, on either bucket type", () => {
        for (const type of [T.bucket, T.bucketV2]) {
            for (const sseType of [T.sse, T.sseV2]) {
                for (const algorithm of ["AES256", "aws:kms"]) {
                    expect(
                        stackMessages(s3BucketEncrypted, [
                            bucket({}, type),
                            sse(algorithm, {}, sseType),
                        ]),
                        `${type} ${sseType} ${algorithm}`,
                    ).to.deep.equal([]);
                }
            }
        }
    });
    it("passes an inline encryption configuration on the bucket itself", () => {
        expect(
            stackMessages(s3BucketEncrypted, [
                bucket({
                    serverSideEncryptionConfiguration: {
                        rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } },
                    },
                }),
            ]),
        ).to.deep.equal([]);
    });
    it("reports a bucket without one, on the bucket's URN, Bucket and BucketV2 alike", () => {
        for (const type of [T.bucket, T.bucketV2]) {
            expect(runStack(s3BucketEncrypted, [bucket({}, type)])).to.deep.equal([
                { message: MISSING, urn: urnOf(type, "registry") },
            ]);
        }
    });
    it("reports a configuration without an algorithm, and another bucket's configuration", () => {
        expect(stackMessages(s3BucketEncrypted, [bucket(), sse("")])).to.deep.equal([MISSING]);
        expect(
            stackMessages(s3BucketEncrypted, [bucket(), sse("AES256", { rules: [] })]),
        ).to.deep.equal([MISSING]);
        expect(
            stackMessages(s3BucketEncrypted, [bucket(), sse("AES256", { bucket: "other" })]),
        ).to.deep.equal([MISSING]);
    });
    it("skips what is unknown during preview", () => {
        expect(stackMessages(s3BucketEncrypted, [bucket(), sse(UNKNOWN_STRING)])).to.deep.equal([]);
        // A configuration whose bucket cannot be told: no verdict.
        expect(
            stackMessages(s3BucketEncrypted, [bucket(), sse("AES256", { bucket: UNKNOWN_STRING })]),
        ).to.deep.equal([]);
    });
    it("skips buckets listed in allowedBuckets", () => {
        expect(
            stackMessages(s3BucketEncrypted, [bucket()], {
                config: { allowedBuckets: ["registry"] },
            }),
        ).to.deep.equal([]);
    });
});

describe("policy s3-bucket-policy-no-public-grant", () => {
    const check = (policy: unknown, type = T.policy) =>
        runResource(s3BucketPolicyNoPublicGrant, type, { bucket: NAME, policy });
    it("passes the registry's policy (denies for *, allows only the task role) and the access-log bucket's", () => {
        expect(check(goodPolicy())).to.deep.equal([]);
        expect(check(logsPolicy())).to.deep.equal([]);
    });
    it("reports an Allow for everyone", () => {
        const doc = JSON.parse(goodPolicy());
        doc.Statement.push({
            Sid: "Public",
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${NAME}/*`,
        });
        expect(check(JSON.stringify(doc))).to.deep.equal([
            'S3 bucket policy: statement "Public" allows s3:GetObject to every principal ("*") without a condition on the caller\'s account, principal or network path.',
        ]);
        // The same in a bucket's inline policy, Bucket and BucketV2 alike.
        for (const type of [T.bucket, T.bucketV2]) {
            expect(check(JSON.stringify(doc), type)).to.deep.equal([
                'S3 bucket inline policy: statement "Public" allows s3:GetObject to every principal ("*") without a condition on the caller\'s account, principal or network path.',
            ]);
        }
    });
    it("reports AWS: * with a condition that restricts nothing", () => {
        expect(
            publicGrants({
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { AWS: ["*"] },
                        Action: ["s3:PutObject"],
                        Resource: "*",
                        Condition: { Bool: { "aws:SecureTransport": "true" } },
                    },
                ],
            }),
        ).to.deep.equal([
            'statement 0 allows s3:PutObject to every principal ("*") without a condition on the caller\'s account, principal or network path',
        ]);
    });
    it("accepts * tied to a VPC endpoint or an organisation", () => {
        for (const cond of [
            { StringEquals: { "aws:SourceVpce": "vpce-1" } },
            { StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" } },
        ]) {
            expect(
                publicGrants({
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: "*",
                            Action: "s3:GetObject",
                            Condition: cond,
                        },
                    ],
                }),
            ).to.deep.equal([]);
        }
    });
    it("reports a policy that is not JSON, and skips an unknown one or a bucket without an inline policy", () => {
        expect(check("{not json")).to.deep.equal([
            "S3 bucket policy: the bucket policy is not a valid JSON policy document.",
        ]);
        expect(check("")).to.have.length(1);
        expect(check(UNKNOWN_STRING)).to.deep.equal([]);
        expect(runResource(s3BucketPolicyNoPublicGrant, T.bucket, { bucket: NAME })).to.deep.equal(
            [],
        );
        expect(check("", T.bucketV2)).to.deep.equal([]);
    });
});

describe("policy s3-bucket-tls-only", () => {
    const fix =
        'add a Deny of "s3:*" for Principal "*" on the bucket and its objects with Condition Bool aws:SecureTransport "false".';
    it("passes the registry's policy and the access-log bucket's", () => {
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(goodPolicy())]),
        ).to.deep.equal([]);
        expect(stackMessages(s3BucketTlsOnly, logsBucket())).to.deep.equal([]);
    });
    it("reports a bucket without a bucket policy, Bucket and BucketV2 alike", () => {
        for (const type of [T.bucket, T.bucketV2]) {
            expect(runStack(s3BucketTlsOnly, [bucket({}, type)])).to.deep.equal([
                {
                    message: `S3 bucket "registry" (${NAME}) has no bucket policy; add one that denies "s3:*" when aws:SecureTransport is false.`,
                    urn: urnOf(type, "registry"),
                },
            ]);
        }
    });
    it("reports a policy without the TLS denial, on the policy's URN", () => {
        const doc = JSON.parse(goodPolicy());
        doc.Statement = doc.Statement.filter(
            (s: { Sid: string }) => s.Sid !== "DenyInsecureTransport",
        );
        expect(
            runStack(s3BucketTlsOnly, [bucket(), bucketPolicy(JSON.stringify(doc))]),
        ).to.deep.equal([
            {
                message: `Bucket policy "registry-policy" of S3 bucket "registry" (${NAME}) does not deny non-TLS requests; ${fix}`,
                urn: urnOf(T.policy, "registry-policy"),
            },
        ]);
    });
    it("reports a policy that only allows (the log writer), and a denial of PutObject only", () => {
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
        for (const doc of [allowOnly, denyOnlyPut]) {
            expect(stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(doc)])).to.deep.equal([
                `Bucket policy "registry-policy" of S3 bucket "registry" (${NAME}) does not deny non-TLS requests; ${fix}`,
            ]);
        }
    });
    it("reports a TLS denial that leaves the objects out, or denies only some actions", () => {
        const doc = JSON.parse(goodPolicy());
        doc.Statement[0].Resource = `arn:aws:s3:::${NAME}`;
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(JSON.stringify(doc))]),
        ).to.deep.equal([
            `Bucket policy "registry-policy" of S3 bucket "registry" (${NAME}) does not deny non-TLS requests on arn:aws:s3:::${NAME}/*; ${fix}`,
        ]);
        const partial = JSON.parse(goodPolicy());
        partial.Statement[0].Action = "s3:GetObject";
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(JSON.stringify(partial))]),
        ).to.have.length(1);
    });
    it("reports a TLS condition that denies TLS traffic instead (true)", () => {
        const doc = JSON.parse(goodPolicy());
        doc.Statement[0].Condition = { Bool: { "aws:SecureTransport": "true" } };
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(JSON.stringify(doc))]),
        ).to.have.length(1);
    });
    it("counts a bucket's inline policy, and reports one without the denial on the bucket's URN", () => {
        expect(stackMessages(s3BucketTlsOnly, [bucket({ policy: goodPolicy() })])).to.deep.equal(
            [],
        );
        const doc = JSON.parse(goodPolicy());
        doc.Statement.shift();
        expect(
            runStack(s3BucketTlsOnly, [bucket({ policy: JSON.stringify(doc) }, T.bucketV2)]),
        ).to.deep.equal([
            {
                message: `The inline policy of S3 bucket "registry" (${NAME}) does not deny non-TLS requests; ${fix}`,
                urn: urnOf(T.bucketV2, "registry"),
            },
        ]);
    });
    it("leaves a policy that is not JSON to s3-bucket-policy-no-public-grant, and skips an unknown one", () => {
        expect(stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy("not json")])).to.deep.equal(
            [],
        );
        expect(s3Violations([bucket(), pab(), sse(), bucketPolicy("not json")])).to.deep.equal([
            "s3-bucket-policy-no-public-grant: S3 bucket policy: the bucket policy is not a valid JSON policy document.",
        ]);
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(UNKNOWN_STRING)]),
        ).to.deep.equal([]);
    });
    it("skips buckets listed in allowedBuckets", () => {
        expect(
            stackMessages(s3BucketTlsOnly, [bucket()], { config: { allowedBuckets: [NAME] } }),
        ).to.deep.equal([]);
    });
});

describe("the S3 rules together", () => {
    it("pass the program's two buckets, Bucket and BucketV2 alike", () => {
        expect(s3Violations([...complete(), ...logsBucket()])).to.deep.equal([]);
        expect(s3Violations(complete(T.bucketV2))).to.deep.equal([]);
    });

    it("report one violation per fault, never two for the same one", () => {
        const without = (drop: string) => complete().filter((r) => r.type !== drop);
        expect(s3Violations(without(T.pab)).map((v) => v.split(":")[0])).to.deep.equal([
            "s3-bucket-public-access-blocked",
        ]);
        expect(s3Violations(without(T.sse)).map((v) => v.split(":")[0])).to.deep.equal([
            "s3-bucket-encrypted",
        ]);
        expect(s3Violations(without(T.policy)).map((v) => v.split(":")[0])).to.deep.equal([
            "s3-bucket-tls-only",
        ]);
        // A bare bucket: one violation for each of the three things it lacks.
        expect(s3Violations([bucket()]).map((v) => v.split(":")[0])).to.deep.equal([
            "s3-bucket-public-access-blocked",
            "s3-bucket-encrypted",
            "s3-bucket-tls-only",
        ]);
    });

    it("follow the engine's property dependencies when bucket names are unknown", () => {
        const logs: StackResource = {
            type: T.bucket,
            name: "logs",
            props: { id: UNKNOWN_STRING, bucket: UNKNOWN_STRING },
        };
        const other: StackResource = {
            type: T.bucketV2,
            name: "other",
            props: { id: "other-bucket", bucket: "other-bucket" },
        };
        const deps = { bucket: ["logs"] };
        const resources: StackResource[] = [
            logs,
            other,
            { ...pab({ bucket: UNKNOWN_STRING }), deps },
            { ...sse("AES256", { bucket: UNKNOWN_STRING }), deps },
            { ...bucketPolicy(logsPolicy(), { bucket: UNKNOWN_STRING }), deps },
        ];
        // `logs` is complete (its policy's ARNs cannot be checked while the name is unknown);
        // `other` has nothing.
        expect(s3Violations(resources)).to.deep.equal([
            's3-bucket-public-access-blocked: S3 bucket "other" (other-bucket) has no public access block; add one with all four settings true.',
            's3-bucket-encrypted: S3 bucket "other" (other-bucket) has no default encryption configuration; add a server-side encryption configuration with applyServerSideEncryptionByDefault (AES256 or aws:kms).',
            's3-bucket-tls-only: S3 bucket "other" (other-bucket) has no bucket policy; add one that denies "s3:*" when aws:SecureTransport is false.',
        ]);
    });

    it("are registered once each, mandatory, and the old combined rule is gone", () => {
        const names = [
            "s3-bucket-public-access-blocked",
            "s3-bucket-encrypted",
            "s3-bucket-policy-no-public-grant",
            "s3-bucket-tls-only",
        ];
        const s3Rules = allPolicies.filter((p) => p.name.startsWith("s3-bucket-"));
        expect(s3Rules.map((p) => [p.name, p.enforcementLevel])).to.deep.equal(
            names.map((n) => [n, "mandatory"]),
        );
        expect(s3Policies.map((p) => p.name)).to.deep.equal(names);
        expect(allPolicies.map((p) => p.name)).not.to.include("s3-bucket-locked-down");
    });
});
