import { expect } from "chai";
import { PrivateNetwork } from "../../components/privateNetwork";
import { usableZones } from "../../components/zones";
import { pickZones } from "../../src/zones";
import { recordRegistrations } from "../helpers/registrations";
import { run } from "../helpers/run";

const KEY = "ecr-private-access:network.azCount";

describe("availability zones from the provider", () => {
    describe("pickZones", () => {
        it("keeps the account's order and drops zones where a service is not offered", () => {
            expect(
                pickZones({
                    accountZones: ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
                    offeredIn: {
                        "ecr.api": ["us-west-2b", "us-west-2c", "us-west-2d"],
                        "ecr.dkr": ["us-west-2a", "us-west-2c", "us-west-2d"],
                    },
                    count: 2,
                    region: "us-west-2",
                }).zones,
            ).to.deep.equal(["us-west-2c", "us-west-2d"]);
        });

        it("names every zone it left out, and why, when too few remain", () => {
            expect(() =>
                pickZones({
                    accountZones: ["us-west-1b", "us-west-1c"],
                    offeredIn: { "ecr.dkr endpoint service": ["us-west-1c"] },
                    count: 2,
                    region: "us-west-1",
                }),
            ).to.throw(
                "2 availability zones are needed, but the account has only 1 usable in us-west-1 (us-west-1c; zones it sees: us-west-1b, us-west-1c; left out: us-west-1b (no ecr.dkr endpoint service))",
            );
        });
    });

    describe("usableZones under the mock cloud", () => {
        const program = (services: string[], count: number) => () => {
            const net = new PrivateNetwork("net", {
                cidr: "10.20.0.0/16",
                availabilityZones: usableZones({
                    count,
                    interfaceServices: services,
                    configKey: KEY,
                }),
                subnetPrefixLength: 20,
            });
            return { vpcId: net.vpcId };
        };

        it("puts the subnets in the first zones that offer every endpoint service", async () => {
            const r = await run(program(["ecr.api", "ecr.dkr"], 2), {
                mock: { offerings: { "ecr.dkr": ["us-west-2b", "us-west-2c", "us-west-2d"] } },
            });
            expect(
                r.ofType("aws:ec2/subnet:Subnet").map((s) => [s.name, s.inputs.availabilityZone]),
            ).to.deep.equal([
                ["net-private-0", "us-west-2b"],
                ["net-private-1", "us-west-2c"],
            ]);
        });

        it("fails as a config error naming network.azCount when the account has too few", async () => {
            const failure = await run(program(["ecr.api"], 3), {
                mock: { offerings: { "ecr.api": ["us-west-2a", "us-west-2d"] } },
            }).then(
                () => undefined,
                (e: Error) => e,
            );
            expect(failure?.name).to.equal("ConfigError");
            expect(failure?.message).to.contain(`${KEY}: 3 availability zones are needed`);
            expect(failure?.message).to.contain(
                "left out: us-west-2b (no ecr.api endpoint service)",
            );
        });
    });

    describe("subnets of an earlier version keep their identity", () => {
        // The old subnets were named after the zone (`net-private-us-west-2a`);
        // the alias makes Pulumi treat the numbered subnet as the same resource.
        let aliases: string[];
        before(async () => {
            const seen = await recordRegistrations(() =>
                run(() => {
                    new PrivateNetwork("net", {
                        cidr: "10.20.0.0/16",
                        availabilityZones: ["us-west-2a", "us-west-2b"],
                        previousZoneNames: ["us-west-2a", "us-west-2b"],
                        subnetPrefixLength: 20,
                        publicSubnets: true,
                    });
                    return {};
                }),
            );
            aliases = seen.flatMap((r) =>
                r.aliasNames.map((old) => `${r.type.split(":").pop()} ${r.name} <- ${old}`),
            );
        });

        it("aliases each numbered subnet, route table and association to its zone-named predecessor", () => {
            expect(aliases.sort()).to.deep.equal([
                "RouteTable net-private-0 <- net-private-us-west-2a",
                "RouteTable net-private-1 <- net-private-us-west-2b",
                "RouteTableAssociation net-private-0 <- net-private-us-west-2a",
                "RouteTableAssociation net-private-1 <- net-private-us-west-2b",
                "RouteTableAssociation net-public-0 <- net-public-us-west-2a",
                "RouteTableAssociation net-public-1 <- net-public-us-west-2b",
                "Subnet net-private-0 <- net-private-us-west-2a",
                "Subnet net-private-1 <- net-private-us-west-2b",
                "Subnet net-public-0 <- net-public-us-west-2a",
                "Subnet net-public-1 <- net-public-us-west-2b",
            ]);
        });
    });
});
