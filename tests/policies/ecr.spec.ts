import { expect } from "chai";
import {
    ecrConsumersPullOnly,
    ecrEncryption,
    ecrImmutableTags,
    ecrNoAuthTokenInRepositoryPolicy,
    ecrRepositoryPolicyNotPublic,
    ecrScanOnPush,
} from "../../policies/rules/ecr";
import {
    StackResource,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_OBJECT,
    UNKNOWN_STRING,
    runResource,
    runStack,
    stackMessages,
    urnOf,
} from "../helpers/policyHarness";

const REPO = "aws:ecr/repository:Repository";
const POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy";

const goodRepo = () => ({
    name: "nlp/rake-app",
    imageTagMutability: "IMMUTABLE",
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfigurations: [{ encryptionType: "AES256" }],
});

describe("policy ecr-immutable-tags", () => {
    it("passes IMMUTABLE", () => {
        expect(runResource(ecrImmutableTags, REPO, goodRepo())).to.deep.equal([]);
    });
    it("ignores other resource types", () => {
        expect(
            runResource(ecrImmutableTags, "aws:s3/bucket:Bucket", {
                imageTagMutability: "MUTABLE",
            }),
        ).to.deep.equal([]);
    });
    it("reports MUTABLE", () => {
        expect(
            runResource(ecrImmutableTags, REPO, { ...goodRepo(), imageTagMutability: "MUTABLE" }),
        ).to.deep.equal([
            'ECR repository must set imageTagMutability to "IMMUTABLE" (is "MUTABLE") (CKV_AWS_51).',
        ]);
    });
    it("reports the default (unset means MUTABLE)", () => {
        const { imageTagMutability: _, ...rest } = goodRepo();
        expect(runResource(ecrImmutableTags, REPO, rest)).to.deep.equal([
            'ECR repository must set imageTagMutability to "IMMUTABLE" (is "MUTABLE") (CKV_AWS_51).',
        ]);
    });
    it("reports IMMUTABLE_WITH_EXCLUSION unless allowExclusions", () => {
        const repo = { ...goodRepo(), imageTagMutability: "IMMUTABLE_WITH_EXCLUSION" };
        expect(runResource(ecrImmutableTags, REPO, repo)).to.have.length(1);
        expect(
            runResource(ecrImmutableTags, REPO, repo, { config: { allowExclusions: true } }),
        ).to.deep.equal([]);
    });
    it("skips an unknown value", () => {
        expect(
            runResource(ecrImmutableTags, REPO, {
                ...goodRepo(),
                imageTagMutability: UNKNOWN_STRING,
            }),
        ).to.deep.equal([]);
    });
});

describe("policy ecr-scan-on-push", () => {
    it("passes scanOnPush true", () => {
        expect(runResource(ecrScanOnPush, REPO, goodRepo())).to.deep.equal([]);
    });
    const msg =
        "ECR repository must set imageScanningConfiguration.scanOnPush to true (CKV_AWS_163).";
    it("reports scanOnPush false", () => {
        expect(
            runResource(ecrScanOnPush, REPO, {
                ...goodRepo(),
                imageScanningConfiguration: { scanOnPush: false },
            }),
        ).to.deep.equal([msg]);
    });
    it("reports a missing imageScanningConfiguration", () => {
        const { imageScanningConfiguration: _, ...rest } = goodRepo();
        expect(runResource(ecrScanOnPush, REPO, rest)).to.deep.equal([msg]);
    });
    it("skips unknown values", () => {
        expect(
            runResource(ecrScanOnPush, REPO, {
                ...goodRepo(),
                imageScanningConfiguration: UNKNOWN_OBJECT,
            }),
        ).to.deep.equal([]);
        expect(
            runResource(ecrScanOnPush, REPO, {
                ...goodRepo(),
                imageScanningConfiguration: { scanOnPush: UNKNOWN_BOOL },
            }),
        ).to.deep.equal([]);
    });
});

describe("policy ecr-encryption", () => {
    it("passes AES256 and the default by default", () => {
        expect(runResource(ecrEncryption, REPO, goodRepo())).to.deep.equal([]);
        const { encryptionConfigurations: _, ...rest } = goodRepo();
        expect(runResource(ecrEncryption, REPO, rest)).to.deep.equal([]);
    });
    it("passes KMS with a key when requireKms and requireKmsKey are set", () => {
        const repo = {
            ...goodRepo(),
            encryptionConfigurations: [
                { encryptionType: "KMS", kmsKey: "arn:aws:kms:us-east-1:111122223333:key/abc" },
            ],
        };
        expect(
            runResource(ecrEncryption, REPO, repo, {
                config: { requireKms: true, requireKmsKey: true },
            }),
        ).to.deep.equal([]);
    });
    it("reports AES256 when requireKms is set", () => {
        expect(
            runResource(ecrEncryption, REPO, goodRepo(), { config: { requireKms: true } }),
        ).to.deep.equal([
            'ECR repository must use KMS encryption (encryptionType "KMS"), not "AES256" (CKV_AWS_136).',
        ]);
    });
    it("reports KMS without a key when requireKmsKey is set", () => {
        const repo = { ...goodRepo(), encryptionConfigurations: [{ encryptionType: "KMS" }] };
        expect(
            runResource(ecrEncryption, REPO, repo, {
                config: { requireKms: true, requireKmsKey: true },
            }),
        ).to.deep.equal([
            "ECR repository must name a customer managed KMS key (encryptionConfigurations[0].kmsKey) (CKV_AWS_136).",
        ]);
    });
    it("reports an unknown encryption type name", () => {
        const repo = { ...goodRepo(), encryptionConfigurations: [{ encryptionType: "NONE" }] };
        expect(runResource(ecrEncryption, REPO, repo)).to.deep.equal([
            'ECR repository encryptionType "NONE" is not AES256, KMS or KMS_DSSE (CKV_AWS_136).',
        ]);
    });
    it("skips unknown values", () => {
        const cfg = { config: { requireKms: true, requireKmsKey: true } };
        expect(
            runResource(
                ecrEncryption,
                REPO,
                { ...goodRepo(), encryptionConfigurations: UNKNOWN_ARRAY },
                cfg,
            ),
        ).to.deep.equal([]);
        expect(
            runResource(
                ecrEncryption,
                REPO,
                { ...goodRepo(), encryptionConfigurations: [{ encryptionType: UNKNOWN_STRING }] },
                cfg,
            ),
        ).to.deep.equal([]);
        expect(
            runResource(
                ecrEncryption,
                REPO,
                {
                    ...goodRepo(),
                    encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: UNKNOWN_STRING }],
                },
                cfg,
            ),
        ).to.deep.equal([]);
    });
});

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];
const PUSH = [
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
];

describe("policy ecr-repository-policy-not-public", () => {
    it("passes account principals and * with a condition", () => {
        const policy = doc(
            {
                Sid: "Pull",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::111122223333:root" },
                Action: PULL,
            },
            {
                Sid: "Org",
                Effect: "Allow",
                Principal: "*",
                Action: PULL,
                Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } },
            },
        );
        expect(
            runResource(ecrRepositoryPolicyNotPublic, POLICY, { repository: "r", policy }),
        ).to.deep.equal([]);
    });
    for (const principal of ["*", { AWS: "*" }, { AWS: ["arn:aws:iam::111122223333:root", "*"] }]) {
        it(`reports Principal ${JSON.stringify(principal)} without a condition`, () => {
            const policy = doc({
                Sid: "Public",
                Effect: "Allow",
                Principal: principal,
                Action: PULL,
            });
            expect(
                runResource(ecrRepositoryPolicyNotPublic, POLICY, { repository: "r", policy }),
            ).to.deep.equal([
                'ECR repository policy statement "Public" allows Principal "*" without a condition, which makes the repository public (CKV_AWS_32).',
            ]);
        });
    }
    it("names a statement without Sid by position", () => {
        const policy = doc(
            { Effect: "Deny", Principal: "*", Action: PUSH },
            { Effect: "Allow", Principal: "*", Action: PULL },
        );
        expect(
            runResource(ecrRepositoryPolicyNotPublic, POLICY, { repository: "r", policy }),
        ).to.deep.equal([
            'ECR repository policy statement #2 allows Principal "*" without a condition, which makes the repository public (CKV_AWS_32).',
        ]);
    });
    it("reports a document that is not JSON", () => {
        expect(
            runResource(ecrRepositoryPolicyNotPublic, POLICY, {
                repository: "r",
                policy: "{not json",
            }),
        ).to.deep.equal(["ECR repository policy is not a valid JSON policy document."]);
    });
    it("skips an unknown policy", () => {
        expect(
            runResource(ecrRepositoryPolicyNotPublic, POLICY, {
                repository: "r",
                policy: UNKNOWN_STRING,
            }),
        ).to.deep.equal([]);
    });
});

describe("policy ecr-no-auth-token-in-repository-policy", () => {
    it("is advisory", () => {
        expect(ecrNoAuthTokenInRepositoryPolicy.enforcementLevel).to.equal("advisory");
    });
    it("passes a policy without GetAuthorizationToken (wildcards are not flagged)", () => {
        const policy = doc({
            Sid: "Pull",
            Effect: "Allow",
            Principal: { AWS: "111122223333" },
            Action: [...PULL, "ecr:Get*"],
        });
        expect(
            runResource(ecrNoAuthTokenInRepositoryPolicy, POLICY, { repository: "r", policy }),
        ).to.deep.equal([]);
    });
    it("reports ecr:GetAuthorizationToken", () => {
        const policy = doc({
            Sid: "Pull",
            Effect: "Allow",
            Principal: { AWS: "111122223333" },
            Action: [...PULL, "ECR:GetAuthorizationToken"],
        });
        expect(
            runResource(ecrNoAuthTokenInRepositoryPolicy, POLICY, { repository: "r", policy }),
        ).to.deep.equal([
            'ECR repository policy statement "Pull" grants ecr:GetAuthorizationToken, which does nothing in a repository policy; grant it on "*" in the puller\'s identity policy instead.',
        ]);
    });
    it("skips an unknown policy", () => {
        expect(
            runResource(ecrNoAuthTokenInRepositoryPolicy, POLICY, {
                repository: "r",
                policy: UNKNOWN_STRING,
            }),
        ).to.deep.equal([]);
    });
});

describe("policy ecr-consumers-pull-only", () => {
    const OWN = "444455556666";
    const repo = (props: Record<string, unknown> = {}): StackResource => ({
        type: REPO,
        name: "repo",
        props: {
            name: "nlp/rake-app",
            arn: `arn:aws:ecr:us-east-1:${OWN}:repository/nlp/rake-app`,
            registryId: OWN,
            ...props,
        },
    });
    const pol = (
        policy: string,
        props: Record<string, unknown> = {},
        deps?: Record<string, string[]>,
    ): StackResource => ({
        type: POLICY,
        name: "policy",
        props: { repository: "nlp/rake-app", policy, ...props },
        deps,
    });
    const publisher = {
        Sid: "Publish",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${OWN}:role/codebuild` },
        Action: [...PULL, ...PUSH],
    };
    const consumer = {
        Sid: "Consume",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam::111122223333:root", "777788889999"] },
        Action: PULL,
    };

    it("passes push for the repository's own account and pull for consumers", () => {
        expect(
            stackMessages(ecrConsumersPullOnly, [repo(), pol(doc(publisher, consumer))]),
        ).to.deep.equal([]);
    });

    it("reports push actions granted to another account", () => {
        const bad = { ...consumer, Action: [...PULL, "ecr:PutImage"] };
        expect(runStack(ecrConsumersPullOnly, [repo(), pol(doc(publisher, bad))])).to.deep.equal([
            {
                message:
                    'ECR repository policy statement "Consume" grants write actions (ecr:PutImage) to "arn:aws:iam::111122223333:root", "777788889999", which is not the publisher; consumers get pull actions only (add the Sid to allowedPushSids if intended).',
                urn: urnOf(POLICY, "policy"),
            },
        ]);
    });

    it("reports a wildcard action (ecr:*) for an organization-wide principal", () => {
        const org = {
            Sid: "Org",
            Effect: "Allow",
            Principal: "*",
            Action: "ecr:*",
            Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } },
        };
        const msgs = stackMessages(ecrConsumersPullOnly, [repo(), pol(doc(org))]);
        expect(msgs).to.have.length(1);
        expect(msgs[0]).to.match(
            /^ECR repository policy statement "Org" grants write actions \(ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:BatchDeleteImage, /,
        );
        expect(msgs[0]).to.contain('to "*", which is not the publisher');
    });

    it("reports NotAction that leaves push actions granted", () => {
        const st = {
            Sid: "NA",
            Effect: "Allow",
            Principal: { AWS: "111122223333" },
            NotAction: ["ecr:PutImage", "ecr:Delete*"],
        };
        const msgs = stackMessages(ecrConsumersPullOnly, [repo(), pol(doc(st))]);
        expect(msgs).to.have.length(1);
        expect(msgs[0]).to.contain("ecr:InitiateLayerUpload");
        expect(msgs[0]).not.to.contain("ecr:PutImage,");
    });

    it("honours allowedPushSids and publisherAccountIds", () => {
        const bad = { ...consumer, Action: [...PULL, ...PUSH] };
        expect(
            stackMessages(ecrConsumersPullOnly, [repo(), pol(doc(bad))], {
                config: { allowedPushSids: ["Consume"] },
            }),
        ).to.deep.equal([]);
        const other = { ...bad, Principal: { AWS: "arn:aws:iam::111122223333:role/ci" } };
        expect(
            stackMessages(ecrConsumersPullOnly, [repo(), pol(doc(other))], {
                config: { publisherAccountIds: ["111122223333"] },
            }),
        ).to.deep.equal([]);
    });

    it("finds the own account through property dependencies or the policy's registryId", () => {
        const bad = { ...consumer, Action: PUSH };
        const unknownRepo = repo({
            name: UNKNOWN_STRING,
            arn: UNKNOWN_STRING,
            registryId: UNKNOWN_STRING,
        });
        // Preview: the repository's account is unknown, so account principals cannot be judged.
        expect(
            stackMessages(ecrConsumersPullOnly, [
                unknownRepo,
                pol(doc(bad), { repository: UNKNOWN_STRING }),
            ]),
        ).to.deep.equal([]);
        expect(
            stackMessages(ecrConsumersPullOnly, [
                repo({ name: UNKNOWN_STRING }),
                pol(doc(bad), { repository: UNKNOWN_STRING }, { repository: ["repo"] }),
            ]),
        ).to.have.length(1);
        expect(
            stackMessages(ecrConsumersPullOnly, [pol(doc(bad), { registryId: OWN })]),
        ).to.have.length(1);
    });

    it("judges no account principal while the repository's account is unknown, even with publisherAccountIds", () => {
        // A first preview: the repository is created in the same change, its registryId and ARN
        // are unknown; the publisher's own push grant must not look like a consumer's.
        const newRepo = repo({ arn: UNKNOWN_STRING, registryId: UNKNOWN_STRING });
        const resources = [
            newRepo,
            pol(doc(publisher, consumer), { repository: UNKNOWN_STRING }, { repository: ["repo"] }),
        ];
        expect(
            stackMessages(ecrConsumersPullOnly, resources, {
                config: { publisherAccountIds: ["999988887777"] },
            }),
        ).to.deep.equal([]);
        // "*" is judged whatever the account.
        const org = {
            ...publisher,
            Sid: "Org",
            Principal: "*",
            Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } },
        };
        expect(
            stackMessages(
                ecrConsumersPullOnly,
                [resources[0], pol(doc(org), {}, { repository: ["repo"] })],
                {
                    config: { publisherAccountIds: ["999988887777"] },
                },
            ),
        ).to.have.length(1);
    });

    it("skips unknown documents and principals", () => {
        expect(stackMessages(ecrConsumersPullOnly, [repo(), pol(UNKNOWN_STRING)])).to.deep.equal(
            [],
        );
        const st = { ...consumer, Principal: { AWS: UNKNOWN_STRING }, Action: PUSH };
        expect(stackMessages(ecrConsumersPullOnly, [repo(), pol(doc(st))])).to.deep.equal([]);
    });
});
