import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
    "working-directory"?: string;
}
interface Job {
    needs?: string | string[];
    if?: string;
    steps: Step[];
    permissions?: Record<string, string>;
    strategy?: { matrix: string | { include?: Record<string, string>[] } };
    env?: Record<string, string>;
    outputs?: Record<string, string>;
}

const ROOT = path.join(__dirname, "..");
const workflow = parse(
    fs.readFileSync(path.join(ROOT, ".github", "workflows", "pr.yml"), "utf8"),
) as {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
};

const step = (job: Job, name: string): Step => {
    const s = job.steps.find((x) => x.name === name);
    if (!s) throw new Error(`step "${name}" is missing`);
    return s;
};

describe(".github/workflows/pr.yml", () => {
    it("runs on every pull request", () => {
        expect(workflow.on).to.have.property("pull_request");
    });

    describe("checks job", () => {
        const job = workflow.jobs.checks;

        it("runs npm ci, lint, type-check, tests and the offline plan, in that order", () => {
            const runs = job.steps.filter((s) => s.run).map((s) => s.run!.trim());
            const order = ["npm ci", "npm run lint", "npm run build", "npm test", "npm start"].map(
                (cmd) => runs.indexOf(cmd),
            );
            expect(
                order.every((i) => i >= 0),
                JSON.stringify(runs),
            ).to.equal(true);
            expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
            expect(step(job, "Set up Node.js").with?.["node-version"]).to.equal(20);
        });

        it("posts out/*/summary.md, access.md and architecture.md as a sticky PR comment, even when the plan fails", () => {
            const build = step(job, "Build PR comment");
            expect(build.run)
                .to.contain("summary.md")
                .and.to.contain("access.md")
                .and.to.contain("architecture.md")
                .and.to.contain("out/*/");
            expect(build.if).to.contain("always()");
            const comment = step(job, "Comment on PR");
            expect(comment.uses).to.match(/^marocchino\/sticky-pull-request-comment@v\d+$/);
            expect(comment.with?.path).to.equal("out/pr-comment.md");
            expect(comment.if).to.contain("always()");
            expect(job.permissions?.["pull-requests"]).to.equal("write");
        });
    });

    describe("the PR comment script, run on a plan's artefacts", () => {
        it("shows each stack's access matrix, outside the collapsed architecture", () => {
            const build = step(workflow.jobs.checks, "Build PR comment");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pr-comment-"));
            try {
                const stack = path.join(dir, "out", "customer");
                fs.mkdirSync(stack, { recursive: true });
                fs.writeFileSync(path.join(stack, "summary.md"), "SUMMARY-TEXT\n");
                fs.writeFileSync(path.join(stack, "access.md"), "| role x | direct | pull |\n");
                fs.writeFileSync(path.join(stack, "architecture.md"), "ARCHITECTURE-TEXT\n");
                const script = build.run!.replace(/\$\{\{ steps\.plan\.outcome \}\}/g, "success");
                const res = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
                expect(res.status, res.stderr).to.equal(0);
                const body = fs.readFileSync(path.join(dir, "out", "pr-comment.md"), "utf8");
                const at = (s: string) => body.indexOf(s);
                expect(at("| role x | direct | pull |")).to.be.greaterThan(at("SUMMARY-TEXT"));
                expect(at("<details>")).to.be.greaterThan(at("| role x | direct | pull |"));
                expect(at("ARCHITECTURE-TEXT")).to.be.greaterThan(at("<details>"));
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("preview job", () => {
        const job = workflow.jobs.preview;

        it("is skipped cleanly without PULUMI_ACCESS_TOKEN (gate job) and per stack without AWS credentials", () => {
            const gate = workflow.jobs["preview-gate"];
            expect(gate.steps[0].env?.PULUMI_ACCESS_TOKEN).to.equal(
                "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            );
            expect(job.needs).to.include("preview-gate");
            expect(job.if).to.equal("needs.preview-gate.outputs.enabled == 'true'");
            const creds = step(job, "Check for AWS credentials");
            expect(JSON.stringify(creds.env))
                .to.contain("AWS_ROLE_ARN_")
                .and.to.contain("AWS_ACCESS_KEY_ID_");
            for (const s of job.steps.slice(1))
                expect(s.if, s.name).to.match(/steps\.creds\.outputs\.mode/);
        });

        it("previews the matrix the stacks job builds from the stack files, not a hard-coded list", () => {
            expect(job.needs).to.include("stacks");
            expect(job.strategy?.matrix).to.equal("${{ fromJSON(needs.stacks.outputs.matrix) }}");
            const stacks = workflow.jobs.stacks;
            expect(stacks.outputs?.matrix).to.equal("${{ steps.list.outputs.matrix }}");
            expect(stacks.steps[0].uses).to.match(/^actions\/checkout@v\d+$/);
        });

        /** Runs the stacks job's listing script in `dir`, as the runner would; returns the matrix. */
        function listStacks(dir: string): {
            code: number | null;
            matrix?: { include: { stack: string; secret: string }[] };
            stdout: string;
        } {
            const script = step(workflow.jobs.stacks, "List stack files").run!;
            // The runner's output file lives outside the checkout.
            const output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gh-output-")), "out");
            fs.writeFileSync(output, "");
            const res = spawnSync("bash", ["-c", script], {
                cwd: dir,
                env: { ...process.env, GITHUB_OUTPUT: output },
                encoding: "utf8",
                timeout: 10_000,
            });
            const line = fs
                .readFileSync(output, "utf8")
                .split("\n")
                .find((l) => l.startsWith("matrix="));
            fs.rmSync(path.dirname(output), { recursive: true, force: true });
            return {
                code: res.status,
                matrix: line ? JSON.parse(line.slice("matrix=".length)) : undefined,
                stdout: res.stdout,
            };
        }

        it("lists every stack file of the repository, with the secret name derived from the stack", () => {
            const shipped = fs
                .readdirSync(ROOT)
                .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
                .map((f) => f.slice("Pulumi.".length, -".yaml".length))
                .sort();
            const { code, matrix } = listStacks(ROOT);
            expect(code).to.equal(0);
            expect(matrix!.include.map((m) => m.stack)).to.deep.equal(shipped);
            expect(matrix!.include).to.deep.include({ stack: "idc-sim", secret: "IDC_SIM" });
            expect(matrix!.include).to.deep.include({ stack: "vendor", secret: "VENDOR" });
        });

        it("picks up a new stack file without a workflow change, and refuses a badly named one", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-stacks-"));
            try {
                for (const f of ["Pulumi.yaml", "Pulumi.vendor.yaml", "Pulumi.customer.yaml"]) {
                    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
                }
                fs.copyFileSync(
                    path.join(ROOT, "Pulumi.customer.yaml"),
                    path.join(dir, "Pulumi.consumer-eu.v2.yaml"),
                );
                const { code, matrix } = listStacks(dir);
                expect(code).to.equal(0);
                expect(matrix!.include).to.deep.equal([
                    { stack: "consumer-eu.v2", secret: "CONSUMER_EU_V2" },
                    { stack: "customer", secret: "CUSTOMER" },
                    { stack: "vendor", secret: "VENDOR" },
                ]);
                fs.writeFileSync(path.join(dir, "Pulumi.bad name.yaml"), "config: {}\n");
                const bad = listStacks(dir);
                expect(bad.code).to.equal(1);
                expect(bad.stdout).to.contain("::error file=Pulumi.bad name.yaml::");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("installs the pack's dependencies and runs pulumi/actions preview with the pack and a PR comment", () => {
            const packInstall = step(job, "Install policy pack dependencies");
            expect(packInstall["working-directory"]).to.equal("policies");
            expect(packInstall.run).to.equal("npm ci");
            const idx = job.steps.indexOf(packInstall);
            const preview = step(job, "Pulumi preview with policy pack");
            expect(job.steps.indexOf(preview)).to.be.greaterThan(idx);
            expect(preview.uses).to.match(/^pulumi\/actions@v[67]$/);
            expect(preview.with).to.include({
                command: "preview",
                policyPacks: "policies",
                "comment-on-pr": true,
            });
            expect(String(preview.with?.["stack-name"])).to.contain("matrix.stack");
            expect(job.permissions?.["id-token"]).to.equal("write");
        });
    });
});
