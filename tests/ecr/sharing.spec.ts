import { expect } from "chai";
import * as fc from "fast-check";
import { repositoryPolicyDocument } from "../../src/ecr/policies";
import {
    accountAccess,
    coveringNamespaces,
    iamPolicySize,
    IDC_PUSH_TAG_EXAMPLE,
    IDC_PUSH_TAG_PATTERN,
    isReleaseTag,
    namespaceOf,
    namespaceResourcePatterns,
    ORGANIZATION_PATH,
    REPLICATION_FILTER_PATTERN,
    replicationFilter,
    stackFileOf,
    tagMatches,
} from "../../src/ecr/sharing";
import { pushCommands } from "../../src/idc/host";

const A = "111122223333";
const arn = (region: string, name: string) => `arn:aws:ecr:${region}:${A}:repository/${name}`;

describe("ecr/sharing", () => {
    describe("namespaces", () => {
        it("a namespace is everything before the last /", () => {
            expect(namespaceOf("rake-app")).to.equal(undefined);
            expect(namespaceOf("shared/rake-app")).to.equal("shared");
            expect(namespaceOf("a/b/c")).to.equal("a/b");
        });

        it("folds nested namespaces into their outermost listed ancestor", () => {
            expect([
                ...coveringNamespaces(["a/x", "a/b/y", "a/b/c/z", "ab/q", "top"]),
            ]).to.deep.equal([
                ["a", "a"],
                ["a/b", "a"],
                ["a/b/c", "a"],
                ["ab", "ab"],
            ]);
        });

        it("replication filters end in / and fit ECR's filter pattern (a trailing / is allowed)", () => {
            expect(replicationFilter("shared")).to.equal("shared/");
            expect(replicationFilter("team/nlp")).to.equal("team/nlp/");
            expect(REPLICATION_FILTER_PATTERN.test("shared/")).to.equal(true);
            expect(REPLICATION_FILTER_PATTERN.test("Shared/")).to.equal(false);
            expect(() => replicationFilter("Bad")).to.throw(
                "gives no valid ECR replication filter",
            );
        });

        it("a namespace filter matches exactly the repositories under it (property)", () => {
            const seg = fc.stringMatching(/^[a-z0-9]{1,6}(?:[-_.][a-z0-9]{1,4})?$/);
            fc.assert(
                fc.property(seg, fc.array(seg, { minLength: 1, maxLength: 3 }), (ns, rest) => {
                    const filter = replicationFilter(ns);
                    const inside = `${ns}/${rest.join("/")}`;
                    const beside = `${ns}${rest[0]}`; // e.g. shared + x -> sharedx
                    const dashed = `${ns}-${rest.join("/")}`;
                    return (
                        inside.startsWith(filter) &&
                        !beside.startsWith(filter) &&
                        !dashed.startsWith(filter) &&
                        !ns.startsWith(filter)
                    );
                }),
            );
        });
    });

    describe("identity policy resources", () => {
        it("one pattern per namespace and region; top-level names exactly; order kept, duplicates dropped", () => {
            expect(
                namespaceResourcePatterns([
                    arn("us-east-2", "shared/a"),
                    arn("us-east-2", "tools"),
                    arn("us-east-2", "shared/b"),
                    arn("us-west-2", "shared/a"),
                    arn("us-east-2", "shared/x/deep"),
                    arn("us-east-2", "tools"),
                ]),
            ).to.deep.equal([
                arn("us-east-2", "shared/*"),
                arn("us-east-2", "tools"),
                arn("us-west-2", "shared/*"),
            ]);
        });

        it("passes existing patterns through and folds namespaces under them", () => {
            expect(
                namespaceResourcePatterns([
                    arn("us-east-2", "team/*"),
                    arn("us-east-2", "team/x/y"),
                ]),
            ).to.deep.equal([arn("us-east-2", "team/*")]);
        });

        it("the size depends on namespaces, not repositories (4,000 repositories in 40 namespaces)", () => {
            const names = Array.from({ length: 4000 }, (_, i) => `ns${i % 40}/app-${i}`);
            const patterns = namespaceResourcePatterns(names.map((n) => arn("us-east-2", n)));
            expect(patterns).to.have.length(40);
            expect(patterns[0]).to.equal(arn("us-east-2", "ns0/*"));
        });

        it("counts policy size as IAM does: whitespace excluded", () => {
            expect(iamPolicySize('{"a": [1, 2]}')).to.equal(11);
            expect(iamPolicySize({ Version: "2012-10-17", Statement: [] })).to.equal(
                JSON.stringify({ Version: "2012-10-17", Statement: [] }).length,
            );
            expect(iamPolicySize(" \t\r\n{ }\n")).to.equal(2);
        });
    });

    describe("grants", () => {
        const OU = "o-abcdef1234/r-ab12/ou-ab12-11111111/";
        const none = { accounts: [], roleArns: [], organizationalUnitPaths: [] };

        it("an account root, the organization or an OU above the account grant access", () => {
            expect(accountAccess({ ...none, accounts: [A] }, A)).to.deep.equal({
                granted: true,
                by: "account",
            });
            expect(
                accountAccess({ ...none, organizationId: "o-abcdef1234" }, A, `${OU}`).granted,
            ).to.equal(true);
            expect(
                accountAccess(
                    { ...none, organizationalUnitPaths: [OU] },
                    A,
                    `${OU}ou-ab12-22222222/`,
                ),
            ).to.deep.equal({ granted: true, by: `organizational unit ${OU}` });
        });

        it("says why not: other accounts, roles only, membership unverified", () => {
            expect(accountAccess({ ...none, accounts: ["444455556666"] }, A)).to.deep.equal({
                granted: false,
                roleOnly: false,
                organizationUnverified: false,
            });
            expect(
                accountAccess({ ...none, roleArns: [`arn:aws:iam::${A}:role/x`] }, A),
            ).to.deep.equal({ granted: false, roleOnly: true, organizationUnverified: false });
            expect(accountAccess({ ...none, organizationalUnitPaths: [OU] }, A)).to.deep.equal({
                granted: false,
                roleOnly: false,
                organizationUnverified: true,
            });
            // A sibling OU is not a child.
            expect(
                accountAccess(
                    { ...none, organizationalUnitPaths: [OU] },
                    A,
                    "o-abcdef1234/r-ab12/ou-ab12-111111112/",
                ).granted,
            ).to.equal(false);
        });

        it("validates organizational unit paths", () => {
            expect(ORGANIZATION_PATH.test(OU)).to.equal(true);
            expect(ORGANIZATION_PATH.test(`${OU}ou-ab12-22222222/`)).to.equal(true);
            for (const bad of ["o-abcdef1234/r-ab12/", "ou-ab12-11111111/", OU.slice(0, -1)]) {
                expect(ORGANIZATION_PATH.test(bad), bad).to.equal(false);
            }
        });

        it("OU grants are a ForAnyValue:StringLike on aws:PrincipalOrgPaths with child OUs, never unconditioned", () => {
            const doc = repositoryPolicyDocument({
                accountId: A,
                consumers: { organizationalUnitPaths: [OU, OU] },
            })!;
            expect(doc.Statement).to.deep.equal([
                {
                    Sid: "OrganizationalUnitsPull",
                    Effect: "Allow",
                    Principal: "*",
                    Action: [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                    ],
                    Condition: {
                        "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": [`${OU}*`] },
                    },
                },
            ]);
            expect(() =>
                repositoryPolicyDocument({
                    accountId: A,
                    consumers: { organizationalUnitPaths: ["o-abcdef1234"] },
                }),
            ).to.throw("`consumers.organizationalUnitPaths[0]`");
        });
    });

    describe("release tags", () => {
        it("matches ECR lifecycle patterns: * is any run, the whole tag must match", () => {
            const cases: [string, string, boolean][] = [
                ["v*", "v1.0.0", true],
                ["v*", "1.0.0", false],
                ["*.*.*", "1.0.0", true],
                ["*.*.*", "1.0", false],
                ["*.*.*", "v2.10.3-rc.1", true],
                ["idc-*", "idc-20250101120000", true],
                ["release", "release", true],
                ["release", "release-1", false],
                ["*-prod", "a-prod", true],
                ["*-prod", "a-prod-x", false],
                ["a*a", "a", false],
                ["a*a", "aa", true],
                // `.` is literal, not a regular-expression wildcard.
                ["v1.*", "v1.2", true],
                ["v1.*", "v1x2", false],
                ["build-*", "build-fcc0fc3cd77c", true],
            ];
            for (const [pattern, tag, expected] of cases) {
                expect(tagMatches(pattern, tag), `${pattern} ~ ${tag}`).to.equal(expected);
            }
        });

        it("agrees with a regular expression translation (property)", () => {
            const chars = fc.constantFrom("a", "b", ".", "-", "1");
            const pattern = fc
                .array(fc.oneof(chars, fc.constant("*")), { minLength: 1, maxLength: 8 })
                .map((a) => a.join(""));
            const tag = fc.array(chars, { maxLength: 10 }).map((a) => a.join(""));
            fc.assert(
                fc.property(pattern, tag, (p, t) => {
                    const re = new RegExp(
                        `^${p
                            .split("*")
                            .map((x) => x.replace(/[.]/g, "\\."))
                            .join(".*")}$`,
                    );
                    return tagMatches(p, t) === re.test(t);
                }),
                { numRuns: 2000 },
            );
        });

        it("the IDC pattern matches what the IDC push commands tag", () => {
            const line = pushCommands({ registry: "r", region: "us-east-1", repository: "x" })[0];
            expect(line).to.equal("TAG=idc-$(date -u +%Y%m%d%H%M%S)");
            expect(isReleaseTag(IDC_PUSH_TAG_EXAMPLE, [IDC_PUSH_TAG_PATTERN])).to.equal(true);
            expect(IDC_PUSH_TAG_EXAMPLE).to.match(/^idc-\d{14}$/);
        });

        it("names the stack file of a stack reference", () => {
            expect(stackFileOf("organization/ecr-private-access/vendor")).to.equal(
                "Pulumi.vendor.yaml",
            );
        });
    });
});
