import { expect } from "chai";
import { abridgeOutputs, summary } from "../../tools/artefacts";
import type { Plan } from "../../src/report/plan";

/** summary.md stays small at scale: large outputs are abridged, plan.json keeps them whole. */
describe("summary.md outputs (tools/artefacts.ts)", () => {
    const repositories = (n: number) =>
        Object.fromEntries(
            Array.from({ length: n }, (_, i) => [`team/app-${i}`, { url: `u/${i}`, tags: ["v*"] }]),
        );

    it("keeps outputs of up to 12 entries whole, and the outputs themselves always", () => {
        const outputs = {
            ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`o${i}`, i])),
            repositories: repositories(12),
            accounts: Array.from({ length: 12 }, (_, i) => String(i)),
        };
        expect(abridgeOutputs(outputs)).to.deep.equal({ value: outputs, abridged: [] });
    });

    it("abridges a larger object or array to its first 3 entries and says how many plan.json holds", () => {
        const { value, abridged } = abridgeOutputs({
            region: "us-east-1",
            repositories: repositories(4000),
            grants: { accounts: Array.from({ length: 290 }, (_, i) => String(i)) },
        });
        expect(value).to.deep.equal({
            region: "us-east-1",
            repositories: {
                "team/app-0": { url: "u/0", tags: ["v*"] },
                "team/app-1": { url: "u/1", tags: ["v*"] },
                "team/app-2": { url: "u/2", tags: ["v*"] },
                "…": "3997 more in plan.json",
            },
            grants: { accounts: ["0", "1", "2", "… 287 more in plan.json"] },
        });
        expect(abridged).to.deep.equal([
            "outputs.repositories: 3 of 4000",
            "outputs.grants.accounts: 3 of 290",
        ]);
    });

    it("the summary of 4,000 repositories is as long as that of 13", () => {
        const plan = (n: number): Plan => ({
            project: "ecr-private-access",
            stack: "s",
            resources: Array.from({ length: n }, (_, i) => ({
                urn: `urn:pulumi:s::ecr-private-access::aws:ecr/repository:Repository::r${i}`,
                id: `r${i}`,
                type: "aws:ecr/repository:Repository",
                name: `r${i}`,
                inputs: { name: `team/app-${i}` },
                outputs: {},
                dependencies: [],
                propertyDependencies: {},
            })),
            outputs: {
                accountId: "123456789012",
                region: "us-east-1",
                repositories: repositories(n),
            },
            violations: [],
        });
        const large = summary(plan(4000));
        expect(large).to.include(
            "Abridged here, complete in plan.json: outputs.repositories: 3 of 4000 entries.",
        );
        expect(large).to.include("| Repository x4000 |");
        // Only numbers grow: the resource count (header and type table), `Repository x4000`,
        // `3 of 4000` (two more digits each) and `3997 more` (for `10 more`).
        expect(large.length - summary(plan(13)).length).to.equal(4 * 2 + 2);
    });
});
