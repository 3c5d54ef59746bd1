/** The doctor's pure parts, plus its time limits against silent servers on loopback. */
import { expect } from "chai";
import * as dgram from "dgram";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { credentialsFromDockerConfig, parseWwwAuthenticate } from "../../tools/doctor/auth";
import { main, parseArgs, parseRegistry } from "../../tools/doctor/cli";
import {
    isPrivateAddress,
    judgeResolution,
    normaliseDnsServer,
    parseEcrHost,
} from "../../tools/doctor/dnsCheck";
import { parseImage, runDoctor } from "../../tools/doctor/doctor";
import { formatText } from "../../tools/doctor/format";

describe("doctor units", () => {
    describe("parseWwwAuthenticate", () => {
        it("reads ECR's Basic challenge", () => {
            expect(
                parseWwwAuthenticate(
                    'Basic realm="https://123456789012.dkr.ecr.us-west-2.amazonaws.com/",service="ecr.amazonaws.com"',
                ),
            ).to.deep.equal({
                scheme: "Basic",
                params: {
                    realm: "https://123456789012.dkr.ecr.us-west-2.amazonaws.com/",
                    service: "ecr.amazonaws.com",
                },
            });
        });
        it("reads a Bearer challenge with scope and escaped quotes", () => {
            expect(
                parseWwwAuthenticate(
                    'Bearer realm="https://auth/token", service="reg", scope="repository:a/b:pull", error="x\\"y"',
                ),
            ).to.deep.equal({
                scheme: "Bearer",
                params: {
                    realm: "https://auth/token",
                    service: "reg",
                    scope: "repository:a/b:pull",
                    error: 'x"y',
                },
            });
        });
    });

    describe("dns helpers", () => {
        it("classifies private and public addresses", () => {
            for (const ip of [
                "10.1.2.3",
                "172.16.0.1",
                "172.31.255.1",
                "192.168.1.1",
                "127.0.0.1",
                "100.64.0.1",
                "::1",
                "fd00::1",
                "fe80::1",
                "::ffff:10.0.0.1",
            ]) {
                expect(isPrivateAddress(ip), ip).to.equal(true);
            }
            for (const ip of [
                "52.94.1.1",
                "172.32.0.1",
                "8.8.8.8",
                "2600:1f14::1",
                "::ffff:52.1.1.1",
            ]) {
                expect(isPrivateAddress(ip), ip).to.equal(false);
            }
        });
        it("recognises ECR registry hosts", () => {
            expect(parseEcrHost("123456789012.dkr.ecr.eu-central-1.amazonaws.com")).to.deep.equal({
                account: "123456789012",
                region: "eu-central-1",
                apiHost: "api.ecr.eu-central-1.amazonaws.com",
            });
            expect(
                parseEcrHost("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")?.apiHost,
            ).to.equal("api.ecr.cn-north-1.amazonaws.com.cn");
            expect(parseEcrHost("registry.example.com")).to.equal(undefined);
        });
        it("normalises --dns-server", () => {
            expect(normaliseDnsServer("10.0.0.2")).to.equal("10.0.0.2");
            expect(normaliseDnsServer("127.0.0.1:5353")).to.equal("127.0.0.1:5353");
            expect(normaliseDnsServer("[::1]:53")).to.equal("[::1]:53");
            expect(normaliseDnsServer("::1")).to.equal("::1");
            for (const bad of ["dns.example", "1.2.3.4:0", "1.2.3.4:70000", "[1.2.3.4]:53"])
                expect(normaliseDnsServer(bad), bad).to.equal(undefined);
        });
        const publicEcr = {
            name: "123456789012.dkr.ecr.us-west-2.amazonaws.com",
            chain: [],
            chainKnown: true,
            addresses: ["52.94.1.1"],
        };
        it("fails when an ECR name resolves to public addresses, with the DNS fix", () => {
            const out = judgeResolution(publicEcr, "ecr", { serverLabel: "system resolver" });
            expect(out.status).to.equal("fail");
            expect(out.summary).to.equal(
                "123456789012.dkr.ecr.us-west-2.amazonaws.com -> 52.94.1.1 (public: 52.94.1.1)",
            );
            expect(out.hint).to.match(/^the ECR name resolves to public addresses/);
            expect(out.hint).to.contain("CNAME to the endpoint's vpce.amazonaws.com name");
            expect(out.hint).to.contain("npm run onprem-dns");
            expect(out.hint).to.contain("--allow-public accepts the public path");
        });
        it("--allow-public turns that failure into a warning (explicit opt-out)", () => {
            const out = judgeResolution(publicEcr, "ecr", {
                serverLabel: "system resolver",
                allowPublic: true,
            });
            expect(out.status).to.equal("warn");
            expect(out.hint).to.match(/traffic leaves the private path/);
        });
        it("fails for the layer bucket host on public addresses too; other hosts only warn", () => {
            const layer = {
                ...publicEcr,
                name: "prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com",
            };
            const out = judgeResolution(layer, "layer", { serverLabel: "x" });
            expect(out.status).to.equal("fail");
            expect(out.hint).to.match(/^ECR's layer bucket host resolves to public addresses/);
            expect(
                judgeResolution({ ...publicEcr, name: "auth.example.com" }, "other", {
                    serverLabel: "x",
                }).status,
            ).to.equal("warn");
        });
        it("fails when a CNAME points at a name that does not exist", () => {
            const out = judgeResolution(
                {
                    name: "a.dkr.ecr.us-west-2.amazonaws.com",
                    chain: ["vpce-gone.dkr.ecr.us-west-2.vpce.amazonaws.com"],
                    chainKnown: true,
                    addresses: [],
                    error: {
                        code: "ENOTFOUND",
                        name: "vpce-gone.dkr.ecr.us-west-2.vpce.amazonaws.com",
                    },
                },
                "ecr",
                { serverLabel: "x" },
            );
            expect(out.summary).to.equal(
                "NXDOMAIN for vpce-gone.dkr.ecr.us-west-2.vpce.amazonaws.com (CNAME target of a.dkr.ecr.us-west-2.amazonaws.com)",
            );
            expect(out.hint).to.match(/^the CNAME points at a name that does not exist/);
        });
    });

    describe("arguments", () => {
        it("parses host[:port] with 443 by default", () => {
            expect(parseRegistry("123456789012.dkr.ecr.us-west-2.amazonaws.com")).to.deep.equal({
                host: "123456789012.dkr.ecr.us-west-2.amazonaws.com",
                port: 443,
            });
            expect(parseRegistry("Registry.Example:5000")).to.deep.equal({
                host: "registry.example",
                port: 5000,
            });
            expect(parseRegistry("[::1]:8443")).to.deep.equal({ host: "::1", port: 8443 });
            expect(parseRegistry("https://r.example/")).to.deep.equal({
                host: "r.example",
                port: 443,
            });
        });
        it("parses every option", () => {
            const a = parseArgs([
                "--registry=r.example:444",
                "--dns-server",
                "10.0.0.2",
                "--timeout",
                "1500",
                "--username",
                "AWS",
                "--docker-config",
                "/x",
                "--image",
                "a/b:c",
                "--allow-alias",
                "--allow-public",
                "--pull-through-cache",
                "--layer-host",
                "layers.example:8443",
                "--json",
            ]);
            expect(a.json).to.equal(true);
            expect(a.options).to.deep.equal({
                host: "r.example",
                port: 444,
                timeoutMs: 1500,
                dnsServer: "10.0.0.2",
                username: "AWS",
                dockerConfigPath: "/x",
                image: "a/b:c",
                pullThroughCache: true,
                allowAlias: true,
                allowPublic: true,
                layerHost: "layers.example",
                layerPort: 8443,
            });
        });
        it("parses image references", () => {
            expect(parseImage("team/app:v1")).to.deep.equal({ repo: "team/app", reference: "v1" });
            expect(parseImage("app")).to.deep.equal({ repo: "app", reference: "latest" });
            expect(parseImage(`app@sha256:${"a".repeat(64)}`)).to.deep.equal({
                repo: "app",
                reference: `sha256:${"a".repeat(64)}`,
            });
            expect(parseImage("Team/App:v1")).to.equal(undefined);
        });
        const bad: [string[], string][] = [
            [[], "doctor: --registry is required"],
            [["--registry", "r:0"], 'doctor: --registry: port must be 1-65535, got "0"'],
            [["--registry", "bad_host!"], 'doctor: --registry: "bad_host!" is not a host name'],
            [
                ["--registry", "r", "--timeout", "soon"],
                'doctor: --timeout must be milliseconds between 1 and 600000, got "soon"',
            ],
            [
                ["--registry", "r", "--dns-server", "ns.example"],
                'doctor: --dns-server must be <ip>[:<port>], got "ns.example"',
            ],
            [
                ["--registry", "r", "--image", "UPPER:x"],
                'doctor: --image must be <repo>:<tag> or <repo>@<digest>, got "UPPER:x"',
            ],
            [["--registry", "r", "--frobnicate"], "doctor: unknown option --frobnicate"],
            [
                ["--registry", "r", "--pull-through-cache"],
                "doctor: --pull-through-cache needs --image <prefix>/<upstream path>:<tag>",
            ],
            [["--registry"], "doctor: --registry needs a value"],
            [
                ["--registry", "r", "--layer-host", "x:99999"],
                'doctor: --layer-host: port must be 1-65535, got "99999"',
            ],
            [
                ["--registry", "r", "--ca-file", "/nonexistent/ca.pem"],
                'doctor: --ca-file: cannot read "/nonexistent/ca.pem": ENOENT',
            ],
        ];
        for (const [argv, message] of bad) {
            it(`exits 2 for ${JSON.stringify(argv)}`, async () => {
                let err = "";
                const code = await main(argv, {
                    stdout: () => undefined,
                    stderr: (s) => (err += s),
                });
                expect(code).to.equal(2);
                expect(err.split("\n")[0]).to.equal(message);
                expect(err).to.include("usage: npm run doctor -- --registry <host>[:<port>]");
            });
        }
        for (const [argv, message] of bad) {
            it(`with --json, exits 2 for ${JSON.stringify(argv)} with a JSON error on stdout`, async () => {
                let out = "";
                let err = "";
                const code = await main([...argv, "--json"], {
                    stdout: (s) => (out += s),
                    stderr: (s) => (err += s),
                });
                expect(code).to.equal(2);
                expect(err).to.equal("");
                const parsed = JSON.parse(out);
                expect(parsed).to.deep.equal({
                    ok: false,
                    exitCode: 2,
                    error: {
                        kind: "usage",
                        flag: /^doctor: (?:unknown option )?(--[a-z-]+)/.exec(message)![1],
                        message: message.replace(/^doctor: /, ""),
                    },
                });
            });
        }
        it("prints usage for --help and exits 0", async () => {
            let out = "";
            expect(await main(["--help"], { stdout: (s) => (out += s) })).to.equal(0);
            expect(out).to.match(/^usage: /);
        });
    });

    describe("Docker config credentials", () => {
        let dir: string;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-dockercfg-"));
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("finds auths under the spellings docker login writes", async () => {
            const file = path.join(dir, "config.json");
            const auth = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString("base64");
            fs.writeFileSync(
                file,
                JSON.stringify({
                    auths: {
                        "https://123456789012.dkr.ecr.us-west-2.amazonaws.com": {
                            auth: auth("AWS", "ecr-pass"),
                        },
                        "r.example:5000": { auth: auth("bob", "p:with:colons") },
                    },
                }),
            );
            expect(
                await credentialsFromDockerConfig(
                    file,
                    "123456789012.dkr.ecr.us-west-2.amazonaws.com",
                    443,
                    1000,
                ),
            ).to.deep.equal({
                username: "AWS",
                password: "ecr-pass",
                source: `${file} auths["https://123456789012.dkr.ecr.us-west-2.amazonaws.com"]`,
            });
            expect(
                (await credentialsFromDockerConfig(file, "r.example", 5000, 1000))?.password,
            ).to.equal("p:with:colons");
            expect(await credentialsFromDockerConfig(file, "r.example", 443, 1000)).to.equal(
                undefined,
            );
            expect(
                await credentialsFromDockerConfig(
                    path.join(dir, "missing.json"),
                    "r.example",
                    443,
                    1000,
                ),
            ).to.equal(undefined);
        });
    });

    describe("time limits (silent servers on loopback)", () => {
        const servers: { close(): void }[] = [];
        after(() => servers.forEach((s) => s.close()));

        it("fails dns within the timeout when the DNS server never answers", async () => {
            const sock = dgram.createSocket("udp4");
            await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
            servers.push(sock);
            const started = Date.now();
            const r = await runDoctor({
                host: "registry.example",
                port: 443,
                dnsServer: `127.0.0.1:${sock.address().port}`,
                timeoutMs: 300,
            });
            expect(Date.now() - started).to.be.below(3000);
            expect(r.steps[0]).to.include({
                id: "dns",
                status: "fail",
                summary: "DNS server did not answer for registry.example (ETIMEOUT)",
            });
            expect(r.exitCode).to.equal(1);
        });

        it("fails tls within the timeout when the port accepts but never speaks TLS", async () => {
            const held: net.Socket[] = [];
            const srv = net.createServer((s) => held.push(s));
            await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
            servers.push({ close: () => (held.forEach((s) => s.destroy()), srv.close()) });
            const port = (srv.address() as net.AddressInfo).port;
            const r = await runDoctor({ host: "127.0.0.1", port, timeoutMs: 300 });
            expect(r.steps.map((s) => [s.id, s.status])).to.deep.equal([
                ["dns", "pass"],
                ["tcp", "pass"],
                ["tls", "fail"],
                ["challenge", "skip"],
                ["auth", "skip"],
            ]);
            expect(r.steps[2].summary).to.equal(
                `TLS handshake with 127.0.0.1:${port} (SNI 127.0.0.1) failed: ETIMEDOUT`,
            );
        });
    });

    it("formats text with a fix line for failures only", () => {
        const text = formatText({
            registry: "r.example:443",
            ok: false,
            exitCode: 1,
            steps: [
                {
                    id: "dns",
                    target: "r.example",
                    status: "pass",
                    summary: "r.example -> 10.0.0.5 (private)",
                    details: ["resolver: system resolver"],
                    ms: 1,
                },
                {
                    id: "tcp",
                    target: "r.example:443",
                    status: "fail",
                    summary: "connection refused by 10.0.0.5:443 (r.example)",
                    details: [],
                    hint: "nothing listens there",
                    ms: 1,
                },
                {
                    id: "tls",
                    target: "r.example:443",
                    status: "skip",
                    summary: "skipped after an earlier failure",
                    details: [],
                    ms: 0,
                },
            ],
        });
        expect(text).to.equal(
            [
                "doctor: registry r.example:443",
                "PASS  dns   r.example -> 10.0.0.5 (private)",
                "FAIL  tcp   connection refused by 10.0.0.5:443 (r.example)",
                "            fix: nothing listens there",
                "SKIP  tls   skipped after an earlier failure",
                "FAILED: 1 pass, 0 warn, 1 fail, 1 skip",
                "",
            ].join("\n"),
        );
    });
});
