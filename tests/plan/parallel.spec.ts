import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultJobs, WORKERS_FROM } from "../../tools/planAll";

const ROOT = path.resolve(__dirname, "../..");

/** Every file under `dir`, relative, with its content. */
function tree(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const p = path.join(rel, e.name);
            if (e.isDirectory()) walk(p);
            else out[p] = fs.readFileSync(path.join(dir, p), "utf8");
        }
    };
    walk("");
    return out;
}

function npmStart(dir: string, out: string, jobs: number) {
    return spawnSync(
        process.execPath,
        [
            "-r",
            path.join(ROOT, "tools/register.js"),
            path.join(ROOT, "tools/planAll.ts"),
            "--dir",
            dir,
            "--out",
            out,
            "--jobs",
            String(jobs),
        ],
        { cwd: ROOT, encoding: "utf8", timeout: 240_000 },
    );
}

/** The table without its time column, which differs from run to run. */
const table = (stdout: string) =>
    stdout.split("\n").map((l) =>
        l
            .replace(/\s+\d+ ms$/, "")
            .replace(/\s+time$/, "")
            .replace(/\s+-+$/, ""),
    );

describe("npm start over many stack files: worker processes", function () {
    this.timeout(300_000);
    const made: string[] = [];
    const temp = (prefix: string) => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
        made.push(d);
        return d;
    };
    after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("uses a worker per core beyond two from WORKERS_FROM stack files on, and none below", () => {
        expect(WORKERS_FROM).to.equal(8);
        expect(defaultJobs(4, 16)).to.equal(0);
        expect(defaultJobs(7, 16)).to.equal(0);
        // This process and the policy pack's already fill two cores.
        expect(defaultJobs(50, 1)).to.equal(0);
        expect(defaultJobs(50, 2)).to.equal(0);
        expect(defaultJobs(50, 3)).to.equal(1);
        expect(defaultJobs(8, 4)).to.equal(2);
        expect(defaultJobs(9, 16)).to.equal(9);
        expect(defaultJobs(50, 16)).to.equal(14);
    });

    it("writes the same artefacts, table and exit code as one process, broken files included", () => {
        const dir = temp("parallel-stacks-");
        for (const f of ["Pulumi.vendor.yaml", "Pulumi.customer.yaml", "Pulumi.idc-sim.yaml"]) {
            fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
        }
        for (let i = 1; i <= 6; i++) {
            fs.copyFileSync(
                path.join(ROOT, "Pulumi.customer.yaml"),
                path.join(dir, `Pulumi.customer-${i}.yaml`),
            );
        }
        // One broken consumer: reported by name, the others still planned, exit 2.
        fs.writeFileSync(
            path.join(dir, "Pulumi.customer-3.yaml"),
            fs
                .readFileSync(path.join(ROOT, "Pulumi.customer.yaml"), "utf8")
                .replace("cidr: 10.20.0.0/16", "cidr: 10.20.0.0/33"),
        );
        const one = temp("parallel-one-");
        const two = temp("parallel-two-");
        const a = npmStart(dir, one, 0);
        const b = npmStart(dir, two, 2);
        expect(a.status, a.stderr).to.equal(2);
        expect(b.status, b.stderr).to.equal(2);
        expect(b.stderr).to.equal(a.stderr);
        expect(b.stderr).to.contain("Pulumi.customer-3.yaml:");
        expect(b.stderr).to.contain("ecr-private-access:network.cidr");
        expect(table(b.stdout.replace(two, "OUT"))).to.deep.equal(
            table(a.stdout.replace(one, "OUT")),
        );
        // 9 stack files, 8 planned, one invalid.
        expect(b.stdout).to.contain("1 of 9 stack files invalid (customer-3)");
        expect(Object.keys(tree(two)).filter((f) => f.endsWith("plan.json"))).to.have.length(8);
        expect(tree(two)).to.deep.equal(tree(one));
    });
});
