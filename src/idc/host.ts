/**
 * Pure pieces of the simulated data centre (IDC): argument validation, the
 * developer host's IAM documents, its user data, the S3 gateway endpoint
 * policy that lets dnf reach the Amazon Linux 2023 repositories, and the
 * commands printed for the operator.
 */
import { cidrsOverlap, parseCidr } from "../cidr";
import { dnsSuffix } from "../dns/records";
import { cacheFillStatement } from "../ecr/pullThroughCache";
import { namespaceResourcePatterns } from "../ecr/sharing";
import { PolicyDocument, PULL_ACTIONS, PUSH_ACTIONS, serviceTrustPolicy } from "../iam";
import { isKnownRegion } from "../regions";

/**
 * Docker's default bridge network. The host routes it to `docker0`, so a peer
 * CIDR overlapping it would send the endpoint traffic into the bridge.
 */
export const DOCKER_BRIDGE_CIDR = "172.17.0.0/16";

/** The network facts the simulated IDC is validated against. */
export interface IdcNetworkInput {
    region: string;
    cidr: string;
    cloudRegion: string;
    cloudCidr: string;
}

/**
 * Throws an error naming the argument when the two networks cannot be peered
 * and routed: unknown regions, the same region (the simulation needs two),
 * invalid, too wide or overlapping CIDRs.
 */
export function validateIdcNetwork(input: IdcNetworkInput): void {
    const { region, cidr, cloudRegion, cloudCidr } = input;
    for (const [arg, value] of [
        ["region", region],
        ["cloud.region", cloudRegion],
    ] as const) {
        if (typeof value !== "string" || value === "") {
            throw new Error(`\`${arg}\` is required (an AWS region name such as ap-northeast-1).`);
        }
        if (!isKnownRegion(value)) {
            throw new Error(`\`${arg}\` "${value}" is not a known AWS region.`);
        }
    }
    if (region === cloudRegion) {
        throw new Error(
            `\`region\` ${region} equals \`cloud.region\`: the simulated IDC must be in another region, so that nothing but the peering connection links it to the endpoints.`,
        );
    }
    for (const [arg, value] of [
        ["cidr", cidr],
        ["cloud.cidr", cloudCidr],
    ] as const) {
        if (typeof value !== "string" || value === "") {
            throw new Error(`\`${arg}\` is required (an IPv4 CIDR block such as 10.100.0.0/16).`);
        }
        let prefix: number;
        try {
            prefix = parseCidr(value).prefix;
        } catch (e) {
            throw new Error(`\`${arg}\`: ${(e as Error).message}`);
        }
        if (prefix < 16 || prefix > 28) {
            throw new Error(`\`${arg}\` ${value}: a VPC CIDR block must be between /16 and /28.`);
        }
        if (cidrsOverlap(value, DOCKER_BRIDGE_CIDR)) {
            throw new Error(
                `\`${arg}\` ${value} overlaps Docker's default bridge ${DOCKER_BRIDGE_CIDR}, which the developer host routes to docker0.`,
            );
        }
    }
    if (cidrsOverlap(cidr, cloudCidr)) {
        throw new Error(
            `\`cidr\` ${cidr} overlaps \`cloud.cidr\` ${cloudCidr}: peered VPCs need disjoint CIDR blocks.`,
        );
    }
}

/** `aws`, `aws-cn` or `aws-us-gov`: the ARN partition of a region. */
export function partitionOf(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

const REPOSITORY_ARN = /^arn:(aws|aws-cn|aws-us-gov):ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;

/** The parts of an ECR repository ARN. */
export interface RepositoryArnParts {
    partition: string;
    region: string;
    accountId: string;
    name: string;
}

/** Splits a repository ARN; throws naming `argName` when it is not one. */
export function parseRepositoryArn(arn: string, argName = "repositoryArns"): RepositoryArnParts {
    const m = REPOSITORY_ARN.exec(String(arn));
    if (!m) {
        throw new Error(
            `\`${argName}\` ${JSON.stringify(arn)} is not an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>).`,
        );
    }
    return { partition: m[1], region: m[2], accountId: m[3], name: m[4] };
}

/** Trust policy letting EC2 hand the role to the developer host. */
export function ec2TrustPolicy(): PolicyDocument {
    return serviceTrustPolicy("ec2.amazonaws.com");
}

/**
 * The developer host's identity policy: an ECR login token (an action with no
 * resource type, so only `*` works) and push/pull on the given repositories,
 * nothing else in the account. Repositories in a namespace are granted as one
 * `<namespace>/*` pattern per namespace, so the role's inline policy (IAM:
 * 10,240 characters for all of a role's inline policies) does not grow with
 * the repository count.
 *
 * With `cacheRepositories` (the pull-through cache's `.../repository/<prefix>/*` patterns) the
 * host may also pull cached images and fill the cache there (ecr:BatchImportUpstreamImage,
 * ecr:CreateRepository), never push to it.
 *
 * @throws naming `repositoryArns` when the list is empty or holds a non-ARN, naming
 *   `cacheRepositories` when one is not a repository ARN or pattern.
 */
export function hostEcrPolicy(
    repositoryArns: string[],
    cacheRepositories: string[] = [],
): PolicyDocument {
    if (!Array.isArray(repositoryArns) || repositoryArns.length === 0) {
        throw new Error("`repositoryArns` must list at least one repository the host may push to.");
    }
    repositoryArns.forEach((arn) => parseRepositoryArn(arn));
    cacheRepositories.forEach((arn, i) => parseRepositoryArn(arn, `cacheRepositories[${i}]`));
    const resources = namespaceResourcePatterns(repositoryArns).sort();
    const cache = [...new Set(cacheRepositories)].sort();
    const cacheStatements: PolicyDocument["Statement"] =
        cache.length === 0
            ? []
            : [
                  {
                      Sid: "PullCachedImages",
                      Effect: "Allow",
                      Action: [...PULL_ACTIONS],
                      Resource: cache,
                  },
                  cacheFillStatement(cache),
              ];
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EcrLogin",
                Effect: "Allow",
                Action: "ecr:GetAuthorizationToken",
                Resource: "*",
            },
            {
                Sid: "PushPullStackRepositories",
                Effect: "Allow",
                Action: [...PULL_ACTIONS, ...PUSH_ACTIONS].sort(),
                Resource: resources,
            },
            ...cacheStatements,
        ],
    };
}

/**
 * The bucket that serves the Amazon Linux 2023 dnf repositories of a region
 * (the `mirrorlist` in /etc/yum.repos.d/amazonlinux.repo points at
 * `al2023-repos-<region>-de612dc2.s3.dualstack.<region>.amazonaws.com`).
 */
export function al2023RepoBucketArn(region: string): string {
    return `arn:${partitionOf(region)}:s3:::al2023-repos-${region}-de612dc2`;
}

/**
 * Policy of the IDC VPC's S3 gateway endpoint: reading the AL2023 package
 * repositories and nothing else. Image layers live in another bucket
 * (`prod-<region>-starport-layer-bucket`, in the cloud region) that this
 * endpoint can neither reach (gateway endpoints serve their own region only)
 * nor allows, so the endpoint opens no path to ECR.
 */
export function al2023RepoEndpointPolicy(region: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Al2023PackageRepositories",
                Effect: "Allow",
                Principal: "*",
                Action: "s3:GetObject",
                Resource: `${al2023RepoBucketArn(region)}/*`,
            },
        ],
    };
}

/**
 * Cloud-init user data of the developer host: installs Docker from the AL2023
 * repositories (reached through the S3 gateway endpoint: the IDC has no
 * internet route) and lets ec2-user run it. The AWS CLI ships with the AL2023
 * AMI. dnf is retried because the endpoint's route may still be propagating
 * when the instance first boots.
 */
export function hostUserData(): string {
    return [
        "#!/bin/bash",
        "# Developer host of the simulated IDC (ecr-private-access).",
        "set -euo pipefail",
        "for attempt in 1 2 3 4 5; do",
        "  if dnf install -y docker; then break; fi",
        '  if [ "$attempt" -eq 5 ]; then echo "dnf could not reach the AL2023 repositories" >&2; exit 1; fi',
        "  sleep 15",
        "done",
        "systemctl enable --now docker",
        "usermod -aG docker ec2-user",
        "",
    ].join("\n");
}

/** `<account>.dkr.ecr.<region>.<suffix>`: the registry host docker talks to. */
export function registryHost(accountId: string, region: string): string {
    if (!/^\d{12}$/.test(String(accountId))) {
        throw new Error(
            `registry account ${JSON.stringify(accountId)} is not a 12-digit AWS account ID.`,
        );
    }
    return `${accountId}.dkr.ecr.${region}.${dnsSuffix(region)}`;
}

/** Options of {@link pushCommands}. */
export interface PushCommandsInput {
    /** Registry host, `<account>.dkr.ecr.<region>.amazonaws.com`. */
    registry: string;
    /** Region of the registry (the endpoints' region). */
    region: string;
    /** Repository name in that registry. */
    repository: string;
    /** Name of the local test image. @default "ecrtest" */
    localImage?: string;
}

/**
 * Seed 000's steps, run on the IDC host: log in, make a small image, tag it
 * with the registry's name, push. The image is made from a local file with
 * `docker import`, because the IDC cannot pull a base image from anywhere.
 * The tag carries a timestamp: the stack's repositories have immutable tags,
 * so a fixed tag could be pushed only once.
 */
export function pushCommands(input: PushCommandsInput): string[] {
    const local = input.localImage ?? "ecrtest";
    const remote = `${input.registry}/${input.repository}`;
    return [
        "TAG=idc-$(date -u +%Y%m%d%H%M%S)",
        `aws ecr get-login-password --region ${input.region} | docker login --username AWS --password-stdin ${input.registry}`,
        `echo "pushed from the simulated IDC" > hello.txt && tar -cf - hello.txt | docker import - ${local}:"$TAG"`,
        `docker tag ${local}:"$TAG" ${remote}:"$TAG"`,
        `docker push ${remote}:"$TAG"`,
    ];
}

/**
 * Logs in and pulls an image by digest (`<registry>/<repository>@sha256:...`)
 * on the IDC host: the manifest comes through the ecr.dkr endpoint, the layers
 * from the layer bucket through the S3 interface endpoint.
 */
export function pullCommands(imageUri: string, region: string): string[] {
    const m = /^([^/]+)\/(.+)@sha256:[0-9a-f]{64}$/.exec(imageUri);
    if (!m)
        throw new Error(`\`imageUri\` ${imageUri} is not <registry>/<repository>@sha256:<digest>.`);
    return [
        `aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${m[1]}`,
        `docker pull ${imageUri}`,
    ];
}

/**
 * Pulls a pull-through cache image (`<prefix>/<upstream path>:<tag>`) on the IDC host, through
 * the endpoints. The image must have been pulled once already from a network with an internet
 * path (the warm-up commands): a first pull through interface endpoints does not work.
 */
export function cachePullCommands(registry: string, region: string, image: string): string[] {
    return [
        `aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${registry}`,
        `docker pull ${registry}/${image}`,
    ];
}

/** Opens a shell on the host through the EC2 Instance Connect Endpoint. */
export function connectCommand(instanceId: string, region: string): string {
    return `aws ec2-instance-connect ssh --instance-id ${instanceId} --region ${region} --connection-type eice`;
}

/**
 * Runs the connectivity doctor (tools/doctor) against the registry, from a
 * checkout of this repository (its own usage line: `npm run doctor -- ...`).
 * Not `npx ecr-doctor`: the package declares no such bin, and npx would then
 * fetch whatever package of that name the npm registry holds. With alias
 * records (the `exact` layout) the ECR names resolve straight to the endpoint
 * IPs, which the doctor reports as an A record unless told to accept aliases.
 */
export function doctorCommand(
    registry: string,
    opts: { allowAlias?: boolean; cachedImage?: string } = {},
): string {
    return `npm run doctor -- --registry ${registry}${opts.allowAlias ? " --allow-alias" : ""}${opts.cachedImage ? ` --image ${opts.cachedImage} --pull-through-cache` : ""}`;
}
