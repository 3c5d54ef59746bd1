// ECR pull-through cache rules: a credential ECR can read, and Docker Hub's rate limits.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { TYPES, forType, isUnknown, ofType, plain, resolveRef } from "./util";

/**
 * The only secrets ECR reads for a cache rule: Secrets Manager secrets named
 * `ecr-pullthroughcache/...` (CreatePullThroughCacheRule API reference, credentialArn: 50 to
 * 612 characters), in the rule's own account and region (ECR user guide, creating a pull
 * through cache rule). The program's src/ecr/pullThroughCache.ts spells the same pattern; a
 * test keeps them equal (the pack is installed on its own and imports nothing from src/).
 */
export const CREDENTIAL_ARN =
    /^arn:aws[a-z-]*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;
export const CREDENTIAL_SECRET_PREFIX = "ecr-pullthroughcache/";
const ARN_MIN = 50;
const ARN_MAX = 612;

/** Docker Hub's registry host names as an upstream URL may spell them. */
const DOCKER_HUB = /^(?:https?:\/\/)?(?:registry-1\.docker\.io|index\.docker\.io|docker\.io)\/?$/i;

const ruleName = (r: { name: string }) => `pull-through cache rule "${r.name}"`;
const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);

export const pullThroughCacheCredentialSecret: StackValidationPolicy = {
    name: "ecr-pull-through-cache-credential-secret",
    description:
        "A pull-through cache rule's credential must be a Secrets Manager secret named ecr-pullthroughcache/... in the rule's own region, the only secrets ECR reads for it.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const rule of ofType(args.resources, TYPES.pullThroughCacheRule)) {
            const props = plain(rule.props);
            const region = known(props["region"]) ? props["region"] : undefined;
            const ref = resolveRef(args.resources, rule, "credentialArn", TYPES.secret);
            if (ref.kind === "resolved") {
                // A secret of the same stack: judge its name (known even while its ARN is not).
                for (const secret of ref.targets) {
                    const s = plain(secret.props);
                    const name = known(s["name"])
                        ? s["name"]
                        : known(s["namePrefix"])
                          ? s["namePrefix"]
                          : undefined;
                    if (name !== undefined && !name.startsWith(CREDENTIAL_SECRET_PREFIX)) {
                        reportViolation(
                            `The credential of ${ruleName(rule)} is the secret "${name}"; ECR reads only secrets named ${CREDENTIAL_SECRET_PREFIX}<name> (rename it, e.g. ${CREDENTIAL_SECRET_PREFIX}${props["ecrRepositoryPrefix"] ?? "<prefix>"}).`,
                            rule.urn,
                        );
                    }
                    const secretRegion = known(s["region"]) ? s["region"] : undefined;
                    if (region && secretRegion && secretRegion !== region) {
                        reportViolation(
                            `The credential of ${ruleName(rule)} is a secret in ${secretRegion}, the rule is in ${region}; ECR reads only a secret in the rule's own region.`,
                            rule.urn,
                        );
                    }
                }
                continue;
            }
            const arn = props["credentialArn"];
            if (!known(arn)) continue; // no credential (judged by the Docker Hub advisory), or unknown
            if (!CREDENTIAL_ARN.test(arn) || arn.length < ARN_MIN || arn.length > ARN_MAX) {
                reportViolation(
                    `The credentialArn "${arn}" of ${ruleName(rule)} is not a Secrets Manager secret named ${CREDENTIAL_SECRET_PREFIX}<name> (arn:aws:secretsmanager:<region>:<account>:secret:${CREDENTIAL_SECRET_PREFIX}...), the only secrets ECR reads for a cache rule.`,
                    rule.urn,
                );
                continue;
            }
            const arnRegion = arn.split(":")[3];
            if (region && arnRegion !== region) {
                reportViolation(
                    `The credentialArn of ${ruleName(rule)} names a secret in ${arnRegion}, the rule is in ${region}; ECR reads only a secret in the rule's own region.`,
                    rule.urn,
                );
            }
        }
    },
};

export const pullThroughCacheDockerHubCredentials: ResourceValidationPolicy = {
    name: "ecr-pull-through-cache-docker-hub-credentials",
    description:
        "Advises giving a Docker Hub pull-through cache rule credentials: ECR caches Docker Hub only with a Secrets Manager secret, and anonymous Docker Hub pulls are rate-limited.",
    enforcementLevel: "advisory",
    validateResource: forType(TYPES.pullThroughCacheRule, (props, _args, report) => {
        const url = props["upstreamRegistryUrl"];
        if (!known(url) || !DOCKER_HUB.test(url)) return;
        const cred = props["credentialArn"];
        if (cred !== undefined && cred !== null && cred !== "") return; // set (or unknown): judged elsewhere
        report(
            `Docker Hub (${url}) is cached without credentials under "${props["ecrRepositoryPrefix"] ?? "?"}": ECR requires a Secrets Manager secret ${CREDENTIAL_SECRET_PREFIX}<name> with a Docker Hub user name and access token for it, and anonymous Docker Hub pulls are rate-limited per IP address; set credentialArn.`,
        );
    }),
};

export const pullThroughCachePolicies = [
    pullThroughCacheCredentialSecret,
    pullThroughCacheDockerHubCredentials,
];
