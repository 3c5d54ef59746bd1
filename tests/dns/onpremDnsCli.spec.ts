/**
 * `npm run onprem-dns`: the data centre hand-off rendered from a deployed
 * stack's outputs (`pulumi stack output --json`), and the mock cloud's
 * Resolver inbound addresses, which must lie inside their subnets.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as ipaddr from "ipaddr.js";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { layerBucketRecord, onPremRecordSet } from "../../src/dns/records";
import { main } from "../../tools/onpremDns";
import { addressInSubnet } from "../../tools/mockCloud";
import { run } from "../helpers/run";

const R = "ap-southeast-1";
const API = "vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.ap-southeast-1.vpce.amazonaws.com";
const DKR = "vpce-0424acc787dd05730-ypo3xc68.dkr.ecr.ap-southeast-1.vpce.amazonaws.com";
const S3 = "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";

/** What `pulumi stack output --json` prints for a deployed idc-sim-like stack. */
function deployedOutputs(layout?: "exact" | "seed"): Record<string, unknown> {
    return {
        accountId: "777788889999",
        region: R,
        ecrApiDnsName: API,
        ecrDkrDnsName: DKR,
        onPremDns: {
            region: R,
            ...(layout ? { layout } : {}),
            records: [
                ...onPremRecordSet({ region: R, apiDnsName: API, dkrDnsName: DKR }, 60),
                layerBucketRecord(R, S3, 60).onPrem,
            ],
            resolverIps: ["10.0.1.10", "10.0.2.11"],
        },
    };
}

function walk(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) =>
            e.isDirectory() ? walk(path.join(dir, e.name)).map((p) => `${e.name}/${p}`) : [e.name],
        )
        .sort();
}

describe("onprem-dns CLI (from a deployed stack's outputs)", () => {
    let work: string;
    beforeEach(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-dns-cli-"));
    });
    afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

    const cli = async (argv: string[], stdin?: string) => {
        let out = "";
        let err = "";
        const code = await main(argv, {
            cwd: work,
            stdin: stdin === undefined ? undefined : Readable.from([stdin]),
            stdout: (s) => (out += s),
            stderr: (s) => (err += s),
        });
        return { code, out, err };
    };

    it("writes the same files as the plan, with the real names and no example notice", async () => {
        fs.writeFileSync(path.join(work, "outputs.json"), JSON.stringify(deployedOutputs("seed")));
        const r = await cli(["--outputs", "outputs.json", "--out", "dc"]);
        expect(r.code, r.err).to.equal(0);
        expect(r.out).to.equal(
            "onprem-dns: wrote 18 files under dc (onprem-dns/, onprem-proxy/)\n",
        );
        expect(walk(path.join(work, "dc"))).to.deep.equal([
            "onprem-dns/README.md",
            "onprem-dns/bind/ecr.ap-southeast-1.amazonaws.com.zone",
            "onprem-dns/bind/named.conf.ecr",
            "onprem-dns/bind/named.conf.options.ecr",
            "onprem-dns/bind/rpz.ecr-private-access.zone",
            "onprem-dns/coredns/Corefile",
            "onprem-dns/dnsmasq/ecr.conf",
            "onprem-dns/forwarders/Corefile",
            "onprem-dns/forwarders/bind-named.conf.ecr",
            "onprem-dns/forwarders/dnsmasq-ecr.conf",
            "onprem-dns/forwarders/unbound-ecr.conf",
            "onprem-dns/forwarders/windows-ecr-forwarders.ps1",
            "onprem-dns/unbound/ecr.conf",
            "onprem-dns/windows/ecr-dns.ps1",
            "onprem-proxy/README.md",
            "onprem-proxy/haproxy/haproxy.cfg",
            "onprem-proxy/hosts",
            "onprem-proxy/nginx/ecr-sni-stream.conf",
        ]);
        const zone = fs.readFileSync(
            path.join(work, "dc/onprem-dns/bind/ecr.ap-southeast-1.amazonaws.com.zone"),
            "utf8",
        );
        expect(zone.split("\n")[0]).to.equal(
            "; Rendered from a deployed stack's outputs (pulumi stack output --json).",
        );
        expect(zone).to.contain(`api      ${" ".repeat(4)}60 IN CNAME ${API}.`);
        for (const f of walk(path.join(work, "dc")))
            expect(fs.readFileSync(path.join(work, "dc", f), "utf8"), f).to.not.contain(
                "EXAMPLE VALUES",
            );
        expect(fs.readFileSync(path.join(work, "dc/onprem-proxy/hosts"), "utf8")).to.contain(
            `PROXY_IP 777788889999.dkr.ecr.${R}.amazonaws.com`,
        );
    });

    it("reads stdin with --outputs -, replaces an earlier bundle, takes the layout from the outputs", async () => {
        fs.mkdirSync(path.join(work, "out/deployed/onprem-dns/bind"), { recursive: true });
        fs.writeFileSync(path.join(work, "out/deployed/onprem-dns/bind/stale.zone"), "x");
        const r = await cli(["--outputs", "-"], JSON.stringify(deployedOutputs("exact")));
        expect(r.code, r.err).to.equal(0);
        const files = walk(path.join(work, "out/deployed/onprem-dns"));
        expect(files).to.not.include("bind/stale.zone");
        expect(files.filter((f) => f.startsWith("bind/"))).to.deep.equal([
            "bind/named.conf.ecr",
            "bind/named.conf.options.ecr",
            "bind/rpz.ecr-private-access.zone",
        ]);
        expect(r.err).to.equal("");
    });

    it("outputs without a layout (an older deployment): warns, uses exact; --layout overrides", async () => {
        fs.writeFileSync(path.join(work, "o.json"), JSON.stringify(deployedOutputs()));
        const r = await cli(["--outputs", "o.json"]);
        expect(r.code).to.equal(0);
        expect(r.err).to.match(
            /^onprem-dns: onPremDns has no layout .* using exact, pass --layout seed/,
        );
        const seed = await cli(["--outputs", "o.json", "--layout", "seed", "--out", "s"]);
        expect(seed.code).to.equal(0);
        expect(walk(path.join(work, "s/onprem-dns"))).to.include(
            "bind/ecr.ap-southeast-1.amazonaws.com.zone",
        );
    });

    const bad: [string[], string | undefined, string][] = [
        [[], undefined, "onprem-dns: --outputs is required"],
        [["--outputs"], undefined, "onprem-dns: --outputs needs a value"],
        [
            ["--outputs", "nope.json"],
            undefined,
            'onprem-dns: --outputs: cannot read "nope.json": ENOENT',
        ],
        [["--outputs", "-"], "{not json", "onprem-dns: --outputs: not JSON"],
        [["--outputs", "-"], "[]", "onprem-dns: --outputs: expected the JSON object"],
        [["--outputs", "-"], '{"region":"x"}', "onprem-dns: --outputs: no onPremDns output"],
        [
            ["--outputs", "-"],
            JSON.stringify({ onPremDns: { region: R, layout: "exact", records: [{ name: "x" }] } }),
            "onprem-dns: --outputs: onPremDns: ",
        ],
        [
            ["--outputs", "-", "--layout", "flat"],
            "{}",
            'onprem-dns: --layout must be exact or seed, got "flat"',
        ],
        [["--outputs", "-", "--stack", "x"], "{}", "onprem-dns: unknown option --stack"],
    ];
    for (const [argv, stdin, message] of bad) {
        it(`exits 2 naming the flag: ${JSON.stringify(argv)} ${stdin ?? ""}`, async () => {
            const r = await cli(argv, stdin);
            expect(r.code).to.equal(2);
            expect(r.err.split("\n")[0].startsWith(message), r.err).to.equal(true);
            expect(r.err).to.contain("usage: npm run onprem-dns -- --outputs <file|->");
            expect(fs.existsSync(path.join(work, "out"))).to.equal(false);
        });
    }

    it("runs as a process: pulumi stack output --json piped in", async () => {
        const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
            const child = execFile(
                process.execPath,
                [
                    "-r",
                    "./tools/register.js",
                    "tools/onpremDns.ts",
                    "--outputs",
                    "-",
                    "--out",
                    work,
                ],
                { timeout: 30000 },
                (err, out) =>
                    resolve({
                        code: err ? Number((err as { code?: number }).code) : 0,
                        stdout: out,
                    }),
            );
            child.stdin!.end(JSON.stringify(deployedOutputs("exact")));
        });
        expect(code).to.equal(0);
        expect(stdout).to.match(/^onprem-dns: wrote 17 files under /);
        expect(fs.existsSync(path.join(work, "onprem-proxy/haproxy/haproxy.cfg"))).to.equal(true);
    });
});

describe("mock cloud: Resolver inbound addresses lie inside their subnets", () => {
    it("each address is inside the CIDR of the subnet it was placed in", async () => {
        const r = await run(() => {
            const vpc = new aws.ec2.Vpc("v", { cidrBlock: "10.0.0.0/16" });
            const subnets = ["10.0.1.0/24", "10.0.2.0/24"].map(
                (cidrBlock, i) => new aws.ec2.Subnet(`s${i}`, { vpcId: vpc.id, cidrBlock }),
            );
            new aws.route53.ResolverEndpoint("in", {
                direction: "INBOUND",
                securityGroupIds: ["sg-1"],
                ipAddresses: subnets.map((s) => ({ subnetId: s.id })),
            });
        });
        const subnets = r.ofType("aws:ec2/subnet:Subnet");
        const ep = r.one("aws:route53/resolverEndpoint:ResolverEndpoint");
        const ips = ep.outputs.ipAddresses as { subnetId: string; ip: string }[];
        expect(ips).to.have.length(2);
        for (const a of ips) {
            const subnet = subnets.find((s) => s.id === a.subnetId)!;
            const cidr = ipaddr.parseCIDR(String(subnet.inputs.cidrBlock));
            expect(
                ipaddr.parse(a.ip).match(cidr),
                `${a.ip} in ${subnet.inputs.cidrBlock}`,
            ).to.equal(true);
        }
        expect(ips.map((a) => a.ip)).to.deep.equal(["10.0.1.10", "10.0.2.11"]);
    });
    it("addressInSubnet skips the addresses AWS reserves", () => {
        expect(addressInSubnet("10.0.16.0/20", 4)).to.equal("10.0.16.4");
        expect(addressInSubnet("10.0.16.0/20", 300)).to.equal("10.0.17.44");
        expect(() => addressInSubnet("10.0.1.0/28", 3)).to.throw("outside");
        expect(() => addressInSubnet("10.0.1.0/28", 15)).to.throw("outside");
    });
});
