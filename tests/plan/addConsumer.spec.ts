import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { Plan } from "../../src/report/plan";
import { PlanConfigError, planStack } from "../../tools/plan";

/**
 * README "Add a consumer account", step by step, on a copy of the stack files:
 * a fourth stack for account 210987654321 in eu-central-1 that runs the
 * vendor's image. Without the vendor's grant and replication the plan refuses
 * it (exit 2, naming what to add where); with both it plans green.
 */
const ROOT = path.resolve(__dirname, "../..");
const NEW_ACCOUNT = "210987654321";
const NEW_REGION = "eu-central-1";
const P = "ecr-private-access";

describe("README: Add a consumer account (a fourth stack, on a copy of the stack files)", function () {
    this.timeout(120_000);
    let dir: string;
    const file = (name: string) => path.join(dir, name);

    /** Edits a stack file the way a person would: load, change one value, save (comments kept). */
    function edit(name: string, change: (config: YAML.YAMLMap) => void): void {
        const doc = YAML.parseDocument(fs.readFileSync(file(name), "utf8"));
        change(doc.get("config") as YAML.YAMLMap);
        fs.writeFileSync(file(name), doc.toString());
    }

    async function plan(stack: string): Promise<Plan> {
        return planStack({ stackFile: file(`Pulumi.${stack}.yaml`), projectDir: dir });
    }

    async function refusal(stack: string): Promise<string> {
        try {
            await plan(stack);
        } catch (e) {
            expect(e, String(e)).to.be.instanceOf(PlanConfigError); // the CLI's exit 2
            return (e as Error).message;
        }
        throw new Error(`expected ${stack} to be refused`);
    }

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "add-consumer-"));
        for (const f of ["Pulumi.yaml", "Pulumi.vendor.yaml", "Pulumi.customer.yaml"]) {
            fs.copyFileSync(path.join(ROOT, f), file(f));
        }
        // Step 3 of the README: the consumer's stack file, a copy of the customer's.
        fs.copyFileSync(file("Pulumi.customer.yaml"), file("Pulumi.customer-eu.yaml"));
        edit("Pulumi.customer-eu.yaml", (c) => {
            c.set("aws:region", NEW_REGION);
            c.set("aws:allowedAccountIds", [NEW_ACCOUNT]);
            c.set(`${P}:accountId`, NEW_ACCOUNT);
        });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("without the vendor's grant and replication: exit 2 naming the consumer's key, the vendor's file and the keys to add", async () => {
        const message = await refusal("customer-eu");
        expect(message).to.contain(
            `${P}:nlp.vendorRepository: "shared/rake-app" is not available in ${NEW_REGION} (only in us-east-2, us-west-2); interface endpoints only reach their own region's registry, so add ${NEW_REGION} to the vendor's repositories.replicationRegions (${P}:repositories.replicationRegions in Pulumi.vendor.yaml)`,
        );
        expect(message).to.contain(
            `${P}:nlp.vendorRepository: account ${NEW_ACCOUNT} (${P}:accountId) may not pull "shared/rake-app" in ${NEW_REGION}: organization/ecr-private-access/vendor's repository policy does not grant it; add "${NEW_ACCOUNT}" to ${P}:repositories.consumers.accounts in Pulumi.vendor.yaml`,
        );
    });

    it("step 1, the vendor's grant alone: still exit 2, now only for the region", async () => {
        edit("Pulumi.vendor.yaml", (c) => {
            (c.getIn([`${P}:repositories`, "consumers", "accounts"]) as YAML.YAMLSeq).add(
                NEW_ACCOUNT,
            );
        });
        const message = await refusal("customer-eu");
        expect(message).to.contain(`is not available in ${NEW_REGION}`);
        expect(message).not.to.contain("may not pull");
    });

    it("step 2, the replication region too: the consumer plans green, pulling the replica in its own region", async () => {
        edit("Pulumi.vendor.yaml", (c) => {
            (c.getIn([`${P}:repositories`, "replicationRegions"]) as YAML.YAMLSeq).add(NEW_REGION);
        });
        const vendor = await plan("vendor");
        expect(vendor.violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal(
            [],
        );
        const grant = (vendor.outputs.pullGrants as any).consumers;
        expect(grant.accounts).to.deep.equal(["444455556666", NEW_ACCOUNT]);
        const template = vendor.resources.find(
            (r) =>
                r.type === "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate" &&
                r.inputs.region === NEW_REGION,
        )!;
        expect(template.inputs.prefix).to.equal("shared");
        expect(
            JSON.parse(template.inputs.repositoryPolicy as string).Statement[0].Principal,
        ).to.deep.equal({
            AWS: ["arn:aws:iam::444455556666:root", `arn:aws:iam::${NEW_ACCOUNT}:root`],
        });

        const consumer = await plan("customer-eu");
        expect(consumer.violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal(
            [],
        );
        const task = consumer.resources.find(
            (r) => r.type === "aws:ecs/taskDefinition:TaskDefinition",
        )!;
        const rake = JSON.parse(task.inputs.containerDefinitions as string).find(
            (c: { name: string }) => c.name === "rake-app",
        );
        expect(rake.image).to.equal(
            `111122223333.dkr.ecr.${NEW_REGION}.amazonaws.com/shared/rake-app:1.0.0`,
        );
        // The existing consumer is untouched.
        expect((await plan("customer")).stack).to.equal("customer");
    });
});
