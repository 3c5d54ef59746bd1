import { expect } from "chai";
import { spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { UserError } from "../../tools/cli";
import { checkStackFile, PlanConfigError } from "../../tools/plan";

/**
 * No false greens, no stack traces: stack files generated from the config
 * schema, then broken the ways people break them (wrong types, out-of-range
 * numbers, broken YAML, unknown keys and namespaces, overlapping CIDRs, huge
 * lists, plain-text secrets, bad file names). Every one must end in exit 0
 * (accepted) or exit 2 (a user error naming the file and the key), never in
 * an internal error. The 2,000 files are checked in-process (the plan's own
 * check, before the program runs); a sample is planned in full by `npm start`
 * in a child process, which must end in 0, 1 or 2 and write nothing for the
 * stacks it refuses.
 */

const ROOT = path.resolve(__dirname, "../..");
const P = "ecr-private-access";
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;
const RUNS = 2000;

// ---------------------------------------------------------------------------
// Valid-looking stacks, from the schema

const account = fc.constantFrom("111122223333", "444455556666", "777788889999");
const cidr24 = fc.integer({ min: 0, max: 255 }).map((i) => `192.168.${i}.0/24`);

const network = fc.record(
    {
        cidr: fc.constantFrom("10.20.0.0/16", "10.0.0.0/16", "10.30.0.0/20"),
        azCount: fc.integer({ min: 1, max: 3 }),
        publicSubnets: fc.boolean(),
    },
    { requiredKeys: ["cidr"] },
);
const endpoints = fc.record(
    {
        placement: fc.constantFrom("all-azs", "single-az"),
        optionalServices: fc.subarray(["logs", "secretsmanager", "ssm"]),
        ec2LaunchType: fc.boolean(),
        onPremisesCidrs: fc.uniqueArray(cidr24, { maxLength: 4 }),
        allowPush: fc.boolean(),
        s3Interface: fc.boolean(),
        registryAccounts: fc.subarray(["111122223333", "210987654321"]),
    },
    { requiredKeys: [] },
);
const dns = fc.record(
    {
        layout: fc.constantFrom("exact", "seed"),
        ttl: fc.integer({ min: 1, max: 3600 }),
        resolverEndpoint: fc.boolean(),
    },
    { requiredKeys: [] },
);
const repositories = (names: fc.Arbitrary<string[]>) =>
    fc.record(
        {
            names,
            consumers: fc.record(
                { accounts: fc.subarray(["444455556666", "210987654321"]) },
                { requiredKeys: [] },
            ),
            replicationRegions: fc.subarray(["us-west-2", "eu-central-1"]),
            codeBuild: fc.boolean(),
            lifecycle: fc.record(
                {
                    untaggedExpireDays: fc.integer({ min: 1, max: 30 }),
                    keepImages: fc.integer({ min: 1, max: 100 }),
                    releaseTagPatterns: fc.uniqueArray(fc.constantFrom("v*", "release-*", "1.*"), {
                        minLength: 1,
                        maxLength: 3,
                    }),
                },
                { requiredKeys: [] },
            ),
        },
        { requiredKeys: ["names"] },
    );
const anyNames = fc.uniqueArray(
    fc.constantFrom("nlp-client", "prose-app", "rake-app", "team/app"),
    {
        minLength: 1,
        maxLength: 4,
    },
);
const developers = fc.record(
    { users: fc.uniqueArray(fc.constantFrom("alice", "bob", "carol"), { maxLength: 3 }) },
    { requiredKeys: [] },
);
const nlp = fc
    .record({
        desiredCount: fc.integer({ min: 1, max: 4 }),
        size: fc.constantFrom([1024, 4096], [2048, 8192], [1024, 3072], [4096, 8192]),
        publicTasks: fc.boolean(),
    })
    .map(({ size, ...rest }) => ({
        vendorStack: `organization/${P}/vendor`,
        imageTags: { nlpClient: "1.0.0", rakeApp: "1.0.0", proseApp: "1.0.0" },
        cpu: size[0],
        memory: size[1],
        ...rest,
    }));
const idc = fc.record({
    region: fc.constantFrom("ap-northeast-1", "us-east-1"),
    cidr: fc.constantFrom("10.100.0.0/16", "10.101.0.0/16"),
});

type Config = Record<string, unknown>;

const stackOf = (region: string, id: string, blocks: Record<string, unknown>): Config => {
    const config: Config = {
        "aws:region": region,
        "aws:allowedAccountIds": [id],
        [`${P}:accountId`]: id,
    };
    for (const [k, v] of Object.entries(blocks)) if (v !== undefined) config[`${P}:${k}`] = v;
    return config;
};

/** Stacks shaped like the shipped ones (mostly valid), and arbitrary mixes of blocks (often not). */
const stack: fc.Arbitrary<Config> = fc.oneof(
    fc
        .record({
            id: account,
            repositories: repositories(anyNames),
            developers: fc.option(developers, { nil: undefined }),
        })
        .map((s) =>
            stackOf("us-east-2", s.id, { repositories: s.repositories, developers: s.developers }),
        ),
    fc.record({ id: account, network, endpoints, nlp }).map((s) =>
        stackOf("us-west-2", s.id, {
            network: { ...s.network, azCount: 2, publicSubnets: true },
            endpoints: s.endpoints,
            repositories: { names: ["nlp-client", "prose-app"] },
            nlp: s.nlp,
        }),
    ),
    fc.record({ id: account, network, endpoints, dns, idc }).map((s) =>
        stackOf("ap-southeast-1", s.id, {
            network: s.network,
            endpoints: { ...s.endpoints, allowPush: true },
            dns: s.dns,
            repositories: { names: ["idc-demo/hello"] },
            idc: s.idc,
        }),
    ),
    fc
        .record({
            region: fc.constantFrom("us-east-2", "us-west-2", "eu-west-1", "us-west-9"),
            id: account,
            network: fc.option(network, { nil: undefined }),
            endpoints: fc.option(endpoints, { nil: undefined }),
            dns: fc.option(dns, { nil: undefined }),
            repositories: fc.option(repositories(anyNames), { nil: undefined }),
            developers: fc.option(developers, { nil: undefined }),
            nlp: fc.option(nlp, { nil: undefined }),
            idc: fc.option(idc, { nil: undefined }),
        })
        .map(({ region, id, ...blocks }) => stackOf(region, id, blocks)),
);

// ---------------------------------------------------------------------------
// Mutations

type Mutation =
    | { kind: "type"; at: number; value: unknown }
    | { kind: "number"; at: number; value: number }
    | { kind: "delete"; at: number }
    | { kind: "unknownKey"; key: string; value: unknown }
    | { kind: "overlap"; which: "onPremises" | "idc" }
    | { kind: "huge"; which: "cidrs" | "names" | "users" | "patterns" | "accounts"; n: number }
    | { kind: "secret" }
    | { kind: "yaml"; op: "tab" | "unclose" | "dupline" | "colon" | "quote" | "docsep"; at: number }
    | { kind: "name"; name: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({
        kind: fc.constant("type" as const),
        at: fc.nat(),
        value: fc.oneof(
            fc.string({ maxLength: 12 }),
            fc.integer(),
            fc.boolean(),
            fc.constant(null),
            fc.array(fc.integer(), { maxLength: 3 }),
            fc.dictionary(fc.constantFrom("a", "cidr", "names"), fc.string({ maxLength: 5 }), {
                maxKeys: 2,
            }),
        ),
    }),
    fc.record({
        kind: fc.constant("number" as const),
        at: fc.nat(),
        value: fc.constantFrom(-1, 0, 1.5, 65536, 1e12, -0.5, 86401, 7),
    }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
    fc.record({
        kind: fc.constant("unknownKey" as const),
        key: fc.constantFrom(
            "ecr-private-acess:dns",
            "foo:bar",
            "aws:regoin",
            `${P}:netwrok`,
            "pulumi:tags",
            "random:seed",
            "awsx:region",
            `${P}:quotas`,
        ),
        value: fc.oneof(
            fc.constant({}),
            fc.constant("x"),
            fc.constant({ securityGroupRulesPerGroup: 200 }),
        ),
    }),
    fc.record({
        kind: fc.constant("overlap" as const),
        which: fc.constantFrom("onPremises" as const, "idc" as const),
    }),
    fc.record({
        kind: fc.constant("huge" as const),
        which: fc.constantFrom(
            "cidrs" as const,
            "names" as const,
            "users" as const,
            "patterns" as const,
            "accounts" as const,
        ),
        n: fc.integer({ min: 40, max: 400 }),
    }),
    fc.record({ kind: fc.constant("secret" as const) }),
    fc.record({
        kind: fc.constant("yaml" as const),
        op: fc.constantFrom(
            "tab" as const,
            "unclose" as const,
            "dupline" as const,
            "colon" as const,
            "quote" as const,
            "docsep" as const,
        ),
        at: fc.nat(),
    }),
    fc.record({
        kind: fc.constant("name" as const),
        name: fc.constantFrom("Pulumi.gen.yml", "gen.yaml", "Pulumi.bad name.yaml", "Pulumi..yaml"),
    }),
);

/** Paths of every value in the config (objects, arrays and leaves), in a stable order. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    const out: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
    if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
    else if (value !== null && typeof value === "object") {
        for (const k of Object.keys(value).sort())
            out.push(...paths((value as Config)[k], [...prefix, k]));
    }
    return out;
}

function setAt(root: Config, at: (string | number)[], value: unknown, remove = false) {
    let node = root as Record<string | number, unknown>;
    for (const p of at.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
    const last = at[at.length - 1];
    if (remove) {
        if (Array.isArray(node)) node.splice(Number(last), 1);
        else delete node[last];
    } else node[last] = value;
}

const block = (config: Config, name: string) => {
    const key = `${P}:${name}`;
    if (config[key] === null || typeof config[key] !== "object" || Array.isArray(config[key]))
        config[key] = {};
    return config[key] as Config;
};

/** Applies the mutations; returns the file name and the YAML text. */
function render(
    config: Config,
    mutations: Mutation[],
    i: number,
): { name: string; text: string; kinds: string[] } {
    let name = `Pulumi.gen${i}.yaml`;
    const textOps: Extract<Mutation, { kind: "yaml" }>[] = [];
    for (const m of mutations) {
        const all = paths(config);
        switch (m.kind) {
            case "type":
            case "number":
                if (all.length > 0) setAt(config, all[m.at % all.length], m.value);
                break;
            case "delete":
                if (all.length > 0) setAt(config, all[m.at % all.length], undefined, true);
                break;
            case "unknownKey":
                config[m.key] = m.value;
                break;
            case "overlap": {
                const net = block(config, "network");
                if (m.which === "onPremises")
                    block(config, "endpoints").onPremisesCidrs = [net.cidr ?? "10.0.0.0/16"];
                else block(config, "idc").cidr = net.cidr ?? "10.0.0.0/16";
                break;
            }
            case "huge": {
                const n = m.n;
                const list = <T>(f: (j: number) => T) => Array.from({ length: n }, (_, j) => f(j));
                if (m.which === "cidrs")
                    block(config, "endpoints").onPremisesCidrs = list(
                        (j) => `172.${16 + (j >> 8)}.${j & 255}.0/24`,
                    );
                if (m.which === "names")
                    block(config, "repositories").names = list((j) => `app-${j}`);
                if (m.which === "users")
                    block(config, "developers").users = list((j) => `user${j}`);
                if (m.which === "accounts")
                    block(config, "endpoints").registryAccounts = list((j) =>
                        String(200000000000 + j),
                    );
                if (m.which === "patterns") {
                    const repos = block(config, "repositories");
                    repos.names ??= ["app"];
                    repos.lifecycle = { releaseTagPatterns: list((j) => `r${j}-*`) };
                }
                break;
            }
            case "secret":
                config[`${P}:nlpApiKey`] = "plain-text-key";
                break;
            case "yaml":
                textOps.push(m);
                break;
            case "name":
                name = m.name.replace("gen", `gen${i}`);
                break;
        }
    }
    let lines = YAML.stringify({ config }).split("\n");
    for (const op of textOps) {
        const at = 1 + (op.at % Math.max(1, lines.length - 2));
        const line = lines[at] ?? "";
        if (op.op === "tab") lines[at] = line.replace(/^ {2}/, "\t");
        if (op.op === "unclose") lines[at] = `${line} [unclosed`;
        if (op.op === "dupline") lines.splice(at, 0, line);
        if (op.op === "colon") lines[at] = line.replace(": ", " ");
        if (op.op === "quote") lines[at] = line.replace(": ", ': "');
        if (op.op === "docsep") lines.splice(at, 0, "---");
    }
    lines = lines.map((l) => l);
    return { name, text: lines.join("\n"), kinds: mutations.map((m) => m.kind) };
}

// ---------------------------------------------------------------------------

describe("property: generated and broken stack files end in exit 0 or 2, never in a stack trace", function () {
    this.timeout(300_000);
    let dir: string;
    const accepted: string[] = [];
    const refused: string[] = [];
    const kinds = new Set<string>();

    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "property-stacks-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it(`checks ${RUNS} stack files in-process: accepted, or refused naming the file and the key`, () => {
        let i = 0;
        fc.assert(
            fc.property(stack, fc.array(mutation, { maxLength: 3 }), (config, mutations) => {
                const { name, text, kinds: used } = render(structuredClone(config), mutations, i++);
                used.forEach((k) => kinds.add(k));
                const file = path.join(dir, name);
                fs.writeFileSync(file, text);
                try {
                    checkStackFile(file, ROOT);
                    accepted.push(file);
                } catch (e) {
                    // Anything but a user error would be exit 3: fail with the trace.
                    if (!(e instanceof UserError)) throw e;
                    const message = e.message;
                    expect(message, message).to.not.match(STACK_TRACE);
                    expect(message, message).to.contain(path.basename(file));
                    if (e instanceof PlanConfigError) {
                        expect(e.issues.length, message).to.be.greaterThan(0);
                        for (const issue of e.issues) {
                            expect(issue.key, message).to.match(/^[\w.-]+:[\w.[\]-]*/);
                            expect(message).to.contain(`${issue.key}: `);
                        }
                    }
                    refused.push(file);
                }
            }),
            { numRuns: RUNS },
        );
        expect(accepted.length + refused.length).to.be.at.least(RUNS);
        // Both outcomes are common, and every kind of breakage was tried.
        expect(accepted.length, "accepted").to.be.greaterThan(RUNS / 10);
        expect(refused.length, "refused").to.be.greaterThan(RUNS / 4);
        expect([...kinds].sort()).to.deep.equal(
            [
                "delete",
                "huge",
                "name",
                "number",
                "overlap",
                "secret",
                "type",
                "unknownKey",
                "yaml",
            ].sort(),
        );
    });

    it("plans a sample in full with npm start: exit 0, 1 or 2, no stack trace, nothing written for refused stacks", function () {
        this.timeout(180_000);
        const sampleDir = fs.mkdtempSync(path.join(os.tmpdir(), "property-sample-"));
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "property-out-"));
        try {
            // Mostly accepted ones, so that the program really runs; some refused ones.
            const validName = (f: string) => /^Pulumi\.gen\d+\.yaml$/.test(path.basename(f));
            const sample = [
                ...accepted
                    .filter(validName)
                    .filter((_, j) => j % Math.ceil(accepted.length / 10) === 0),
                ...refused.filter(validName).slice(0, 4),
            ];
            for (const f of sample) fs.copyFileSync(f, path.join(sampleDir, path.basename(f)));
            const res = spawnSync(
                process.execPath,
                [
                    "-r",
                    path.join(ROOT, "tools/register.js"),
                    path.join(ROOT, "tools/planAll.ts"),
                    "--dir",
                    sampleDir,
                    "--out",
                    out,
                ],
                { cwd: ROOT, encoding: "utf8", timeout: 170_000, maxBuffer: 64 * 1024 * 1024 },
            );
            expect([0, 1, 2], res.stderr).to.include(res.status);
            expect(res.stderr).to.not.match(STACK_TRACE);
            const written = fs.readdirSync(out);
            const stackOf = (f: string) => /^Pulumi\.(.+)\.yaml$/.exec(path.basename(f))?.[1];
            const refusedStacks = refused.map(stackOf).filter((s) => s !== undefined);
            for (const stackName of written)
                expect(refusedStacks, stackName).to.not.include(stackName);
            // A stack that passed the check but was not written was refused while the program
            // ran (the vendor contract): it must be named on stderr.
            for (const f of sample) {
                if (!written.includes(stackOf(f)!))
                    expect(res.stderr, f).to.contain(path.basename(f));
            }
            expect(written.length, res.stdout + res.stderr).to.be.greaterThan(0);
        } finally {
            fs.rmSync(sampleDir, { recursive: true, force: true });
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});
