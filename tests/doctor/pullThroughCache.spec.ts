/**
 * A real pull-through flow on loopback, standing in for ECR's pull-through cache:
 *
 *   skopeo / doctor -> cache (docker-registry 2.8 in proxy mode, under the ECR name, htpasswd
 *   like `docker login AWS`, blobs redirected to an S3 stand-in) -> nginx (strips the cache
 *   prefix `docker-hub/`, as ECR maps `docker-hub/library/x` to the upstream's `library/x`)
 *   -> upstream (a second docker-registry with token auth, standing in for Docker Hub: only the
 *   credential the cache is given gets a token that may pull).
 *
 * skopeo pulls the image through the cache once (the warm-up), the upstream then goes away (the
 * IDC has no internet) and the doctor passes on the cached path, layer included. A path never
 * pulled fails with the warm-up hint, and a cache without the upstream credential serves
 * nothing.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderUnbound } from "../../src/dns/onprem";
import { onPremRecordSet } from "../../src/dns/records";
import { cacheMissHint, runDoctor } from "../../tools/doctor/doctor";
import { DoctorOptions } from "../../tools/doctor/types";
import { freePort, haveTool, RunningDnsServer, startUnbound } from "../helpers/dnsServers";
import { step } from "../helpers/doctorResult";
import { Ca, makeCa, makeLeaf, makeSelfSigned, removePki } from "../helpers/pki";
import { caCertDir, skopeoPull, skopeoPush } from "../helpers/skopeo";
import { RunningProxy, startNginxHttp } from "../helpers/proxyServers";
import {
    RunningHttps,
    RunningRegistry,
    startRegistry,
    startStorageServer,
    startTokenServer,
    writeOciLayout,
} from "../helpers/registryServer";

const REGION = "ap-southeast-1";
const HOST = `777788889999.dkr.ecr.${REGION}.amazonaws.com`;
const DKR_VPCE = `vpce-0abc1234def567890-xyz12345.dkr.ecr.${REGION}.vpce.amazonaws.com`;
const API_VPCE = `vpce-0abc1234def567890-xyz12345.api.ecr.${REGION}.vpce.amazonaws.com`;
const STORAGE_HOST = `prod-${REGION}-starport-layer-bucket.s3.${REGION}.amazonaws.com`;
const UPSTREAM_HOST = "upstream.test";
/** What `aws ecr get-login-password` gives the client. */
const ECR_USER = "AWS";
const ECR_PASSWORD = "ecr-login-password";
/** The Docker Hub credential (the secret ecr-pullthroughcache/docker-hub holds). */
const UPSTREAM_USER = "someone";
const UPSTREAM_TOKEN = "dckr_pat_loopback";
const PREFIX = "docker-hub";
const UPSTREAM_IMAGE = "library/hello:v1";
const CACHED_IMAGE = `${PREFIX}/${UPSTREAM_IMAGE}`;

const TOOLS = ["unbound", "docker-registry", "skopeo", "nginx", "htpasswd", "openssl"];

/** Waits (bounded) until `check` holds; the proxy stores a blob in the background. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("pull-through cache on loopback (docker-registry proxy mode, nginx, skopeo, doctor)", function () {
    this.timeout(60000);
    const missing = TOOLS.filter((t) => !haveTool(t));
    let ca: Ca;
    let work: string;
    let dns: RunningDnsServer;
    let tokenServer: RunningHttps;
    let upstream: RunningRegistry;
    let front: RunningProxy;
    let frontPort: number;
    let storage: RunningHttps;
    let cache: RunningRegistry;
    let cacheRoot: string;
    let layerDigest: string;
    let certDir: string;
    const stops: (() => Promise<void>)[] = [];

    const doctor = (image: string, extra: Partial<DoctorOptions> = {}) =>
        runDoctor({
            host: HOST,
            port: cache.port,
            dnsServer: `127.0.0.1:${dns.port}`,
            caPem: ca.certPem,
            timeoutMs: 5000,
            username: ECR_USER,
            password: ECR_PASSWORD,
            dockerConfigPath: path.join(work, "no-docker-config.json"),
            layerPort: storage.port,
            image,
            pullThroughCache: true,
            ...extra,
        });

    const startCache = (rootDir: string, credentials: boolean) =>
        startRegistry({
            ...cacheCert,
            rootDir,
            auth: { htpasswd: { users: { [ECR_USER]: ECR_PASSWORD } } },
            redirectBaseUrl: `https://${STORAGE_HOST}:${storage.port}`,
            proxy: {
                remoteurl: `https://127.0.0.1:${frontPort}`,
                ...(credentials ? { username: UPSTREAM_USER, password: UPSTREAM_TOKEN } : {}),
            },
            // The cache (Go) talks TLS to the front and the token service: trust the test CA.
            env: { SSL_CERT_FILE: ca.certFile },
        });
    let cacheCert: { certFile: string; keyFile: string };

    before(async function () {
        if (missing.length > 0) {
            if (process.env.CI) throw new Error(`missing tools: ${missing.join(", ")}`);
            this.skip();
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "ptc-spec-"));
        ca = makeCa();
        cacheCert = makeLeaf(ca, [HOST, "127.0.0.1"]);
        const upstreamCert = makeLeaf(ca, [UPSTREAM_HOST, "127.0.0.1"]);
        // A CN is at most 64 characters: the bucket host goes in subjectAltName only.
        const storageCert = makeLeaf(ca, ["layer-bucket.test", STORAGE_HOST]);

        // The on-premises DNS of seed 000: ECR names to the endpoints, the layer bucket too.
        const records = onPremRecordSet(
            { region: REGION, apiDnsName: API_VPCE, dkrDnsName: DKR_VPCE },
            60,
        );
        dns = await startUnbound({
            confSnippet: `${renderUnbound(records)}\nserver:\n    local-zone: "amazonaws.com." static\n`,
            extraLocalData: [
                `${DKR_VPCE}. 60 IN A 127.0.0.1`,
                `${API_VPCE}. 60 IN A 127.0.0.1`,
                `${STORAGE_HOST}. 60 IN A 127.0.0.1`,
            ],
        });
        stops.push(() => dns.stop());

        // The upstream: token auth, and only the cache's credential may pull.
        const signing = makeSelfSigned(["ptc-test-token-signer"]);
        stops.push(async () => removePki(signing.dir));
        tokenServer = await startTokenServer({
            ...upstreamCert,
            issuer: "ptc-test-issuer",
            service: "upstream-registry",
            users: { [UPSTREAM_USER]: UPSTREAM_TOKEN },
            signing,
            // The front strips the prefix from paths; the grants follow.
            grantName: (n) => n.replace(/^docker-hub\//, ""),
        });
        stops.push(() => tokenServer.stop());
        upstream = await startRegistry({
            ...upstreamCert,
            auth: {
                token: {
                    realm: `https://127.0.0.1:${tokenServer.port}/token`,
                    service: "upstream-registry",
                    issuer: "ptc-test-issuer",
                    rootCertBundleFile: signing.certFile,
                },
            },
        });
        stops.push(() => upstream.stop());

        certDir = caCertDir(ca, work);
        const layout = path.join(work, "oci");
        ({ layerDigest } = writeOciLayout(layout, "v1"));
        await skopeoPush(
            `oci:${layout}:v1`,
            `docker://127.0.0.1:${upstream.port}/${UPSTREAM_IMAGE}`,
            {
                certDir,
                creds: `${UPSTREAM_USER}:${UPSTREAM_TOKEN}`,
            },
        );

        // ECR's name mapping: <prefix>/<upstream path> in the cache is <upstream path> upstream.
        frontPort = await freePort();
        const upstreamUrl = `https://127.0.0.1:${upstream.port}`;
        const proxied = [
            `        proxy_pass ${upstreamUrl};`,
            `        proxy_ssl_trusted_certificate ${ca.certFile};`,
            "        proxy_ssl_verify on;",
            `        proxy_ssl_name ${UPSTREAM_HOST};`,
            "        proxy_ssl_server_name on;",
        ];
        front = await startNginxHttp(
            [
                "server {",
                `    listen 127.0.0.1:${frontPort} ssl;`,
                `    ssl_certificate ${upstreamCert.certFile};`,
                `    ssl_certificate_key ${upstreamCert.keyFile};`,
                "    location /v2/docker-hub/ {",
                "        rewrite ^/v2/docker-hub/(.*)$ /v2/$1 break;",
                ...proxied,
                "    }",
                "    location / {",
                ...proxied,
                "    }",
                "}",
                "",
            ].join("\n"),
            { host: "127.0.0.1", port: frontPort },
        );
        stops.push(() => front.stop());

        cacheRoot = path.join(work, "cache-storage");
        fs.mkdirSync(cacheRoot);
        storage = await startStorageServer({ ...storageCert, rootDir: cacheRoot });
        stops.push(() => storage.stop());
        cache = await startCache(cacheRoot, true);
        stops.push(() => cache.stop());
    });

    after(async function () {
        this.timeout(20000);
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        if (ca) removePki(ca.dir);
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("a cache without the upstream credential serves nothing (Docker Hub needs one)", async () => {
        const bare = await startCache(path.join(work, "bare-storage"), false);
        try {
            const r = await runDoctor({
                host: HOST,
                port: bare.port,
                dnsServer: `127.0.0.1:${dns.port}`,
                caPem: ca.certPem,
                timeoutMs: 5000,
                username: ECR_USER,
                password: ECR_PASSWORD,
                layerPort: storage.port,
                image: CACHED_IMAGE,
                pullThroughCache: true,
            });
            expect(step(r, "auth").status).to.equal("pass");
            expect(step(r, "manifest").summary).to.equal(`manifest ${CACHED_IMAGE} answered 404`);
            // The front mapped the cached name to the upstream's, which refused the anonymous token.
            expect(
                upstream
                    .logs()
                    .split("\n")
                    .some(
                        (l) =>
                            l.includes("insufficient scope") &&
                            l.includes("http.request.uri=/v2/library/hello/manifests/v1"),
                    ),
            ).to.equal(true);
            expect(r.exitCode).to.equal(1);
        } finally {
            await bare.stop();
        }
    });

    it("skopeo pulls the image through the cache (the warm-up), which keeps it", async () => {
        const out = path.join(work, "pulled");
        await skopeoPull(`docker://127.0.0.1:${cache.port}/${CACHED_IMAGE}`, `oci:${out}:v1`, {
            certDir,
            creds: `${ECR_USER}:${ECR_PASSWORD}`,
        });
        // The layer skopeo received is the upstream's.
        expect(fs.existsSync(path.join(out, "blobs", "sha256", layerDigest.slice(7)))).to.equal(
            true,
        );
        // The cache stores what it fetched (blobs in the background) under the cached name.
        const blob = path.join(
            cacheRoot,
            "docker/registry/v2/blobs/sha256",
            layerDigest.slice(7, 9),
            layerDigest.slice(7),
            "data",
        );
        await until(() => fs.existsSync(blob), 15000, "the cache to store the layer");
        expect(
            fs.existsSync(
                path.join(cacheRoot, "docker/registry/v2/repositories", PREFIX, "library/hello"),
            ),
        ).to.equal(true);
        // The token service saw the cache's credential.
        expect(tokenServer.requests).to.include("GET /token");
    });

    it("with the upstream gone (no internet), the doctor passes on the cached path, layer included", async () => {
        await front.stop();
        await upstream.stop();
        const r = await doctor(CACHED_IMAGE);
        expect(
            r.steps.map((s) => `${s.id} ${s.status}`),
            JSON.stringify(r.steps, null, 2),
        ).to.deep.equal(
            [
                "dns",
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
                "storage-dns",
                "storage-tcp",
                "storage-tls",
                "storage-get",
            ].map((id) => `${id} pass`),
        );
        expect(step(r, "dns").summary).to.equal(
            `${HOST} -> ${DKR_VPCE} -> 127.0.0.1 (endpoint name, private)`,
        );
        expect(step(r, "manifest").summary).to.equal(
            "200, application/vnd.oci.image.manifest.v1+json, 1 layers",
        );
        expect(step(r, "blob").summary).to.equal(
            `307, redirected to storage host ${STORAGE_HOST}:${storage.port}`,
        );
        expect(step(r, "storage-get").summary).to.match(
            /digest verified; landed on .* \(private\)$/,
        );
        expect(r.exitCode).to.equal(0);
    });

    it("an image never pulled fails at manifest with the warm-up hint", async () => {
        const image = `${PREFIX}/library/never-pulled:v1`;
        const r = await doctor(image);
        const manifest = step(r, "manifest");
        expect(manifest.status).to.equal("fail");
        expect(manifest.hint).to.equal(
            cacheMissHint(
                Number(/answered (\d+)/.exec(manifest.summary)![1]),
                `${PREFIX}/library/never-pulled`,
            ),
        );
        expect(manifest.hint).to.contain("pullThroughCacheWarmUpCommands");
        // Without --pull-through-cache the doctor gives its general hint instead.
        const plain = step(await doctor(image, { pullThroughCache: false }), "manifest");
        expect(plain.hint).to.not.contain("pullThroughCacheWarmUpCommands");
        expect(r.exitCode).to.equal(1);
    });
});
