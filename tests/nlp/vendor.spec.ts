import { expect } from "chai";
import { ConfigError } from "../../src/config";
import { Consumer, pickVendorRepository } from "../../src/nlp/vendor";

const REPO = "shared/rake-app";
const grant = (extra: Record<string, unknown> = {}) => ({
    accounts: ["444455556666"],
    roleArns: [],
    organizationalUnitPaths: [],
    ...extra,
});
const outputs = (g: Record<string, unknown> = grant()) => ({
    registryId: "111122223333",
    pullGrants: { consumers: g },
    repositories: {
        [REPO]: {
            arn: `arn:aws:ecr:us-east-2:111122223333:repository/${REPO}`,
            url: `111122223333.dkr.ecr.us-east-2.amazonaws.com/${REPO}`,
            urls: {
                "us-east-2": `111122223333.dkr.ecr.us-east-2.amazonaws.com/${REPO}`,
                "us-west-2": `111122223333.dkr.ecr.us-west-2.amazonaws.com/${REPO}`,
            },
            releaseTagPatterns: ["v*", "*.*.*"],
            pull: { "us-east-2": "consumers", "us-west-2": "consumers" },
        },
    },
});
const REF = "organization/ecr-private-access/vendor";
const customer: Consumer = { accountId: "444455556666", imageTag: "1.0.0" };
const OU = "o-abcdef1234/r-ab12/ou-ab12-11111111/";

function issues(fn: () => unknown): { key: string; message: string }[] {
    try {
        fn();
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).issues;
    }
    throw new Error("expected a ConfigError");
}
const issue = (fn: () => unknown) => issues(fn)[0];

describe("vendor image from the vendor stack's outputs", () => {
    it("picks the replica in the customer's region, not the vendor's home region", () => {
        expect(pickVendorRepository(outputs(), REF, REPO, "us-west-2", customer)).to.deep.equal({
            registryId: "111122223333",
            url: `111122223333.dkr.ecr.us-west-2.amazonaws.com/${REPO}`,
            arn: `arn:aws:ecr:us-west-2:111122223333:repository/${REPO}`,
            region: "us-west-2",
            name: REPO,
        });
    });

    it("names a repository the vendor does not share", () => {
        expect(
            issue(() => pickVendorRepository(outputs(), REF, "rake", "us-west-2")),
        ).to.deep.equal({
            key: "ecr-private-access:nlp.vendorRepository",
            message: `"rake" is not a repository of ${REF} (it shares: ${REPO})`,
        });
    });

    it("explains that endpoints are regional when the vendor does not replicate into this region, naming the vendor's file and key", () => {
        const { key, message } = issue(() =>
            pickVendorRepository(outputs(), REF, REPO, "eu-west-1", customer),
        );
        expect(key).to.equal("ecr-private-access:nlp.vendorRepository");
        expect(message).to.equal(
            `"${REPO}" is not available in eu-west-1 (only in us-east-2, us-west-2); interface endpoints only reach their own region's registry, so add eu-west-1 to the vendor's repositories.replicationRegions (ecr-private-access:repositories.replicationRegions in Pulumi.vendor.yaml)`,
        );
    });

    it("refuses an account the vendor does not grant, naming the vendor's file and the exact key", () => {
        const other = { ...customer, accountId: "210987654321" };
        expect(
            issues(() => pickVendorRepository(outputs(), REF, REPO, "us-west-2", other)),
        ).to.deep.equal([
            {
                key: "ecr-private-access:nlp.vendorRepository",
                message: `account 210987654321 (ecr-private-access:accountId) may not pull "${REPO}" in us-west-2: ${REF}'s repository policy does not grant it; add "210987654321" to ecr-private-access:repositories.consumers.accounts in Pulumi.vendor.yaml (or grant its organization with repositories.consumers.organizationId or organizationalUnitPaths)`,
            },
        ]);
    });

    it("reports a missing region and a missing grant together", () => {
        const other = { ...customer, accountId: "210987654321" };
        const found = issues(() =>
            pickVendorRepository(outputs(), REF, REPO, "eu-central-1", other),
        );
        expect(found.map((i) => i.message.slice(0, 40))).to.deep.equal([
            `"${REPO}" is not available in eu-central-1`.slice(0, 40),
            `account 210987654321 (ecr-private-access:accountId) may not pull`.slice(0, 40),
        ]);
    });

    it("accepts an organization or OU grant when the account states its path, and says how otherwise", () => {
        const byOrg = outputs(grant({ accounts: [], organizationId: "o-abcdef1234" }));
        const byOu = outputs(grant({ accounts: [], organizationalUnitPaths: [OU] }));
        const inChildOu = { ...customer, organizationPath: `${OU}ou-ab12-22222222/` };
        expect(pickVendorRepository(byOrg, REF, REPO, "us-west-2", inChildOu).url).to.contain(
            "us-west-2",
        );
        expect(pickVendorRepository(byOu, REF, REPO, "us-west-2", inChildOu).url).to.contain(
            "us-west-2",
        );
        // Another OU of the same organization is not granted by the OU grant.
        const elsewhere = {
            ...customer,
            organizationPath: "o-abcdef1234/r-ab12/ou-ab12-33333333/",
        };
        expect(
            issue(() => pickVendorRepository(byOu, REF, REPO, "us-west-2", elsewhere)).key,
        ).to.equal("ecr-private-access:nlp.vendorRepository");
        // Without its path the account's membership cannot be verified: say which key to set.
        expect(
            issue(() => pickVendorRepository(byOrg, REF, REPO, "us-west-2", customer)).message,
        ).to.contain(
            "it grants organization o-abcdef1234; if this account is a member, set ecr-private-access:nlp.organizationPath",
        );
    });

    it("does not count a grant to other roles of the account as access for the service", () => {
        const roles = outputs(
            grant({ accounts: [], roleArns: ["arn:aws:iam::444455556666:role/deployer"] }),
        );
        expect(
            issue(() => pickVendorRepository(roles, REF, REPO, "us-west-2", customer)).message,
        ).to.contain("it grants only listed roles of this account");
    });

    it("refuses a tag the vendor's lifecycle policy would expire, naming the key and the vendor's patterns", () => {
        expect(
            issues(() =>
                pickVendorRepository(outputs(), REF, REPO, "us-west-2", {
                    ...customer,
                    imageTag: "build-42",
                }),
            ),
        ).to.deep.equal([
            {
                key: "ecr-private-access:nlp.imageTags.rakeApp",
                message: `"build-42" matches none of the vendor's release tag patterns for "${REPO}" (v*, *.*.*): its lifecycle policy would expire the image this service runs once newer images arrive; deploy a release tag, or have the vendor add a pattern to ecr-private-access:repositories.lifecycle.releaseTagPatterns in Pulumi.vendor.yaml`,
            },
        ]);
    });

    it("asks for the vendor stack to be updated when its outputs predate the contract", () => {
        const old = outputs() as Record<string, any>;
        delete old.pullGrants;
        delete old.repositories[REPO].releaseTagPatterns;
        expect(
            issues(() => pickVendorRepository(old, REF, REPO, "us-west-2", customer)).map(
                (i) => i.key,
            ),
        ).to.deep.equal([
            "ecr-private-access:nlp.vendorStack",
            "ecr-private-access:nlp.vendorStack",
        ]);
    });

    it("refuses a referenced stack that is not a vendor stack", () => {
        expect(
            issue(() => pickVendorRepository({ vpcId: "vpc-1" } as never, REF, REPO, "us-west-2"))
                .key,
        ).to.equal("ecr-private-access:nlp.vendorStack");
    });
});
