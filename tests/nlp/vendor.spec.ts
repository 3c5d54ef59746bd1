import { expect } from "chai";
import { ConfigError } from "../../src/config";
import { pickVendorRepository } from "../../src/nlp/vendor";

const outputs = {
    registryId: "111122223333",
    repositories: {
        "rake-app": {
            arn: "arn:aws:ecr:us-east-2:111122223333:repository/rake-app",
            url: "111122223333.dkr.ecr.us-east-2.amazonaws.com/rake-app",
            urls: {
                "us-east-2": "111122223333.dkr.ecr.us-east-2.amazonaws.com/rake-app",
                "us-west-2": "111122223333.dkr.ecr.us-west-2.amazonaws.com/rake-app",
            },
        },
    },
};
const REF = "organization/ecr-private-access/vendor";

function issue(fn: () => unknown): { key: string; message: string } {
    try {
        fn();
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).issues[0];
    }
    throw new Error("expected a ConfigError");
}

describe("vendor image from the vendor stack's outputs", () => {
    it("picks the replica in the customer's region, not the vendor's home region", () => {
        expect(pickVendorRepository(outputs, REF, "rake-app", "us-west-2")).to.deep.equal({
            registryId: "111122223333",
            url: "111122223333.dkr.ecr.us-west-2.amazonaws.com/rake-app",
        });
    });

    it("names a repository the vendor does not share", () => {
        expect(issue(() => pickVendorRepository(outputs, REF, "rake", "us-west-2"))).to.deep.equal({
            key: "ecr-private-access:nlp.vendorRepository",
            message: `"rake" is not a repository of ${REF} (it shares: rake-app)`,
        });
    });

    it("explains that endpoints are regional when the vendor does not replicate into this region", () => {
        const { message } = issue(() =>
            pickVendorRepository(outputs, REF, "rake-app", "eu-west-1"),
        );
        expect(message).to.equal(
            "\"rake-app\" is not available in eu-west-1 (only in us-east-2, us-west-2); interface endpoints only reach their own region's registry, so add eu-west-1 to the vendor's repositories.replicationRegions",
        );
    });

    it("refuses a referenced stack that is not a vendor stack", () => {
        expect(
            issue(() =>
                pickVendorRepository({ vpcId: "vpc-1" } as never, REF, "rake-app", "us-west-2"),
            ).key,
        ).to.equal("ecr-private-access:nlp.vendorStack");
    });
});
