import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { carveSubnets, cidrsOverlap, parseCidr } from "./cidr";
import { MAX_REPOSITORY_POLICY_LENGTH, policyText, repositoryPolicyDocument } from "./ecr/policies";
import { defaultReleaseTagPatterns, ORGANIZATION_PATH } from "./ecr/sharing";
import { CACHE_TOKEN_KEYS, UPSTREAMS } from "./ecr/pullThroughCache";
import { CacheRule, cacheRules, pullThroughCacheIssues } from "./ecr/pullThroughCacheConfig";
import { sharingIssues } from "./ecr/sharingConfig";
import { DOCKER_BRIDGE_CIDR } from "./idc/host";
import { buildContextIssues } from "./images/context";
import { DEFAULT_WAF_RULE_GROUPS, edgeConfigIssues } from "./nlp/edge";
import { isKnownRegion } from "./regions";
import { componentInvariants, componentRules } from "./validation/components";
import { QUOTAS, Quotas, quotaChecks, quotasSchema, resolveQuotas } from "./validation/quotas";
import { didYouMean } from "./validation/suggest";
import { KMS_KEY_ARN } from "./ecs/iam";
import { checkRegistryConfig } from "./registry/checks";
import { HTPASSWD_USER } from "./registry/htpasswd";

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
    /** `file`, when known, heads the message (`Pulumi.customer.yaml: invalid stack configuration:`). */
    constructor(
        readonly issues: ConfigIssue[],
        readonly file?: string,
    ) {
        super(
            `${file ? `${file}: ` : ""}invalid stack configuration:\n` +
                issues.map((i) => `  - ${i.key}: ${i.message.replace(/\n/g, " ")}`).join("\n"),
        );
        this.name = "ConfigError";
    }

    /**
     * The issues back from a ConfigError's message, for when only the text
     * survived (Pulumi wraps an error thrown inside an `apply`).
     */
    static issuesFromMessage(text: string): ConfigIssue[] {
        const start = text.indexOf("invalid stack configuration:");
        if (start < 0) return [];
        return text
            .slice(start)
            .split("\n")
            .slice(1)
            .map((line) => /^ {2}- ([^\s]+?): (.*)$/.exec(line))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => ({ key: m[1], message: m[2] }));
    }
}

/**
 * Config namespaces a stack file may use: the project's, Pulumi's own, and
 * one per provider package the program uses (package.json's @pulumi/*
 * providers; a test keeps the two lists equal). Anything else is a typo that
 * would otherwise be ignored silently (`ecr-private-acess:dns` would turn DNS off).
 */
export const PROVIDER_NAMESPACES = ["aws", "awsx", "random"] as const;
export const KNOWN_NAMESPACES = [PROJECT, "pulumi", ...PROVIDER_NAMESPACES] as const;

/**
 * Keys that hold secrets: a plain-text value is refused, with the command
 * that stores it encrypted. Add a key here when the program reads one.
 */
export const SECRET_KEYS: readonly string[] = ["nlpApiKey", ...CACHE_TOKEN_KEYS];

/** The AWS provider's config keys (`aws:region`, ...), from the provider package itself. */
function awsProviderKeys(): string[] {
    return Object.keys(require("@pulumi/aws/config/vars") as object);
}

/** Provider namespaces whose keys are known; `random` takes no config at all. */
const PROVIDER_KEYS: Record<string, () => string[]> = {
    aws: awsProviderKeys,
    random: () => [],
};

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

/** An AWS Organizations entity path down to an OU; a missing trailing `/` is added. */
const organizationPath = z
    .string()
    .transform((v) => (v.endsWith("/") ? v : `${v}/`))
    .refine((v) => ORGANIZATION_PATH.test(v), {
        message:
            "is not an organizational unit path o-<org id>/r-<root id>/ou-<ou id>/... (as aws:PrincipalOrgPaths reports it; `aws organizations list-parents` gives the IDs)",
    });

/** An ECR lifecycle tag pattern (lifecycle policy parameters: `*` wildcards, at most four). */
const tagPattern = z
    .string()
    .regex(/^[A-Za-z0-9_.*-]{1,128}$/, {
        message: "is not a tag pattern (1-128 letters, digits, _ . - and * wildcards)",
    })
    .refine((v) => (v.match(/\*/g) ?? []).length <= 4, {
        message: "has more than the 4 wildcards ECR allows in a tag pattern",
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
            /** OUs (and their child OUs) whose accounts may pull: aws:PrincipalOrgPaths. */
            organizationalUnitPaths: z.array(organizationPath).default([]),
        })
        .prefault({}),
    /** Regions the repositories are replicated to (same account), for consumers elsewhere. */
    replicationRegions: z.array(region).default([]),
    codeBuild: z.boolean().default(false),
    lifecycle: z
        .strictObject({
            untaggedExpireDays: z.number().int().min(1).default(7),
            keepImages: z.number().int().min(1).default(50),
            // Default filled in by parseStackConfig (it depends on the idc block).
            releaseTagPatterns: z.array(tagPattern).min(1).optional(),
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
    vendorRepository: repositoryName.default("shared/rake-app"),
    /**
     * This account's AWS Organizations path (`o-.../r-.../ou-.../`): lets the
     * plan verify a vendor's organization or OU grant.
     */
    organizationPath: organizationPath.optional(),
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
    // The edge (src/nlp/edge.ts checks what the schema cannot).
    /** The service's name; the stack requests and validates an ACM certificate for it. */
    domain: z.string().optional(),
    /** The public Route 53 hosted zone `domain` lives in (its name). */
    hostedZone: z.string().optional(),
    /** Serve plain HTTP without a domain or certificate: the pack's violation becomes advisory. */
    allowPlainHttp: z.boolean().default(false),
    /** An internal load balancer in the private subnets. */
    internal: z.boolean().default(false),
    /** Who may reach the listeners; default the world, or the VPC's CIDR when internal. */
    clientCidrs: z.array(sourceCidr).optional(),
    accessLogs: z.boolean().default(true),
    accessLogRetentionDays: z.number().int().min(1).max(3650).default(90),
    deletionProtection: z.boolean().default(true),
    /** A WAF web ACL with these AWS managed rule groups. */
    waf: z
        .strictObject({ ruleGroups: z.array(z.string()).default([...DEFAULT_WAF_RULE_GROUPS]) })
        .optional(),
});

const idcSchema = z.strictObject({
    region,
    cidr: vpcCidr,
    instanceType: z
        .string()
        .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/)
        .default("t3.micro"),
    /**
     * Pin the host's AMI. Without it the newest AL2023 image is used when the
     * host is created and later images are ignored (no replacement).
     */
    amiId: z
        .string()
        .regex(/^ami-[0-9a-f]{8}(?:[0-9a-f]{9})?$/, {
            message: "is not an AMI ID (ami- and 8 or 17 hex digits)",
        })
        .optional(),
});

/** Images the stack builds with awsx.ecr.Image during `pulumi up`, by repository name. */
const imagesSchema = z.record(
    repositoryName,
    z.strictObject({
        /** The build context directory, relative to the project (where Pulumi.yaml is). */
        context: z.string().min(1),
        /** The Dockerfile, relative to the context. */
        dockerfile: z.string().min(1).default("Dockerfile"),
        platform: z.enum(["linux/amd64", "linux/arm64"]).default("linux/amd64"),
        args: z.record(z.string(), z.string()).default({}),
    }),
);
const registrySchema = z.strictObject({
    /** The name clients use; the TLS certificate must name it. Changing it replaces the DNS record. */
    hostName: z
        .string()
        .regex(
            /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/,
            {
                message: "is not a lower-case DNS name with at least two labels",
            },
        ),
    /** The private hosted zone to create; default: the host name's parent domain. */
    zoneName: z
        .string()
        .regex(
            /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/,
            {
                message: "is not a lower-case DNS name",
            },
        )
        .optional(),
    image: z.strictObject({
        /** Repository path in the stack's own ECR registry. */
        repository: repositoryName,
        /** The image index (or manifest) digest the tasks run. */
        digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, {
            message:
                "must be an image digest sha256:<64 hex digits> (the registry is pinned by digest)",
        }),
        /** The repository is an ECR pull-through cache path, not one of repositories.names. */
        pullThroughCache: z.boolean().default(false),
    }),
    users: z
        .array(
            z.string().regex(HTPASSWD_USER, {
                message: "is not a user name (lower-case letters, digits, . _ -)",
            }),
        )
        .min(1, { message: "must list at least one user" }),
    /** Length of each generated password (bcrypt reads at most 72 bytes). */
    passwordLength: z.number().int().min(16).max(72).default(32),
    /** JSON secret with `certificate` (PEM chain) and `privateKey` (PEM) for the registry's TLS. */
    certificateSecretArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/, {
            message:
                "is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
        }),
    /**
     * The customer managed KMS key the TLS secret is encrypted with (key ARN); the execution
     * role then gets kms:Decrypt on exactly it. Omit under aws/secretsmanager (no grant needed).
     */
    certificateSecretKmsKeyArn: z
        .string()
        .regex(KMS_KEY_ARN, {
            message:
                "is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias ARN does not authorise kms:Decrypt)",
        })
        .optional(),
    /** Client networks (on-premises, peered VPCs) allowed to reach the registry besides the VPC. */
    allowedCidrs: z.array(sourceCidr).default([]),
    desiredCount: z
        .number()
        .int()
        .min(2, { message: "must be at least 2 (one task per availability zone)" })
        .max(50)
        .default(2),
    maxCount: z.number().int().min(2).max(100).default(4),
    /** Average CPU the autoscaling policy keeps the tasks at. */
    cpuTargetPercent: z.number().int().min(10).max(90).default(60),
    cpu: z
        .number()
        .int()
        .refine((c) => [256, 512, 1024, 2048, 4096].includes(c), {
            message: "must be a Fargate CPU size: 256, 512, 1024, 2048 or 4096",
        })
        .default(512),
    memory: z.number().int().default(1024),
    logRetentionDays: z
        .number()
        .refine((d) => LOG_RETENTION_DAYS.includes(d), {
            message: `must be one of CloudWatch's retention values: ${LOG_RETENTION_DAYS.join(", ")}`,
        })
        .default(30),
    containerInsights: z.enum(["enabled", "enhanced"]).default("enabled"),
    /** The S3 bucket's name; default <stack>-registry-<account>-<region>. Changing it means a new, empty bucket. */
    bucketName: z.string().optional(),
    /** Keep overwritten and deleted objects (tag links, manifests) for noncurrentVersionDays. */
    versioning: z.boolean().default(true),
    noncurrentVersionDays: z.number().int().min(1).max(3650).default(30),
});

/** ECR pull-through cache (src/ecr/pullThroughCache.ts checks what the schema cannot). */
const pullThroughCacheSchema = z.strictObject({
    rules: z
        .array(
            z.strictObject({
                upstream: z.enum(UPSTREAMS),
                /** Repository prefix; default the upstream's (ecr-public, kubernetes, quay, docker-hub, github, gitlab). */
                prefix: z.string().optional(),
                /** Upstream user name; required for Docker Hub, GitHub and GitLab, refused for the others. */
                username: z.string().optional(),
            }),
        )
        .min(1, { message: "must list at least one rule" }),
    /** Images the warm-up commands pull first; the IDC host's commands pull the first Docker Hub one. */
    warmUpImages: z.array(z.string()).default([]),
    /** Cached images not pulled for this many days expire (lifecycle `sinceImagePulled`). */
    unpulledExpireDays: z.number().int().min(1).max(3650).default(90),
    /** A basic scan-on-push registry scanning rule for the cache prefixes and the stack's repositories. */
    scanOnPush: z.boolean().default(true),
    /** Other accounts (or roles in them) that may pull cached images and fill the cache. */
    consumers: z
        .strictObject({
            accounts: z.array(accountId).default([]),
            roleArns: z.array(roleArn).default([]),
        })
        .prefault({}),
});

const BLOCKS = {
    network: networkSchema,
    endpoints: endpointsSchema,
    dns: dnsSchema,
    repositories: repositoriesSchema,
    developers: developersSchema,
    nlp: nlpSchema,
    idc: idcSchema,
    images: imagesSchema,
    registry: registrySchema,
    pullThroughCache: pullThroughCacheSchema,
} as const;

/** Plain (non-object) keys. The secret ones (SECRET_KEYS) are read separately. */
const SCALARS = ["accountId", ...SECRET_KEYS];

/**
 * Settings blocks that turn no component on: `quotas` overrides the AWS
 * quotas the plan checks (src/validation/quotas.ts), one key per adjustable quota.
 */
const SETTINGS = { quotas: quotasSchema } as const;

const PROJECT_KEYS = [...SCALARS, ...Object.keys(BLOCKS), ...Object.keys(SETTINGS)].sort();

/** Every key under the project's namespace, and each block's fields (for docs checks). */
export const CONFIG_KEYS: Record<string, string[]> = {
    ...Object.fromEntries(SCALARS.map((k) => [k, []])),
    ...Object.fromEntries(
        Object.entries(BLOCKS).map(([k, schema]) => [
            k,
            "shape" in schema ? Object.keys(schema.shape) : Object.keys(schema.valueType.shape),
        ]),
    ),
    quotas: Object.keys(QUOTAS).filter((q) => QUOTAS[q as keyof typeof QUOTAS].adjustable),
};

export type NetworkConfig = z.infer<typeof networkSchema> & { subnetPrefixLength: number };
export type EndpointsConfig = z.infer<typeof endpointsSchema> & {
    /** Interface endpoint services after adding what the stack's workloads need. */
    interfaceServices: string[];
};
export type DnsConfig = z.infer<typeof dnsSchema>;
type RepositoriesInput = z.infer<typeof repositoriesSchema>;
export type RepositoriesConfig = Omit<RepositoriesInput, "lifecycle"> & {
    lifecycle: RepositoriesInput["lifecycle"] & { releaseTagPatterns: string[] };
};
export type DevelopersConfig = z.infer<typeof developersSchema>;
export type NlpConfig = z.infer<typeof nlpSchema>;
export type IdcConfig = z.infer<typeof idcSchema>;
export type ImagesConfig = z.infer<typeof imagesSchema>;
export type RegistryConfig = z.infer<typeof registrySchema>;
export type PullThroughCacheConfig = z.infer<typeof pullThroughCacheSchema> & {
    /** The rules with their defaults (prefix, upstream URL, token key) filled in. */
    cacheRules: CacheRule[];
};

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
    images?: ImagesConfig;
    registry?: RegistryConfig;
    pullThroughCache?: PullThroughCacheConfig;
    /** AWS quotas in force: the defaults, overridden by the `quotas` block. */
    quotas: Quotas;
}

export interface ParseOptions {
    /**
     * Full keys (`ecr-private-access:nlpApiKey`) whose values are stored
     * encrypted (`secure:` in the stack file). A key of SECRET_KEYS not in
     * this list holds plain text and is refused.
     * @default [] (every secret key present is plain text)
     */
    secretKeys?: readonly string[];
}

// ---------------------------------------------------------------------------
// Loading

/**
 * Validates a raw config map (`pulumi.runtime.allConfig()` shape: full keys to
 * strings, objects JSON-encoded). Pure, so tests and the offline plan can call
 * it without the Pulumi runtime. Throws ConfigError listing every broken rule.
 */
export function parseStackConfig(
    raw: Record<string, string>,
    stack: string,
    opts: ParseOptions = {},
): StackConfig {
    const issues: ConfigIssue[] = [];
    const key = (name: string) => `${PROJECT}:${name}`;

    issues.push(...namespaceIssues(raw));
    issues.push(...secretIssues(raw, stack, opts.secretKeys ?? []));

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
    for (const [name, schema] of Object.entries({ ...BLOCKS, ...SETTINGS })) {
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

    // Release patterns that match the tags the stack deploys: semver-like and
    // `v*`, plus the simulated IDC's `idc-<timestamp>` when it runs.
    const repos = blocks.repositories as RepositoriesInput | undefined;
    if (repos && repos.lifecycle.releaseTagPatterns === undefined) {
        repos.lifecycle.releaseTagPatterns = defaultReleaseTagPatterns(
            raw[key("idc")] !== undefined,
        );
    }

    const { quotas, ...components } = blocks as Partial<StackConfig> & { quotas?: Partial<Quotas> };
    const cfg: StackConfig = {
        project: PROJECT,
        stack,
        accountId: account.success ? account.data : "",
        region: regionValue ?? "",
        ...components,
        quotas: resolveQuotas(quotas),
    };
    if (isKnownRegion(cfg.region)) {
        const declared = new Set(Object.keys(BLOCKS).filter((b) => raw[key(b)] !== undefined));
        issues.push(...crossCheck(cfg, declared));
        issues.push(...pullThroughCacheIssues(cfg, new Set(Object.keys(raw))));
        // Only valid blocks are in cfg: a rule reading an invalid one is skipped.
        issues.push(...componentRules(cfg));
    }
    if (issues.length > 0) {
        throw new ConfigError(issues);
    }
    // What AWS would refuse, counted on what the components will get; then
    // the components' own validators, so that nothing they would refuse is
    // first found while resources are being registered.
    const derived = derive(cfg);
    const refused = quotaChecks(derived);
    if (refused.length === 0) refused.push(...componentInvariants(derived));
    if (refused.length > 0) {
        throw new ConfigError(refused);
    }
    return derived;
}

/** Unknown namespaces and unknown keys, each with the closest known name. */
function namespaceIssues(raw: Record<string, string>): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const fullKey of Object.keys(raw).sort()) {
        const [ns, name] = splitKey(fullKey);
        if (ns === PROJECT) {
            if (!PROJECT_KEYS.includes(name)) {
                issues.push({
                    key: fullKey,
                    message: `unknown config key (known: ${PROJECT_KEYS.join(", ")})${didYouMean(name, PROJECT_KEYS, (w) => `${PROJECT}:${w}`)}`,
                });
            }
        } else if (ns === "pulumi") {
            // Pulumi's own settings (pulumi:tags, pulumi:disable-default-providers, ...).
        } else if (ns in PROVIDER_KEYS) {
            const known = PROVIDER_KEYS[ns]();
            if (!known.includes(name)) {
                issues.push({
                    key: fullKey,
                    message:
                        known.length === 0
                            ? `the ${ns} provider takes no config; remove the key`
                            : `unknown ${ns} provider setting${didYouMean(name, known, (w) => `${ns}:${w}`)}`,
                });
            }
        } else {
            issues.push({
                key: fullKey,
                message: `unknown config namespace "${ns}": the program never reads it, so this setting would be ignored (known namespaces: ${KNOWN_NAMESPACES.join(", ")})${didYouMean(ns, KNOWN_NAMESPACES, (w) => `${w}:${name}`)}`,
            });
        }
    }
    return issues;
}

/** Secret keys given in plain text: the exact command that stores them encrypted. */
function secretIssues(
    raw: Record<string, string>,
    stack: string,
    secretKeys: readonly string[],
): ConfigIssue[] {
    return SECRET_KEYS.map((name) => `${PROJECT}:${name}`)
        .filter((full) => raw[full] !== undefined && !secretKeys.includes(full))
        .map((full) => ({
            key: full,
            message: `holds a secret but is set in plain text. Delete that line from Pulumi.${stack}.yaml and store the value encrypted with: pulumi config set --secret --stack ${stack} ${full} (it prompts for the value). The old value was in plain text, so use a new one`,
        }));
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
        // Whether the account has azCount usable zones is checked when the
        // program runs, against the provider's answer (components/zones.ts).
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
                message: `the repository policy would be ${policyText(doc).length} characters, over ECR's limit of ${MAX_REPOSITORY_POLICY_LENGTH}; grant the consumers' AWS Organization with repositories.consumers.organizationId (or some of its OUs with organizationalUnitPaths) instead, or list fewer accounts`,
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
        if (network && !network.publicSubnets && (!nlp.internal || nlp.publicTasks)) {
            issues.push({
                key: k("network.publicSubnets"),
                message: nlp.publicTasks
                    ? "must be true when nlp.publicTasks is true: the tasks run in the public subnets"
                    : "must be true when `nlp` is on: the internet-facing load balancer needs public subnets (or set nlp.internal: true)",
            });
        }
        for (const issue of edgeConfigIssues(nlp, { region: cfg.region })) {
            issues.push({ key: k(`nlp.${issue.key}`), message: issue.message });
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
    if (cfg.images) {
        requires("images", "repositories", "images are pushed into the stack's own repositories");
        for (const name of Object.keys(cfg.images)) {
            if (repositories && !repositories.names.includes(name)) {
                issues.push({
                    key: k(`images.${name}`),
                    message: `"${name}" is not in repositories.names (images are pushed into the stack's own repositories)`,
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
    // Shared set, replication limits, IAM policy sizes, release tags (src/ecr/sharingConfig.ts).
    issues.push(...sharingIssues(cfg));
    issues.push(...checkRegistryConfig(cfg, declared));
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
        // So do the self-hosted registry's tasks (its htpasswd and TLS key are secrets).
        if (cfg.registry) {
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
    const pullThroughCache = cfg.pullThroughCache && {
        ...cfg.pullThroughCache,
        cacheRules: cacheRules(cfg.pullThroughCache),
    };
    return {
        ...cfg,
        network,
        endpoints,
        ...(pullThroughCache ? { pullThroughCache } : {}),
    } as StackConfig;
}

function zodIssue(block: string, issue: z.core.$ZodIssue, value: unknown): ConfigIssue[] {
    const path = [block, ...issue.path.map(String)];
    const key = `${PROJECT}:${formatPath(path)}`;
    if (issue.code === "unrecognized_keys") {
        const known = knownFields(block, issue.path);
        return issue.keys.map((k) => ({
            key: `${PROJECT}:${formatPath([...path, k])}`,
            message: `unknown key${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}${didYouMean(k, known)}`,
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

/** Field names of the object schema at `path` inside a block, for did-you-mean. */
function knownFields(block: string, path: PropertyKey[]): string[] {
    let schema: unknown = (BLOCKS as Record<string, unknown>)[block];
    for (const p of path) {
        schema = unwrap(schema);
        const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
        if (!shape || typeof p !== "string") return [];
        schema = shape[p];
    }
    const shape = (unwrap(schema) as { shape?: Record<string, unknown> } | undefined)?.shape;
    return shape ? Object.keys(shape) : [];
}

/** Strips default/optional/prefault wrappers from a zod schema. */
function unwrap(schema: unknown): unknown {
    let s = schema as { def?: { innerType?: unknown } } | undefined;
    while (s?.def?.innerType) s = s.def.innerType as typeof s;
    return s;
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

/**
 * Reads the running stack's config through Pulumi and validates it, including
 * what only the project directory can tell (image build contexts exist).
 */
export function loadConfig(projectDir: string): {
    cfg: StackConfig;
    nlpApiKey?: pulumi.Output<string>;
    /** Access tokens of the pull-through cache's upstreams, by secret config key (never plain). */
    cacheTokens: Record<string, pulumi.Output<string>>;
} {
    const raw = pulumi.runtime.allConfig();
    // Which values are stored encrypted: the engine passes their keys to the
    // program (PULUMI_CONFIG_SECRET_KEYS), and the SDK answers per key.
    const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as {
        isConfigSecret?: (key: string) => boolean;
    };
    const secretKeys = isConfigSecret
        ? Object.keys(raw).filter((k) => isConfigSecret(k))
        : Object.keys(raw); // an SDK that cannot tell: assume the engine decrypted them
    let cfg: StackConfig;
    try {
        cfg = parseStackConfig(raw, pulumi.getStack(), { secretKeys });
        const contextIssues = buildContextIssues(
            cfg.images,
            projectDir,
            cfg.repositories?.lifecycle.releaseTagPatterns,
        );
        if (contextIssues.length > 0) throw new ConfigError(contextIssues);
    } catch (e) {
        // Under `pulumi up` the stack's settings come from Pulumi.<stack>.yaml: name it.
        if (e instanceof ConfigError) {
            throw new ConfigError(e.issues, `Pulumi.${pulumi.getStack().split("/").pop()}.yaml`);
        }
        throw e;
    }
    const config = new pulumi.Config(PROJECT);
    const nlpApiKey = config.getSecret("nlpApiKey");
    const cacheTokens: Record<string, pulumi.Output<string>> = {};
    for (const rule of cfg.pullThroughCache?.cacheRules ?? []) {
        const token = rule.tokenKey && config.getSecret(rule.tokenKey);
        if (rule.tokenKey && token) cacheTokens[rule.tokenKey] = token;
    }
    return { cfg, nlpApiKey, cacheTokens };
}
