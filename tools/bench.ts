import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { Plan } from "../src/report/plan";

/**
 * `npm run bench`: prints figures, asserts nothing (speed is measured here,
 * never in the test suite).
 *  1. Wall time of `npm start` (with and without --preview) and of each stack's
 *     `npm run plan` against the floor `node -e 'require("@pulumi/aws")'` (goal: npm
 *     start within 2.5x, the policy pack's analyzer included), and how long the
 *     analyzer takes to answer from a standing start.
 *  2. A scale series for the vendor stack: 10, 100 and 1,000 consumer
 *     accounts by 5 and 50 repositories: resources, plan time, peak memory and
 *     the largest repository policy (goal: none over 10,240 characters; time
 *     growing linearly).
 */

const ROOT = path.resolve(__dirname, "..");
const NODE = process.execPath;
const TS = ["-r", path.join(ROOT, "tools/register.js")];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

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
    ms: number;
    resources: number;
    peakRssMb: number;
    largestPolicy: number;
    error?: string;
}

/** Runs inside the child: plans one stack file and reports its own figures. */
async function child(file: string): Promise<void> {
    const { planStack } = require("./plan") as typeof import("./plan");
    const start = process.hrtime.bigint();
    let result: ChildResult;
    try {
        const plan: Plan = await planStack({ stackFile: file });
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
            resources: plan.resources.length,
            peakRssMb: process.resourceUsage().maxRSS / 1024,
            largestPolicy: Math.max(0, ...policies),
        };
    } catch (e) {
        result = {
            ok: false,
            ms: Number(process.hrtime.bigint() - start) / 1e6,
            resources: 0,
            peakRssMb: process.resourceUsage().maxRSS / 1024,
            largestPolicy: 0,
            error: (e as Error).message.split("\n").slice(-1)[0].trim(),
        };
    }
    process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
    process.exit(0);
}

function scalePoint(file: string): ChildResult & { wallMs: number } {
    const r = timed(NODE, [...TS, __filename, "--child", file]);
    const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH "));
    if (!line) throw new Error(`bench child failed: ${r.stderr.slice(-2000)}`);
    return { ...(JSON.parse(line.slice(6)) as ChildResult), wallMs: r.ms };
}

function main(): void {
    console.log(
        `ecr-private-access benchmark: node ${process.version}, ${os.cpus().length} cores, median of ${RUNS} runs\n`,
    );

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
    for (const stack of ["vendor", "customer", "idc-sim"]) {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-out-"));
        const t = median(`plan ${stack}`, "npm", [
            "run",
            "--silent",
            "plan",
            "--",
            "--stack",
            stack,
            "--out-dir",
            out,
        ]);
        console.log(`| npm run plan -- --stack ${stack} | ${fmt(t)} | ${(t / floor).toFixed(2)} |`);
    }
    console.log(
        `\nGoal: npm start within 2.5x the floor: ${start / floor <= 2.5 ? "met" : "NOT met"} (${(start / floor).toFixed(2)}x).\n`,
    );

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

if (require.main === module) {
    const i = process.argv.indexOf("--child");
    if (i >= 0) {
        void child(process.argv[i + 1]);
    } else {
        main();
    }
}
