import { expect } from "chai";
import * as fc from "fast-check";
import {
    assertRepositoryPolicySize,
    creationTemplatePrefix,
    lifecyclePolicyDocument,
    MAX_REPOSITORY_POLICY_LENGTH,
    policyText,
    pullIdentityPolicy,
    pushPullIdentityPolicy,
    RELEASE_KEEP_COUNT,
    ReplicatedRepository,
    ReplicationLimitError,
    replicationPlan,
    repositoryArn,
    repositoryPolicyDocument,
    repositoryResourceName,
    repositoryUrl,
} from "../../src/ecr/policies";
import { DESCRIBE, PULL, PUSH } from "../helpers/ecrActions";

const OWNER = "111122223333";
const accounts = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));
/** Round-trips through the text ECR receives. */
const parsed = (doc: unknown) => JSON.parse(JSON.stringify(doc));

describe("ecr/policies", () => {
    describe("repositoryPolicyDocument", () => {
        it("is undefined when there is nothing to grant", () => {
            expect(repositoryPolicyDocument({ accountId: OWNER })).to.equal(undefined);
            expect(
                repositoryPolicyDocument({
                    accountId: OWNER,
                    consumers: { accounts: [], roleArns: [] },
                    codeBuild: false,
                }),
            ).to.equal(undefined);
        });

        it("packs account roots and role ARNs into one pull-only statement", () => {
            const doc = parsed(
                repositoryPolicyDocument({
                    accountId: OWNER,
                    consumers: {
                        accounts: ["444455556666", "777788889999", "444455556666"],
                        roleArns: ["arn:aws:iam::777788889999:role/ecsTaskExecutionRole"],
                    },
                }),
            );
            expect(doc).to.deep.equal({
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
                ],
            });
        });

        it("grants an organization with Principal * only under an aws:PrincipalOrgID condition", () => {
            const doc = parsed(
                repositoryPolicyDocument({
                    accountId: OWNER,
                    consumers: { organizationId: "o-abcdef1234" },
                }),
            );
            expect(doc.Statement).to.deep.equal([
                {
                    Sid: "OrganizationPull",
                    Effect: "Allow",
                    Principal: "*",
                    Action: PULL,
                    Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abcdef1234" } },
                },
            ]);
        });

        it("lets CodeBuild of the owner's account pull, nothing more", () => {
            const doc = parsed(repositoryPolicyDocument({ accountId: OWNER, codeBuild: true }));
            expect(doc.Statement).to.deep.equal([
                {
                    Sid: "CodeBuildPull",
                    Effect: "Allow",
                    Principal: { Service: "codebuild.amazonaws.com" },
                    Action: PULL,
                    Condition: { StringEquals: { "aws:SourceAccount": OWNER } },
                },
            ]);
        });

        it("never grants push, GetAuthorizationToken or an unconditioned * (property)", () => {
            const account = fc.stringMatching(/^\d{12}$/);
            fc.assert(
                fc.property(
                    fc.array(account, { maxLength: 20 }),
                    fc.array(
                        account.map((a) => `arn:aws:iam::${a}:role/r${a.slice(0, 3)}`),
                        { maxLength: 5 },
                    ),
                    fc.option(fc.stringMatching(/^o-[a-z0-9]{10}$/), { nil: undefined }),
                    fc.boolean(),
                    (accts, roleArns, organizationId, codeBuild) => {
                        const doc = repositoryPolicyDocument({
                            accountId: OWNER,
                            consumers: { accounts: accts, roleArns, organizationId },
                            codeBuild,
                        });
                        for (const s of doc?.Statement ?? []) {
                            expect(s.Action).to.deep.equal(PULL);
                            expect(s.Resource).to.equal(undefined);
                            if (s.Principal === "*")
                                expect(s.Condition).to.have.property("StringEquals");
                        }
                    },
                ),
            );
        });

        it("rejects bad arguments, naming them", () => {
            expect(() => repositoryPolicyDocument({ accountId: "1234" })).to.throw("`accountId`");
            expect(() =>
                repositoryPolicyDocument({
                    accountId: OWNER,
                    consumers: { accounts: ["444455556666", "12345678901a"] },
                }),
            ).to.throw('`consumers.accounts[1]` "12345678901a" is not a 12-digit AWS account ID');
            expect(() =>
                repositoryPolicyDocument({
                    accountId: OWNER,
                    consumers: { roleArns: ["arn:aws:iam::444455556666:user/bob"] },
                }),
            ).to.throw("`consumers.roleArns[0]`");
            expect(() =>
                repositoryPolicyDocument({
                    accountId: OWNER,
                    consumers: { organizationId: "org-1" },
                }),
            ).to.throw("`consumers.organizationId`");
        });
    });

    describe("repository policy size", () => {
        // Each account root adds `"arn:aws:iam::<12>:root",` (33 characters).
        const MAX_ACCOUNTS = 304;
        const doc = (n: number, codeBuild = false) =>
            repositoryPolicyDocument({
                accountId: OWNER,
                consumers: { accounts: accounts(n) },
                codeBuild,
            })!;

        it(`${MAX_ACCOUNTS} consumer accounts fit in one statement`, () => {
            const d = doc(MAX_ACCOUNTS);
            expect(d.Statement).to.have.length(1);
            expect(d.Statement[0].Principal).to.deep.equal({
                AWS: accounts(MAX_ACCOUNTS).map((a) => `arn:aws:iam::${a}:root`),
            });
            expect(policyText(d).length).to.equal(10227);
            expect(() => assertRepositoryPolicySize(d, "rake-app")).not.to.throw();
        });

        it(`${MAX_ACCOUNTS + 1} accounts exceed 10,240 characters and fail with what to do instead`, () => {
            const d = doc(MAX_ACCOUNTS + 1);
            expect(policyText(d).length).to.equal(10260);
            expect(() =>
                assertRepositoryPolicySize(d, "rake-app", { accounts: accounts(MAX_ACCOUNTS + 1) }),
            ).to.throw(
                "The repository policy for `rake-app` would be 10260 characters; ECR accepts at most 10240 (SetRepositoryPolicy). " +
                    "It lists 305 account(s) in `repositories.consumers.accounts` and 0 role(s) in `repositories.consumers.roleArns`. " +
                    "Grant the consumers' AWS Organization instead with `repositories.consumers.organizationId`",
            );
        });

        it("measures compact JSON, the text ECR receives", () => {
            const d = doc(10);
            expect(policyText(d)).to.equal(JSON.stringify(d));
            expect(policyText(d)).not.to.match(/\s/);
            expect(MAX_REPOSITORY_POLICY_LENGTH).to.equal(10240);
        });

        it("an organization grant stays small whatever the size of the organization", () => {
            const d = repositoryPolicyDocument({
                accountId: OWNER,
                consumers: { organizationId: "o-abcdef1234" },
                codeBuild: true,
            })!;
            expect(policyText(d).length).to.be.lessThan(600);
        });
    });

    describe("identity policies", () => {
        const home = repositoryArn(OWNER, "us-east-2", "nlp/rake-app");
        const replica = repositoryArn(OWNER, "us-west-2", "nlp/rake-app");

        it("developers: login on *, push/pull on home namespaces, pull on replicas", () => {
            const top = repositoryArn(OWNER, "us-east-2", "tools");
            const doc = pushPullIdentityPolicy([home, top, home], [replica, home]);
            expect(parsed(doc)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "RegistryLogin",
                        Effect: "Allow",
                        Action: "ecr:GetAuthorizationToken",
                        Resource: "*",
                    },
                    {
                        Sid: "PushPull",
                        Effect: "Allow",
                        Action: [...PULL, ...PUSH, ...DESCRIBE],
                        // One pattern per namespace; a top-level repository exactly.
                        Resource: [`arn:aws:ecr:us-east-2:${OWNER}:repository/nlp/*`, top],
                    },
                    {
                        Sid: "PullReplicas",
                        Effect: "Allow",
                        Action: [...PULL, ...DESCRIBE],
                        Resource: [`arn:aws:ecr:us-west-2:${OWNER}:repository/nlp/*`],
                    },
                ],
            });
        });

        it("consumers: login on *, pull only", () => {
            expect(parsed(pullIdentityPolicy([home]))).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "RegistryLogin",
                        Effect: "Allow",
                        Action: "ecr:GetAuthorizationToken",
                        Resource: "*",
                    },
                    { Sid: "Pull", Effect: "Allow", Action: PULL, Resource: [home] },
                ],
            });
        });

        it("rejects empty lists and non-repository ARNs", () => {
            expect(() => pushPullIdentityPolicy([])).to.throw("`repositoryArns`");
            expect(() => pushPullIdentityPolicy(["*"])).to.throw(
                '`repositoryArns` "*" is not an ECR repository ARN',
            );
            expect(() => pullIdentityPolicy([])).to.throw("`repositoryArns`");
        });
    });

    describe("lifecyclePolicyDocument", () => {
        it("release rules first, then untagged, then `any` last", () => {
            const text = JSON.stringify(
                lifecyclePolicyDocument({
                    untaggedExpireDays: 7,
                    keepImages: 50,
                    releaseTagPatterns: ["v*", "release-*"],
                }),
            );
            expect(JSON.parse(text)).to.deep.equal({
                rules: [
                    {
                        rulePriority: 1,
                        description: "Keep release images tagged v*",
                        selection: {
                            tagStatus: "tagged",
                            tagPatternList: ["v*"],
                            countType: "imageCountMoreThan",
                            countNumber: 100000,
                        },
                        action: { type: "expire" },
                    },
                    {
                        rulePriority: 2,
                        description: "Keep release images tagged release-*",
                        selection: {
                            tagStatus: "tagged",
                            tagPatternList: ["release-*"],
                            countType: "imageCountMoreThan",
                            countNumber: 100000,
                        },
                        action: { type: "expire" },
                    },
                    {
                        rulePriority: 3,
                        description: "Expire untagged images after 7 days",
                        selection: {
                            tagStatus: "untagged",
                            countType: "sinceImagePushed",
                            countUnit: "days",
                            countNumber: 7,
                        },
                        action: { type: "expire" },
                    },
                    {
                        rulePriority: 4,
                        description: "Keep the newest 50 images",
                        selection: {
                            tagStatus: "any",
                            countType: "imageCountMoreThan",
                            countNumber: 50,
                        },
                        action: { type: "expire" },
                    },
                ],
            });
            expect(RELEASE_KEEP_COUNT).to.equal(100000);
        });

        it("obeys ECR's rule constraints for any valid settings (property)", () => {
            fc.assert(
                fc.property(
                    fc.integer({ min: 1, max: 3650 }),
                    fc.integer({ min: 1, max: 10000 }),
                    fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}\*?$/), {
                        maxLength: 8,
                    }),
                    (untaggedExpireDays, keepImages, releaseTagPatterns) => {
                        const { rules } = lifecyclePolicyDocument({
                            untaggedExpireDays,
                            keepImages,
                            releaseTagPatterns,
                        });
                        const priorities = rules.map((r) => r.rulePriority);
                        expect(new Set(priorities).size).to.equal(rules.length);
                        expect(
                            rules.filter((r) => r.selection.tagStatus === "untagged"),
                        ).to.have.length(1);
                        const any = rules.filter((r) => r.selection.tagStatus === "any");
                        expect(any).to.have.length(1);
                        expect(any[0].rulePriority).to.equal(Math.max(...priorities));
                        for (const r of rules) {
                            expect(r.selection.countNumber).to.be.at.least(1);
                            expect(r.selection.countUnit === "days").to.equal(
                                r.selection.countType === "sinceImagePushed",
                            );
                            expect(r.selection.tagPatternList !== undefined).to.equal(
                                r.selection.tagStatus === "tagged",
                            );
                        }
                    },
                ),
            );
        });

        it("rejects counts below 1, bad patterns, too many wildcards and duplicates", () => {
            const ok = { untaggedExpireDays: 7, keepImages: 50, releaseTagPatterns: ["v*"] };
            expect(() => lifecyclePolicyDocument({ ...ok, keepImages: 0 })).to.throw(
                "`lifecycle.keepImages` must be a whole number of at least 1",
            );
            expect(() => lifecyclePolicyDocument({ ...ok, untaggedExpireDays: 1.5 })).to.throw(
                "`lifecycle.untaggedExpireDays`",
            );
            expect(() => lifecyclePolicyDocument({ ...ok, releaseTagPatterns: ["v 1"] })).to.throw(
                "`lifecycle.releaseTagPatterns[0]`",
            );
            expect(() =>
                lifecyclePolicyDocument({ ...ok, releaseTagPatterns: ["v*1*2*3*4*"] }),
            ).to.throw("more than the 4 wildcards");
            expect(() =>
                lifecyclePolicyDocument({ ...ok, releaseTagPatterns: ["v*", "v*"] }),
            ).to.throw('`lifecycle.releaseTagPatterns[1]` "v*" is listed twice');
            expect(() =>
                lifecyclePolicyDocument({ ...ok, releaseTagPatterns: ["*1*2*3*4"] }),
            ).not.to.throw();
        });
    });

    describe("names and URLs", () => {
        it("logical names map / to -- without collisions", () => {
            expect(repositoryResourceName("nlp/rake-app")).to.equal("nlp--rake-app");
            expect(repositoryResourceName("a/b-c")).not.to.equal(repositoryResourceName("a-b/c"));
            expect(() => repositoryResourceName("NLP/Rake")).to.throw("`name`");
            expect(() => repositoryResourceName("a//b")).to.throw("`name`");
        });

        it("replica URLs and ARNs follow the region (and the partition)", () => {
            expect(repositoryUrl(OWNER, "us-west-2", "nlp/rake-app")).to.equal(
                "111122223333.dkr.ecr.us-west-2.amazonaws.com/nlp/rake-app",
            );
            expect(repositoryUrl(OWNER, "cn-north-1", "x1")).to.equal(
                "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/x1",
            );
            expect(repositoryArn(OWNER, "us-west-2", "nlp/rake-app")).to.equal(
                "arn:aws:ecr:us-west-2:111122223333:repository/nlp/rake-app",
            );
        });

        it("creation template prefixes are namespaces; a top-level name has none (never ROOT)", () => {
            expect(() => creationTemplatePrefix("rake-app")).to.throw(
                '`repositoryName` "rake-app" is not in a namespace',
            );
            expect(creationTemplatePrefix("nlp/rake-app")).to.equal("nlp");
            expect(creationTemplatePrefix("team/nlp/rake-app")).to.equal("team/nlp");
        });
    });

    describe("replicationPlan", () => {
        const repo = (
            name: string,
            regions: string[],
            extra: Partial<ReplicatedRepository> = {},
        ): ReplicatedRepository => ({
            name,
            accountId: OWNER,
            region: "us-east-2",
            replicationRegions: regions,
            repositoryPolicy: '{"p":1}',
            lifecyclePolicy: '{"rules":[]}',
            kmsEncrypted: false,
            ...extra,
        });

        it("is undefined when nothing replicates", () => {
            expect(replicationPlan([repo("a1", [])])).to.equal(undefined);
        });

        it("one filter per namespace, one rule per region set, one template per (region, namespace)", () => {
            const plan = replicationPlan([
                repo("shared/rake-app", ["us-west-2"]),
                repo("nlp/prose-app", ["us-west-2"]),
                repo("nlp/client", ["us-west-2"]),
                // folded into `nlp`: the filter nlp/ and the template nlp cover it
                repo("nlp/x/deep", ["us-west-2"]),
                repo("tools/builder", ["eu-west-1", "us-west-2"]),
                repo("local-only", []),
            ])!;
            expect(plan.accountId).to.equal(OWNER);
            expect(plan.region).to.equal("us-east-2");
            expect(plan.rules).to.deep.equal([
                {
                    destinations: [{ region: "us-west-2", registryId: OWNER }],
                    repositoryFilters: [
                        { filter: "shared/", filterType: "PREFIX_MATCH" },
                        { filter: "nlp/", filterType: "PREFIX_MATCH" },
                    ],
                },
                {
                    destinations: [
                        { region: "eu-west-1", registryId: OWNER },
                        { region: "us-west-2", registryId: OWNER },
                    ],
                    repositoryFilters: [{ filter: "tools/", filterType: "PREFIX_MATCH" }],
                },
            ]);
            expect(
                plan.templates.map((t) => [
                    t.region,
                    t.prefix,
                    t.repositoryCount,
                    t.firstRepository,
                ]),
            ).to.deep.equal([
                ["us-west-2", "shared", 1, "shared/rake-app"],
                ["us-west-2", "nlp", 3, "nlp/prose-app"],
                ["eu-west-1", "tools", 1, "tools/builder"],
                ["us-west-2", "tools", 1, "tools/builder"],
            ]);
            // No filter matches a name outside the shared namespaces, whatever its prefix.
            const filters = plan.rules.flatMap((r) => r.repositoryFilters.map((f) => f.filter));
            for (const outside of ["shared-internal/x", "nlpx/a", "nlp", "rake-app", "tools"]) {
                expect(
                    filters.some((f) => outside.startsWith(f)),
                    outside,
                ).to.equal(false);
            }
            expect(plan.templates.map((t) => t.prefix)).not.to.include("ROOT");
        });

        it("never replicates a top-level repository, nor an unreplicated one under a replicated namespace", () => {
            expect(() => replicationPlan([repo("rake-app", ["us-west-2"])])).to.throw(
                '"rake-app" is not in a namespace',
            );
            expect(() =>
                replicationPlan([repo("team/a", ["us-west-2"]), repo("team/private/b", [])]),
            ).to.throw(
                '`repositories` team/private/b is not replicated but lies under the replicated namespace "team"',
            );
        });

        it("refuses repositories that share a namespace but differ in settings or regions", () => {
            expect(() =>
                replicationPlan([
                    repo("t/a1", ["us-west-2"]),
                    repo("t/b1", ["us-west-2"], { kmsEncrypted: true }),
                ]),
            ).to.throw('`repositories` t/a1 and t/b1 share the namespace "t"');
            expect(() =>
                replicationPlan([repo("t/a1", ["us-west-2"]), repo("t/b1", ["eu-west-1"])]),
            ).to.throw("replicate to different regions");
        });

        it("splits namespaces over rules of 100 filters, within ECR's 10 rules", () => {
            const names = (n: number) =>
                Array.from({ length: n }, (_, i) => repo(`ns${i}/app`, ["us-west-2"]));
            const plan = replicationPlan(names(1000))!;
            expect(plan.rules.map((r) => r.repositoryFilters.length)).to.deep.equal(
                Array(10).fill(100),
            );
            expect(plan.rules.every((r) => r.destinations.length === 1)).to.equal(true);
            // 4,000 repositories in 40 namespaces: one rule of 40 filters.
            const big = Array.from({ length: 4000 }, (_, i) =>
                repo(`ns${i % 40}/app-${i}`, ["us-west-2"]),
            );
            expect(
                replicationPlan(big)!.rules.map((r) => r.repositoryFilters.length),
            ).to.deep.equal([40]);
            let error: unknown;
            try {
                replicationPlan(names(1001));
            } catch (e) {
                error = e;
            }
            expect(error).to.be.instanceOf(ReplicationLimitError);
            expect((error as ReplicationLimitError).subject).to.equal("names");
            expect((error as Error).message).to.equal(
                "1001 replicated namespaces need 11 replication rules (one filter per namespace, 100 filters per rule, one rule per set of regions); ECR allows 10 rules",
            );
        });

        it("refuses several registries and too many rules for distinct region sets", () => {
            expect(() =>
                replicationPlan([
                    repo("t/a1", ["us-west-2"]),
                    repo("u/b1", ["us-west-2"], { region: "us-east-1" }),
                ]),
            ).to.throw("span registries");
            const regionSets = [
                "us-west-1",
                "us-west-2",
                "eu-west-1",
                "eu-west-2",
                "eu-west-3",
                "eu-north-1",
                "eu-central-1",
                "ap-south-1",
                "ap-east-1",
                "sa-east-1",
                "ca-central-1",
            ];
            expect(() => replicationPlan(regionSets.map((r, i) => repo(`ns${i}/r`, [r])))).to.throw(
                "ECR allows 10 rules",
            );
        });
    });
});
