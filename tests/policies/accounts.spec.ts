import { expect } from "chai";
import { exampleAccountIds } from "../../policies/rules/accounts";
import { runStack, UNKNOWN_STRING, urnOf } from "../helpers/policyHarness";

const POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy";
const REPO = "aws:ecr/repository:Repository";

describe("policy example-account-ids", () => {
    it("is advisory: the shipped stacks are examples, not errors", () => {
        expect(exampleAccountIds.enforcementLevel).to.equal("advisory");
    });

    it("reports each documentation account once, at the first resource naming it", () => {
        const v = runStack(exampleAccountIds, [
            {
                type: POLICY,
                name: "grant",
                props: {
                    policy: JSON.stringify({
                        Statement: [
                            {
                                Principal: { AWS: "arn:aws:iam::444455556666:root" },
                                Condition: {
                                    StringEquals: { "aws:SourceAccount": "111122223333" },
                                },
                            },
                        ],
                    }),
                },
            },
            {
                type: REPO,
                name: "repo",
                props: { arn: "arn:aws:ecr:us-east-2:111122223333:repository/x" },
            },
        ]);
        expect(v).to.deep.equal([
            {
                message:
                    "Account 111122223333 is an AWS documentation example: replace it with the real account ID in the stack files (accountId, aws:allowedAccountIds, consumers, registryAccounts) before `pulumi up`.",
                urn: urnOf(POLICY, "grant"),
            },
            {
                message:
                    "Account 444455556666 is an AWS documentation example: replace it with the real account ID in the stack files (accountId, aws:allowedAccountIds, consumers, registryAccounts) before `pulumi up`.",
                urn: urnOf(POLICY, "grant"),
            },
        ]);
    });

    it("passes real-looking accounts, longer digit runs and unknown values", () => {
        expect(
            runStack(exampleAccountIds, [
                {
                    type: REPO,
                    name: "repo",
                    props: {
                        arn: "arn:aws:ecr:us-east-2:304958671234:repository/x",
                        timestamp: "20261130123456789",
                        url: UNKNOWN_STRING,
                    },
                },
            ]),
        ).to.deep.equal([]);
    });

    it("takes the list from config", () => {
        const props = { arn: "arn:aws:ecr:us-east-2:304958671234:repository/x" };
        expect(
            runStack(exampleAccountIds, [{ type: REPO, name: "repo", props }], {
                config: { exampleAccountIds: ["304958671234"] },
            }),
        ).to.have.length(1);
    });
});
