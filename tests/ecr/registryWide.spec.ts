import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { registryConflicts, registrySettings } from "../../src/ecr/registryWide";
import type { Plan } from "../../src/report/plan";
import { planStack, ROOT } from "../../tools/plan";

describe("registry-wide settings (one per account and region)", () => {
    let vendor: Plan;
    before(async () => {
        vendor = await planStack({ stackFile: path.join(ROOT, "Pulumi.vendor.yaml") });
    });

    it("the vendor stack owns its registry's replication configuration and its namespace's template in the replica region", () => {
        expect(registrySettings(vendor).map((s) => [s.id, s.configKey])).to.have.deep.members([
            [
                "111122223333/us-east-2 replication configuration",
                "ecr-private-access:repositories.replicationRegions",
            ],
            [
                "111122223333/us-west-2 repository creation template shared",
                "ecr-private-access:repositories.names",
            ],
        ]);
    });

    it("says so in the summary, where a reviewer reads it", () => {
        const { summary } =
            require("../../tools/artefacts") as typeof import("../../tools/artefacts");
        const text = summary(vendor);
        expect(text).to.contain("### Registry-wide settings");
        expect(text).to.contain(
            "- replication configuration of registry 111122223333/us-east-2 (`ecr-private-access:repositories.replicationRegions`)",
        );
    });

    it("finds two stacks owning the same setting of the same registry, and only those", () => {
        const settings = registrySettings(vendor);
        const elsewhere = settings.map((s) => ({
            ...s,
            id: s.id.replace("111122223333", "210987654321"),
        }));
        expect(
            registryConflicts([
                { stackFile: "Pulumi.vendor.yaml", settings },
                { stackFile: "Pulumi.vendor-copy.yaml", settings },
                { stackFile: "Pulumi.other-account.yaml", settings: elsewhere },
            ]).map((c) => [c.setting.id, c.stackFiles]),
        ).to.have.deep.members([
            [
                "111122223333/us-east-2 replication configuration",
                ["Pulumi.vendor.yaml", "Pulumi.vendor-copy.yaml"],
            ],
            [
                "111122223333/us-west-2 repository creation template shared",
                ["Pulumi.vendor.yaml", "Pulumi.vendor-copy.yaml"],
            ],
        ]);
    });

    it("npm start refuses two stack files that own one registry's replication configuration (exit 2, both named)", function () {
        this.timeout(120_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-wide-"));
        try {
            fs.copyFileSync(
                path.join(ROOT, "Pulumi.vendor.yaml"),
                path.join(dir, "Pulumi.vendor.yaml"),
            );
            // A second stack in the same account and region sharing another namespace:
            // its own template is fine, the replication configuration is not.
            const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.vendor.yaml"), "utf8"));
            doc.config["ecr-private-access:repositories"].names = ["tools/builder"];
            delete doc.config["ecr-private-access:developers"];
            fs.writeFileSync(path.join(dir, "Pulumi.vendor-tools.yaml"), YAML.stringify(doc));
            const res = spawnSync(
                process.execPath,
                [
                    "-r",
                    path.join(ROOT, "tools/register.js"),
                    path.join(ROOT, "tools/planAll.ts"),
                    "--dir",
                    dir,
                    "--out",
                    path.join(dir, "out"),
                ],
                { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
            );
            expect(res.status, res.stderr).to.equal(2);
            expect(res.stderr).to.match(
                /Pulumi\.vendor\.yaml and .*Pulumi\.vendor-tools\.yaml both own the replication configuration of registry 111122223333\/us-east-2 \(ecr-private-access:repositories\.replicationRegions\)/,
            );
            expect(res.stderr).to.not.contain("repository creation template");
            expect(res.stderr).to.not.match(/\n\s+at /);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
