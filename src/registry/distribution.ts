/**
 * The self-hosted registry's configuration and container, as pure data.
 *
 * `registryConfig` is the ONE place the registry's behaviour is decided: the
 * task definition carries its result verbatim (JSON, which the registry's
 * YAML parser reads), and the loopback tests run the real registry with the
 * same object, swapping only the storage driver and the listen address.
 *
 * How the container gets its files: Fargate has no host directories to
 * mount, and ECS `secrets` arrive as environment variables, while the
 * registry reads its config, htpasswd and TLS key from files. The container
 * therefore starts a short `sh` script (`REGISTRY_START_SCRIPT`) that writes
 * those variables into a private temporary directory, drops them from the
 * environment, and `exec`s the registry there. Paths in the config are
 * relative to that directory.
 */

/** Port the registry listens on inside the task; the load balancer's target port. */
export const REGISTRY_PORT = 5000;

/** Files the start script writes, relative to its working directory. */
export const REGISTRY_FILES = {
    config: "config.json",
    htpasswd: "htpasswd",
    certificate: "tls.crt",
    privateKey: "tls.key",
} as const;

/** Environment variables the container receives. */
export const REGISTRY_VARIABLES = {
    /** The registry config (plain `environment`: it holds no secret). */
    config: "DISTRIBUTION_CONFIG",
    /** The htpasswd file (`secrets`, Secrets Manager). */
    htpasswd: "HTPASSWD",
    /**
     * Shared secret that signs upload state. Every task behind the load
     * balancer must have the same one, or an upload whose requests reach two
     * tasks fails; the registry reads this variable itself (it overrides
     * `http.secret`). From `secrets`.
     */
    httpSecret: "REGISTRY_HTTP_SECRET",
    /** PEM certificate chain and private key for TLS (`secrets`). */
    certificate: "TLS_CERTIFICATE",
    privateKey: "TLS_PRIVATE_KEY",
} as const;

/** Keys of the JSON secret the stack creates (htpasswd and the HTTP secret). */
export const CONFIG_SECRET_KEYS = { htpasswd: "htpasswd", httpSecret: "httpSecret" } as const;

/** Keys the TLS secret (created outside the stack) must hold. */
export const TLS_SECRET_KEYS = { certificate: "certificate", privateKey: "privateKey" } as const;

/**
 * The container's start script, run by `/bin/sh -c` (the image is Alpine
 * based). `umask 077` keeps the key and htpasswd readable by the registry's
 * user only; `mktemp -d` honours TMPDIR, which is how the loopback tests run
 * the very same script in a directory of their own.
 */
export const REGISTRY_START_SCRIPT = [
    "set -eu",
    "umask 077",
    'cd "$(mktemp -d)"',
    `printf '%s\\n' "$${REGISTRY_VARIABLES.config}" > ${REGISTRY_FILES.config}`,
    `printf '%s\\n' "$${REGISTRY_VARIABLES.htpasswd}" > ${REGISTRY_FILES.htpasswd}`,
    `printf '%s\\n' "$${REGISTRY_VARIABLES.certificate}" > ${REGISTRY_FILES.certificate}`,
    `printf '%s\\n' "$${REGISTRY_VARIABLES.privateKey}" > ${REGISTRY_FILES.privateKey}`,
    // The registry needs REGISTRY_HTTP_SECRET; the rest now lives in files.
    `unset ${REGISTRY_VARIABLES.config} ${REGISTRY_VARIABLES.htpasswd} ${REGISTRY_VARIABLES.certificate} ${REGISTRY_VARIABLES.privateKey}`,
    `exec registry serve ${REGISTRY_FILES.config}`,
].join("\n");

/** The subset of the distribution configuration this project writes. */
export interface DistributionConfig {
    version: "0.1";
    log: {
        level: "info";
        formatter: "json";
        fields: Record<string, string>;
        accesslog: { disabled: boolean };
    };
    storage: Record<string, unknown> & {
        redirect: { disable: boolean };
        delete: { enabled: boolean };
        cache: { blobdescriptor: "inmemory" };
        maintenance: {
            uploadpurging: { enabled: boolean; age: string; interval: string; dryrun: boolean };
        };
    };
    http: {
        addr: string;
        relativeurls: boolean;
        draintimeout: string;
        headers: Record<string, string[]>;
        tls: { certificate: string; key: string; minimumtls: "tls1.2" | "tls1.3" };
    };
    auth: { htpasswd: { realm: string; path: string } };
    health: { storagedriver: { enabled: boolean; interval: string; threshold: number } };
}

export interface RegistryConfigInput {
    /** The name clients use (`docker login <hostName>`); shown as the Basic realm. */
    hostName: string;
    /** The S3 bucket and its region. */
    bucket: string;
    region: string;
}

/**
 * The registry's configuration (distribution's config.yml, as JSON).
 *
 * Choices, each for a reason:
 * - storage `s3` with no access keys: the driver then uses the task role
 *   (distribution 3.x; 2.x's S3 driver cannot read ECS task credentials,
 *   distribution/distribution issues 2960 and 3645). `encrypt` asks S3 for
 *   SSE-S3 on every object, on top of the bucket's default encryption.
 * - `redirect.disable`: blobs are served by the registry, not by redirecting
 *   clients to pre-signed S3 URLs, so clients need no path to S3 (the bucket
 *   admits only the task role through the VPC's gateway endpoint).
 * - `delete.enabled: false`: images cannot be deleted through the API.
 * - `relativeurls`: Location headers work behind the load balancer and on
 *   any port.
 * - `http.secret` is not here: it arrives as REGISTRY_HTTP_SECRET from
 *   Secrets Manager, the same for every task.
 * - TLS 1.2 or newer, in the container: the load balancer passes TCP through,
 *   so traffic is encrypted all the way to the task.
 * - `health.storagedriver`: a task that cannot reach S3 answers 503, which
 *   fails the load balancer's `/v2/` check (it expects 401).
 */
export function registryConfig(input: RegistryConfigInput): DistributionConfig {
    if (!/^[a-z0-9.-]+$/.test(input.hostName)) {
        throw new Error(`\`hostName\` ${JSON.stringify(input.hostName)} is not a DNS name`);
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.bucket)) {
        throw new Error(`\`bucket\` ${JSON.stringify(input.bucket)} is not an S3 bucket name`);
    }
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(input.region)) {
        throw new Error(`\`region\` ${JSON.stringify(input.region)} is not an AWS region`);
    }
    return {
        version: "0.1",
        log: {
            level: "info",
            formatter: "json",
            fields: { service: "registry", host: input.hostName },
            accesslog: { disabled: false },
        },
        storage: {
            s3: { region: input.region, bucket: input.bucket, encrypt: true, secure: true },
            redirect: { disable: true },
            delete: { enabled: false },
            cache: { blobdescriptor: "inmemory" },
            // Abandoned uploads are removed after a week (every task runs this; it is idempotent).
            maintenance: {
                uploadpurging: { enabled: true, age: "168h", interval: "24h", dryrun: false },
            },
        },
        http: {
            addr: `:${REGISTRY_PORT}`,
            relativeurls: true,
            // Within the task's stop timeout (REGISTRY_STOP_TIMEOUT_SECONDS).
            draintimeout: "55s",
            headers: {
                "X-Content-Type-Options": ["nosniff"],
                "Strict-Transport-Security": ["max-age=31536000"],
            },
            tls: {
                certificate: REGISTRY_FILES.certificate,
                key: REGISTRY_FILES.privateKey,
                minimumtls: "tls1.2",
            },
        },
        auth: { htpasswd: { realm: input.hostName, path: REGISTRY_FILES.htpasswd } },
        health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    };
}

/** Seconds ECS waits after SIGTERM; the registry drains connections for `http.draintimeout` first. */
export const REGISTRY_STOP_TIMEOUT_SECONDS = 60;

export interface RegistryContainerInput {
    /** `<repository URL>@sha256:<digest>`: pinned by digest, from an ECR private registry in `region`. */
    image: string;
    config: DistributionConfig;
    /** ARN of the stack's JSON secret with the htpasswd file and the HTTP secret. */
    configSecretArn: string;
    /** ARN of the JSON secret with the TLS certificate chain and private key. */
    tlsSecretArn: string;
    logGroupName: string;
    region: string;
}

/** The subset of the ECS container definition schema the registry uses. */
export interface RegistryContainerDefinition {
    name: "registry";
    image: string;
    essential: true;
    entryPoint: string[];
    command: string[];
    portMappings: { containerPort: number; hostPort: number; protocol: "tcp" }[];
    environment: { name: string; value: string }[];
    secrets: { name: string; valueFrom: string }[];
    readonlyRootFilesystem: false;
    stopTimeout: number;
    logConfiguration: {
        logDriver: "awslogs";
        options: Record<string, string>;
    };
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;

/**
 * The registry's one container. Secrets are referenced by JSON key
 * (`<arn>:<key>::`, ECS's syntax for one key of a JSON secret, Fargate 1.4.0+),
 * so the task definition holds ARNs, never values. The root filesystem stays
 * writable: the start script writes its files under /tmp.
 */
export function registryContainerDefinition(
    input: RegistryContainerInput,
): RegistryContainerDefinition {
    if (
        !/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/.test(
            input.image,
        )
    ) {
        throw new Error(
            `\`image\` must be an ECR private image pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>), got ${JSON.stringify(input.image)}`,
        );
    }
    for (const [arg, arn] of [
        ["configSecretArn", input.configSecretArn],
        ["tlsSecretArn", input.tlsSecretArn],
    ] as const) {
        if (!SECRET_ARN.test(arn)) {
            throw new Error(
                `\`${arg}\` is not a Secrets Manager secret ARN: ${JSON.stringify(arn)}`,
            );
        }
    }
    const key = (arn: string, k: string) => `${arn}:${k}::`;
    return {
        name: "registry",
        image: input.image,
        essential: true,
        entryPoint: ["/bin/sh", "-c"],
        command: [REGISTRY_START_SCRIPT],
        portMappings: [{ containerPort: REGISTRY_PORT, hostPort: REGISTRY_PORT, protocol: "tcp" }],
        // Sorted by name, as ECS returns them (any other order diffs on every refresh).
        environment: [
            { name: REGISTRY_VARIABLES.config, value: JSON.stringify(input.config) },
            // distribution 3 can export OpenTelemetry traces; there is no collector in the task.
            { name: "OTEL_TRACES_EXPORTER", value: "none" },
        ],
        secrets: [
            {
                name: REGISTRY_VARIABLES.htpasswd,
                valueFrom: key(input.configSecretArn, CONFIG_SECRET_KEYS.htpasswd),
            },
            {
                name: REGISTRY_VARIABLES.httpSecret,
                valueFrom: key(input.configSecretArn, CONFIG_SECRET_KEYS.httpSecret),
            },
            {
                name: REGISTRY_VARIABLES.certificate,
                valueFrom: key(input.tlsSecretArn, TLS_SECRET_KEYS.certificate),
            },
            {
                name: REGISTRY_VARIABLES.privateKey,
                valueFrom: key(input.tlsSecretArn, TLS_SECRET_KEYS.privateKey),
            },
        ],
        readonlyRootFilesystem: false,
        stopTimeout: REGISTRY_STOP_TIMEOUT_SECONDS,
        logConfiguration: {
            logDriver: "awslogs",
            options: {
                "awslogs-group": input.logGroupName,
                "awslogs-region": input.region,
                "awslogs-stream-prefix": "registry",
            },
        },
    };
}
