/**
 * Scenario run inside its own network namespace (tests/helpers/netns.ts):
 * the generated SNI proxy configurations in front of real servers standing in
 * for the endpoints, all on port 443 as in a data centre.
 *
 *   hosts file (generated): ECR names and layer host -> 127.0.0.10 (the proxy)
 *   name server 127.0.0.53: vpce names -> 127.0.0.2 (registry), .3 (layer
 *   storage), .4 (an HTTPS stand-in for the ecr.api endpoint)
 *
 * For HAProxy, then nginx: the configuration check, skopeo pushing (first
 * proxy) and pulling an image through the proxy (the pull follows the blob
 * redirect to the layer host, through the proxy too), the doctor, and TLS
 * probes by server name.
 */
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { runDoctor } from "../../../tools/doctor/doctor";
import { DoctorResult } from "../../../tools/doctor/types";
import { startUnbound } from "../dnsServers";
import { runScenario, scenarioInput } from "../netns";
import { makeLeaf } from "../pki";
import { haproxyCheck, nginxCheck, RunningProxy, startHaproxy, startNginx } from "../proxyServers";
import { startRegistry, startStorageServer, writeOciLayout } from "../registryServer";
import { caCertDir, skopeoPull, skopeoPush } from "../skopeo";

export interface SniProxyInput {
    haproxyCfg: string;
    nginxStream: string;
    registryHost: string;
    apiHost: string;
    layerHost: string;
    apiVpce: string;
    dkrVpce: string;
    layerTarget: string;
    proxy: { host: string; port: number };
}

export interface ProxyRun {
    check: { code: number | null; output: string };
    pushed?: boolean;
    pulledLayerFiles: string[];
    doctor: DoctorResult;
    apiCertNames: string;
    otherName: string;
}

const USER = "alice";
const PASSWORD = "correct-horse-battery";

function probe(ip: string, port: number, servername: string, ca: string): Promise<string> {
    return new Promise((resolve) => {
        const socket = tls.connect({ host: ip, port, servername, ca: [ca] });
        const timer = setTimeout(() => {
            socket.destroy();
            resolve("timeout");
        }, 5000);
        socket.once("secureConnect", () => {
            clearTimeout(timer);
            resolve(socket.getPeerCertificate().subjectaltname ?? "(no names)");
            socket.destroy();
        });
        socket.once("error", (e: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            resolve(`error ${e.code ?? e.message}`);
        });
    });
}

const input = scenarioInput<SniProxyInput>();

runScenario("netns-proxy-", async ({ work, ca, stops }) => {
    await startUnbound({
        listen: { host: "127.0.0.53", port: 53 },
        confSnippet: 'server:\n    local-zone: "amazonaws.com." static',
        extraLocalData: [
            `${input.dkrVpce}. 60 IN A 127.0.0.2`,
            `${input.layerTarget}. 60 IN A 127.0.0.3`,
            `${input.apiVpce}. 60 IN A 127.0.0.4`,
        ],
    }).then((s) => stops.push(() => s.stop()));
    const rootDir = path.join(work, "storage");
    fs.mkdirSync(rootDir);
    const storage = await startStorageServer({
        ...makeLeaf(ca, [input.layerHost]),
        rootDir,
        listen: { host: "127.0.0.3", port: 443 },
    });
    stops.push(() => storage.stop());
    const api = await startStorageServer({
        ...makeLeaf(ca, [input.apiHost]),
        rootDir: work,
        listen: { host: "127.0.0.4", port: 443 },
    });
    stops.push(() => api.stop());
    const registry = await startRegistry({
        ...makeLeaf(ca, [input.registryHost]),
        rootDir,
        auth: { htpasswd: { users: { [USER]: PASSWORD } } },
        redirectBaseUrl: `https://${input.layerHost}`,
        listen: { host: "127.0.0.2", port: 443 },
    });
    stops.push(() => registry.stop());

    const layout = path.join(work, "oci");
    writeOciLayout(layout, "v1");
    const auth = { certDir: caCertDir(ca, work), creds: `${USER}:${PASSWORD}` };
    const image = `docker://${input.registryHost}/team/app:v1`;
    // skopeo runs asynchronously: the storage and api stand-ins answer from this process's event loop.

    const runs: Record<string, ProxyRun> = {};
    for (const kind of ["haproxy", "nginx"] as const) {
        const check =
            kind === "haproxy"
                ? await haproxyCheck(input.haproxyCfg)
                : await nginxCheck(input.nginxStream);
        const proxy: RunningProxy =
            kind === "haproxy"
                ? await startHaproxy(input.haproxyCfg, input.proxy)
                : await startNginx(input.nginxStream, input.proxy);
        try {
            let pushed: boolean | undefined;
            if (kind === "haproxy") {
                await skopeoPush(`oci:${layout}:v1`, image, auth);
                pushed = true;
            }
            const pulled = path.join(work, `pulled-${kind}`);
            await skopeoPull(image, `dir:${pulled}`, auth);
            const doctor = await runDoctor({
                host: input.registryHost,
                port: 443,
                caPem: ca.certPem,
                timeoutMs: 3000,
                username: USER,
                password: PASSWORD,
                image: "team/app:v1",
                allowAlias: true,
                dockerConfigPath: path.join(work, "none.json"),
            });
            runs[kind] = {
                check,
                pushed,
                pulledLayerFiles: fs.readdirSync(pulled).sort(),
                doctor,
                apiCertNames: await probe(input.proxy.host, 443, input.apiHost, ca.certPem),
                otherName: await probe(
                    input.proxy.host,
                    443,
                    "sts.us-west-2.amazonaws.com",
                    ca.certPem,
                ),
            };
        } catch (e) {
            throw new Error(`${kind}: ${(e as Error).message}\n${proxy.logs()}`);
        } finally {
            await proxy.stop();
        }
    }
    return { runs, storageRequests: storage.requests.length };
});
