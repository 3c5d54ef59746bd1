/**
 * The SNI pass-through proxy bundle: rendering (pure), and the generated
 * HAProxy and nginx configurations run for real in front of docker-registry
 * in the test's own network namespace (tests/helpers/scenarios/sniProxy.ts).
 */
import { expect } from "chai";
import { layerBucketRecord, onPremRecordSet } from "../../src/dns/records";
import {
    renderHaproxy,
    renderHostsLines,
    renderNginxStream,
    renderOnPremProxy,
} from "../../src/proxy/onpremProxy";
import type { ProxyRun, SniProxyInput } from "../helpers/scenarios/sniProxy";
import { haveTool } from "../helpers/dnsServers";
import { netnsUnavailable, runInNetns } from "../helpers/netns";

const R = "us-west-2";
const API_VPCE = `vpce-0abc1234def567890-xyz12345.api.ecr.${R}.vpce.amazonaws.com`;
const DKR_VPCE = `vpce-0abc1234def567890-xyz12345.dkr.ecr.${R}.vpce.amazonaws.com`;
const S3 = `*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.${R}.vpce.amazonaws.com`;
const LAYER_TARGET = `bucket.vpce-0f1e2d3c4b5a69788-abcd1234.s3.${R}.vpce.amazonaws.com`;
const HOST = `123456789012.dkr.ecr.${R}.amazonaws.com`;
const API_HOST = `api.ecr.${R}.amazonaws.com`;
const LAYER_HOST = `prod-${R}-starport-layer-bucket.s3.${R}.amazonaws.com`;
const records = [
    ...onPremRecordSet({ region: R, apiDnsName: API_VPCE, dkrDnsName: DKR_VPCE }, 60),
    layerBucketRecord(R, S3, 60).onPrem,
];

describe("onprem-proxy: rendering", () => {
    it("HAProxy routes exactly the ECR names and the layer host by SNI, with no default", () => {
        const cfg = renderHaproxy(records);
        const rules = cfg.split("\n").filter((l) => l.trim().startsWith("use_backend"));
        expect(rules).to.deep.equal([
            `    use_backend ecr_api if { req.ssl_sni -i ${API_HOST} }`,
            `    use_backend ecr_dkr if { req.ssl_sni -i dkr.ecr.${R}.amazonaws.com }`,
            `    use_backend ecr_dkr if { req.ssl_sni -m end -i .dkr.ecr.${R}.amazonaws.com }`,
            `    use_backend ecr_layers if { req.ssl_sni -i ${LAYER_HOST} }`,
        ]);
        expect(cfg).to.not.contain("default_backend ");
        expect(cfg).to.contain(
            `    server layers ${LAYER_TARGET}:443 resolvers datacentre init-addr last,libc,none`,
        );
        expect(cfg).to.contain("    bind :443\n");
        expect(renderHaproxy(records, { listen: "10.1.2.3:8443" })).to.contain(
            "    bind 10.1.2.3:8443\n",
        );
        expect(() => renderHaproxy(records, { listen: "proxy:443" })).to.throw("`listen`");
    });
    it("nginx maps server names with `hostnames` to upstreams, and anything else to nothing", () => {
        const conf = renderNginxStream(records);
        expect(conf).to.match(/map \$ssl_preread_server_name \$ecr_upstream \{\n\s+hostnames;/);
        expect(conf).to.match(new RegExp(`\\*\\.dkr\\.ecr\\.${R}\\.amazonaws\\.com\\s+ecr_dkr;`));
        expect(conf).to.contain('default  "";');
        expect(conf).to.contain("ssl_preread on;");
        expect(conf).to.contain(`server ${DKR_VPCE}:443;`);
    });
    it("hosts lines: the names, one line per account (no wildcards), the placeholder or the IP", () => {
        const lines = (t: string) => t.split("\n").filter((l) => l && !l.startsWith("#"));
        expect(lines(renderHostsLines(records, { accounts: ["123456789012"] }))).to.deep.equal([
            `PROXY_IP ${API_HOST}`,
            `PROXY_IP dkr.ecr.${R}.amazonaws.com`,
            `PROXY_IP ${HOST}`,
            `PROXY_IP ${LAYER_HOST}`,
        ]);
        expect(lines(renderHostsLines(records, { proxyIp: "10.0.0.5" }))[0]).to.equal(
            `10.0.0.5 ${API_HOST}`,
        );
        expect(() => renderHostsLines(records, { accounts: ["12"] })).to.throw("12-digit");
        expect(() => renderHostsLines(records, { proxyIp: "proxy" })).to.throw("`proxyIp`");
    });
    it("the bundle: four files; the README says when to use it instead of DNS", () => {
        const files = renderOnPremProxy({ region: R, records });
        expect(files.map((f) => f.path)).to.deep.equal([
            "haproxy/haproxy.cfg",
            "nginx/ecr-sni-stream.conf",
            "hosts",
            "README.md",
        ]);
        const readme = files[3].content;
        expect(readme).to.contain("## When to use it instead of DNS");
        expect(readme).to.contain("without terminating");
        const plan = renderOnPremProxy(
            { region: R, records },
            { source: { kind: "plan", stack: "idc-sim" } },
        );
        for (const f of plan) expect(f.content, f.path).to.contain("EXAMPLE VALUES");
        expect(() => renderOnPremProxy({ region: "eu-west-1", records })).to.throw(
            "not `region` eu-west-1",
        );
    });
});

describe("onprem-proxy: real HAProxy and nginx in front of docker-registry (own network namespace)", function () {
    this.timeout(180000);
    let result: { runs: Record<"haproxy" | "nginx", ProxyRun>; storageRequests: number };

    before(async function () {
        const tools = [
            "haproxy",
            "nginx",
            "unbound",
            "docker-registry",
            "skopeo",
            "htpasswd",
            "openssl",
        ];
        const missing = tools.filter((t) => !haveTool(t));
        const reason =
            netnsUnavailable() ?? (missing.length ? `missing ${missing.join(", ")}` : undefined);
        if (reason) {
            // CI runs as root with the tools installed: never a silent pass there.
            if (process.env.CI) throw new Error(reason);
            console.log(`      skipped: ${reason}`);
            this.skip();
        }
        const proxy = { host: "127.0.0.10", port: 443 };
        const files = Object.fromEntries(
            renderOnPremProxy(
                { region: R, records },
                {
                    listen: `${proxy.host}:${proxy.port}`,
                    proxyIp: proxy.host,
                    accounts: ["123456789012"],
                },
            ).map((f) => [f.path, f.content]),
        );
        const input: SniProxyInput = {
            haproxyCfg: files["haproxy/haproxy.cfg"],
            nginxStream: files["nginx/ecr-sni-stream.conf"],
            registryHost: HOST,
            apiHost: API_HOST,
            layerHost: LAYER_HOST,
            apiVpce: API_VPCE,
            dkrVpce: DKR_VPCE,
            layerTarget: LAYER_TARGET,
            proxy,
        };
        result = await runInNetns({
            script: "tests/helpers/scenarios/sniProxy.ts",
            input,
            // The generated hosts lines are the namespace's hosts file.
            hosts: `127.0.0.1 localhost\n${files.hosts}`,
            resolvConf: "nameserver 127.0.0.53\n",
            timeoutMs: 150000,
        });
    });

    for (const kind of ["haproxy", "nginx"] as const) {
        describe(kind, () => {
            it(`${kind === "haproxy" ? "haproxy -c" : "nginx -t"} accepts the generated file`, () => {
                const run = result.runs[kind];
                expect(run.check.code, run.check.output).to.equal(0);
            });
            it("skopeo copies the image through the proxy (pull follows the layer redirect)", () => {
                const run = result.runs[kind];
                if (kind === "haproxy") expect(run.pushed).to.equal(true);
                expect(run.pulledLayerFiles).to.include("manifest.json");
                expect(run.pulledLayerFiles.filter((f) => /^[0-9a-f]{64}$/.test(f))).to.have.length(
                    2,
                );
            });
            it("the doctor passes through it, every step, with --allow-alias", () => {
                const r = result.runs[kind].doctor;
                expect(
                    r.steps
                        .filter((s) => s.status !== "pass")
                        .map((s) => [s.id, s.status, s.summary]),
                ).to.deep.equal([]);
                expect(r.steps.map((s) => s.id)).to.include.members(["layer-tls", "storage-get"]);
                expect(r.steps.find((s) => s.id === "dns")!.summary).to.equal(
                    `${HOST} -> 127.0.0.10 (private)`,
                );
                expect(r.exitCode).to.equal(0);
            });
            it("TLS is passed through: the api name gets the api endpoint's certificate", () => {
                expect(result.runs[kind].apiCertNames).to.equal(`DNS:${API_HOST}`);
            });
            it("any other server name is refused", () => {
                expect(result.runs[kind].otherName).to.match(/^error /);
            });
        });
    }
    it("layer downloads reached the storage behind the proxy", () => {
        expect(result.storageRequests).to.be.greaterThan(0);
    });
});
