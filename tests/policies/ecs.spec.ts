import { expect } from "chai";
import {
    ecsContainerInsights,
    ecsNoPlaintextSecrets,
    ecsServiceNoPublicIp,
} from "../../policies/rules/ecs";
import { UNKNOWN_ARRAY, UNKNOWN_BOOL, UNKNOWN_STRING, runResource } from "../helpers/policyHarness";

const TASK = "aws:ecs/taskDefinition:TaskDefinition";
const SERVICE = "aws:ecs/service:Service";
const CLUSTER = "aws:ecs/cluster:Cluster";

const containers = (env: { name: string; value: string }[]) =>
    JSON.stringify([
        {
            name: "nlp-client",
            image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/nlp-client:1.0.0",
            portMappings: [{ containerPort: 8080 }],
            environment: env,
            secrets: [
                {
                    name: "API_KEY",
                    valueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:api-key",
                },
            ],
        },
    ]);

describe("policy ecs-no-plaintext-secrets", () => {
    it("passes the NLP task's plain settings with API_KEY from Secrets Manager", () => {
        const env = [
            { name: "NLP_CLIENT_PORT", value: "8080" },
            { name: "RAKE_ENDPOINT", value: "http://localhost:8081" },
            { name: "PROSE_ENDPOINT", value: "http://localhost:8082" },
            { name: "RAKE_PORT", value: "8081" },
            { name: "PROSE_PORT", value: "8082" },
            { name: "AWS_ACCESS_KEY_ID", value: "not-a-secret-by-itself" },
        ];
        expect(
            runResource(ecsNoPlaintextSecrets, TASK, {
                family: "nlp",
                containerDefinitions: containers(env),
            }),
        ).to.deep.equal([]);
    });
    for (const name of [
        "API_KEY",
        "apiKey",
        "GITHUB_TOKEN",
        "DB_PASSWORD",
        "CLIENT_SECRET",
        "SIGNING_KEY",
        "SECRET",
        "AUTH_KEY",
    ]) {
        it(`reports ${name} as a plain value`, () => {
            expect(
                runResource(ecsNoPlaintextSecrets, TASK, {
                    family: "nlp",
                    containerDefinitions: containers([{ name, value: "x" }]),
                }),
            ).to.deep.equal([
                `Container "nlp-client" sets environment variable "${name}" as a plain value; pass it through \`secrets\` (Secrets Manager or SSM valueFrom) instead (Trivy aws-ecs-no-plaintext-secrets, cdk-nag AwsSolutions-ECS2).`,
            ]);
        });
    }
    it("honours allowedNames and secretNamePattern", () => {
        const defs = containers([{ name: "CACHE_KEY", value: "v1" }]);
        expect(
            runResource(
                ecsNoPlaintextSecrets,
                TASK,
                { containerDefinitions: defs },
                { config: { allowedNames: ["CACHE_KEY"] } },
            ),
        ).to.deep.equal([]);
        expect(
            runResource(
                ecsNoPlaintextSecrets,
                TASK,
                { containerDefinitions: defs },
                { config: { secretNamePattern: "^PASSWORD$" } },
            ),
        ).to.deep.equal([]);
    });
    it("reports container definitions that are not JSON", () => {
        expect(
            runResource(ecsNoPlaintextSecrets, TASK, { containerDefinitions: "[{" }),
        ).to.deep.equal(["ECS task definition containerDefinitions is not valid JSON."]);
    });
    it("skips unknown container definitions", () => {
        expect(
            runResource(ecsNoPlaintextSecrets, TASK, { containerDefinitions: UNKNOWN_STRING }),
        ).to.deep.equal([]);
    });
});

describe("policy ecs-service-no-public-ip", () => {
    const svc = (assignPublicIp: unknown) => ({
        cluster: "arn:aws:ecs:us-east-1:111122223333:cluster/nlp",
        launchType: "FARGATE",
        desiredCount: 2,
        networkConfiguration: { subnets: ["subnet-1"], securityGroups: ["sg-1"], assignPublicIp },
    });
    it("passes a service without public IPs", () => {
        expect(runResource(ecsServiceNoPublicIp, SERVICE, svc(false))).to.deep.equal([]);
        expect(runResource(ecsServiceNoPublicIp, SERVICE, svc(undefined))).to.deep.equal([]);
    });
    it("reports assignPublicIp true", () => {
        expect(runResource(ecsServiceNoPublicIp, SERVICE, svc(true))).to.deep.equal([
            "ECS service sets networkConfiguration.assignPublicIp to true; run tasks in private subnets without public IPs (CKV_AWS_333).",
        ]);
    });
    it("honours allowedServiceNames", () => {
        expect(
            runResource(ecsServiceNoPublicIp, SERVICE, svc(true), {
                name: "demo",
                config: { allowedServiceNames: ["demo"] },
            }),
        ).to.deep.equal([]);
    });
    it("skips an unknown value", () => {
        expect(runResource(ecsServiceNoPublicIp, SERVICE, svc(UNKNOWN_BOOL))).to.deep.equal([]);
    });
    it("passes the self-hosted registry's service (two private subnets, no public IP), reports it with one", () => {
        const registry = (assignPublicIp: boolean) =>
            runResource(ecsServiceNoPublicIp, SERVICE, {
                launchType: "FARGATE",
                networkConfiguration: { subnets: ["subnet-a", "subnet-b"], assignPublicIp },
            });
        expect(registry(false)).to.deep.equal([]);
        expect(registry(true)).to.have.length(1);
    });
});

describe("policy ecs-container-insights", () => {
    it("passes enabled and enhanced", () => {
        for (const value of ["enabled", "enhanced"]) {
            expect(
                runResource(ecsContainerInsights, CLUSTER, {
                    settings: [{ name: "containerInsights", value }],
                }),
            ).to.deep.equal([]);
        }
    });
    it("reports a missing setting", () => {
        expect(runResource(ecsContainerInsights, CLUSTER, {})).to.deep.equal([
            'ECS cluster must set containerInsights to "enabled" or "enhanced" (is unset) (CKV_AWS_65).',
        ]);
    });
    it("reports disabled", () => {
        expect(
            runResource(ecsContainerInsights, CLUSTER, {
                settings: [{ name: "containerInsights", value: "disabled" }],
            }),
        ).to.deep.equal([
            'ECS cluster must set containerInsights to "enabled" or "enhanced" (is "disabled") (CKV_AWS_65).',
        ]);
    });
    it("skips unknown values", () => {
        expect(
            runResource(ecsContainerInsights, CLUSTER, { settings: UNKNOWN_ARRAY }),
        ).to.deep.equal([]);
        expect(
            runResource(ecsContainerInsights, CLUSTER, {
                settings: [{ name: "containerInsights", value: UNKNOWN_STRING }],
            }),
        ).to.deep.equal([]);
    });
});
