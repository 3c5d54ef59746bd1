/**
 * Scenario run inside its own network namespace (tests/helpers/netns.ts):
 * the ECR registry name resolves to 203.0.113.10, an address that stands for
 * a public one and exists only on this namespace's loopback, where a real
 * docker-registry answers (TLS, htpasswd, an image pushed with skopeo). The
 * layer bucket host resolves to 203.0.113.11, where the storage stand-in
 * answers. Prints the doctor's results for:
 *  - public: the registry name on the public address (default options);
 *  - allowPublic: the same with --allow-public, credentials and --image;
 *  - publicLayer: the ECR names private (CNAMEs to the endpoints), the layer
 *    bucket host public.
 */
import * as fs from "fs";
import * as path from "path";
import { runDoctor } from "../../../tools/doctor/doctor";
import { startUnbound } from "../dnsServers";
import { runScenario } from "../netns";
import { makeLeaf } from "../pki";
import { startRegistry, startStorageServer, writeOciLayout } from "../registryServer";
import { caCertDir, skopeoPush } from "../skopeo";

const REGION = "us-west-2";
const HOST = `123456789012.dkr.ecr.${REGION}.amazonaws.com`;
const API_HOST = `api.ecr.${REGION}.amazonaws.com`;
const LAYER_HOST = `prod-${REGION}-starport-layer-bucket.s3.${REGION}.amazonaws.com`;
const DKR_VPCE = `vpce-0abc1234def567890-xyz12345.dkr.ecr.${REGION}.vpce.amazonaws.com`;
const API_VPCE = `vpce-0abc1234def567890-xyz12345.api.ecr.${REGION}.vpce.amazonaws.com`;
const PUBLIC_REGISTRY = "203.0.113.10";
const PUBLIC_STORAGE = "203.0.113.11";
const USER = "alice";
const PASSWORD = "correct-horse-battery";

runScenario("netns-public-", async ({ work, ca, stops }) => {
    const rootDir = path.join(work, "storage");
    fs.mkdirSync(rootDir);
    const storage = await startStorageServer({
        ...makeLeaf(ca, [LAYER_HOST]),
        rootDir,
        listen: { host: PUBLIC_STORAGE, port: 443 },
    });
    stops.push(() => storage.stop());
    // The same registry (one storage root) on the public address and on
    // loopback, where the private case's endpoint names point.
    const cert = makeLeaf(ca, [HOST, PUBLIC_REGISTRY]);
    for (const host of [PUBLIC_REGISTRY, "127.0.0.1"]) {
        const registry = await startRegistry({
            ...cert,
            rootDir,
            auth: { htpasswd: { users: { [USER]: PASSWORD } } },
            redirectBaseUrl: `https://${LAYER_HOST}`,
            listen: { host, port: 443 },
        });
        stops.push(() => registry.stop());
    }
    const layout = path.join(work, "oci");
    writeOciLayout(layout, "v1");
    await skopeoPush(`oci:${layout}:v1`, `docker://${PUBLIC_REGISTRY}/team/app:v1`, {
        certDir: caCertDir(ca, work),
        creds: `${USER}:${PASSWORD}`,
    });

    // What the internet's DNS says: the ECR names on public addresses.
    const publicDns = await startUnbound({
        // Names nobody configured are NXDOMAIN, missing types NODATA (no upstream here).
        confSnippet: 'server:\n    local-zone: "amazonaws.com." static',
        extraLocalData: [
            `${HOST}. 60 IN A ${PUBLIC_REGISTRY}`,
            `${API_HOST}. 60 IN A 203.0.113.12`,
            `${LAYER_HOST}. 60 IN A ${PUBLIC_STORAGE}`,
        ],
    });
    stops.push(() => publicDns.stop());
    // The data centre's DNS with the ECR records but not the layer host's.
    const privateDns = await startUnbound({
        confSnippet: [
            "server:",
            `    local-zone: "${API_HOST}." redirect`,
            `    local-data: "${API_HOST}. 60 IN CNAME ${API_VPCE}."`,
            `    local-zone: "dkr.ecr.${REGION}.amazonaws.com." redirect`,
            `    local-data: "dkr.ecr.${REGION}.amazonaws.com. 60 IN CNAME ${DKR_VPCE}."`,
            '    local-zone: "amazonaws.com." static',
        ].join("\n"),
        extraLocalData: [
            `${DKR_VPCE}. 60 IN A 127.0.0.1`,
            `${API_VPCE}. 60 IN A 127.0.0.1`,
            `${LAYER_HOST}. 60 IN A ${PUBLIC_STORAGE}`,
        ],
    });
    stops.push(() => privateDns.stop());

    const base = {
        host: HOST,
        port: 443,
        caPem: ca.certPem,
        timeoutMs: 3000,
        dockerConfigPath: path.join(work, "none.json"),
    };
    const atPublic = `127.0.0.1:${publicDns.port}`;
    const result = {
        public: await runDoctor({
            ...base,
            dnsServer: atPublic,
            username: USER,
            password: PASSWORD,
        }),
        allowPublic: await runDoctor({
            ...base,
            dnsServer: atPublic,
            username: USER,
            password: PASSWORD,
            image: "team/app:v1",
            allowPublic: true,
        }),
        publicLayer: await runDoctor({
            ...base,
            dnsServer: `127.0.0.1:${privateDns.port}`,
            username: USER,
            password: PASSWORD,
        }),
    };
    return result;
});
