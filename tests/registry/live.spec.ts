/**
 * The proof for issue 19: the shipped `registry` stack is run under the mock
 * cloud, and its task definition's container is started on loopback with the
 * real Debian docker-registry, exactly as Fargate would start it (entry
 * point, command, environment, and the `secrets` resolved from the values
 * the stack wrote to Secrets Manager), with two substitutions only: the S3
 * storage driver becomes the filesystem driver, and the listen address
 * becomes 127.0.0.1:<free port>. TLS uses a certificate from a test CA for
 * the registry's host name (the stack expects one from the user's CA).
 * skopeo pushes and pulls with a generated user, a wrong password is
 * refused, the connectivity doctor passes against it, and `htpasswd -vb`
 * accepts every generated entry.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import type * as pulumi from "@pulumi/pulumi";
import { CONFIG_SECRET_KEYS } from "../../src/registry/distribution";
import type { PlanResource } from "../../src/report/plan";
import { main as doctor } from "../../tools/doctor/cli";
import type { DoctorResult } from "../../tools/doctor/types";
import { loadStackFile } from "../../tools/plan";
import { runStack } from "../../tools/runStack";
import { freePort, haveTool, RunningDnsServer, startUnbound } from "../helpers/dnsServers";
import {
    containerEnvironment,
    EcsContainer,
    RunningContainer,
    startContainer,
} from "../helpers/ecsContainer";
import { Ca, makeCa, makeLeaf, removePki } from "../helpers/pki";
import { runCmd } from "../helpers/process";
import { writeOciLayout } from "../helpers/registryServer";
import { caCertDir, skopeoPull, skopeoPush } from "../helpers/skopeo";

const ROOT = path.resolve(__dirname, "../..");
const TOOLS = ["docker-registry", "skopeo", "htpasswd", "openssl", "unbound", "sh"];
const IMAGE = "team/app:v1";

/** The task's config with the two loopback substitutions (storage driver, listen address). */
export function onLoopback(configJson: string, port: number, rootDir: string): string {
    const config = JSON.parse(configJson);
    const { s3, ...rest } = config.storage;
    if (!s3) throw new Error("the task's config has no s3 storage to swap");
    config.storage = { filesystem: { rootdirectory: rootDir }, ...rest };
    config.http.addr = `127.0.0.1:${port}`;
    return JSON.stringify(config);
}

/** `a.b.c` -> leaf value, for comparing two configs key by key. */
function flatten(value: unknown, prefix = ""): Record<string, string> {
    if (value === null || typeof value !== "object") return { [prefix]: JSON.stringify(value) };
    return Object.assign(
        {},
        ...Object.entries(value as Record<string, unknown>).map(([k, v]) =>
            flatten(v, prefix ? `${prefix}.${k}` : k),
        ),
    );
}

/** The mock monitor hands secrets over wrapped (`{<sig>: <secret sig>, value}`); the provider gets the value. */
function unwrapSecret(v: unknown): string {
    const SIG = "4dabf18193072939515e22adb298388d";
    const SECRET = "1b47061264138c4ac30d75fd1eb44270";
    if (v && typeof v === "object" && (v as Record<string, unknown>)[SIG] === SECRET) {
        return String((v as { value: unknown }).value);
    }
    throw new Error(`expected a secret input, got ${JSON.stringify(v)}`);
}

describe("self-hosted registry: the task definition's container on loopback (docker-registry, skopeo, doctor)", function () {
    this.timeout(90000);
    const missing = TOOLS.filter((t) => !haveTool(t));
    let resources: PlanResource[];
    let container: EcsContainer;
    let hostName: string;
    let configSecretString: string;
    let passwords: Record<string, string>;
    let ca: Ca;
    let work: string;
    let registry: RunningContainer;
    let dns: RunningDnsServer;
    let env: Record<string, string>;
    let pushedDigest: string;
    let certDir: string;

    before(async function () {
        if (missing.length > 0) {
            if (process.env.CI) throw new Error(`missing tools: ${missing.join(", ")}`);
            this.skip();
        }
        // The shipped stack, run as the plan runs it, seeing what the provider would receive.
        const file = loadStackFile(path.join(ROOT, "Pulumi.registry.yaml"));
        const secretStrings: Record<string, string> = {};
        const run = await runStack({
            project: file.project,
            stack: file.stack,
            account: JSON.parse(file.config["aws:allowedAccountIds"])[0],
            region: file.config["aws:region"],
            config: file.config,
            secretKeys: file.secretKeys,
            program: path.join(ROOT, "index.ts"),
            mock: {
                onResource: (args: pulumi.runtime.MockResourceArgs) => {
                    if (args.type === "aws:secretsmanager/secretVersion:SecretVersion") {
                        secretStrings[args.name] = unwrapSecret(args.inputs.secretString);
                    }
                },
            },
        });
        resources = run.resources;
        const taskDef = resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")!;
        const defs = JSON.parse(taskDef.inputs.containerDefinitions as string) as EcsContainer[];
        expect(defs).to.have.length(1);
        container = defs[0];
        hostName = JSON.parse(file.config["ecr-private-access:registry"]).hostName;
        configSecretString = secretStrings["registry-config"];
        expect(configSecretString, "the config secret's value").to.be.a("string");
        // Passwords: the generated results, as the secret stack output would reveal them.
        const users: string[] = JSON.parse(file.config["ecr-private-access:registry"]).users;
        passwords = Object.fromEntries(
            users.map((u) => {
                const pw = resources.find((r) => r.name === `registry-user-${u}`)!;
                return [u, pw.outputs.result as string];
            }),
        );

        work = fs.mkdtempSync(path.join(os.tmpdir(), "registry-live-"));
        ca = makeCa();
        const leaf = makeLeaf(ca, [hostName, "127.0.0.1"]);
        certDir = caCertDir(ca, work);

        // What Secrets Manager holds: the stack's config secret, and the user's TLS secret.
        const configArn = resources.find(
            (r) => r.type === "aws:secretsmanager/secret:Secret" && r.name === "registry-config",
        )!.outputs.arn as string;
        const tlsArn = JSON.parse(file.config["ecr-private-access:registry"]).certificateSecretArn;
        const secrets = {
            [configArn]: configSecretString,
            [tlsArn]: JSON.stringify({ certificate: leaf.certPem, privateKey: leaf.keyPem }),
        };
        const port = await freePort();
        const storage = path.join(work, "storage");
        const taskEnv = containerEnvironment(container, secrets);
        env = {
            ...taskEnv,
            DISTRIBUTION_CONFIG: onLoopback(taskEnv.DISTRIBUTION_CONFIG, port, storage),
        };
        const dockerRegistry = execFileSync("sh", ["-c", "command -v docker-registry"])
            .toString()
            .trim();
        registry = await startContainer({
            container,
            env,
            // The image's binary is `registry`; Debian's is `docker-registry` (same program, 2.8.2).
            programs: { registry: dockerRegistry },
            port,
        });
        // The private hosted zone's alias record, as the data centre's resolver would answer it.
        const zone = hostName.slice(hostName.indexOf(".") + 1);
        dns = await startUnbound({
            confSnippet: `server:\n    local-zone: "${zone}." static\n`,
            extraLocalData: [`${hostName}. 60 IN A 127.0.0.1`],
        });

        // Push a one-layer image with the first generated user.
        const layout = path.join(work, "oci");
        ({ manifestDigest: pushedDigest } = writeOciLayout(layout, "v1"));
        await skopeoPush(`oci:${layout}:v1`, `docker://127.0.0.1:${port}/${IMAGE}`, {
            certDir,
            creds: `ci:${passwords.ci}`,
        });
    });

    after(async function () {
        this.timeout(20000);
        await registry?.stop();
        await dns?.stop();
        if (ca) removePki(ca.dir);
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("runs the task's configuration with only the storage driver and listen address swapped", () => {
        const task = flatten(
            JSON.parse(container.environment!.find((e) => e.name === "DISTRIBUTION_CONFIG")!.value),
        );
        const local = flatten(JSON.parse(env.DISTRIBUTION_CONFIG));
        const changed = [...new Set([...Object.keys(task), ...Object.keys(local)])]
            .filter((k) => task[k] !== local[k])
            .sort();
        expect(changed).to.deep.equal([
            "http.addr",
            "storage.filesystem.rootdirectory",
            "storage.s3.bucket",
            "storage.s3.encrypt",
            "storage.s3.region",
            "storage.s3.secure",
        ]);
        // Every other variable is the task's own (and the secrets ECS would inject).
        expect(Object.keys(env).sort()).to.deep.equal([
            "DISTRIBUTION_CONFIG",
            "HTPASSWD",
            "OTEL_TRACES_EXPORTER",
            "REGISTRY_HTTP_SECRET",
            "TLS_CERTIFICATE",
            "TLS_PRIVATE_KEY",
        ]);
        // The shared HTTP secret is the one from Secrets Manager, so no random one is made.
        expect(env.REGISTRY_HTTP_SECRET).to.equal(
            JSON.parse(configSecretString)[CONFIG_SECRET_KEYS.httpSecret],
        );
        expect(registry.logs()).not.to.include("No HTTP secret provided");
        expect(registry.logs()).to.include("restricting TLS version to tls1.2 or higher");
    });

    it("pulls the pushed image back with the generated user (skopeo)", async () => {
        const pulled = path.join(work, "pulled");
        await skopeoPull(`docker://127.0.0.1:${registry.port}/${IMAGE}`, `oci:${pulled}:v1`, {
            certDir,
            creds: `alice:${passwords.alice}`,
        });
        const index = JSON.parse(fs.readFileSync(path.join(pulled, "index.json"), "utf8"));
        expect(index.manifests.map((m: { digest: string }) => m.digest)).to.deep.equal([
            pushedDigest,
        ]);
        // The blobs went to the filesystem storage, where S3 would hold them.
        expect(
            fs.existsSync(path.join(work, "storage", "docker", "registry", "v2", "blobs")),
        ).to.equal(true);
    });

    it("refuses a wrong password and a missing one", async () => {
        let error: Error | undefined;
        try {
            await runCmd("skopeo", [
                "inspect",
                "--retry-times",
                "0",
                "--cert-dir",
                certDir,
                "--creds",
                `ci:${passwords.ci}x`,
                `docker://127.0.0.1:${registry.port}/${IMAGE}`,
            ]);
        } catch (e) {
            error = e as Error;
        }
        expect(error?.message).to.match(/unauthorized|401/i);
        const res = await runCmd("sh", [
            "-c",
            `openssl s_client -quiet -connect 127.0.0.1:${registry.port} -servername ${hostName} -CAfile ${ca.certFile} 2>/dev/null <<'EOF'\nGET /v2/ HTTP/1.1\nHost: ${hostName}\nConnection: close\n\nEOF`,
        ]);
        expect(res.split("\r\n")[0]).to.equal("HTTP/1.1 401 Unauthorized");
        expect(res).to.include(`Www-Authenticate: Basic realm="${hostName}"`);
    });

    it("passes the connectivity doctor (npm run doctor -- --registry <host>:<port> ...)", async () => {
        let out = "";
        const code = await doctor(
            [
                "--registry",
                `${hostName}:${registry.port}`,
                "--dns-server",
                `127.0.0.1:${dns.port}`,
                "--ca-file",
                ca.certFile,
                "--username",
                "ci",
                "--image",
                IMAGE,
                "--timeout",
                "5000",
                "--json",
            ],
            {
                stdin: Readable.from([`${passwords.ci}\n`]),
                stdout: (s) => (out += s),
                stderr: () => undefined,
            },
        );
        const result = JSON.parse(out) as DoctorResult;
        expect(result.steps.map((s) => [s.id, s.status])).to.deep.equal([
            ["dns", "pass"],
            ["tcp", "pass"],
            ["tls", "pass"],
            ["challenge", "pass"],
            ["auth", "pass"],
            ["manifest", "pass"],
            ["blob", "pass"],
        ]);
        const summary = (id: string) => result.steps.find((s) => s.id === id)!.summary;
        expect(summary("challenge")).to.equal(`401 with Basic realm="${hostName}"`);
        expect(summary("auth")).to.equal("200 for user ci (Basic)");
        // Blobs come from the registry itself (redirect disabled), never from S3 directly.
        expect(summary("blob")).to.match(/^200 from registry, \d+ bytes, digest verified$/);
        expect(code).to.equal(0);
    });

    it("the doctor fails at auth with a wrong password", async () => {
        let out = "";
        const code = await doctor(
            [
                "--registry",
                `${hostName}:${registry.port}`,
                "--dns-server",
                `127.0.0.1:${dns.port}`,
                "--ca-file",
                ca.certFile,
                "--username",
                "ci",
                "--json",
            ],
            {
                stdin: Readable.from(["not-the-password\n"]),
                stdout: (s) => (out += s),
                stderr: () => undefined,
            },
        );
        const auth = (JSON.parse(out) as DoctorResult).steps.find((s) => s.id === "auth")!;
        expect(auth.status).to.equal("fail");
        expect(auth.summary).to.equal("GET /v2/ with credentials of ci answered 401");
        expect(code).to.equal(1);
    });

    it("htpasswd -vb accepts every generated entry, and only with its password", () => {
        const htpasswd = JSON.parse(configSecretString)[CONFIG_SECRET_KEYS.htpasswd] as string;
        const file = path.join(work, "htpasswd");
        fs.writeFileSync(file, htpasswd);
        expect(
            htpasswd
                .trimEnd()
                .split("\n")
                .map((l) => l.split(":")[0]),
        ).to.deep.equal(Object.keys(passwords));
        for (const [user, password] of Object.entries(passwords)) {
            const ok = execFileSync("htpasswd", ["-vb", file, user, password], {
                timeout: 10000,
                stdio: ["ignore", "pipe", "pipe"],
            });
            expect(ok.toString()).to.equal("");
            let status: number | undefined;
            try {
                execFileSync("htpasswd", ["-vb", file, user, `${password}-wrong`], {
                    timeout: 10000,
                    stdio: ["ignore", "pipe", "pipe"],
                });
            } catch (e) {
                status = (e as { status?: number }).status;
            }
            expect(status, `wrong password for ${user}`).to.equal(3);
        }
    });
});
