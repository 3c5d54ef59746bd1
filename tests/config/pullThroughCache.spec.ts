import { expect } from "chai";
import { parseStackConfig, StackConfig } from "../../src/config";
import { configIssues, idcConfig, obj, P } from "../helpers/stackConfig";

/**
 * The `pullThroughCache` block: every rule the config check enforces, each fed the input that
 * breaks it, and the idc-sim-like block that passes. A token's value never appears in a message.
 */

const TOKEN = `${P}:pullThroughCacheDockerHubToken`;

function idcWithCache(block: Record<string, unknown>): Record<string, string> {
    return { ...idcConfig(), [`${P}:pullThroughCache`]: obj(block) };
}

const GOOD = {
    rules: [{ upstream: "ecr-public" }, { upstream: "docker-hub", username: "someone" }],
    warmUpImages: ["docker-hub/library/alpine:3.20"],
};

function parse(raw: Record<string, string>, secretKeys: string[] = [TOKEN]): StackConfig {
    return parseStackConfig(raw, "idc-sim", { secretKeys });
}

function issuesOf(raw: Record<string, string>, secretKeys: string[] = [TOKEN]) {
    return configIssues(raw, "idc-sim", secretKeys);
}

function expectIssue(
    raw: Record<string, string>,
    key: string,
    message: RegExp | string,
    secretKeys?: string[],
) {
    const issues = issuesOf(raw, secretKeys);
    const found = issues.find((i) => i.key === key);
    expect(found, JSON.stringify(issues, null, 2)).to.not.equal(undefined);
    if (typeof message === "string") expect(found!.message).to.contain(message);
    else expect(found!.message).to.match(message);
}

describe("config: pullThroughCache", () => {
    it("accepts ECR Public and Docker Hub with a username and an encrypted token, filling in the rules", () => {
        const cfg = parse({ ...idcWithCache(GOOD), [TOKEN]: "[secret]" });
        expect(cfg.pullThroughCache!.cacheRules).to.deep.equal([
            { upstream: "ecr-public", prefix: "ecr-public", url: "public.ecr.aws" },
            {
                upstream: "docker-hub",
                prefix: "docker-hub",
                url: "registry-1.docker.io",
                username: "someone",
                tokenKey: "pullThroughCacheDockerHubToken",
            },
        ]);
        expect(cfg.pullThroughCache!.unpulledExpireDays).to.equal(90);
        expect(cfg.pullThroughCache!.scanOnPush).to.equal(true);
        expect(cfg.pullThroughCache!.consumers).to.deep.equal({ accounts: [], roleArns: [] });
    });

    it("a stack without the block has no pullThroughCache key at all", () => {
        const raw = idcWithCache(GOOD);
        delete raw[`${P}:pullThroughCache`];
        expect(parse(raw, [])).to.not.have.property("pullThroughCache");
    });

    it("refuses a Docker Hub token in plain text with the pulumi config set --secret command, never echoing it", () => {
        const raw = { ...idcWithCache(GOOD), [TOKEN]: "dckr_pat_plaintext" };
        const issues = issuesOf(raw, []);
        const issue = issues.find((i) => i.key === TOKEN);
        expect(issue?.message).to.contain(
            "pulumi config set --secret --stack idc-sim ecr-private-access:pullThroughCacheDockerHubToken",
        );
        expect(JSON.stringify(issues)).to.not.contain("dckr_pat_plaintext");
    });

    it("Docker Hub without its token: the key and the command that sets it", () => {
        expectIssue(
            idcWithCache(GOOD),
            TOKEN,
            "Store it encrypted with: pulumi config set --secret --stack idc-sim ecr-private-access:pullThroughCacheDockerHubToken",
            [],
        );
    });

    it("Docker Hub without a username: ECR caches it only with credentials", () => {
        expectIssue(
            { ...idcWithCache({ rules: [{ upstream: "docker-hub" }] }), [TOKEN]: "[secret]" },
            `${P}:pullThroughCache.rules[0].username`,
            "is required: ECR caches Docker Hub only with credentials",
        );
    });

    it("a username for an upstream that takes none", () => {
        expectIssue(
            idcWithCache({ rules: [{ upstream: "quay", username: "me" }] }),
            `${P}:pullThroughCache.rules[0].username`,
            "Quay is cached without credentials",
            [],
        );
    });

    it("a token whose upstream is not cached, and a token without the block", () => {
        expectIssue(
            { ...idcWithCache({ rules: [{ upstream: "ecr-public" }] }), [TOKEN]: "[secret]" },
            TOKEN,
            "no pullThroughCache rule caches Docker Hub",
        );
        const raw: Record<string, string> = { ...idcWithCache(GOOD), [TOKEN]: "[secret]" };
        delete raw[`${P}:pullThroughCache`];
        expectIssue(raw, TOKEN, "there is no pullThroughCache block that uses it");
    });

    it("a broken block is reported as such, not as an unused token", () => {
        const issues = issuesOf({ ...idcWithCache({ rules: "docker-hub" }), [TOKEN]: "[secret]" });
        expect(issues.map((i) => i.key)).to.deep.equal([`${P}:pullThroughCache.rules`]);
    });

    it("an unknown upstream, with the ones known", () => {
        expectIssue(
            idcWithCache({ rules: [{ upstream: "docker.io" }] }),
            `${P}:pullThroughCache.rules[0].upstream`,
            /ecr-public.*docker-hub.*gitlab-container-registry/,
            [],
        );
    });

    it("no rules at all", () => {
        expectIssue(
            idcWithCache({ rules: [] }),
            `${P}:pullThroughCache.rules`,
            "must list at least one rule",
            [],
        );
    });

    it("prefixes: ECR's syntax and length, ROOT, twice, nested", () => {
        const cases: [unknown[], string, string | RegExp][] = [
            [[{ upstream: "quay", prefix: "Quay" }], "rules[0].prefix", "lower-case letters"],
            [[{ upstream: "quay", prefix: "q" }], "rules[0].prefix", "2 to 30 characters"],
            [
                [{ upstream: "quay", prefix: "a-very-long-cache-prefix-name-x" }],
                "rules[0].prefix",
                "2 to 30 characters",
            ],
            [
                [{ upstream: "quay", prefix: "ROOT" }],
                "rules[0].prefix",
                "ROOT is not a cache prefix",
            ],
            [
                [
                    { upstream: "quay", prefix: "mirror" },
                    { upstream: "k8s", prefix: "mirror" },
                ],
                "rules[1].prefix",
                "is also the prefix of pullThroughCache.rules[0]",
            ],
            [
                [{ upstream: "quay" }, { upstream: "quay" }],
                "rules[1].prefix",
                "(set prefix, the default for quay is taken)",
            ],
            [
                [
                    { upstream: "quay", prefix: "mirror" },
                    { upstream: "k8s", prefix: "mirror/k8s" },
                ],
                "rules[1].prefix",
                'is inside the prefix "mirror"',
            ],
        ];
        for (const [rules, key, message] of cases) {
            expectIssue(idcWithCache({ rules }), `${P}:pullThroughCache.${key}`, message, []);
        }
    });

    it("a cache prefix must not hold the stack's repositories, nor sit in their namespace", () => {
        const raw = idcWithCache({ rules: [{ upstream: "quay", prefix: "idc-demo" }] });
        expectIssue(
            raw,
            `${P}:repositories.names[0]`,
            'is under the pull-through cache prefix "idc-demo"',
            [],
        );
        expectIssue(
            idcWithCache({ rules: [{ upstream: "quay", prefix: "idc-demo/quay" }] }),
            `${P}:pullThroughCache.rules[0].prefix`,
            'is inside the namespace "idc-demo" of repositories.names[0]',
            [],
        );
    });

    it("warm-up images: syntax, under a prefix, Docker Hub's library/, listed once", () => {
        const cases: [string[], number, string][] = [
            [["alpine"], 0, "is not <prefix>/<upstream path>:<tag>"],
            [["quay/org/img:1"], 0, "is under none of the cache prefixes (ecr-public, docker-hub)"],
            [["docker-hub/alpine:3.20"], 0, "cached as docker-hub/library/alpine"],
            [
                [
                    "ecr-public/docker/library/busybox:1.36",
                    "ecr-public/docker/library/busybox:1.36",
                ],
                1,
                "is listed twice",
            ],
        ];
        for (const [images, i, message] of cases) {
            expectIssue(
                { ...idcWithCache({ ...GOOD, warmUpImages: images }), [TOKEN]: "[secret]" },
                `${P}:pullThroughCache.warmUpImages[${i}]`,
                message,
            );
        }
        // A digest is fine.
        expect(() =>
            parse({
                ...idcWithCache({
                    ...GOOD,
                    warmUpImages: [`ecr-public/docker/library/busybox@sha256:${"a".repeat(64)}`],
                }),
                [TOKEN]: "[secret]",
            }),
        ).to.not.throw();
    });

    it("consumers: not the stack's own account or roles, each account once", () => {
        const raw = {
            ...idcWithCache({
                ...GOOD,
                consumers: {
                    accounts: ["777788889999", "444455556666", "444455556666"],
                    roleArns: ["arn:aws:iam::777788889999:role/x"],
                },
            }),
            [TOKEN]: "[secret]",
        };
        const issues = issuesOf(raw);
        expect(issues.map((i) => i.key)).to.include.members([
            `${P}:pullThroughCache.consumers.accounts[0]`,
            `${P}:pullThroughCache.consumers.accounts[2]`,
            `${P}:pullThroughCache.consumers.roleArns[0]`,
        ]);
    });

    it("unpulledExpireDays: a whole number of days from 1 to 3650", () => {
        expectIssue(
            idcWithCache({ rules: [{ upstream: "ecr-public" }], unpulledExpireDays: 0 }),
            `${P}:pullThroughCache.unpulledExpireDays`,
            /0 .*>=1/,
            [],
        );
    });

    it("the self-hosted registry's cached image must be under one of the cache's prefixes", () => {
        const registryStack = (repository: string) => ({
            "aws:region": "us-east-1",
            "aws:allowedAccountIds": obj(["123456789012"]),
            [`${P}:accountId`]: "123456789012",
            [`${P}:network`]: obj({ cidr: "10.40.0.0/16", azCount: 2 }),
            [`${P}:endpoints`]: obj({}),
            [`${P}:registry`]: obj({
                hostName: "registry.example.internal",
                image: { repository, digest: `sha256:${"b".repeat(64)}`, pullThroughCache: true },
                users: ["ci"],
                certificateSecretArn:
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-tls-AbCdEf",
            }),
            [`${P}:pullThroughCache`]: obj({ rules: [{ upstream: "ecr-public" }] }),
        });
        expectIssue(
            registryStack("docker-hub/library/registry"),
            `${P}:registry.image.repository`,
            "under none of pullThroughCache's prefixes (ecr-public)",
            [],
        );
        expect(() =>
            parseStackConfig(registryStack("ecr-public/docker/library/registry"), "registry"),
        ).to.not.throw();
    });

    it("more than ECR's 50 pull-through cache rules in one registry (a fixed quota)", () => {
        const rules = Array.from({ length: 51 }, (_, i) => ({
            upstream: "quay",
            prefix: `quay${i}`,
        }));
        expectIssue(
            idcWithCache({ rules }),
            `${P}:pullThroughCache.rules`,
            /creates 51 pull-through cache rules .*AWS allows 50 \("Pull through cache rules per registry", a fixed limit\)/,
            [],
        );
    });

    it("more than 100 scan-on-push filters, or none with scanOnPush: false", () => {
        const rules = Array.from({ length: 50 }, (_, i) => ({
            upstream: "quay",
            prefix: `quay${i}`,
        }));
        const raw = idcWithCache({ rules });
        raw[`${P}:repositories`] = obj({
            names: Array.from({ length: 51 }, (_, i) => `team${i}/app`),
        });
        expectIssue(
            raw,
            `${P}:pullThroughCache.scanOnPush`,
            "would need 101 repository filters",
            [],
        );
        raw[`${P}:pullThroughCache`] = obj({ rules, scanOnPush: false });
        expect(() => parse(raw, [])).to.not.throw();
    });
});
