/**
 * Pure pieces of seed 004's NLP application on Fargate: the three container
 * definitions, their environment, and the checks on the service's arguments.
 *
 * The three containers share one task and therefore one network namespace
 * (awsvpc): each must listen on its own port, and nlp-client reaches the other
 * two at `http://localhost:<port>`.
 */

/** The three containers, their listening ports and the variable each reads its port from. */
export const NLP_CONTAINERS = {
    nlpClient: { name: "nlp-client", port: 8080, portVariable: "NLP_CLIENT_PORT" },
    rakeApp: { name: "rake-app", port: 8081, portVariable: "RAKE_PORT" },
    proseApp: { name: "prose-app", port: 8082, portVariable: "PROSE_PORT" },
} as const;

export type NlpContainerKey = keyof typeof NLP_CONTAINERS;

/** The environment variable every container reads the shared API key from. */
export const API_KEY_VARIABLE = "API_KEY";

/**
 * CPU units and MiB each container reserves (seed 004's template). Container
 * `memory` is a hard limit, and the sums must fit inside the task size.
 */
export const CONTAINER_CPU = 256;
export const CONTAINER_MEMORY = 1024;

/**
 * How the port variables are written.
 *
 * - `number`: `8081`. The 2019 images seed 004 deploys prepend the `:`
 *   themselves (`":" + getEnv("RAKE_PORT")`).
 * - `listen-address`: `:8081`. Later image versions (2021 on) pass the value
 *   straight to the HTTP server as its listen address; given a bare number
 *   they fail to start.
 *
 * The right value depends on the image version, not on AWS.
 */
export type PortFormat = "number" | "listen-address";

export function portValue(port: number, format: PortFormat): string {
    switch (format) {
        case "number":
            return String(port);
        case "listen-address":
            return `:${port}`;
        default:
            throw new Error(
                `\`portFormat\` must be "number" or "listen-address", got ${JSON.stringify(format)}`,
            );
    }
}

export interface EnvironmentVariable {
    name: string;
    value: string;
}

/**
 * Each container's plain environment, sorted by name (ECS returns the list
 * sorted, so any other order shows as a diff on every refresh). The API key
 * is never here: it is injected from Secrets Manager (`secrets`).
 */
export function nlpEnvironment(format: PortFormat): Record<NlpContainerKey, EnvironmentVariable[]> {
    const c = NLP_CONTAINERS;
    const sorted = (vars: EnvironmentVariable[]) =>
        [...vars].sort((a, b) => a.name.localeCompare(b.name));
    return {
        nlpClient: sorted([
            { name: c.nlpClient.portVariable, value: portValue(c.nlpClient.port, format) },
            { name: "RAKE_ENDPOINT", value: `http://localhost:${c.rakeApp.port}` },
            { name: "PROSE_ENDPOINT", value: `http://localhost:${c.proseApp.port}` },
        ]),
        rakeApp: [{ name: c.rakeApp.portVariable, value: portValue(c.rakeApp.port, format) }],
        proseApp: [{ name: c.proseApp.portVariable, value: portValue(c.proseApp.port, format) }],
    };
}

/** The subset of the ECS container definition schema this service uses. */
export interface ContainerDefinition {
    name: string;
    image: string;
    essential: boolean;
    cpu: number;
    memory: number;
    portMappings: { containerPort: number; hostPort: number; protocol: "tcp" }[];
    environment: EnvironmentVariable[];
    secrets: { name: string; valueFrom: string }[];
    readonlyRootFilesystem: boolean;
    mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
    logConfiguration: {
        logDriver: "awslogs";
        options: {
            "awslogs-group": string;
            "awslogs-region": string;
            "awslogs-stream-prefix": string;
        };
    };
}

export interface ContainerDefinitionsInput {
    /** Full image references (`<repository URL>:<tag>` or `@sha256:<digest>`). */
    images: Record<NlpContainerKey, string>;
    /** ARN of the Secrets Manager secret that holds the API key. */
    apiKeySecretArn: string;
    logGroupName: string;
    region: string;
    portFormat?: PortFormat;
    /**
     * Tasks have no internet route (the default layout): every image must
     * come from an ECR private registry in `region`, see assertPullableImage.
     * @default true
     */
    privateTasks?: boolean;
}

/**
 * Each container's own writable scratch volume, mounted at `/tmp` (one per
 * container, so no container sees another's files). On Fargate a volume with
 * no other configuration is a bind mount on the task's ephemeral storage
 * (20 GiB by default, encrypted, gone with the task): the root filesystem can
 * stay read-only even if an image writes temporary files.
 */
export function scratchVolumeName(key: NlpContainerKey): string {
    return `tmp-${NLP_CONTAINERS[key].name}`;
}

/** The task definition's `volumes`: the three scratch volumes. */
export function taskVolumes(): { name: string }[] {
    return (Object.keys(NLP_CONTAINERS) as NlpContainerKey[]).map((k) => ({
        name: scratchVolumeName(k),
    }));
}

/**
 * The task's container definitions, in the order nlp-client, rake-app,
 * prose-app. All three are essential (the seed's choice): the API is useless
 * without either back end, so ECS replaces the task when any container stops.
 *
 * Only nlp-client has a port mapping: it is the load balancer's target. The
 * back ends are reached over localhost inside the task, and in awsvpc mode a
 * port mapping would only advertise them on the task's ENI.
 *
 * @throws when an image reference has no tag or digest, or uses `latest`.
 */
export function containerDefinitions(input: ContainerDefinitionsInput): ContainerDefinition[] {
    const format = input.portFormat ?? "number";
    const env = nlpEnvironment(format);
    const keys: NlpContainerKey[] = ["nlpClient", "rakeApp", "proseApp"];
    if (!input.apiKeySecretArn.startsWith("arn:")) {
        throw new Error(
            `\`apiKeySecretArn\` must be a Secrets Manager ARN, got ${JSON.stringify(input.apiKeySecretArn)}`,
        );
    }
    return keys.map((key) => {
        const { name, port } = NLP_CONTAINERS[key];
        const image = input.images[key];
        assertImageReference(image, `images.${key}`);
        if (input.privateTasks ?? true) assertPullableImage(image, input.region, `images.${key}`);
        return {
            name,
            image,
            essential: true,
            cpu: CONTAINER_CPU,
            memory: CONTAINER_MEMORY,
            portMappings:
                key === "nlpClient"
                    ? [{ containerPort: port, hostPort: port, protocol: "tcp" }]
                    : [],
            environment: env[key],
            // ECS reads the secret with the execution role when the task
            // starts; the value never appears in the task definition.
            secrets: [{ name: API_KEY_VARIABLE, valueFrom: input.apiKeySecretArn }],
            // Static Go binaries on `scratch` that log to stdout; whatever the 2019
            // images might write goes to their own /tmp (Go's os.TempDir), never
            // to the image's filesystem.
            readonlyRootFilesystem: true,
            mountPoints: [
                { sourceVolume: scratchVolumeName(key), containerPath: "/tmp", readOnly: false },
            ],
            logConfiguration: {
                logDriver: "awslogs",
                options: {
                    "awslogs-group": input.logGroupName,
                    "awslogs-region": input.region,
                    // Streams are named <prefix>/<container>/<task id>.
                    "awslogs-stream-prefix": name,
                },
            },
        };
    });
}

// ---------------------------------------------------------------------------
// Argument checks

/**
 * Throws unless `ref` names an image by tag or digest. `latest` is refused:
 * the customer's repositories are tag-immutable, and a moving tag makes a
 * rollback redeploy whatever was pushed last.
 */
export function assertImageReference(ref: string, arg: string): void {
    if (typeof ref !== "string" || ref.trim() === "") {
        throw new Error(
            `\`${arg}\` must be an image reference such as <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`,
        );
    }
    if (/\s/.test(ref)) {
        throw new Error(`\`${arg}\` must not contain whitespace: ${JSON.stringify(ref)}`);
    }
    if (/@sha256:[0-9a-f]{64}$/.test(ref)) return;
    const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    if (colon < 0) {
        throw new Error(`\`${arg}\` must name a tag or digest (${ref} would pull \`latest\`)`);
    }
    const tag = lastSegment.slice(colon + 1);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
        throw new Error(`\`${arg}\` has an invalid tag ${JSON.stringify(tag)}`);
    }
    if (tag === "latest") {
        throw new Error(`\`${arg}\` must name a version, not \`latest\` (${ref})`);
    }
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/...`: a private ECR registry host and its region. */
const ECR_PRIVATE_HOST = /^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//;

/**
 * Throws unless tasks with no internet route can pull `ref`: interface
 * endpoints serve only their own region's ECR, and the S3 gateway endpoint
 * only that region's layer bucket. A vendor registry in another region
 * (seed 004 shares from us-east-2 into us-west-2) must replicate the
 * repository into the tasks' region; Docker Hub or ECR Public need internet.
 */
export function assertPullableImage(ref: string, region: string, arg: string): void {
    const host = ECR_PRIVATE_HOST.exec(ref);
    if (!host) {
        throw new Error(
            `\`${arg}\` (${ref}) is not in an ECR private registry; tasks in private subnets reach only ${region}'s ECR endpoints (set \`publicTasks\` to pull from elsewhere)`,
        );
    }
    if (host[1] !== region) {
        throw new Error(
            `\`${arg}\` (${ref}) is in ${host[1]}, but tasks in private subnets pull only through ${region}'s endpoints: replicate the repository to ${region} and use that URL, or set \`publicTasks\``,
        );
    }
}

/** Memory sizes (MiB) Fargate accepts for each task CPU size (ECS developer guide, task sizes). */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
    const out: number[] = [];
    for (let v = from; v <= to; v += step) out.push(v);
    return out;
}

/**
 * Throws unless `cpu`/`memory` is a Fargate task size that holds the three
 * containers' reservations.
 */
export function assertTaskSize(cpu: number, memory: number): void {
    const memories = FARGATE_TASK_SIZES[cpu];
    if (!memories) {
        throw new Error(
            `\`cpu\` ${cpu} is not a Fargate task size (one of ${Object.keys(FARGATE_TASK_SIZES).join(", ")})`,
        );
    }
    if (!memories.includes(memory)) {
        throw new Error(
            `\`memory\` ${memory} does not go with \`cpu\` ${cpu} on Fargate (allowed MiB: ${memories.join(", ")})`,
        );
    }
    const count = Object.keys(NLP_CONTAINERS).length;
    if (cpu < count * CONTAINER_CPU) {
        throw new Error(
            `\`cpu\` ${cpu} is less than the ${count * CONTAINER_CPU} CPU units the ${count} containers reserve (${CONTAINER_CPU} each)`,
        );
    }
    if (memory < count * CONTAINER_MEMORY) {
        throw new Error(
            `\`memory\` ${memory} is less than the ${count * CONTAINER_MEMORY} MiB the ${count} containers reserve (${CONTAINER_MEMORY} each)`,
        );
    }
}

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS: readonly number[] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;

/** The plain (non-Output) arguments the service checks before creating anything. */
export interface NlpServiceChecks {
    desiredCount: number;
    cpu: number;
    memory: number;
    logRetentionDays: number;
    certificateArn?: string;
    portFormat: PortFormat;
    publicTasks: boolean;
    /** Internal load balancer in the private subnets. */
    internal: boolean;
    privateSubnetCount: number;
    publicSubnetCount: number;
    hasEndpointSecurityGroup: boolean;
    hasS3PrefixList: boolean;
}

/** Throws the first broken rule, naming the argument in backticks. */
export function assertNlpServiceArgs(a: NlpServiceChecks): void {
    if (!Number.isInteger(a.desiredCount) || a.desiredCount < 1) {
        throw new Error(
            `\`desiredCount\` must be a whole number of at least 1, got ${a.desiredCount}`,
        );
    }
    assertTaskSize(a.cpu, a.memory);
    if (!LOG_RETENTION_DAYS.includes(a.logRetentionDays)) {
        throw new Error(
            `\`logRetentionDays\` ${a.logRetentionDays} is not a CloudWatch Logs retention value (${LOG_RETENTION_DAYS.join(", ")})`,
        );
    }
    if (a.certificateArn !== undefined && !ACM_CERTIFICATE_ARN.test(a.certificateArn)) {
        throw new Error(
            `\`certificateArn\` must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got ${JSON.stringify(a.certificateArn)}`,
        );
    }
    portValue(0, a.portFormat);
    const [lbArg, lbSubnets] = a.internal
        ? ["privateSubnetIds", a.privateSubnetCount]
        : ["publicSubnetIds", a.publicSubnetCount];
    if (lbSubnets < 2) {
        throw new Error(
            `\`${lbArg}\` must list at least two subnets in different AZs (the ${a.internal ? "internal" : "internet-facing"} load balancer needs two), got ${lbSubnets}`,
        );
    }
    if (a.publicTasks && a.publicSubnetCount < 1) {
        throw new Error(
            "`publicSubnetIds` must list at least one subnet when `publicTasks` is true",
        );
    }
    if (!a.publicTasks) {
        if (a.privateSubnetCount < 1) {
            throw new Error(
                "`privateSubnetIds` must list at least one subnet (the tasks run there)",
            );
        }
        if (!a.hasEndpointSecurityGroup) {
            throw new Error(
                "`endpointSecurityGroupId` is required unless `publicTasks` is true: tasks in private subnets reach ECR, Logs and Secrets Manager only through the interface endpoints",
            );
        }
        if (!a.hasS3PrefixList) {
            throw new Error(
                "`s3PrefixListId` is required unless `publicTasks` is true: image layers come from S3 through the gateway endpoint",
            );
        }
    }
}
