import { expect } from "chai";
import * as fc from "fast-check";
import { PrivateNetwork } from "../../components/privateNetwork";
import { carveSubnets, cidrContains, cidrsOverlap, parseCidr } from "../../src/cidr";
import { run, TestRun } from "../helpers/run";

describe("cidr arithmetic", () => {
    it("carves consecutive, non-overlapping blocks inside the VPC", () => {
        expect(carveSubnets("10.20.0.0/16", 20, 3)).to.deep.equal([
            "10.20.0.0/20",
            "10.20.16.0/20",
            "10.20.32.0/20",
        ]);
        expect(carveSubnets("10.20.0.0/16", 20, 2, 2)).to.deep.equal([
            "10.20.32.0/20",
            "10.20.48.0/20",
        ]);
    });

    it("refuses more blocks than fit, and prefixes outside /vpc../28", () => {
        expect(() => carveSubnets("10.0.0.0/24", 26, 5)).to.throw(
            "10.0.0.0/24 holds 4 subnets of /26, but 5 are needed",
        );
        expect(() => carveSubnets("10.0.0.0/16", 15, 1)).to.throw(
            "subnet prefix /15 must be between /16 and /28",
        );
        expect(() => carveSubnets("10.0.0.0/16", 29, 1)).to.throw("subnet prefix /29");
    });

    it("detects overlap and containment", () => {
        expect(cidrsOverlap("10.0.0.0/16", "10.0.128.0/17")).to.equal(true);
        expect(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16")).to.equal(false);
        expect(cidrContains("10.0.0.0/16", "10.0.4.0/24")).to.equal(true);
        expect(cidrContains("10.0.4.0/24", "10.0.0.0/16")).to.equal(false);
    });

    it("property: carved subnets lie inside the VPC and never overlap each other", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 255 }),
                fc.integer({ min: 16, max: 24 }),
                fc.integer({ min: 0, max: 4 }),
                fc.integer({ min: 1, max: 8 }),
                (octet, vpcPrefix, extra, count) => {
                    const vpc = `10.${octet}.0.0/16`;
                    const inner = `10.${octet}.0.0/${vpcPrefix}`;
                    const prefix = Math.min(vpcPrefix + extra + 3, 28);
                    if (2 ** (prefix - vpcPrefix) < count) return;
                    const subnets = carveSubnets(inner, prefix, count);
                    expect(subnets).to.have.length(count);
                    subnets.forEach((s, i) => {
                        expect(cidrContains(inner, s) && cidrContains(vpc, s)).to.equal(true);
                        expect(parseCidr(s).prefix).to.equal(prefix);
                        subnets
                            .slice(i + 1)
                            .forEach((t) => expect(cidrsOverlap(s, t)).to.equal(false));
                    });
                },
            ),
            { numRuns: 300 },
        );
    });
});

describe("PrivateNetwork", () => {
    const AZS = ["us-west-2a", "us-west-2b"];

    describe("private only", () => {
        let r: TestRun;
        before(async () => {
            r = await run(() => {
                const n = new PrivateNetwork("net", {
                    cidr: "10.20.0.0/16",
                    availabilityZones: AZS,
                    subnetPrefixLength: 20,
                });
                return {
                    vpcId: n.vpcId,
                    subnets: n.privateSubnetIds,
                    tables: n.privateRouteTableIds,
                };
            });
        });

        it("creates a VPC with DNS support and host names on", () => {
            const vpc = r.one("aws:ec2/vpc:Vpc", "net");
            expect(vpc.inputs).to.include({
                cidrBlock: "10.20.0.0/16",
                enableDnsSupport: true,
                enableDnsHostnames: true,
            });
        });

        it("creates one private subnet per AZ from the carved blocks, with no public IPs", () => {
            const subnets = r.ofType("aws:ec2/subnet:Subnet");
            expect(
                subnets.map((s) => [
                    s.name,
                    s.inputs.availabilityZone,
                    s.inputs.cidrBlock,
                    s.inputs.mapPublicIpOnLaunch,
                ]),
            ).to.deep.equal([
                ["net-private-0", "us-west-2a", "10.20.0.0/20", false],
                ["net-private-1", "us-west-2b", "10.20.16.0/20", false],
            ]);
            const vpcId = r.one("aws:ec2/vpc:Vpc").id;
            subnets.forEach((s) => expect(s.inputs.vpcId).to.equal(vpcId));
        });

        it("gives each private subnet its own route table and no route at all", () => {
            const tables = r.ofType("aws:ec2/routeTable:RouteTable");
            const assocs = r.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation");
            expect(tables).to.have.length(2);
            expect(assocs.map((a) => [a.inputs.subnetId, a.inputs.routeTableId])).to.deep.equal(
                r.ofType("aws:ec2/subnet:Subnet").map((s, i) => [s.id, tables[i].id]),
            );
            expect(r.ofType("aws:ec2/route:Route")).to.have.length(0);
            expect(r.ofType("aws:ec2/internetGateway:InternetGateway")).to.have.length(0);
            expect(r.ofType("aws:ec2/natGateway:NatGateway")).to.have.length(0);
            expect(r.outputs.tables).to.deep.equal(tables.map((t) => t.id));
        });

        it("parents every child on the component", () => {
            const component = r.one("ecr-private-access:network:PrivateNetwork");
            const children = r.resources.filter((x) => x.type.startsWith("aws:"));
            expect(children).to.have.length(7);
            children.forEach((c) => expect(c.parent).to.equal(component.urn));
        });
    });

    describe("with public subnets for load balancers", () => {
        let r: TestRun;
        before(async () => {
            r = await run(() => {
                new PrivateNetwork("net", {
                    cidr: "10.20.0.0/16",
                    availabilityZones: AZS,
                    subnetPrefixLength: 20,
                    publicSubnets: true,
                });
            });
        });

        it("adds public subnets after the private ones, without auto-assigned public IPs", () => {
            const pub = r
                .ofType("aws:ec2/subnet:Subnet")
                .filter((s) => (s.inputs.tags as any).Tier === "public");
            expect(
                pub.map((s) => [s.inputs.cidrBlock, s.inputs.mapPublicIpOnLaunch]),
            ).to.deep.equal([
                ["10.20.32.0/20", false],
                ["10.20.48.0/20", false],
            ]);
        });

        it("routes 0.0.0.0/0 to the internet gateway from the public route table only", () => {
            const routes = r.ofType("aws:ec2/route:Route");
            expect(routes).to.have.length(1);
            const publicTable = r.one("aws:ec2/routeTable:RouteTable", "net-public");
            expect(routes[0].inputs).to.deep.include({
                routeTableId: publicTable.id,
                destinationCidrBlock: "0.0.0.0/0",
                gatewayId: r.one("aws:ec2/internetGateway:InternetGateway").id,
            });
            const publicAssocs = r
                .ofType("aws:ec2/routeTableAssociation:RouteTableAssociation")
                .filter((a) => a.inputs.routeTableId === publicTable.id);
            expect(publicAssocs).to.have.length(2);
        });
    });

    it("builds every resource in another region when asked (v7 per-resource region)", async () => {
        const r = await run(() => {
            new PrivateNetwork("idc", {
                cidr: "10.100.0.0/16",
                availabilityZones: ["ap-northeast-1a"],
                subnetPrefixLength: 20,
                region: "ap-northeast-1",
            });
        });
        const regional = r.resources.filter((x) => x.type.startsWith("aws:"));
        expect(regional).to.have.length(4);
        regional.forEach((x) => expect(x.inputs.region, x.name).to.equal("ap-northeast-1"));
    });

    it("refuses an empty zone list", async () => {
        let error: Error | undefined;
        await run(() => {
            try {
                new PrivateNetwork("x", {
                    cidr: "10.0.0.0/16",
                    availabilityZones: [],
                    subnetPrefixLength: 20,
                });
            } catch (e) {
                error = e as Error;
            }
        });
        expect(error?.message).to.equal("`availabilityZones` must name at least one zone");
    });
});
