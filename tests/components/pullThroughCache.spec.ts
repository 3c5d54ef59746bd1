import { expect } from "chai";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    PullThroughCache,
    PullThroughCacheArgs,
    validatePullThroughCacheArgs,
} from "../../components/pullThroughCache";
import { loadStackFile } from "../../tools/stackFile";
import { runStack } from "../../tools/runStack";
import { recordRegistrations } from "../helpers/registrations";
import { policyDoc, run, TestRun } from "../helpers/run";

const ROOT = path.resolve(__dirname, "../..");
const ACCOUNT = "777788889999";
const REGION = "ap-southeast-1";
const T = {
    component: "ecr-private-access:ecr:PullThroughCache",
    rule: "aws:ecr/pullThroughCacheRule:PullThroughCacheRule",
    template: "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
    secret: "aws:secretsmanager/secret:Secret",
    version: "aws:secretsmanager/secretVersion:SecretVersion",
    registryPolicy: "aws:ecr/registryPolicy:RegistryPolicy",
    scanning: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
};
const TOKEN = "dckr_pat_component-test-0123456789";
const LIFECYCLE_90 = JSON.stringify({
    rules: [
        {
            rulePriority: 1,
            description: "Expire cached images not pulled for 90 days",
            selection: {
                tagStatus: "any",
                countType: "sinceImagePulled",
                countUnit: "days",
                countNumber: 90,
            },
            action: { type: "expire" },
        },
    ],
});
const PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];

const args = (extra: Partial<PullThroughCacheArgs> = {}): PullThroughCacheArgs => ({
    accountId: ACCOUNT,
    region: REGION,
    rules: [
        { upstream: "ecr-public", prefix: "ecr-public" },
        {
            upstream: "docker-hub",
            prefix: "docker-hub",
            username: "someone",
            token: pulumi.secret(TOKEN),
        },
    ],
    ...extra,
});

describe("PullThroughCache", () => {
    describe("ECR Public and Docker Hub, with consumers, KMS and scan on push", () => {
        let r: TestRun;
        let raw: Record<string, Record<string, unknown>>;
        let outputs: Record<string, unknown>;
        let registrations: Awaited<ReturnType<typeof recordRegistrations>>;
        before(async () => {
            raw = {};
            registrations = await recordRegistrations(async () => {
                const result = await runStack({
                    project: "ecr-private-access",
                    stack: "test",
                    account: ACCOUNT,
                    region: REGION,
                    config: { "aws:region": REGION },
                    // The mock sees the values the provider would get (a secret wrapped as {value}).
                    mock: {
                        onResource: (a) => {
                            raw[`${a.type}::${a.name}`] = a.inputs as Record<string, unknown>;
                        },
                    },
                    program: () => {
                        const c = new PullThroughCache(
                            "cache",
                            args({
                                kmsEncrypted: true,
                                unpulledExpireDays: 30,
                                consumers: {
                                    accounts: ["444455556666"],
                                    roleArns: ["arn:aws:iam::555555555555:role/ci"],
                                },
                                scanRepositoryNames: ["idc-demo/hello", "tools"],
                                tags: { team: "platform" },
                            }),
                        );
                        return {
                            registry: c.registry,
                            prefixes: c.prefixes,
                            patterns: c.repositoryPatterns,
                        };
                    },
                });
                const ofType = (type: string) => result.resources.filter((x) => x.type === type);
                r = {
                    ...result,
                    ofType,
                    one: (type: string, name?: string) => {
                        const f = ofType(type).filter((x) => name === undefined || x.name === name);
                        if (f.length !== 1) throw new Error(`${type} ${name}: ${f.length}`);
                        return f[0];
                    },
                };
                outputs = result.outputs;
            });
        });

        it("creates exactly these resources", () => {
            expect(r.resources.map((x) => `${x.type} ${x.name}`).sort()).to.deep.equal(
                [
                    `${T.component} cache`,
                    `${T.template} cache-ecr-public-template`,
                    `${T.rule} cache-ecr-public-rule`,
                    `${T.template} cache-docker-hub-template`,
                    `${T.secret} cache-docker-hub-credential`,
                    `${T.version} cache-docker-hub-credential`,
                    `${T.rule} cache-docker-hub-rule`,
                    `${T.registryPolicy} cache-registry-policy`,
                    `${T.scanning} cache-scanning`,
                ].sort(),
            );
            const component = r.one(T.component).urn;
            for (const x of r.resources.filter((y) => y.type !== T.component)) {
                expect(x.parent, x.name).to.equal(component);
            }
        });

        it("a rule per upstream, Docker Hub with its secret as credential", () => {
            expect(r.one(T.rule, "cache-ecr-public-rule").inputs).to.deep.equal({
                ecrRepositoryPrefix: "ecr-public",
                upstreamRegistryUrl: "public.ecr.aws",
                region: REGION,
            });
            const secret = r.one(T.secret, "cache-docker-hub-credential");
            expect(r.one(T.rule, "cache-docker-hub-rule").inputs).to.deep.equal({
                ecrRepositoryPrefix: "docker-hub",
                upstreamRegistryUrl: "registry-1.docker.io",
                credentialArn: secret.outputs.arn,
                region: REGION,
            });
            expect(secret.outputs.arn).to.match(
                /^arn:aws:secretsmanager:ap-southeast-1:777788889999:secret:ecr-pullthroughcache\/docker-hub-/,
            );
        });

        it("the credential secret: ECR's name, the AWS managed key, deleted at once, its value secret", () => {
            expect(r.one(T.secret).inputs).to.deep.equal({
                name: "ecr-pullthroughcache/docker-hub",
                description: "Docker Hub credentials of the ECR pull-through cache rule docker-hub",
                recoveryWindowInDays: 0,
                region: REGION,
                tags: { team: "platform", Name: "cache-docker-hub-credential" },
            });
            const version = r.one(T.version);
            expect(version.inputs).to.deep.equal({
                secretId: r.one(T.secret).id,
                secretString: "[secret]",
                region: REGION,
            });
            // What the provider receives: the user guide's {username, accessToken}.
            expect(
                JSON.parse(
                    String(
                        (
                            raw[`${T.version}::cache-docker-hub-credential`].secretString as {
                                value: unknown;
                            }
                        ).value,
                    ),
                ),
            ).to.deep.equal({
                username: "someone",
                accessToken: TOKEN,
            });
        });

        it("a PULL_THROUGH_CACHE template per prefix: mutable tags, KMS, unpulled images expire, consumers pull", () => {
            const policy = JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ConsumersPullCachedImages",
                        Effect: "Allow",
                        Principal: {
                            AWS: [
                                "arn:aws:iam::444455556666:root",
                                "arn:aws:iam::555555555555:role/ci",
                            ],
                        },
                        Action: PULL,
                    },
                ],
            });
            const lifecycle = LIFECYCLE_90.replace(/90/g, "30");
            expect(r.one(T.template, "cache-docker-hub-template").inputs).to.deep.equal({
                prefix: "docker-hub",
                appliedFors: ["PULL_THROUGH_CACHE"],
                description: "Pull-through cache of Docker Hub under docker-hub/",
                imageTagMutability: "MUTABLE",
                encryptionConfigurations: [{ encryptionType: "KMS" }],
                lifecyclePolicy: lifecycle,
                repositoryPolicy: policy,
                region: REGION,
            });
            expect(r.one(T.template, "cache-ecr-public-template").inputs.prefix).to.equal(
                "ecr-public",
            );
            expect(r.ofType(T.template).map((t) => t.inputs.prefix)).to.not.include("ROOT");
        });

        it("the registry policy: consumers fill the cache, on the cache prefixes only", () => {
            expect(policyDoc(r.one(T.registryPolicy).inputs.policy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ConsumersFillPullThroughCache",
                        Effect: "Allow",
                        Principal: {
                            AWS: [
                                "arn:aws:iam::444455556666:root",
                                "arn:aws:iam::555555555555:role/ci",
                            ],
                        },
                        Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                        Resource: [
                            "arn:aws:ecr:ap-southeast-1:777788889999:repository/ecr-public/*",
                            "arn:aws:ecr:ap-southeast-1:777788889999:repository/docker-hub/*",
                        ],
                    },
                ],
            });
            expect(r.one(T.registryPolicy).inputs.region).to.equal(REGION);
        });

        it("basic scan on push for the cache prefixes and the stack's repositories", () => {
            expect(r.one(T.scanning).inputs).to.deep.equal({
                scanType: "BASIC",
                rules: [
                    {
                        scanFrequency: "SCAN_ON_PUSH",
                        repositoryFilters: [
                            "ecr-public/*",
                            "docker-hub/*",
                            "idc-demo/*",
                            "tools",
                        ].map((filter) => ({ filter, filterType: "WILDCARD" })),
                    },
                ],
                region: REGION,
            });
        });

        it("creates each rule after its template (and Docker Hub's after the secret's value)", () => {
            const urn = (type: string, name: string) =>
                registrations.find((x) => x.type === type && x.name === name)!.urn;
            const deps = (name: string) =>
                registrations.find((x) => x.type === T.rule && x.name === name)!.dependencies;
            expect(deps("cache-ecr-public-rule")).to.include(
                urn(T.template, "cache-ecr-public-template"),
            );
            expect(deps("cache-docker-hub-rule")).to.include.members([
                urn(T.template, "cache-docker-hub-template"),
                urn(T.version, "cache-docker-hub-credential"),
            ]);
        });

        it("exports the registry, the prefixes and their repository patterns, never the token", () => {
            expect(outputs).to.deep.equal({
                registry: "777788889999.dkr.ecr.ap-southeast-1.amazonaws.com",
                prefixes: { "ecr-public": "public.ecr.aws", "docker-hub": "registry-1.docker.io" },
                patterns: [
                    "arn:aws:ecr:ap-southeast-1:777788889999:repository/ecr-public/*",
                    "arn:aws:ecr:ap-southeast-1:777788889999:repository/docker-hub/*",
                ],
            });
            expect(JSON.stringify(r.resources)).to.not.contain(TOKEN);
        });
    });

    describe("defaults: no consumers, AES256, 90 days, scan off when asked", () => {
        let r: TestRun;
        before(async () => {
            r = await run(() => new PullThroughCache("c", args({ scanOnPush: false })), {
                account: ACCOUNT,
                region: REGION,
            });
        });

        it("has no registry policy, no scanning configuration, no repository policy in the templates", () => {
            expect(r.ofType(T.registryPolicy)).to.deep.equal([]);
            expect(r.ofType(T.scanning)).to.deep.equal([]);
            expect(r.one(T.template, "c-ecr-public-template").inputs).to.deep.equal({
                prefix: "ecr-public",
                appliedFors: ["PULL_THROUGH_CACHE"],
                description: "Pull-through cache of Amazon ECR Public under ecr-public/",
                imageTagMutability: "MUTABLE",
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                lifecyclePolicy: LIFECYCLE_90,
                region: REGION,
            });
        });

        it("names children from the component, a nested prefix with --", async () => {
            const n = await run(
                () =>
                    new PullThroughCache(
                        "other",
                        args({ rules: [{ upstream: "quay", prefix: "mirror/quay" }] }),
                    ),
                { account: ACCOUNT, region: REGION },
            );
            expect(n.resources.map((x) => x.name).sort()).to.deep.equal([
                "other",
                "other-mirror--quay-rule",
                "other-mirror--quay-template",
                "other-scanning",
            ]);
        });
    });

    describe("invariants (config validation makes them unreachable from a stack file)", () => {
        const cases: [string, Partial<PullThroughCacheArgs>, string][] = [
            ["no rules", { rules: [] }, "`rules` must list at least one upstream"],
            [
                "a bad prefix",
                { rules: [{ upstream: "quay", prefix: "Q" }] },
                '`rules[0].prefix` "Q" must be 2 to 30 characters',
            ],
            [
                "a prefix twice",
                {
                    rules: [
                        { upstream: "quay", prefix: "q1" },
                        { upstream: "k8s", prefix: "q1" },
                    ],
                },
                '`rules[1].prefix` "q1" is used twice',
            ],
            [
                "Docker Hub without a token",
                { rules: [{ upstream: "docker-hub", prefix: "dh", username: "x" }] },
                "Docker Hub needs `username` and `token`",
            ],
            [
                "credentials for Quay",
                { rules: [{ upstream: "quay", prefix: "quay", username: "x", token: "y" }] },
                "Quay takes no credentials",
            ],
            [
                "a bad account",
                { accountId: "123" },
                '`accountId` "123" is not a 12-digit account ID',
            ],
            ["zero days", { unpulledExpireDays: 0 }, "`unpulledExpireDays` must be a whole number"],
        ];
        for (const [what, extra, message] of cases) {
            it(`refuses ${what}`, () => {
                expect(() => validatePullThroughCacheArgs(args(extra))).to.throw(message);
            });
        }
    });

    describe("through the program: the idc-sim stack with a decrypted token (as under pulumi up)", () => {
        it("keeps the token out of every recorded input and every output", async () => {
            const file = loadStackFile(path.join(ROOT, "Pulumi.idc-sim.yaml"), ROOT);
            const key = "ecr-private-access:pullThroughCacheDockerHubToken";
            expect(file.secretKeys).to.include(key);
            const seen: string[] = [];
            const result = await runStack({
                project: "ecr-private-access",
                stack: "idc-sim",
                account: ACCOUNT,
                region: REGION,
                config: { ...file.config, [key]: TOKEN },
                secretKeys: file.secretKeys,
                program: path.join(ROOT, "index.ts"),
                mock: {
                    onResource: (a) => {
                        if (JSON.stringify(a.inputs).includes(TOKEN))
                            seen.push(`${a.type} ${a.name}`);
                    },
                },
            });
            // The provider gets it in exactly one place: the secret's value (which the AWS SDK
            // marks secret itself); any other input or output holding it fails here.
            expect(seen).to.deep.equal([`${T.version} cache-docker-hub-credential`]);
            expect(JSON.stringify(result.resources)).to.not.contain(TOKEN);
            expect(JSON.stringify(result.outputs)).to.not.contain(TOKEN);
            const version = result.resources.find((x) => x.type === T.version)!;
            expect(version.inputs.secretString).to.equal("[secret]");
        });
    });
});
