/**
 * Cross-block checks of the `registry` config block, called by
 * src/config.ts (crossCheck) before any resource is registered. Pure: each
 * broken rule comes back as an issue naming the full config key.
 */
import type { ConfigIssue, StackConfig } from "../config";
import { cidrsOverlap, parseCidr } from "../cidr";
import { FARGATE_TASK_SIZES } from "../nlp/containers";
import { bucketNameProblem, defaultBucketName } from "./storage";

const PROJECT = "ecr-private-access";
const k = (name: string) => `${PROJECT}:${name}`;

/** `registry.zoneName`, or the host name's parent domain. */
export function registryZoneName(hostName: string, zoneName?: string): string {
    return zoneName ?? hostName.slice(hostName.indexOf(".") + 1);
}

/** `registry.bucketName`, or `<stack>-registry-<account>-<region>`. */
export function registryBucketName(
    cfg: Pick<StackConfig, "stack" | "accountId" | "region" | "registry">,
): string {
    return cfg.registry?.bucketName ?? defaultBucketName(cfg.stack, cfg.accountId, cfg.region);
}

export function checkRegistryConfig(cfg: StackConfig, declared: Set<string>): ConfigIssue[] {
    const r = cfg.registry;
    if (!r) return [];
    const issues: ConfigIssue[] = [];
    const { network, repositories } = cfg;

    if (!declared.has("network")) {
        issues.push({
            key: k("registry"),
            message: "needs the `network` block (the registry runs in the stack's private subnets)",
        });
    }
    if (!declared.has("endpoints")) {
        issues.push({
            key: k("registry"),
            message:
                "needs the `endpoints` block (the tasks pull the image, write logs, read secrets and reach S3 through the VPC endpoints)",
        });
    }
    if (network && network.azCount < 2) {
        issues.push({
            key: k("network.azCount"),
            message:
                "must be 2 or more when `registry` is on: the tasks and the load balancer span two availability zones",
        });
    }

    // Where the image comes from: the stack's own repository, or a pull-through cache path.
    const listed = repositories?.names.includes(r.image.repository) ?? false;
    if (!r.image.pullThroughCache && !listed) {
        issues.push({
            key: k("registry.image.repository"),
            message: `"${r.image.repository}" is not in repositories.names; list it there (copy the image in with \`skopeo copy --all\`), or set registry.image.pullThroughCache: true when it is a pull-through cache path`,
        });
    }
    if (r.image.pullThroughCache && listed) {
        issues.push({
            key: k("registry.image.repository"),
            message: `"${r.image.repository}" is also in repositories.names; a pull-through cache creates its repositories itself, so remove it there or set registry.image.pullThroughCache: false`,
        });
    }
    if (r.image.pullThroughCache && !r.image.repository.includes("/")) {
        issues.push({
            key: k("registry.image.repository"),
            message: `"${r.image.repository}" has no cache prefix; pull-through cache repositories are <prefix>/<upstream path>, e.g. docker-hub/library/registry`,
        });
    }

    // DNS: the zone must hold the host name and stay out of AWS's names.
    const zone = registryZoneName(r.hostName, r.zoneName);
    if (
        r.zoneName !== undefined &&
        r.hostName !== r.zoneName &&
        !r.hostName.endsWith(`.${r.zoneName}`)
    ) {
        issues.push({
            key: k("registry.zoneName"),
            message: `"${r.zoneName}" does not contain registry.hostName "${r.hostName}"`,
        });
    }
    if (!zone.includes(".") && r.zoneName === undefined) {
        issues.push({
            key: k("registry.hostName"),
            message: `"${r.hostName}" needs a domain under which to create the private zone (e.g. registry.example.internal), or set registry.zoneName`,
        });
    }
    if (/(?:^|\.)amazonaws\.com(?:\.cn)?$|^(?:com|cn)$/.test(zone)) {
        issues.push({
            key: k(r.zoneName !== undefined ? "registry.zoneName" : "registry.hostName"),
            message: `a private zone named "${zone}" would capture AWS service names in the VPC; use a domain of your own`,
        });
    }

    // Capacity.
    if (r.maxCount < r.desiredCount) {
        issues.push({
            key: k("registry.maxCount"),
            message: `${r.maxCount} is less than registry.desiredCount ${r.desiredCount}`,
        });
    }
    const memories = FARGATE_TASK_SIZES[r.cpu];
    if (memories && !memories.includes(r.memory)) {
        issues.push({
            key: k("registry.memory"),
            message: `${r.memory} does not go with registry.cpu ${r.cpu} on Fargate (allowed MiB: ${memories.join(", ")})`,
        });
    }

    // Storage.
    const bucket = registryBucketName(cfg);
    const problem = bucketNameProblem(bucket);
    if (problem) {
        issues.push({
            key: k("registry.bucketName"),
            message:
                r.bucketName === undefined
                    ? `the default name is invalid: ${problem}; set registry.bucketName`
                    : problem,
        });
    }

    // TLS secret: the tasks reach Secrets Manager only through this region's endpoint.
    const secretRegion = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(
        r.certificateSecretArn,
    )?.[1];
    if (secretRegion && secretRegion !== cfg.region) {
        issues.push({
            key: k("registry.certificateSecretArn"),
            message: `is in ${secretRegion}, but the tasks read secrets through ${cfg.region}'s Secrets Manager endpoint; create the secret in ${cfg.region}`,
        });
    }

    // Its key: Secrets Manager encrypts a secret with a KMS key of the secret's own region.
    const keyRegion = r.certificateSecretKmsKeyArn
        ? /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(r.certificateSecretKmsKeyArn)?.[1]
        : undefined;
    if (keyRegion && secretRegion && keyRegion !== secretRegion) {
        issues.push({
            key: k("registry.certificateSecretKmsKeyArn"),
            message: `is in ${keyRegion}, but registry.certificateSecretArn is in ${secretRegion}; a secret is encrypted with a key of its own region`,
        });
    }

    // Clients: never the world; the VPC is always allowed, so no overlap with it.
    r.allowedCidrs.forEach((c, i) => {
        const key = k(`registry.allowedCidrs[${i}]`);
        if (parseCidr(c).prefix === 0) {
            issues.push({ key, message: `${c} would open the registry to every network` });
        } else if (network && cidrsOverlap(c, network.cidr)) {
            issues.push({
                key,
                message: `${c} overlaps network.cidr ${network.cidr}, which is always allowed`,
            });
        } else if (r.allowedCidrs.indexOf(c) !== i) {
            issues.push({ key, message: `${c} is listed twice` });
        }
    });

    r.users.forEach((u, i) => {
        if (r.users.indexOf(u) !== i) {
            issues.push({ key: k(`registry.users[${i}]`), message: `"${u}" is listed twice` });
        }
    });
    return issues;
}
