import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    COLLAPSE_REPOSITORIES,
    MAX_NAMESPACE_NODES,
    architectureMarkdown,
    buildArchitecture,
    mermaidId,
    renderDot,
    renderMermaid,
    renderSvg,
} from "../../src/report/diagram";
import type { Plan } from "../../src/report/plan";
import { planStack } from "../../tools/plan";

const fixture = (name: string): Plan =>
    JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/plans", `${name}.json`), "utf8"));
const opts = { region: "us-east-1" };

const ID = /^[A-Za-z][A-Za-z0-9_]*$/;
const RESERVED = new Set([
    "end",
    "subgraph",
    "graph",
    "flowchart",
    "style",
    "classDef",
    "class",
    "click",
    "linkStyle",
    "direction",
    "default",
]);
const LABEL = '"[^"]*"';
const NODE = new RegExp(
    `^(\\S+?)(\\[${LABEL}\\]|\\(\\[${LABEL}\\]\\)|\\{\\{${LABEL}\\}\\}|\\[\\(${LABEL}\\)\\])$`,
);
const SUBGRAPH = new RegExp(`^subgraph (\\S+?)\\[${LABEL}\\]$`);
const EDGE = new RegExp(`^(\\S+) (-->|-\\.->)(\\|${LABEL}\\|)? (\\S+)$`);

/** A structural check of the Mermaid we emit: header, balanced subgraphs, valid unique ids, declared edge ends. */
function mermaidProblems(text: string): string[] {
    const problems: string[] = [];
    const lines = text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "");
    if (!/^flowchart (LR|TB|TD|RL|BT)$/.test(lines[0] ?? ""))
        problems.push(`bad header: ${lines[0]}`);
    const declared = new Set<string>();
    const declare = (id: string) => {
        if (!ID.test(id) || RESERVED.has(id)) problems.push(`invalid id: ${id}`);
        if (declared.has(id)) problems.push(`duplicate id: ${id}`);
        declared.add(id);
    };
    const edges: [string, string][] = [];
    let depth = 0;
    for (const line of lines.slice(1)) {
        let m: RegExpExecArray | null;
        if (line === "end") {
            if (--depth < 0) problems.push("`end` without `subgraph`");
        } else if ((m = SUBGRAPH.exec(line))) {
            declare(m[1]);
            depth++;
        } else if ((m = EDGE.exec(line))) {
            edges.push([m[1], m[4]]);
        } else if ((m = NODE.exec(line))) {
            declare(m[1]);
        } else {
            problems.push(`unparsed line: ${line}`);
        }
    }
    if (depth !== 0) problems.push(`${depth} subgraph(s) not closed`);
    for (const [a, b] of edges)
        for (const id of [a, b]) if (!declared.has(id)) problems.push(`edge to undeclared ${id}`);
    if (edges.length === 0) problems.push("no edges");
    return problems;
}

describe("architecture model", () => {
    it("draws every endpoint, zone, repository, VPC and peering connection of the plan", () => {
        for (const name of ["customer-small", "idc-sim-small"]) {
            const plan = fixture(name);
            const arch = buildArchitecture(plan, opts);
            const drawn = new Set<string>();
            const walk = (g: (typeof arch.groups)[number]) => {
                g.nodes.forEach((n) => n.urn && drawn.add(n.urn));
                g.groups.forEach(walk);
            };
            arch.groups.forEach(walk);
            const promised = plan.resources.filter((r) =>
                [
                    "aws:ec2/vpc:Vpc",
                    "aws:ec2/vpcEndpoint:VpcEndpoint",
                    "aws:route53/zone:Zone",
                    "aws:ecr/repository:Repository",
                    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
                    "aws:route53/resolverEndpoint:ResolverEndpoint",
                    "aws:ecs/service:Service",
                    "aws:ec2/instance:Instance",
                ].includes(r.type),
            );
            expect(promised.length, name).to.be.greaterThan(4);
            for (const r of promised) expect(drawn.has(r.urn), `${name}: ${r.urn}`).to.equal(true);
        }
    });

    it("shows the private pull path of the customer stack", () => {
        const plan = fixture("customer-small");
        const arch = buildArchitecture(plan, opts);
        const urn = (name: string) => plan.resources.find((r) => r.name === name)!.urn;
        const has = (from: string, to: string, label: string) =>
            expect(arch.edges, `${from} -> ${to}`).to.deep.include({
                from,
                to,
                label,
                dashed: undefined,
            });
        const svc = urn("nlp-service");
        has(svc, urn("customer-dns-dkr"), "DNS");
        has(urn("customer-dns-dkr"), urn("customer-endpoints-dkr"), "CNAME");
        has(svc, urn("customer-endpoints-dkr"), "HTTPS 443");
        has(urn("customer-endpoints-dkr"), "aws:ecr:us-east-1", "PrivateLink");
        has(svc, urn("customer-endpoints-s3"), "layers");
        has(urn("customer-endpoints-s3"), "aws:s3layer:us-east-1", "layers");
        expect(arch.omitted).to.be.greaterThan(0);
    });

    it("groups the idc-sim stack by region, VPC and component, with the inter-region peering", () => {
        const plan = fixture("idc-sim-small");
        const arch = buildArchitecture(plan, opts);
        expect(arch.groups.map((g) => g.label)).to.deep.equal(["us-east-1", "eu-west-1"]);
        const west = arch.groups[1];
        expect(west.groups.map((g) => g.label)).to.deep.equal(["VPC idc-vpc"]);
        expect(west.groups[0].groups.map((g) => g.label)).to.deep.equal(["SimulatedIdc idc"]);
        const urn = (name: string, type: string) =>
            plan.resources.find((r) => r.name === name && r.type === type)!.urn;
        const pcx = urn("idc-peering", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection");
        expect(arch.edges).to.deep.include({
            from: urn("cloud-vpc", "aws:ec2/vpc:Vpc"),
            to: pcx,
            label: "requester",
            dashed: undefined,
        });
        expect(arch.edges).to.deep.include({
            from: pcx,
            to: urn("idc-vpc", "aws:ec2/vpc:Vpc"),
            label: "inter-region",
            dashed: undefined,
        });
        // Record values lead from each zone to its endpoint; on-premises DNS forwards to the Resolver.
        const zoneApi = urn("idc-dns-api", "aws:route53/zone:Zone");
        expect(arch.edges).to.deep.include({
            from: zoneApi,
            to: urn("cloud-endpoints-api", "aws:ec2/vpcEndpoint:VpcEndpoint"),
            label: "CNAME",
            dashed: undefined,
        });
        const host = urn("idc-dev-host", "aws:ec2/instance:Instance");
        expect(arch.edges).to.deep.include({
            from: host,
            to: zoneApi,
            label: "DNS",
            dashed: undefined,
        });
        expect(arch.nodes.map((n) => n.key)).to.deep.equal(["onprem:dns"]);
        // The IDC's own S3 endpoint is scoped to package buckets: not drawn as the layer bucket.
        const pkg = urn("idc-packages", "aws:ec2/vpcEndpoint:VpcEndpoint");
        expect(arch.edges).to.deep.include({
            from: pkg,
            to: "aws:s3:eu-west-1",
            label: "S3",
            dashed: undefined,
        });
        expect(arch.edges).to.deep.include({ from: host, to: pkg, label: "S3", dashed: undefined });
        expect(arch.edges.some((e) => e.to === "aws:s3layer:eu-west-1")).to.equal(false);
    });

    it("idc-sim: the IDC host downloads layers through the S3 interface endpoint its zone names", async function () {
        this.timeout(60_000);
        const plan = await planStack({
            stackFile: path.join(__dirname, "../../Pulumi.idc-sim.yaml"),
            stackOutputs: {},
        });
        const arch = buildArchitecture(plan, { region: "ap-southeast-1" });
        const urn = (name: string, type = "aws:ec2/vpcEndpoint:VpcEndpoint") =>
            plan.resources.find((r) => r.name === name && r.type === type)!.urn;
        const host = urn("idc-host", "aws:ec2/instance:Instance");
        const s3Interface = urn("endpoints-s3-interface");
        const edgesFrom = (from: string) =>
            arch.edges.filter((e) => e.from === from).map((e) => [e.to, e.label]);
        expect(edgesFrom(host)).to.deep.include([s3Interface, "layers"]);
        // The cloud VPC's own gateway stays out of the IDC host's path.
        expect(edgesFrom(host).map(([to]) => to)).to.not.include(urn("endpoints-s3"));
        expect(edgesFrom(urn("ecr-dns-s3-layers", "aws:route53/zone:Zone"))).to.deep.equal([
            [s3Interface, "alias"],
        ]);
        expect(edgesFrom(s3Interface)).to.deep.equal([["aws:s3layer:ap-southeast-1", "layers"]]);

        // The pull-through cache: in the cloud region, filled from its upstreams on a first pull.
        const rule = (prefix: string) =>
            plan.resources.find(
                (r) =>
                    r.type === "aws:ecr/pullThroughCacheRule:PullThroughCacheRule" &&
                    r.inputs.ecrRepositoryPrefix === prefix,
            )!.urn;
        const cloud = arch.groups.find((g) => g.label === "ap-southeast-1")!;
        const flat = (g: typeof cloud): string[][] => [
            ...g.nodes.map((n) => n.lines),
            ...g.groups.flatMap(flat),
        ];
        expect(flat(cloud)).to.deep.include.members([
            ["pull-through cache docker-hub/", "from registry-1.docker.io (credential)"],
            ["pull-through cache ecr-public/", "from public.ecr.aws"],
        ]);
        expect(arch.nodes.map((n) => n.lines)).to.deep.include.members([
            ["upstream registry-1.docker.io", "internet"],
            ["upstream public.ecr.aws", "internet"],
        ]);
        expect(edgesFrom("aws:ecr:ap-southeast-1")).to.deep.include.members([
            [rule("docker-hub"), "caches"],
            [rule("ecr-public"), "caches"],
        ]);
        expect(edgesFrom(rule("docker-hub"))).to.deep.equal([
            ["upstream:registry-1.docker.io", "first pull (warm-up)"],
        ]);
        expect(mermaidProblems(renderMermaid(plan, { region: "ap-southeast-1" }))).to.deep.equal(
            [],
        );
    });
});

describe("renderMermaid", () => {
    for (const name of ["customer-small", "idc-sim-small"]) {
        it(`passes the structural check for ${name}`, () => {
            const text = renderMermaid(fixture(name), opts);
            expect(mermaidProblems(text)).to.deep.equal([]);
        });
    }

    it("names what the picture promises", () => {
        const text = renderMermaid(fixture("idc-sim-small"), opts);
        for (const s of [
            "ecr.api endpoint",
            "ecr.dkr endpoint",
            "s3 endpoint",
            "zone ecr.us-east-1.amazonaws.com",
            "zone dkr.ecr.us-east-1.amazonaws.com",
            "VPC cloud-vpc",
            "VPC idc-vpc",
            "VPC peering",
            "prod-us-east-1-starport-layer-bucket",
            "on-premises DNS",
            "subgraph g",
        ]) {
            expect(text).to.include(s);
        }
        expect(renderMermaid(fixture("customer-small"), opts)).to.include(
            "repository nlp/prose-app",
        );
    });

    it("sanitizes ids and escapes labels from hostile names", () => {
        const plan = fixture("customer-small");
        for (const r of plan.resources) {
            if (r.type === "aws:ec2/vpc:Vpc" || r.type === "aws:ecs/service:Service")
                r.name = 'end "x" <b>[a]|b;#';
            if (r.type.startsWith("ecr-private-access:")) r.name = "end";
        }
        plan.resources.find((r) => r.type === "aws:ecr/repository:Repository")!.inputs.name =
            'o"--> x{{y}}';
        const text = renderMermaid(plan, opts);
        expect(mermaidProblems(text)).to.deep.equal([]);
        expect(text).to.include("VPC end #quot;x#quot; #lt;b#gt;[a]|b;#35;");
    });

    it("makes ids that start with a letter and hold only [A-Za-z0-9_]", () => {
        expect(mermaidId("n", 3, "end")).to.equal("n3_end");
        expect(mermaidId("g", 1, "us-east-1")).to.equal("g1_us_east_1");
        expect(mermaidId("n", 7, '"--> ')).to.equal("n7");
    });
});

describe("renderDot / renderSvg / architectureMarkdown", () => {
    const hasDot = !spawnSync("dot", ["-V"]).error;

    it("renders SVG with Graphviz when dot is installed", function () {
        if (!hasDot) this.skip();
        const dot = renderDot(fixture("idc-sim-small"), opts);
        expect(dot).to.match(/^digraph architecture \{/);
        expect(dot).to.include('subgraph "cluster_');
        const svg = renderSvg(dot)!;
        expect(svg.startsWith("<?xml")).to.equal(true);
        expect(svg).to.include("<svg");
        expect(svg).to.include("ecr.dkr endpoint");
    });

    it("reports Graphviz's error for bad input", function () {
        if (!hasDot) this.skip();
        expect(() => renderSvg("digraph {")).to.throw(/dot -Tsvg failed/);
    });

    it("returns undefined when dot is missing", () => {
        const saved = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            expect(renderSvg("digraph { a }")).to.equal(undefined);
        } finally {
            process.env.PATH = saved;
        }
    });

    it("wraps the Mermaid picture in a Markdown file", () => {
        const plan = fixture("customer-small");
        const md = architectureMarkdown(plan, opts);
        expect(md).to.match(/^# Architecture: ecr-private-access \/ customer\n/);
        expect(md).to.include("```mermaid\n" + renderMermaid(plan, opts));
        expect(md).to.match(/\n```\n/);
        expect(md).to.match(/\d+ further resources/);
    });
});

describe("large stacks: repositories drawn per namespace", () => {
    const STACK = "urn:pulumi:big::ecr-private-access::pulumi:pulumi:Stack::ecr-private-access-big";
    /** A vendor-like plan: one SharedRepository component with its Repository per name. */
    const repoPlan = (names: string[], region?: string): Plan => ({
        project: "ecr-private-access",
        stack: "big",
        resources: names.flatMap((name, i) => {
            const comp = `urn:pulumi:big::ecr-private-access::ecr-private-access:ecr:SharedRepository::repo-${i}`;
            return [
                {
                    urn: comp,
                    id: "",
                    type: "ecr-private-access:ecr:SharedRepository",
                    name: `repo-${i}`,
                    parent: STACK,
                    inputs: {},
                    outputs: {},
                    dependencies: [],
                    propertyDependencies: {},
                },
                {
                    urn: `urn:pulumi:big::ecr-private-access::ecr-private-access:ecr:SharedRepository$aws:ecr/repository:Repository::repo-${i}`,
                    id: name,
                    type: "aws:ecr/repository:Repository",
                    name: `repo-${i}`,
                    parent: comp,
                    inputs: {
                        name,
                        imageTagMutability: "IMMUTABLE",
                        ...(region ? { region } : {}),
                    },
                    outputs: { arn: `arn:aws:ecr:us-east-1:111122223333:repository/${name}` },
                    dependencies: [],
                    propertyDependencies: {},
                },
            ];
        }),
        outputs: {},
        violations: [],
    });
    const names = (count: number, namespaces: number) =>
        Array.from({ length: count }, (_, i) => `team-${i % namespaces}/app-${i}`);
    const allNodes = (arch: ReturnType<typeof buildArchitecture>) => {
        const out: (typeof arch.nodes)[number][] = [...arch.nodes];
        const walk = (g: (typeof arch.groups)[number]) => {
            out.push(...g.nodes);
            g.groups.forEach(walk);
        };
        arch.groups.forEach(walk);
        return out;
    };
    const repoNodes = (arch: ReturnType<typeof buildArchitecture>) =>
        allNodes(arch).filter((n) => n.shape === "cylinder" && !n.key.startsWith("aws:"));

    it(`draws up to ${COLLAPSE_REPOSITORIES} repositories one by one, as before`, () => {
        const plan = repoPlan(names(COLLAPSE_REPOSITORIES, 3));
        const nodes = repoNodes(buildArchitecture(plan, opts));
        expect(nodes.map((n) => n.lines[0])).to.deep.equal(
            plan.resources
                .filter((r) => r.type === "aws:ecr/repository:Repository")
                .map((r) => `repository ${String(r.inputs.name)}`),
        );
        expect(nodes.every((n) => n.urn && !n.urns)).to.equal(true);
    });

    it("draws one node per namespace above that, covering every repository once", () => {
        const list = [...names(COLLAPSE_REPOSITORIES + 1 - 2, 4), "top-a", "top-b"];
        const plan = repoPlan(list);
        const arch = buildArchitecture(plan, opts);
        const nodes = repoNodes(arch);
        expect(nodes.map((n) => n.lines)).to.deep.equal([
            ["Repository x3", "team-0/*", "tags immutable"],
            ["Repository x3", "team-1/*", "tags immutable"],
            ["Repository x3", "team-2/*", "tags immutable"],
            ["Repository x2", "no namespace", "tags immutable"],
            ["Repository x2", "team-3/*", "tags immutable"],
        ]);
        const repos = plan.resources.filter((r) => r.type === "aws:ecr/repository:Repository");
        const covered = nodes.flatMap((n) => n.urns ?? []);
        expect([...covered].sort()).to.deep.equal(repos.map((r) => r.urn).sort());
        expect(arch.groups[0].groups.map((g) => g.label)).to.deep.equal(["SharedRepository x13"]);
        for (const n of nodes)
            expect(arch.edges).to.deep.include({
                from: "aws:ecr:us-east-1",
                to: n.key,
                label: "stores",
                dashed: true,
            });
        expect(mermaidProblems(renderMermaid(plan, opts))).to.deep.equal([]);
    });

    it(`shows at most ${MAX_NAMESPACE_NODES} namespaces per region, the smallest merged`, () => {
        // 30 namespaces: team-0..9 hold 3 repositories each, team-10..29 two each.
        const list = Array.from({ length: 70 }, (_, i) => `team-${i % 30}/app-${i}`);
        const nodes = repoNodes(buildArchitecture(repoPlan(list), opts));
        expect(nodes).to.have.length(MAX_NAMESPACE_NODES);
        expect(nodes.slice(0, 10).map((n) => n.lines[0])).to.deep.equal(
            Array(10).fill("Repository x3"),
        );
        expect(nodes[9].lines[1]).to.equal("team-9/*");
        expect(nodes[10].lines[1]).to.equal("team-10/*");
        const rest = 30 - (MAX_NAMESPACE_NODES - 1);
        expect(nodes[MAX_NAMESPACE_NODES - 1].lines).to.deep.equal([
            `Repository x${rest * 2}`,
            `${rest} more namespaces`,
            "tags immutable",
        ]);
        expect(nodes.reduce((sum, n) => sum + (n.urns?.length ?? 0), 0)).to.equal(70);
    });

    it("keeps the picture the same size from 400 to 4,000 repositories", () => {
        const small = repoPlan(names(400, 40));
        const large = repoPlan(names(4000, 40));
        const lines = (text: string) => text.split("\n").length;
        expect(lines(renderMermaid(large, opts))).to.equal(lines(renderMermaid(small, opts)));
        expect(lines(renderDot(large, opts))).to.equal(lines(renderDot(small, opts)));
        expect(renderMermaid(large, opts)).to.include("SharedRepository x4000");
        expect(renderMermaid(large, opts)).to.include("Repository x100");
        expect(mermaidProblems(renderMermaid(large, opts))).to.deep.equal([]);
    });

    it("collapses per region: a small region's repositories stay one by one", () => {
        const plan = repoPlan(names(40, 4));
        const west = repoPlan(["solo/app"], "eu-west-1").resources.map((r) => ({
            ...r,
            urn: `${r.urn}-west`,
            parent: r.parent === STACK ? STACK : `${r.parent}-west`,
        }));
        plan.resources.push(...west);
        const arch = buildArchitecture(plan, opts);
        const westGroup = arch.groups.find((g) => g.label === "eu-west-1")!;
        const westRepos = allNodes({ ...arch, groups: [westGroup], nodes: [] }).filter(
            (n) => n.shape === "cylinder" && n.urn,
        );
        expect(westRepos.map((n) => n.lines[0])).to.deep.equal(["repository solo/app"]);
        expect(repoNodes(arch).filter((n) => n.urns)).to.have.length(4);
    });
});
