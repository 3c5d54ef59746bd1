import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import {
    registryContract,
    SharedRepository,
    SharedRepositoryArgs,
} from "../../components/sharedRepository";
import { RegistryReplication } from "../../components/registryReplication";
import { lifecyclePolicyDocument, repositoryResourceName } from "../../src/ecr/policies";
import { policyDoc, run, TestRun } from "../helpers/run";
import { PULL } from "../helpers/ecrActions";

const VENDOR = "111122223333";
const LIFECYCLE = { untaggedExpireDays: 7, keepImages: 50, releaseTagPatterns: ["v*"] };
// The document itself is asserted rule by rule in tests/ecr/policies.spec.ts;
// here: the repository and its replicas' template carry exactly that document.
const LIFECYCLE_JSON = lifecyclePolicyDocument(LIFECYCLE);

const base = (name: string, extra: Partial<SharedRepositoryArgs> = {}): SharedRepositoryArgs => ({
    name,
    accountId: VENDOR,
    region: "us-east-2",
    lifecycle: LIFECYCLE,
    ...extra,
});

describe("SharedRepository", () => {
    describe("vendor: shared with accounts, a role, an organization and CodeBuild, replicated to us-west-2", () => {
        let r: TestRun;
        const consumers = {
            accounts: ["444455556666", "777788889999"],
            roleArns: ["arn:aws:iam::777788889999:role/ecsTaskExecutionRole"],
            organizationId: "o-abcdef1234",
            organizationalUnitPaths: ["o-abcdef1234/r-ab12/ou-ab12-11111111/"],
        };
        before(async () => {
            r = await run(
                () => {
                    const repos = ["nlp/rake-app", "nlp/prose-app", "tools/builder"].map(
                        (n) =>
                            new SharedRepository(
                                `vendor-${repositoryResourceName(n)}`,
                                base(n, {
                                    consumers,
                                    codeBuild: true,
                                    replicationRegions: ["us-west-2"],
                                    tags: { team: "nlp" },
                                }),
                            ),
                    );
                    new RegistryReplication("vendor-replication", { repositories: repos });
                    return {
                        contract: registryContract(repos),
                        urls: repos[0].urls,
                        replicaArns: repos[0].replicaArns,
                    };
                },
                { account: VENDOR, region: "us-east-2", stack: "vendor" },
            );
        });

        it("creates an immutable, scanned, AES256-encrypted repository that is never force-deleted", () => {
            expect(r.ofType("aws:ecr/repository:Repository")).to.have.length(3);
            expect(
                r.one("aws:ecr/repository:Repository", "vendor-nlp--rake-app").inputs,
            ).to.deep.equal({
                name: "nlp/rake-app",
                region: "us-east-2",
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                forceDelete: false,
                tags: { team: "nlp", Name: "nlp/rake-app" },
            });
        });

        it("parents every child to its component", () => {
            const component = r.one(
                "ecr-private-access:ecr:SharedRepository",
                "vendor-nlp--rake-app",
            );
            for (const name of [
                "vendor-nlp--rake-app",
                "vendor-nlp--rake-app-lifecycle",
                "vendor-nlp--rake-app-policy",
            ]) {
                const child = r.resources.find(
                    (x) => x.name === name && x.type !== "ecr-private-access:ecr:SharedRepository",
                )!;
                expect(child.parent, name).to.equal(component.urn);
            }
        });

        it("sets the lifecycle policy exactly", () => {
            const lp = r.one(
                "aws:ecr/lifecyclePolicy:LifecyclePolicy",
                "vendor-nlp--rake-app-lifecycle",
            ).inputs;
            expect(lp.repository).to.equal("nlp/rake-app");
            expect(lp.region).to.equal("us-east-2");
            expect(JSON.parse(lp.policy as string)).to.deep.equal(LIFECYCLE_JSON);
        });

        it("grants consumers pull only: account roots and role in one statement, the organization under a condition, CodeBuild by source account", () => {
            const rp = r.one(
                "aws:ecr/repositoryPolicy:RepositoryPolicy",
                "vendor-nlp--rake-app-policy",
            ).inputs;
            expect(rp.repository).to.equal("nlp/rake-app");
            expect(policyDoc(rp.policy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ConsumersPull",
                        Effect: "Allow",
                        Principal: {
                            AWS: [
                                "arn:aws:iam::444455556666:root",
                                "arn:aws:iam::777788889999:root",
                                "arn:aws:iam::777788889999:role/ecsTaskExecutionRole",
                            ],
                        },
                        Action: PULL,
                    },
                    {
                        Sid: "OrganizationPull",
                        Effect: "Allow",
                        Principal: "*",
                        Action: PULL,
                        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abcdef1234" } },
                    },
                    {
                        Sid: "OrganizationalUnitsPull",
                        Effect: "Allow",
                        Principal: "*",
                        Action: PULL,
                        // The OU and its child OUs; ForAnyValue: the key is multivalued.
                        Condition: {
                            "ForAnyValue:StringLike": {
                                "aws:PrincipalOrgPaths": ["o-abcdef1234/r-ab12/ou-ab12-11111111/*"],
                            },
                        },
                    },
                    {
                        Sid: "CodeBuildPull",
                        Effect: "Allow",
                        Principal: { Service: "codebuild.amazonaws.com" },
                        Action: PULL,
                        Condition: { StringEquals: { "aws:SourceAccount": VENDOR } },
                    },
                ],
            });
        });

        it("no repository policy anywhere grants push, GetAuthorizationToken or an unconditioned *", () => {
            const texts = [
                ...r
                    .ofType("aws:ecr/repositoryPolicy:RepositoryPolicy")
                    .map((x) => x.inputs.policy),
                ...r
                    .ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
                    .map((x) => x.inputs.repositoryPolicy),
            ];
            expect(texts).to.have.length(3 + 2);
            for (const text of texts) {
                for (const s of policyDoc(text).Statement) {
                    expect(s.Action).to.deep.equal(PULL);
                    if (s.Principal === "*") {
                        expect(Object.keys(s.Condition)).to.have.length(1);
                        expect(["StringEquals", "ForAnyValue:StringLike"]).to.include(
                            Object.keys(s.Condition)[0],
                        );
                    }
                }
            }
        });

        it("outputs the URL in every region and the replica ARNs", () => {
            expect(r.outputs.urls).to.deep.equal({
                "us-east-2": `${VENDOR}.dkr.ecr.us-east-2.amazonaws.com/nlp/rake-app`,
                "us-west-2": `${VENDOR}.dkr.ecr.us-west-2.amazonaws.com/nlp/rake-app`,
            });
            expect(r.outputs.replicaArns).to.deep.equal([
                `arn:aws:ecr:us-west-2:${VENDOR}:repository/nlp/rake-app`,
            ]);
        });

        it("builds the stack contract the customer reads", () => {
            const repo = (n: string) => ({
                arn: `arn:aws:ecr:us-east-2:${VENDOR}:repository/${n}`,
                url: `${VENDOR}.dkr.ecr.us-east-2.amazonaws.com/${n}`,
                urls: {
                    "us-east-2": `${VENDOR}.dkr.ecr.us-east-2.amazonaws.com/${n}`,
                    "us-west-2": `${VENDOR}.dkr.ecr.us-west-2.amazonaws.com/${n}`,
                },
                releaseTagPatterns: ["v*"],
                pull: { "us-east-2": "consumers", "us-west-2": "consumers" },
            });
            expect(r.outputs.contract).to.deep.equal({
                registryId: VENDOR,
                region: "us-east-2",
                pullGrants: {
                    consumers: {
                        accounts: ["444455556666", "777788889999"],
                        roleArns: ["arn:aws:iam::777788889999:role/ecsTaskExecutionRole"],
                        organizationId: "o-abcdef1234",
                        organizationalUnitPaths: ["o-abcdef1234/r-ab12/ou-ab12-11111111/"],
                    },
                },
                repositories: {
                    "nlp/rake-app": repo("nlp/rake-app"),
                    "nlp/prose-app": repo("nlp/prose-app"),
                    "tools/builder": repo("tools/builder"),
                },
            });
        });

        it("configures one registry replication rule with a filter per namespace, never a bare name", () => {
            const rc = r.one(
                "aws:ecr/replicationConfiguration:ReplicationConfiguration",
                "vendor-replication",
            ).inputs;
            expect(rc).to.deep.equal({
                region: "us-east-2",
                replicationConfiguration: {
                    rules: [
                        {
                            destinations: [{ region: "us-west-2", registryId: VENDOR }],
                            // `nlp/` never matches `nlp-internal/x` nor a top-level `nlp`.
                            repositoryFilters: [
                                { filter: "nlp/", filterType: "PREFIX_MATCH" },
                                { filter: "tools/", filterType: "PREFIX_MATCH" },
                            ],
                        },
                    ],
                },
            });
        });

        it("creates replicas from one template per namespace (never ROOT) with the same policy, lifecycle and immutability", () => {
            const templates = r.ofType(
                "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
            );
            expect(templates.map((t) => t.name).sort()).to.deep.equal([
                "vendor-replication-us-west-2-nlp",
                "vendor-replication-us-west-2-tools",
            ]);
            const nlp = r.one(
                "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
                "vendor-replication-us-west-2-nlp",
            ).inputs;
            const source = r.one(
                "aws:ecr/repositoryPolicy:RepositoryPolicy",
                "vendor-nlp--rake-app-policy",
            ).inputs.policy;
            expect(nlp).to.deep.equal({
                region: "us-west-2",
                prefix: "nlp",
                appliedFors: ["REPLICATION"],
                description: "Replicas of nlp/* from us-east-2 (shared namespace)",
                imageTagMutability: "IMMUTABLE",
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                lifecyclePolicy: JSON.stringify(LIFECYCLE_JSON),
                repositoryPolicy: source,
            });
            const prefixes = r
                .ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
                .map((t) => t.inputs.prefix);
            expect(prefixes).to.deep.equal(["nlp", "tools"]);
        });
    });

    describe("customer: an unshared, KMS-encrypted repository", () => {
        let r: TestRun;
        const key = "arn:aws:kms:us-west-2:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        before(async () => {
            r = await run(
                () => {
                    const repo = new SharedRepository("customer-nlp-client", {
                        name: "nlp-client",
                        accountId: "444455556666",
                        region: "us-west-2",
                        lifecycle: {
                            untaggedExpireDays: 3,
                            keepImages: 10,
                            releaseTagPatterns: [],
                        },
                        kmsKeyArn: key,
                    });
                    new RegistryReplication("customer-replication", { repositories: [repo] });
                    return { urls: repo.urls, policy: repo.repositoryPolicy ?? null };
                },
                { account: "444455556666", region: "us-west-2", stack: "customer" },
            );
        });

        it("encrypts with the KMS key", () => {
            expect(
                r.one("aws:ecr/repository:Repository").inputs.encryptionConfigurations,
            ).to.deep.equal([{ encryptionType: "KMS", kmsKey: key }]);
        });

        it("creates no repository policy and no replication when nothing is shared or replicated", () => {
            expect(r.ofType("aws:ecr/repositoryPolicy:RepositoryPolicy")).to.have.length(0);
            expect(
                r.ofType("aws:ecr/replicationConfiguration:ReplicationConfiguration"),
            ).to.have.length(0);
            expect(
                r.ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"),
            ).to.have.length(0);
            expect(r.outputs.policy).to.equal(null);
            expect(r.outputs.urls).to.deep.equal({
                "us-west-2": "444455556666.dkr.ecr.us-west-2.amazonaws.com/nlp-client",
            });
        });

        it("keeps only the untagged and count rules when no release pattern is given", () => {
            const lp = JSON.parse(
                r.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy as string,
            );
            expect(
                lp.rules.map((x: any) => [
                    x.rulePriority,
                    x.selection.tagStatus,
                    x.selection.countNumber,
                ]),
            ).to.deep.equal([
                [1, "untagged", 3],
                [2, "any", 10],
            ]);
        });
    });

    describe("resource options", () => {
        // The runner records inputs, not options: observe the options each
        // child is registered with through a transformation passed to the
        // component, which Pulumi applies to every child.
        async function optionsOf(extra: Partial<SharedRepositoryArgs>) {
            const seen: Record<string, pulumi.ResourceOptions> = {};
            await run(() => {
                new SharedRepository(
                    "opts",
                    base("team/opts-repo", { consumers: { accounts: ["444455556666"] }, ...extra }),
                    {
                        transformations: [
                            (a) => {
                                seen[a.type] = a.opts;
                                return undefined;
                            },
                        ],
                    },
                );
            });
            return seen;
        }

        it("retains the repository by default and does not protect it", async () => {
            const seen = await optionsOf({});
            expect(seen["aws:ecr/repository:Repository"].retainOnDelete).to.equal(true);
            expect(seen["aws:ecr/repository:Repository"].protect).to.equal(false);
            // Policies go with the program: a forgotten repository keeps its images but shares nothing.
            expect(seen["aws:ecr/repositoryPolicy:RepositoryPolicy"].retainOnDelete).to.equal(
                undefined,
            );
            expect(seen["aws:ecr/lifecyclePolicy:LifecyclePolicy"].retainOnDelete).to.equal(
                undefined,
            );
        });

        it("honours retainOnDelete: false and protect: true", async () => {
            const seen = await optionsOf({ retainOnDelete: false, protect: true });
            expect(seen["aws:ecr/repository:Repository"].retainOnDelete).to.equal(false);
            expect(seen["aws:ecr/repository:Repository"].protect).to.equal(true);
        });

        it("starts replication only after the creation templates exist", async () => {
            let replicationOpts: pulumi.ResourceOptions | undefined;
            let templates: unknown[] = [];
            await run(
                () => {
                    const repo = new SharedRepository(
                        "rep",
                        base("team/rep-repo", { replicationRegions: ["us-west-2", "eu-west-1"] }),
                    );
                    const replication = new RegistryReplication(
                        "rep-replication",
                        { repositories: [repo] },
                        {
                            transformations: [
                                (a) => {
                                    if (
                                        a.type ===
                                        "aws:ecr/replicationConfiguration:ReplicationConfiguration"
                                    )
                                        replicationOpts = a.opts;
                                    return undefined;
                                },
                            ],
                        },
                    );
                    templates = replication.templates;
                },
                { region: "us-east-2" },
            );
            expect(templates).to.have.length(2);
            expect(replicationOpts?.dependsOn).to.deep.equal(templates);
        });
    });

    describe("bad arguments", () => {
        const build = (extra: Partial<SharedRepositoryArgs>) => () =>
            new SharedRepository("bad", base("shared/rake-app", extra));
        const cases: [string, Partial<SharedRepositoryArgs>, string][] = [
            [
                "a name with capitals",
                { name: "Rake-App" },
                '`name` "Rake-App" is not a valid ECR repository name',
            ],
            [
                "a shared repository outside a namespace",
                { name: "rake-app", consumers: { accounts: ["444455556666"] } },
                '`name` "rake-app" is shared (consumers or replicationRegions) but not in a namespace',
            ],
            [
                "a replicated repository outside a namespace",
                { name: "rake-app", replicationRegions: ["us-west-2"] },
                "not in a namespace; name it <namespace>/rake-app",
            ],
            [
                "an organizational unit path that is not one",
                { consumers: { organizationalUnitPaths: ["ou-ab12-11111111"] } },
                "`consumers.organizationalUnitPaths[0]`",
            ],
            [
                "a short account ID",
                { accountId: "12345" },
                '`accountId` "12345" is not a 12-digit AWS account ID',
            ],
            [
                "a consumer account that is not 12 digits",
                { consumers: { accounts: ["44445555666"] } },
                "`consumers.accounts[0]`",
            ],
            [
                "a lifecycle count of 0",
                { lifecycle: { ...LIFECYCLE, keepImages: 0 } },
                "`lifecycle.keepImages`",
            ],
            ["a bad region", { region: "us-east" }, '`region` "us-east"'],
            [
                "the home region as a replica",
                { replicationRegions: ["us-west-2", "us-east-2"] },
                "`replicationRegions[1]` us-east-2 is the repository's own region",
            ],
            [
                "a cross-partition replica",
                { replicationRegions: ["cn-north-1"] },
                "another AWS partition",
            ],
            [
                "a KMS key in another region",
                { kmsKeyArn: "arn:aws:kms:us-west-2:111122223333:key/abcd-12" },
                "`kmsKeyArn` is a key in us-west-2",
            ],
            [
                "a KMS alias instead of a key",
                { kmsKeyArn: "alias/ecr" },
                '`kmsKeyArn` "alias/ecr" is not a KMS key ARN',
            ],
        ];
        for (const [what, extra, message] of cases) {
            it(`rejects ${what}`, async () => {
                let error: unknown;
                try {
                    await run(build(extra), { region: "us-east-2" });
                } catch (e) {
                    error = e;
                }
                expect(String(error)).to.contain(message);
            });
        }

        it("rejects hundreds of consumer accounts, pointing at organizationId", async () => {
            const accounts = Array.from({ length: 400 }, (_, i) => String(200000000000 + i));
            let error: unknown;
            try {
                await run(build({ consumers: { accounts } }), { region: "us-east-2" });
            } catch (e) {
                error = e;
            }
            expect(String(error)).to.contain("ECR accepts at most 10240");
            expect(String(error)).to.contain("`repositories.consumers.organizationId`");
        });

        it("accepts 304 consumer accounts (the most that fit)", async () => {
            const accounts = Array.from({ length: 304 }, (_, i) => String(200000000000 + i));
            const r = await run(build({ consumers: { accounts } }), { region: "us-east-2" });
            const policy = r.one("aws:ecr/repositoryPolicy:RepositoryPolicy").inputs
                .policy as string;
            expect(policy.length).to.equal(10227);
            expect(policyDoc(policy).Statement).to.have.length(1);
        });
    });
});
