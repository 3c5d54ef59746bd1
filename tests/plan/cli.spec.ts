import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PlanConfigError, planStack, referencedStackFile } from "../../tools/plan";
import { loadPolicyConfig } from "../../tools/policyConfig";
import { loadStackFile, StackFileError } from "../../tools/stackFile";
import { UserError } from "../../tools/cli";

/**
 * The command-line contract: exit 0/1 for a plan, 2 for anything the user
 * wrote wrong (naming the file, the line and the key, never a stack trace,
 * nothing written), 3 only for a bug. Several cases run the real CLI in a
 * child process, as a user (or CI) would.
 */

const ROOT = path.resolve(__dirname, "../..");
const TS = ["-r", path.join(ROOT, "tools/register.js")];
/** A Node stack frame: "    at fn (file:line:col)". */
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

function cli(tool: string, args: string[], cwd = ROOT) {
    const res = spawnSync(process.execPath, [...TS, path.join(ROOT, "tools", tool), ...args], {
        cwd,
        encoding: "utf8",
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const made: string[] = [];
const tempDir = (prefix = "cli-spec-") => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
};
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function write(dir: string, name: string, lines: string[] | string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, Array.isArray(lines) ? `${lines.join("\n")}\n` : lines);
    return file;
}

async function planError(stackFile: string): Promise<Error> {
    try {
        await planStack({ stackFile });
    } catch (e) {
        return e as Error;
    }
    throw new Error(`${stackFile} was planned; expected a user error`);
}

const VENDOR = [
    "config:",
    "  aws:region: us-east-2",
    '  aws:allowedAccountIds: ["111122223333"]',
    '  ecr-private-access:accountId: "111122223333"',
    "  ecr-private-access:repositories:",
    "    names: [rake-app]",
];

describe("stack files: YAML mistakes are exit 2 with file, line and what to fix", () => {
    let dir: string;
    before(() => (dir = tempDir()));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("a YAML syntax error names the file, the line and column, and shows the line", async () => {
        const file = write(dir, "Pulumi.syntax.yaml", [
            ...VENDOR.slice(0, 4),
            '  ecr-private-access:repositories: {names: ["rake-app"]',
        ]);
        const e = await planError(file);
        expect(e).to.be.instanceOf(StackFileError);
        expect(e.message).to.match(
            /Pulumi\.syntax\.yaml:5:\d+: YAML syntax error: .*close every quote and bracket/,
        );
        expect(e.message).to.contain(
            '    5 |   ecr-private-access:repositories: {names: ["rake-app"]',
        );
    });

    it("tab indentation says to replace the tab with spaces", async () => {
        const file = write(dir, "Pulumi.tabs.yaml", [
            "config:",
            "  aws:region: us-east-2",
            "\taws:allowedAccountIds: []",
        ]);
        const e = await planError(file);
        expect(e.message).to.match(
            /Pulumi\.tabs\.yaml:3:1: this line is indented with a tab; .*replace the tab with spaces/,
        );
    });

    it("a key set twice names both lines (YAML forbids it; the old plan silently took the last)", async () => {
        const file = write(dir, "Pulumi.dup.yaml", [...VENDOR, "  aws:region: us-west-2"]);
        const e = await planError(file);
        expect(e.message).to.match(
            /Pulumi\.dup\.yaml:7:3: "aws:region" is set twice in the same mapping \(first on line 2\); keep one/,
        );
        const nested = write(dir, "Pulumi.dup2.yaml", [...VENDOR, "    names: [other]"]);
        expect((await planError(nested)).message).to.match(
            /:7:5: "names" is set twice .*first on line 6/,
        );
    });

    it("a document that is not a stack file (no config mapping, a list, a typo at the top)", async () => {
        const typo = write(dir, "Pulumi.typo.yaml", ["confg:", "  aws:region: us-east-2"]);
        expect((await planError(typo)).message).to.match(
            /Pulumi\.typo\.yaml:1: unknown top-level key "confg".*did you mean "config"\?/,
        );
        const list = write(dir, "Pulumi.list.yaml", ["- aws:region: us-east-2"]);
        expect((await planError(list)).message).to.match(
            /a stack file is a YAML mapping .* not a list/,
        );
        const scalar = write(dir, "Pulumi.scalar.yaml", ["config: us-east-2"]);
        expect((await planError(scalar)).message).to.match(/"config:" must be a mapping/);
        const alias = write(dir, "Pulumi.alias.yaml", ["config:", "  aws:region: *nowhere"]);
        expect(await planError(alias)).to.be.instanceOf(UserError);
    });

    it("a stack file not named Pulumi.<stack>.yaml is refused before it is read", async () => {
        const yml = write(dir, "Pulumi.vendor.yml", VENDOR);
        expect((await planError(yml)).message).to.match(
            /Pulumi\.vendor\.yml: not a stack file name: .*rename it to Pulumi\.vendor\.yaml/,
        );
        const other = write(dir, "vendor.yaml", VENDOR);
        expect((await planError(other)).message).to.match(/vendor\.yaml: not a stack file name/);
        const spaced = write(dir, "Pulumi.my stack.yaml", VENDOR);
        expect(await planError(spaced)).to.be.instanceOf(StackFileError);
    });

    it("config errors name the file and the line where the key is written", async () => {
        const file = write(dir, "Pulumi.lines.yaml", [
            ...VENDOR,
            "  ecr-private-access:developers:",
            "    users: [alice, Alice]",
        ]);
        const e = await planError(file);
        expect(e).to.be.instanceOf(PlanConfigError);
        expect(e.message).to.match(
            /Pulumi\.lines\.yaml:8: ecr-private-access:developers\.users\[1\]: "Alice" differs from developers\.users\[0\] "alice" only in case/,
        );
        expect(
            loadStackFile(file, ROOT).lineOf("ecr-private-access:repositories.names[0]"),
        ).to.equal(6);
    });

    it("the CLI exits 2 for each of them, prints no stack trace and writes nothing", () => {
        const out = tempDir();
        const file = write(dir, "Pulumi.cli.yaml", ["config:", "\taws:region: us-east-2"]);
        const res = cli("plan.ts", ["--stack-file", file, "--out", out]);
        expect(res.code, res.stderr).to.equal(2);
        expect(res.stderr).to.contain("Pulumi.cli.yaml:2:1: this line is indented with a tab");
        expect(res.stderr).to.not.match(STACK_TRACE);
        expect(res.stdout).to.equal("");
        expect(fs.readdirSync(out)).to.deep.equal([]);
    });
});

describe("--policy-config: a malformed file is exit 2 naming the file and the key", () => {
    let dir: string;
    before(() => (dir = tempDir()));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("broken JSON (was a JSON.parse stack trace, exit 3)", () => {
        const file = write(dir, "policy.json", '{"all": "mandatory",}');
        const out = tempDir();
        const res = cli("plan.ts", ["--stack", "vendor", "--policy-config", file, "--out", out]);
        expect(res.code, res.stderr).to.equal(2);
        expect(res.stderr).to.match(/policy\.json: not a valid policy config file: .*must be JSON/);
        expect(res.stderr).to.not.match(STACK_TRACE);
        expect(fs.readdirSync(out)).to.deep.equal([]);
    });

    it("unknown policies, enforcement levels and settings (were silently ignored)", () => {
        const file = write(
            dir,
            "levels.json",
            JSON.stringify({
                "ecr-dns-cname-not-A": "mandatory",
                all: "strict",
                "ecr-encryption": { enforcementLevel: "advisory", requireKMS: true },
                "ecr-immutable-tags": { allowExclusions: "yes" },
            }),
        );
        let error: Error | undefined;
        try {
            loadPolicyConfig(file, true);
        } catch (e) {
            error = e as Error;
        }
        expect(error).to.be.instanceOf(UserError);
        expect(error!.message).to.match(
            /levels\.json: ecr-dns-cname-not-A: not a policy of the pack; did you mean "ecr-dns-cname-not-a"\?/,
        );
        expect(error!.message).to.match(
            /levels\.json: all: "strict" is not an enforcement level \(advisory, mandatory, remediate, disabled\)/,
        );
        expect(error!.message).to.match(
            /ecr-encryption\.requireKMS: not a setting of ecr-encryption .*did you mean "requireKms"\?/,
        );
        expect(error!.message).to.match(
            /ecr-immutable-tags\.allowExclusions: "yes" is not a boolean/,
        );
    });

    it("a missing file named on the command line, and the policy CLI's own inputs", () => {
        const res = cli("plan.ts", [
            "--stack",
            "vendor",
            "--policy-config",
            path.join(dir, "nope.json"),
        ]);
        expect(res.code).to.equal(2);
        expect(res.stderr).to.match(/nope\.json: no such policy config file/);
        const notPlan = write(dir, "plan.json", JSON.stringify({ resources: "none" }));
        const policy = cli("policy.ts", [notPlan]);
        expect(policy.code, policy.stderr).to.equal(2);
        expect(policy.stderr).to.match(/plan\.json: not a plan/);
    });
});

describe("npm start with several broken stack files", function () {
    this.timeout(120_000);
    let dir: string;
    let out: string;
    let res: ReturnType<typeof cli>;
    before(() => {
        dir = tempDir();
        out = tempDir();
        for (const s of ["vendor", "customer"]) {
            fs.copyFileSync(
                path.join(ROOT, `Pulumi.${s}.yaml`),
                path.join(dir, `Pulumi.${s}.yaml`),
            );
        }
        write(dir, "Pulumi.tabs.yaml", ["config:", "\taws:region: us-east-2"]);
        write(dir, "Pulumi.dup.yaml", [
            "config:",
            "  aws:region: us-east-2",
            "  aws:region: us-east-1",
        ]);
        write(dir, "Pulumi.typo.yaml", [...VENDOR, "  ecr-private-acess:dns: {}"]);
        write(dir, "Pulumi.idc.yml", VENDOR);
        res = cli("planAll.ts", ["--dir", dir, "--out", out]);
    });
    after(() => {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(out, { recursive: true, force: true });
    });

    it("reports each broken file by name, plans the others, and exits 2", () => {
        expect(res.code, res.stderr).to.equal(2);
        expect(res.stderr).to.contain("Pulumi.tabs.yaml:2:1: this line is indented with a tab");
        expect(res.stderr).to.contain('Pulumi.dup.yaml:3:3: "aws:region" is set twice');
        expect(res.stderr).to.match(
            /Pulumi\.typo\.yaml:7: ecr-private-acess:dns: unknown config namespace/,
        );
        expect(res.stderr).to.contain("Pulumi.idc.yml: not a stack file name");
        expect(res.stderr).to.not.match(STACK_TRACE);
        expect(res.stdout).to.match(/^vendor\s+14\s/m);
        expect(res.stdout).to.match(/^customer\s+\d+\s/m);
        expect(res.stdout).to.match(/4 of 6 stack files invalid \(dup, idc, tabs, typo\)/);
    });

    it("writes artefacts only for the valid stacks", () => {
        expect(fs.readdirSync(out).sort()).to.deep.equal(["customer", "vendor"]);
    });
});

describe("exit 3 is only for a bug, and says so", () => {
    it("an internal error is exit 3, worded as a bug to report, with its trace", () => {
        const res = spawnSync(
            process.execPath,
            [
                ...TS,
                "-e",
                'require("./tools/cli").runCli("plan", async () => { throw new TypeError("x is undefined"); })',
            ],
            { cwd: ROOT, encoding: "utf8", timeout: 30_000 },
        );
        expect(res.status).to.equal(3);
        expect(res.stderr).to.contain("plan: internal error: x is undefined");
        expect(res.stderr).to.contain(
            "This is a bug in ecr-private-access, not a problem with your stack file",
        );
        expect(res.stderr).to.match(STACK_TRACE);
    });

    it("a user error is exit 2 with its message only", () => {
        const res = spawnSync(
            process.execPath,
            [
                ...TS,
                "-e",
                'const c = require("./tools/cli"); c.runCli("plan", () => { throw new c.UserError("Pulumi.x.yaml: bad"); })',
            ],
            { cwd: ROOT, encoding: "utf8", timeout: 30_000 },
        );
        expect(res.status).to.equal(2);
        expect(res.stderr).to.equal("Pulumi.x.yaml: bad\n");
    });
});

describe("--stack-file outside the repository and --out", function () {
    this.timeout(120_000);

    it("resolves the StackReference from the stack files beside the given one first, and writes to --out", () => {
        const dir = tempDir("outside-");
        const out = tempDir("outside-out-");
        try {
            // The copy beside the customer shares its image as rake-app-v2; the repository's vendor
            // stack does not have that repository, so only the file beside it can satisfy the reference.
            const vendor = YAML.parse(
                fs.readFileSync(path.join(ROOT, "Pulumi.vendor.yaml"), "utf8"),
            );
            vendor.config["ecr-private-access:repositories"].names = ["shared/rake-app-v2"];
            fs.writeFileSync(path.join(dir, "Pulumi.vendor.yaml"), YAML.stringify(vendor));
            const customer = YAML.parse(
                fs.readFileSync(path.join(ROOT, "Pulumi.customer.yaml"), "utf8"),
            );
            customer.config["ecr-private-access:nlp"].vendorRepository = "shared/rake-app-v2";
            const file = path.join(dir, "Pulumi.customer.yaml");
            fs.writeFileSync(file, YAML.stringify(customer));
            expect(referencedStackFile(file, ROOT, "vendor")).to.equal(
                path.join(dir, "Pulumi.vendor.yaml"),
            );

            const res = cli("plan.ts", ["--stack-file", file, "--out", out], os.tmpdir());
            expect(res.code, res.stderr).to.equal(0);
            const plan = JSON.parse(
                fs.readFileSync(path.join(out, "customer", "plan.json"), "utf8"),
            );
            expect(plan.outputs.vendorImage).to.equal(
                "111122223333.dkr.ecr.us-west-2.amazonaws.com/shared/rake-app-v2",
            );
            expect(fs.readdirSync(out)).to.deep.equal(["customer"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
            fs.rmSync(out, { recursive: true, force: true });
        }
    });

    it("falls back to the repository's stack files, and refuses a reference cycle", async () => {
        const dir = tempDir("outside-");
        try {
            const lone = path.join(dir, "Pulumi.customer.yaml");
            fs.copyFileSync(path.join(ROOT, "Pulumi.customer.yaml"), lone);
            expect(referencedStackFile(lone, ROOT, "vendor")).to.equal(
                path.join(ROOT, "Pulumi.vendor.yaml"),
            );

            // a -> b -> a: each is a customer whose vendor stack is the other.
            for (const [me, other] of [
                ["a", "b"],
                ["b", "a"],
            ]) {
                const doc = YAML.parse(
                    fs.readFileSync(path.join(ROOT, "Pulumi.customer.yaml"), "utf8"),
                );
                doc.config["ecr-private-access:nlp"].vendorStack =
                    `organization/ecr-private-access/${other}`;
                fs.writeFileSync(path.join(dir, `Pulumi.${me}.yaml`), YAML.stringify(doc));
            }
            const e = await planError(path.join(dir, "Pulumi.a.yaml"));
            expect(e).to.be.instanceOf(PlanConfigError);
            expect(e.message).to.match(
                /cycle \(Pulumi\.a\.yaml -> Pulumi\.b\.yaml -> Pulumi\.a\.yaml\)/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("every CLI finishes writing before it exits", function () {
    this.timeout(180_000);

    it("pipes a multi-megabyte plan (a vendor with 350 repositories) through a child process intact", async () => {
        const dir = tempDir("big-plan-");
        try {
            const names = Array.from({ length: 350 }, (_, i) => `team-${i % 10}/app-${i}`);
            const file = path.join(dir, "Pulumi.big-vendor.yaml");
            fs.writeFileSync(
                file,
                YAML.stringify({
                    config: {
                        "aws:region": "us-east-2",
                        "aws:allowedAccountIds": ["111122223333"],
                        "ecr-private-access:accountId": "111122223333",
                        "ecr-private-access:repositories": {
                            names,
                            consumers: { accounts: ["444455556666"] },
                            codeBuild: true,
                        },
                    },
                }),
            );
            const child = spawn(
                process.execPath,
                [
                    ...TS,
                    path.join(ROOT, "tools/plan.ts"),
                    "--stack-file",
                    file,
                    "--json",
                    "--out",
                    path.join(dir, "out"),
                ],
                { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
            );
            const chunks: Buffer[] = [];
            let stderr = "";
            // Read slowly, as a busy consumer would: the pipe fills and the child must wait.
            child.stdout.on("data", (c: Buffer) => {
                chunks.push(c);
                child.stdout.pause();
                setTimeout(() => child.stdout.resume(), 1);
            });
            child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
            const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
            const text = Buffer.concat(chunks).toString("utf8");
            expect(code, stderr).to.equal(0);
            expect(text.length).to.be.greaterThan(2 * 1024 * 1024);
            const plan = JSON.parse(text);
            expect(plan.stack).to.equal("big-vendor");
            expect(
                plan.resources.filter(
                    (r: { type: string }) => r.type === "aws:ecr/repository:Repository",
                ),
            ).to.have.length(350);
            expect(JSON.stringify(plan)).to.equal(
                JSON.stringify(
                    JSON.parse(
                        fs.readFileSync(path.join(dir, "out", "big-vendor", "plan.json"), "utf8"),
                    ),
                ),
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
