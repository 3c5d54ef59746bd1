import { expect } from "chai";
import * as fc from "fast-check";
import {
    assertImageReference,
    assertNlpServiceArgs,
    assertPullableImage,
    assertTaskSize,
    containerDefinitions,
    CONTAINER_CPU,
    CONTAINER_MEMORY,
    FARGATE_TASK_SIZES,
    LOG_RETENTION_DAYS,
    NlpServiceChecks,
    nlpEnvironment,
    portValue,
    taskVolumes,
} from "../../src/nlp/containers";

const CUSTOMER = "999888777666.dkr.ecr.us-west-2.amazonaws.com";
// The vendor's replica in the customer's region (tasks pull only from there).
const VENDOR = "111222333444.dkr.ecr.us-west-2.amazonaws.com";
const VENDOR_HOME = "111222333444.dkr.ecr.us-east-2.amazonaws.com";
const images = {
    nlpClient: `${CUSTOMER}/nlp-client:1.1.0`,
    rakeApp: `${VENDOR}/rake-app:1.1.0`,
    proseApp: `${CUSTOMER}/prose-app:1.1.0`,
};
const SECRET_ARN = "arn:aws:secretsmanager:us-west-2:999888777666:secret:nlp-api-key-AbCdEf";

const log = (prefix: string) => ({
    logDriver: "awslogs",
    options: {
        "awslogs-group": "/ecs/nlp",
        "awslogs-region": "us-west-2",
        "awslogs-stream-prefix": prefix,
    },
});
const apiKeySecret = [{ name: "API_KEY", valueFrom: SECRET_ARN }];

describe("nlp/containers", () => {
    describe("portValue", () => {
        it("writes a bare number or a listen address", () => {
            expect(portValue(8081, "number")).to.equal("8081");
            expect(portValue(8081, "listen-address")).to.equal(":8081");
        });
        it("rejects an unknown format, naming `portFormat`", () => {
            expect(() => portValue(8081, "url" as never)).to.throw(
                /`portFormat` must be "number" or "listen-address", got "url"/,
            );
        });
    });

    describe("nlpEnvironment", () => {
        it("number form (seed 004): each container gets only its own variables, sorted by name", () => {
            expect(nlpEnvironment("number")).to.deep.equal({
                nlpClient: [
                    { name: "NLP_CLIENT_PORT", value: "8080" },
                    { name: "PROSE_ENDPOINT", value: "http://localhost:8082" },
                    { name: "RAKE_ENDPOINT", value: "http://localhost:8081" },
                ],
                rakeApp: [{ name: "RAKE_PORT", value: "8081" }],
                proseApp: [{ name: "PROSE_PORT", value: "8082" }],
            });
        });
        it("listen-address form changes the ports, not the endpoints", () => {
            expect(nlpEnvironment("listen-address")).to.deep.equal({
                nlpClient: [
                    { name: "NLP_CLIENT_PORT", value: ":8080" },
                    { name: "PROSE_ENDPOINT", value: "http://localhost:8082" },
                    { name: "RAKE_ENDPOINT", value: "http://localhost:8081" },
                ],
                rakeApp: [{ name: "RAKE_PORT", value: ":8081" }],
                proseApp: [{ name: "PROSE_PORT", value: ":8082" }],
            });
        });
        it("never carries the API key, nor the seed's old AUTH_KEY/RACK_ENDPOINT names", () => {
            for (const format of ["number", "listen-address"] as const) {
                const names = Object.values(nlpEnvironment(format)).flatMap((vars) =>
                    vars.map((v) => v.name),
                );
                expect(names).to.not.include("API_KEY");
                expect(names).to.not.include("AUTH_KEY");
                expect(names).to.not.include("RACK_ENDPOINT");
            }
        });
    });

    describe("containerDefinitions", () => {
        const defs = containerDefinitions({
            images,
            apiKeySecretArn: SECRET_ARN,
            logGroupName: "/ecs/nlp",
            region: "us-west-2",
        });

        it("renders the three containers exactly", () => {
            expect(defs).to.deep.equal([
                {
                    name: "nlp-client",
                    image: images.nlpClient,
                    essential: true,
                    cpu: 256,
                    memory: 1024,
                    portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
                    environment: [
                        { name: "NLP_CLIENT_PORT", value: "8080" },
                        { name: "PROSE_ENDPOINT", value: "http://localhost:8082" },
                        { name: "RAKE_ENDPOINT", value: "http://localhost:8081" },
                    ],
                    secrets: apiKeySecret,
                    readonlyRootFilesystem: true,
                    mountPoints: [
                        { sourceVolume: "tmp-nlp-client", containerPath: "/tmp", readOnly: false },
                    ],
                    logConfiguration: log("nlp-client"),
                },
                {
                    name: "rake-app",
                    image: images.rakeApp,
                    essential: true,
                    cpu: 256,
                    memory: 1024,
                    portMappings: [],
                    environment: [{ name: "RAKE_PORT", value: "8081" }],
                    secrets: apiKeySecret,
                    readonlyRootFilesystem: true,
                    mountPoints: [
                        { sourceVolume: "tmp-rake-app", containerPath: "/tmp", readOnly: false },
                    ],
                    logConfiguration: log("rake-app"),
                },
                {
                    name: "prose-app",
                    image: images.proseApp,
                    essential: true,
                    cpu: 256,
                    memory: 1024,
                    portMappings: [],
                    environment: [{ name: "PROSE_PORT", value: "8082" }],
                    secrets: apiKeySecret,
                    readonlyRootFilesystem: true,
                    mountPoints: [
                        { sourceVolume: "tmp-prose-app", containerPath: "/tmp", readOnly: false },
                    ],
                    logConfiguration: log("prose-app"),
                },
            ]);
        });

        it("mounts each container's own writable /tmp, declared once as a task volume", () => {
            expect(taskVolumes()).to.deep.equal([
                { name: "tmp-nlp-client" },
                { name: "tmp-rake-app" },
                { name: "tmp-prose-app" },
            ]);
            const sources = defs.flatMap((d) => d.mountPoints.map((m) => m.sourceVolume));
            expect(sources).to.deep.equal(taskVolumes().map((v) => v.name));
            expect(new Set(sources).size).to.equal(3);
        });

        it("uses the vendor image exactly as given (another account)", () => {
            expect(defs[1].image).to.equal(
                "111222333444.dkr.ecr.us-west-2.amazonaws.com/rake-app:1.1.0",
            );
        });

        it("private tasks: refuses an image they cannot reach; public tasks accept it", () => {
            const input = {
                images: { ...images, rakeApp: `${VENDOR_HOME}/rake-app:1.1.0` },
                apiKeySecretArn: SECRET_ARN,
                logGroupName: "/ecs/nlp",
                region: "us-west-2",
            };
            expect(() => containerDefinitions(input)).to.throw(
                /^`images.rakeApp` \(111222333444.dkr.ecr.us-east-2.amazonaws.com\/rake-app:1.1.0\) is in us-east-2, but tasks in private subnets pull only through us-west-2's endpoints/,
            );
            const pub = containerDefinitions({ ...input, privateTasks: false });
            expect(pub[1].image).to.equal(`${VENDOR_HOME}/rake-app:1.1.0`);
        });

        it("gives every container a distinct port (one network namespace)", () => {
            const ports = [8080, ...defs.slice(1).map((d) => Number(d.environment[0].value))];
            expect(new Set(ports).size).to.equal(3);
            expect(ports).to.deep.equal([8080, 8081, 8082]);
        });

        it("fits the default 1024 CPU / 4096 MiB task", () => {
            expect(defs.reduce((s, d) => s + d.cpu, 0))
                .to.equal(3 * CONTAINER_CPU)
                .and.to.be.at.most(1024);
            expect(defs.reduce((s, d) => s + d.memory, 0))
                .to.equal(3 * CONTAINER_MEMORY)
                .and.to.be.at.most(4096);
        });

        it("passes the port format through", () => {
            const lf = containerDefinitions({
                images,
                apiKeySecretArn: SECRET_ARN,
                logGroupName: "/ecs/nlp",
                region: "us-west-2",
                portFormat: "listen-address",
            });
            expect(
                lf.map((d) => d.environment.find((e) => e.name.endsWith("_PORT"))?.value),
            ).to.deep.equal([":8080", ":8081", ":8082"]);
        });

        it("rejects a `latest` image, naming the argument", () => {
            expect(() =>
                containerDefinitions({
                    images: { ...images, rakeApp: `${VENDOR}/rake-app:latest` },
                    apiKeySecretArn: SECRET_ARN,
                    logGroupName: "/ecs/nlp",
                    region: "us-west-2",
                }),
            ).to.throw(/`images.rakeApp` must name a version, not `latest`/);
        });

        it("rejects a secret reference that is not an ARN", () => {
            expect(() =>
                containerDefinitions({
                    images,
                    apiKeySecretArn: "nlp-api-key",
                    logGroupName: "g",
                    region: "us-west-2",
                }),
            ).to.throw(/`apiKeySecretArn` must be a Secrets Manager ARN/);
        });
    });

    describe("assertImageReference", () => {
        it("accepts tags and digests, with or without a registry port", () => {
            for (const ref of [
                `${VENDOR}/rake-app:1.1.0`,
                `${VENDOR}/team/rake-app:v2_rc.1`,
                "127.0.0.1:5000/rake-app:1.1.0",
                `${VENDOR}/rake-app@sha256:${"a".repeat(64)}`,
            ]) {
                expect(() => assertImageReference(ref, "images.rakeApp"), ref).to.not.throw();
            }
        });
        it("rejects a missing tag, `latest`, bad tags, blanks and whitespace", () => {
            const cases: [string, RegExp][] = [
                [`${VENDOR}/rake-app`, /`images.rakeApp` must name a tag or digest/],
                ["127.0.0.1:5000/rake-app", /`images.rakeApp` must name a tag or digest/],
                [`${VENDOR}/rake-app:latest`, /`images.rakeApp` must name a version, not `latest`/],
                [`${VENDOR}/rake-app:.bad`, /`images.rakeApp` has an invalid tag ".bad"/],
                ["", /`images.rakeApp` must be an image reference/],
                [`${VENDOR}/rake-app:1.1.0 `, /`images.rakeApp` must not contain whitespace/],
            ];
            for (const [ref, message] of cases) {
                expect(() => assertImageReference(ref, "images.rakeApp"), ref).to.throw(message);
            }
        });
    });

    describe("assertPullableImage", () => {
        it("accepts private ECR in the tasks' region, including FIPS and China hosts", () => {
            expect(() =>
                assertPullableImage(`${VENDOR}/rake-app:1`, "us-west-2", "images.rakeApp"),
            ).to.not.throw();
            expect(() =>
                assertPullableImage(
                    "111222333444.dkr.ecr-fips.us-west-2.amazonaws.com/rake-app:1",
                    "us-west-2",
                    "x",
                ),
            ).to.not.throw();
            expect(() =>
                assertPullableImage(
                    "111222333444.dkr.ecr.cn-north-1.amazonaws.com.cn/rake-app:1",
                    "cn-north-1",
                    "x",
                ),
            ).to.not.throw();
        });
        it("refuses other regions, ECR Public and Docker Hub, naming the argument", () => {
            expect(() =>
                assertPullableImage(`${VENDOR_HOME}/rake-app:1`, "us-west-2", "images.rakeApp"),
            ).to.throw(
                /`images.rakeApp` .* is in us-east-2, .* replicate the repository to us-west-2 and use that URL, or set `publicTasks`/,
            );
            for (const ref of [
                "public.ecr.aws/acme/rake-app:1",
                "docker.io/acme/rake-app:1",
                "acme/rake-app:1",
            ]) {
                expect(() => assertPullableImage(ref, "us-west-2", "images.rakeApp"), ref).to.throw(
                    /`images.rakeApp` .* is not in an ECR private registry/,
                );
            }
        });
    });

    describe("assertTaskSize", () => {
        it("accepts the seed's 1024/4096 and rejects sizes Fargate does not offer", () => {
            expect(() => assertTaskSize(1024, 4096)).to.not.throw();
            expect(() => assertTaskSize(1000, 4096)).to.throw(
                /`cpu` 1000 is not a Fargate task size/,
            );
            expect(() => assertTaskSize(1024, 1024)).to.throw(
                /`memory` 1024 does not go with `cpu` 1024 on Fargate/,
            );
            expect(() => assertTaskSize(8192, 20000)).to.throw(
                /`memory` 20000 does not go with `cpu` 8192/,
            );
        });
        it("rejects a Fargate size too small for the three containers", () => {
            expect(() => assertTaskSize(512, 4096)).to.throw(
                /`cpu` 512 is less than the 768 CPU units the 3 containers reserve/,
            );
            expect(() => assertTaskSize(1024, 2048)).to.throw(
                /`memory` 2048 is less than the 3072 MiB the 3 containers reserve/,
            );
        });
        it("every offered size passes exactly when it holds 768 CPU units and 3072 MiB", () => {
            const sizes = Object.entries(FARGATE_TASK_SIZES).flatMap(([cpu, mems]) =>
                mems.map((m) => [Number(cpu), m]),
            );
            fc.assert(
                fc.property(fc.constantFrom(...sizes), ([cpu, memory]) => {
                    const fits = cpu >= 768 && memory >= 3072;
                    let threw = false;
                    try {
                        assertTaskSize(cpu, memory);
                    } catch {
                        threw = true;
                    }
                    return threw === !fits;
                }),
            );
        });
        it("any memory not in a CPU size's list is rejected", () => {
            fc.assert(
                fc.property(
                    fc.constantFrom(1024, 2048, 4096),
                    fc.integer({ min: 1, max: 200000 }),
                    (cpu, memory) => {
                        fc.pre(!FARGATE_TASK_SIZES[cpu].includes(memory));
                        expect(() => assertTaskSize(cpu, memory)).to.throw(/`memory`/);
                    },
                ),
            );
        });
    });

    describe("assertNlpServiceArgs", () => {
        const good: NlpServiceChecks = {
            desiredCount: 2,
            cpu: 1024,
            memory: 4096,
            logRetentionDays: 30,
            portFormat: "number",
            publicTasks: false,
            internal: false,
            privateSubnetCount: 2,
            publicSubnetCount: 2,
            hasEndpointSecurityGroup: true,
            hasS3PrefixList: true,
        };
        const broken = (patch: Partial<NlpServiceChecks>) => () =>
            assertNlpServiceArgs({ ...good, ...patch });

        it("accepts the defaults, an ACM certificate, and public tasks without endpoints", () => {
            expect(broken({})).to.not.throw();
            expect(
                broken({
                    certificateArn:
                        "arn:aws:acm:us-west-2:999888777666:certificate/0a1b2c3d-1111-2222-3333-444455556666",
                }),
            ).to.not.throw();
            expect(
                broken({
                    publicTasks: true,
                    privateSubnetCount: 0,
                    hasEndpointSecurityGroup: false,
                    hasS3PrefixList: false,
                }),
            ).to.not.throw();
            for (const days of LOG_RETENTION_DAYS)
                expect(broken({ logRetentionDays: days })).to.not.throw();
        });
        it("names the broken argument", () => {
            expect(broken({ desiredCount: 0 })).to.throw(
                /^`desiredCount` must be a whole number of at least 1, got 0$/,
            );
            expect(broken({ desiredCount: 1.5 })).to.throw(/`desiredCount`/);
            expect(
                broken({ certificateArn: "arn:aws:iam::999888777666:server-certificate/nlp" }),
            ).to.throw(/`certificateArn` must be an ACM certificate ARN/);
            expect(broken({ logRetentionDays: 31 })).to.throw(
                /`logRetentionDays` 31 is not a CloudWatch Logs retention value/,
            );
            expect(broken({ portFormat: "port" as never })).to.throw(/`portFormat`/);
            expect(broken({ publicSubnetCount: 1 })).to.throw(
                /^`publicSubnetIds` must list at least two subnets in different AZs \(the internet-facing load balancer needs two\), got 1$/,
            );
            // Internal: the load balancer runs in the private subnets, no public one is needed.
            expect(broken({ internal: true, publicSubnetCount: 0 })).to.not.throw();
            expect(broken({ internal: true, privateSubnetCount: 1 })).to.throw(
                /^`privateSubnetIds` must list at least two subnets in different AZs \(the internal load balancer needs two\), got 1$/,
            );
            expect(broken({ publicTasks: true, internal: true, publicSubnetCount: 0 })).to.throw(
                /^`publicSubnetIds` must list at least one subnet when `publicTasks` is true$/,
            );
            expect(broken({ privateSubnetCount: 0 })).to.throw(
                /`privateSubnetIds` must list at least one subnet/,
            );
            expect(broken({ hasEndpointSecurityGroup: false })).to.throw(
                /`endpointSecurityGroupId` is required unless `publicTasks` is true/,
            );
            expect(broken({ hasS3PrefixList: false })).to.throw(
                /`s3PrefixListId` is required unless `publicTasks` is true/,
            );
            expect(broken({ cpu: 512, memory: 4096 })).to.throw(/`cpu` 512/);
        });
    });
});
