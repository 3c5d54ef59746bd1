import * as aws from "@pulumi/aws";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { expect } from "chai";
import { EcrPrivateDns } from "../../components/ecrPrivateDns";
import { PrivateNetwork } from "../../components/privateNetwork";
import { SimulatedIdc, SimulatedIdcArgs } from "../../components/simulatedIdc";
import {
    al2023RepoEndpointPolicy,
    connectCommand,
    doctorCommand,
    hostEcrPolicy,
    hostUserData,
    parseRepositoryArn,
    pushCommands,
    registryHost,
    validateIdcNetwork,
} from "../../src/idc/host";
import { mockCloud } from "../../tools/mockCloud";
import { Registration, recordRegistrations } from "../helpers/registrations";
import { policyDoc, run, TestRun } from "../helpers/run";

const ACCOUNT = "444455556666";
const CLOUD = "ap-southeast-1";
const IDC = "ap-northeast-1";
const REPO_ARN = `arn:aws:ecr:${CLOUD}:${ACCOUNT}:repository/idc-demo/hello`;
const OTHER_ARN = `arn:aws:ecr:${CLOUD}:${ACCOUNT}:repository/idc-demo/other`;
/** The host's policy grants a namespace as one pattern (its size must not grow per repository). */
const NS_PATTERN = `arn:aws:ecr:${CLOUD}:${ACCOUNT}:repository/idc-demo/*`;
const REGISTRY = `${ACCOUNT}.dkr.ecr.${CLOUD}.amazonaws.com`;

const T = {
    route: "aws:ec2/route:Route",
    routeTable: "aws:ec2/routeTable:RouteTable",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    peering: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    accepter: "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    instance: "aws:ec2/instance:Instance",
    eice: "aws:ec2transitgateway/instanceConnectEndpoint:InstanceConnectEndpoint",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    profile: "aws:iam/instanceProfile:InstanceProfile",
    zone: "aws:route53/zone:Zone",
};

// The mock monitor does not record invokes; watch them to check the AMI lookup.
interface Invoke {
    token: string;
    inputs: Record<string, unknown>;
}
let invokes: Invoke[] = [];
const originalInvoke = MockMonitor.prototype.invoke;
function watchInvokes(): void {
    MockMonitor.prototype.invoke = function (this: MockMonitor, req: any, callback: any) {
        invokes.push({ token: req.getTok(), inputs: req.getArgs().toJavaScript() });
        return originalInvoke.call(this, req, callback);
    };
}
function unwatchInvokes(): void {
    MockMonitor.prototype.invoke = originalInvoke;
}

/** The idc-sim shape: a two-AZ cloud network, one repository, the IDC and the DNS zones. */
function program(over: Partial<SimulatedIdcArgs> = {}) {
    return () => {
        const cloud = new PrivateNetwork("cloud", {
            cidr: "10.0.0.0/16",
            availabilityZones: [`${CLOUD}a`, `${CLOUD}b`],
            subnetPrefixLength: 20,
        });
        const repo = new aws.ecr.Repository("hello", { name: "idc-demo/hello" });
        const idc = new SimulatedIdc("idc", {
            region: IDC,
            cidr: "10.100.0.0/16",
            cloud: {
                vpcId: cloud.vpcId,
                cidr: cloud.cidr,
                region: CLOUD,
                privateRouteTableIds: cloud.privateRouteTableIds,
            },
            repositoryArns: [repo.arn],
            dnsLayout: "exact",
            ...over,
        });
        const dns = new EcrPrivateDns("dns", {
            region: CLOUD,
            apiDnsName: `vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.${CLOUD}.vpce.amazonaws.com`,
            apiHostedZoneId: "Z18LLCSTV4NVNL",
            dkrDnsName: `vpce-0424acc787dd05730-ypo3xc68.dkr.ecr.${CLOUD}.vpce.amazonaws.com`,
            dkrHostedZoneId: "Z18LLCSTV4NVNL",
            associations: [{ vpcId: idc.vpcId, vpcRegion: idc.region }],
            endpointVpcId: cloud.vpcId,
        });
        return {
            hostInstanceId: idc.hostInstanceId,
            connectCommand: idc.connectCommand,
            pushCommands: idc.pushCommands,
            doctorCommand: idc.doctorCommand,
            cachePullCommands: idc.cachePullCommands,
            cacheDoctorCommand: idc.cacheDoctorCommand,
            registry: idc.registry,
            idcVpcId: idc.vpcId,
            peeringConnectionId: idc.peeringConnectionId,
            zoneIds: dns.zoneIds,
        };
    };
}

describe("SimulatedIdc", () => {
    describe("the idc-sim shape (cloud in ap-southeast-1, IDC in ap-northeast-1)", () => {
        let r: TestRun;
        let ami: Invoke[];
        before(async () => {
            invokes = [];
            watchInvokes();
            try {
                r = await run(program(), { region: CLOUD, account: ACCOUNT });
            } finally {
                unwatchInvokes();
            }
            ami = invokes.filter((i) => i.token === "aws:ec2/getAmi:getAmi");
        });

        const idcVpc = () => r.one(T.vpc, "idc-net");
        const cloudVpc = () => r.one(T.vpc, "cloud");
        const idcTable = () => r.one(T.routeTable, "idc-net-private-0");
        const pcx = () => r.one(T.peering, "idc-peering");

        it("builds the IDC VPC and its one private subnet in the IDC region", () => {
            expect(idcVpc().inputs).to.include({
                cidrBlock: "10.100.0.0/16",
                region: IDC,
                enableDnsSupport: true,
            });
            const subnets = r.ofType(T.subnet).filter((s) => s.inputs.vpcId === idcVpc().id);
            expect(subnets).to.have.length(1);
            expect(subnets[0].inputs).to.include({
                cidrBlock: "10.100.0.0/20",
                availabilityZone: `${IDC}a`,
                mapPublicIpOnLaunch: false,
                region: IDC,
            });
            expect(idcTable().inputs).to.include({ vpcId: idcVpc().id, region: IDC });
        });

        it("requests the peering in the cloud region and accepts it in the IDC region", () => {
            expect(pcx().inputs).to.deep.equal({
                vpcId: cloudVpc().id,
                peerVpcId: idcVpc().id,
                peerRegion: IDC,
                autoAccept: false,
                region: CLOUD,
                tags: { Name: "idc-peering" },
            });
            expect(r.one(T.accepter, "idc-peering-accepter").inputs).to.deep.equal({
                vpcPeeringConnectionId: pcx().id,
                autoAccept: true,
                region: IDC,
                tags: { Name: "idc-peering" },
            });
            expect(r.outputs.peeringConnectionId).to.equal(pcx().id);
        });

        it("routes exactly the other side's CIDR over the peering, from every cloud private table and the IDC table", () => {
            const routes = r.ofType(T.route).map((x) => x.inputs);
            const cloudTables = r
                .ofType(T.routeTable)
                .filter((t) => t.inputs.vpcId === cloudVpc().id)
                .map((t) => t.id);
            expect(cloudTables).to.have.length(2);
            expect(routes).to.have.deep.members([
                ...cloudTables.map((rt) => ({
                    routeTableId: rt,
                    destinationCidrBlock: "10.100.0.0/16",
                    vpcPeeringConnectionId: pcx().id,
                    region: CLOUD,
                })),
                {
                    routeTableId: idcTable().id,
                    destinationCidrBlock: "10.0.0.0/16",
                    vpcPeeringConnectionId: pcx().id,
                    region: IDC,
                },
            ]);
            expect(routes).to.have.length(3);
        });

        it("gives the IDC no way to the internet: no 0.0.0.0/0 route, no gateway, no inline routes", () => {
            for (const route of r.ofType(T.route)) {
                expect(route.inputs.destinationCidrBlock).to.not.equal("0.0.0.0/0");
                expect(route.inputs).to.not.have.any.keys(
                    "destinationIpv6CidrBlock",
                    "gatewayId",
                    "natGatewayId",
                    "egressOnlyGatewayId",
                    "transitGatewayId",
                );
            }
            for (const table of r.ofType(T.routeTable)) {
                expect(table.inputs).to.not.have.property("routes");
            }
            expect(r.ofType("aws:ec2/internetGateway:InternetGateway")).to.have.length(0);
            expect(r.ofType("aws:ec2/natGateway:NatGateway")).to.have.length(0);
            expect(
                r.ofType("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"),
            ).to.have.length(0);
        });

        it("adds an S3 gateway endpoint that reads the AL2023 package repositories and nothing else", () => {
            const ep = r.one(T.endpoint, "idc-al2023-repos");
            expect(ep.inputs).to.deep.include({
                vpcId: idcVpc().id,
                serviceName: `com.amazonaws.${IDC}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: [idcTable().id],
                region: IDC,
            });
            expect(policyDoc(ep.inputs.policy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "Al2023PackageRepositories",
                        Effect: "Allow",
                        Principal: "*",
                        Action: "s3:GetObject",
                        Resource: `arn:aws:s3:::al2023-repos-${IDC}-de612dc2/*`,
                    },
                ],
            });
            expect(r.ofType(T.endpoint)).to.have.length(1);
        });

        it("looks up the current AL2023 AMI in the IDC region and boots the host from it", () => {
            expect(ami).to.have.length(1);
            expect(ami[0].inputs).to.deep.equal({
                owners: ["amazon"],
                mostRecent: true,
                filters: [
                    { name: "name", values: ["al2023-ami-2023.*-x86_64"] },
                    { name: "architecture", values: ["x86_64"] },
                    { name: "state", values: ["available"] },
                ],
                region: IDC,
            });
            const expected = (
                mockCloud({ account: ACCOUNT, region: CLOUD, stack: "test" }).call({
                    token: "aws:ec2/getAmi:getAmi",
                    inputs: { region: IDC },
                    provider: "",
                }) as { id: string }
            ).id;
            expect(r.one(T.instance).inputs.ami).to.equal(expected);
        });

        it("runs the host with no public IP, IMDSv2 only (hop limit 1), an encrypted root volume and Docker user data", () => {
            const host = r.one(T.instance, "idc-host");
            const subnet = r.ofType(T.subnet).find((s) => s.inputs.vpcId === idcVpc().id)!;
            expect(host.inputs).to.deep.include({
                instanceType: "t3.micro",
                subnetId: subnet.id,
                availabilityZone: `${IDC}a`,
                vpcSecurityGroupIds: [r.one(T.sg, "idc-host").id],
                associatePublicIpAddress: false,
                iamInstanceProfile: r.one(T.profile, "idc-host").id,
                userData: hostUserData(),
                userDataReplaceOnChange: true,
                region: IDC,
            });
            expect(host.inputs.metadataOptions).to.deep.equal({
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
            });
            expect(host.inputs.rootBlockDevice).to.deep.equal({
                encrypted: true,
                volumeType: "gp3",
                deleteOnTermination: true,
            });
            expect(host.inputs).to.not.have.property("keyName");
        });

        it("lets the host's role be assumed by EC2 only, with a login token and push/pull on the stack's namespace", () => {
            const role = r.one(T.role, "idc-host");
            expect(policyDoc(role.inputs.assumeRolePolicy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { Service: "ec2.amazonaws.com" },
                        Action: "sts:AssumeRole",
                    },
                ],
            });
            const policy = r.one(T.rolePolicy, "idc-host-ecr");
            expect(policy.inputs.role).to.equal(role.id);
            expect(policyDoc(policy.inputs.policy)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "EcrLogin",
                        Effect: "Allow",
                        Action: "ecr:GetAuthorizationToken",
                        Resource: "*",
                    },
                    {
                        Sid: "PushPullStackRepositories",
                        Effect: "Allow",
                        Action: [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:BatchGetImage",
                            "ecr:CompleteLayerUpload",
                            "ecr:GetDownloadUrlForLayer",
                            "ecr:InitiateLayerUpload",
                            "ecr:PutImage",
                            "ecr:UploadLayerPart",
                        ],
                        Resource: [NS_PATTERN],
                    },
                ],
            });
            expect(r.one(T.profile, "idc-host").inputs.role).to.equal(role.id);
            for (const t of [T.role, T.rolePolicy, T.profile]) {
                for (const res of r.ofType(t)) expect(res.inputs).to.not.have.property("region");
            }
            expect(r.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
        });

        it("puts the Instance Connect Endpoint in the IDC subnet with its own security group", () => {
            const subnet = r.ofType(T.subnet).find((s) => s.inputs.vpcId === idcVpc().id)!;
            expect(r.one(T.eice, "idc-eice").inputs).to.deep.equal({
                subnetId: subnet.id,
                securityGroupIds: [r.one(T.sg, "idc-eice").id],
                preserveClientIp: false,
                region: IDC,
                tags: { Name: "idc-eice" },
            });
        });

        it("opens SSH only from the endpoint to the host, and the host only to the cloud CIDR and the S3 prefix list on 443", () => {
            const hostSg = r.one(T.sg, "idc-host");
            const eiceSg = r.one(T.sg, "idc-eice");
            for (const sg of [hostSg, eiceSg]) {
                expect(sg.inputs).to.include({ vpcId: idcVpc().id, region: IDC });
                expect(sg.inputs).to.not.have.any.keys("ingress", "egress");
            }
            const strip = (x: Record<string, unknown>) => {
                const { description, ...rest } = x;
                expect(description).to.be.a("string").and.not.equal("");
                return rest;
            };
            expect(r.ofType(T.ingress).map((x) => strip(x.inputs))).to.deep.equal([
                {
                    securityGroupId: hostSg.id,
                    ipProtocol: "tcp",
                    fromPort: 22,
                    toPort: 22,
                    referencedSecurityGroupId: eiceSg.id,
                    region: IDC,
                },
            ]);
            const s3 = r.one(T.endpoint, "idc-al2023-repos").outputs.prefixListId;
            expect(s3).to.match(/^pl-[0-9a-f]{8}$/);
            expect(r.ofType(T.egress).map((x) => strip(x.inputs))).to.have.deep.members([
                {
                    securityGroupId: hostSg.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrIpv4: "10.0.0.0/16",
                    region: IDC,
                },
                {
                    securityGroupId: hostSg.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    prefixListId: s3,
                    region: IDC,
                },
                {
                    securityGroupId: eiceSg.id,
                    ipProtocol: "tcp",
                    fromPort: 22,
                    toPort: 22,
                    referencedSecurityGroupId: hostSg.id,
                    region: IDC,
                },
            ]);
            expect(r.ofType(T.egress)).to.have.length(3);
        });

        it("associates the ECR zones with the IDC VPC in the IDC region", () => {
            const zones = r.ofType(T.zone);
            expect(zones.map((z) => z.inputs.name)).to.deep.equal([
                `api.ecr.${CLOUD}.amazonaws.com`,
                `dkr.ecr.${CLOUD}.amazonaws.com`,
            ]);
            for (const z of zones)
                expect(z.inputs.vpcs).to.deep.equal([{ vpcId: idcVpc().id, vpcRegion: IDC }]);
        });

        it("outputs the connect, push and doctor commands for the real registry", () => {
            const id = r.one(T.instance, "idc-host").id;
            expect(r.outputs.hostInstanceId).to.equal(id);
            expect(r.outputs.connectCommand).to.equal(
                `aws ec2-instance-connect ssh --instance-id ${id} --region ${IDC} --connection-type eice`,
            );
            expect(r.outputs.registry).to.equal(REGISTRY);
            expect(r.outputs.pushCommands).to.deep.equal([
                "TAG=idc-$(date -u +%Y%m%d%H%M%S)",
                `aws ecr get-login-password --region ${CLOUD} | docker login --username AWS --password-stdin ${REGISTRY}`,
                'echo "pushed from the simulated IDC" > hello.txt && tar -cf - hello.txt | docker import - ecrtest:"$TAG"',
                `docker tag ecrtest:"$TAG" ${REGISTRY}/idc-demo/hello:"$TAG"`,
                `docker push ${REGISTRY}/idc-demo/hello:"$TAG"`,
            ]);
            expect(r.outputs.doctorCommand).to.equal(
                `npm run doctor -- --registry ${REGISTRY} --allow-alias`,
            );
        });

        it("parents every child to the component", () => {
            const component = r.one("ecr-private-access:idc:SimulatedIdc", "idc");
            const own = r.resources.filter((x) => x.name.startsWith("idc-"));
            expect(own.length).to.be.greaterThan(15);
            const urns = new Set(
                r.resources.filter((x) => x.name.startsWith("idc")).map((x) => x.urn),
            );
            for (const res of own) expect(urns.has(res.parent as string), res.name).to.equal(true);
            expect(
                own.filter((x) => x.parent === component.urn).map((x) => x.name),
            ).to.include.members(["idc-net", "idc-peering", "idc-host", "idc-eice"]);
        });
    });

    describe("the host across runs", () => {
        const hostOf = (seen: Registration[]) => seen.find((x) => x.type === T.instance)!;

        it("keeps the host when a newer AMI appears (ignoreChanges on ami) and waits for its egress rules and package route", async () => {
            let r: TestRun | undefined;
            const seen = await recordRegistrations(async () => {
                r = await run(program(), { region: CLOUD, account: ACCOUNT });
            });
            const host = hostOf(seen);
            expect(host.ignoreChanges).to.deep.equal(["ami"]);
            const urnOf = (type: string, name: string) => r!.one(type, name).urn;
            expect(host.dependencies).to.include.members([
                urnOf(T.endpoint, "idc-al2023-repos"),
                urnOf(T.egress, "idc-host-to-al2023-repos"),
                urnOf(T.egress, "idc-host-to-endpoints"),
            ]);
        });

        it("boots a pinned AMI without looking one up, and lets a new pin replace the host", async () => {
            invokes = [];
            watchInvokes();
            let r: TestRun | undefined;
            let seen: Registration[];
            try {
                seen = await recordRegistrations(async () => {
                    r = await run(program({ amiId: "ami-0123456789abcdef0" }), {
                        region: CLOUD,
                        account: ACCOUNT,
                    });
                });
            } finally {
                unwatchInvokes();
            }
            expect(invokes.filter((i) => i.token === "aws:ec2/getAmi:getAmi")).to.have.length(0);
            expect(r!.one(T.instance).inputs.ami).to.equal("ami-0123456789abcdef0");
            expect(hostOf(seen).ignoreChanges).to.deep.equal([]);
        });
    });

    describe("options", () => {
        let r: TestRun;
        before(async () => {
            r = await run(
                program({
                    repositoryArns: [REPO_ARN, OTHER_ARN],
                    pushRepositoryArn: OTHER_ARN,
                    instanceType: "t3.small",
                    availabilityZone: `${IDC}c`,
                    subnetPrefixLength: 24,
                    dnsLayout: "seed",
                    tags: { Project: "ecr" },
                }),
                { region: CLOUD, account: ACCOUNT },
            );
        });

        it("grants push on every listed repository and pushes to the chosen one", () => {
            const doc = policyDoc(r.one(T.rolePolicy, "idc-host-ecr").inputs.policy);
            expect(doc.Statement[1].Resource).to.deep.equal([NS_PATTERN]);
            expect((r.outputs.pushCommands as string[])[4]).to.equal(
                `docker push ${REGISTRY}/idc-demo/other:"$TAG"`,
            );
            expect(r.outputs.doctorCommand).to.equal(`npm run doctor -- --registry ${REGISTRY}`);
        });

        it("honours the instance type, zone, subnet size and tags", () => {
            const host = r.one(T.instance, "idc-host");
            expect(host.inputs).to.include({
                instanceType: "t3.small",
                availabilityZone: `${IDC}c`,
            });
            expect(host.inputs.tags).to.deep.equal({ Project: "ecr", Name: "idc-host" });
            const subnet = r
                .ofType(T.subnet)
                .find((s) => s.inputs.vpcId === r.one(T.vpc, "idc-net").id)!;
            expect(subnet.inputs).to.include({
                cidrBlock: "10.100.0.0/24",
                availabilityZone: `${IDC}c`,
            });
            expect(r.one(T.peering).inputs.tags).to.deep.equal({
                Project: "ecr",
                Name: "idc-peering",
            });
        });
    });

    describe("with the stack's pull-through cache", () => {
        const CACHE = `arn:aws:ecr:${CLOUD}:${ACCOUNT}:repository/docker-hub/*`;
        let r: TestRun;
        before(async () => {
            r = await run(
                program({
                    pullThroughCache: {
                        repositories: [CACHE],
                        image: "docker-hub/library/alpine:3.20",
                    },
                }),
                { region: CLOUD, account: ACCOUNT },
            );
        });

        it("lets the host pull cached images and fill the cache there, and nothing more", () => {
            const doc = policyDoc(r.one(T.rolePolicy, "idc-host-ecr").inputs.policy);
            expect(doc.Statement.slice(2)).to.deep.equal([
                {
                    Sid: "PullCachedImages",
                    Effect: "Allow",
                    Action: [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                    ],
                    Resource: [CACHE],
                },
                {
                    Sid: "FillPullThroughCache",
                    Effect: "Allow",
                    Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                    Resource: CACHE,
                },
            ]);
        });

        it("outputs the commands that pull the Docker Hub image through the cache and check it", () => {
            expect(r.outputs.cachePullCommands).to.deep.equal([
                `aws ecr get-login-password --region ${CLOUD} | docker login --username AWS --password-stdin ${REGISTRY}`,
                `docker pull ${REGISTRY}/docker-hub/library/alpine:3.20`,
            ]);
            expect(r.outputs.cacheDoctorCommand).to.equal(
                `npm run doctor -- --registry ${REGISTRY} --allow-alias --image docker-hub/library/alpine:3.20 --pull-through-cache`,
            );
        });

        it("has no cache commands without a cache", async () => {
            const plain = await run(program(), { region: CLOUD, account: ACCOUNT });
            expect(plain.outputs).to.not.have.property("cachePullCommands");
            expect(
                policyDoc(plain.one(T.rolePolicy, "idc-host-ecr").inputs.policy).Statement,
            ).to.have.length(2);
        });
    });

    describe("argument errors", () => {
        const base = (): SimulatedIdcArgs => ({
            region: IDC,
            cidr: "10.100.0.0/16",
            cloud: {
                vpcId: "vpc-c",
                cidr: "10.0.0.0/16",
                region: CLOUD,
                privateRouteTableIds: ["rtb-1"],
            },
            repositoryArns: [REPO_ARN],
        });
        const cases: [string, (a: SimulatedIdcArgs) => void, RegExp][] = [
            [
                "a missing CIDR",
                (a) => delete (a as Partial<SimulatedIdcArgs>).cidr,
                /^`cidr` is required/,
            ],
            [
                "a malformed CIDR",
                (a) => (a.cidr = "10.100.0.0"),
                /^`cidr`: "10\.100\.0\.0" is not an IPv4 CIDR block/,
            ],
            [
                "a CIDR wider than /16",
                (a) => (a.cidr = "10.0.0.0/8"),
                /^`cidr` 10\.0\.0\.0\/8: a VPC CIDR block must be between \/16 and \/28/,
            ],
            [
                "overlapping CIDRs",
                (a) => (a.cidr = "10.0.128.0/20"),
                /^`cidr` 10\.0\.128\.0\/20 overlaps `cloud\.cidr` 10\.0\.0\.0\/16/,
            ],
            [
                "the cloud's own region",
                (a) => (a.region = CLOUD),
                /^`region` ap-southeast-1 equals `cloud\.region`/,
            ],
            [
                "an unknown region",
                (a) => (a.region = "mars-1"),
                /^`region` "mars-1" is not a known AWS region/,
            ],
            [
                "a missing cloud region",
                (a) => (a.cloud.region = ""),
                /^`cloud\.region` is required/,
            ],
            ["a missing cloud CIDR", (a) => (a.cloud.cidr = ""), /^`cloud\.cidr` is required/],
            [
                "a missing cloud block",
                (a) => delete (a as Partial<SimulatedIdcArgs>).cloud,
                /^`cloud` is required/,
            ],
            [
                "a CIDR on Docker's bridge",
                (a) => (a.cloud.cidr = "172.17.0.0/16"),
                /^`cloud\.cidr` 172\.17\.0\.0\/16 overlaps Docker's default bridge/,
            ],
            [
                "no cloud route tables",
                (a) => (a.cloud.privateRouteTableIds = []),
                /^`cloud\.privateRouteTableIds` must list/,
            ],
            [
                "no repositories",
                (a) => (a.repositoryArns = []),
                /^`repositoryArns` must list at least one repository/,
            ],
            [
                "a repository name instead of an ARN",
                (a) => (a.repositoryArns = ["idc-demo/hello"]),
                /^`repositoryArns\[0\]` "idc-demo\/hello" is not an ECR repository ARN/,
            ],
            [
                "a push repository in another region",
                (a) => (a.pushRepositoryArn = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/x`),
                /^`pushRepositoryArn` .* is in us-east-1; the IDC reaches only the registry of `cloud\.region` ap-southeast-1/,
            ],
            [
                "a push repository the host may not push to",
                (a) => (a.pushRepositoryArn = OTHER_ARN),
                /^`pushRepositoryArn` .*other is not in `repositoryArns`/,
            ],
            [
                "a cache repository in another region",
                (a) =>
                    (a.pullThroughCache = {
                        repositories: [`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/q/*`],
                    }),
                /^`pullThroughCache.repositories\[0\]` .* is in us-east-1; the IDC reaches only the registry of `cloud\.region` ap-southeast-1/,
            ],
            [
                "a cache image without cache repositories",
                (a) => (a.pullThroughCache = { repositories: [], image: "q/x:1" }),
                /^`pullThroughCache.image` needs `pullThroughCache.repositories`/,
            ],
            [
                "a subnet wider than the VPC",
                (a) => (a.subnetPrefixLength = 12),
                /^`subnetPrefixLength` must be an integer from 16 to 28/,
            ],
        ];
        for (const [what, breakIt, message] of cases) {
            it(`rejects ${what}`, async () => {
                const args = base();
                breakIt(args);
                let error: Error | undefined;
                try {
                    await run(
                        () => {
                            new SimulatedIdc("idc", args);
                            return {};
                        },
                        { region: CLOUD, account: ACCOUNT },
                    );
                } catch (e) {
                    error = e as Error;
                }
                expect(error?.message).to.match(message);
            });
        }

        it("accepts the base arguments", async () => {
            const r = await run(
                () => {
                    new SimulatedIdc("idc", base());
                    return {};
                },
                { region: CLOUD, account: ACCOUNT },
            );
            expect(r.ofType(T.instance)).to.have.length(1);
        });
    });

    describe("pure helpers (src/idc/host.ts)", () => {
        it("validateIdcNetwork accepts seed 000's layout and names the argument on each fault", () => {
            expect(() =>
                validateIdcNetwork({
                    region: IDC,
                    cidr: "10.100.0.0/16",
                    cloudRegion: CLOUD,
                    cloudCidr: "172.31.0.0/16",
                }),
            ).to.not.throw();
            expect(() =>
                validateIdcNetwork({
                    region: IDC,
                    cidr: "172.31.64.0/18",
                    cloudRegion: CLOUD,
                    cloudCidr: "172.31.0.0/16",
                }),
            ).to.throw(/^`cidr` 172\.31\.64\.0\/18 overlaps `cloud\.cidr` 172\.31\.0\.0\/16/);
            expect(() =>
                validateIdcNetwork({
                    region: IDC,
                    cidr: "10.100.0.0/16",
                    cloudRegion: CLOUD,
                    cloudCidr: "10.0.0.0/29",
                }),
            ).to.throw(/^`cloud\.cidr` 10\.0\.0\.0\/29: a VPC CIDR block must be between/);
        });

        it("hostEcrPolicy grants one pattern per namespace, top-level names exactly, sorted, and rejects non-ARNs", () => {
            const top = `arn:aws:ecr:${CLOUD}:${ACCOUNT}:repository/tools`;
            const doc = hostEcrPolicy([OTHER_ARN, top, REPO_ARN, OTHER_ARN]);
            expect(doc.Statement[1].Resource).to.deep.equal([NS_PATTERN, top]);
            expect(() => hostEcrPolicy([])).to.throw(/^`repositoryArns` must list/);
            expect(() => hostEcrPolicy(["*"])).to.throw(
                /^`repositoryArns` "\*" is not an ECR repository ARN/,
            );
            expect(() =>
                hostEcrPolicy([`arn:aws:ecr:${CLOUD}:${ACCOUNT}:repository/*`]),
            ).to.not.throw();
        });

        it("parseRepositoryArn splits namespaced names", () => {
            expect(parseRepositoryArn(REPO_ARN)).to.deep.equal({
                partition: "aws",
                region: CLOUD,
                accountId: ACCOUNT,
                name: "idc-demo/hello",
            });
        });

        it("al2023RepoEndpointPolicy uses the partition of the region", () => {
            expect(al2023RepoEndpointPolicy("cn-north-1").Statement[0].Resource).to.equal(
                "arn:aws-cn:s3:::al2023-repos-cn-north-1-de612dc2/*",
            );
        });

        it("hostUserData installs Docker with retries, enables it and adds ec2-user to the docker group", () => {
            const lines = hostUserData().split("\n");
            expect(lines[0]).to.equal("#!/bin/bash");
            expect(lines).to.include.members([
                "set -euo pipefail",
                "  if dnf install -y docker; then break; fi",
                "systemctl enable --now docker",
                "usermod -aG docker ec2-user",
            ]);
            expect(hostUserData()).to.not.match(/curl|wget|https?:\/\//);
        });

        it("command builders", () => {
            expect(registryHost(ACCOUNT, "cn-north-1")).to.equal(
                `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`,
            );
            expect(() => registryHost("12345", CLOUD)).to.throw(/12-digit/);
            expect(connectCommand("i-0abc", IDC)).to.equal(
                "aws ec2-instance-connect ssh --instance-id i-0abc --region ap-northeast-1 --connection-type eice",
            );
            expect(doctorCommand(REGISTRY)).to.equal(`npm run doctor -- --registry ${REGISTRY}`);
            const cmds = pushCommands({
                registry: REGISTRY,
                region: CLOUD,
                repository: "amzn2023",
                localImage: "mine",
            });
            expect(cmds.slice(2)).to.deep.equal([
                'echo "pushed from the simulated IDC" > hello.txt && tar -cf - hello.txt | docker import - mine:"$TAG"',
                `docker tag mine:"$TAG" ${REGISTRY}/amzn2023:"$TAG"`,
                `docker push ${REGISTRY}/amzn2023:"$TAG"`,
            ]);
        });
    });
});
