import { expect } from "chai";
import {
    RegistryEndpoints,
    RegistryEndpointsArgs,
    regionalDnsEntry,
    validateRegistryEndpointsArgs,
} from "../../components/registryEndpoints";
import { policyDoc, run, TestRun } from "../helpers/run";
import { DESCRIBE, PULL as PULL_ONLY, PUSH } from "../helpers/ecrActions";

/** What the ECR endpoint policies allow for pulls: the pull actions plus read-only listing. */
const PULL = [...PULL_ONLY, ...DESCRIBE];

const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const COMPONENT = "ecr-private-access:network:RegistryEndpoints";

const OWN = "444455556666";
const VENDOR = "111122223333";

const base: RegistryEndpointsArgs = {
    vpcId: "vpc-0123456789abcdef0",
    vpcCidr: "10.20.0.0/16",
    region: "us-west-2",
    privateSubnetIds: ["subnet-a", "subnet-b"],
    privateRouteTableIds: ["rtb-a", "rtb-b"],
    interfaceServices: ["ecr.api", "ecr.dkr"],
    placement: "all-azs",
    registryAccounts: [],
};

function build(args: RegistryEndpointsArgs) {
    return () => {
        const c = new RegistryEndpoints("reg", args);
        return {
            endpointIds: c.endpointIds,
            apiDnsName: c.apiDnsName,
            dkrDnsName: c.dkrDnsName,
            apiHostedZoneId: c.apiHostedZoneId,
            dkrHostedZoneId: c.dkrHostedZoneId,
            securityGroupId: c.securityGroupId,
            s3PrefixListId: c.s3PrefixListId,
            // Undefined outputs only make the runtime warn; absent means undefined below.
            ...(c.s3InterfaceDnsName && {
                s3InterfaceDnsName: c.s3InterfaceDnsName,
                s3InterfaceHostedZoneId: c.s3InterfaceHostedZoneId,
            }),
        };
    };
}

const endpoint = (r: TestRun, suffix: string) => r.one(ENDPOINT, `reg-${suffix}`);
const serviceNames = (r: TestRun) =>
    r
        .ofType(ENDPOINT)
        .map((e) => e.inputs.serviceName)
        .sort();

describe("RegistryEndpoints", () => {
    describe("customer-like: all AZs, logs + secretsmanager, on-premises CIDRs, vendor registry", () => {
        let r: TestRun;
        before(async () => {
            r = await run(
                build({
                    ...base,
                    interfaceServices: ["ecr.api", "ecr.dkr", "logs", "secretsmanager"],
                    allowedCidrs: ["192.168.0.0/16", "172.16.0.0/12"],
                    registryAccounts: [VENDOR],
                    tags: { Project: "ecr-private-access" },
                }),
                { region: "us-west-2", account: OWN },
            );
        });

        it("creates four interface endpoints and one S3 gateway endpoint, with the region's service names", () => {
            expect(
                r
                    .ofType(ENDPOINT)
                    .map((e) => e.name)
                    .sort(),
            ).to.deep.equal([
                "reg-ecr-api",
                "reg-ecr-dkr",
                "reg-logs",
                "reg-s3",
                "reg-secretsmanager",
            ]);
            expect(serviceNames(r)).to.deep.equal([
                "com.amazonaws.us-west-2.ecr.api",
                "com.amazonaws.us-west-2.ecr.dkr",
                "com.amazonaws.us-west-2.logs",
                "com.amazonaws.us-west-2.s3",
                "com.amazonaws.us-west-2.secretsmanager",
            ]);
        });

        it("wires each interface endpoint to every private subnet, the group, private DNS on", () => {
            const sgId = r.one(SG).id;
            for (const suffix of ["ecr-api", "ecr-dkr", "logs", "secretsmanager"]) {
                const e = endpoint(r, suffix);
                expect(e.inputs.vpcEndpointType, suffix).to.equal("Interface");
                expect(e.inputs.privateDnsEnabled, suffix).to.equal(true);
                expect(e.inputs.vpcId, suffix).to.equal("vpc-0123456789abcdef0");
                expect(e.inputs.subnetIds, suffix).to.deep.equal(["subnet-a", "subnet-b"]);
                expect(e.inputs.securityGroupIds, suffix).to.deep.equal([sgId]);
                expect(e.inputs.routeTableIds, suffix).to.equal(undefined);
                expect(e.inputs.region, suffix).to.equal("us-west-2");
                expect(e.inputs.tags, suffix).to.deep.equal({
                    Project: "ecr-private-access",
                    Name: `reg-${suffix}`,
                });
            }
        });

        it("puts the S3 gateway endpoint on every private route table, with no subnets or group", () => {
            const s3 = endpoint(r, "s3");
            expect(s3.inputs.vpcEndpointType).to.equal("Gateway");
            expect(s3.inputs.routeTableIds).to.deep.equal(["rtb-a", "rtb-b"]);
            expect(s3.inputs.subnetIds).to.equal(undefined);
            expect(s3.inputs.securityGroupIds).to.equal(undefined);
            expect(s3.inputs.privateDnsEnabled).to.equal(undefined);
        });

        it("S3 policy: s3:GetObject on the layer bucket only, no condition", () => {
            const doc = policyDoc(endpoint(r, "s3").inputs.policy);
            expect(doc).to.deep.equal({
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

        it("ECR policy (same on ecr.api and ecr.dkr): token on *, pulls on the vendor's and the own account's repositories, no push", () => {
            const api = policyDoc(endpoint(r, "ecr-api").inputs.policy);
            const dkr = policyDoc(endpoint(r, "ecr-dkr").inputs.policy);
            expect(dkr).to.deep.equal(api);
            expect(api.Statement).to.have.length(2);
            const [token, pull] = api.Statement;
            // The data perimeter: the same two accounts' principals, nobody else's.
            const perimeter = {
                StringEquals: { "aws:PrincipalAccount": [VENDOR, OWN].sort() },
            };
            expect(token).to.deep.equal({
                Sid: "AuthorizationToken",
                Effect: "Allow",
                Principal: "*",
                Action: ["ecr:GetAuthorizationToken"],
                Resource: "*",
                Condition: perimeter,
            });
            expect(pull.Effect).to.equal("Allow");
            expect(pull.Principal).to.equal("*");
            expect(pull.Action).to.deep.equal(PULL);
            // The own account comes from the caller identity (the mock answers OWN).
            expect(pull.Resource).to.deep.equal([
                `arn:aws:ecr:us-west-2:${VENDOR}:repository/*`,
                `arn:aws:ecr:us-west-2:${OWN}:repository/*`,
            ]);
            const actions = api.Statement.flatMap((s) => s.Action as string[]);
            expect(actions.filter((a) => PUSH.includes(a))).to.deep.equal([]);
            expect(pull.Condition).to.deep.equal(perimeter);
        });

        it("gives logs and secretsmanager no custom policy (AWS's full-access default)", () => {
            expect(endpoint(r, "logs").inputs.policy).to.equal(undefined);
            expect(endpoint(r, "secretsmanager").inputs.policy).to.equal(undefined);
        });

        it("one security group, no inline rules, no egress rules", () => {
            const sg = r.one(SG, "reg-sg");
            expect(sg.inputs.vpcId).to.equal("vpc-0123456789abcdef0");
            expect(sg.inputs.ingress).to.equal(undefined);
            expect(sg.inputs.egress).to.equal(undefined);
            expect(sg.inputs.region).to.equal("us-west-2");
            expect(r.ofType(EGRESS)).to.have.length(0);
        });

        it("443 ingress from the VPC and each on-premises CIDR, one described rule each", () => {
            const sgId = r.one(SG).id;
            const rules = r
                .ofType(INGRESS)
                .map((x) => ({ name: x.name, ...x.inputs }))
                .sort((a, b) => a.name.localeCompare(b.name));
            const rule = (name: string, cidr: string, description: string) => ({
                name,
                securityGroupId: sgId,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: cidr,
                description,
                region: "us-west-2",
                tags: { Project: "ecr-private-access", Name: name },
            });
            expect(rules).to.deep.equal([
                rule(
                    "reg-https-172-16-0-0-12",
                    "172.16.0.0/12",
                    "HTTPS to AWS service endpoints from on-premises or peered network 172.16.0.0/12",
                ),
                rule(
                    "reg-https-192-168-0-0-16",
                    "192.168.0.0/16",
                    "HTTPS to AWS service endpoints from on-premises or peered network 192.168.0.0/16",
                ),
                rule(
                    "reg-https-vpc",
                    "10.20.0.0/16",
                    "HTTPS to AWS service endpoints from the VPC (10.20.0.0/16)",
                ),
            ]);
        });

        it("parents every child on the component", () => {
            const component = r.one(COMPONENT, "reg");
            const children = r.resources.filter(
                (x) => x.type !== COMPONENT && x.type !== "pulumi:providers:aws",
            );
            expect(children).to.have.length(5 + 1 + 3);
            for (const c of children) expect(c.parent, c.name).to.equal(component.urn);
        });

        it("outputs: IDs per service, regional DNS names and zones, group, S3 prefix list", () => {
            const o = r.outputs;
            expect(o.endpointIds).to.deep.equal({
                "ecr.api": endpoint(r, "ecr-api").id,
                "ecr.dkr": endpoint(r, "ecr-dkr").id,
                logs: endpoint(r, "logs").id,
                secretsmanager: endpoint(r, "secretsmanager").id,
                s3: endpoint(r, "s3").id,
            });
            const api = endpoint(r, "ecr-api");
            const dkr = endpoint(r, "ecr-dkr");
            const entries = (e: typeof api) =>
                e.outputs.dnsEntries as { dnsName: string; hostedZoneId: string }[];
            expect(o.apiDnsName).to.equal(entries(api)[0].dnsName);
            expect(o.apiDnsName).to.match(
                new RegExp(
                    `^${api.id}-[a-z0-9]+\\.api\\.ecr\\.us-west-2\\.vpce\\.amazonaws\\.com$`,
                ),
            );
            expect(o.dkrDnsName).to.equal(entries(dkr)[0].dnsName);
            expect(o.dkrDnsName).to.match(
                new RegExp(
                    `^${dkr.id}-[a-z0-9]+\\.dkr\\.ecr\\.us-west-2\\.vpce\\.amazonaws\\.com$`,
                ),
            );
            expect(o.apiHostedZoneId).to.equal(entries(api)[0].hostedZoneId);
            expect(o.dkrHostedZoneId).to.equal(entries(dkr)[0].hostedZoneId);
            expect(o.securityGroupId).to.equal(r.one(SG).id);
            expect(o.s3PrefixListId).to.equal(endpoint(r, "s3").outputs.prefixListId);
            expect(o.s3PrefixListId).to.match(/^pl-[0-9a-f]{8}$/);
        });

        it("without s3Interface: no S3 interface endpoint and no S3 interface outputs", () => {
            expect(
                r
                    .ofType(ENDPOINT)
                    .filter((e) => e.inputs.serviceName === "com.amazonaws.us-west-2.s3"),
            ).to.have.length(1);
            expect(r.outputs.s3InterfaceDnsName).to.equal(undefined);
            expect(r.outputs.s3InterfaceHostedZoneId).to.equal(undefined);
        });
    });

    describe("s3Interface: an S3 interface endpoint for peered and on-premises clients", () => {
        let r: TestRun;
        const extra = "arn:aws:s3:::al2023-repos-ap-southeast-1-de612dc2/*";
        before(async () => {
            r = await run(
                build({
                    ...base,
                    region: "ap-southeast-1",
                    vpcCidr: "10.0.0.0/16",
                    privateSubnetIds: ["subnet-1", "subnet-2"],
                    privateRouteTableIds: ["rtb-1", "rtb-2"],
                    placement: "single-az",
                    allowedCidrs: ["10.100.0.0/16"],
                    accountId: "777788889999",
                    allowPush: true,
                    s3AdditionalResources: [extra],
                    s3Interface: true,
                    tags: { Project: "p" },
                }),
                { region: "ap-southeast-1", account: "777788889999" },
            );
        });

        it("adds exactly one endpoint: Interface com.amazonaws.<region>.s3, private DNS off", () => {
            expect(
                r
                    .ofType(ENDPOINT)
                    .map((e) => e.name)
                    .sort(),
            ).to.deep.equal(["reg-ecr-api", "reg-ecr-dkr", "reg-s3", "reg-s3-interface"]);
            const sgId = r.one(SG).id;
            const e = endpoint(r, "s3-interface");
            expect(e.inputs).to.deep.equal({
                vpcId: "vpc-0123456789abcdef0",
                serviceName: "com.amazonaws.ap-southeast-1.s3",
                vpcEndpointType: "Interface",
                privateDnsEnabled: false,
                subnetIds: ["subnet-1"],
                securityGroupIds: [sgId],
                policy: endpoint(r, "s3").inputs.policy,
                region: "ap-southeast-1",
                tags: { Project: "p", Name: "reg-s3-interface" },
            });
            expect(e.parent).to.equal(r.one(COMPONENT).urn);
        });

        it("has the gateway endpoint's policy: GetObject on the layer bucket and the extras only", () => {
            expect(policyDoc(endpoint(r, "s3-interface").inputs.policy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
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
                        Resource: [extra],
                    },
                ],
            });
        });

        it("leaves the gateway endpoint, the group and its rules as they were", () => {
            const s3 = endpoint(r, "s3");
            expect(s3.inputs.vpcEndpointType).to.equal("Gateway");
            expect(s3.inputs.routeTableIds).to.deep.equal(["rtb-1", "rtb-2"]);
            expect(r.ofType(SG)).to.have.length(1);
            expect(
                r
                    .ofType(INGRESS)
                    .map((i) => i.inputs.cidrIpv4)
                    .sort(),
            ).to.deep.equal(["10.0.0.0/16", "10.100.0.0/16"]);
        });

        it("outputs the regional wildcard DNS entry and its zone, and the endpoint ID", () => {
            const e = endpoint(r, "s3-interface");
            const entries = e.outputs.dnsEntries as { dnsName: string; hostedZoneId: string }[];
            expect(r.outputs.s3InterfaceDnsName).to.equal(entries[0].dnsName);
            expect(r.outputs.s3InterfaceDnsName).to.match(
                new RegExp(
                    `^\\*\\.${e.id}-[a-z0-9]+\\.s3\\.ap-southeast-1\\.vpce\\.amazonaws\\.com$`,
                ),
            );
            expect(r.outputs.s3InterfaceHostedZoneId).to.equal(entries[0].hostedZoneId);
            expect((r.outputs.endpointIds as Record<string, string>)["s3-interface"]).to.equal(
                e.id,
            );
        });
    });

    describe("developer setup: single AZ, VPC in ap-southeast-1 (stack in us-east-1), push allowed", () => {
        let r: TestRun;
        before(async () => {
            r = await run(
                build({
                    ...base,
                    region: "ap-southeast-1",
                    privateSubnetIds: ["subnet-1", "subnet-2", "subnet-3"],
                    privateRouteTableIds: ["rtb-1", "rtb-2", "rtb-3"],
                    placement: "single-az",
                    accountId: "999988887777",
                    registryAccounts: ["999988887777"],
                    allowPush: true,
                }),
                { region: "us-east-1", account: OWN },
            );
        });

        it("only ecr.api, ecr.dkr and s3, named for ap-southeast-1", () => {
            expect(serviceNames(r)).to.deep.equal([
                "com.amazonaws.ap-southeast-1.ecr.api",
                "com.amazonaws.ap-southeast-1.ecr.dkr",
                "com.amazonaws.ap-southeast-1.s3",
            ]);
        });

        it("passes region ap-southeast-1 to every child", () => {
            const children = r.resources.filter(
                (x) => x.type.startsWith("aws:") && !x.type.startsWith("pulumi:"),
            );
            expect(children).to.have.length(3 + 1 + 1);
            for (const c of children) expect(c.inputs.region, c.name).to.equal("ap-southeast-1");
        });

        it("puts interface endpoints in the first private subnet only, the gateway on every route table", () => {
            expect(endpoint(r, "ecr-api").inputs.subnetIds).to.deep.equal(["subnet-1"]);
            expect(endpoint(r, "ecr-dkr").inputs.subnetIds).to.deep.equal(["subnet-1"]);
            expect(endpoint(r, "s3").inputs.routeTableIds).to.deep.equal([
                "rtb-1",
                "rtb-2",
                "rtb-3",
            ]);
        });

        it("ECR policy: the given account once (not the caller's), with push actions", () => {
            const doc = policyDoc(endpoint(r, "ecr-dkr").inputs.policy);
            expect(doc.Statement.map((s) => s.Sid)).to.deep.equal([
                "AuthorizationToken",
                "PullFromListedRegistries",
                "PushToListedRegistries",
            ]);
            const repos = ["arn:aws:ecr:ap-southeast-1:999988887777:repository/*"];
            expect(doc.Statement[1].Resource).to.deep.equal(repos);
            expect(doc.Statement[2]).to.deep.equal({
                Sid: "PushToListedRegistries",
                Effect: "Allow",
                Principal: "*",
                Action: PUSH,
                Resource: repos,
                Condition: { StringEquals: { "aws:PrincipalAccount": ["999988887777"] } },
            });
        });

        it("S3 policy names the ap-southeast-1 layer bucket", () => {
            expect(policyDoc(endpoint(r, "s3").inputs.policy).Statement[0].Resource).to.deep.equal([
                "arn:aws:s3:::prod-ap-southeast-1-starport-layer-bucket/*",
            ]);
        });

        it("only the VPC ingress rule when no other CIDR is listed", () => {
            const rules = r.ofType(INGRESS);
            expect(rules).to.have.length(1);
            expect(rules[0].inputs.cidrIpv4).to.equal("10.20.0.0/16");
            expect(rules[0].inputs.fromPort).to.equal(443);
            expect(rules[0].inputs.toPort).to.equal(443);
        });

        it("DNS outputs are ap-southeast-1 regional names of the single-AZ endpoints", () => {
            expect(r.outputs.apiDnsName).to.match(
                /^vpce-[0-9a-f]+-[a-z0-9]+\.api\.ecr\.ap-southeast-1\.vpce\.amazonaws\.com$/,
            );
            expect(r.outputs.dkrDnsName).to.match(
                /^vpce-[0-9a-f]+-[a-z0-9]+\.dkr\.ecr\.ap-southeast-1\.vpce\.amazonaws\.com$/,
            );
            expect(Object.keys(r.outputs.endpointIds as object).sort()).to.deep.equal([
                "ecr.api",
                "ecr.dkr",
                "s3",
            ]);
        });
    });

    describe("EC2 launch type: ecs endpoints, ssm, extra S3 objects, world ingress opted in", () => {
        let r: TestRun;
        before(async () => {
            r = await run(
                build({
                    ...base,
                    interfaceServices: [
                        "ecr.api",
                        "ecr.dkr",
                        "logs",
                        "ssm",
                        "ecs",
                        "ecs-agent",
                        "ecs-telemetry",
                    ],
                    allowedCidrs: ["0.0.0.0/0"],
                    allowWorldIngress: true,
                    registryAccounts: [VENDOR, OWN],
                    s3AdditionalResources: ["arn:aws:s3:::amazonlinux-2-repos-us-west-2/*"],
                    principalOrgId: "o-exampleorg1",
                }),
                { region: "us-west-2", account: OWN },
            );
        });

        it("creates ecs, ecs-agent, ecs-telemetry and ssm interface endpoints, no secretsmanager", () => {
            expect(serviceNames(r)).to.deep.equal([
                "com.amazonaws.us-west-2.ecr.api",
                "com.amazonaws.us-west-2.ecr.dkr",
                "com.amazonaws.us-west-2.ecs",
                "com.amazonaws.us-west-2.ecs-agent",
                "com.amazonaws.us-west-2.ecs-telemetry",
                "com.amazonaws.us-west-2.logs",
                "com.amazonaws.us-west-2.s3",
                "com.amazonaws.us-west-2.ssm",
            ]);
            for (const suffix of ["ecs", "ecs-agent", "ecs-telemetry", "ssm"]) {
                const e = endpoint(r, suffix);
                expect(e.inputs.vpcEndpointType).to.equal("Interface");
                expect(e.inputs.privateDnsEnabled).to.equal(true);
                expect(e.inputs.subnetIds).to.deep.equal(["subnet-a", "subnet-b"]);
                expect(e.inputs.policy).to.equal(undefined);
            }
        });

        it("ECR policy lists each account once, no push; the organization's principals get their own statements", () => {
            const doc = policyDoc(endpoint(r, "ecr-api").inputs.policy);
            expect(doc.Statement.map((s) => [s.Sid, s.Condition])).to.deep.equal([
                ["AuthorizationToken", { StringEquals: { "aws:PrincipalAccount": [VENDOR, OWN] } }],
                [
                    "AuthorizationTokenOrganization",
                    { StringEquals: { "aws:PrincipalOrgID": "o-exampleorg1" } },
                ],
                [
                    "PullFromListedRegistries",
                    { StringEquals: { "aws:PrincipalAccount": [VENDOR, OWN] } },
                ],
                [
                    "PullFromListedRegistriesOrganization",
                    { StringEquals: { "aws:PrincipalOrgID": "o-exampleorg1" } },
                ],
            ]);
            for (const i of [2, 3]) {
                expect(doc.Statement[i].Resource).to.deep.equal([
                    `arn:aws:ecr:us-west-2:${VENDOR}:repository/*`,
                    `arn:aws:ecr:us-west-2:${OWN}:repository/*`,
                ]);
            }
        });

        it("S3 policy adds the extra objects as s3:GetObject only", () => {
            const doc = policyDoc(endpoint(r, "s3").inputs.policy);
            expect(doc.Statement).to.have.length(2);
            expect(doc.Statement[1]).to.deep.equal({
                Sid: "AdditionalObjects",
                Effect: "Allow",
                Principal: "*",
                Action: ["s3:GetObject"],
                Resource: ["arn:aws:s3:::amazonlinux-2-repos-us-west-2/*"],
            });
        });

        it("the opted-in world rule says so in its description", () => {
            const world = r.one(INGRESS, "reg-https-0-0-0-0-0");
            expect(world.inputs.cidrIpv4).to.equal("0.0.0.0/0");
            expect(world.inputs.description).to.equal(
                "HTTPS to AWS service endpoints from anywhere (allowWorldIngress)",
            );
            expect(r.ofType(INGRESS)).to.have.length(2);
        });
    });

    describe("optional services one at a time", () => {
        for (const extra of [[], ["logs"], ["secretsmanager"], ["logs", "secretsmanager"]]) {
            it(`ecr.api + ecr.dkr + [${extra.join(", ")}]`, async () => {
                const r = await run(
                    build({ ...base, interfaceServices: ["ecr.api", "ecr.dkr", ...extra] }),
                );
                const interfaces = r
                    .ofType(ENDPOINT)
                    .filter((e) => e.inputs.vpcEndpointType === "Interface");
                expect(interfaces.map((e) => e.inputs.serviceName).sort()).to.deep.equal(
                    ["ecr.api", "ecr.dkr", ...extra]
                        .map((s) => `com.amazonaws.us-west-2.${s}`)
                        .sort(),
                );
                expect(
                    r.ofType(ENDPOINT).filter((e) => e.inputs.vpcEndpointType === "Gateway"),
                ).to.have.length(1);
            });
        }
    });

    describe("bad arguments fail before any resource, naming the argument", () => {
        const bad: [string, Partial<RegistryEndpointsArgs>, string][] = [
            [
                "a CIDR that is not a CIDR",
                { allowedCidrs: ["192.168.1.0/33"] },
                '`allowedCidrs`: "192.168.1.0/33" is not an IPv4 CIDR block',
            ],
            [
                "a host address",
                { allowedCidrs: ["192.168.1.7/24"] },
                '`allowedCidrs`: "192.168.1.7/24" has host bits set; did you mean 192.168.1.0/24?',
            ],
            [
                "a bare IP",
                { allowedCidrs: ["192.168.1.7"] },
                '`allowedCidrs`: "192.168.1.7" is not an IPv4 CIDR block',
            ],
            [
                "0.0.0.0/0 without the opt-in",
                { allowedCidrs: ["0.0.0.0/0"] },
                "`allowedCidrs`: 0.0.0.0/0 would open the endpoints to every network; set `allowWorldIngress` to accept that",
            ],
            [
                "0.0.0.0/0 with allowWorldIngress false",
                { allowedCidrs: ["0.0.0.0/0"], allowWorldIngress: false },
                "set `allowWorldIngress`",
            ],
            [
                "a CIDR inside the VPC",
                { allowedCidrs: ["10.20.1.0/24"] },
                "`allowedCidrs`: 10.20.1.0/24 overlaps `vpcCidr` 10.20.0.0/16",
            ],
            [
                "a CIDR listed twice",
                { allowedCidrs: ["192.168.0.0/16", "192.168.0.0/16"] },
                "`allowedCidrs`: 192.168.0.0/16 is listed twice",
            ],
            [
                "an unknown service",
                { interfaceServices: ["ecr.api", "ecr.dkr", "ec2messages"] },
                '`interfaceServices`: unknown service "ec2messages" (known: ecr.api, ecr.dkr, logs, secretsmanager, ssm, ecs, ecs-agent, ecs-telemetry)',
            ],
            [
                "s3 as an interface service",
                { interfaceServices: ["ecr.api", "ecr.dkr", "s3"] },
                "the S3 gateway endpoint is always created, and `s3Interface` adds an interface one",
            ],
            [
                "ecr.dkr missing",
                { interfaceServices: ["ecr.api", "logs"] },
                '`interfaceServices` must include "ecr.dkr"',
            ],
            [
                "a service twice",
                { interfaceServices: ["ecr.api", "ecr.dkr", "logs", "logs"] },
                '`interfaceServices`: "logs" is listed twice',
            ],
            [
                "an unknown region",
                { region: "us-west-9" },
                '`region`: "us-west-9" is not a known commercial AWS region',
            ],
            [
                "a bad VPC CIDR",
                { vpcCidr: "10.20.0.0" },
                '`vpcCidr`: "10.20.0.0" is not an IPv4 CIDR block',
            ],
            [
                "no subnets",
                { privateSubnetIds: [] },
                "`privateSubnetIds` must name at least one subnet",
            ],
            [
                "no route tables",
                { privateRouteTableIds: [] },
                "`privateRouteTableIds` must name at least one route table",
            ],
            [
                "a bad placement",
                { placement: "two-az" as never },
                '`placement` must be "all-azs" or "single-az", not "two-az"',
            ],
            [
                "a bad account",
                { registryAccounts: ["1111-2222-3333"] },
                '`registryAccounts`: "1111-2222-3333" is not a 12-digit AWS account ID',
            ],
            [
                "a bad organization ID",
                { principalOrgId: "org-1" },
                '`principalOrgId`: "org-1" is not an AWS Organizations ID (o-xxxxxxxxxx)',
            ],
            [
                "an organization beside allowAnyPrincipal",
                { principalOrgId: "o-exampleorg1", allowAnyPrincipal: true },
                "`principalOrgId` has no effect with `allowAnyPrincipal`",
            ],
        ];
        for (const [what, patch, message] of bad) {
            it(what, () => {
                expect(() => validateRegistryEndpointsArgs({ ...base, ...patch })).to.throw(
                    message,
                );
            });
        }

        it("the constructor throws the same error", async () => {
            let error: Error | undefined;
            let r: TestRun | undefined;
            try {
                r = await run(build({ ...base, allowedCidrs: ["0.0.0.0/0"] }));
            } catch (e) {
                error = e as Error;
            }
            expect(r).to.equal(undefined);
            expect(error?.message).to.contain(
                "`allowedCidrs`: 0.0.0.0/0 would open the endpoints to every network",
            );
        });

        it("a bad s3AdditionalResources entry names the argument", () => {
            expect(() =>
                validateRegistryEndpointsArgs({
                    ...base,
                    s3AdditionalResources: ["arn:aws:s3:::*"],
                }),
            ).to.throw('`s3AdditionalResources`: "arn:aws:s3:::*" is not an S3 object ARN');
        });
    });

    describe("regionalDnsEntry", () => {
        const zone = "Z1HUB23UULQXV";
        const regional = {
            dnsName: "vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.ap-southeast-1.vpce.amazonaws.com",
            hostedZoneId: zone,
        };
        const zonal = {
            dnsName:
                "vpce-0a771b3bbcbe107f4-6mennhxj-ap-southeast-1a.api.ecr.ap-southeast-1.vpce.amazonaws.com",
            hostedZoneId: zone,
        };
        const privateName = {
            dnsName: "api.ecr.ap-southeast-1.amazonaws.com",
            hostedZoneId: "ZPRIVATE",
        };
        it("picks the regional entry wherever AWS lists it", () => {
            expect(regionalDnsEntry([regional, zonal, privateName])).to.equal(regional);
            expect(regionalDnsEntry([privateName, zonal, regional])).to.equal(regional);
        });
        it("picks S3's regional wildcard entry, not a zonal one", () => {
            const s3Regional = {
                dnsName: "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com",
                hostedZoneId: zone,
            };
            const s3Zonal = {
                dnsName:
                    "*.vpce-0f1e2d3c4b5a69788-abcd1234-ap-southeast-1a.s3.ap-southeast-1.vpce.amazonaws.com",
                hostedZoneId: zone,
            };
            expect(regionalDnsEntry([s3Zonal, s3Regional])).to.equal(s3Regional);
        });
        it("falls back to the first entry, and fails on none", () => {
            expect(regionalDnsEntry([privateName])).to.equal(privateName);
            expect(() => regionalDnsEntry([])).to.throw(
                "the interface endpoint has no DNS entries",
            );
        });
    });
});
