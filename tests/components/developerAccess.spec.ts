import { expect } from "chai";
import { DeveloperAccess, DeveloperAccessArgs } from "../../components/developerAccess";
import { SharedRepository } from "../../components/sharedRepository";
import { iamPolicySize, MAX_GROUP_INLINE_POLICY_CHARS } from "../../src/ecr/sharing";
import { policyDoc, run, TestRun } from "../helpers/run";
import { DESCRIBE, PULL, PUSH } from "../helpers/ecrActions";

const VENDOR = "111122223333";

describe("DeveloperAccess", () => {
    describe("a named group with two users, push on two namespaces, pull on their replicas", () => {
        let r: TestRun;
        before(async () => {
            r = await run(
                () => {
                    const repos = ["nlp/rake-app", "nlp/prose-app", "tools/builder"].map(
                        (n) =>
                            new SharedRepository(n.replace("/", "--"), {
                                name: n,
                                accountId: VENDOR,
                                region: "us-east-2",
                                lifecycle: {
                                    untaggedExpireDays: 7,
                                    keepImages: 50,
                                    releaseTagPatterns: ["v*"],
                                },
                                replicationRegions: ["us-west-2"],
                            }),
                    );
                    const devs = new DeveloperAccess("vendor-devs", {
                        repositoryArns: repos.map((x) => x.arn),
                        replicaRepositoryArns: repos.flatMap((x) => x.replicaArns),
                        groupName: "image-publishers",
                        users: ["alice", "bob"],
                        tags: { team: "nlp" },
                    });
                    return {
                        groupName: devs.groupName,
                        groupArn: devs.groupArn,
                        userNames: devs.userNames,
                    };
                },
                { account: VENDOR, region: "us-east-2", stack: "vendor" },
            );
        });

        it("creates the group", () => {
            expect(r.one("aws:iam/group:Group", "vendor-devs").inputs).to.deep.equal({
                name: "image-publishers",
                path: "/",
            });
        });

        it("grants login on *, push/pull on the home namespaces, pull on the replicas: one ARN per namespace and region", () => {
            const gp = r.one("aws:iam/groupPolicy:GroupPolicy", "vendor-devs-ecr").inputs;
            expect(gp.group).to.equal("image-publishers");
            expect(policyDoc(gp.policy)).to.deep.equal({
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
                        Resource: [
                            `arn:aws:ecr:us-east-2:${VENDOR}:repository/nlp/*`,
                            `arn:aws:ecr:us-east-2:${VENDOR}:repository/tools/*`,
                        ],
                    },
                    {
                        Sid: "PullReplicas",
                        Effect: "Allow",
                        Action: [...PULL, ...DESCRIBE],
                        Resource: [
                            `arn:aws:ecr:us-west-2:${VENDOR}:repository/nlp/*`,
                            `arn:aws:ecr:us-west-2:${VENDOR}:repository/tools/*`,
                        ],
                    },
                ],
            });
        });

        it("creates users with no credentials and adds them to the group", () => {
            expect(r.ofType("aws:iam/user:User").map((u) => u.inputs)).to.deep.equal([
                { name: "alice", path: "/", forceDestroy: false, tags: { team: "nlp" } },
                { name: "bob", path: "/", forceDestroy: false, tags: { team: "nlp" } },
            ]);
            expect(
                r.ofType("aws:iam/userGroupMembership:UserGroupMembership").map((m) => m.inputs),
            ).to.deep.equal([
                { user: "alice", groups: ["image-publishers"] },
                { user: "bob", groups: ["image-publishers"] },
            ]);
            for (const type of [
                "aws:iam/accessKey:AccessKey",
                "aws:iam/userLoginProfile:UserLoginProfile",
            ]) {
                expect(r.ofType(type), type).to.have.length(0);
            }
        });

        it("outputs names and the ARN, nothing secret", () => {
            expect(r.outputs).to.deep.equal({
                groupName: "image-publishers",
                groupArn: `arn:aws:iam::${VENDOR}:group/image-publishers`,
                userNames: ["alice", "bob"],
            });
            expect(JSON.stringify(r.outputs)).not.to.match(/secret|AKIA|password/i);
        });
    });

    describe("defaults", () => {
        it("auto-names the group, creates no users and no replica statement", async () => {
            const r = await run(() => {
                new DeveloperAccess("devs", {
                    repositoryArns: [`arn:aws:ecr:us-west-2:${VENDOR}:repository/a1`],
                });
            });
            expect(r.one("aws:iam/group:Group").inputs).to.deep.equal({ path: "/" });
            expect(r.ofType("aws:iam/user:User")).to.have.length(0);
            expect(
                policyDoc(r.one("aws:iam/groupPolicy:GroupPolicy").inputs.policy).Statement.map(
                    (s) => s.Sid,
                ),
            ).to.deep.equal(["RegistryLogin", "PushPull"]);
        });
    });

    describe("policy size (IAM: 5,120 characters for all inline policies of a group)", () => {
        const arns = (names: string[], region: string) =>
            names.map((n) => `arn:aws:ecr:${region}:${VENDOR}:repository/${n}`);
        const policyFor = async (names: string[]) => {
            const r = await run(() => {
                new DeveloperAccess("devs", {
                    repositoryArns: arns(names, "us-east-2"),
                    replicaRepositoryArns: arns(names, "us-west-2"),
                });
            });
            return r.one("aws:iam/groupPolicy:GroupPolicy").inputs.policy as string;
        };

        it("does not grow with the number of repositories in a namespace", async () => {
            const ten = await policyFor(Array.from({ length: 10 }, (_, i) => `team/app-${i}`));
            const many = await policyFor(Array.from({ length: 4000 }, (_, i) => `team/app-${i}`));
            expect(many).to.equal(ten);
            expect(iamPolicySize(many)).to.be.below(MAX_GROUP_INLINE_POLICY_CHARS);
        });

        it("lists top-level repositories one by one, and refuses a policy IAM would refuse", async () => {
            const names = Array.from({ length: 60 }, (_, i) => `app-${i}`);
            let error: unknown;
            try {
                await policyFor(names);
            } catch (e) {
                error = e;
            }
            expect(String(error)).to.match(
                /The developers' group policy would be \d+ characters; IAM allows 5120/,
            );
            const fits = await policyFor(names.slice(0, 20));
            expect(policyDoc(fits).Statement[1].Resource).to.have.length(20);
        });
    });

    describe("bad arguments", () => {
        const arn = `arn:aws:ecr:us-west-2:${VENDOR}:repository/a1`;
        const cases: [string, DeveloperAccessArgs, string][] = [
            [
                "no repositories",
                { repositoryArns: [] },
                "`repositoryArns` must name at least one repository",
            ],
            [
                "a group name with spaces",
                { repositoryArns: [arn], groupName: "image publishers" },
                '`groupName` "image publishers"',
            ],
            [
                "a bad user name",
                { repositoryArns: [arn], users: ["alice", "bob smith"] },
                '`users[1]` "bob smith"',
            ],
            [
                "the same user twice (IAM ignores case)",
                { repositoryArns: [arn], users: ["alice", "Alice"] },
                '`users[1]` "Alice" is listed twice',
            ],
        ];
        for (const [what, args, message] of cases) {
            it(`rejects ${what}`, async () => {
                let error: unknown;
                try {
                    await run(() => new DeveloperAccess("bad", args));
                } catch (e) {
                    error = e;
                }
                expect(String(error)).to.contain(message);
            });
        }
    });
});
