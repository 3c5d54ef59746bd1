import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../../src/config";

const P = "ecr-private-access";
const obj = (v: unknown) => JSON.stringify(v);
const DIGEST = "sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e";
const TLS = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-tls-AbCdEf";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function registry(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        hostName: "registry.example.internal",
        image: { repository: "mirror/registry", digest: DIGEST },
        users: ["ci", "alice"],
        certificateSecretArn: TLS,
        ...extra,
    };
}

/** The shape of Pulumi.registry.yaml; each case breaks one thing. */
function base(reg: Record<string, unknown> = registry()): Record<string, string> {
    return {
        "aws:region": "us-east-1",
        "aws:allowedAccountIds": obj(["123456789012"]),
        [`${P}:accountId`]: "123456789012",
        [`${P}:network`]: obj({ cidr: "10.40.0.0/16", azCount: 2 }),
        [`${P}:endpoints`]: obj({}),
        [`${P}:repositories`]: obj({ names: ["mirror/registry"] }),
        [`${P}:registry`]: obj(reg),
    };
}

function issuesOf(raw: Record<string, string>): { key: string; message: string }[] {
    try {
        parseStackConfig(raw, "registry");
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).issues;
    }
    throw new Error("expected a ConfigError");
}

describe("config: the registry block", () => {
    it("applies the defaults and adds the endpoints the tasks need", () => {
        const cfg = parseStackConfig(base(), "registry");
        expect(cfg.registry).to.deep.equal({
            hostName: "registry.example.internal",
            image: { repository: "mirror/registry", digest: DIGEST, pullThroughCache: false },
            users: ["ci", "alice"],
            passwordLength: 32,
            certificateSecretArn: TLS,
            allowedCidrs: [],
            desiredCount: 2,
            maxCount: 4,
            cpuTargetPercent: 60,
            cpu: 512,
            memory: 1024,
            logRetentionDays: 30,
            containerInsights: "enabled",
            versioning: true,
            noncurrentVersionDays: 30,
        });
        expect(cfg.endpoints!.interfaceServices).to.deep.equal([
            "ecr.api",
            "ecr.dkr",
            "logs",
            "secretsmanager",
        ]);
    });

    it("accepts the customer managed key of the TLS secret", () => {
        expect(
            parseStackConfig(base(registry({ certificateSecretKmsKeyArn: KEY })), "registry")
                .registry!.certificateSecretKmsKeyArn,
        ).to.equal(KEY);
    });

    it("accepts a pull-through cache path that is not one of the stack's repositories", () => {
        const raw = base(
            registry({
                image: {
                    repository: "docker-hub/library/registry",
                    digest: DIGEST,
                    pullThroughCache: true,
                },
            }),
        );
        expect(parseStackConfig(raw, "registry").registry!.image.pullThroughCache).to.equal(true);
    });

    const cases: [string, Record<string, string>, { key: string; message: string }[]][] = [
        [
            "an image repository the stack does not have",
            base(registry({ image: { repository: "other/registry", digest: DIGEST } })),
            [
                {
                    key: `${P}:registry.image.repository`,
                    message:
                        '"other/registry" is not in repositories.names; list it there (copy the image in with `skopeo copy --all`), or set registry.image.pullThroughCache: true when it is a pull-through cache path',
                },
            ],
        ],
        [
            "a pull-through cache path that is also a stack repository, without a prefix",
            base(
                registry({
                    image: {
                        repository: "mirror/registry",
                        digest: DIGEST,
                        pullThroughCache: true,
                    },
                }),
            ),
            [
                {
                    key: `${P}:registry.image.repository`,
                    message:
                        '"mirror/registry" is also in repositories.names; a pull-through cache creates its repositories itself, so remove it there or set registry.image.pullThroughCache: false',
                },
            ],
        ],
        [
            "an image by tag",
            base(registry({ image: { repository: "mirror/registry", digest: "3.0.0" } })),
            [
                {
                    key: `${P}:registry.image.digest`,
                    message:
                        '"3.0.0" must be an image digest sha256:<64 hex digits> (the registry is pinned by digest)',
                },
            ],
        ],
        [
            "one task",
            base(registry({ desiredCount: 1 })),
            [
                {
                    key: `${P}:registry.desiredCount`,
                    message: "1 must be at least 2 (one task per availability zone)",
                },
            ],
        ],
        [
            "a maximum below the desired count",
            base(registry({ desiredCount: 3, maxCount: 2 })),
            [{ key: `${P}:registry.maxCount`, message: "2 is less than registry.desiredCount 3" }],
        ],
        [
            "memory that does not go with the CPU",
            base(registry({ cpu: 256, memory: 4096 })),
            [
                {
                    key: `${P}:registry.memory`,
                    message:
                        "4096 does not go with registry.cpu 256 on Fargate (allowed MiB: 512, 1024, 2048)",
                },
            ],
        ],
        [
            "the world as a client network, and the VPC again",
            base(registry({ allowedCidrs: ["0.0.0.0/0", "10.40.1.0/24"] })),
            [
                {
                    key: `${P}:registry.allowedCidrs[0]`,
                    message: "0.0.0.0/0 would open the registry to every network",
                },
                {
                    key: `${P}:registry.allowedCidrs[1]`,
                    message:
                        "10.40.1.0/24 overlaps network.cidr 10.40.0.0/16, which is always allowed",
                },
            ],
        ],
        [
            "a zone that does not hold the host name",
            base(registry({ zoneName: "corp.internal" })),
            [
                {
                    key: `${P}:registry.zoneName`,
                    message:
                        '"corp.internal" does not contain registry.hostName "registry.example.internal"',
                },
            ],
        ],
        [
            "a host name under amazonaws.com",
            base(registry({ hostName: "registry.amazonaws.com" })),
            [
                {
                    key: `${P}:registry.hostName`,
                    message:
                        'a private zone named "amazonaws.com" would capture AWS service names in the VPC; use a domain of your own',
                },
            ],
        ],
        [
            "a TLS secret in another region",
            base(registry({ certificateSecretArn: TLS.replace("us-east-1", "eu-west-1") })),
            [
                {
                    key: `${P}:registry.certificateSecretArn`,
                    message:
                        "is in eu-west-1, but the tasks read secrets through us-east-1's Secrets Manager endpoint; create the secret in us-east-1",
                },
            ],
        ],
        [
            "a KMS alias instead of the key ARN",
            base(
                registry({
                    certificateSecretKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/registry",
                }),
            ),
            [
                {
                    key: `${P}:registry.certificateSecretKmsKeyArn`,
                    message:
                        '"arn:aws:kms:us-east-1:123456789012:alias/registry" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias ARN does not authorise kms:Decrypt)',
                },
            ],
        ],
        [
            "the TLS secret's key in another region",
            base(registry({ certificateSecretKmsKeyArn: KEY.replace("us-east-1", "eu-west-1") })),
            [
                {
                    key: `${P}:registry.certificateSecretKmsKeyArn`,
                    message:
                        "is in eu-west-1, but registry.certificateSecretArn is in us-east-1; a secret is encrypted with a key of its own region",
                },
            ],
        ],
        [
            "a bad bucket name",
            base(registry({ bucketName: "Registry_Images" })),
            [
                {
                    key: `${P}:registry.bucketName`,
                    message:
                        '"Registry_Images" must be lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
                },
            ],
        ],
        [
            "a user twice and a user name htpasswd cannot hold",
            base(registry({ users: ["ci", "ci", "a:b"] })),
            [
                {
                    key: `${P}:registry.users[2]`,
                    message: '"a:b" is not a user name (lower-case letters, digits, . _ -)',
                },
            ],
        ],
        [
            "a user listed twice",
            base(registry({ users: ["ci", "ci"] })),
            [{ key: `${P}:registry.users[1]`, message: '"ci" is listed twice' }],
        ],
        [
            "a typo",
            base(registry({ hostname: "x" })),
            [
                {
                    key: `${P}:registry.hostname`,
                    message:
                        'unknown key (known: hostName, zoneName, image, users, passwordLength, certificateSecretArn, certificateSecretKmsKeyArn, allowedCidrs, desiredCount, maxCount, cpuTargetPercent, cpu, memory, logRetentionDays, containerInsights, bucketName, versioning, noncurrentVersionDays); did you mean "hostName"?',
                },
            ],
        ],
    ];
    for (const [what, raw, expected] of cases) {
        it(`refuses ${what}, naming the key`, () => {
            expect(issuesOf(raw)).to.deep.equal(expected);
        });
    }

    it("needs the network (two AZs) and endpoints blocks", () => {
        const raw = base();
        delete raw[`${P}:endpoints`];
        raw[`${P}:network`] = obj({ cidr: "10.40.0.0/16", azCount: 1 });
        expect(issuesOf(raw)).to.deep.equal([
            {
                key: `${P}:registry`,
                message:
                    "needs the `endpoints` block (the tasks pull the image, write logs, read secrets and reach S3 through the VPC endpoints)",
            },
            {
                key: `${P}:network.azCount`,
                message:
                    "must be 2 or more when `registry` is on: the tasks and the load balancer span two availability zones",
            },
        ]);
    });

    it("says when the default bucket name is too long", () => {
        const raw = base();
        const issues = (() => {
            try {
                parseStackConfig(raw, "a-very-long-stack-name-for-the-registry");
            } catch (e) {
                return (e as ConfigError).issues;
            }
            return [];
        })();
        expect(issues).to.deep.equal([
            {
                key: `${P}:registry.bucketName`,
                message:
                    'the default name is invalid: "a-very-long-stack-name-for-the-registry-registry-123456789012-us-east-1" is 71 characters; S3 bucket names are 3 to 63; set registry.bucketName',
            },
        ]);
    });
});
