import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackFile } from "../../tools/plan";

const ROOT = path.resolve(__dirname, "../..");

/** Runs the plan CLI as a user would, in a child process, and returns its exit code and output. */
function planCli(args: string[]) {
    const res = spawnSync(
        process.execPath,
        ["-r", path.join(ROOT, "tools/register.js"), path.join(ROOT, "tools/plan.ts"), ...args],
        {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 120_000,
        },
    );
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "plan-spec-"));
}

describe("offline plan CLI", function () {
    this.timeout(120_000);

    it("loads Pulumi.yaml declarations and the stack file, and never decrypts secure values", () => {
        const dir = tempDir();
        const file = path.join(dir, "Pulumi.demo.yaml");
        fs.writeFileSync(
            file,
            [
                "config:",
                "  aws:region: us-east-2",
                '  ecr-private-access:accountId: "111122223333"',
                "  ecr-private-access:nlpApiKey:",
                "    secure: v1:abcdefgh:ijklmnop",
                "  ecr-private-access:repositories:",
                "    names: [rake-app]",
            ].join("\n"),
        );
        const loaded = loadStackFile(file, ROOT);
        expect(loaded.stack).to.equal("demo");
        expect(loaded.project).to.equal("ecr-private-access");
        expect(loaded.config).to.deep.equal({
            "aws:region": "us-east-2",
            "ecr-private-access:accountId": "111122223333",
            "ecr-private-access:nlpApiKey": "[secret]",
            "ecr-private-access:repositories": '{"names":["rake-app"]}',
        });
        expect(loaded.secretKeys).to.deep.equal(["ecr-private-access:nlpApiKey"]);
    });

    it("writes plan.json that follows the contract, with ids and outputs from the mock cloud", () => {
        const out = tempDir();
        const res = planCli(["--stack", "idc-sim", "--out-dir", out]);
        expect(res.code, res.stderr).to.equal(0);
        const plan = JSON.parse(fs.readFileSync(path.join(out, "idc-sim", "plan.json"), "utf8"));
        expect(Object.keys(plan).sort()).to.deep.equal([
            "outputs",
            "project",
            "resources",
            "stack",
            "violations",
        ]);
        expect(plan.project).to.equal("ecr-private-access");
        expect(plan.stack).to.equal("idc-sim");
        expect(plan.resources.length).to.be.greaterThan(5);
        for (const r of plan.resources) {
            expect(Object.keys(r)).to.include.members([
                "urn",
                "id",
                "type",
                "name",
                "parent",
                "inputs",
                "outputs",
                "dependencies",
                "propertyDependencies",
            ]);
            expect(r.dependencies).to.be.an("array");
            for (const urns of Object.values(r.propertyDependencies)) {
                expect(urns).to.be.an("array").with.length.above(0);
            }
            expect(r.urn).to.match(/^urn:pulumi:idc-sim::ecr-private-access::/);
        }
        // A reader can follow a vpcId input back to the VPC that produced it.
        const vpcs = plan.resources.filter((r: any) => r.type === "aws:ec2/vpc:Vpc");
        const subnet = plan.resources.find((r: any) => r.type === "aws:ec2/subnet:Subnet");
        expect(vpcs.map((v: any) => v.id)).to.include(subnet.inputs.vpcId);
        // ...and so can the policy analyzer, even while the id is unknown in a preview.
        const vpc = vpcs.find((v: any) => v.id === subnet.inputs.vpcId);
        expect(subnet.propertyDependencies).to.deep.equal({ vpcId: [vpc.urn] });
        expect(subnet.dependencies).to.include(vpc.urn);
        expect(vpcs[0].outputs.arn).to.match(
            /^arn:aws:ec2:ap-(southeast|northeast)-1:777788889999:vpc\/vpc-[0-9a-f]{17}$/,
        );
        expect(plan.outputs.region).to.equal("ap-southeast-1");
        expect(res.stdout).to.contain("## Stack `idc-sim`");
    });

    it("judges the plan as a first preview with --preview", () => {
        const out = tempDir();
        const res = planCli(["--stack", "idc-sim", "--preview", "--json", "--out-dir", out]);
        expect(res.code, res.stderr).to.equal(0);
        const plan = JSON.parse(res.stdout);
        // The plan itself is the same; only the verdict is a preview's.
        expect(plan.resources.length).to.be.greaterThan(5);
        expect(
            plan.violations.filter((v: any) => v.enforcementLevel === "mandatory"),
        ).to.deep.equal([]);
    });

    it("exits 2 naming the file and key for a policy config the pack rejects, and writes nothing", () => {
        const dir = tempDir();
        const out = tempDir();
        const cfg = path.join(dir, "policy.json");
        fs.writeFileSync(cfg, JSON.stringify({ "no-apex-overrides": { allowedZoneNames: "x" } }));
        const res = planCli(["--stack", "vendor", "--policy-config", cfg, "--out-dir", out]);
        expect(res.code, res.stderr).to.equal(2);
        expect(res.stderr).to.contain('no-apex-overrides.allowedZoneNames: "x" is not an array');
        expect(fs.readdirSync(out)).to.deep.equal([]);
    });

    it("prints the plan as JSON with --json", () => {
        const out = tempDir();
        const res = planCli(["--stack", "vendor", "--json", "--out-dir", out]);
        expect(res.code, res.stderr).to.equal(0);
        const printed = JSON.parse(res.stdout);
        const written = JSON.parse(fs.readFileSync(path.join(out, "vendor", "plan.json"), "utf8"));
        expect(printed).to.deep.equal(written);
    });

    it("exits 2 on invalid config, naming the key, and writes nothing", () => {
        const dir = tempDir();
        const out = tempDir();
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(
            file,
            [
                "config:",
                "  aws:region: ap-southeast-1",
                '  aws:allowedAccountIds: ["777788889999"]',
                '  ecr-private-access:accountId: "777788889999"',
                "  ecr-private-access:network:",
                "    cidr: 10.0.0.0/16",
                "  ecr-private-access:endpoints: {}",
                "  ecr-private-access:idc:",
                "    region: ap-northeast-1",
                "    cidr: 10.0.0.0/16",
            ].join("\n"),
        );
        const res = planCli(["--stack-file", file, "--out-dir", out]);
        expect(res.code).to.equal(2);
        expect(res.stderr).to.contain(
            "ecr-private-access:idc.cidr: 10.0.0.0/16 overlaps network.cidr 10.0.0.0/16",
        );
        expect(fs.readdirSync(out)).to.deep.equal([]);
    });

    it("exits 2 on a bad argument", () => {
        const res = planCli(["--stack", "vendor", "--frobnicate"]);
        expect(res.code).to.equal(2);
        expect(res.stderr).to.contain("unknown argument --frobnicate");
    });
});
