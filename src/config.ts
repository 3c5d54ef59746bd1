import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { carveSubnets, cidrsOverlap, parseCidr } from "./cidr";
import { MAX_REPOSITORY_POLICY_LENGTH, policyText, repositoryPolicyDocument } from "./ecr/policies";
import { DOCKER_BRIDGE_CIDR } from "./idc/host";
import { availabilityZones, isKnownRegion } from "./regions";

/**
 * The only reader of `pulumi.Config`. Every stack's config is validated here,
 * before any resource is registered, into the typed args the components take.
 * A component's block present in `Pulumi.<stack>.yaml` turns that component on.
 */

export const PROJECT = "ecr-private-access";

/** One broken rule, named by its full config key (`ecr-private-access:idc.cidr`). */
export interface ConfigIssue {
    key: string;
    message: string;
}

export class ConfigError extends Error {
    constructor(readonly issues: ConfigIssue[]) {
        super(
            `invalid stack configuration:\n` +
                issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

// ---------------------------------------------------------------------------
// Field schemas

const cidr = z.string().superRefine((value, ctx) => {
    try {
        const { prefix } = parseCidr(value);
        if (prefix < 8) {
            ctx.addIssue({ code: "custom", message: `"${value}" is wider than /8` });
        }
    } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
});

/** Any CIDR including 0.0.0.0/0, which only the explicit world opt-in accepts. */
const sourceCidr = z.string().superRefine((value, ctx) => {
    try {
        parseCidr(value);
    } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
});

const vpcCidr = cidr.refine(
    (value) => {
        try {
            const p = parseCidr(value).prefix;
            return p >= 16 && p <= 28;
        } catch {
            return true; // already reported by `cidr`
        }
    },
    { message: "a VPC CIDR block must be between /16 and /28 (AWS limit)" },
);

// YAML turns an unquoted account ID into a number, so accept both and insist
// on 12 digits; leading zeros only survive when quoted.
export const accountId = z
    .union([z.string(), z.number()])
    .transform((v) => String(v))
    .refine((v) => /^\d{12}$/.test(v), {
        message: "must be a 12-digit AWS account ID (quote it in YAML so leading zeros survive)",
    });

const region = z.string().refine(isKnownRegion, { message: "is not a known AWS region" });

/** ECR's repository name rule (SetRepositoryPolicy API reference), 2 to 256 characters. */
export const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const repositoryName = z
    .string()
    .refine((v) => v.length >= 2 && v.length <= 256 && REPOSITORY_NAME.test(v), {
        message:
            "is not a valid ECR repository name (2-256 characters: lower-case letters, digits and . _ - separators, optional / namespaces)",
    });

const imageTag = z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: "is not a valid image tag" })
    .refine((v) => v !== "latest", {
        message:
            "must name a version, not `latest` (repositories are tag-immutable, so `latest` can be pushed only once)",
    });

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
    message: "is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)",
});

const stackName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
    message: "must be a fully qualified stack name <organization>/<project>/<stack>",
});

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy). */
const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

// ---------------------------------------------------------------------------
// Component blocks

const networkSchema = z.strictObject({
    /** VPC CIDR block. Changing it replaces the VPC and everything in it. */
    cidr: vpcCidr,
    /** Number of AZs the private subnets span. */
    azCount: z.number().int().min(1).max(6).default(2),
    /** Prefix length of each subnet; default: the VPC prefix + 4. */
    subnetPrefixLength: z.number().int().min(16).max(28).optional(),
    /** Public subnets with an internet gateway, for internet-facing load balancers only. */
    publicSubnets: z.boolean().default(false),
});

export const OPTIONAL_INTERFACE_SERVICES = ["logs", "secretsmanager", "ssm"] as const;

const endpointsSchema = z.strictObject({
    placement: z.enum(["all-azs", "single-az"]).default("all-azs"),
    optionalServices: z.array(z.enum(OPTIONAL_INTERFACE_SERVICES)).default([]),
    ec2LaunchType: z.boolean().default(false),
    onPremisesCidrs: z.array(sourceCidr).default([]),
    allowWorldIngress: z.boolean().default(false),
    registryAccounts: z.array(accountId).default([]),
    allowPush: z.boolean().default(false),
    // Data perimeter of the ECR endpoint policies: principals of the stack's account and of
    // registryAccounts only, plus this organization's; allowAnyPrincipal drops it (explicitly).
    principalOrgId: z
        .string()
        .regex(/^o-[a-z0-9]{10,32}$/, { message: "is not an AWS Organizations ID (o-xxxxxxxxxx)" })
        .optional(),
    allowAnyPrincipal: z.boolean().default(false),
    // An S3 interface endpoint for clients outside the VPC (peered, VPN, Direct Connect),
    // which the gateway endpoint does not serve; layer downloads of `docker pull` need it.
    s3Interface: z.boolean().default(false),
    s3AdditionalResources: z
        .array(
            z.string().regex(/^arn:aws[a-z-]*:s3:::[a-z0-9.-]+\/.+$/, {
                message: "is not an S3 object ARN",
            }),
        )
        .default([]),
});

const dnsSchema = z.strictObject({
    layout: z.enum(["exact", "seed"]).default("exact"),
    ttl: z.number().int().min(1).max(86400).default(60),
    resolverEndpoint: z.boolean().default(false),
});

const repositoriesSchema = z.strictObject({
    names: z.array(repositoryName).min(1, { message: "must list at least one repository" }),
    consumers: z
        .strictObject({
            accounts: z.array(accountId).default([]),
            roleArns: z.array(roleArn).default([]),
            organizationId: z
                .string()
                .regex(/^o-[a-z0-9]{10,32}$/, {
                    message: "is not an AWS Organizations ID (o-xxxxxxxxxx)",
                })
                .optional(),
        })
        .prefault({}),
    /** Regions the repositories are replicated to (same account), for consumers elsewhere. */
    replicationRegions: z.array(region).default([]),
    codeBuild: z.boolean().default(false),
    lifecycle: z
        .strictObject({
            untaggedExpireDays: z.number().int().min(1).default(7),
            keepImages: z.number().int().min(1).default(50),
            releaseTagPatterns: z
                .array(z.string().regex(/^[A-Za-z0-9_.*-]+$/))
                .min(1)
                .default(["v*"]),
        })
        .prefault({}),
    kmsKeyArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/, {
            message: "is not a KMS key ARN",
        })
        .optional(),
    /** Keep repositories (and their images) in AWS when they leave the program. */
    retainOnDelete: z.boolean().default(true),
    /** Refuse any `pulumi up`/`destroy` that would delete a repository (production). */
    protect: z.boolean().default(false),
});

const developersSchema = z.strictObject({
    groupName: z
        .string()
        .regex(/^[\w+=,.@-]{1,128}$/)
        .optional(),
    users: z
        .array(z.string().regex(/^[\w+=,.@-]{1,64}$/, { message: "is not an IAM user name" }))
        .default([]),
});

const nlpSchema = z.strictObject({
    vendorStack: stackName,
    vendorRepository: repositoryName.default("rake-app"),
    clientRepository: repositoryName.default("nlp-client"),
    proseRepository: repositoryName.default("prose-app"),
    imageTags: z.strictObject({ nlpClient: imageTag, rakeApp: imageTag, proseApp: imageTag }),
    desiredCount: z.number().int().min(1).max(100).default(2),
    cpu: z.number().int().default(1024),
    memory: z.number().int().default(4096),
    certificateArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, {
            message:
                "is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
        })
        .optional(),
    logRetentionDays: z
        .number()
        .refine((d) => LOG_RETENTION_DAYS.includes(d), {
            message: `must be one of CloudWatch's retention values: ${LOG_RETENTION_DAYS.join(", ")}`,
        })
        .default(30),
    publicTasks: z.boolean().default(false),
    /** How the apps read their ports: `8081` (the seed's 2019 images) or `:8081` (2021 images on). */
    portFormat: z.enum(["number", "listen-address"]).default("number"),
    /** `enhanced` adds per-container metrics and is billed per observation. */
    containerInsights: z.enum(["enabled", "enhanced"]).default("enabled"),
});

const idcSchema = z.strictObject({
    region,
    cidr: vpcCidr,
    instanceType: z
        .string()
        .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/)
        .default("t3.micro"),
});

const BLOCKS = {
    network: networkSchema,
    endpoints: endpointsSchema,
    dns: dnsSchema,
    repositories: repositoriesSchema,
    developers: developersSchema,
    nlp: nlpSchema,
    idc: idcSchema,
} as const;

/** Plain (non-object) keys. `nlpApiKey` is a secret and is read separately. */
const SCALARS = ["accountId", "nlpApiKey"] as const;

/** Every key under the project's namespace, and each block's fields (for docs checks). */
export const CONFIG_KEYS: Record<string, string[]> = {
    ...Object.fromEntries(SCALARS.map((k) => [k, []])),
    ...Object.fromEntries(
        Object.entries(BLOCKS).map(([k, schema]) => [k, Object.keys(schema.shape)]),
    ),
};

export type NetworkConfig = z.infer<typeof networkSchema> & { subnetPrefixLength: number };
export type EndpointsConfig = z.infer<typeof endpointsSchema> & {
    /** Interface endpoint services after adding what the stack's workloads need. */
    interfaceServices: string[];
};
export type DnsConfig = z.infer<typeof dnsSchema>;
export type RepositoriesConfig = z.infer<typeof repositoriesSchema>;
export type DevelopersConfig = z.infer<typeof developersSchema>;
export type NlpConfig = z.infer<typeof nlpSchema>;
export type IdcConfig = z.infer<typeof idcSchema>;

export interface StackConfig {
    project: string;
    stack: string;
    accountId: string;
    region: string;
    network?: NetworkConfig;
    endpoints?: EndpointsConfig;
    dns?: DnsConfig;
    repositories?: RepositoriesConfig;
    developers?: DevelopersConfig;
    nlp?: NlpConfig;
    idc?: IdcConfig;
}

// ---------------------------------------------------------------------------
// Loading

/**
 * Validates a raw config map (`pulumi.runtime.allConfig()` shape: full keys to
 * strings, objects JSON-encoded). Pure, so tests and the offline plan can call
 * it without the Pulumi runtime. Throws ConfigError listing every broken rule.
 */
export function parseStackConfig(raw: Record<string, string>, stack: string): StackConfig {
    const issues: ConfigIssue[] = [];
    const key = (name: string) => `${PROJECT}:${name}`;

    for (const fullKey of Object.keys(raw).sort()) {
        const [ns, name] = splitKey(fullKey);
        if (ns !== PROJECT) continue;
        if (!(name in BLOCKS) && !(SCALARS as readonly string[]).includes(name)) {
            issues.push({
                key: fullKey,
                message: `unknown config key (known: ${[...SCALARS, ...Object.keys(BLOCKS)].sort().join(", ")})`,
            });
        }
    }

    const regionValue = raw["aws:region"];
    if (regionValue === undefined) {
        issues.push({
            key: "aws:region",
            message: "is required (the region this stack deploys to)",
        });
    } else if (!isKnownRegion(regionValue)) {
        issues.push({ key: "aws:region", message: `"${regionValue}" is not a known AWS region` });
    }

    const account = accountId.safeParse(raw[key("accountId")] ?? "");
    if (!account.success) {
        issues.push({
            key: key("accountId"),
            message:
                raw[key("accountId")] === undefined
                    ? "is required (the 12-digit AWS account this stack deploys to)"
                    : `"${raw[key("accountId")]}" must be a 12-digit AWS account ID`,
        });
    }

    // The AWS provider's own guard: it refuses credentials for any other
    // account before it creates anything (a check in the program would only
    // fail once other resources were already being created).
    if (account.success) {
        const allowed = parseStringList(raw["aws:allowedAccountIds"]);
        if (!allowed?.includes(account.data)) {
            issues.push({
                key: "aws:allowedAccountIds",
                message: `must list "${account.data}" (ecr-private-access:accountId), so the AWS provider refuses credentials for any other account before it creates anything`,
            });
        }
    }

    const blocks: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(BLOCKS)) {
        const text = raw[key(name)];
        if (text === undefined) continue;
        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch {
            issues.push({ key: key(name), message: "must be an object (a YAML mapping)" });
            continue;
        }
        const result = (schema as z.ZodType).safeParse(value);
        if (result.success) {
            blocks[name] = result.data;
        } else {
            for (const issue of result.error.issues) {
                issues.push(...zodIssue(name, issue, value));
            }
        }
    }

    const cfg: StackConfig = {
        project: PROJECT,
        stack,
        accountId: account.success ? account.data : "",
        region: regionValue ?? "",
        ...(blocks as Partial<StackConfig>),
    };
    if (isKnownRegion(cfg.region)) {
        const declared = new Set(Object.keys(BLOCKS).filter((b) => raw[key(b)] !== undefined));
        issues.push(...crossCheck(cfg, declared));
    }
    if (issues.length > 0) {
        throw new ConfigError(issues);
    }
    return derive(cfg);
}

/** Rules that span blocks: dependencies, overlaps, capacities. */
function crossCheck(cfg: StackConfig, declared: Set<string>): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const k = (name: string) => `${PROJECT}:${name}`;
    const { network, endpoints, dns, repositories, developers, nlp, idc } = cfg;
    // A block that failed its own schema is still "declared": don't also
    // report the blocks that depend on it as missing.
    const requires = (block: string, needed: string, why: string) => {
        if (!declared.has(needed))
            issues.push({ key: k(block), message: `needs the \`${needed}\` block (${why})` });
    };

    if (network) {
        const zones = availabilityZones(cfg.region).length;
        if (network.azCount > zones) {
            issues.push({
                key: k("network.azCount"),
                message: `${network.azCount} is more than the ${zones} availability zones ${cfg.region} offers`,
            });
        }
        const vpcPrefix = parseCidr(network.cidr).prefix;
        const prefix = network.subnetPrefixLength ?? Math.min(vpcPrefix + 4, 28);
        const count = network.azCount * (network.publicSubnets ? 2 : 1);
        try {
            carveSubnets(network.cidr, prefix, count);
        } catch (e) {
            issues.push({ key: k("network.subnetPrefixLength"), message: (e as Error).message });
        }
    }
    if (endpoints) {
        requires("endpoints", "network", "endpoints live in the stack's VPC");
        endpoints.onPremisesCidrs.forEach((c, i) => {
            if (parseCidr(c).prefix === 0 && !endpoints.allowWorldIngress) {
                issues.push({
                    key: k(`endpoints.onPremisesCidrs[${i}]`),
                    message: `${c} opens the endpoints to the whole internet; set endpoints.allowWorldIngress: true to accept that explicitly`,
                });
            }
        });
        if (endpoints.principalOrgId !== undefined && endpoints.allowAnyPrincipal) {
            issues.push({
                key: k("endpoints.principalOrgId"),
                message:
                    "has no effect with endpoints.allowAnyPrincipal: true (any principal may then use the endpoints); drop one of them",
            });
        }
    }
    if (dns) {
        requires("dns", "endpoints", "the records point at the registry endpoints");
    }
    if (developers) {
        requires(
            "developers",
            "repositories",
            "developers are granted push on the stack's repositories",
        );
    }
    if (repositories) {
        const seen = new Set<string>();
        repositories.names.forEach((n, i) => {
            if (seen.has(n)) {
                issues.push({
                    key: k(`repositories.names[${i}]`),
                    message: `"${n}" is listed twice`,
                });
            }
            seen.add(n);
        });
        repositories.replicationRegions.forEach((r, i) => {
            if (r === cfg.region) {
                issues.push({
                    key: k(`repositories.replicationRegions[${i}]`),
                    message: `${r} is the stack's own region (aws:region)`,
                });
            } else if (repositories.replicationRegions.indexOf(r) !== i) {
                issues.push({
                    key: k(`repositories.replicationRegions[${i}]`),
                    message: `${r} is listed twice`,
                });
            }
        });
        // ECR rejects repository policies over 10,240 characters; say so now,
        // not half-way through `pulumi up`.
        const doc = repositoryPolicyDocument({
            accountId: cfg.accountId || "000000000000",
            consumers: repositories.consumers,
            codeBuild: repositories.codeBuild,
        });
        if (doc && policyText(doc).length > MAX_REPOSITORY_POLICY_LENGTH) {
            issues.push({
                key: k("repositories.consumers.accounts"),
                message: `the repository policy would be ${policyText(doc).length} characters, over ECR's limit of ${MAX_REPOSITORY_POLICY_LENGTH}; grant the consumers' AWS Organization with repositories.consumers.organizationId instead, or list fewer accounts`,
            });
        }
    }
    if (nlp) {
        requires("nlp", "network", "the service runs in the stack's VPC");
        if (network && network.azCount < 2) {
            issues.push({
                key: k("network.azCount"),
                message:
                    "must be 2 or more when `nlp` is on: a load balancer needs subnets in two availability zones",
            });
        }
        if (network && !network.publicSubnets) {
            issues.push({
                key: k("network.publicSubnets"),
                message:
                    "must be true when `nlp` is on: the internet-facing load balancer needs public subnets",
            });
        }
        if (!nlp.publicTasks) {
            requires(
                "nlp",
                "endpoints",
                "tasks in private subnets pull images through the registry endpoints; or set nlp.publicTasks: true",
            );
        }
        for (const field of ["clientRepository", "proseRepository"] as const) {
            if (!repositories?.names.includes(nlp[field])) {
                issues.push({
                    key: k(`nlp.${field}`),
                    message: `"${nlp[field]}" is not in repositories.names (the customer's own images live in this stack's repositories)`,
                });
            }
        }
    }
    if (idc) {
        requires("idc", "network", "the simulated IDC peers with the stack's VPC");
        requires("idc", "endpoints", "the IDC reaches ECR through the registry endpoints");
        if (idc.region === cfg.region) {
            issues.push({
                key: k("idc.region"),
                message: `${idc.region} equals aws:region; the simulated IDC must be in another region`,
            });
        }
        requires("idc", "repositories", "the developer host pushes to the stack's repositories");
        if (endpoints && !endpoints.allowPush) {
            issues.push({
                key: k("endpoints.allowPush"),
                message: "must be true when `idc` is on: the IDC host pushes through the endpoints",
            });
        }
        if (network && cidrsOverlap(idc.cidr, network.cidr)) {
            issues.push({
                key: k("idc.cidr"),
                message: `${idc.cidr} overlaps network.cidr ${network.cidr}`,
            });
        }
        // The host runs Docker, whose default bridge would capture traffic to these addresses.
        for (const [name, block] of [
            ["idc.cidr", idc.cidr],
            ["network.cidr", network?.cidr],
        ] as const) {
            if (block && cidrsOverlap(block, DOCKER_BRIDGE_CIDR)) {
                issues.push({
                    key: k(name),
                    message: `${block} overlaps Docker's default bridge ${DOCKER_BRIDGE_CIDR} on the IDC host`,
                });
            }
        }
    }
    if (dns?.resolverEndpoint && endpoints && endpoints.onPremisesCidrs.length === 0 && !idc) {
        issues.push({
            key: k("dns.resolverEndpoint"),
            message:
                "needs endpoints.onPremisesCidrs: the Resolver endpoint answers only the on-premises networks listed there",
        });
    }
    if (dns?.resolverEndpoint && network && network.azCount < 2) {
        issues.push({
            key: k("dns.resolverEndpoint"),
            message:
                "a Route 53 Resolver endpoint needs two subnets; set network.azCount to 2 or more",
        });
    }
    return issues;
}

/** Fills in values derived from other blocks. */
function derive(cfg: StackConfig): StackConfig {
    const network = cfg.network && {
        ...cfg.network,
        subnetPrefixLength:
            cfg.network.subnetPrefixLength ?? Math.min(parseCidr(cfg.network.cidr).prefix + 4, 28),
    };
    let endpoints = cfg.endpoints;
    if (endpoints) {
        const services = new Set<string>(["ecr.api", "ecr.dkr", ...endpoints.optionalServices]);
        // Fargate tasks with no internet path need logs (awslogs driver) and
        // secretsmanager (the API key is injected as a secret).
        if (cfg.nlp && !cfg.nlp.publicTasks) {
            services.add("logs");
            services.add("secretsmanager");
        }
        if (endpoints.ec2LaunchType) {
            ["ecs", "ecs-agent", "ecs-telemetry"].forEach((s) => services.add(s));
        }
        const onPremisesCidrs = [...endpoints.onPremisesCidrs];
        if (cfg.idc && !onPremisesCidrs.includes(cfg.idc.cidr)) onPremisesCidrs.push(cfg.idc.cidr);
        endpoints = { ...endpoints, onPremisesCidrs, interfaceServices: [...services] };
    }
    return { ...cfg, network, endpoints } as StackConfig;
}

function zodIssue(block: string, issue: z.core.$ZodIssue, value: unknown): ConfigIssue[] {
    const path = [block, ...issue.path.map(String)];
    const key = `${PROJECT}:${formatPath(path)}`;
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => ({
            key: `${PROJECT}:${formatPath([...path, k])}`,
            message: "unknown key (typo?)",
        }));
    }
    const actual = lookup(value, issue.path);
    const shown =
        actual === undefined || issue.message.includes(JSON.stringify(actual))
            ? ""
            : `${JSON.stringify(actual)} `;
    const message = issue.message.startsWith("Invalid input: expected")
        ? issue.message.replace("Invalid input: ", "")
        : issue.message;
    return [
        {
            key,
            message:
                actual === undefined && issue.code === "invalid_type"
                    ? "is required"
                    : `${shown}${message}`,
        },
    ];
}

function formatPath(path: string[]): string {
    return path.reduce(
        (acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p),
        "",
    );
}

function lookup(value: unknown, path: PropertyKey[]): unknown {
    return path.reduce<unknown>(
        (v, p) =>
            v !== null && typeof v === "object"
                ? (v as Record<PropertyKey, unknown>)[p]
                : undefined,
        value,
    );
}

function parseStringList(text: string | undefined): string[] | undefined {
    if (text === undefined) return undefined;
    try {
        const value: unknown = JSON.parse(text);
        return Array.isArray(value) ? value.map(String) : undefined;
    } catch {
        return undefined;
    }
}

function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    return i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

/** Stack references a stack's config names, so the offline plan can plan them first. */
export function referencedStacks(raw: Record<string, string>): string[] {
    const text = raw[`${PROJECT}:nlp`];
    if (!text) return [];
    try {
        const ref = (JSON.parse(text) as { vendorStack?: unknown }).vendorStack;
        return typeof ref === "string" ? [ref] : [];
    } catch {
        return [];
    }
}

/** Reads the running stack's config through Pulumi and validates it. */
export function loadConfig(): { cfg: StackConfig; nlpApiKey?: pulumi.Output<string> } {
    const cfg = parseStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
    const nlpApiKey = new pulumi.Config(PROJECT).getSecret("nlpApiKey");
    return { cfg, nlpApiKey };
}
