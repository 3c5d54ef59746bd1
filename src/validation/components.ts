/**
 * The rules the components assert, checked on the config before any resource
 * is registered and reported under the config key the user wrote
 * (`endpoints.onPremisesCidrs[2]`), not the component argument it became
 * (`allowedCidrs`). Components keep their assertions as invariants: when one
 * fires in a plan, a rule is missing here (a bug, exit 3).
 *
 * Two layers:
 * - `componentRules`: one keyed rule per component assertion a config value
 *   can reach, with the message a user needs.
 * - `componentInvariants`: runs the components' own pure validators with the
 *   arguments index.ts would pass. Anything they refuse that the rules above
 *   missed is still reported here (exit 2, argument names translated to
 *   config keys) instead of failing inside a component.
 */
import { cidrsOverlap, parseCidr } from "../cidr";
import type { ConfigIssue, StackConfig } from "../config";
import { validateEcrPrivateDnsArgs } from "../../components/ecrPrivateDns";
import { validateRegistryEndpointsArgs } from "../../components/registryEndpoints";
import {
    lifecyclePolicyDocument,
    policyText,
    pushPullIdentityPolicy,
    replicationPlan,
    repositoryArn,
    repositoryPolicyDocument,
    repositoryUrl,
} from "../ecr/policies";
import { cacheFillResources } from "../ecr/pullThroughCacheConfig";
import { ecrEndpointPolicy, s3GatewayPolicy } from "../endpoints/policies";
import { hostEcrPolicy, validateIdcNetwork } from "../idc/host";
import {
    assertImageReference,
    assertNlpServiceArgs,
    CONTAINER_CPU,
    CONTAINER_MEMORY,
    FARGATE_TASK_SIZES,
    NLP_CONTAINERS,
} from "../nlp/containers";

const PROJECT = "ecr-private-access";
const k = (name: string) => `${PROJECT}:${name}`;

/** Rules that components assert, keyed by the config that feeds them. Runs on the validated, not yet derived, config. */
export function componentRules(cfg: StackConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const { network, endpoints, dns, repositories, developers, nlp } = cfg;

    if (endpoints) {
        const seen = new Map<string, number>();
        endpoints.onPremisesCidrs.forEach((c, i) => {
            const key = k(`endpoints.onPremisesCidrs[${i}]`);
            if (seen.has(c)) {
                // AWS refuses a second identical rule in one group (InvalidPermission.Duplicate).
                issues.push({
                    key,
                    message: `${c} is listed twice (also endpoints.onPremisesCidrs[${seen.get(c)}]); remove one`,
                });
                return;
            }
            seen.set(c, i);
            const world = parseCidr(c).prefix === 0;
            if (!world && network && cidrsOverlap(c, network.cidr)) {
                // RegistryEndpoints: the VPC's own block already has a rule; an
                // overlapping block is a duplicate rule or a network that cannot be routed.
                issues.push({
                    key,
                    message: `${c} overlaps network.cidr ${network.cidr}, the stack's own VPC, which is always allowed; list only networks outside the VPC (on-premises or peered)`,
                });
            }
            if (world && dns?.resolverEndpoint) {
                issues.push({
                    key,
                    message: `${c} would open the Route 53 Resolver endpoint (dns.resolverEndpoint: true) to DNS queries from the whole internet; list the on-premises networks instead`,
                });
            }
        });
        endpoints.s3AdditionalResources.forEach((arn, i) => {
            try {
                s3GatewayPolicy({ region: cfg.region, additionalResources: [arn] });
            } catch {
                issues.push({
                    key: k(`endpoints.s3AdditionalResources[${i}]`),
                    message: `"${arn}" is not an S3 object ARN the endpoint policy accepts: arn:aws:s3:::<bucket>/<key or pattern>, with a bucket name of 3-63 lower-case letters, digits, dots and hyphens that starts and ends with a letter or digit`,
                });
            }
        });
    }

    if (repositories) {
        const kms =
            repositories.kmsKeyArn && /^arn:[^:]+:kms:([^:]+):/.exec(repositories.kmsKeyArn);
        if (kms && kms[1] !== cfg.region) {
            // SharedRepository: a KMS key is regional; ECR encrypts with a key in the repository's region.
            issues.push({
                key: k("repositories.kmsKeyArn"),
                message: `is a key in ${kms[1]}, but the repositories are in ${cfg.region} (aws:region) and ECR needs a KMS key in the repository's region; create or replicate the key in ${cfg.region} and use its ARN`,
            });
        }
        // Tag patterns (length, wildcards, duplicates) are checked by the
        // repositories schema and src/ecr/sharingConfig.ts.
    }

    if (developers) {
        // IAM user names are unique case-insensitively: `Alice` and `alice` are one user to IAM.
        const seen = new Map<string, number>();
        developers.users.forEach((u, i) => {
            const first = seen.get(u.toLowerCase());
            if (first !== undefined) {
                const same = developers.users[first] === u;
                issues.push({
                    key: k(`developers.users[${i}]`),
                    message: same
                        ? `"${u}" is listed twice (also developers.users[${first}])`
                        : `"${u}" differs from developers.users[${first}] "${developers.users[first]}" only in case; IAM user names are case-insensitive, so AWS would refuse the second user`,
                });
                return;
            }
            seen.set(u.toLowerCase(), i);
        });
    }

    if (nlp) {
        issues.push(...taskSize(nlp.cpu, nlp.memory));
        // The certificate's region is checked with the rest of the edge (src/nlp/edge.ts).
        const [, refProject, refStack] = nlp.vendorStack.split("/");
        if (refProject === cfg.project && refStack === cfg.stack) {
            issues.push({
                key: k("nlp.vendorStack"),
                message: `${nlp.vendorStack} is this stack itself; name the vendor stack that shares the images`,
            });
        }
    }

    return issues;
}

/** Fargate task sizes (ECS developer guide) that also hold the three containers' reservations. */
function taskSize(cpu: number, memory: number): ConfigIssue[] {
    const memories = FARGATE_TASK_SIZES[cpu];
    if (!memories) {
        return [
            {
                key: k("nlp.cpu"),
                message: `${cpu} is not a Fargate task CPU size (one of ${Object.keys(FARGATE_TASK_SIZES).join(", ")})`,
            },
        ];
    }
    const issues: ConfigIssue[] = [];
    const containers = Object.keys(NLP_CONTAINERS).length;
    if (cpu < containers * CONTAINER_CPU) {
        issues.push({
            key: k("nlp.cpu"),
            message: `${cpu} is less than the ${containers * CONTAINER_CPU} CPU units the ${containers} containers reserve (${CONTAINER_CPU} each); use 1024 or more`,
        });
    }
    if (!memories.includes(memory)) {
        issues.push({
            key: k("nlp.memory"),
            message: `${memory} MiB does not go with nlp.cpu ${cpu} on Fargate (allowed: ${memories.join(", ")})`,
        });
    } else if (memory < containers * CONTAINER_MEMORY) {
        issues.push({
            key: k("nlp.memory"),
            message: `${memory} MiB is less than the ${containers * CONTAINER_MEMORY} MiB the ${containers} containers reserve (${CONTAINER_MEMORY} each)`,
        });
    }
    return issues;
}

/** Placeholder IDs for values only AWS knows; validators only check that they are given. */
const placeholders = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}-plan${i}`);

/**
 * Component argument names (as the validators name them in backticks) to the
 * config keys that feed them, per component.
 */
const ARGUMENT_KEYS: Record<string, Record<string, string>> = {
    RegistryEndpoints: {
        allowedCidrs: "endpoints.onPremisesCidrs",
        allowWorldIngress: "endpoints.allowWorldIngress",
        vpcCidr: "network.cidr",
        region: "aws:region",
        interfaceServices: "endpoints.optionalServices",
        placement: "endpoints.placement",
        registryAccounts: "endpoints.registryAccounts",
        s3AdditionalResources: "endpoints.s3AdditionalResources",
        privateSubnetIds: "network.azCount",
    },
    EcrPrivateDns: {
        "resolver.allowedCidrs": "endpoints.onPremisesCidrs",
        "resolver.subnetIds": "network.azCount",
        ttl: "dns.ttl",
        layout: "dns.layout",
        region: "aws:region",
        associations: "idc",
    },
    NlpService: {
        desiredCount: "nlp.desiredCount",
        cpu: "nlp.cpu",
        memory: "nlp.memory",
        logRetentionDays: "nlp.logRetentionDays",
        certificateArn: "nlp.certificateArn",
        portFormat: "nlp.portFormat",
        publicSubnetIds: "network.publicSubnets",
        privateSubnetIds: "network.azCount",
        endpointSecurityGroupId: "endpoints",
        s3PrefixListId: "endpoints",
        "images.nlpClient": "nlp.imageTags.nlpClient",
        "images.rakeApp": "nlp.imageTags.rakeApp",
        "images.proseApp": "nlp.imageTags.proseApp",
    },
    SimulatedIdc: {
        region: "idc.region",
        cidr: "idc.cidr",
        "cloud.region": "aws:region",
        "cloud.cidr": "network.cidr",
        repositoryArns: "repositories.names",
    },
    SharedRepository: {
        "lifecycle.untaggedExpireDays": "repositories.lifecycle.untaggedExpireDays",
        "lifecycle.keepImages": "repositories.lifecycle.keepImages",
        "lifecycle.releaseTagPatterns": "repositories.lifecycle.releaseTagPatterns",
        "consumers.accounts": "repositories.consumers.accounts",
        "consumers.roleArns": "repositories.consumers.roleArns",
        "consumers.organizationId": "repositories.consumers.organizationId",
        accountId: "accountId",
        repositories: "repositories.names",
    },
    RegistryReplication: { repositories: "repositories.names" },
    DeveloperAccess: { repositoryArns: "repositories.names" },
};

/** `ecr-private-access:endpoints.onPremisesCidrs[3]` for `allowedCidrs[3]` of RegistryEndpoints. */
function configKeyFor(component: string, argument: string): string | undefined {
    const table = ARGUMENT_KEYS[component] ?? {};
    const names = Object.keys(table).sort((a, b) => b.length - a.length);
    for (const name of names) {
        if (
            argument === name ||
            argument.startsWith(`${name}[`) ||
            argument.startsWith(`${name}.`)
        ) {
            const key = table[name] + argument.slice(name.length);
            return key.includes(":") ? key : k(key);
        }
    }
    return undefined;
}

/** Turns a component's error into an issue: first backticked argument -> its config key. */
function translate(component: string, block: string, error: unknown): ConfigIssue {
    const text = error instanceof Error ? error.message : String(error);
    let key: string | undefined;
    const message = text.replace(/`([A-Za-z0-9_.[\]]+)`/g, (whole, argument: string) => {
        const mapped = configKeyFor(component, argument);
        key ??= mapped;
        return mapped ?? whole;
    });
    return {
        key: key ?? k(block),
        message: `${message.replace(/\.$/, "")} (refused by ${component}'s own check)`,
    };
}

/**
 * Runs the components' own pure validators with the arguments index.ts
 * passes them, on the derived config, before anything is registered. Empty
 * when the keyed rules above already cover everything.
 */
export function componentInvariants(cfg: StackConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const attempt = (component: string, block: string, body: () => void) => {
        try {
            body();
        } catch (e) {
            issues.push(translate(component, block, e));
        }
    };
    const { network, endpoints, dns, repositories, developers, nlp, idc } = cfg;
    const account = cfg.accountId;
    const azCount = network?.azCount ?? 0;

    if (network && endpoints) {
        attempt("RegistryEndpoints", "endpoints", () =>
            validateRegistryEndpointsArgs({
                vpcId: "vpc-plan",
                vpcCidr: network.cidr,
                region: cfg.region,
                privateSubnetIds: placeholders("subnet", azCount),
                privateRouteTableIds: placeholders("rtb", azCount),
                interfaceServices: endpoints.interfaceServices,
                placement: endpoints.placement,
                allowedCidrs: endpoints.onPremisesCidrs,
                allowWorldIngress: endpoints.allowWorldIngress,
                registryAccounts: endpoints.registryAccounts,
                accountId: account,
                allowPush: endpoints.allowPush,
                s3AdditionalResources: endpoints.s3AdditionalResources,
                s3Interface: endpoints.s3Interface,
            }),
        );
        attempt("RegistryEndpoints", "endpoints", () =>
            ecrEndpointPolicy({
                region: cfg.region,
                accounts: [account, ...endpoints.registryAccounts],
                allowPush: endpoints.allowPush,
                cacheFillResources: cacheFillResources({ ...cfg, accountId: account }),
            }),
        );
    }
    if (network && endpoints && dns) {
        attempt("EcrPrivateDns", "dns", () =>
            validateEcrPrivateDnsArgs({
                region: cfg.region,
                apiDnsName: "api-plan",
                apiHostedZoneId: "Z-plan",
                dkrDnsName: "dkr-plan",
                dkrHostedZoneId: "Z-plan",
                layout: dns.layout,
                ttl: dns.ttl,
                associations: idc ? [{ vpcId: "vpc-idc-plan", vpcRegion: idc.region }] : [],
                endpointVpcId: "vpc-plan",
                resolver: dns.resolverEndpoint
                    ? {
                          vpcId: "vpc-plan",
                          subnetIds: placeholders("subnet", azCount).slice(0, 2),
                          allowedCidrs: endpoints.onPremisesCidrs,
                      }
                    : undefined,
            }),
        );
    }
    const repositoryArns = (repositories?.names ?? []).map((n) =>
        repositoryArn(account, cfg.region, n),
    );
    if (repositories) {
        attempt("SharedRepository", "repositories", () => {
            const policy = repositoryPolicyDocument({
                accountId: account,
                consumers: repositories.consumers,
                codeBuild: repositories.codeBuild,
            });
            const lifecycle = JSON.stringify(lifecyclePolicyDocument(repositories.lifecycle));
            attempt("RegistryReplication", "repositories", () =>
                replicationPlan(
                    repositories.names.map((name) => ({
                        name,
                        accountId: account,
                        region: cfg.region,
                        replicationRegions: repositories.replicationRegions,
                        repositoryPolicy: policy && policyText(policy),
                        lifecyclePolicy: lifecycle,
                        kmsEncrypted: repositories.kmsKeyArn !== undefined,
                    })),
                ),
            );
        });
    }
    if (developers && repositoryArns.length > 0) {
        attempt("DeveloperAccess", "developers", () =>
            pushPullIdentityPolicy(
                repositoryArns,
                repositories!.replicationRegions.flatMap((r) =>
                    repositories!.names.map((n) => repositoryArn(account, r, n)),
                ),
            ),
        );
    }
    if (nlp && network) {
        attempt("NlpService", "nlp", () => {
            assertNlpServiceArgs({
                desiredCount: nlp.desiredCount,
                cpu: nlp.cpu,
                memory: nlp.memory,
                logRetentionDays: nlp.logRetentionDays,
                certificateArn: nlp.certificateArn,
                portFormat: nlp.portFormat,
                publicTasks: nlp.publicTasks,
                internal: nlp.internal,
                privateSubnetCount: azCount,
                publicSubnetCount: network.publicSubnets ? azCount : 0,
                hasEndpointSecurityGroup: endpoints !== undefined,
                hasS3PrefixList: endpoints !== undefined,
            });
            assertImageReference(
                `${repositoryUrl(account, cfg.region, nlp.clientRepository)}:${nlp.imageTags.nlpClient}`,
                "images.nlpClient",
            );
            assertImageReference(
                `${repositoryUrl(account, cfg.region, nlp.proseRepository)}:${nlp.imageTags.proseApp}`,
                "images.proseApp",
            );
        });
    }
    if (idc && network) {
        attempt("SimulatedIdc", "idc", () => {
            validateIdcNetwork({
                region: idc.region,
                cidr: idc.cidr,
                cloudRegion: cfg.region,
                cloudCidr: network.cidr,
            });
            hostEcrPolicy(repositoryArns);
        });
    }
    return issues;
}
