import { createHash } from "node:crypto";
import * as tls from "node:tls";
import {
    basicHeader,
    Challenge,
    Credentials,
    credentialsFromDockerConfig,
    defaultDockerConfigPath,
    parseWwwAuthenticate,
} from "./auth";
import { isPrivateAddress, judgeResolution, NameKind, parseEcrHost, resolveName } from "./dnsCheck";
import { checkTcp, checkTls, HttpAnswer, hostPort, pickAddress, request } from "./netCheck";
import { DoctorOptions, DoctorResult, Outcome, StepId, StepResult } from "./types";

/** Media types a pull asks for, as Docker and containerd do. */
export const MANIFEST_ACCEPT = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

const INDEX_TYPES = new Set([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/** Bytes of a blob the doctor downloads at most; smaller blobs are verified against their digest. */
const BLOB_SAMPLE_BYTES = 256 * 1024;
const MAX_REDIRECTS = 5;

/** `repo:tag`, `repo@sha256:...` or `repo` (tag `latest`). */
export function parseImage(image: string): { repo: string; reference: string } | undefined {
    const at = image.indexOf("@");
    let repo: string;
    let reference: string;
    if (at >= 0) {
        repo = image.slice(0, at);
        reference = image.slice(at + 1);
        if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(reference)) return undefined;
    } else {
        const colon = image.lastIndexOf(":");
        const slash = image.lastIndexOf("/");
        repo = colon > slash ? image.slice(0, colon) : image;
        reference = colon > slash ? image.slice(colon + 1) : "latest";
        if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(reference)) return undefined;
    }
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repo))
        return undefined;
    return { repo, reference };
}

class StepError extends Error {
    constructor(readonly outcome: Outcome) {
        super(outcome.summary);
    }
}

/** Runs steps in order; after the first failure every later step is recorded as skipped. */
class Runner {
    readonly steps: StepResult[] = [];
    failed = false;

    async step(id: StepId, target: string, body: () => Promise<Outcome>): Promise<boolean> {
        if (this.failed) {
            this.steps.push({
                id,
                target,
                status: "skip",
                summary: "skipped after an earlier failure",
                details: [],
                ms: 0,
            });
            return false;
        }
        const started = Date.now();
        let outcome: Outcome;
        try {
            outcome = await body();
        } catch (e) {
            outcome =
                e instanceof StepError
                    ? e.outcome
                    : {
                          status: "fail",
                          summary: `${(e as { code?: string }).code ?? "error"}: ${(e as Error).message}`,
                          hint: "unexpected error talking to the server: rerun with a longer --timeout, then check the network path",
                      };
        }
        this.steps.push({
            id,
            target,
            status: outcome.status,
            summary: outcome.summary,
            details: outcome.details ?? [],
            ...(outcome.hint ? { hint: outcome.hint } : {}),
            ms: Date.now() - started,
        });
        if (outcome.status === "fail") this.failed = true;
        return outcome.status !== "fail";
    }

    skip(id: StepId, target: string, summary: string): void {
        this.steps.push({
            id,
            target,
            status: "skip",
            summary: this.failed ? "skipped after an earlier failure" : summary,
            details: [],
            ms: 0,
        });
    }
}

function httpError(e: unknown, what: string): Outcome {
    const err = e as NodeJS.ErrnoException;
    return {
        status: "fail",
        summary: `${what} failed: ${err.code ?? err.message}`,
        hint:
            err.code === "ETIMEDOUT"
                ? "the server accepted the connection but did not answer in time: an overloaded registry or a proxy holding the request; retry with a longer --timeout"
                : "the HTTPS request did not complete: check the TLS step and any proxy on the path",
    };
}

function describeChallenge(c: Challenge): string {
    const parts = Object.entries(c.params).map(([k, v]) => `${k}="${v}"`);
    return `${c.scheme}${parts.length > 0 ? ` ${parts.join(", ")}` : ""}`;
}

function digestOf(body: Buffer, digest: string): boolean {
    const [alg, hex] = digest.split(":");
    if (alg !== "sha256" && alg !== "sha512") return true;
    return createHash(alg).update(body).digest("hex") === hex;
}

interface HostCheck {
    host: string;
    port: number;
    ip?: string;
    /** Every address the name resolved to. */
    addresses?: string[];
}

/** ECR's layer bucket hosts: `prod-<region>-starport-layer-bucket.s3[.<region>].amazonaws.com[.cn]`. */
export function isLayerHost(host: string): boolean {
    return /^prod-[a-z0-9-]+-starport-layer-bucket\.s3(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/.test(
        host.toLowerCase(),
    );
}

/** The regional layer bucket host of an ECR region. */
export function regionalLayerHost(region: string, suffix = "amazonaws.com"): string {
    return `prod-${region}-starport-layer-bucket.s3.${region}.${suffix}`;
}

/**
 * The doctor: checks, in order, what a `docker push`/`pull` from this
 * machine needs, and returns one result per step. Never throws for network
 * conditions; every call is bounded by `timeoutMs`.
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorResult> {
    const run = new Runner();
    const t = opts.timeoutMs;
    const registry = hostPort(opts.host, opts.port);
    const ca = opts.caPem ? [...tls.rootCertificates, opts.caPem] : undefined;
    const ecr = parseEcrHost(opts.host);
    const serverLabel = opts.dnsServer ?? "system resolver";
    const base = new URL(`https://${registry}`);

    const judge = { allowAlias: opts.allowAlias, allowPublic: opts.allowPublic, serverLabel };

    /** Steps 1-3 for a host; returns the address to connect to, or undefined after a failure. */
    async function hostSteps(
        prefix: "" | "realm-" | "layer-" | "storage-",
        h: HostCheck,
        kind: NameKind,
        secure: boolean,
        service: string,
    ): Promise<string | undefined> {
        await run.step(`${prefix}dns` as StepId, h.host, async () => {
            const r = await resolveName(h.host, opts.dnsServer, t);
            h.ip = pickAddress(r.addresses);
            h.addresses = r.addresses;
            return judgeResolution(r, kind, { ...judge, service });
        });
        if (prefix === "" && ecr) {
            await run.step("dns-api", ecr.apiHost, async () =>
                judgeResolution(await resolveName(ecr.apiHost, opts.dnsServer, t), "ecr", judge),
            );
        }
        const target = hostPort(h.host, h.port);
        await run.step(`${prefix}tcp` as StepId, target, () =>
            checkTcp(h.host, h.ip as string, h.port, t, service),
        );
        if (secure) {
            await run.step(`${prefix}tls` as StepId, target, () =>
                checkTls(h.host, h.ip as string, h.port, ca, t, service),
            );
        }
        return run.failed ? undefined : h.ip;
    }

    const reg: HostCheck = { host: opts.host, port: opts.port };
    await hostSteps("", reg, ecr ? "ecr" : "other", true, "registry");

    const get = (
        path: string,
        headers: Record<string, string> = {},
        maxBytes?: number,
    ): Promise<HttpAnswer> =>
        request(new URL(path, base), { ip: reg.ip, ca, timeoutMs: t, headers, maxBytes });

    // Step 4: the unauthenticated challenge.
    let challenge: Challenge | undefined;
    await run.step("challenge", `${registry}/v2/`, async () => {
        let res: HttpAnswer;
        try {
            res = await get("/v2/");
        } catch (e) {
            return httpError(e, "GET /v2/");
        }
        const header = res.headers["www-authenticate"];
        const details = [
            `Docker-Distribution-Api-Version: ${res.headers["docker-distribution-api-version"] ?? "(absent)"}`,
        ];
        if (res.status === 200) {
            // ECR always asks for credentials: under an ECR name, an open
            // registry is something else answering for it.
            return {
                status: ecr ? "fail" : "warn",
                summary: ecr
                    ? "GET /v2/ answered 200 without credentials: this is not ECR"
                    : "GET /v2/ answered 200 without credentials (anonymous access)",
                details,
                hint: ecr
                    ? "ECR always answers 401 here: a proxy or another registry intercepts the ECR name; find what the name resolves to (dns step) and remove the interceptor"
                    : "the registry asks for no authentication: anyone who reaches it can pull (and maybe push)",
            };
        }
        if (res.status !== 401) {
            return {
                status: "fail",
                summary: `GET /v2/ answered ${res.status}, expected 401 with WWW-Authenticate`,
                details,
                hint:
                    res.status === 403
                        ? "access denied before authentication: an endpoint policy, a proxy or a firewall rule rejects this request"
                        : "the server at this address is not a Docker registry (v2 API): DNS or a proxy sends the name elsewhere",
            };
        }
        if (!header) {
            return {
                status: "fail",
                summary: "GET /v2/ answered 401 without WWW-Authenticate",
                details,
                hint: "clients cannot learn how to authenticate: a proxy strips the header, or the server is not a registry",
            };
        }
        details.push(`WWW-Authenticate: ${header}`);
        const c = parseWwwAuthenticate(header);
        if (!c || !["basic", "bearer"].includes(c.scheme.toLowerCase())) {
            return {
                status: "fail",
                summary: `GET /v2/ answered 401 with an unknown challenge: ${header}`,
                details,
                hint: "Docker clients understand Basic and Bearer only: check what answers on this address",
            };
        }
        if (c.scheme.toLowerCase() === "bearer") {
            let ok = false;
            try {
                ok = ["https:", "http:"].includes(new URL(c.params.realm ?? "").protocol);
            } catch {
                ok = false;
            }
            if (!ok || !c.params.service) {
                return {
                    status: "fail",
                    summary: `Bearer challenge without a usable realm and service: ${header}`,
                    details,
                    hint: "the registry's auth.token realm/service settings are missing or wrong",
                };
            }
        }
        challenge = c;
        return { status: "pass", summary: `401 with ${describeChallenge(c)}`, details };
    });

    const bearer = challenge?.scheme.toLowerCase() === "bearer" ? challenge : undefined;
    let realm: URL | undefined;
    let realmCheck: HostCheck | undefined;
    const tokenUrl = (scope?: string): URL => {
        const u = new URL((realm as URL).toString());
        u.searchParams.set("service", (bearer as Challenge).params.service);
        if (scope) u.searchParams.set("scope", scope);
        return u;
    };
    const fetchToken = (
        scope: string | undefined,
        creds: Credentials | undefined,
    ): Promise<HttpAnswer> =>
        request(tokenUrl(scope), {
            ip: realmCheck?.ip,
            ca,
            timeoutMs: t,
            headers: creds ? { Authorization: basicHeader(creds) } : {},
        });

    // Step 5: the token service of a Bearer registry.
    if (bearer) {
        realm = new URL(bearer.params.realm);
        const secure = realm.protocol === "https:";
        realmCheck = {
            host: realm.hostname.replace(/^\[(.*)\]$/, "$1"),
            port: Number(realm.port || (secure ? 443 : 80)),
        };
        // The realm is another host than the registry: a failure there is the
        // token service's, and the fix says so.
        await hostSteps("realm-", realmCheck, "other", secure, "token service");
        await run.step("token", tokenUrl().toString(), async () => {
            let res: HttpAnswer;
            try {
                res = await fetchToken(undefined, undefined);
            } catch (e) {
                const o = httpError(e, "anonymous token request");
                return {
                    ...o,
                    hint: `the token service (${(realm as URL).origin}, the registry's auth realm) did not answer: check it, not the registry`,
                };
            }
            if (res.status === 200 && tokenFrom(res)) {
                return { status: "pass", summary: "200, anonymous token issued" };
            }
            if (res.status === 401) {
                return {
                    status: "pass",
                    summary: "401, the token endpoint answers and wants credentials",
                };
            }
            return {
                status: "fail",
                summary: `token endpoint answered ${res.status}${res.status === 200 ? " without a token" : ""}`,
                hint: `the token service at ${(realm as URL).origin} does not work: check that service (and the registry's auth.token.realm pointing at it)`,
            };
        });
    }

    // Step 6: credentials.
    let creds: Credentials | undefined;
    if (opts.username !== undefined) {
        creds = {
            username: opts.username,
            password: opts.password ?? "",
            source: "--username and stdin",
        };
    } else if (!run.failed) {
        creds = await credentialsFromDockerConfig(
            opts.dockerConfigPath ?? defaultDockerConfigPath(),
            opts.host,
            opts.port,
            t,
        );
    }
    const image = opts.image ? parseImage(opts.image) : undefined;

    /** The Authorization header for registry requests, fetching a token for Bearer registries. */
    async function authorization(scope: string | undefined): Promise<string> {
        if (!creds) throw new StepError({ status: "fail", summary: "no credentials" });
        if (!bearer) return basicHeader(creds);
        let res: HttpAnswer;
        try {
            res = await fetchToken(scope, creds);
        } catch (e) {
            throw new StepError(httpError(e, "token request with credentials"));
        }
        const token = res.status === 200 ? tokenFrom(res) : undefined;
        if (!token) {
            throw new StepError({
                status: "fail",
                summary: `token endpoint answered ${res.status} to ${creds.username}'s credentials (from ${creds.source})`,
                hint: "the token service rejected the user name or password: check them, or log in again",
            });
        }
        return `Bearer ${token}`;
    }

    if (!creds) {
        run.skip(
            "auth",
            `${registry}/v2/`,
            "no credentials: pass --username (password on stdin) or log in so the Docker config has an auths entry",
        );
    } else {
        const c = creds;
        await run.step("auth", `${registry}/v2/`, async () => {
            const header = await authorization(undefined);
            let res: HttpAnswer;
            try {
                res = await get("/v2/", { Authorization: header });
            } catch (e) {
                return httpError(e, "authenticated GET /v2/");
            }
            const details = [`credentials: user ${c.username} from ${c.source}`];
            if (res.status === 200) {
                return {
                    status: "pass",
                    summary: `200 for user ${c.username} (${bearer ? "Bearer token" : "Basic"})`,
                    details,
                };
            }
            return {
                status: "fail",
                summary: `GET /v2/ with credentials of ${c.username} answered ${res.status}`,
                details,
                hint:
                    res.status === 401
                        ? ecr
                            ? "the registry rejected the credentials: get a fresh password with `aws ecr get-login-password --region " +
                              ecr.region +
                              "` (user AWS; it expires after 12 hours)"
                            : "the registry rejected the user name or password: check them (htpasswd entry, or log in again)"
                        : "authenticated requests are refused: an endpoint or repository policy denies this principal",
            };
        });
    }

    // The layer bucket: pulls download every layer from it (ECR redirects
    // blob requests there), so it must resolve privately and complete TLS.
    const layerHost =
        opts.layerHost ??
        (ecr
            ? regionalLayerHost(
                  ecr.region,
                  opts.host.endsWith(".cn") ? "amazonaws.com.cn" : "amazonaws.com",
              )
            : undefined);
    if (layerHost) {
        const layer: HostCheck = { host: layerHost, port: opts.layerPort ?? 443 };
        await hostSteps(
            "layer-",
            layer,
            isLayerHost(layerHost) ? "layer" : "other",
            true,
            "layer bucket",
        );
    }

    if (opts.image && image) {
        const scope = `repository:${image.repo}:pull`;
        let blobDigest: string | undefined;
        let header: string | undefined;
        if (!creds) {
            run.skip("manifest", image.repo, "no credentials");
            run.skip("blob", image.repo, "no credentials");
        } else {
            await run.step(
                "manifest",
                `${registry}/v2/${image.repo}/manifests/${image.reference}`,
                async () => {
                    header = await authorization(scope);
                    const fetchManifest = async (ref: string): Promise<HttpAnswer> => {
                        try {
                            return await get(`/v2/${image.repo}/manifests/${ref}`, {
                                Authorization: header as string,
                                Accept: MANIFEST_ACCEPT,
                            });
                        } catch (e) {
                            throw new StepError(httpError(e, "manifest request"));
                        }
                    };
                    let res = await fetchManifest(image.reference);
                    const details: string[] = [];
                    for (let level = 0; level < 2; level++) {
                        if (res.status !== 200) {
                            return {
                                status: "fail",
                                summary: `manifest ${image.repo}:${image.reference} answered ${res.status}`,
                                details,
                                hint: opts.pullThroughCache
                                    ? cacheMissHint(res.status, image.repo)
                                    : res.status === 404
                                      ? "no such repository or tag in this registry: check the image name (and the account/region in the host name)"
                                      : res.status === 401 || res.status === 403
                                        ? "the user may log in but not pull this repository: grant ecr:BatchGetImage (repository policy for cross-account pulls)"
                                        : "the registry could not serve the manifest: check its logs",
                            };
                        }
                        const type = String(res.headers["content-type"] ?? "").split(";")[0];
                        details.push(
                            `${type} ${res.headers["docker-content-digest"] ?? ""} (${res.body.length} bytes)`.trim(),
                        );
                        let doc: {
                            manifests?: {
                                digest: string;
                                platform?: { os?: string; architecture?: string };
                            }[];
                            layers?: { digest: string }[];
                            config?: { digest: string };
                            mediaType?: string;
                        };
                        try {
                            doc = JSON.parse(res.body.toString("utf8"));
                        } catch {
                            return {
                                status: "fail",
                                summary: `manifest is not JSON (${type})`,
                                details,
                                hint: "a proxy or error page answered instead of the registry",
                            };
                        }
                        if (INDEX_TYPES.has(type) || INDEX_TYPES.has(doc.mediaType ?? "")) {
                            const list = doc.manifests ?? [];
                            const chosen =
                                list.find(
                                    (m) =>
                                        m.platform?.os === "linux" &&
                                        m.platform?.architecture === "amd64",
                                ) ?? list[0];
                            if (!chosen)
                                return {
                                    status: "fail",
                                    summary: "image index lists no manifests",
                                    details,
                                    hint: "push the image again",
                                };
                            res = await fetchManifest(chosen.digest);
                            continue;
                        }
                        blobDigest = doc.layers?.[0]?.digest ?? doc.config?.digest;
                        if (!blobDigest)
                            return {
                                status: "fail",
                                summary: `manifest (${type}) names no blobs`,
                                details,
                                hint: "unsupported manifest type: a schema 1 image? push it again with a current client",
                            };
                        return {
                            status: "pass",
                            summary: `200, ${type}, ${doc.layers?.length ?? 0} layers`,
                            details,
                        };
                    }
                    return {
                        status: "fail",
                        summary: "nested image index",
                        details,
                        hint: "an index inside an index is not supported by the doctor",
                    };
                },
            );

            let redirect: URL | undefined;
            let blobUrl = "";
            await run.step(
                "blob",
                `${registry}/v2/${image.repo}/blobs/${blobDigest ?? "?"}`,
                async () => {
                    const digest = blobDigest as string;
                    blobUrl = `/v2/${image.repo}/blobs/${digest}`;
                    let res: HttpAnswer;
                    try {
                        res = await get(
                            blobUrl,
                            { Authorization: header as string },
                            BLOB_SAMPLE_BYTES,
                        );
                    } catch (e) {
                        return httpError(e, "blob request");
                    }
                    if ([301, 302, 303, 307, 308].includes(res.status) && res.headers.location) {
                        redirect = new URL(res.headers.location, base);
                        return {
                            status: "pass",
                            summary: `${res.status}, redirected to storage host ${redirect.host}`,
                            details: [`location: ${redirect.origin}${redirect.pathname}`],
                        };
                    }
                    return blobOutcome(res, digest, "registry");
                },
            );
            if (redirect) {
                const r = redirect as URL;
                const secure = r.protocol === "https:";
                const storage: HostCheck = {
                    host: r.hostname.replace(/^\[(.*)\]$/, "$1"),
                    port: Number(r.port || (secure ? 443 : 80)),
                };
                const layerKind = ecr || isLayerHost(storage.host);
                await hostSteps(
                    "storage-",
                    storage,
                    layerKind ? "layer" : "other",
                    secure,
                    layerKind ? "layer bucket" : "storage",
                );
                await run.step("storage-get", `${r.origin}${r.pathname}`, async () => {
                    let target = r;
                    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
                        let res: HttpAnswer;
                        try {
                            // A presigned storage URL must be fetched without the registry's Authorization header.
                            res = await request(target, {
                                ip: target.hostname === storage.host ? storage.ip : undefined,
                                ca,
                                timeoutMs: t,
                                maxBytes: BLOB_SAMPLE_BYTES,
                            });
                        } catch (e) {
                            return httpError(e, "storage download");
                        }
                        if (
                            [301, 302, 303, 307, 308].includes(res.status) &&
                            res.headers.location
                        ) {
                            target = new URL(res.headers.location, target);
                            continue;
                        }
                        return landed(
                            blobOutcome(res, blobDigest as string, "storage", ecr?.region),
                            target,
                            target.hostname === storage.host ? storage.addresses : undefined,
                            ecr ? regionalLayerHost(ecr.region) : undefined,
                        );
                    }
                    return {
                        status: "fail",
                        summary: `more than ${MAX_REDIRECTS} redirects from storage`,
                        hint: "a redirect loop between proxies",
                    };
                });
            }
        }
    } else if (opts.image) {
        run.skip("manifest", opts.image, "invalid image reference");
    }

    const ok = !run.failed;
    return { registry, ok, exitCode: ok ? 0 : 1, steps: run.steps };
}

/**
 * Why a pull-through cache path did not serve a manifest. A cached image is served like any
 * other; one that is not cached yet must be imported from the upstream first, and ECR's user
 * guide says that first pull does not work for a client that reaches ECR only through
 * interface endpoints. The way out is the stack's warm-up (a first pull from a network with an
 * internet path), or permissions for the import.
 */
export function cacheMissHint(status: number, repo: string): string {
    const prefix = repo.split("/")[0];
    if (status === 401 || status === 403) {
        return `the user may not pull or fill the cache here: grant the pull actions and ecr:BatchImportUpstreamImage, ecr:CreateRepository on repository/${prefix}/* (identity policy, and the ECR endpoint policy on this path)`;
    }
    return `${repo} is not cached (or not upstream under that name and tag): the first pull of an image imports it from the upstream registry, and through interface endpoints that pull does not work; pull it once from a network with an internet path (stack output pullThroughCacheWarmUpCommands), then again from here. Check the name: Docker Hub's official images are ${prefix}/library/<name>`;
}

function tokenFrom(res: HttpAnswer): string | undefined {
    try {
        const j = JSON.parse(res.body.toString("utf8")) as {
            token?: string;
            access_token?: string;
        };
        return j.token ?? j.access_token;
    } catch {
        return undefined;
    }
}

function blobOutcome(
    res: HttpAnswer,
    digest: string,
    from: "registry" | "storage",
    region?: string,
): Outcome {
    if (res.status === 200 || res.status === 206) {
        if (!res.truncated && res.status === 200) {
            return digestOf(res.body, digest)
                ? {
                      status: "pass",
                      summary: `${res.status} from ${from}, ${res.body.length} bytes, digest verified`,
                  }
                : {
                      status: "fail",
                      summary: `${res.status} from ${from}, but the content does not match ${digest}`,
                      hint: "something on the path rewrites content (a proxy or an error page): exempt the registry and storage hosts",
                  };
        }
        return {
            status: "pass",
            summary: `${res.status} from ${from}, first ${res.body.length} bytes received`,
        };
    }
    return {
        status: "fail",
        summary: `blob download from ${from} answered ${res.status}`,
        hint:
            from === "storage" && res.status === 403
                ? `storage refused the layer: the S3 endpoint policy must allow s3:GetObject on arn:aws:s3:::prod-${region ?? "<region>"}-starport-layer-bucket/*`
                : res.status === 404
                  ? "the blob is missing: the image was pushed incompletely; push it again"
                  : "the blob could not be downloaded: check the registry and storage logs",
    };
}

/**
 * Adds where a blob download landed to its outcome: the host that finally
 * served it and whether it resolved to private addresses. ECR may redirect
 * to the bucket's global host instead of the regional one the private DNS
 * covers; the details say so.
 */
function landed(
    o: Outcome,
    target: URL,
    addresses: string[] | undefined,
    regional: string | undefined,
): Outcome {
    const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
    const where =
        addresses === undefined
            ? "address not checked (reached through a further redirect)"
            : addresses.every(isPrivateAddress)
              ? `private: ${addresses.join(", ")}`
              : `public: ${addresses.filter((a) => !isPrivateAddress(a)).join(", ")}`;
    const details = [...(o.details ?? []), `landed on ${host} (${where})`];
    if (regional && host !== regional) {
        details.push(
            `ECR sent this layer to ${host}, not the regional ${regional}: that name needs the same private DNS record`,
        );
    }
    return { ...o, summary: `${o.summary}; landed on ${host} (${where.split(":")[0]})`, details };
}
