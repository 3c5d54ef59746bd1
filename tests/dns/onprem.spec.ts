import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
    RPZ_ZONE,
    renderBindNamedConf,
    renderBindRpz,
    renderBindZone,
    renderConditionalForwarders,
    renderCoreDns,
    renderDnsmasq,
    renderOnPremDns,
    renderUnbound,
    renderWindowsDns,
} from "../../src/dns/onprem";
import { ecrRecordSet, layerBucketRecord, onPremRecordSet } from "../../src/dns/records";
import { haveTool, run, tempDirWith } from "../helpers/dnsServers";

const R = "ap-southeast-1";
const API = "vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.ap-southeast-1.vpce.amazonaws.com";
const DKR = "vpce-0424acc787dd05730-ypo3xc68.dkr.ecr.ap-southeast-1.vpce.amazonaws.com";
const names = { region: R, apiDnsName: API, dkrDnsName: DKR };
const ZONE = "ecr.ap-southeast-1.amazonaws.com";
const onprem = onPremRecordSet(names, 300);

describe("dns/onprem renderers", () => {
    const dirs: string[] = [];
    const tmp = (files: Record<string, string>) => {
        const d = tempDirWith(files);
        dirs.push(d);
        return d;
    };
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    describe("renderBindZone", () => {
        it("renders SOA, NS placeholder, $TTL and the three CNAMEs", () => {
            const z = renderBindZone(ZONE, onprem);
            expect(z).to.contain(`$ORIGIN ${ZONE}.\n$TTL 300\n`);
            expect(z).to.contain(
                "@ IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 1209600 300 )",
            );
            expect(z).to.contain("@ IN NS ns1.example.com.");
            const cnames = z
                .split("\n")
                .filter((l) => / IN CNAME /.test(l))
                .map((l) => l.split(/\s+/));
            expect(cnames).to.deep.equal([
                ["api", "300", "IN", "CNAME", `${API}.`],
                ["dkr", "300", "IN", "CNAME", `${DKR}.`],
                ["*.dkr", "300", "IN", "CNAME", `${DKR}.`],
            ]);
            expect(z).to.not.match(/\sIN\s+(A|AAAA)\s/);
        });
        it("honours nameServer, hostmaster and serial", () => {
            const z = renderBindZone(ZONE, onprem, {
                nameServer: "dns1.corp.example.",
                hostmaster: "dns.corp.example.",
                serial: 2026010101,
            });
            expect(z).to.contain("@ IN SOA dns1.corp.example. dns.corp.example. ( 2026010101 ");
        });
        it("rejects ALIAS records, apex CNAMEs, foreign zones and relative names", () => {
            const exact = ecrRecordSet(names, { layout: "exact", ttl: 60 });
            expect(() => renderBindZone("dkr.ecr.ap-southeast-1.amazonaws.com", exact)).to.throw(
                "exist only in Route 53",
            );
            const apex = [{ ...onprem[0], zone: "api.ecr.ap-southeast-1.amazonaws.com" }];
            expect(() => renderBindZone("api.ecr.ap-southeast-1.amazonaws.com", apex)).to.throw(
                "zone apex",
            );
            expect(() => renderBindZone("example.com", onprem)).to.throw(
                "no record in zone example.com",
            );
            expect(() => renderBindZone(ZONE, onprem, { nameServer: "ns1" })).to.throw("absolute");
        });
        it("passes the real named-checkzone", async function () {
            if (!haveTool("named-checkzone")) this.skip();
            const d = tmp({ "z.zone": renderBindZone(ZONE, onprem) });
            const r = await run("named-checkzone", [
                "-k",
                "fail",
                "-n",
                "fail",
                ZONE,
                path.join(d, "z.zone"),
            ]);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
            expect(r.stdout).to.contain("loaded serial 1");
        });
        it("a China-region zone passes named-checkzone too", async function () {
            if (!haveTool("named-checkzone")) this.skip();
            const cn = onPremRecordSet(
                {
                    region: "cn-north-1",
                    apiDnsName:
                        "vpce-0123456789abcdef0-abcd1234.api.ecr.cn-north-1.vpce.amazonaws.com.cn",
                    dkrDnsName:
                        "vpce-0123456789abcdef1-abcd1234.dkr.ecr.cn-north-1.vpce.amazonaws.com.cn",
                },
                60,
            );
            const d = tmp({ "cn.zone": renderBindZone("ecr.cn-north-1.amazonaws.com.cn", cn) });
            const r = await run("named-checkzone", [
                "ecr.cn-north-1.amazonaws.com.cn",
                path.join(d, "cn.zone"),
            ]);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
        });
    });

    describe("renderBindNamedConf", () => {
        it("renders zone statements", () => {
            expect(renderBindNamedConf([ZONE], { zoneFileDir: "/srv/zones/" })).to.contain(
                `zone "${ZONE}" {\n    type primary;\n    file "/srv/zones/${ZONE}.zone";\n};`,
            );
            expect(() => renderBindNamedConf([])).to.throw("`zones`");
        });
        it("passes the real named-checkconf -z with the zone file loaded", async function () {
            if (!haveTool("named-checkconf")) this.skip();
            const d = tmp({ [`${ZONE}.zone`]: renderBindZone(ZONE, onprem) });
            const conf =
                `options { directory "${d}"; };\n` +
                renderBindNamedConf([ZONE], { zoneFileDir: d });
            fs.writeFileSync(path.join(d, "named.conf"), conf);
            const r = await run("named-checkconf", ["-z", path.join(d, "named.conf")]);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
            expect(r.stdout).to.contain(`zone ${ZONE}/IN: loaded serial 1`);
        });
    });

    describe("renderUnbound", () => {
        it("uses redirect zones with the CNAME at each apex", () => {
            const u = renderUnbound(onprem);
            const body = u.split("\n").filter((l) => !l.startsWith("#") && l.trim() !== "");
            expect(body).to.deep.equal([
                "server:",
                '    local-zone: "api.ecr.ap-southeast-1.amazonaws.com." redirect',
                `    local-data: "api.ecr.ap-southeast-1.amazonaws.com. 300 IN CNAME ${API}."`,
                '    local-zone: "dkr.ecr.ap-southeast-1.amazonaws.com." redirect',
                `    local-data: "dkr.ecr.ap-southeast-1.amazonaws.com. 300 IN CNAME ${DKR}."`,
            ]);
        });
        it("accepts a Route 53 record set as well (ALIAS becomes CNAME)", () => {
            expect(renderUnbound(ecrRecordSet(names, { layout: "exact", ttl: 300 }))).to.equal(
                renderUnbound(onprem),
            );
        });
        it("passes the real unbound-checkconf", async function () {
            if (!haveTool("unbound-checkconf")) this.skip();
            const d = tmp({ "ecr.conf": renderUnbound(onprem) });
            const r = await run("unbound-checkconf", [path.join(d, "ecr.conf")]);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
        });
    });

    describe("renderDnsmasq", () => {
        it("explains the cname= limits and forwards the two domains", () => {
            const plain = renderDnsmasq(onprem);
            expect(plain).to.contain("cname= only points at names dnsmasq knows");
            expect(plain).to.contain("#server=/api.ecr.ap-southeast-1.amazonaws.com/ONPREM_DNS_IP");
            expect(plain.split("\n").filter((l) => l && !l.startsWith("#"))).to.deep.equal([]);
            const fwd = renderDnsmasq(onprem, { forwardTo: ["10.10.0.53"] });
            expect(fwd.split("\n").filter((l) => l && !l.startsWith("#"))).to.deep.equal([
                "server=/api.ecr.ap-southeast-1.amazonaws.com/10.10.0.53",
                "server=/dkr.ecr.ap-southeast-1.amazonaws.com/10.10.0.53",
            ]);
            expect(() => renderDnsmasq(onprem, { forwardTo: ["dns.corp"] })).to.throw(
                "`forwardTo`",
            );
        });
        it("passes dnsmasq --test", async function () {
            if (!haveTool("dnsmasq")) this.skip();
            for (const content of [
                renderDnsmasq(onprem),
                renderDnsmasq(onprem, { forwardTo: ["10.10.0.53", "fd00::53"] }),
            ]) {
                const d = tmp({ "ecr.conf": content });
                const r = await run("dnsmasq", ["--test", "-C", path.join(d, "ecr.conf")]);
                expect(r.code, r.stdout + r.stderr).to.equal(0);
            }
        });
    });

    describe("renderCoreDns and renderWindowsDns", () => {
        it("CoreDNS: a template block per ECR domain", () => {
            const c = renderCoreDns(onprem);
            expect(c).to.contain(
                `api.ecr.ap-southeast-1.amazonaws.com {\n    template IN ANY {\n        answer "{{ .Name }} 300 IN CNAME ${API}."\n    }`,
            );
            expect(c).to.contain(
                `dkr.ecr.ap-southeast-1.amazonaws.com {\n    template IN ANY {\n        answer "{{ .Name }} 300 IN CNAME ${DKR}."`,
            );
            // `{{$x}}` would be taken for an environment variable by the Corefile parser.
            expect(c).to.not.contain("{{$");
        });
        it("Windows: zone and three CName records", () => {
            const w = renderWindowsDns(onprem);
            expect(w).to.contain(`$zone = '${ZONE}'`);
            const adds = w
                .split("\n")
                .filter((l) => l.startsWith("Add-DnsServerResourceRecordCName"));
            expect(adds).to.deep.equal([
                `Add-DnsServerResourceRecordCName -ZoneName $zone -Name 'api' -HostNameAlias '${API}.' -TimeToLive (New-TimeSpan -Seconds 300)`,
                `Add-DnsServerResourceRecordCName -ZoneName $zone -Name 'dkr' -HostNameAlias '${DKR}.' -TimeToLive (New-TimeSpan -Seconds 300)`,
                `Add-DnsServerResourceRecordCName -ZoneName $zone -Name '*.dkr' -HostNameAlias '${DKR}.' -TimeToLive (New-TimeSpan -Seconds 300)`,
            ]);
            expect(w).to.contain(
                "Add-DnsServerPrimaryZone -Name $zone -ReplicationScope $ReplicationScope",
            );
        });
    });

    describe("renderConditionalForwarders", () => {
        const f = renderConditionalForwarders(R, ["10.0.1.10", "10.0.2.10"]);
        it("renders each server's forwarder for the two ECR domains only", () => {
            expect(f.bind).to.contain(
                'zone "api.ecr.ap-southeast-1.amazonaws.com" {\n    type forward;\n    forward only;\n    forwarders { 10.0.1.10; 10.0.2.10; };\n};',
            );
            expect(f.bind).to.contain('zone "dkr.ecr.ap-southeast-1.amazonaws.com" {');
            expect(f.unbound).to.contain(
                'forward-zone:\n    name: "dkr.ecr.ap-southeast-1.amazonaws.com."\n    forward-addr: 10.0.1.10\n    forward-addr: 10.0.2.10',
            );
            expect(f.dnsmasq.split("\n").filter((l) => l.startsWith("server="))).to.deep.equal([
                "server=/api.ecr.ap-southeast-1.amazonaws.com/10.0.1.10",
                "server=/api.ecr.ap-southeast-1.amazonaws.com/10.0.2.10",
                "server=/dkr.ecr.ap-southeast-1.amazonaws.com/10.0.1.10",
                "server=/dkr.ecr.ap-southeast-1.amazonaws.com/10.0.2.10",
            ]);
            expect(f.coredns).to.contain(
                "api.ecr.ap-southeast-1.amazonaws.com {\n    forward . 10.0.1.10 10.0.2.10",
            );
            expect(f.windows).to.contain(
                "Add-DnsServerConditionalForwarderZone -Name 'dkr.ecr.ap-southeast-1.amazonaws.com' -MasterServers $resolvers -ReplicationScope $ReplicationScope",
            );
            expect(f.windows).to.contain("$resolvers = @('10.0.1.10', '10.0.2.10')");
            for (const text of Object.values(f)) {
                expect(text).to.not.match(/["/ ]amazonaws\.com\b(?!\.cn)["/ ]/);
                expect(text).to.not.contain(`"${R}.amazonaws.com`);
            }
        });
        it("rejects empty or non-IP resolvers and a bad region", () => {
            expect(() => renderConditionalForwarders(R, [])).to.throw("`resolverIps`");
            expect(() => renderConditionalForwarders(R, ["resolver.corp"])).to.throw(
                '`resolverIps` entry "resolver.corp" is not an IP address',
            );
            expect(() => renderConditionalForwarders("mars-1", ["10.0.1.10"])).to.throw("`region`");
        });
        it("BIND and Unbound forwarders pass named-checkconf and unbound-checkconf; dnsmasq passes --test", async function () {
            if (
                !haveTool("named-checkconf") ||
                !haveTool("unbound-checkconf") ||
                !haveTool("dnsmasq")
            )
                this.skip();
            const d = tmp({
                "named.conf": f.bind,
                "unbound.conf": f.unbound,
                "dnsmasq.conf": f.dnsmasq,
            });
            for (const [bin, args] of [
                ["named-checkconf", [path.join(d, "named.conf")]],
                ["unbound-checkconf", [path.join(d, "unbound.conf")]],
                ["dnsmasq", ["--test", "-C", path.join(d, "dnsmasq.conf")]],
            ] as [string, string[]][]) {
                const r = await run(bin, args);
                expect(r.code, `${bin}: ${r.stdout}${r.stderr}`).to.equal(0);
            }
        });
    });

    describe("renderOnPremDns", () => {
        it("exact CNAME bundle (the default): a response-policy zone for BIND, no zone file", () => {
            const files = renderOnPremDns({ region: R, records: onprem });
            expect(files.map((f) => f.path)).to.deep.equal([
                "bind/named.conf.ecr",
                `bind/${RPZ_ZONE}.zone`,
                "bind/named.conf.options.ecr",
                "unbound/ecr.conf",
                "dnsmasq/ecr.conf",
                "coredns/Corefile",
                "windows/ecr-dns.ps1",
                "README.md",
            ]);
            const readme = files[files.length - 1].content;
            expect(readme).to.contain("(ap-southeast-1, exact layout)");
            expect(readme).to.contain("answers the ECR names and nothing else");
            expect(readme).to.not.contain("is a live ECR API host name");
            expect(files.find((f) => f.path === "windows/ecr-dns.ps1")!.content).to.equal(
                renderWindowsDns(onprem, { layout: "exact" }),
            );
        });
        it("seed CNAME bundle: the classic zone, the expected files, README last", () => {
            const files = renderOnPremDns({ region: R, records: onprem, layout: "seed" });
            expect(files.map((f) => f.path)).to.deep.equal([
                `bind/${ZONE}.zone`,
                "bind/named.conf.ecr",
                "unbound/ecr.conf",
                "dnsmasq/ecr.conf",
                "coredns/Corefile",
                "windows/ecr-dns.ps1",
                "README.md",
            ]);
            const readme = files[files.length - 1].content;
            expect(readme).to.contain("seed 000's minimal way");
            // The bare-name trade-off, stated once, with its source.
            expect(readme.split("is a live ECR API host name")).to.have.length(2);
            expect(readme).to.contain('AWS General Reference, "Amazon ECR endpoints and quotas"');
            expect(readme).to.contain("Route 53 Resolver inbound endpoint");
            expect(readme).to.contain("AWS-recommended");
            for (const f of files.slice(0, -1)) expect(readme).to.contain(`\`${f.path}\``);
            for (const f of files) expect(f.description).to.be.a("string").and.not.equal("");
        });
        it("accepts the Route 53 seed set and renders the same bundle", () => {
            const fromSeed = renderOnPremDns({
                region: R,
                records: ecrRecordSet(names, { layout: "seed", ttl: 300 }),
            });
            expect(fromSeed).to.deep.equal(renderOnPremDns({ region: R, records: onprem }));
        });
        it("Resolver bundle: forwarders only", () => {
            const files = renderOnPremDns({ region: R, resolverIps: ["10.0.1.10", "10.0.2.10"] });
            expect(files.map((f) => f.path)).to.deep.equal([
                "forwarders/bind-named.conf.ecr",
                "forwarders/unbound-ecr.conf",
                "forwarders/dnsmasq-ecr.conf",
                "forwarders/Corefile",
                "forwarders/windows-ecr-forwarders.ps1",
                "README.md",
            ]);
        });
        it("both: CNAME files then forwarders; paths are unique and relative", () => {
            const files = renderOnPremDns({
                region: R,
                records: onprem,
                resolverIps: ["10.0.1.10"],
                layout: "seed",
            });
            expect(files).to.have.length(12);
            const paths = files.map((f) => f.path);
            expect(new Set(paths).size).to.equal(paths.length);
            for (const p of paths)
                expect(p)
                    .to.match(/^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/)
                    .and.not.contain("..");
        });
        it("rejects a region mismatch and an empty input", () => {
            expect(() => renderOnPremDns({ region: "us-east-1", records: onprem })).to.throw(
                "not `region` us-east-1",
            );
            expect(() => renderOnPremDns({ region: R } as never)).to.throw(
                "`records`, `resolverIps`, or both",
            );
        });
    });

    describe("with the layer bucket record", () => {
        const S3 = "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
        const TARGET =
            "bucket.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
        const HOST = "prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com";
        const layer = layerBucketRecord(R, S3, 120);
        const withLayer = [...onprem, layer.onPrem];
        const body = (text: string) =>
            text.split("\n").filter((l) => l.trim() !== "" && !/^\s*(#|\/\/|;)/.test(l));

        it("Unbound: one more redirect zone, for exactly that host, with its CNAME", () => {
            expect(body(renderUnbound(withLayer)).slice(-2)).to.deep.equal([
                `    local-zone: "${HOST}." redirect`,
                `    local-data: "${HOST}. 120 IN CNAME ${TARGET}."`,
            ]);
            expect(body(renderUnbound(onprem))).to.have.length(5);
        });
        it("Unbound with the layer zone passes the real unbound-checkconf", async function () {
            if (!haveTool("unbound-checkconf")) this.skip();
            const d = tmp({ "ecr.conf": renderUnbound(withLayer) });
            const r = await run("unbound-checkconf", [path.join(d, "ecr.conf")]);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
        });
        it("CoreDNS: a template block for exactly that host", () => {
            expect(renderCoreDns(withLayer)).to.contain(
                `${HOST} {\n    template IN ANY {\n        answer "{{ .Name }} 120 IN CNAME ${TARGET}."\n    }\n    log\n    errors\n}\n`,
            );
        });
        it("dnsmasq: forwards exactly that host too", () => {
            expect(body(renderDnsmasq(withLayer, { forwardTo: ["10.10.0.53"] }))).to.deep.equal([
                "server=/api.ecr.ap-southeast-1.amazonaws.com/10.10.0.53",
                "server=/dkr.ecr.ap-southeast-1.amazonaws.com/10.10.0.53",
                `server=/${HOST}/10.10.0.53`,
            ]);
            expect(renderDnsmasq(withLayer)).to.contain(`#server=/${HOST}/ONPREM_DNS_IP`);
        });
        it("Windows: the same zone and CNAMEs, the host only in a commented forwarder", () => {
            const w = renderWindowsDns(withLayer);
            expect(body(w)).to.deep.equal(body(renderWindowsDns(onprem)));
            expect(w).to.contain(
                `#   Add-DnsServerConditionalForwarderZone -Name '${HOST}' -MasterServers 'ONPREM_DNS_IP'`,
            );
        });
        it("BIND RPZ: a policy zone whose one record rewrites exactly that host", () => {
            const rpz = renderBindRpz(withLayer, { zoneFileDir: "/srv/zones/" });
            expect(body(rpz.zoneFile)).to.deep.equal([
                `$ORIGIN ${RPZ_ZONE}.`,
                "$TTL 120",
                "@ IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 1209600 120 )",
                "@ IN NS ns1.example.com.",
                `${HOST} 120 IN CNAME ${TARGET}.`,
            ]);
            expect(body(rpz.zoneStatement)).to.deep.equal([
                `zone "${RPZ_ZONE}" {`,
                "    type primary;",
                `    file "/srv/zones/${RPZ_ZONE}.zone";`,
                "    allow-query { none; };",
                "};",
            ]);
            expect(body(rpz.responsePolicy)).to.deep.equal([
                `response-policy { zone "${RPZ_ZONE}"; } qname-wait-recurse no;`,
            ]);
        });
        it("BIND RPZ accepts the Route 53 set (ALIAS becomes the CNAME) and needs the record", () => {
            const r53 = [...ecrRecordSet(names, { layout: "exact", ttl: 120 }), layer.route53];
            expect(renderBindRpz(r53)).to.deep.equal(renderBindRpz(withLayer));
            expect(() => renderBindRpz(onprem)).to.throw("`records` has no layer bucket record");
            expect(() => renderBindRpz(withLayer, { serial: 0 })).to.throw("`serial`");
        });
        it("BIND RPZ passes named-checkzone and named-checkconf -z inside options", async function () {
            if (!haveTool("named-checkconf") || !haveTool("named-checkzone")) this.skip();
            const rpz = renderBindRpz(withLayer, { zoneFileDir: "." });
            const d = tmp({
                [`${RPZ_ZONE}.zone`]: rpz.zoneFile,
                [`${ZONE}.zone`]: renderBindZone(ZONE, withLayer),
            });
            const z = await run("named-checkzone", [
                "-k",
                "fail",
                RPZ_ZONE,
                path.join(d, `${RPZ_ZONE}.zone`),
            ]);
            expect(z.code, z.stdout + z.stderr).to.equal(0);
            fs.writeFileSync(
                path.join(d, "named.conf"),
                `options {\n    directory "${d}";\n    recursion yes;\n${rpz.responsePolicy}};\n` +
                    renderBindNamedConf([ZONE], { zoneFileDir: "." }) +
                    rpz.zoneStatement,
            );
            const r = await run("named-checkconf", ["-z", path.join(d, "named.conf")]);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
            expect(r.stdout).to.contain(`zone ${RPZ_ZONE}/IN: loaded serial 1`);
        });
        it("renderOnPremDns (seed): RPZ files after named.conf.ecr, which loads the policy zone", () => {
            const files = renderOnPremDns({ region: R, records: withLayer, layout: "seed" });
            expect(files.map((f) => f.path)).to.deep.equal([
                `bind/${ZONE}.zone`,
                "bind/named.conf.ecr",
                `bind/${RPZ_ZONE}.zone`,
                "bind/named.conf.options.ecr",
                "unbound/ecr.conf",
                "dnsmasq/ecr.conf",
                "coredns/Corefile",
                "windows/ecr-dns.ps1",
                "README.md",
            ]);
            const byPath = Object.fromEntries(files.map((f) => [f.path, f.content]));
            expect(byPath["bind/named.conf.ecr"]).to.contain(`zone "${RPZ_ZONE}" {`);
            expect(byPath[`bind/${ZONE}.zone`]).to.equal(renderBindZone(ZONE, onprem));
            expect(byPath["unbound/ecr.conf"]).to.equal(renderUnbound(withLayer));
            const readme = byPath["README.md"];
            expect(readme).to.contain("### The layer bucket host");
            expect(readme).to.contain(`dig +short ${HOST}`);
            expect(readme).to.contain("dnsmasq and Windows Server DNS cannot hold it");
        });
        it("without the record, the seed bundle has no RPZ and the README no layer section", () => {
            const files = renderOnPremDns({ region: R, records: onprem, layout: "seed" });
            expect(files.map((f) => f.path)).to.not.include(`bind/${RPZ_ZONE}.zone`);
            expect(files[files.length - 1].content).to.not.contain("layer bucket");
        });
        it("rejects another region's layer record next to these ECR records", () => {
            const other = layerBucketRecord(
                "us-west-2",
                "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.us-west-2.vpce.amazonaws.com",
                60,
            ).onPrem;
            expect(() => renderUnbound([...onprem, other])).to.throw(
                "`records` mixes regions: prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com is not ap-southeast-1's layer bucket host.",
            );
        });
    });

    describe("exact layout", () => {
        const S3 = "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
        const TARGET =
            "bucket.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
        const HOST = "prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com";
        const withLayer = [...onprem, layerBucketRecord(R, S3, 120).onPrem];
        const body = (text: string) =>
            text.split("\n").filter((l) => l.trim() !== "" && !/^\s*(#|\/\/|;)/.test(l));

        it("BIND RPZ rewrites exactly api.ecr, dkr.ecr, *.dkr.ecr and the layer host", () => {
            const rpz = renderBindRpz(withLayer, { layout: "exact" });
            expect(body(rpz.zoneFile)).to.deep.equal([
                `$ORIGIN ${RPZ_ZONE}.`,
                "$TTL 120",
                "@ IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 1209600 120 )",
                "@ IN NS ns1.example.com.",
                `api.ecr.${R}.amazonaws.com 300 IN CNAME ${API}.`,
                `dkr.ecr.${R}.amazonaws.com 300 IN CNAME ${DKR}.`,
                `*.dkr.ecr.${R}.amazonaws.com 300 IN CNAME ${DKR}.`,
                `${HOST} 120 IN CNAME ${TARGET}.`,
            ]);
            // No record for the bare ecr.<region> name, and no other zone.
            expect(rpz.zoneFile).to.not.match(new RegExp(`^ecr\\.${R}`, "m"));
            expect(body(renderBindRpz(onprem, { layout: "exact" }).zoneFile)).to.have.length(7);
            expect(() => renderBindRpz(onprem, { layout: "other" as never })).to.throw(
                '`layout` must be "seed" or "exact"',
            );
        });
        it("the exact RPZ passes named-checkzone and named-checkconf -z", async function () {
            if (!haveTool("named-checkconf") || !haveTool("named-checkzone")) this.skip();
            const rpz = renderBindRpz(withLayer, { zoneFileDir: ".", layout: "exact" });
            const d = tmp({ [`${RPZ_ZONE}.zone`]: rpz.zoneFile });
            const z = await run("named-checkzone", [
                "-k",
                "fail",
                RPZ_ZONE,
                path.join(d, `${RPZ_ZONE}.zone`),
            ]);
            expect(z.code, z.stdout + z.stderr).to.equal(0);
            fs.writeFileSync(
                path.join(d, "named.conf"),
                `options {\n    directory "${d}";\n    recursion yes;\n${rpz.responsePolicy}};\n${rpz.zoneStatement}`,
            );
            const r = await run("named-checkconf", ["-z", path.join(d, "named.conf")]);
            expect(r.code, r.stdout + r.stderr).to.equal(0);
        });
        it("Windows: conditional forwarders named exactly each host, to -CnameServer; no zone", () => {
            const w = renderWindowsDns(withLayer, { layout: "exact" });
            expect(w).to.contain("[Parameter(Mandatory = $true)][string[]]$CnameServer,");
            expect(w).to.contain(
                `$names = @('api.ecr.${R}.amazonaws.com', 'dkr.ecr.${R}.amazonaws.com', '${HOST}')`,
            );
            expect(w).to.contain(
                "Add-DnsServerConditionalForwarderZone -Name $name -MasterServers $CnameServer -ReplicationScope $ReplicationScope",
            );
            expect(w).to.not.contain("Add-DnsServerPrimaryZone");
            expect(w).to.not.contain("Add-DnsServerResourceRecordCName");
            // A leftover seed zone is reported, not silently kept.
            expect(w).to.contain(`Get-DnsServerZone -Name '${ZONE}'`);
            expect(w).to.contain("Write-Warning");
        });
        it("Windows seed: the classic zone, as before", () => {
            expect(renderWindowsDns(onprem, { layout: "seed" })).to.equal(renderWindowsDns(onprem));
            expect(renderWindowsDns(onprem)).to.contain("Add-DnsServerPrimaryZone");
        });
    });

    describe("where the endpoint names come from", () => {
        const input = { region: R, records: onprem, resolverIps: ["10.0.1.10"] };
        it("plan: every file starts with the example-values notice and the command", () => {
            const files = renderOnPremDns(input, { source: { kind: "plan", stack: "idc-sim" } });
            const cmd =
                "pulumi stack output --stack idc-sim --json | npm run onprem-dns -- --outputs - --out out/idc-sim-deployed";
            for (const f of files) {
                const head = f.content.split("\n").slice(0, 3).join("\n");
                expect(head, f.path).to.contain("EXAMPLE VALUES");
                expect(head, f.path).to.contain(cmd);
            }
            const prefixes = Object.fromEntries(
                files.map((f) => [f.path, f.content.slice(0, f.content.indexOf(" "))]),
            );
            expect(prefixes).to.deep.include({
                "bind/rpz.ecr-private-access.zone": ";",
                "bind/named.conf.ecr": "//",
                "bind/named.conf.options.ecr": "//",
                "forwarders/bind-named.conf.ecr": "//",
                "unbound/ecr.conf": "#",
                "windows/ecr-dns.ps1": "#",
                "README.md": ">",
            });
            const readme = files.find((f) => f.path === "README.md")!.content;
            expect(readme).to.contain("**These files carry example values.**");
        });
        it("deployed: a one-line notice, no example warning; the body is the same", () => {
            const plan = renderOnPremDns(input, { source: { kind: "plan", stack: "s" } });
            const deployed = renderOnPremDns(input, { source: { kind: "deployed" } });
            for (const f of deployed) expect(f.content).to.not.contain("EXAMPLE VALUES");
            const unbound = deployed.find((f) => f.path === "unbound/ecr.conf")!.content;
            expect(unbound.split("\n")[0]).to.equal(
                "# Rendered from a deployed stack's outputs (pulumi stack output --json).",
            );
            expect(unbound.split("\n").slice(1)).to.deep.equal(
                plan
                    .find((f) => f.path === "unbound/ecr.conf")!
                    .content.split("\n")
                    .slice(3),
            );
        });
    });
});
