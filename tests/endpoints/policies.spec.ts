import { expect } from "chai";
import * as fc from "fast-check";
import { DESCRIBE_ACTIONS, PULL_ACTIONS, PUSH_ACTIONS } from "../../src/iam";
import {
    ecrEndpointPolicy,
    endpointServiceName,
    INTERFACE_SERVICES,
    isInterfaceService,
    layerBucketObjectsArn,
    s3GatewayPolicy,
} from "../../src/endpoints/policies";
import { DESCRIBE, PULL as PULL_ONLY, PUSH } from "../helpers/ecrActions";

/** What the ECR endpoint policies allow for pulls: the pull actions plus read-only listing. */
const PULL = [...PULL_ONLY, ...DESCRIBE];

describe("endpoints/policies", () => {
    describe("service names", () => {
        it("builds com.amazonaws.<region>.<service>", () => {
            expect(endpointServiceName("us-west-2", "ecr.api")).to.equal(
                "com.amazonaws.us-west-2.ecr.api",
            );
            expect(endpointServiceName("ap-southeast-1", "ecr.dkr")).to.equal(
                "com.amazonaws.ap-southeast-1.ecr.dkr",
            );
            expect(endpointServiceName("eu-central-1", "ecs-telemetry")).to.equal(
                "com.amazonaws.eu-central-1.ecs-telemetry",
            );
            expect(endpointServiceName("us-east-1", "s3")).to.equal("com.amazonaws.us-east-1.s3");
        });
        it("knows exactly the eight interface services", () => {
            expect([...INTERFACE_SERVICES]).to.deep.equal([
                "ecr.api",
                "ecr.dkr",
                "logs",
                "secretsmanager",
                "ssm",
                "ecs",
                "ecs-agent",
                "ecs-telemetry",
            ]);
            expect(isInterfaceService("s3")).to.equal(false);
            expect(isInterfaceService("ecr")).to.equal(false);
        });
        it("rejects unknown services and malformed regions", () => {
            expect(() => endpointServiceName("us-west-2", "ec2")).to.throw(
                'unknown endpoint service "ec2"',
            );
            expect(() => endpointServiceName("us-west", "ecr.api")).to.throw(
                '"us-west" is not an AWS region name',
            );
            expect(() => endpointServiceName("US-WEST-2", "ecr.api")).to.throw(
                "is not an AWS region name",
            );
        });
        it("names the region's layer bucket", () => {
            expect(layerBucketObjectsArn("ap-southeast-1")).to.equal(
                "arn:aws:s3:::prod-ap-southeast-1-starport-layer-bucket/*",
            );
        });
    });

    describe("ecrEndpointPolicy", () => {
        it("pull only: token on *, pull and read actions on each account's repositories, for those accounts' principals only", () => {
            const doc = ecrEndpointPolicy({
                region: "us-west-2",
                accounts: ["444455556666", "111122223333"],
            });
            const perimeter = {
                StringEquals: { "aws:PrincipalAccount": ["111122223333", "444455556666"] },
            };
            expect(doc).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AuthorizationToken",
                        Effect: "Allow",
                        Principal: "*",
                        Action: ["ecr:GetAuthorizationToken"],
                        Resource: "*",
                        Condition: perimeter,
                    },
                    {
                        Sid: "PullFromListedRegistries",
                        Effect: "Allow",
                        Principal: "*",
                        Action: PULL,
                        Resource: [
                            "arn:aws:ecr:us-west-2:111122223333:repository/*",
                            "arn:aws:ecr:us-west-2:444455556666:repository/*",
                        ],
                        Condition: perimeter,
                    },
                ],
            });
        });
        it("principalOrgId adds a copy of each statement for the organization's principals", () => {
            const doc = ecrEndpointPolicy({
                region: "us-west-2",
                accounts: ["444455556666"],
                allowPush: true,
                principalOrgId: "o-abcdefghij",
            });
            expect(doc.Statement.map((s) => [s.Sid, s.Condition])).to.deep.equal([
                [
                    "AuthorizationToken",
                    { StringEquals: { "aws:PrincipalAccount": ["444455556666"] } },
                ],
                [
                    "AuthorizationTokenOrganization",
                    { StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" } },
                ],
                [
                    "PullFromListedRegistries",
                    { StringEquals: { "aws:PrincipalAccount": ["444455556666"] } },
                ],
                [
                    "PullFromListedRegistriesOrganization",
                    { StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" } },
                ],
                [
                    "PushToListedRegistries",
                    { StringEquals: { "aws:PrincipalAccount": ["444455556666"] } },
                ],
                [
                    "PushToListedRegistriesOrganization",
                    { StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" } },
                ],
            ]);
            // The copies grant exactly what the account statements grant.
            expect(doc.Statement[3].Action).to.deep.equal(doc.Statement[2].Action);
            expect(doc.Statement[3].Resource).to.deep.equal(doc.Statement[2].Resource);
        });
        it("allowAnyPrincipal drops the perimeter (an explicit widening), and refuses an organization beside it", () => {
            const doc = ecrEndpointPolicy({
                region: "us-west-2",
                accounts: ["444455556666"],
                allowAnyPrincipal: true,
            });
            expect(doc.Statement.map((s) => s.Sid)).to.deep.equal([
                "AuthorizationToken",
                "PullFromListedRegistries",
            ]);
            expect(doc.Statement.some((s) => "Condition" in s)).to.equal(false);
            expect(() =>
                ecrEndpointPolicy({
                    region: "us-west-2",
                    accounts: ["444455556666"],
                    allowAnyPrincipal: true,
                    principalOrgId: "o-abcdefghij",
                }),
            ).to.throw("`principalOrgId` has no effect with `allowAnyPrincipal`");
            expect(() =>
                ecrEndpointPolicy({
                    region: "us-west-2",
                    accounts: ["444455556666"],
                    principalOrgId: "o-ABC",
                }),
            ).to.throw('`principalOrgId`: "o-ABC" is not an AWS Organizations ID');
        });
        it("allowPush adds exactly the four push actions on the same repositories", () => {
            const doc = ecrEndpointPolicy({
                region: "ap-southeast-1",
                accounts: ["123456789012"],
                allowPush: true,
            });
            expect(doc.Statement).to.have.length(3);
            expect(doc.Statement[2]).to.deep.equal({
                Sid: "PushToListedRegistries",
                Effect: "Allow",
                Principal: "*",
                Action: PUSH,
                Resource: ["arn:aws:ecr:ap-southeast-1:123456789012:repository/*"],
                Condition: { StringEquals: { "aws:PrincipalAccount": ["123456789012"] } },
            });
        });
        it("drops duplicate accounts and sorts them, so config order causes no diff", () => {
            const a = ecrEndpointPolicy({
                region: "us-west-2",
                accounts: ["222222222222", "111111111111", "222222222222"],
            });
            const b = ecrEndpointPolicy({
                region: "us-west-2",
                accounts: ["111111111111", "222222222222"],
            });
            expect(JSON.stringify(a)).to.equal(JSON.stringify(b));
            expect(a.Statement[1].Resource).to.deep.equal([
                "arn:aws:ecr:us-west-2:111111111111:repository/*",
                "arn:aws:ecr:us-west-2:222222222222:repository/*",
            ]);
        });
        it("refuses to build a policy with no registry (it would block every pull)", () => {
            expect(() => ecrEndpointPolicy({ region: "us-west-2", accounts: [] })).to.throw(
                "`registryAccounts` must name at least one registry account",
            );
        });
        it("rejects an account that is not 12 digits", () => {
            expect(() => ecrEndpointPolicy({ region: "us-west-2", accounts: ["12345"] })).to.throw(
                '`registryAccounts`: "12345" is not a 12-digit AWS account ID',
            );
            expect(() => ecrEndpointPolicy({ region: "us-west-2", accounts: ["*"] })).to.throw(
                "12-digit",
            );
        });
        it("property: every statement allows, only for the listed accounts' principals, and push appears iff allowPush", () => {
            const account = fc.stringMatching(/^\d{12}$/);
            fc.assert(
                fc.property(
                    fc.array(account, { minLength: 1, maxLength: 8 }),
                    fc.boolean(),
                    (accounts, push) => {
                        const doc = ecrEndpointPolicy({
                            region: "eu-west-1",
                            accounts,
                            allowPush: push,
                        });
                        const actions = doc.Statement.flatMap((s) => s.Action);
                        const repos = [...new Set(accounts)]
                            .sort()
                            .map((a) => `arn:aws:ecr:eu-west-1:${a}:repository/*`);
                        expect(
                            doc.Statement.every((s) => s.Effect === "Allow" && s.Principal === "*"),
                        ).to.equal(true);
                        const principals = [...new Set(accounts)].sort();
                        for (const s of doc.Statement) {
                            expect(s.Condition).to.deep.equal({
                                StringEquals: { "aws:PrincipalAccount": principals },
                            });
                        }
                        expect(actions.filter((a) => PUSH.includes(a))).to.have.length(
                            push ? 4 : 0,
                        );
                        for (const s of doc.Statement.slice(1))
                            expect(s.Resource).to.deep.equal(repos);
                        // Only the token call, which has no resource type, is on "*".
                        expect(
                            doc.Statement.filter((s) => s.Resource === "*").map((s) => s.Action),
                        ).to.deep.equal([["ecr:GetAuthorizationToken"]]);
                    },
                ),
            );
        });
        it("exports the action lists it uses", () => {
            expect([...PULL_ACTIONS, ...DESCRIBE_ACTIONS]).to.deep.equal(PULL);
            expect([...PUSH_ACTIONS]).to.deep.equal(PUSH);
        });
    });

    describe("s3GatewayPolicy", () => {
        it("allows only s3:GetObject on the region's layer bucket, with no condition", () => {
            expect(s3GatewayPolicy({ region: "us-west-2" })).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "EcrImageLayers",
                        Effect: "Allow",
                        Principal: "*",
                        Action: ["s3:GetObject"],
                        Resource: ["arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*"],
                    },
                ],
            });
        });
        it("widens the resources (GetObject only) for s3AdditionalResources, dropping duplicates", () => {
            const doc = s3GatewayPolicy({
                region: "ap-southeast-1",
                additionalResources: [
                    "arn:aws:s3:::al2023-repos-ap-southeast-1-de612dc2/*",
                    "arn:aws:s3:::prod-ap-southeast-1-starport-layer-bucket/*",
                    "arn:aws:s3:::al2023-repos-ap-southeast-1-de612dc2/*",
                ],
            });
            expect(doc.Statement).to.deep.equal([
                {
                    Sid: "EcrImageLayers",
                    Effect: "Allow",
                    Principal: "*",
                    Action: ["s3:GetObject"],
                    Resource: ["arn:aws:s3:::prod-ap-southeast-1-starport-layer-bucket/*"],
                },
                {
                    Sid: "AdditionalObjects",
                    Effect: "Allow",
                    Principal: "*",
                    Action: ["s3:GetObject"],
                    Resource: ["arn:aws:s3:::al2023-repos-ap-southeast-1-de612dc2/*"],
                },
            ]);
        });
        it("rejects resources that are not S3 object ARNs (whole buckets, wildcards, other services)", () => {
            for (const bad of [
                "*",
                "arn:aws:s3:::*",
                "arn:aws:s3:::my-bucket",
                "arn:aws:s3:::*/*",
                "arn:aws:ecr:us-west-2:1:x/y",
            ]) {
                expect(() =>
                    s3GatewayPolicy({ region: "us-west-2", additionalResources: [bad] }),
                ).to.throw(`\`s3AdditionalResources\`: "${bad}" is not an S3 object ARN`);
            }
        });
    });
});
