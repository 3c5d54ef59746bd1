/**
 * Loads the generated on-premises DNS config, in both layouts, into real
 * BIND, Unbound and dnsmasq servers on 127.0.0.1 and queries them with dig.
 *
 * A separate `named` plays the internet's public DNS: it is authoritative for
 * a fake `amazonaws.com` in which the vpce names resolve to loopback
 * addresses, the ECR names have "public" 198.51.100.x addresses, and STS, S3
 * and the bare `ecr.<region>` name have their own markers. A name answered
 * with the upstream's marker was therefore not answered from our data, which
 * is what proves the config shadows nothing but the ECR names (and ECR's
 * layer bucket host, which goes to the S3 interface endpoint).
 */
import { expect } from "chai";
import { renderConditionalForwarders, renderOnPremDns } from "../../src/dns/onprem";
import { DnsLayout, layerBucketRecord, onPremRecordSet } from "../../src/dns/records";
import {
    DigResult,
    RunningDnsServer,
    dig,
    haveTool,
    startDnsmasq,
    startNamed,
    startUnbound,
    stopAll,
} from "../helpers/dnsServers";

const R = "ap-southeast-1";
const API = "vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.ap-southeast-1.vpce.amazonaws.com";
const DKR = "vpce-0424acc787dd05730-ypo3xc68.dkr.ecr.ap-southeast-1.vpce.amazonaws.com";
const S3 = "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
const S3_TARGET = "bucket.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
const LAYERS = `prod-${R}-starport-layer-bucket.s3.${R}.amazonaws.com`;
const ZONE = `ecr.${R}.amazonaws.com`;
const onprem = [
    ...onPremRecordSet({ region: R, apiDnsName: API, dkrDnsName: DKR }, 300),
    layerBucketRecord(R, S3, 300).onPrem,
];

const PUBLIC_ZONE = [
    "$TTL 60",
    "@ IN SOA ns.amazonaws.com. hostmaster.amazonaws.com. 1 60 60 600 60",
    "@ IN NS ns.amazonaws.com.",
    "ns IN A 127.0.0.53",
    `sts.${R} IN A 127.0.0.9`,
    `logs.${R} IN A 127.0.0.11`,
    `s3.${R} IN A 127.0.0.8`,
    // Every bucket, ECR's layer bucket included, has a public address.
    `*.s3.${R} IN A 127.0.0.7`,
    `ecr.${R} IN A 127.0.0.10`,
    // What the internet says about the ECR names: public addresses our config must override.
    `api.ecr.${R} IN A 198.51.100.1`,
    `dkr.ecr.${R} IN A 198.51.100.2`,
    `*.dkr.ecr.${R} IN A 198.51.100.2`,
    // The endpoints' regional names are public names resolving to the endpoints' private IPs.
    `vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.${R}.vpce IN A 127.0.0.1`,
    `vpce-0424acc787dd05730-ypo3xc68.dkr.ecr.${R}.vpce IN A 127.0.0.2`,
    // S3 interface endpoint names are wildcards: any bucket label in front resolves.
    `*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.${R}.vpce IN A 127.0.0.3`,
    "",
].join("\n");

const addresses = (r: DigResult) => r.answer.filter((a) => a.type === "A").map((a) => a.value);
const cnames = (r: DigResult) =>
    r.answer.filter((a) => a.type === "CNAME").map((a) => `${a.name} -> ${a.value}`);

/** The bundle's files for a layout, by path (as the plan writes them, without a notice). */
function bundle(layout: DnsLayout): Record<string, string> {
    return Object.fromEntries(
        renderOnPremDns({ region: R, records: onprem, layout }).map((f) => [f.path, f.content]),
    );
}

function expectEcrAnswers(get: (name: string) => Promise<DigResult>) {
    it("api.ecr.<r> answers with a CNAME to the ecr.api endpoint, then its address", async () => {
        const r = await get(`api.ecr.${R}.amazonaws.com`);
        expect(r.status, r.raw).to.equal("NOERROR");
        expect(cnames(r)).to.deep.equal([`api.ecr.${R}.amazonaws.com. -> ${API}.`]);
        expect(addresses(r)).to.deep.equal(["127.0.0.1"]);
    });
    it("<account>.dkr.ecr.<r> answers with a CNAME to the ecr.dkr endpoint, then its address", async () => {
        const r = await get(`123456789012.dkr.ecr.${R}.amazonaws.com`);
        expect(r.status, r.raw).to.equal("NOERROR");
        expect(cnames(r)).to.deep.equal([`123456789012.dkr.ecr.${R}.amazonaws.com. -> ${DKR}.`]);
        expect(addresses(r)).to.deep.equal(["127.0.0.2"]);
    });
    it("the bare dkr.ecr.<r> name answers with the same CNAME", async () => {
        const r = await get(`dkr.ecr.${R}.amazonaws.com`);
        expect(cnames(r), r.raw).to.deep.equal([`dkr.ecr.${R}.amazonaws.com. -> ${DKR}.`]);
        expect(addresses(r)).to.deep.equal(["127.0.0.2"]);
    });
    it("the layer bucket host answers with a CNAME under the S3 endpoint's wildcard, then its address", async () => {
        const r = await get(LAYERS);
        expect(r.status, r.raw).to.equal("NOERROR");
        expect(cnames(r)).to.deep.equal([`${LAYERS}. -> ${S3_TARGET}.`]);
        expect(addresses(r)).to.deep.equal(["127.0.0.3"]);
    });
}

function expectPassThrough(get: (name: string) => Promise<DigResult>) {
    for (const [name, ip] of [
        [`sts.${R}.amazonaws.com`, "127.0.0.9"],
        [`logs.${R}.amazonaws.com`, "127.0.0.11"],
        [`s3.${R}.amazonaws.com`, "127.0.0.8"],
        [`other-bucket.s3.${R}.amazonaws.com`, "127.0.0.7"],
        // Another region's layer bucket name is not ours to redirect.
        [`prod-us-west-2-starport-layer-bucket.s3.${R}.amazonaws.com`, "127.0.0.7"],
    ]) {
        it(`${name} gets the upstream's answer, not one from our data`, async () => {
            const r = await get(name);
            expect(r.status, r.raw).to.equal("NOERROR");
            expect(r.answer, r.raw).to.deep.equal([
                { name: `${name}.`, ttl: r.answer[0]?.ttl, type: "A", value: ip },
            ]);
            expect(
                r.authority.filter((a) => a.type === "SOA" && a.name === `${ZONE}.`),
            ).to.deep.equal([]);
        });
    }
}

/** The bare ecr.<r> name: the upstream's answer (no zone captures it). */
function expectBareNamePublic(get: (name: string) => Promise<DigResult>) {
    it("the bare ecr.<r> name gets the upstream's answer (nothing captures it)", async () => {
        const r = await get(ZONE);
        expect(r.status, r.raw).to.equal("NOERROR");
        expect(addresses(r), r.raw).to.deep.equal(["127.0.0.10"]);
    });
}

describe("dns: generated config on real servers (127.0.0.1)", function () {
    this.timeout(60000);
    let upstream: RunningDnsServer;

    before(async function () {
        const missing = ["named", "unbound", "dnsmasq", "dig"].filter((t) => !haveTool(t));
        if (missing.length > 0) {
            // scripts/ensure-test-tools.sh installs them; never pass silently without them in CI.
            if (process.env.CI) throw new Error(`missing tools: ${missing.join(", ")}`);
            this.skip();
        }
        upstream = await startNamed({
            confSnippet: 'zone "amazonaws.com" { type primary; file "public.zone"; };',
            files: { "public.zone": PUBLIC_ZONE },
        });
    });
    after(async () => {
        await stopAll();
    });

    it("the stand-in public DNS gives the ECR names public addresses", async () => {
        const r = await dig(upstream.port, `api.ecr.${R}.amazonaws.com`);
        expect(addresses(r), upstream.logs()).to.deep.equal(["198.51.100.1"]);
    });

    for (const layout of ["exact", "seed"] as const) {
        describe(`${layout} layout`, () => {
            const files = bundle(layout);

            describe("BIND (recursive) with bind/*, forwarding everything else upstream", () => {
                let named: RunningDnsServer;
                before(async () => {
                    const zoneFiles = Object.entries(files).filter(([p]) => p.endsWith(".zone"));
                    named = await startNamed({
                        // The files as written, with /etc/bind/zones/ pointing at the server's dir.
                        confSnippet: files["bind/named.conf.ecr"].replace(
                            /\/etc\/bind\/zones\//g,
                            "",
                        ),
                        files: Object.fromEntries(
                            zoneFiles.map(([p, c]) => [p.replace(/^bind\//, ""), c]),
                        ),
                        optionsSnippet: files["bind/named.conf.options.ecr"],
                        recursion: true,
                        forwarders: [{ host: "127.0.0.1", port: upstream.port }],
                    });
                });
                after(async () => named?.stop());
                const get = (name: string) => dig(named.port, name);
                expectEcrAnswers(get);
                expectPassThrough(get);
                if (layout === "exact") {
                    it("holds no zone file: the names come from the response-policy zone", () => {
                        expect(
                            Object.keys(files).filter((p) => p.startsWith("bind/")),
                        ).to.deep.equal([
                            "bind/named.conf.ecr",
                            "bind/rpz.ecr-private-access.zone",
                            "bind/named.conf.options.ecr",
                        ]);
                    });
                    expectBareNamePublic(get);
                    it("names below api.ecr.<r> and the layer host are not rewritten", async () => {
                        for (const n of [`x.api.ecr.${R}.amazonaws.com`, `x.${LAYERS}`]) {
                            const r = await get(n);
                            expect(cnames(r), r.raw).to.deep.equal([]);
                        }
                    });
                } else {
                    it("shadows the bare ecr.<r> name with an empty authoritative answer (the seed trade-off)", async () => {
                        const r = await get(ZONE);
                        expect(r.status).to.equal("NOERROR");
                        expect(r.answer).to.deep.equal([]);
                        expect(r.flags).to.include("aa");
                        expect(r.authority.map((a) => `${a.name} ${a.type}`)).to.deep.equal([
                            `${ZONE}. SOA`,
                        ]);
                    });
                }
                it("the policy zone itself is closed to clients", async () => {
                    const r = await get(`${LAYERS}.rpz.ecr-private-access`);
                    expect(r.status, r.raw).to.equal("REFUSED");
                });
            });

            describe("Unbound with unbound/ecr.conf, forwarding everything else upstream", () => {
                let unbound: RunningDnsServer;
                before(async () => {
                    unbound = await startUnbound({
                        confSnippet: files["unbound/ecr.conf"],
                        upstream: { host: "127.0.0.1", port: upstream.port },
                    });
                });
                after(async () => unbound?.stop());
                const get = (name: string) => dig(unbound.port, name);
                expectEcrAnswers(get);
                expectPassThrough(get);
                expectBareNamePublic(get);
            });

            describe("dnsmasq with dnsmasq/ecr.conf, forwarding the ECR names to that layout's BIND", () => {
                let named: RunningDnsServer;
                let dnsmasq: RunningDnsServer;
                before(async () => {
                    named = await startNamed({
                        confSnippet: files["bind/named.conf.ecr"].replace(
                            /\/etc\/bind\/zones\//g,
                            "",
                        ),
                        files: Object.fromEntries(
                            Object.entries(files)
                                .filter(([p]) => p.endsWith(".zone"))
                                .map(([p, c]) => [p.replace(/^bind\//, ""), c]),
                        ),
                        optionsSnippet: files["bind/named.conf.options.ecr"],
                        recursion: true,
                        forwarders: [{ host: "127.0.0.1", port: upstream.port }],
                    });
                    // The file as written, with its placeholder replaced by the server holding the CNAMEs.
                    const conf = files["dnsmasq/ecr.conf"].replace(
                        /^#server=\/(.*)\/ONPREM_DNS_IP$/gm,
                        `server=/$1/127.0.0.1#${named.port}`,
                    );
                    expect(conf.match(/^server=/gm)).to.have.length(3);
                    dnsmasq = await startDnsmasq({
                        confSnippet: conf,
                        upstream: { host: "127.0.0.1", port: upstream.port },
                    });
                });
                after(async () => {
                    await dnsmasq?.stop();
                    await named?.stop();
                });
                const get = (name: string) => dig(dnsmasq.port, name);
                expectEcrAnswers(get);
                expectPassThrough(get);
                // dnsmasq forwards exactly the ECR names, so even in the seed layout the
                // bare name goes upstream, not to BIND's classic zone.
                expectBareNamePublic(get);
            });
        });
    }

    describe("Unbound with unbound/ecr.conf and nothing upstream", () => {
        // The minimal harness: local-data stands in for the public DNS of
        // the vpce names, and every other name is refused by the harness.
        let unbound: RunningDnsServer;
        before(async () => {
            unbound = await startUnbound({
                confSnippet: bundle("exact")["unbound/ecr.conf"],
                extraLocalData: [
                    `${API}. 60 IN A 127.0.0.1`,
                    `${DKR}. 60 IN A 127.0.0.2`,
                    `${S3_TARGET}. 60 IN A 127.0.0.3`,
                ],
            });
        });
        after(async () => unbound?.stop());
        expectEcrAnswers((name) => dig(unbound.port, name));
        it("sts.<r> is REFUSED by the harness, not NXDOMAIN or data from our zones", async () => {
            const r = await dig(unbound.port, `sts.${R}.amazonaws.com`);
            expect(r.status, r.raw).to.equal("REFUSED");
            expect(r.answer).to.deep.equal([]);
        });
    });

    describe("BIND authoritative-only with the seed zone file", () => {
        let named: RunningDnsServer;
        before(async () => {
            const files = bundle("seed");
            named = await startNamed({
                confSnippet: `zone "${ZONE}" { type primary; file "${ZONE}.zone"; };`,
                files: { [`${ZONE}.zone`]: files[`bind/${ZONE}.zone`] },
                recursion: false,
            });
        });
        after(async () => named?.stop());
        it("answers the ECR names authoritatively with the CNAMEs", async () => {
            const r = await dig(named.port, `123456789012.dkr.ecr.${R}.amazonaws.com`, "A", {
                recurse: false,
            });
            expect(r.flags).to.include("aa");
            expect(cnames(r)).to.deep.equal([
                `123456789012.dkr.ecr.${R}.amazonaws.com. -> ${DKR}.`,
            ]);
        });
        it("REFUSES sts/s3 (outside its zone) instead of an authoritative NXDOMAIN", async () => {
            for (const n of [`sts.${R}.amazonaws.com`, `s3.${R}.amazonaws.com`]) {
                const r = await dig(named.port, n, "A", { recurse: false });
                expect(r.status, r.raw).to.equal("REFUSED");
                expect(r.flags).to.not.include("aa");
            }
        });
    });

    describe("conditional forwarders to a stand-in Route 53 Resolver inbound endpoint", () => {
        // The stand-in answers like the VPC's private hosted zones (exact layout):
        // the ECR names resolve straight to the endpoints' private IPs.
        let resolver: RunningDnsServer;
        let unbound: RunningDnsServer;
        let named: RunningDnsServer;
        before(async () => {
            const zone = (a: string) =>
                `$TTL 60\n@ IN SOA ns.invalid. h.invalid. 1 60 60 600 60\n@ IN NS ns.invalid.\n@ IN A ${a}\n* IN A ${a}\n`;
            resolver = await startNamed({
                confSnippet: [`api.ecr.${R}.amazonaws.com`, `dkr.ecr.${R}.amazonaws.com`]
                    .map((z) => `zone "${z}" { type primary; file "${z}.zone"; };`)
                    .join("\n"),
                files: {
                    [`api.ecr.${R}.amazonaws.com.zone`]: zone("127.0.0.21"),
                    [`dkr.ecr.${R}.amazonaws.com.zone`]: zone("127.0.0.22"),
                },
            });
            const f = renderConditionalForwarders(R, ["127.0.0.1"]);
            // Real inbound endpoints listen on port 53; the stand-in is on a free port.
            unbound = await startUnbound({
                confSnippet: f.unbound.replace(
                    /forward-addr: 127\.0\.0\.1$/gm,
                    `forward-addr: 127.0.0.1@${resolver.port}`,
                ),
                upstream: { host: "127.0.0.1", port: upstream.port },
            });
            named = await startNamed({
                confSnippet: f.bind.replace(
                    /forwarders \{ 127\.0\.0\.1; \}/g,
                    `forwarders { 127.0.0.1 port ${resolver.port}; }`,
                ),
                recursion: true,
                forwarders: [{ host: "127.0.0.1", port: upstream.port }],
            });
        });
        after(async () => {
            await Promise.all([unbound?.stop(), named?.stop(), resolver?.stop()]);
        });
        for (const which of ["unbound", "named"] as const) {
            it(`${which}: ECR names come from the inbound endpoint, STS from upstream`, async () => {
                const port = which === "unbound" ? unbound.port : named.port;
                expect(addresses(await dig(port, `api.ecr.${R}.amazonaws.com`))).to.deep.equal([
                    "127.0.0.21",
                ]);
                expect(
                    addresses(await dig(port, `123456789012.dkr.ecr.${R}.amazonaws.com`)),
                ).to.deep.equal(["127.0.0.22"]);
                expect(addresses(await dig(port, `dkr.ecr.${R}.amazonaws.com`))).to.deep.equal([
                    "127.0.0.22",
                ]);
                expect(addresses(await dig(port, `sts.${R}.amazonaws.com`))).to.deep.equal([
                    "127.0.0.9",
                ]);
                expect(addresses(await dig(port, ZONE))).to.deep.equal(["127.0.0.10"]);
            });
        }
    });
});
