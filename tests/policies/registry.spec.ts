import { expect } from "chai";
import { ecsServiceNoPublicIp } from "../../policies/rules/ecs";
import { allPolicies } from "../../policies/rules";
import {
    nlbInternal,
    publicGrants,
    s3BucketPolicyNoPublicGrant,
    s3BucketPublicAccessBlocked,
    s3BucketTlsOnly,
} from "../../policies/rules/registry";
import { registryBucketPolicy } from "../../src/registry/storage";
import {
    StackResource,
    UNKNOWN_STRING,
    runResource,
    runStack,
    stackMessages,
    urnOf,
} from "../helpers/policyHarness";

const BUCKET_T = "aws:s3/bucket:Bucket";
const PAB_T = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const POLICY_T = "aws:s3/bucketPolicy:BucketPolicy";
const LB_T = "aws:lb/loadBalancer:LoadBalancer";
const NAME = "registry-registry-123456789012-us-east-1";
const ROLE = "arn:aws:iam::123456789012:role/registry-task-1234567";

/** The registry's own policy document: the happy path every rule must accept. */
const goodPolicy = () =>
    JSON.stringify(
        registryBucketPolicy({
            bucketName: NAME,
            taskRoleArn: ROLE,
            gatewayEndpointId: "vpce-0a1b2c3d",
        }),
    );

const bucket = (props: Record<string, unknown> = {}): StackResource => ({
    type: BUCKET_T,
    name: "registry",
    props: { bucket: NAME, arn: `arn:aws:s3:::${NAME}`, ...props },
});
const pab = (
    props: Record<string, unknown> = {},
    deps?: Record<string, string[]>,
): StackResource => ({
    type: PAB_T,
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
const bucketPolicy = (policy: unknown, props: Record<string, unknown> = {}): StackResource => ({
    type: POLICY_T,
    name: "registry-policy",
    props: { bucket: NAME, policy, ...props },
});

describe("policy s3-bucket-public-access-blocked", () => {
    it("passes a bucket with all four settings on", () => {
        expect(stackMessages(s3BucketPublicAccessBlocked, [bucket(), pab()])).to.deep.equal([]);
    });
    it("reports a bucket without a public access block", () => {
        expect(runStack(s3BucketPublicAccessBlocked, [bucket()])).to.deep.equal([
            {
                message: `S3 bucket "registry" (${NAME}) has no public access block; add one with all four settings true.`,
                urn: urnOf(BUCKET_T, "registry"),
            },
        ]);
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
                urn: urnOf(PAB_T, "registry-pab"),
            },
        ]);
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
        // An unknown reference with no dependency information is not reported as missing.
        expect(
            stackMessages(s3BucketPublicAccessBlocked, [b, pab({ bucket: UNKNOWN_STRING })]),
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

describe("policy s3-bucket-policy-no-public-grant", () => {
    const check = (policy: unknown) =>
        runResource(s3BucketPolicyNoPublicGrant, POLICY_T, { bucket: NAME, policy });
    it("passes the registry's policy (denies for *, allows only the task role)", () => {
        expect(check(goodPolicy())).to.deep.equal([]);
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
    it("reports a policy that is not JSON, and skips an unknown one", () => {
        expect(check("{not json")).to.deep.equal([
            "S3 bucket policy: the bucket policy is not a valid JSON policy document.",
        ]);
        expect(check(UNKNOWN_STRING)).to.deep.equal([]);
    });
});

describe("policy s3-bucket-tls-only", () => {
    it("passes the registry's policy", () => {
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(goodPolicy())]),
        ).to.deep.equal([]);
    });
    it("reports a bucket without a bucket policy", () => {
        expect(runStack(s3BucketTlsOnly, [bucket()])).to.deep.equal([
            {
                message: `S3 bucket "registry" (${NAME}) has no bucket policy; add one that denies "s3:*" when aws:SecureTransport is false.`,
                urn: urnOf(BUCKET_T, "registry"),
            },
        ]);
    });
    it("reports a policy without the TLS denial", () => {
        const doc = JSON.parse(goodPolicy());
        doc.Statement = doc.Statement.filter(
            (s: { Sid: string }) => s.Sid !== "DenyInsecureTransport",
        );
        expect(
            runStack(s3BucketTlsOnly, [bucket(), bucketPolicy(JSON.stringify(doc))]),
        ).to.deep.equal([
            {
                message: `Bucket policy "registry-policy" of S3 bucket "registry" (${NAME}) does not deny non-TLS requests; add a Deny of "s3:*" for Principal "*" on the bucket and its objects with Condition Bool aws:SecureTransport "false".`,
                urn: urnOf(POLICY_T, "registry-policy"),
            },
        ]);
    });
    it("reports a TLS denial that leaves the objects out, or denies only some actions", () => {
        const doc = JSON.parse(goodPolicy());
        doc.Statement[0].Resource = `arn:aws:s3:::${NAME}`;
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(JSON.stringify(doc))]),
        ).to.deep.equal([
            `Bucket policy "registry-policy" of S3 bucket "registry" (${NAME}) does not deny non-TLS requests on arn:aws:s3:::${NAME}/*; add a Deny of "s3:*" for Principal "*" on the bucket and its objects with Condition Bool aws:SecureTransport "false".`,
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
    it("skips a policy whose text is unknown during preview", () => {
        expect(
            stackMessages(s3BucketTlsOnly, [bucket(), bucketPolicy(UNKNOWN_STRING)]),
        ).to.deep.equal([]);
    });
});

describe("policy nlb-internal", () => {
    const lb = (props: Record<string, unknown>, name = "registry") =>
        runResource(nlbInternal, LB_T, props, { name });
    it("passes an internal NLB and ignores ALBs (the NLP service's is internet-facing by design)", () => {
        expect(lb({ loadBalancerType: "network", internal: true })).to.deep.equal([]);
        expect(lb({ loadBalancerType: "application", internal: false })).to.deep.equal([]);
    });
    it("reports an internet-facing NLB, also when internal is unset", () => {
        expect(lb({ loadBalancerType: "network", internal: false })).to.deep.equal([
            "Network Load Balancer is internet-facing (internal is false); set internal: true.",
        ]);
        expect(lb({ loadBalancerType: "network" })).to.deep.equal([
            "Network Load Balancer is internet-facing (internal is unset, which means internet-facing); set internal: true.",
        ]);
    });
    it("accepts an NLB named in allowedNames, and skips an unknown flag", () => {
        expect(
            runResource(
                nlbInternal,
                LB_T,
                { loadBalancerType: "network", internal: false },
                {
                    name: "public-nlb",
                    config: { allowedNames: ["public-nlb"] },
                },
            ),
        ).to.deep.equal([]);
        expect(lb({ loadBalancerType: "network", internal: UNKNOWN_STRING })).to.deep.equal([]);
    });
});

describe("the registry's tasks and the existing ecs-service-no-public-ip rule", () => {
    const service = (assignPublicIp: boolean) =>
        runResource(ecsServiceNoPublicIp, "aws:ecs/service:Service", {
            launchType: "FARGATE",
            networkConfiguration: { subnets: ["subnet-a", "subnet-b"], assignPublicIp },
        });
    it("passes the registry's service (no public IP) and reports one with a public IP", () => {
        expect(service(false)).to.deep.equal([]);
        expect(service(true)).to.deep.equal([
            "ECS service sets networkConfiguration.assignPublicIp to true; run tasks in private subnets without public IPs (CKV_AWS_333).",
        ]);
    });
    it("the pack registers the four registry rules as mandatory", () => {
        const names = [
            "s3-bucket-public-access-blocked",
            "s3-bucket-policy-no-public-grant",
            "s3-bucket-tls-only",
            "nlb-internal",
        ];
        const found = allPolicies.filter((p) => names.includes(p.name));
        expect(found.map((p) => [p.name, p.enforcementLevel])).to.deep.equal(
            names.map((n) => [n, "mandatory"]),
        );
    });
});
