import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { Plan } from "../src/report/plan";
import { runCli } from "./cli";

/**
 * `npm run bench`: prints figures, asserts nothing (speed is measured here,
 * never in the test suite).
 *  1. `start`: wall time of `npm start` (with and without --preview) and of each
 *     stack's `npm run plan` against the floor `node -e 'require("@pulumi/aws")'`
 *     (goal: npm start within 2.5x, the policy pack's analyzer included), and how
 *     long the analyzer takes to answer from a standing start.
 *  `iam`: what the access matrices and the IAM rule cost inside `npm start`.
 *  `stacks`: `npm start` over 50 stack files, in one process and with a worker per core.
 *  2. `accounts`: the vendor stack with 10, 100, 290 and 1,000 consumer
 *     accounts by 5 and 50 repositories: resources, plan time, peak memory and
 *     the largest repository policy (goal: none over 10,240 characters).
 *  3. `repositories`: the vendor stack with 100, 1,000, 2,000 and 4,000
 *     repositories in 40 namespaces, granted to an organization: the whole
 *     plan (program, policies, plan.json, summary, pictures) with its time,
 *     CPU time, peak RSS and resources, and t(4000)/t(1000) measured in the
 *     same run (goals: <= 4.5, peak RSS <= 1.5 GB at 4,000).
 *
 *  4. `artefacts`: the same vendor stack with 100, 1,000 and 4,000 repositories: the access
 *     matrix (simulations, wall and CPU time), the size of access.md and summary.md, and
 *     t(4000)/t(1000) of the matrix (goal: linear, <= 4.5).
 *
 * `BENCH_ONLY=repositories npm run bench` (or `npm run bench -- --only
 * repositories`) runs one section; a comma-separated list runs several.
 * `BENCH_RUNS` sets the runs behind each median of section 1 (default 3),
 * `BENCH_SERIES_RUNS` those of section 3 (default 3),
 * `BENCH_REPOSITORIES` the series of section 3 (default 100,1000,2000,4000),
 * `BENCH_REPLICATION_REGIONS` (comma-separated; empty for none) where they replicate,
 * `BENCH_ARTEFACT_REPOSITORIES` the series of section 4 (default 100,1000,4000).
 * Each point of sections 2 and 3 is a fresh process. The machine may be
 * shared: CPU time is printed beside wall time, and ratios come from one run.
 */

const ROOT = path.resolve(__dirname, "..");
const NODE = process.execPath;
const TS = ["-r", path.join(ROOT, "tools/register.js")];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SERIES_RUNS = Number(process.env.BENCH_SERIES_RUNS ?? 3);
const SECTIONS = ["start", "iam", "stacks", "accounts", "repositories", "artefacts"] as const;
type Section = (typeof SECTIONS)[number];

function timed(
    cmd: string,
    args: string[],
): { ms: number; code: number | null; stdout: string; stderr: string } {
    const start = process.hrtime.bigint();
    const res = spawnSync(cmd, args, {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: 600_000,
    });
    return {
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        code: res.status,
        stdout: res.stdout,
        stderr: res.stderr,
    };
}

/** Median wall time of `runs` runs; fails loudly if the command fails. */
function median(label: string, cmd: string, args: string[], runs = RUNS): number {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const r = timed(cmd, args);
        if (r.code !== 0) throw new Error(`${label} exited ${r.code}: ${r.stderr.slice(-2000)}`);
        times.push(r.ms);
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function vendorStackFile(dir: string, accounts: number, repositories: number): string {
    const doc = {
        config: {
            "aws:region": "us-east-2",
            "aws:allowedAccountIds": ["111122223333"],
            "ecr-private-access:accountId": "111122223333",
            "ecr-private-access:repositories": {
                names: Array.from({ length: repositories }, (_, i) => `team-${i % 10}/app-${i}`),
                consumers: {
                    accounts: Array.from({ length: accounts }, (_, i) => String(200000000000 + i)),
                },
                replicationRegions: ["us-west-2"],
                codeBuild: true,
            },
            "ecr-private-access:developers": { users: ["alice", "bob"] },
        },
    };
    const file = path.join(dir, `Pulumi.bench-${accounts}-${repositories}.yaml`);
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

interface ChildResult {
    ok: boolean;
    /** Wall time of the plan, without process start and module loading. */
    ms: number;
    /** CPU time (user + system) of the same span, all threads (GC included). */
    cpuMs: number;
    resources: number;
    peakRssMb: number;
    largestPolicy: number;
    error?: string;
}

/**
 * Runs inside the child: plans one stack file and reports its own figures.
 * With `outDir` it also writes every artefact, as `npm run plan` does.
 */
async function child(file: string, outDir?: string): Promise<void> {
    const { planStack } = require("./plan") as typeof import("./plan");
    const { writeArtefacts } = require("./artefacts") as typeof import("./artefacts");
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const cpuMs = () => {
        const used = process.cpuUsage(cpu);
        return (used.user + used.system) / 1000;
    };
    let result: ChildResult;
    try {
        const plan: Plan = await planStack({ stackFile: file });
        if (outDir) writeArtefacts(plan, path.join(outDir, plan.stack));
        const policies = plan.resources
            .filter(
                (r) =>
                    r.type === "aws:ecr/repositoryPolicy:RepositoryPolicy" ||
                    r.type === "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
            )
            .map((r) => String(r.inputs.policy ?? r.inputs.repositoryPolicy ?? "").length);
        result = {
            ok: true,
            ms: Number(process.hrtime.bigint() - start) / 1e6,
            cpuMs: cpuMs(),
            resources: plan.resources.length,
            peakRssMb: process.resourceUsage().maxRSS / 1024,
            largestPolicy: Math.max(0, ...policies),
        };
    } catch (e) {
        result = {
            ok: false,
            ms: Number(process.hrtime.bigint() - start) / 1e6,
            cpuMs: cpuMs(),
            resources: 0,
            peakRssMb: process.resourceUsage().maxRSS / 1024,
            largestPolicy: 0,
            error: (e as Error).message.split("\n").slice(-1)[0].trim(),
        };
    }
    process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
    process.exit(0);
}

function scalePoint(file: string, outDir?: string): ChildResult & { wallMs: number } {
    const r = timed(NODE, [
        ...TS,
        __filename,
        "--child",
        file,
        ...(outDir ? ["--out-dir", outDir] : []),
    ]);
    const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH "));
    if (!line) throw new Error(`bench child failed: ${r.stderr.slice(-2000)}`);
    return { ...(JSON.parse(line.slice(6)) as ChildResult), wallMs: r.ms };
}

function startSection(): void {
    const floor = median("floor", NODE, ["-e", 'require("@pulumi/aws")']);
    const start = median("npm start", "npm", ["start", "--silent"]);
    const preview = median("npm start -- --preview", "npm", [
        "start",
        "--silent",
        "--",
        "--preview",
    ]);
    // The pack's process on its own: spawn, load @pulumi/policy and the rules, print the port,
    // answer GetAnalyzerInfo (npm start overlaps this with loading the first program).
    const analyzer = median("analyzer start", NODE, [
        ...TS,
        "-e",
        'const { withAnalyzer } = require("./tools/analyzer"); withAnalyzer((a) => a.analyzerInfo());',
    ]);
    console.log("| what | wall time | x floor |");
    console.log("|---|---:|---:|");
    console.log(`| node -e 'require("@pulumi/aws")' (floor) | ${fmt(floor)} | 1.00 |`);
    console.log(`| npm start (all stacks) | ${fmt(start)} | ${(start / floor).toFixed(2)} |`);
    console.log(`| npm start -- --preview | ${fmt(preview)} | ${(preview / floor).toFixed(2)} |`);
    console.log(
        `| policy analyzer alone: start, port, GetAnalyzerInfo, close | ${fmt(analyzer)} | ${(analyzer / floor).toFixed(2)} |`,
    );
    const { stackFiles } = require("./plan") as typeof import("./plan");
    const stacks = stackFiles().map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(f))![1]);
    for (const stack of stacks) {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-out-"));
        const t = median(`plan ${stack}`, "npm", [
            "run",
            "--silent",
            "plan",
            "--",
            "--stack",
            stack,
            "--out",
            out,
        ]);
        console.log(`| npm run plan -- --stack ${stack} | ${fmt(t)} | ${(t / floor).toFixed(2)} |`);
    }
    console.log(
        `\nGoal: npm start within 2.5x the floor: ${start / floor <= 2.5 ? "met" : "NOT met"} (${(start / floor).toFixed(2)}x).\n`,
    );
}

function accountsSection(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-stacks-"));
    console.log(
        "Vendor stack at scale (each point a fresh process; plan time excludes process start):\n",
    );
    console.log(
        "| consumer accounts | repositories | result | resources | plan time | process wall | peak RSS | largest repository policy |",
    );
    console.log("|---:|---:|---|---:|---:|---:|---:|---:|");
    const times = new Map<string, number>();
    const outcome = new Map<string, boolean>();
    let overLimit = false;
    for (const repositories of [5, 50]) {
        // 290 is about the most a policy holds (one statement, CodeBuild on); 1,000 must be refused.
        for (const accounts of [10, 100, 290, 1000]) {
            const p = scalePoint(vendorStackFile(dir, accounts, repositories));
            times.set(`${accounts}/${repositories}`, p.ms);
            outcome.set(`${accounts}/${repositories}`, p.ok);
            if (p.largestPolicy > 10_240) overLimit = true;
            console.log(
                `| ${accounts} | ${repositories} | ${p.ok ? "planned" : `rejected: ${p.error}`} | ${p.resources} | ${fmt(p.ms)} | ${fmt(p.wallMs)} | ${p.peakRssMb.toFixed(0)} MB | ${p.ok ? `${p.largestPolicy} chars` : "-"} |`,
            );
        }
    }
    console.log("");
    for (const repositories of [5, 50]) {
        const ratio = (a: number, b: number) =>
            times.get(`${a}/${repositories}`)! / times.get(`${b}/${repositories}`)!;
        const note = outcome.get(`1000/${repositories}`)
            ? ""
            : " (1,000 accounts are refused at validation, exit 2: the ratio times the refusal, not a plan)";
        console.log(
            `t(1000)/t(100), ${repositories} repositories: ${ratio(1000, 100).toFixed(2)}${note}`,
        );
        console.log(
            `t(290)/t(100), ${repositories} repositories: ${ratio(290, 100).toFixed(2)} (2.9x the accounts; linear would be <= 2.9)`,
        );
    }
    console.log(
        `t(50 repositories)/t(5 repositories) at 100 accounts: ${(times.get("100/50")! / times.get("100/5")!).toFixed(2)}`,
    );
    console.log(
        `Any repository policy over 10,240 characters: ${overLimit ? "YES (goal missed)" : "no"}`,
    );
}

/** The vendor stack of section 3: `repositories` names in 40 namespaces, an organization grant. */
function repositoriesStackFile(
    dir: string,
    repositories: number,
    replication: string[],
    developers: string[] = [],
    namespaces = 40,
): string {
    const doc = {
        config: {
            "aws:region": "us-east-2",
            "aws:allowedAccountIds": ["111122223333"],
            "ecr-private-access:accountId": "111122223333",
            "ecr-private-access:repositories": {
                names: Array.from(
                    { length: repositories },
                    (_, i) => `team-${i % namespaces}/app-${i}`,
                ),
                consumers: { organizationId: "o-a1b2c3d4e5" },
                ...(replication.length > 0 ? { replicationRegions: replication } : {}),
                codeBuild: true,
            },
            ...(developers.length > 0
                ? { "ecr-private-access:developers": { users: developers } }
                : {}),
        },
    };
    const file = path.join(
        dir,
        `Pulumi.bench-repositories-${repositories}${developers.length > 0 ? "-developers" : ""}.yaml`,
    );
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

function repositoriesSection(): void {
    console.log("");
    const series = (process.env.BENCH_REPOSITORIES ?? "100,1000,2000,4000")
        .split(",")
        .map((n) => Number(n.trim()));
    const replication = (process.env.BENCH_REPLICATION_REGIONS ?? "us-west-2")
        .split(",")
        .map((r) => r.trim())
        .filter((r) => r !== "");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-repositories-"));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-repositories-out-"));
    console.log(
        `Vendor stack by repositories (40 namespaces, organization grant, ${replication.length > 0 ? `replicated to ${replication.join(", ")}` : "no replication"}; the whole plan with every artefact; each run a fresh process; median of ${SERIES_RUNS} runs, peak RSS the highest; plan time excludes process start):\n`,
    );
    console.log(
        "| repositories | result | resources | plan time | CPU time | process wall | peak RSS |",
    );
    console.log("|---:|---|---:|---:|---:|---:|---:|");
    const points = new Map<number, ChildResult & { wallMs: number }>();
    for (const n of series) {
        const file = repositoriesStackFile(dir, n, replication);
        const runs = Array.from({ length: SERIES_RUNS }, () => scalePoint(file, out));
        const mid = (f: (p: (typeof runs)[number]) => number) =>
            runs.map(f).sort((x, y) => x - y)[Math.floor(runs.length / 2)];
        const failed = runs.find((r) => !r.ok);
        const p = {
            ...(failed ?? runs[0]),
            ms: mid((r) => r.ms),
            cpuMs: mid((r) => r.cpuMs),
            wallMs: mid((r) => r.wallMs),
            peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
        };
        points.set(n, p);
        console.log(
            `| ${n} | ${p.ok ? "planned" : `failed: ${p.error}`} | ${p.resources} | ${fmt(p.ms)} | ${fmt(p.cpuMs)} | ${fmt(p.wallMs)} | ${p.peakRssMb.toFixed(0)} MB |`,
        );
    }
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
    console.log("");
    const a = points.get(1000);
    const b = points.get(4000);
    if (a?.ok && b?.ok) {
        const wall = b.ms / a.ms;
        const cpu = b.cpuMs / a.cpuMs;
        console.log(
            `t(4000)/t(1000): ${wall.toFixed(2)} by plan time, ${cpu.toFixed(2)} by CPU time (goal <= 4.5: ${wall <= 4.5 ? "met" : "NOT met"})`,
        );
        console.log(
            `Peak RSS at 4,000 repositories: ${b.peakRssMb.toFixed(0)} MB (goal <= 1,536 MB: ${b.peakRssMb <= 1536 ? "met" : "NOT met"})`,
        );
    }
}

interface ArtefactResult {
    resources: number;
    simulations: number;
    /** Columns of the matrix table in access.md. */
    columns: number;
    matrixMs: number;
    matrixCpuMs: number;
    accessBytes: number;
    summaryBytes: number;
    summaryMs: number;
}

/**
 * Runs inside the child: plans one stack file, then measures what the access matrix and the
 * summary cost and how large access.md and summary.md are.
 */
async function artefactChild(file: string): Promise<void> {
    const { planStack } = require("./plan") as typeof import("./plan");
    const { summary } = require("./artefacts") as typeof import("./artefacts");
    const { accessMarkdown, computeAccess } = require("./access") as typeof import("./access");
    const plan: Plan = await planStack({ stackFile: file });
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const matrix = await computeAccess(plan);
    const access = accessMarkdown(matrix);
    const matrixMs = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    const s0 = process.hrtime.bigint();
    const sum = `${summary(plan)}\n`;
    const summaryMs = Number(process.hrtime.bigint() - s0) / 1e6;
    const header = access.split("\n").find((l) => l.startsWith("| principal | via |")) ?? "";
    const result: ArtefactResult = {
        resources: plan.resources.length,
        simulations: matrix.simulations,
        columns: header.split(" | ").length - 2,
        matrixMs,
        matrixCpuMs: (used.user + used.system) / 1000,
        accessBytes: Buffer.byteLength(access),
        summaryBytes: Buffer.byteLength(sum),
        summaryMs,
    };
    process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
    process.exit(0);
}

function artefactsSection(): void {
    console.log("");
    const series = (process.env.BENCH_ARTEFACT_REPOSITORIES ?? "100,1000,4000")
        .split(",")
        .map((n) => Number(n.trim()));
    const replication = (process.env.BENCH_REPLICATION_REGIONS ?? "us-west-2")
        .split(",")
        .map((r) => r.trim())
        .filter((r) => r !== "");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-artefacts-"));
    console.log(
        `Access matrix and summary by repositories (40 namespaces, 30 with developers; organization grant, ${replication.length > 0 ? `replicated to ${replication.join(", ")}` : "no replication"}; each point a fresh process; matrix time is computeAccess + accessMarkdown):\n`,
    );
    console.log(
        "| repositories | developers | resources | simulations | matrix columns | matrix time | matrix CPU | access.md | summary.md | summary time |",
    );
    console.log("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
    const ratios: string[] = [];
    // Without IAM principals (the organization, CodeBuild), then with two developers, whose group
    // policy names every namespace (`repository/team-N/*`; 30 namespaces, as 40 would not fit
    // IAM's 5,120 characters for a group).
    for (const developers of [[], ["alice", "bob"]]) {
        const points = new Map<number, ArtefactResult>();
        for (const n of series) {
            const file = repositoriesStackFile(
                dir,
                n,
                replication,
                developers,
                developers.length > 0 ? 30 : 40,
            );
            const r = timed(NODE, [...TS, __filename, "--artefact-child", file]);
            const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH "));
            if (!line) throw new Error(`artefact bench child failed: ${r.stderr.slice(-2000)}`);
            const p = JSON.parse(line.slice(6)) as ArtefactResult;
            points.set(n, p);
            console.log(
                `| ${n} | ${developers.length} | ${p.resources} | ${p.simulations} | ${p.columns} | ${fmt(p.matrixMs)} | ${fmt(p.matrixCpuMs)} | ${kb(p.accessBytes)} | ${kb(p.summaryBytes)} | ${fmt(p.summaryMs)} |`,
            );
        }
        const a = points.get(1000);
        const b = points.get(4000);
        if (a && b) {
            ratios.push(
                `${developers.length} developers: matrix t(4000)/t(1000) ${(b.matrixMs / a.matrixMs).toFixed(2)} by wall time, ${(b.matrixCpuMs / a.matrixCpuMs).toFixed(2)} by CPU time; simulations ${(b.simulations / a.simulations).toFixed(2)}x; access.md ${(b.accessBytes / a.accessBytes).toFixed(2)}x; summary.md ${(b.summaryBytes / a.summaryBytes).toFixed(2)}x`,
            );
        }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (ratios.length > 0)
        console.log(`\n${ratios.join("\n")}\n(linear: <= 4.5, 4x the repositories)`);
}

/** What the access matrices and the IAM rule cost inside `npm start`, in a child process. */
function iamSection(): void {
    const iam = timed(NODE, [...TS, __filename, "--iam-child"]);
    if (iam.code !== 0) throw new Error(`IAM bench failed: ${iam.stderr.slice(-2000)}`);
    console.log(iam.stdout);
}

/**
 * Runs inside a child: plans the shipped stacks, then times what `npm start` spends on the
 * access matrices (computed on a worker thread there, overlapping the next stack's plan) and
 * on the IAM rule, each run cold (first) and warm.
 */
async function iamChild(): Promise<void> {
    const { planStack, stackFiles } = require("./plan") as typeof import("./plan");
    const { computeAccess } = require("./access") as typeof import("./access");
    const { iamPolicies } =
        require("../policies/rules/iam") as typeof import("../policies/rules/iam");
    // The rule alone, on every resource's inputs (in `npm start` the pack's analyzer runs it).
    const runIamRule = async (plan: Plan) => {
        for (const policy of iamPolicies) {
            if (!("validateResource" in policy) || !policy.validateResource) continue;
            for (const validate of [policy.validateResource].flat()) {
                for (const r of plan.resources) {
                    await validate(
                        {
                            type: r.type,
                            props: r.inputs,
                            urn: r.urn,
                            name: r.name,
                            getConfig: <T>() => ({}) as T,
                        } as unknown as Parameters<typeof validate>[0],
                        () => undefined,
                    );
                }
            }
        }
    };
    const plans: Plan[] = [];
    const outputs: Record<string, Record<string, unknown>> = {};
    for (const file of stackFiles()) {
        const plan = await planStack({ stackFile: file, stackOutputs: outputs });
        outputs[plan.stack] = plan.outputs;
        plans.push(plan);
    }
    const cpu = async (f: () => Promise<unknown>) => {
        const c = process.cpuUsage();
        const t = process.hrtime.bigint();
        await f();
        const u = process.cpuUsage(c);
        return { wall: Number(process.hrtime.bigint() - t) / 1e6, cpu: (u.user + u.system) / 1000 };
    };
    const lines = ["| work | run | simulations | wall | CPU |", "|---|---|---:|---:|---:|"];
    for (const run of ["first", "second"]) {
        let sims = 0;
        const a = await cpu(async () => {
            for (const p of plans) sims += (await computeAccess(p, plans)).simulations;
        });
        lines.push(
            `| access matrices, ${plans.length} stacks | ${run} | ${sims} | ${a.wall.toFixed(0)} ms | ${a.cpu.toFixed(0)} ms |`,
        );
        const r = await cpu(async () => {
            for (const p of plans) await runIamRule(p);
        });
        lines.push(
            `| iam-known-actions-and-condition-keys, ${plans.length} stacks | ${run} | - | ${r.wall.toFixed(0)} ms | ${r.cpu.toFixed(0)} ms |`,
        );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * Many stacks: `npm start` over 50 stack files (the shipped ones and copies of the customer,
 * every copy reading the vendor), with the programs in this process (`--jobs 0`) and in one
 * worker process per core, measured alternately in one run, with the CPU each used.
 */
function stacksSection(): void {
    const count = Number(process.env.BENCH_STACKS ?? 50);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-fifty-"));
    const { stackFiles } = require("./plan") as typeof import("./plan");
    const shipped = stackFiles();
    for (const f of shipped) fs.copyFileSync(f, path.join(dir, path.basename(f)));
    for (let i = 1; i <= count - shipped.length; i++) {
        fs.copyFileSync(
            path.join(ROOT, "Pulumi.customer.yaml"),
            path.join(dir, `Pulumi.customer-${i}.yaml`),
        );
    }
    const jobs = os.cpus().length;
    const run = (j: number) => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-fifty-out-"));
        const r = timed(NODE, [
            ...TS,
            path.join(ROOT, "tools/planAll.ts"),
            "--dir",
            dir,
            "--out",
            out,
            "--jobs",
            String(j),
        ]);
        fs.rmSync(out, { recursive: true, force: true });
        if (r.code !== 0)
            throw new Error(`npm start over ${count} stacks: ${r.stderr.slice(-2000)}`);
        return r.ms;
    };
    const one: number[] = [];
    const many: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        one.push(run(0));
        many.push(run(jobs));
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [a, b] = [mid(one), mid(many)];
    console.log(
        `\n${count} stack files (the ${shipped.length} shipped, ${count - shipped.length} customer copies), ${os.cpus().length} cores, median of ${RUNS}, alternating:\n`,
    );
    console.log("| npm start over the stack files | wall time | ratio |");
    console.log("|---|---:|---:|");
    console.log(`| in one process (--jobs 0) | ${fmt(a)} | 1.00 |`);
    console.log(
        `| ${jobs} worker processes (--jobs ${jobs}) | ${fmt(b)} | ${(b / a).toFixed(2)} |`,
    );
    const best = Math.min(a, b);
    console.log(
        `\nGoal (issue 16): at most 0.6x the single-process time measured when it was filed (10.2 s): ${(best / 10_200).toFixed(2)}x (${best / 10_200 <= 0.6 ? "met" : "NOT met"}). The default (npm start without --jobs) uses worker processes only beyond two cores.\n`,
    );
}

function sections(argv: string[]): Section[] {
    const i = argv.indexOf("--only");
    const only = i >= 0 ? argv[i + 1] : process.env.BENCH_ONLY;
    if (!only) return [...SECTIONS];
    const wanted = only.split(",").map((s) => s.trim());
    for (const w of wanted) {
        if (!(SECTIONS as readonly string[]).includes(w)) {
            throw new Error(`unknown bench section "${w}"; one of ${SECTIONS.join(", ")}`);
        }
    }
    return SECTIONS.filter((s) => wanted.includes(s));
}

function main(argv: string[]): void {
    const chosen = sections(argv);
    console.log(
        `ecr-private-access benchmark: node ${process.version}, ${os.cpus().length} cores, load average ${os
            .loadavg()
            .map((l) => l.toFixed(1))
            .join(" ")}; median of ${RUNS} runs where noted\n`,
    );
    if (chosen.includes("start")) startSection();
    if (chosen.includes("iam")) iamSection();
    if (chosen.includes("stacks")) stacksSection();
    if (chosen.includes("accounts")) accountsSection();
    if (chosen.includes("repositories")) repositoriesSection();
    if (chosen.includes("artefacts")) artefactsSection();
}

if (require.main === module) {
    const i = process.argv.indexOf("--child");
    if (i >= 0) {
        const o = process.argv.indexOf("--out-dir");
        void child(process.argv[i + 1], o >= 0 ? process.argv[o + 1] : undefined);
    } else if (process.argv.includes("--artefact-child")) {
        const a = process.argv.indexOf("--artefact-child");
        void artefactChild(process.argv[a + 1]);
    } else if (process.argv.includes("--iam-child")) {
        void runCli("bench", async () => {
            await iamChild();
            return 0;
        });
    } else {
        void runCli("bench", () => {
            main(process.argv.slice(2));
            return 0;
        });
    }
}
