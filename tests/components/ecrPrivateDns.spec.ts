import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
    EcrPrivateDns,
    EcrPrivateDnsArgs,
    validateEcrPrivateDnsArgs,
} from "../../components/ecrPrivateDns";
import { ecrRecordSet, layerBucketRecord, onPremRecordSet } from "../../src/dns/records";
import { run, TestRun } from "../helpers/run";

const R = "ap-southeast-1";
const IDC = "ap-northeast-1";
// Seed 000's endpoint names.
const API = "vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.ap-southeast-1.vpce.amazonaws.com";
const DKR = "vpce-0424acc787dd05730-ypo3xc68.dkr.ecr.ap-southeast-1.vpce.amazonaws.com";
const VPCE_ZONE = "Z18LLCSTV4NVNL";
const S3 = "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
const LAYERS = "prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com";
const ZONE = "aws:route53/zone:Zone";
const RECORD = "aws:route53/record:Record";

const base = (over: Partial<EcrPrivateDnsArgs> = {}): EcrPrivateDnsArgs => ({
    region: R,
    apiDnsName: API,
    apiHostedZoneId: VPCE_ZONE,
    dkrDnsName: DKR,
    dkrHostedZoneId: VPCE_ZONE,
    associations: [{ vpcId: "vpc-0idc0000000000001", vpcRegion: IDC }],
    ...over,
});

const build = (args: EcrPrivateDnsArgs) => () => {
    const dns = new EcrPrivateDns("dns", args);
    return {
        zoneIds: dns.zoneIds,
        zoneNames: dns.zoneNames,
        records: dns.records,
        onPremRecords: dns.onPremRecords,
        resolverIps: dns.resolverIps,
    };
};

const byName = (r: TestRun, name: string) => r.one(RECORD, name).inputs;

describe("EcrPrivateDns", () => {
    describe("exact layout, associated with the IDC VPC in another region", () => {
        let r: TestRun;
        before(async () => {
            r = await run(build(base({ layout: "exact" })), { region: R });
        });

        it("creates exactly the api.ecr and dkr.ecr zones, each associated with the IDC VPC in the IDC region", () => {
            const zones = r.ofType(ZONE);
            expect(zones.map((z) => z.inputs.name)).to.deep.equal([
                "api.ecr.ap-southeast-1.amazonaws.com",
                "dkr.ecr.ap-southeast-1.amazonaws.com",
            ]);
            for (const z of zones) {
                expect(z.inputs.vpcs).to.deep.equal([
                    { vpcId: "vpc-0idc0000000000001", vpcRegion: IDC },
                ]);
                expect(z.inputs).to.not.have.property("region");
            }
        });

        it("points the apexes and the wildcard at the endpoints with alias A records (no TTL, no IPs)", () => {
            const apiZone = r.one(ZONE, "dns-api");
            const dkrZone = r.one(ZONE, "dns-dkr");
            expect(r.ofType(RECORD)).to.have.length(3);
            expect(byName(r, "dns-api")).to.deep.equal({
                zoneId: apiZone.id,
                name: "api.ecr.ap-southeast-1.amazonaws.com",
                type: "A",
                aliases: [{ name: API, zoneId: VPCE_ZONE, evaluateTargetHealth: false }],
            });
            expect(byName(r, "dns-dkr")).to.deep.equal({
                zoneId: dkrZone.id,
                name: "dkr.ecr.ap-southeast-1.amazonaws.com",
                type: "A",
                aliases: [{ name: DKR, zoneId: VPCE_ZONE, evaluateTargetHealth: false }],
            });
            expect(byName(r, "dns-dkr-wildcard")).to.deep.equal({
                zoneId: dkrZone.id,
                name: "*.dkr.ecr.ap-southeast-1.amazonaws.com",
                type: "A",
                aliases: [{ name: DKR, zoneId: VPCE_ZONE, evaluateTargetHealth: false }],
            });
        });

        it("outputs the zone IDs by name and the record sets", () => {
            expect(r.outputs.zoneIds).to.deep.equal({
                "api.ecr.ap-southeast-1.amazonaws.com": r.one(ZONE, "dns-api").id,
                "dkr.ecr.ap-southeast-1.amazonaws.com": r.one(ZONE, "dns-dkr").id,
            });
            const names = { region: R, apiDnsName: API, dkrDnsName: DKR };
            expect(r.outputs.records).to.deep.equal(
                ecrRecordSet(names, { layout: "exact", ttl: 60 }),
            );
            expect(r.outputs.onPremRecords).to.deep.equal(onPremRecordSet(names, 60));
            expect(
                (r.outputs.onPremRecords as { type: string }[]).map((x) => x.type),
            ).to.deep.equal(["CNAME", "CNAME", "CNAME"]);
        });

        it("creates no resolver", () => {
            expect(r.ofType("aws:route53/resolverEndpoint:ResolverEndpoint")).to.have.length(0);
            expect(r.ofType("aws:ec2/securityGroup:SecurityGroup")).to.have.length(0);
            expect(r.outputs).to.not.have.property("resolverIps");
        });
    });

    describe("with an S3 interface endpoint: the layer bucket host, exactly", () => {
        let r: TestRun;
        const idcVpc = { vpcId: "vpc-0idc0000000000001", vpcRegion: IDC };
        const otherVpc = { vpcId: "vpc-0other000000000002", vpcRegion: "us-east-1" };
        before(async () => {
            r = await run(
                build(
                    base({
                        associations: [idcVpc, otherVpc],
                        s3InterfaceDnsName: S3,
                        s3InterfaceHostedZoneId: VPCE_ZONE,
                        ttl: 120,
                    }),
                ),
                { region: R },
            );
        });

        it("adds one private zone named exactly the layer bucket host, with the same VPCs", () => {
            expect(r.ofType(ZONE).map((z) => z.name)).to.deep.equal([
                "dns-api",
                "dns-dkr",
                "dns-s3-layers",
            ]);
            const zone = r.one(ZONE, "dns-s3-layers");
            expect(zone.inputs).to.deep.equal({
                name: LAYERS,
                comment:
                    "ECR layer downloads (exactly the layer bucket's host) to the S3 interface endpoint",
                vpcs: [idcVpc, otherVpc],
                tags: { Name: "dns-s3-layers" },
            });
            expect(zone.parent).to.equal(r.one("ecr-private-access:dns:EcrPrivateDns").urn);
        });

        it("puts one apex alias A record in it, to the endpoint's wildcard name and zone", () => {
            expect(r.ofType(RECORD)).to.have.length(4);
            expect(byName(r, "dns-s3-layers")).to.deep.equal({
                zoneId: r.one(ZONE, "dns-s3-layers").id,
                name: LAYERS,
                type: "A",
                // Route 53 returns the leading `*` as `\052`; sent that way, no diff on every run.
                aliases: [
                    {
                        name: S3.replace(/^\*/, "\\052"),
                        zoneId: VPCE_ZONE,
                        evaluateTargetHealth: false,
                    },
                ],
            });
            expect(S3.startsWith("*.vpce-")).to.equal(true);
        });

        it("outputs the zone, the alias in `records` and the CNAME in `onPremRecords`", () => {
            const names = { region: R, apiDnsName: API, dkrDnsName: DKR };
            const layer = layerBucketRecord(R, S3, 120);
            expect(r.outputs.zoneNames).to.deep.equal([
                "api.ecr.ap-southeast-1.amazonaws.com",
                "dkr.ecr.ap-southeast-1.amazonaws.com",
                LAYERS,
            ]);
            expect((r.outputs.zoneIds as Record<string, string>)[LAYERS]).to.equal(
                r.one(ZONE, "dns-s3-layers").id,
            );
            expect(r.outputs.records).to.deep.equal([
                ...ecrRecordSet(names, { layout: "exact", ttl: 120 }),
                layer.route53,
            ]);
            expect(r.outputs.onPremRecords).to.deep.equal([
                ...onPremRecordSet(names, 120),
                layer.onPrem,
            ]);
        });
    });

    describe("with an S3 interface endpoint and no associations", () => {
        it("creates no zone, and still gives the on-premises CNAME (name from an output)", async () => {
            const r = await run(
                () => {
                    const dns = new EcrPrivateDns(
                        "dns",
                        base({
                            associations: [],
                            s3InterfaceDnsName: Promise.resolve(`${S3.toUpperCase()}.`),
                            s3InterfaceHostedZoneId: VPCE_ZONE,
                        }),
                    );
                    return { onPremRecords: dns.onPremRecords, zoneNames: dns.zoneNames };
                },
                { region: R },
            );
            expect(r.ofType(ZONE)).to.have.length(0);
            expect(r.ofType(RECORD)).to.have.length(0);
            expect(r.outputs.zoneNames).to.deep.equal([]);
            expect((r.outputs.onPremRecords as unknown[]).slice(3)).to.deep.equal([
                layerBucketRecord(R, S3, 60).onPrem,
            ]);
        });
    });

    describe("seed layout", () => {
        let r: TestRun;
        before(async () => {
            r = await run(build(base({ layout: "seed", ttl: 300 })), { region: R });
        });

        it("creates seed 000's zones: ecr.<region> and dkr.ecr.<region>, never amazonaws.com or <region>.amazonaws.com", () => {
            const names = r.ofType(ZONE).map((z) => z.inputs.name);
            expect(names).to.deep.equal([
                "ecr.ap-southeast-1.amazonaws.com",
                "dkr.ecr.ap-southeast-1.amazonaws.com",
            ]);
        });

        it("writes the api CNAME, the dkr apex alias and the wildcard CNAME with the TTL", () => {
            const apiZone = r.one(ZONE, "dns-api");
            const dkrZone = r.one(ZONE, "dns-dkr");
            expect(r.ofType(RECORD)).to.have.length(3);
            expect(byName(r, "dns-api")).to.deep.equal({
                zoneId: apiZone.id,
                name: "api.ecr.ap-southeast-1.amazonaws.com",
                type: "CNAME",
                ttl: 300,
                records: [API],
            });
            expect(byName(r, "dns-dkr")).to.deep.equal({
                zoneId: dkrZone.id,
                name: "dkr.ecr.ap-southeast-1.amazonaws.com",
                type: "A",
                aliases: [{ name: DKR, zoneId: VPCE_ZONE, evaluateTargetHealth: false }],
            });
            expect(byName(r, "dns-dkr-wildcard")).to.deep.equal({
                zoneId: dkrZone.id,
                name: "*.dkr.ecr.ap-southeast-1.amazonaws.com",
                type: "CNAME",
                ttl: 300,
                records: [DKR],
            });
            expect(r.outputs.records).to.deep.equal(
                ecrRecordSet(
                    { region: R, apiDnsName: API, dkrDnsName: DKR },
                    { layout: "seed", ttl: 300 },
                ),
            );
        });
    });

    describe("endpoint names written with upper case and a trailing dot", () => {
        it("are normalized in the records and the outputs alike", async () => {
            const r = await run(
                build(
                    base({
                        layout: "seed",
                        apiDnsName: `${API.toUpperCase()}.`,
                        dkrDnsName: `${DKR}.`,
                    }),
                ),
                { region: R },
            );
            expect(byName(r, "dns-api").records).to.deep.equal([API]);
            expect(byName(r, "dns-dkr").aliases).to.deep.equal([
                { name: DKR, zoneId: VPCE_ZONE, evaluateTargetHealth: false },
            ]);
            expect((r.outputs.records as { value: string }[])[0].value).to.equal(API);
        });
    });

    describe("with the endpoints' outputs and several associations", () => {
        let r: TestRun;
        before(async () => {
            r = await run(
                () => {
                    const vpc = new aws.ec2.Vpc("cloud", { cidrBlock: "10.0.0.0/16" });
                    const idc = new aws.ec2.Vpc("idc", { cidrBlock: "10.100.0.0/16", region: IDC });
                    const other = new aws.ec2.Vpc("lab", {
                        cidrBlock: "10.101.0.0/16",
                        region: "us-east-1",
                    });
                    const ep = (svc: string) =>
                        new aws.ec2.VpcEndpoint(`ep-${svc}`, {
                            vpcId: vpc.id,
                            serviceName: `com.amazonaws.${R}.ecr.${svc}`,
                            vpcEndpointType: "Interface",
                            subnetIds: ["subnet-a"],
                            privateDnsEnabled: true,
                        });
                    const api = ep("api");
                    const dkr = ep("dkr");
                    const dns = new EcrPrivateDns("dns", {
                        region: R,
                        apiDnsName: api.dnsEntries[0].dnsName,
                        apiHostedZoneId: api.dnsEntries[0].hostedZoneId,
                        dkrDnsName: dkr.dnsEntries[0].dnsName,
                        dkrHostedZoneId: dkr.dnsEntries[0].hostedZoneId,
                        associations: [
                            { vpcId: idc.id, vpcRegion: IDC },
                            { vpcId: other.id, vpcRegion: "us-east-1" },
                        ],
                        endpointVpcId: vpc.id,
                    });
                    return { records: dns.records };
                },
                { region: R },
            );
        });

        it("associates every VPC with its own region", () => {
            const idc = r.one("aws:ec2/vpc:Vpc", "idc").id;
            const lab = r.one("aws:ec2/vpc:Vpc", "lab").id;
            for (const z of r.ofType(ZONE)) {
                expect(z.inputs.vpcs).to.deep.equal([
                    { vpcId: idc, vpcRegion: IDC },
                    { vpcId: lab, vpcRegion: "us-east-1" },
                ]);
            }
        });

        it("targets the endpoints' regional (not zonal) DNS names and their hosted zone", () => {
            const entry = (n: string) =>
                (r.one("aws:ec2/vpcEndpoint:VpcEndpoint", n).outputs.dnsEntries as any[])[0];
            const api = entry("ep-api");
            const dkr = entry("ep-dkr");
            expect(api.dnsName).to.match(
                /^vpce-[0-9a-f]+-[a-z0-9]+\.api\.ecr\.ap-southeast-1\.vpce\.amazonaws\.com$/,
            );
            expect(byName(r, "dns-api").aliases).to.deep.equal([
                { name: api.dnsName, zoneId: api.hostedZoneId, evaluateTargetHealth: false },
            ]);
            expect(byName(r, "dns-dkr-wildcard").aliases).to.deep.equal([
                { name: dkr.dnsName, zoneId: dkr.hostedZoneId, evaluateTargetHealth: false },
            ]);
            expect((r.outputs.records as { value: string }[]).map((x) => x.value)).to.deep.equal([
                api.dnsName,
                dkr.dnsName,
                dkr.dnsName,
            ]);
        });
    });

    describe("no associations, with the Resolver inbound endpoint", () => {
        let r: TestRun;
        before(async () => {
            r = await run(
                build(
                    base({
                        associations: [],
                        resolver: {
                            vpcId: "vpc-0cloud00000000001",
                            subnetIds: ["subnet-0a", "subnet-0b"],
                            allowedCidrs: ["192.168.0.0/16", "10.100.0.0/16"],
                        },
                    }),
                ),
                { region: R },
            );
        });

        it("creates no zones and no records, but still outputs the record sets", () => {
            expect(r.ofType(ZONE)).to.have.length(0);
            expect(r.ofType(RECORD)).to.have.length(0);
            expect(r.outputs.zoneIds).to.deep.equal({});
            expect(r.outputs.zoneNames).to.deep.equal([]);
            expect(r.outputs.onPremRecords).to.deep.equal(
                onPremRecordSet({ region: R, apiDnsName: API, dkrDnsName: DKR }, 60),
            );
        });

        it("creates an INBOUND endpoint (Do53) with one address per subnet, in the endpoints' region", () => {
            const ep = r.one("aws:route53/resolverEndpoint:ResolverEndpoint", "dns-resolver");
            const sg = r.one("aws:ec2/securityGroup:SecurityGroup", "dns-resolver");
            expect(ep.inputs.direction).to.equal("INBOUND");
            expect(ep.inputs.protocols).to.deep.equal(["Do53"]);
            expect(ep.inputs.region).to.equal(R);
            expect(ep.inputs.ipAddresses).to.deep.equal([
                { subnetId: "subnet-0a" },
                { subnetId: "subnet-0b" },
            ]);
            expect(ep.inputs.securityGroupIds).to.deep.equal([sg.id]);
            expect(sg.inputs.vpcId).to.equal("vpc-0cloud00000000001");
            expect(sg.inputs).to.not.have.property("ingress");
            expect(sg.inputs).to.not.have.property("egress");
        });

        it("allows DNS on UDP and TCP 53 from the on-premises CIDRs only, and nothing else", () => {
            const sgId = r.one("aws:ec2/securityGroup:SecurityGroup", "dns-resolver").id;
            const rules = r
                .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                .map((x) => x.inputs)
                .map(({ securityGroupId, ipProtocol, fromPort, toPort, cidrIpv4 }) => ({
                    securityGroupId,
                    ipProtocol,
                    fromPort,
                    toPort,
                    cidrIpv4,
                }));
            expect(rules).to.have.deep.members([
                {
                    securityGroupId: sgId,
                    ipProtocol: "udp",
                    fromPort: 53,
                    toPort: 53,
                    cidrIpv4: "192.168.0.0/16",
                },
                {
                    securityGroupId: sgId,
                    ipProtocol: "tcp",
                    fromPort: 53,
                    toPort: 53,
                    cidrIpv4: "192.168.0.0/16",
                },
                {
                    securityGroupId: sgId,
                    ipProtocol: "udp",
                    fromPort: 53,
                    toPort: 53,
                    cidrIpv4: "10.100.0.0/16",
                },
                {
                    securityGroupId: sgId,
                    ipProtocol: "tcp",
                    fromPort: 53,
                    toPort: 53,
                    cidrIpv4: "10.100.0.0/16",
                },
            ]);
            expect(rules).to.have.length(4);
            for (const rule of r.ofType(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            )) {
                expect(rule.inputs.description).to.be.a("string").and.not.equal("");
            }
        });

        it("lets replies out on every TCP and UDP port, to the on-premises CIDRs only (AWS's inbound-endpoint advice, narrowed)", () => {
            const sgId = r.one("aws:ec2/securityGroup:SecurityGroup", "dns-resolver").id;
            const rules = r
                .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                .map(({ inputs: { securityGroupId, ipProtocol, fromPort, toPort, cidrIpv4 } }) =>
                    [securityGroupId, ipProtocol, fromPort, toPort, cidrIpv4].join(" "),
                );
            expect(rules.sort()).to.deep.equal([
                `${sgId} tcp 0 65535 10.100.0.0/16`,
                `${sgId} tcp 0 65535 192.168.0.0/16`,
                `${sgId} udp 0 65535 10.100.0.0/16`,
                `${sgId} udp 0 65535 192.168.0.0/16`,
            ]);
        });

        it("outputs the resolver addresses", () => {
            const ep = r.one("aws:route53/resolverEndpoint:ResolverEndpoint", "dns-resolver");
            const ips = (ep.outputs.ipAddresses as { ip: string }[]).map((x) => x.ip);
            expect(ips).to.have.length(2);
            expect(r.outputs.resolverIps).to.deep.equal(ips);
        });
    });

    describe("argument errors", () => {
        const cases: [string, Partial<EcrPrivateDnsArgs>, RegExp][] = [
            ["a bad region", { region: "moon-1" }, /^`region` "moon-1"/],
            [
                "an unknown layout",
                { layout: "flat" as never },
                /^`layout` must be "seed" or "exact"/,
            ],
            ["a zero TTL", { ttl: 0 }, /^`ttl` must be an integer/],
            ["a missing hosted zone ID", { dkrHostedZoneId: "" }, /^`dkrHostedZoneId` is required/],
            [
                "an association without a region",
                { associations: [{ vpcId: "vpc-1", vpcRegion: "" }] },
                /^`associations\[0\]\.vpcRegion` "" is not an AWS region name/,
            ],
            [
                "the same VPC twice",
                {
                    associations: [
                        { vpcId: "vpc-1", vpcRegion: IDC },
                        { vpcId: "vpc-1", vpcRegion: IDC },
                    ],
                },
                /^`associations\[1\]\.vpcId` vpc-1 is listed twice/,
            ],
            [
                "the endpoints' own VPC (taken from the resolver)",
                {
                    associations: [{ vpcId: "vpc-c", vpcRegion: R }],
                    resolver: {
                        vpcId: "vpc-c",
                        subnetIds: ["subnet-a", "subnet-b"],
                        allowedCidrs: ["10.100.0.0/16"],
                    },
                },
                /^`associations\[0\]\.vpcId` vpc-c is the VPC whose ECR endpoints have private DNS on; Route 53 rejects/,
            ],
            [
                "a resolver in one subnet",
                {
                    resolver: {
                        vpcId: "vpc-c",
                        subnetIds: ["subnet-a"],
                        allowedCidrs: ["10.100.0.0/16"],
                    },
                },
                /^`resolver\.subnetIds` must list at least two subnets/,
            ],
            [
                "a resolver open to the world",
                {
                    resolver: {
                        vpcId: "vpc-c",
                        subnetIds: ["subnet-a", "subnet-b"],
                        allowedCidrs: ["0.0.0.0/0"],
                    },
                },
                /^`resolver\.allowedCidrs\[0\]` 0\.0\.0\.0\/0 would open the resolver/,
            ],
            [
                "a resolver without CIDRs",
                {
                    resolver: {
                        vpcId: "vpc-c",
                        subnetIds: ["subnet-a", "subnet-b"],
                        allowedCidrs: [],
                    },
                },
                /^`resolver\.allowedCidrs` must list/,
            ],
            [
                "a malformed resolver CIDR",
                {
                    resolver: {
                        vpcId: "vpc-c",
                        subnetIds: ["subnet-a", "subnet-b"],
                        allowedCidrs: ["10.1.2.3/16"],
                    },
                },
                /^`resolver\.allowedCidrs\[0\]`: "10\.1\.2\.3\/16" has host bits set/,
            ],
        ];
        cases.push(
            [
                "an S3 endpoint name without its zone",
                { s3InterfaceDnsName: S3 },
                /^`s3InterfaceDnsName` and `s3InterfaceHostedZoneId` go together/,
            ],
            [
                "an S3 endpoint zone without its name",
                { s3InterfaceHostedZoneId: VPCE_ZONE },
                /^`s3InterfaceDnsName` and `s3InterfaceHostedZoneId` go together/,
            ],
            [
                "an S3 endpoint name that is the ecr.dkr endpoint's",
                { s3InterfaceDnsName: DKR, s3InterfaceHostedZoneId: VPCE_ZONE },
                /^`s3InterfaceDnsName` vpce-0424acc787dd05730-ypo3xc68\.dkr\.ecr\.ap-southeast-1\.vpce\.amazonaws\.com is not an S3 interface endpoint DNS name in ap-southeast-1/,
            ],
        );
        for (const [what, over, message] of cases) {
            it(`rejects ${what}`, () => {
                expect(() => validateEcrPrivateDnsArgs(base(over))).to.throw(message);
            });
        }

        it("returns the defaults: exact layout, TTL 60", () => {
            expect(validateEcrPrivateDnsArgs(base())).to.deep.equal({ layout: "exact", ttl: 60 });
        });

        it("fails the program on a TTL out of range", async () => {
            let error: Error | undefined;
            try {
                await run(build(base({ ttl: 100000 })), { region: R });
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.match(
                /`ttl` must be an integer number of seconds from 1 to 86400/,
            );
        });

        it("refuses to associate the zones with the VPC whose endpoints have private DNS on", async () => {
            let error: Error | undefined;
            try {
                await run(
                    build(
                        base({
                            associations: [{ vpcId: "vpc-0cloud00000000001", vpcRegion: R }],
                            endpointVpcId: "vpc-0cloud00000000001",
                        }),
                    ),
                    { region: R },
                );
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.match(
                /`associations\[0\]\.vpcId` vpc-0cloud00000000001 is the VPC whose ECR endpoints have private DNS on/,
            );
        });

        it("refuses the endpoints' VPC also when its ID is only known at deployment", async () => {
            let error: Error | undefined;
            try {
                await run(
                    () => {
                        const vpc = new aws.ec2.Vpc("cloud", { cidrBlock: "10.0.0.0/16" });
                        const dns = new EcrPrivateDns("dns", {
                            ...base(),
                            associations: [
                                { vpcId: "vpc-0idc0000000000001", vpcRegion: IDC },
                                { vpcId: vpc.id, vpcRegion: R },
                            ],
                            endpointVpcId: vpc.id,
                        });
                        return { zoneIds: dns.zoneIds };
                    },
                    { region: R },
                );
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.match(
                /`associations\[1\]\.vpcId` vpc-[0-9a-f]+ is the VPC whose ECR endpoints have private DNS on/,
            );
        });

        it("rejects an S3 endpoint name of the wrong shape when it resolves", async () => {
            let error: Error | undefined;
            try {
                await run(
                    build(
                        base({
                            s3InterfaceDnsName: pulumi.output(S3.replace("*.", "")),
                            s3InterfaceHostedZoneId: VPCE_ZONE,
                        }),
                    ),
                    { region: R },
                );
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.match(
                /`s3InterfaceDnsName` vpce-0f1e2d3c4b5a69788-abcd1234\.s3\.ap-southeast-1\.vpce\.amazonaws\.com is not the endpoint's regional wildcard DNS name/,
            );
        });

        it("rejects endpoint names that are not the endpoints' regional DNS names when they resolve", async () => {
            let error: Error | undefined;
            try {
                await run(build(base({ apiDnsName: "10.0.1.15" })), { region: R });
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.match(
                /`apiDnsName` 10\.0\.1\.15 is not an ecr\.api interface endpoint DNS name/,
            );
        });
    });
});
