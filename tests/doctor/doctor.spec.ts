/**
 * The connectivity doctor against real servers on loopback: Unbound serving
 * the on-premises ECR records, docker-registry 2.8 with TLS and htpasswd
 * (blobs redirected to an S3 stand-in), an image pushed with skopeo, and a
 * token-auth registry with a token endpoint written here.
 */
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { renderUnbound } from "../../src/dns/onprem";
import { onPremRecordSet } from "../../src/dns/records";
import { main } from "../../tools/doctor/cli";
import { runDoctor } from "../../tools/doctor/doctor";
import { DoctorOptions, DoctorResult } from "../../tools/doctor/types";
import { haveTool, RunningDnsServer, startUnbound } from "../helpers/dnsServers";
import { brief, step } from "../helpers/doctorResult";
import { Ca, makeCa, makeLeaf, makeSelfSigned, removePki } from "../helpers/pki";
import { caCertDir, skopeoPush } from "../helpers/skopeo";
import {
    RunningHttps,
    RunningRegistry,
    startRegistry,
    startStorageServer,
    startTokenServer,
    writeOciLayout,
} from "../helpers/registryServer";

const REGION = "us-west-2";
const HOST = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
const API_HOST = "api.ecr.us-west-2.amazonaws.com";
const DKR_VPCE = "vpce-0abc1234def567890-xyz12345.dkr.ecr.us-west-2.vpce.amazonaws.com";
const API_VPCE = "vpce-0abc1234def567890-xyz12345.api.ecr.us-west-2.vpce.amazonaws.com";
const STORAGE_HOST = "prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com";
// The bucket's global host, where ECR may send layer downloads instead.
const GLOBAL_LAYER_HOST = "prod-us-west-2-starport-layer-bucket.s3.amazonaws.com";
const TOKEN_REGISTRY = "registry.idc.internal";
const AUTH_HOST = "auth.idc.internal";
const USER = "alice";
const PASSWORD = "correct-horse-battery";
const IMAGE = "team/app:v1";

const TOOLS = ["unbound", "docker-registry", "skopeo", "htpasswd", "openssl", "dig"];

function unboundConf(variant: "good" | "removed" | "a-record"): {
    confSnippet: string;
    extraLocalData: string[];
} {
    const records = onPremRecordSet(
        { region: REGION, apiDnsName: API_VPCE, dkrDnsName: DKR_VPCE },
        60,
    );
    let snippet = renderUnbound(records);
    if (variant !== "good") {
        // Drop the dkr.ecr zone and its CNAME: the registry name is no longer served.
        snippet = snippet
            .split("\n")
            .filter((l) => !l.includes(`"dkr.ecr.${REGION}.amazonaws.com.`))
            .join("\n");
    }
    const extraLocalData = [
        `${DKR_VPCE}. 60 IN A 127.0.0.1`,
        `${API_VPCE}. 60 IN A 127.0.0.1`,
        `${STORAGE_HOST}. 60 IN A 127.0.0.1`,
        `${GLOBAL_LAYER_HOST}. 60 IN A 127.0.0.1`,
        `${TOKEN_REGISTRY}. 60 IN A 127.0.0.1`,
    ];
    // The "removed" server also lacks the token service's name (realm check).
    if (variant !== "removed") extraLocalData.push(`${AUTH_HOST}. 60 IN A 127.0.0.1`);
    if (variant === "a-record") extraLocalData.push(`${HOST}. 60 IN A 127.0.0.1`);
    // An IDC resolver without internet: names nobody configured are NXDOMAIN.
    const closed = [
        "server:",
        '    local-zone: "amazonaws.com." static',
        '    local-zone: "idc.internal." static',
    ];
    return { confSnippet: `${snippet}\n${closed.join("\n")}\n`, extraLocalData };
}

describe("doctor (real Unbound, docker-registry, skopeo on loopback)", function () {
    this.timeout(60000);
    const missing = TOOLS.filter((t) => !haveTool(t));
    let ca: Ca;
    let work: string;
    const dns: Partial<Record<"good" | "removed" | "a-record", RunningDnsServer>> = {};
    let storage: RunningHttps;
    let registry: RunningRegistry;
    let globalRedirectRegistry: RunningRegistry;
    let openRegistry: RunningRegistry;
    let wrongCertRegistry: RunningRegistry;
    let stoppedPort: number;
    let tokenServer: RunningHttps;
    let tokenRegistry: RunningRegistry;
    let layerDigest: string;
    const stops: (() => Promise<void>)[] = [];

    const base = (variant: "good" | "removed" | "a-record" = "good"): DoctorOptions => ({
        host: HOST,
        port: registry.port,
        dnsServer: `127.0.0.1:${dns[variant]!.port}`,
        caPem: ca.certPem,
        timeoutMs: 3000,
        dockerConfigPath: path.join(work, "no-such-docker-config.json"),
        // The storage stand-in serves the layer bucket host on its own port.
        layerPort: storage.port,
    });

    before(async function () {
        if (missing.length > 0) {
            // scripts/ensure-test-tools.sh installs them; never pass silently without them in CI.
            if (process.env.CI) throw new Error(`missing tools: ${missing.join(", ")}`);
            this.skip();
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-spec-"));
        ca = makeCa();
        const regCert = makeLeaf(ca, [HOST, "127.0.0.1"]);
        const otherCert = makeLeaf(ca, ["registry.other.example"]);
        const storageCert = makeLeaf(ca, [STORAGE_HOST, GLOBAL_LAYER_HOST]);
        const tokenRegCert = makeLeaf(ca, [TOKEN_REGISTRY]);
        const authCert = makeLeaf(ca, [AUTH_HOST]);

        for (const v of ["good", "removed", "a-record"] as const) {
            const s = await startUnbound(unboundConf(v));
            dns[v] = s;
            stops.push(() => s.stop());
        }

        const rootDir = path.join(work, "storage");
        fs.mkdirSync(rootDir);
        storage = await startStorageServer({ ...storageCert, rootDir });
        stops.push(() => storage.stop());
        registry = await startRegistry({
            ...regCert,
            rootDir,
            auth: { htpasswd: { users: { [USER]: PASSWORD } } },
            redirectBaseUrl: `https://${STORAGE_HOST}:${storage.port}`,
        });
        stops.push(() => registry.stop());

        // Push a real image with a real client (skopeo), over TLS, with htpasswd credentials.
        const layout = path.join(work, "oci");
        ({ layerDigest } = writeOciLayout(layout, "v1"));
        await skopeoPush(`oci:${layout}:v1`, `docker://127.0.0.1:${registry.port}/${IMAGE}`, {
            certDir: caCertDir(ca, work),
            creds: `${USER}:${PASSWORD}`,
        });

        // Same images, blobs redirected to the bucket's global host.
        globalRedirectRegistry = await startRegistry({
            ...regCert,
            rootDir,
            auth: { htpasswd: { users: { [USER]: PASSWORD } } },
            redirectBaseUrl: `https://${GLOBAL_LAYER_HOST}:${storage.port}`,
        });
        stops.push(() => globalRedirectRegistry.stop());
        // A registry that asks for no credentials, under the ECR name.
        openRegistry = await startRegistry({ ...regCert, rootDir, auth: { none: true } });
        stops.push(() => openRegistry.stop());

        wrongCertRegistry = await startRegistry({
            ...otherCert,
            auth: { htpasswd: { users: { [USER]: PASSWORD } } },
        });
        stops.push(() => wrongCertRegistry.stop());
        const stopped = await startRegistry({
            ...regCert,
            auth: { htpasswd: { users: { [USER]: PASSWORD } } },
        });
        stoppedPort = stopped.port;
        await stopped.stop();

        // Token mode: the registry trusts tokens signed by a key whose certificate is in rootcertbundle.
        const signing = makeSelfSigned(["doctor-test-token-signer"]);
        stops.push(async () => removePki(signing.dir));
        tokenServer = await startTokenServer({
            ...authCert,
            issuer: "doctor-test-issuer",
            service: "doctor-test-registry",
            users: { [USER]: PASSWORD },
            signing,
        });
        stops.push(() => tokenServer.stop());
        tokenRegistry = await startRegistry({
            ...tokenRegCert,
            auth: {
                token: {
                    realm: `https://${AUTH_HOST}:${tokenServer.port}/token`,
                    service: "doctor-test-registry",
                    issuer: "doctor-test-issuer",
                    rootCertBundleFile: signing.certFile,
                },
            },
        });
        stops.push(() => tokenRegistry.stop());
    });

    after(async function () {
        this.timeout(20000);
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        if (ca) removePki(ca.dir);
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("passes every step, pulling the pushed image's manifest and layer through the storage redirect", async () => {
        const r = await runDoctor({ ...base(), username: USER, password: PASSWORD, image: IMAGE });
        const storageTarget = `${STORAGE_HOST}:${storage.port}`;
        expect(brief(r)).to.deep.equal([
            {
                id: "dns",
                status: "pass",
                summary: `${HOST} -> ${DKR_VPCE} -> 127.0.0.1 (endpoint name, private)`,
            },
            {
                id: "dns-api",
                status: "pass",
                summary: `${API_HOST} -> ${API_VPCE} -> 127.0.0.1 (endpoint name, private)`,
            },
            { id: "tcp", status: "pass", summary: step(r, "tcp").summary },
            { id: "tls", status: "pass", summary: step(r, "tls").summary },
            { id: "challenge", status: "pass", summary: '401 with Basic realm="test-registry"' },
            { id: "auth", status: "pass", summary: `200 for user ${USER} (Basic)` },
            {
                id: "layer-dns",
                status: "pass",
                summary: `${STORAGE_HOST} -> 127.0.0.1 (private)`,
            },
            { id: "layer-tcp", status: "pass", summary: step(r, "layer-tcp").summary },
            { id: "layer-tls", status: "pass", summary: step(r, "layer-tls").summary },
            {
                id: "manifest",
                status: "pass",
                summary: "200, application/vnd.oci.image.manifest.v1+json, 1 layers",
            },
            {
                id: "blob",
                status: "pass",
                summary: `307, redirected to storage host ${storageTarget}`,
            },
            {
                id: "storage-dns",
                status: "pass",
                summary: `${STORAGE_HOST} -> 127.0.0.1 (private)`,
            },
            { id: "storage-tcp", status: "pass", summary: step(r, "storage-tcp").summary },
            { id: "storage-tls", status: "pass", summary: step(r, "storage-tls").summary },
            { id: "storage-get", status: "pass", summary: step(r, "storage-get").summary },
        ]);
        expect(step(r, "tcp").summary).to.match(
            new RegExp(
                `^connected to 127\\.0\\.0\\.1:${registry.port} \\(${HOST.replace(/\./g, "\\.")}\\) in \\d+ ms$`,
            ),
        );
        expect(step(r, "tls").summary).to.match(
            new RegExp(
                `^TLSv1\\.[23], certificate for ${HOST.replace(/\./g, "\\.")} issued by ecr-private-access test CA, valid until `,
            ),
        );
        expect(step(r, "storage-get").summary).to.match(
            new RegExp(
                `^200 from storage, \\d+ bytes, digest verified; landed on ${STORAGE_HOST.replace(/\./g, "\\.")} \\(private\\)$`,
            ),
        );
        expect(step(r, "layer-tls").summary).to.match(
            new RegExp(`^TLSv1\\.[23], certificate for ${STORAGE_HOST.replace(/\./g, "\\.")} `),
        );
        expect(storage.requests).to.include(
            `GET /docker/registry/v2/blobs/sha256/${layerDigest.slice(7, 9)}/${layerDigest.slice(7)}/data`,
        );
        expect(r.ok).to.equal(true);
        expect(r.exitCode).to.equal(0);
    });

    it("fails at dns with NXDOMAIN when the registry's record is removed, skipping the rest", async () => {
        const r = await runDoctor({
            ...base("removed"),
            username: USER,
            password: PASSWORD,
            image: IMAGE,
        });
        expect(brief(r)).to.deep.equal([
            { id: "dns", status: "fail", summary: `NXDOMAIN for ${HOST}` },
            ...[
                "dns-api",
                "tcp",
                "tls",
                "challenge",
                "auth",
                "layer-dns",
                "layer-tcp",
                "layer-tls",
                "manifest",
                "blob",
            ].map((id) => ({
                id,
                status: "skip",
                summary: "skipped after an earlier failure",
            })),
        ]);
        expect(step(r, "dns").hint).to.match(
            /^the DNS this machine uses has no record for the ECR name: add the on-premises records/,
        );
        expect(r.exitCode).to.equal(1);
    });

    it("fails at dns when an A record replaces the CNAME", async () => {
        const r = await runDoctor({ ...base("a-record"), username: USER, password: PASSWORD });
        const dnsStep = step(r, "dns");
        expect(dnsStep.status).to.equal("fail");
        expect(dnsStep.summary).to.equal(
            `${HOST} resolves straight to 127.0.0.1 through an A record; expected a CNAME to the endpoint's vpce.amazonaws.com name`,
        );
        expect(dnsStep.hint).to.match(
            /^replace the A record with a CNAME to the endpoint's regional DNS name/,
        );
        expect(r.steps.slice(1).every((s) => s.status === "skip")).to.equal(true);
        expect(r.exitCode).to.equal(1);
    });

    it("accepts the A record with --allow-alias (inside the VPC or behind a Route 53 alias)", async () => {
        const r = await runDoctor({
            ...base("a-record"),
            username: USER,
            password: PASSWORD,
            allowAlias: true,
        });
        expect(step(r, "dns")).to.include({
            status: "pass",
            summary: `${HOST} -> 127.0.0.1 (private)`,
        });
        expect(r.exitCode).to.equal(0);
    });

    it("fails at tls when the certificate names another host", async () => {
        const r = await runDoctor({
            ...base(),
            port: wrongCertRegistry.port,
            username: USER,
            password: PASSWORD,
        });
        expect(brief(r).slice(0, 5)).to.deep.equal([
            {
                id: "dns",
                status: "pass",
                summary: `${HOST} -> ${DKR_VPCE} -> 127.0.0.1 (endpoint name, private)`,
            },
            {
                id: "dns-api",
                status: "pass",
                summary: `${API_HOST} -> ${API_VPCE} -> 127.0.0.1 (endpoint name, private)`,
            },
            { id: "tcp", status: "pass", summary: step(r, "tcp").summary },
            {
                id: "tls",
                status: "fail",
                summary: `certificate names DNS:registry.other.example, not ${HOST}`,
            },
            { id: "challenge", status: "skip", summary: "skipped after an earlier failure" },
        ]);
        expect(step(r, "tls").hint).to.match(/^this address serves another host's certificate/);
        expect(r.exitCode).to.equal(1);
    });

    it("fails at tls when the private CA is not given", async () => {
        const r = await runDoctor({ ...base(), caPem: undefined });
        expect(step(r, "tls")).to.include({
            status: "fail",
            summary: `certificate for ${HOST} does not chain to a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
        });
        expect(step(r, "tls").hint).to.match(/--ca-file/);
    });

    it("fails at tcp when the registry is stopped", async () => {
        const r = await runDoctor({ ...base(), port: stoppedPort });
        expect(step(r, "tcp")).to.include({
            status: "fail",
            summary: `connection refused by 127.0.0.1:${stoppedPort} (${HOST})`,
        });
        expect(step(r, "tcp").hint).to.equal(
            "nothing listens there: the registry is down or on another port, or the name points at the wrong address",
        );
        expect(
            brief(r)
                .slice(3)
                .map((s) => s.status),
        ).to.deep.equal(["skip", "skip", "skip", "skip", "skip", "skip"]);
        expect(r.exitCode).to.equal(1);
    });

    it("fails at auth when the credentials are wrong", async () => {
        const r = await runDoctor({
            ...base(),
            username: USER,
            password: "wrong-password",
            image: IMAGE,
        });
        expect(brief(r).slice(4)).to.deep.equal([
            { id: "challenge", status: "pass", summary: '401 with Basic realm="test-registry"' },
            {
                id: "auth",
                status: "fail",
                summary: `GET /v2/ with credentials of ${USER} answered 401`,
            },
            ...["layer-dns", "layer-tcp", "layer-tls"].map((id) => ({
                id,
                status: "skip",
                summary: "skipped after an earlier failure",
            })),
            { id: "manifest", status: "skip", summary: "skipped after an earlier failure" },
            { id: "blob", status: "skip", summary: "skipped after an earlier failure" },
        ]);
        expect(step(r, "auth").hint).to.equal(
            "the registry rejected the credentials: get a fresh password with `aws ecr get-login-password --region us-west-2` (user AWS; it expires after 12 hours)",
        );
        expect(r.exitCode).to.equal(1);
    });

    it("fails at manifest for a tag that does not exist", async () => {
        const r = await runDoctor({
            ...base(),
            username: USER,
            password: PASSWORD,
            image: "team/app:nope",
        });
        expect(step(r, "manifest")).to.include({
            status: "fail",
            summary: "manifest team/app:nope answered 404",
        });
        expect(step(r, "blob").status).to.equal("skip");
    });

    it("skips auth without credentials and still exits 0", async () => {
        const r = await runDoctor(base());
        expect(step(r, "auth")).to.include({ status: "skip" });
        expect(step(r, "auth").summary).to.match(/^no credentials/);
        expect(r.exitCode).to.equal(0);
    });

    it("fails at challenge when a registry under the ECR name answers /v2/ without credentials", async () => {
        const r = await runDoctor({ ...base(), port: openRegistry.port });
        expect(step(r, "challenge")).to.include({
            status: "fail",
            summary: "GET /v2/ answered 200 without credentials: this is not ECR",
        });
        expect(step(r, "challenge").hint).to.match(
            /^ECR always answers 401 here: a proxy or another registry intercepts the ECR name/,
        );
        expect(r.exitCode).to.equal(1);
    });

    it("only warns about an open registry under a name that is not ECR's", async () => {
        const r = await runDoctor({
            ...base(),
            host: "127.0.0.1",
            port: openRegistry.port,
            layerPort: undefined,
        });
        expect(step(r, "challenge").status).to.equal("warn");
        expect(r.steps.map((x) => x.id)).to.not.include("layer-dns");
        expect(r.exitCode).to.equal(0);
    });

    it("follows a blob redirect to the bucket's global host and reports where it landed", async () => {
        const r = await runDoctor({
            ...base(),
            port: globalRedirectRegistry.port,
            username: USER,
            password: PASSWORD,
            image: IMAGE,
        });
        expect(step(r, "blob").summary).to.equal(
            `307, redirected to storage host ${GLOBAL_LAYER_HOST}:${storage.port}`,
        );
        expect(step(r, "storage-dns")).to.include({
            status: "pass",
            summary: `${GLOBAL_LAYER_HOST} -> 127.0.0.1 (private)`,
        });
        const get = step(r, "storage-get");
        expect(get.status).to.equal("pass");
        expect(get.summary).to.match(new RegExp(`; landed on ${GLOBAL_LAYER_HOST} \\(private\\)$`));
        expect(get.details).to.deep.equal([
            `landed on ${GLOBAL_LAYER_HOST} (private: 127.0.0.1)`,
            `ECR sent this layer to ${GLOBAL_LAYER_HOST}, not the regional ${STORAGE_HOST}: that name needs the same private DNS record`,
        ]);
        expect(r.exitCode).to.equal(0);
    });

    it("fails at layer-dns when the layer bucket host does not resolve, naming the layer record", async () => {
        // The registry's records are in place; the layer host has none, so pulls would fail.
        const noLayer = await runDoctor({
            ...base(),
            layerHost: "prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com",
        });
        expect(step(noLayer, "layer-dns")).to.include({
            status: "fail",
            summary: "NXDOMAIN for prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com",
        });
        expect(step(noLayer, "layer-dns").hint).to.match(
            /^the DNS this machine uses has no record for ECR's layer bucket host: add its CNAME to the S3 interface endpoint/,
        );
        expect(noLayer.exitCode).to.equal(1);
    });

    it("fails at layer-tls when the layer host's address serves another certificate", async () => {
        const r = await runDoctor({ ...base(), layerPort: wrongCertRegistry.port });
        expect(step(r, "layer-tcp").status).to.equal("pass");
        expect(step(r, "layer-tls")).to.include({
            status: "fail",
            summary: `certificate names DNS:registry.other.example, not ${STORAGE_HOST}`,
        });
        expect(step(r, "layer-tls").hint).to.contain("keep using the layer bucket's own name");
        expect(r.exitCode).to.equal(1);
    });

    describe("Bearer (token auth) registry", () => {
        const opts = (): DoctorOptions => ({
            host: TOKEN_REGISTRY,
            port: tokenRegistry.port,
            dnsServer: `127.0.0.1:${dns.good!.port}`,
            caPem: ca.certPem,
            timeoutMs: 3000,
            dockerConfigPath: path.join(work, "no-such-docker-config.json"),
        });

        it("checks the realm host and the token endpoint, then authenticates with a token", async () => {
            const r = await runDoctor({ ...opts(), username: USER, password: PASSWORD });
            const realm = `https://${AUTH_HOST}:${tokenServer.port}/token`;
            expect(brief(r).map((s) => [s.id, s.status])).to.deep.equal([
                ["dns", "pass"],
                ["tcp", "pass"],
                ["tls", "pass"],
                ["challenge", "pass"],
                ["realm-dns", "pass"],
                ["realm-tcp", "pass"],
                ["realm-tls", "pass"],
                ["token", "pass"],
                ["auth", "pass"],
            ]);
            expect(step(r, "challenge").summary).to.equal(
                `401 with Bearer realm="${realm}", service="doctor-test-registry"`,
            );
            expect(step(r, "realm-dns").summary).to.equal(`${AUTH_HOST} -> 127.0.0.1 (private)`);
            expect(step(r, "token")).to.include({
                target: `${realm}?service=doctor-test-registry`,
                summary: "200, anonymous token issued",
            });
            expect(step(r, "auth").summary).to.equal(`200 for user ${USER} (Bearer token)`);
        });

        it("works with a token that names its key by libtrust kid instead of x5c", async () => {
            const signing = makeSelfSigned(["doctor-test-kid-signer"]);
            const kidTokens = await startTokenServer({
                ...makeLeaf(ca, [AUTH_HOST]),
                issuer: "kid-issuer",
                service: "kid-registry",
                users: { [USER]: PASSWORD },
                signing,
                keyHeader: "kid",
            });
            const kidRegistry = await startRegistry({
                ...makeLeaf(ca, [TOKEN_REGISTRY]),
                auth: {
                    token: {
                        realm: `https://${AUTH_HOST}:${kidTokens.port}/token`,
                        service: "kid-registry",
                        issuer: "kid-issuer",
                        rootCertBundleFile: signing.certFile,
                    },
                },
            });
            try {
                const r = await runDoctor({
                    ...opts(),
                    port: kidRegistry.port,
                    username: USER,
                    password: PASSWORD,
                });
                expect(step(r, "auth")).to.include({
                    status: "pass",
                    summary: `200 for user ${USER} (Bearer token)`,
                });
            } finally {
                await kidRegistry.stop();
                await kidTokens.stop();
                removePki(signing.dir);
            }
        });

        it("fails at auth when the token endpoint rejects the credentials", async () => {
            const r = await runDoctor({ ...opts(), username: USER, password: "nope" });
            expect(step(r, "auth")).to.include({
                status: "fail",
                summary: `token endpoint answered 401 to ${USER}'s credentials (from --username and stdin)`,
            });
        });

        it("fails at realm-dns when the realm host does not resolve", async () => {
            const r = await runDoctor({
                ...opts(),
                dnsServer: `127.0.0.1:${dns.removed!.port}`,
                username: USER,
                password: PASSWORD,
            });
            expect(brief(r).slice(3)).to.deep.equal([
                { id: "challenge", status: "pass", summary: step(r, "challenge").summary },
                { id: "realm-dns", status: "fail", summary: `NXDOMAIN for ${AUTH_HOST}` },
                { id: "realm-tcp", status: "skip", summary: "skipped after an earlier failure" },
                { id: "realm-tls", status: "skip", summary: "skipped after an earlier failure" },
                { id: "token", status: "skip", summary: "skipped after an earlier failure" },
                { id: "auth", status: "skip", summary: "skipped after an earlier failure" },
            ]);
        });
    });

    describe("token service unreachable", () => {
        it("names the token service, not the registry, when the realm's port is closed", async () => {
            const signing = makeSelfSigned(["doctor-test-dead-realm"]);
            const dead = await startTokenServer({
                ...makeLeaf(ca, [AUTH_HOST]),
                issuer: "dead-issuer",
                service: "dead-registry",
                users: { [USER]: PASSWORD },
                signing,
            });
            const deadPort = dead.port;
            await dead.stop();
            const reg = await startRegistry({
                ...makeLeaf(ca, [TOKEN_REGISTRY]),
                auth: {
                    token: {
                        realm: `https://${AUTH_HOST}:${deadPort}/token`,
                        service: "dead-registry",
                        issuer: "dead-issuer",
                        rootCertBundleFile: signing.certFile,
                    },
                },
            });
            try {
                const r = await runDoctor({
                    host: TOKEN_REGISTRY,
                    port: reg.port,
                    dnsServer: `127.0.0.1:${dns.good!.port}`,
                    caPem: ca.certPem,
                    timeoutMs: 3000,
                    dockerConfigPath: path.join(work, "no-such-docker-config.json"),
                });
                expect(step(r, "realm-tcp")).to.include({
                    status: "fail",
                    summary: `connection refused by 127.0.0.1:${deadPort} (${AUTH_HOST})`,
                    hint: "nothing listens there: the token service is down or on another port, or the name points at the wrong address",
                });
                expect(step(r, "realm-tcp").hint).to.not.contain("registry");
                const removed = await runDoctor({
                    host: TOKEN_REGISTRY,
                    port: tokenRegistry.port,
                    dnsServer: `127.0.0.1:${dns.removed!.port}`,
                    caPem: ca.certPem,
                    timeoutMs: 3000,
                    dockerConfigPath: path.join(work, "no-such-docker-config.json"),
                });
                expect(step(removed, "realm-dns").hint).to.equal(
                    "the DNS this machine uses does not know the token service's name: add it to the on-premises DNS or forward its zone",
                );
            } finally {
                await reg.stop();
                removePki(signing.dir);
            }
        });
    });

    describe("the CLI as a process, writing to a pipe", () => {
        const cli = (args: string[]): Promise<{ code: number | null; stdout: string }> =>
            new Promise((resolve) => {
                execFile(
                    process.execPath,
                    ["-r", "./tools/register.js", "tools/doctor/cli.ts", ...args],
                    { timeout: 30000, maxBuffer: 16 * 1024 * 1024 },
                    (err, stdout) =>
                        resolve({
                            code: err ? ((err as { code?: number }).code ?? null) : 0,
                            stdout,
                        }),
                );
            });
        it("prints the whole JSON result before it exits", async () => {
            const out = await cli([
                "--registry",
                `${HOST}:${registry.port}`,
                "--dns-server",
                `127.0.0.1:${dns.good!.port}`,
                "--ca-file",
                ca.certFile,
                "--layer-host",
                `${STORAGE_HOST}:${storage.port}`,
                "--timeout",
                "3000",
                "--json",
            ]);
            const parsed = JSON.parse(out.stdout) as DoctorResult;
            expect(out.code).to.equal(0);
            expect(parsed.steps.map((x) => x.id)).to.deep.equal([
                "dns",
                "dns-api",
                "tcp",
                "tls",
                "challenge",
                "auth",
                "layer-dns",
                "layer-tcp",
                "layer-tls",
            ]);
        });
        it("a usage error with --json is JSON on stdout and exit 2", async () => {
            const out = await cli(["--json", "--registry", "r", "--timeout", "soon"]);
            expect(out.code).to.equal(2);
            expect(JSON.parse(out.stdout).error).to.deep.include({
                kind: "usage",
                flag: "--timeout",
            });
        });
    });

    describe("cli main()", () => {
        it("reads credentials from a Docker config and prints JSON", async () => {
            const cfg = path.join(work, "docker-config.json");
            const auth = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
            fs.writeFileSync(
                cfg,
                JSON.stringify({ auths: { [`${HOST}:${registry.port}`]: { auth } } }),
            );
            let out = "";
            const code = await main(
                [
                    "--registry",
                    `${HOST}:${registry.port}`,
                    "--dns-server",
                    `127.0.0.1:${dns.good!.port}`,
                    "--ca-file",
                    ca.certFile,
                    "--docker-config",
                    cfg,
                    "--image",
                    IMAGE,
                    "--layer-host",
                    `${STORAGE_HOST}:${storage.port}`,
                    "--timeout",
                    "3000",
                    "--json",
                ],
                { stdout: (s) => (out += s), stderr: () => undefined },
            );
            const parsed = JSON.parse(out) as DoctorResult;
            expect(code).to.equal(0);
            expect(parsed.steps.map((s) => s.status).every((s) => s === "pass")).to.equal(true);
            expect(parsed.steps.find((s) => s.id === "auth")!.details).to.deep.equal([
                `credentials: user ${USER} from ${cfg} auths["${HOST}:${registry.port}"]`,
            ]);
        });

        it("reads the password from stdin and prints text with a fix line on failure", async () => {
            let out = "";
            const code = await main(
                [
                    "--registry",
                    `${HOST}:${registry.port}`,
                    "--dns-server",
                    `127.0.0.1:${dns.good!.port}`,
                    "--ca-file",
                    ca.certFile,
                    "--username",
                    USER,
                    "--layer-host",
                    `${STORAGE_HOST}:${storage.port}`,
                ],
                {
                    stdin: Readable.from(["wrong\n"]),
                    stdout: (s) => (out += s),
                    stderr: () => undefined,
                },
            );
            expect(code).to.equal(1);
            expect(out).to.include(
                `FAIL  auth       GET /v2/ with credentials of ${USER} answered 401\n`,
            );
            expect(out).to.match(/\n\s+fix: the registry rejected the credentials/);
            expect(out.trimEnd().split("\n").pop()).to.equal(
                "FAILED: 5 pass, 0 warn, 1 fail, 3 skip",
            );
        });
    });
});
