/** Shared shapes of the IDC connectivity doctor. */

export type StepStatus = "pass" | "warn" | "fail" | "skip";

/**
 * Step ids, in the order they can appear. `realm-*`/`token` appear only for a
 * Bearer challenge, `layer-*` only for ECR registries (or `layerHost`),
 * `storage-*` only when a blob download is redirected.
 */
export type StepId =
    | "dns"
    | "dns-api"
    | "tcp"
    | "tls"
    | "challenge"
    | "realm-dns"
    | "realm-tcp"
    | "realm-tls"
    | "token"
    | "auth"
    | "layer-dns"
    | "layer-tcp"
    | "layer-tls"
    | "manifest"
    | "blob"
    | "storage-dns"
    | "storage-tcp"
    | "storage-tls"
    | "storage-get";

export interface StepResult {
    id: StepId;
    /** Host (or host:port, or URL) the step looked at. */
    target: string;
    status: StepStatus;
    /** What was seen, one line. */
    summary: string;
    /** Further observations (CNAME chain, certificate fields, headers). */
    details: string[];
    /** For a failure or warning: likely cause and fix, one line. */
    hint?: string;
    /** Wall time of the step in milliseconds (0 for skipped steps). */
    ms: number;
}

export interface DoctorOptions {
    /** Registry host name (or IP literal), without port. */
    host: string;
    /** Registry TCP port; 443 unless given. */
    port: number;
    /** `ip` or `ip:port` (`[v6]:port`) of a DNS server; system resolver when absent. */
    dnsServer?: string;
    /** Extra trusted CA certificates (PEM), added to Node's default roots. */
    caPem?: string;
    /** Per network call timeout, milliseconds. */
    timeoutMs: number;
    /** Explicit credentials (`--username`, password from stdin). */
    username?: string;
    password?: string;
    /** Docker config file to read `auths` from when no explicit credentials. */
    dockerConfigPath?: string;
    /** `repo:tag` or `repo@sha256:...` to fetch a manifest and first blob of. */
    image?: string;
    /**
     * `image` is an ECR pull-through cache path (`<prefix>/<upstream path>`): a failure says
     * how the cache is filled (a first pull needs an internet path) and what it needs.
     */
    pullThroughCache?: boolean;
    /**
     * Accept an ECR name that resolves straight to private addresses (Route 53
     * alias record, or running inside the VPC with endpoint private DNS).
     */
    allowAlias?: boolean;
    /**
     * Accept public addresses for ECR names and the layer bucket host (the
     * explicit opt-out: the path is then not private). Without it they fail.
     */
    allowPublic?: boolean;
    /**
     * Layer bucket host to check (`layer-*` steps). Default for an ECR
     * registry: `prod-<region>-starport-layer-bucket.s3.<region>.amazonaws.com`.
     */
    layerHost?: string;
    /** Port of `layerHost`; 443 unless given. */
    layerPort?: number;
}

export interface DoctorResult {
    registry: string;
    ok: boolean;
    /** 0 when no step failed, 1 otherwise. */
    exitCode: 0 | 1;
    steps: StepResult[];
}

/** What a step body returns; the runner adds id, target and timing. */
export interface Outcome {
    status: Exclude<StepStatus, "skip">;
    summary: string;
    details?: string[];
    hint?: string;
}
