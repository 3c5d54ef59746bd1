import { expect } from "chai";
import {
    CREDENTIAL_ARN,
    pullThroughCacheCredentialSecret,
    pullThroughCacheDockerHubCredentials,
} from "../../policies/rules/pullThroughCache";
import { CREDENTIAL_ARN as PROGRAM_CREDENTIAL_ARN } from "../../src/ecr/pullThroughCache";
import {
    StackResource,
    UNKNOWN_STRING,
    runResource,
    runStack,
    urnOf,
} from "../helpers/policyHarness";

const RULE_T = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule";
const SECRET_T = "aws:secretsmanager/secret:Secret";
const REGION = "ap-southeast-1";
const ARN = `arn:aws:secretsmanager:${REGION}:777788889999:secret:ecr-pullthroughcache/docker-hub-AbCdEf`;

const rule = (
    props: Record<string, unknown> = {},
    deps?: Record<string, string[]>,
): StackResource => ({
    type: RULE_T,
    name: "cache-docker-hub-rule",
    props: {
        ecrRepositoryPrefix: "docker-hub",
        upstreamRegistryUrl: "registry-1.docker.io",
        credentialArn: ARN,
        region: REGION,
        ...props,
    },
    deps,
});
const secret = (props: Record<string, unknown> = {}): StackResource => ({
    type: SECRET_T,
    name: "cache-docker-hub-credential",
    props: { name: "ecr-pullthroughcache/docker-hub", arn: ARN, region: REGION, ...props },
});

describe("policy ecr-pull-through-cache-credential-secret", () => {
    const run = (resources: StackResource[]) =>
        runStack(pullThroughCacheCredentialSecret, resources);

    it("passes the program's own rule and secret (resolved by the property dependency)", () => {
        expect(
            run([secret(), rule({}, { credentialArn: ["cache-docker-hub-credential"] })]),
        ).to.deep.equal([]);
    });

    it("passes a secret of the stack while its ARN is unknown (preview), judged by its name", () => {
        expect(
            run([
                secret({ arn: UNKNOWN_STRING }),
                rule(
                    { credentialArn: UNKNOWN_STRING },
                    { credentialArn: ["cache-docker-hub-credential"] },
                ),
            ]),
        ).to.deep.equal([]);
    });

    it("fails a secret of the stack named outside ecr-pullthroughcache/", () => {
        const v = run([
            secret({ name: "dockerhub-creds" }),
            rule({}, { credentialArn: ["cache-docker-hub-credential"] }),
        ]);
        expect(v).to.deep.equal([
            {
                message:
                    'The credential of pull-through cache rule "cache-docker-hub-rule" is the secret "dockerhub-creds"; ECR reads only secrets named ecr-pullthroughcache/<name> (rename it, e.g. ecr-pullthroughcache/docker-hub).',
                urn: urnOf(RULE_T, "cache-docker-hub-rule"),
            },
        ]);
    });

    it("fails a secret of the stack in another region", () => {
        const v = run([
            secret({ region: "us-east-1" }),
            rule({}, { credentialArn: ["cache-docker-hub-credential"] }),
        ]);
        expect(v.map((x) => x.message)).to.deep.equal([
            'The credential of pull-through cache rule "cache-docker-hub-rule" is a secret in us-east-1, the rule is in ap-southeast-1; ECR reads only a secret in the rule\'s own region.',
        ]);
    });

    it("passes an external secret ARN with the prefix, in the rule's region", () => {
        expect(run([rule()])).to.deep.equal([]);
    });

    it("fails an external credential that is not an ecr-pullthroughcache/ secret (an SSM parameter, a plain name)", () => {
        for (const arn of [
            `arn:aws:secretsmanager:${REGION}:777788889999:secret:dockerhub-AbCdEf`,
            `arn:aws:ssm:${REGION}:777788889999:parameter/ecr-pullthroughcache/docker-hub`,
        ]) {
            const v = run([rule({ credentialArn: arn })]);
            expect(v.map((x) => x.message)).to.deep.equal([
                `The credentialArn "${arn}" of pull-through cache rule "cache-docker-hub-rule" is not a Secrets Manager secret named ecr-pullthroughcache/<name> (arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/...), the only secrets ECR reads for a cache rule.`,
            ]);
        }
    });

    it("fails an external secret in another region", () => {
        const arn = ARN.replace(REGION, "eu-west-1");
        expect(run([rule({ credentialArn: arn })]).map((x) => x.message)).to.deep.equal([
            'The credentialArn of pull-through cache rule "cache-docker-hub-rule" names a secret in eu-west-1, the rule is in ap-southeast-1; ECR reads only a secret in the rule\'s own region.',
        ]);
    });

    it("says nothing about a rule without credentials (the Docker Hub advisory's job)", () => {
        expect(
            run([rule({ credentialArn: undefined, upstreamRegistryUrl: "public.ecr.aws" })]),
        ).to.deep.equal([]);
    });

    it("spells ECR's pattern exactly as the program does", () => {
        expect(CREDENTIAL_ARN.source).to.equal(PROGRAM_CREDENTIAL_ARN.source);
    });
});

describe("policy ecr-pull-through-cache-docker-hub-credentials", () => {
    const run = (props: Record<string, unknown>) =>
        runResource(pullThroughCacheDockerHubCredentials, RULE_T, { ...rule().props, ...props });

    it("passes Docker Hub with a credential, and upstreams that need none", () => {
        expect(run({})).to.deep.equal([]);
        expect(
            run({ upstreamRegistryUrl: "public.ecr.aws", credentialArn: undefined }),
        ).to.deep.equal([]);
        expect(run({ upstreamRegistryUrl: "quay.io", credentialArn: undefined })).to.deep.equal([]);
    });

    it("advises credentials when Docker Hub is cached without them", () => {
        for (const url of ["registry-1.docker.io", "docker.io"]) {
            expect(run({ upstreamRegistryUrl: url, credentialArn: undefined })).to.deep.equal([
                `Docker Hub (${url}) is cached without credentials under "docker-hub": ECR requires a Secrets Manager secret ecr-pullthroughcache/<name> with a Docker Hub user name and access token for it, and anonymous Docker Hub pulls are rate-limited per IP address; set credentialArn.`,
            ]);
        }
    });

    it("skips a credential that is unknown during preview", () => {
        expect(run({ credentialArn: UNKNOWN_STRING })).to.deep.equal([]);
    });

    it("is advisory, the credential rule mandatory", () => {
        expect(pullThroughCacheDockerHubCredentials.enforcementLevel).to.equal("advisory");
        expect(pullThroughCacheCredentialSecret.enforcementLevel).to.equal("mandatory");
    });
});
