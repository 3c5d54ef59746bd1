import { expect } from "chai";
import {
    cacheLifecyclePolicy,
    cachePrefixOf,
    cachePrefixProblem,
    cacheRegistryPolicy,
    cacheRepositoryPolicy,
    cacheTemplate,
    CREDENTIAL_ARN,
    credentialSecretName,
    credentialSecretValue,
    parseCachedImage,
    scanOnPushFilters,
    UPSTREAM_INFO,
    UPSTREAMS,
    warmUpCommands,
} from "../../src/ecr/pullThroughCache";
import { cacheFillResources, cacheImages } from "../../src/ecr/pullThroughCacheConfig";
import { ecrEndpointPolicy } from "../../src/endpoints/policies";
import { cachePullCommands, doctorCommand, hostEcrPolicy } from "../../src/idc/host";

const A = "777788889999";
const R = "ap-southeast-1";
const pattern = (p: string) => `arn:aws:ecr:${R}:${A}:repository/${p}/*`;

describe("pull-through cache: pure pieces (src/ecr/pullThroughCache.ts)", () => {
    it("knows each upstream's URL and whether it needs a credential (CreatePullThroughCacheRule, user guide)", () => {
        expect(
            UPSTREAMS.map((u) => [u, UPSTREAM_INFO[u].url, !!UPSTREAM_INFO[u].tokenKey]),
        ).to.deep.equal([
            ["ecr-public", "public.ecr.aws", false],
            ["k8s", "registry.k8s.io", false],
            ["quay", "quay.io", false],
            ["docker-hub", "registry-1.docker.io", true],
            ["github-container-registry", "ghcr.io", true],
            ["gitlab-container-registry", "registry.gitlab.com", true],
        ]);
    });

    it("checks prefixes as ECR does", () => {
        expect(cachePrefixProblem("docker-hub")).to.equal(undefined);
        expect(cachePrefixProblem("mirror/quay")).to.equal(undefined);
        expect(cachePrefixProblem("x")).to.contain("2 to 30");
        expect(cachePrefixProblem("x".repeat(31))).to.contain("2 to 30");
        expect(cachePrefixProblem("Docker")).to.contain("lower-case");
        expect(cachePrefixProblem("a//b")).to.contain("lower-case");
        expect(cachePrefixProblem("ROOT")).to.contain("ROOT");
    });

    it("names the secret as ECR requires, and its value as the user guide gives it", () => {
        expect(credentialSecretName("docker-hub")).to.equal("ecr-pullthroughcache/docker-hub");
        expect(JSON.parse(credentialSecretValue("me", "tok"))).to.deep.equal({
            username: "me",
            accessToken: "tok",
        });
        expect(
            CREDENTIAL_ARN.test(
                `arn:aws:secretsmanager:${R}:${A}:secret:ecr-pullthroughcache/docker-hub-AbCd`,
            ),
        ).to.equal(true);
        expect(
            CREDENTIAL_ARN.test(`arn:aws:secretsmanager:${R}:${A}:secret:docker-hub-AbCd`),
        ).to.equal(false);
    });

    it("finds the prefix of a cached name, the longest first, never the bare prefix", () => {
        expect(cachePrefixOf("docker-hub/library/alpine", ["docker-hub"])).to.equal("docker-hub");
        expect(cachePrefixOf("m/q/x", ["m", "m/q"])).to.equal("m/q");
        expect(cachePrefixOf("docker-hub", ["docker-hub"])).to.equal(undefined);
        expect(cachePrefixOf("docker-hubx/y", ["docker-hub"])).to.equal(undefined);
    });

    it("expires cached images nobody pulled for N days (sinceImagePulled, any tag)", () => {
        expect(cacheLifecyclePolicy(14)).to.deep.equal({
            rules: [
                {
                    rulePriority: 1,
                    description: "Expire cached images not pulled for 14 days",
                    selection: {
                        tagStatus: "any",
                        countType: "sinceImagePulled",
                        countUnit: "days",
                        countNumber: 14,
                    },
                    action: { type: "expire" },
                },
            ],
        });
        expect(() => cacheLifecyclePolicy(0)).to.throw("at least 1");
    });

    it("templates a prefix, never ROOT", () => {
        expect(() =>
            cacheTemplate({
                prefix: "ROOT",
                upstream: "quay",
                kmsEncrypted: false,
                unpulledExpireDays: 1,
            }),
        ).to.throw("ROOT is not a cache prefix");
    });

    it("grants consumers pull by repository policy and fill by registry policy, nothing without consumers", () => {
        expect(cacheRepositoryPolicy(undefined)).to.equal(undefined);
        expect(cacheRepositoryPolicy({ accounts: [], roleArns: [] })).to.equal(undefined);
        expect(
            cacheRegistryPolicy({
                accountId: A,
                region: R,
                prefixes: ["quay"],
                consumers: { accounts: [], roleArns: [] },
            }),
        ).to.equal(undefined);
        expect(
            cacheRegistryPolicy({
                accountId: A,
                region: R,
                prefixes: ["quay"],
                consumers: { accounts: ["444455556666", "444455556666"], roleArns: [] },
            }),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "ConsumersFillPullThroughCache",
                    Effect: "Allow",
                    Principal: { AWS: ["arn:aws:iam::444455556666:root"] },
                    Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                    Resource: pattern("quay"),
                },
            ],
        });
    });

    it("scans the cache prefixes and the stack's repositories, one filter per namespace", () => {
        expect(
            scanOnPushFilters(["docker-hub"], ["team/a", "team/b", "team/x/c", "solo"]),
        ).to.deep.equal(["docker-hub/*", "team/*", "solo"]);
    });

    it("parses cached image references", () => {
        expect(parseCachedImage("docker-hub/library/alpine:3.20")).to.deep.equal({
            repository: "docker-hub/library/alpine",
            reference: "3.20",
            digest: false,
        });
        expect(parseCachedImage(`quay/x/y@sha256:${"c".repeat(64)}`)?.digest).to.equal(true);
        for (const bad of ["alpine:3.20", "docker-hub/alpine", "Docker-hub/x:1", "a/b:"]) {
            expect(parseCachedImage(bad), bad).to.equal(undefined);
        }
    });

    it("warms up from outside: one login, one pull per image; nothing without images", () => {
        expect(warmUpCommands("r.example", R, [])).to.deep.equal([]);
        expect(warmUpCommands("r.example", R, ["docker-hub/library/alpine:3.20"])).to.deep.equal([
            `aws ecr get-login-password --region ${R} | docker login --username AWS --password-stdin r.example`,
            "docker pull r.example/docker-hub/library/alpine:3.20",
        ]);
    });
});

describe("pull-through cache: where the stack's principals may fill it", () => {
    const cfg = (extra: Record<string, unknown>) =>
        ({ accountId: A, region: R, ...extra }) as unknown as Parameters<
            typeof cacheFillResources
        >[0];

    it("the rules' prefixes, or the self-hosted registry's one cached repository", () => {
        expect(
            cacheFillResources(
                cfg({
                    pullThroughCache: {
                        rules: [{ upstream: "ecr-public" }, { upstream: "quay", prefix: "q" }],
                    },
                }),
            ),
        ).to.deep.equal([pattern("ecr-public"), pattern("q")]);
        expect(
            cacheFillResources(
                cfg({
                    registry: {
                        image: {
                            repository: "docker-hub/library/registry",
                            digest: "sha256:x",
                            pullThroughCache: true,
                        },
                    },
                }),
            ),
        ).to.deep.equal([`arn:aws:ecr:${R}:${A}:repository/docker-hub/library/registry`]);
        expect(cacheFillResources(cfg({}))).to.deep.equal([]);
    });

    it("the IDC host's image is the first Docker Hub warm-up image", () => {
        const block = {
            rules: [{ upstream: "ecr-public" }, { upstream: "docker-hub", username: "u" }],
            warmUpImages: [
                "ecr-public/docker/library/busybox:1.36",
                "docker-hub/library/alpine:3.20",
            ],
        };
        expect(cacheImages({ pullThroughCache: block } as never)).to.deep.equal({
            warmUp: block.warmUpImages,
            idcImage: "docker-hub/library/alpine:3.20",
        });
        expect(cacheImages({} as never)).to.deep.equal({ warmUp: [] });
    });

    it("the ECR endpoint policy: a FillPullThroughCache statement inside the perimeter, only for listed registries", () => {
        const doc = ecrEndpointPolicy({
            region: R,
            accounts: [A],
            cacheFillResources: [pattern("quay")],
        });
        expect(doc.Statement.find((s) => s.Sid === "FillPullThroughCache")).to.deep.equal({
            Sid: "FillPullThroughCache",
            Effect: "Allow",
            Principal: "*",
            Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
            Resource: pattern("quay"),
            Condition: { StringEquals: { "aws:PrincipalAccount": [A] } },
        });
        expect(
            ecrEndpointPolicy({ region: R, accounts: [A] }).Statement.map((s) => s.Sid),
        ).to.not.include("FillPullThroughCache");
        expect(() =>
            ecrEndpointPolicy({
                region: R,
                accounts: [A],
                cacheFillResources: ["arn:aws:ecr:us-east-1:777788889999:repository/q/*"],
            }),
        ).to.throw("of a listed registry in ap-southeast-1");
        expect(() =>
            ecrEndpointPolicy({
                region: R,
                accounts: [A],
                cacheFillResources: [`arn:aws:ecr:${R}:111122223333:repository/q/*`],
            }),
        ).to.throw("`cacheFillResources`");
    });

    it("the IDC host: pulls and fills the cache prefixes, never pushes there", () => {
        const doc = hostEcrPolicy(
            [`arn:aws:ecr:${R}:${A}:repository/idc-demo/hello`],
            [pattern("quay")],
        );
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal([
            "EcrLogin",
            "PushPullStackRepositories",
            "PullCachedImages",
            "FillPullThroughCache",
        ]);
        expect(doc.Statement[2]).to.deep.equal({
            Sid: "PullCachedImages",
            Effect: "Allow",
            Action: [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            Resource: [pattern("quay")],
        });
        expect(doc.Statement[3].Resource).to.equal(pattern("quay"));
        expect(
            hostEcrPolicy([`arn:aws:ecr:${R}:${A}:repository/idc-demo/hello`]).Statement,
        ).to.have.length(2);
        expect(() => hostEcrPolicy([`arn:aws:ecr:${R}:${A}:repository/a`], ["quay/*"])).to.throw(
            "`cacheRepositories[0]`",
        );
    });

    it("the IDC host's commands pull the cached image and run the doctor on it", () => {
        expect(cachePullCommands("r.example", R, "docker-hub/library/alpine:3.20")).to.deep.equal([
            `aws ecr get-login-password --region ${R} | docker login --username AWS --password-stdin r.example`,
            "docker pull r.example/docker-hub/library/alpine:3.20",
        ]);
        expect(
            doctorCommand("r.example", {
                allowAlias: true,
                cachedImage: "docker-hub/library/alpine:3.20",
            }),
        ).to.equal(
            "npm run doctor -- --registry r.example --allow-alias --image docker-hub/library/alpine:3.20 --pull-through-cache",
        );
    });
});
