import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlanResource } from "../../src/report/plan";
import {
    engineView,
    PolicyAnalyzer,
    PolicyConfigError,
    UNKNOWN,
    withAnalyzer,
} from "../../tools/analyzer";

const ROOT = path.resolve(__dirname, "../..");
const PROBE = path.join(ROOT, "tests/fixtures/probe-pack");
const STACK = "urn:pulumi:dev::ecr-private-access::pulumi:pulumi:Stack::ecr-private-access-dev";
const urn = (type: string, name: string) => `urn:pulumi:dev::ecr-private-access::${type}::${name}`;

function res(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    opts: {
        id?: string;
        computed?: Record<string, unknown>;
        deps?: Record<string, PlanResource[]>;
        read?: true;
    } = {},
): PlanResource {
    const propertyDependencies = Object.fromEntries(
        Object.entries(opts.deps ?? {}).map(([k, rs]) => [k, rs.map((r) => r.urn)]),
    );
    return {
        urn: urn(type, name),
        id: opts.id ?? `${name}-0123456789abcdef`,
        type,
        name,
        parent: STACK,
        ...(opts.read ? { read: true as const } : {}),
        inputs,
        outputs: { ...inputs, ...opts.computed },
        dependencies: [...new Set(Object.values(propertyDependencies).flat())],
        propertyDependencies,
    };
}

const vpc = res(
    "aws:ec2/vpc:Vpc",
    "vpc",
    { cidrBlock: "10.0.0.0/16" },
    { id: "vpc-0a1b2c3d4e5f67890", computed: { arn: "arn:aws:ec2:::vpc/vpc-0a1b2c3d4e5f67890" } },
);
const zone = res(
    "aws:route53/zone:Zone",
    "zone",
    {
        name: "ecr.ap-southeast-1.amazonaws.com",
        vpcs: [{ vpcId: vpc.id, vpcRegion: "ap-northeast-1" }],
    },
    {
        id: "Z0123456789ABCDEFGHIJ",
        computed: { zoneId: "Z0123456789ABCDEFGHIJ", region: "us-east-1" },
        deps: { vpcs: [vpc] },
    },
);
const record = res(
    "aws:route53/record:Record",
    "api-a",
    { zoneId: "Z0123456789ABCDEFGHIJ", name: "api", type: "A", ttl: 60, records: ["10.0.1.23"] },
    { computed: { fqdn: "api.ecr.ap-southeast-1.amazonaws.com" }, deps: { zoneId: [zone] } },
);

/** Whether a process is still running (a zombie waiting for its parent counts as gone). */
function running(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (check()) return true;
        await new Promise((r) => setTimeout(r, 50));
    }
    return check();
}

describe("engine view of a plan (what the analyzer is sent)", () => {
    it("sends inputs and outputs as they are when judging the planned change", () => {
        const [z, r] = engineView([vpc, zone, record], false).slice(1);
        expect(r.inputs).to.deep.equal(record.inputs);
        expect(z.state.zoneId).to.equal("Z0123456789ABCDEFGHIJ");
        expect(r.propertyDependencies).to.deep.equal({ zoneId: [zone.urn] });
        expect(r.dependencies).to.deep.equal([zone.urn]);
        expect(r.parent).to.equal(STACK);
    });

    it("in a first preview, hides exactly the values other new resources produce", () => {
        const [v, z, r] = engineView([vpc, zone, record], true);
        // A reference inside a literal structure: only the reference is unknown.
        expect(z.inputs.vpcs).to.deep.equal([{ vpcId: UNKNOWN, vpcRegion: "ap-northeast-1" }]);
        expect(z.inputs.name).to.equal("ecr.ap-southeast-1.amazonaws.com");
        // Computed outputs are unknown, provider-planned ones (region) are not.
        expect(z.state.zoneId).to.equal(UNKNOWN);
        expect(z.state.region).to.equal("us-east-1");
        expect(v.state.arn).to.equal(UNKNOWN);
        // The record's zone is unknown; its literal address is not.
        expect(r.inputs).to.deep.equal({ ...record.inputs, zoneId: UNKNOWN });
        expect(r.state.fqdn).to.equal(UNKNOWN);
    });

    it("hides a string that embeds a produced value as a whole, and follows values passed on", () => {
        const repo = res(
            "aws:ecr/repository:Repository",
            "repo",
            { name: "app" },
            { computed: { arn: "arn:aws:ecr:ap-southeast-1:111122223333:repository/app" } },
        );
        const doc = JSON.stringify({
            Statement: [{ Effect: "Allow", Resource: repo.outputs.arn }],
        });
        const policy = res(
            "aws:iam/policy:Policy",
            "p",
            { policy: doc, path: "/" },
            { deps: { policy: [repo] } },
        );
        const attach = res(
            "test:index:Echo",
            "echo",
            { copy: doc, literal: "x" },
            { deps: { copy: [policy] } },
        );
        const [, p, e] = engineView([repo, policy, attach], true);
        expect(p.inputs).to.deep.equal({ policy: UNKNOWN, path: "/" });
        // `policy` was unknown in the Policy's own inputs, so what it passes on is unknown too.
        expect(e.inputs).to.deep.equal({ copy: UNKNOWN, literal: "x" });
    });

    it("keeps values read from existing resources (a StackReference) and hides ones from outside the plan", () => {
        const ref = res(
            "pulumi:pulumi:StackReference",
            "org/p/vendor",
            { name: "org/p/vendor" },
            { read: true, computed: { outputs: { registryId: "111122223333" } } },
        );
        const user = res(
            "test:index:User",
            "u",
            { registry: "111122223333", other: "vpc-0a1b2c3d4e5f67890" },
            { deps: { registry: [ref] } },
        );
        user.propertyDependencies.other = [urn("test:index:Gone", "gone")];
        const [r, u] = engineView([ref, user], true);
        expect(r.analyze).to.equal(false);
        expect(r.state.outputs).to.deep.equal({ registryId: "111122223333" });
        expect(u.inputs).to.deep.equal({ registry: "111122223333", other: UNKNOWN });
    });
});

describe("the policy pack's analyzer process", function () {
    this.timeout(120_000);
    let probe: PolicyAnalyzer;

    before(() => {
        probe = PolicyAnalyzer.start({ packDir: PROBE });
    });
    after(async () => {
        await probe.close();
    });

    const messages = (vs: { policy: string; message: string }[], policy: string) =>
        vs.filter((v) => v.policy === policy).map((v) => JSON.parse(v.message));

    it("hands Analyze the inputs and options, parent included, as the engine does", async () => {
        const withOpts: PlanResource = {
            ...record,
            options: { protect: true, ignoreChanges: ["ttl"], deleteBeforeReplace: true },
        };
        const vs = await probe.analyze([vpc, zone, withOpts], { project: "p", stack: "dev" });
        const seen = messages(vs, "probe-analyze");
        expect(seen.map((s) => s.name)).to.deep.equal(["vpc", "zone", "api-a"]);
        expect(seen[2]).to.deep.equal({
            urn: record.urn,
            type: record.type,
            name: "api-a",
            props: record.inputs,
            opts: {
                protect: true,
                ignoreChanges: ["ttl"],
                aliases: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: [],
                deleteBeforeReplace: true,
                parent: STACK,
            },
        });
        // Analyze findings carry the analyzed resource's URN.
        expect(vs.filter((v) => v.policy === "probe-analyze").map((v) => v.urn)).to.deep.equal([
            vpc.urn,
            zone.urn,
            record.urn,
        ]);
    });

    it("sends undefined values as JSON would (left out, null in arrays)", async () => {
        const odd = res("test:index:Odd", "odd", {
            a: undefined,
            b: [undefined, 1],
            c: { d: undefined },
        });
        const vs = await probe.analyze([odd], { project: "p", stack: "dev" });
        expect(messages(vs, "probe-analyze")[0].props).to.deep.equal({ b: [null, 1], c: {} });
    });

    it("hands AnalyzeStack every resource with its parent, dependencies and property dependencies as objects", async () => {
        const parent = res("test:index:Component", "comp", {}, { id: "" });
        const child = { ...vpc, parent: parent.urn };
        const vs = await probe.analyze([parent, child, zone, record], {
            project: "p",
            stack: "dev",
        });
        const [seen] = messages(vs, "probe-stack");
        const byName = Object.fromEntries(seen.map((s: any) => [s.name, s]));
        expect(byName.vpc.parent).to.equal(parent.urn);
        // The root stack is not in the plan: the analyzer only links resources it was sent.
        expect(byName.comp.parent).to.equal(undefined);
        expect(byName["api-a"].dependencies).to.deep.equal([zone.urn]);
        expect(byName["api-a"].propertyDependencies).to.deep.equal({ zoneId: [zone.urn] });
        expect(byName.zone.props.zoneId).to.equal("Z0123456789ABCDEFGHIJ");
        expect(byName.zone.opts.parent).to.equal(undefined);
    });

    it("sends the engine's unknown in a preview, and a rule that reads it unguarded cannot run", async () => {
        const full = await probe.analyze([vpc, zone, record], { project: "p", stack: "dev" });
        expect(full.filter((v) => v.policy === "probe-unguarded-read")).to.deep.equal([]);

        const vs = await probe.analyze([vpc, zone, record], {
            project: "p",
            stack: "dev",
            preview: true,
        });
        const [seen] = messages(vs, "probe-stack");
        expect(seen.find((s: any) => s.name === "zone").props.zoneId).to.equal(UNKNOWN);
        expect(vs.filter((v) => v.policy === "probe-unguarded-read")).to.deep.equal([
            {
                policy: "probe-unguarded-read",
                // @pulumi/policy downgrades a policy that hits an unknown to advisory.
                enforcementLevel: "advisory",
                urn: record.urn,
                message:
                    "can't run policy 'probe-unguarded-read' from policy pack 'probe@v0.0.1' during preview: string value at .zoneId can't be known during preview",
            },
        ]);
    });

    it("configures the pack through Configure: schema defaults, the file's values and levels", async () => {
        const run = (policyConfig: object) =>
            probe.analyze([vpc], { project: "p", stack: "dev", policyConfig: policyConfig as any });
        const config = (vs: { policy: string; enforcementLevel: string; message: string }[]) =>
            vs
                .filter((v) => v.policy === "probe-config")
                .map((v) => ({ level: v.enforcementLevel, config: JSON.parse(v.message) }));

        expect(config(await run({}))).to.deep.equal([
            { level: "mandatory", config: { limit: 3, mode: "a" } },
        ]);
        expect(
            config(await run({ "probe-config": { enforcementLevel: "advisory", mode: "b" } })),
        ).to.deep.equal([{ level: "advisory", config: { limit: 3, mode: "b" } }]);
        // `all` sets every level; a policy's own entry wins over it.
        const all = await run({ all: "disabled", "probe-analyze": "mandatory" });
        expect([...new Set(all.map((v) => `${v.policy} ${v.enforcementLevel}`))]).to.deep.equal([
            "probe-analyze mandatory",
        ]);
        // Each analysis sets the whole config again: nothing leaks into the next stack.
        expect(config(await run({}))).to.deep.equal([
            { level: "mandatory", config: { limit: 3, mode: "a" } },
        ]);
    });

    it("refuses a policy config the pack cannot take, naming the file and the key", async () => {
        const refused = async (policyConfig: unknown) => {
            try {
                await probe.analyze([vpc], {
                    project: "p",
                    stack: "dev",
                    policyConfig: policyConfig as any,
                    configSource: "dev.json",
                });
            } catch (e) {
                expect(e).to.be.instanceOf(PolicyConfigError);
                return (e as Error).message;
            }
            throw new Error("accepted");
        };
        expect(await refused({ "probe-config": { limit: "ten" } })).to.equal(
            'dev.json: "probe-config.limit": must be number',
        );
        expect(await refused({ "probe-config": { limt: 1 } })).to.equal(
            'dev.json: "probe-config.limt": not a config property of this policy (limit, mode)',
        );
        expect(await refused({ "probe-confg": "advisory" })).to.match(
            /^dev\.json: "probe-confg" is not a policy of pack probe \(probe-analyze, /,
        );
        expect(await refused({ "probe-config": "loud" })).to.equal(
            'dev.json: "probe-config": "loud" is not advisory, mandatory, remediate, disabled',
        );
        // The analyzer still serves after a refusal.
        expect((await probe.analyze([vpc], { project: "p", stack: "dev" })).length).to.be.above(0);
    });

    it("serves several analyses at once one after the other (the config is per analysis)", async () => {
        const [a, b] = await Promise.all([
            probe.analyze([vpc], {
                project: "p",
                stack: "a",
                policyConfig: { "probe-config": { mode: "x" } },
            }),
            probe.analyze([vpc], {
                project: "p",
                stack: "b",
                policyConfig: { "probe-config": { mode: "y" } },
            }),
        ]);
        const mode = (vs: typeof a) =>
            JSON.parse(vs.find((v) => v.policy === "probe-config")!.message).mode;
        expect([mode(a), mode(b)]).to.deep.equal(["x", "y"]);
    });

    it("ends the pack's process on close", async () => {
        const a = PolicyAnalyzer.start({ packDir: PROBE });
        await a.analyzerInfo();
        expect(running(a.pid!)).to.equal(true);
        await a.close();
        expect(running(a.pid!)).to.equal(false);
    });

    it("ends the pack's process when the process that started it is killed", async () => {
        const script = [
            `const { PolicyAnalyzer } = require(${JSON.stringify(path.join(ROOT, "tools/analyzer"))});`,
            `const a = PolicyAnalyzer.start({ packDir: ${JSON.stringify(PROBE)} });`,
            "a.analyzerInfo().then(() => console.log(a.pid));",
            "setInterval(() => undefined, 1000);",
        ].join("\n");
        const parent = spawn(
            process.execPath,
            ["-r", path.join(ROOT, "tools/register.js"), "-e", script],
            { stdio: ["ignore", "pipe", "inherit"] },
        );
        const pid = await new Promise<number>((resolve, reject) => {
            let out = "";
            parent.stdout!.on("data", (d) => {
                out += d;
                if (out.includes("\n")) resolve(Number(out.trim()));
            });
            parent.on("exit", () => reject(new Error(`parent exited first: ${out}`)));
        });
        expect(running(pid)).to.equal(true);
        parent.kill("SIGKILL");
        expect(await until(() => !running(pid), 10_000), `pid ${pid}`).to.equal(true);
    });

    it("reports a pack that fails to start, with its error output, and leaves no process", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "broken-pack-"));
        fs.writeFileSync(path.join(dir, "index.js"), 'throw new Error("pack exploded");\n');
        const a = PolicyAnalyzer.start({ packDir: dir });
        let message = "";
        await a.analyzerInfo().catch((e: Error) => (message = e.message));
        expect(message).to.contain(`policy pack ${dir} did not start: it exited (code 1)`);
        expect(message).to.contain("pack exploded");
        await a.close();
        expect(running(a.pid!)).to.equal(false);
    });

    it("runs the shipped pack under the engine's own launcher (run-policy-pack, ts-node) with the same verdicts", async () => {
        const launcher = path.join(
            ROOT,
            "policies/node_modules/@pulumi/pulumi/cmd/run-policy-pack",
        );
        expect(fs.existsSync(launcher), "the pack's dependencies: cd policies && npm ci").to.equal(
            true,
        );
        const plan = [vpc, zone, record];
        const opts = { project: "ecr-private-access", stack: "dev" };
        const fast = await withAnalyzer((a) => a.analyze(plan, opts));
        const engine = await withAnalyzer((a) => a.analyze(plan, opts), { launcher: "engine" });
        expect(fast.map((v) => v.policy)).to.include("ecr-dns-cname-not-a");
        expect(engine).to.deep.equal(fast);
    });

    it("leaves no analyzer running behind the tests above", async () => {
        await probe.close();
        expect(PolicyAnalyzer.live()).to.equal(0);
    });
});
