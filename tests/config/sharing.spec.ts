import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../../src/config";
import { obj, P } from "../helpers/stackConfig";

/** The shipped vendor stack's shape. */
function vendor(repositories: Record<string, unknown> = {}): Record<string, string> {
    return {
        "aws:region": "us-east-2",
        "aws:allowedAccountIds": obj(["111122223333"]),
        [`${P}:accountId`]: "111122223333",
        [`${P}:repositories`]: obj({
            names: ["shared/rake-app"],
            consumers: { accounts: ["444455556666"] },
            replicationRegions: ["us-west-2"],
            ...repositories,
        }),
        [`${P}:developers`]: obj({ users: ["alice"] }),
    };
}

function customer(nlp: Record<string, unknown> = {}, repositories: Record<string, unknown> = {}) {
    return {
        "aws:region": "us-west-2",
        "aws:allowedAccountIds": obj(["444455556666"]),
        [`${P}:accountId`]: "444455556666",
        [`${P}:network`]: obj({ cidr: "10.20.0.0/16", azCount: 2, publicSubnets: true }),
        [`${P}:endpoints`]: obj({}),
        [`${P}:repositories`]: obj({ names: ["nlp-client", "prose-app"], ...repositories }),
        [`${P}:nlp`]: obj({
            vendorStack: "organization/ecr-private-access/vendor",
            imageTags: { nlpClient: "1.0.0", rakeApp: "1.0.0", proseApp: "1.0.0" },
            ...nlp,
        }),
    };
}

function issuesOf(raw: Record<string, string>): { key: string; message: string }[] {
    try {
        parseStackConfig(raw, "test");
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).issues;
    }
    return [];
}

const names = (n: number, namespaces: number) =>
    Array.from({ length: n }, (_, i) => `ns${i % namespaces}/app-${i}`);

describe("config: sharing across accounts", () => {
    it("accepts the shipped vendor and customer shapes", () => {
        expect(issuesOf(vendor())).to.deep.equal([]);
        expect(issuesOf(customer())).to.deep.equal([]);
        expect(parseStackConfig(customer(), "c").nlp!.vendorRepository).to.equal("shared/rake-app");
    });

    it("a shared or replicated repository must be in a namespace, naming each one", () => {
        const issues = issuesOf(vendor({ names: ["shared/rake-app", "rake-app", "tools"] }));
        expect(issues.map((i) => i.key)).to.deep.equal([
            `${P}:repositories.names[1]`,
            `${P}:repositories.names[2]`,
        ]);
        expect(issues[0].message).to.equal(
            '"rake-app" is shared (repositories.consumers grants other accounts and repositories.replicationRegions replicates them) but not in a namespace: name it <namespace>/rake-app (e.g. shared/rake-app). Replication filters and creation templates match by prefix, so only a namespace keeps repositories that are not shared out of them; every repository under a shared namespace is shared',
        );
        // Replication alone, or an organization grant alone, makes a repository shared too.
        expect(issuesOf(vendor({ names: ["app"], consumers: {} })).map((i) => i.key)).to.deep.equal(
            [`${P}:repositories.names[0]`],
        );
        expect(
            issuesOf(
                vendor({
                    names: ["app"],
                    consumers: { organizationId: "o-abcdef1234" },
                    replicationRegions: [],
                }),
            ).map((i) => i.key),
        ).to.deep.equal([`${P}:repositories.names[0]`]);
        // Nothing shared: top-level names are fine (the customer's own repositories).
        expect(
            issuesOf(vendor({ names: ["app"], consumers: {}, replicationRegions: [] })),
        ).to.deep.equal([]);
    });

    it("the consumed vendor repository must be in a namespace", () => {
        expect(issuesOf(customer({ vendorRepository: "rake-app" }))).to.deep.equal([
            {
                key: `${P}:nlp.vendorRepository`,
                message:
                    '"rake-app" is not in a namespace; a vendor shares repositories only under namespaces (<namespace>/rake-app, e.g. shared/rake-app), so that its replication filters and templates cover nothing else',
            },
        ]);
    });

    it("replicates 150 and 4,000 repositories in namespaces (once exit 3: 100 filters per rule)", () => {
        expect(issuesOf(vendor({ names: names(150, 40) }))).to.deep.equal([]);
        expect(issuesOf(vendor({ names: names(4000, 40) }))).to.deep.equal([]);
        // 1,000 namespaces fit ECR's 10 rules x 100 filters (not the developers' group policy).
        const raw = vendor({ names: names(4000, 1000) });
        delete raw[`${P}:developers`];
        expect(issuesOf(raw)).to.deep.equal([]);
    });

    it("more namespaces than 10 rules of 100 filters: exit 2 naming the key and the way out", () => {
        const raw = vendor({ names: names(1001, 1001) });
        delete raw[`${P}:developers`];
        expect(issuesOf(raw)).to.deep.equal([
            {
                key: `${P}:repositories.names`,
                message:
                    '1001 replicated namespaces need 11 replication rules (one filter per namespace, 100 filters per rule, one rule per set of regions); ECR allows 10 rules; group the repositories into fewer namespaces (a filter "team/" replicates team/a and team/x/b alike), or split them over stacks in other registries',
            },
        ]);
        // Nested namespaces fold into their parent: one filter.
        const nested = Array.from({ length: 1001 }, (_, i) => `team/ns${i}/app`);
        expect(issuesOf(vendor({ names: [...nested, "team/x"] }))).to.deep.equal([]);
        // ...and so does the developers' policy: one pattern, team/*, per region.
    });

    it("organizational unit paths: a trailing / is added, anything else is refused by key", () => {
        const ou = "o-abcdef1234/r-ab12/ou-ab12-11111111";
        const cfg = parseStackConfig(
            vendor({ consumers: { organizationalUnitPaths: [ou] } }),
            "vendor",
        );
        expect(cfg.repositories!.consumers.organizationalUnitPaths).to.deep.equal([`${ou}/`]);
        const issues = issuesOf(vendor({ consumers: { organizationalUnitPaths: ["ou-ab12-1"] } }));
        expect(issues.map((i) => i.key)).to.deep.equal([
            `${P}:repositories.consumers.organizationalUnitPaths[0]`,
        ]);
        expect(issues[0].message).to.match(/is not an organizational unit path/);
        expect(
            issuesOf(customer({ organizationPath: "o-abcdef1234" })).map((i) => i.key),
        ).to.deep.equal([`${P}:nlp.organizationPath`]);
    });

    describe("IAM inline policy sizes, checked from config", () => {
        it("developers: 4,000 repositories in 40 namespaces with a replica region fit the group quota", () => {
            expect(issuesOf(vendor({ names: names(4000, 40) }))).to.deep.equal([]);
        });

        it("developers: too many namespaces exceed 5,120 characters: exit 2 naming repositories.names", () => {
            const issues = issuesOf(vendor({ names: names(200, 100) }));
            expect(issues.map((i) => i.key)).to.deep.equal([`${P}:repositories.names`]);
            expect(issues[0].message).to.match(
                /^the developers' group policy \(developers block\) would be \d{4,5} characters; IAM allows 5120 for all inline policies of a group \(whitespace excluded\)\. .*put the repositories under fewer namespaces$/,
            );
            // Without developers there is no group policy to check.
            const raw = vendor({ names: names(200, 100) });
            delete raw[`${P}:developers`];
            expect(issuesOf(raw)).to.deep.equal([]);
        });

        it("IDC host role: one ARN per namespace; 10,240 characters", () => {
            const idc = (n: string[]) => ({
                "aws:region": "ap-southeast-1",
                "aws:allowedAccountIds": obj(["777788889999"]),
                [`${P}:accountId`]: "777788889999",
                [`${P}:network`]: obj({ cidr: "10.0.0.0/16" }),
                [`${P}:endpoints`]: obj({ placement: "single-az", allowPush: true }),
                [`${P}:repositories`]: obj({ names: n }),
                [`${P}:idc`]: obj({ region: "ap-northeast-1", cidr: "10.100.0.0/16" }),
            });
            expect(issuesOf(idc(names(4000, 40)))).to.deep.equal([]);
            const top = Array.from({ length: 300 }, (_, i) => `app-${i}`);
            const issues = issuesOf(idc(top));
            expect(issues.map((i) => i.key)).to.deep.equal([`${P}:repositories.names`]);
            expect(issues[0].message).to.match(
                /^the IDC host role's policy \(idc block\) would be \d+ characters; IAM allows 10240/,
            );
        });
    });

    describe("every deployed tag is a release tag", () => {
        it("defaults keep v* and semver-like tags, and idc-* when the IDC runs", () => {
            expect(
                parseStackConfig(vendor(), "v").repositories!.lifecycle.releaseTagPatterns,
            ).to.deep.equal(["v*", "*.*.*"]);
        });

        it("the customer's own images: nlp.imageTags against repositories.lifecycle.releaseTagPatterns", () => {
            const issues = issuesOf(customer({}, { lifecycle: { releaseTagPatterns: ["v*"] } }));
            expect(issues).to.deep.equal([
                {
                    key: `${P}:nlp.imageTags.nlpClient`,
                    message:
                        '"1.0.0" matches none of repositories.lifecycle.releaseTagPatterns (v*): the lifecycle policy would expire the image the service runs once 50 newer images exist; deploy a release tag or add a pattern that matches it',
                },
                {
                    key: `${P}:nlp.imageTags.proseApp`,
                    message:
                        '"1.0.0" matches none of repositories.lifecycle.releaseTagPatterns (v*): the lifecycle policy would expire the image the service runs once 50 newer images exist; deploy a release tag or add a pattern that matches it',
                },
            ]);
            expect(
                issuesOf(
                    customer(
                        { imageTags: { nlpClient: "v2", rakeApp: "1.0.0", proseApp: "v2" } },
                        {
                            lifecycle: { releaseTagPatterns: ["v*"] },
                        },
                    ),
                ),
            ).to.deep.equal([]);
        });

        it("the IDC's pushed tags: an explicit pattern list without idc-* is exit 2", () => {
            const raw = {
                "aws:region": "ap-southeast-1",
                "aws:allowedAccountIds": obj(["777788889999"]),
                [`${P}:accountId`]: "777788889999",
                [`${P}:network`]: obj({ cidr: "10.0.0.0/16" }),
                [`${P}:endpoints`]: obj({ placement: "single-az", allowPush: true }),
                [`${P}:repositories`]: obj({ names: ["idc-demo/hello"] }),
                [`${P}:idc`]: obj({ region: "ap-northeast-1", cidr: "10.100.0.0/16" }),
            };
            expect(
                parseStackConfig(raw, "idc").repositories!.lifecycle.releaseTagPatterns,
            ).to.deep.equal(["v*", "*.*.*", "idc-*"]);
            raw[`${P}:repositories`] = obj({
                names: ["idc-demo/hello"],
                lifecycle: { releaseTagPatterns: ["v*"] },
            });
            expect(issuesOf(raw)).to.deep.equal([
                {
                    key: `${P}:repositories.lifecycle.releaseTagPatterns`,
                    message:
                        'no pattern matches the tags the IDC host pushes (idc-<UTC timestamp>, e.g. idc-20250101120000), so the lifecycle policy would expire them; add "idc-*"',
                },
            ]);
        });

        it("patterns ECR would refuse are exit 2, not a crash", () => {
            const keys = (patterns: string[]) =>
                issuesOf(vendor({ lifecycle: { releaseTagPatterns: patterns } })).map((i) => i.key);
            expect(keys(["*a*b*c*d*e"])).to.deep.equal([
                `${P}:repositories.lifecycle.releaseTagPatterns[0]`,
            ]);
            expect(keys(["v*", "v*"])).to.deep.equal([
                `${P}:repositories.lifecycle.releaseTagPatterns[1]`,
            ]);
            expect(keys(["x".repeat(129)])).to.deep.equal([
                `${P}:repositories.lifecycle.releaseTagPatterns[0]`,
            ]);
        });
    });
});
