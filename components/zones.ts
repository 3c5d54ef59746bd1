import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../src/config";
import { pickZones } from "../src/zones";

export interface UsableZonesArgs {
    /** How many zones the network needs (its `azCount`). */
    count: number;
    /**
     * Interface endpoint services (`ecr.api`, `ecr.dkr`, ...) that must be
     * offered in every chosen zone. Looked up in the provider's region only
     * (DescribeVpcEndpointServices lists zones for the caller's region).
     */
    interfaceServices?: string[];
    /** An EC2 instance type that must be offered in every chosen zone. */
    instanceType?: string;
    /** Region of the network. @default the provider's region */
    region?: string;
    /** The config key that asked for the zones, named in the error (`ecr-private-access:network.azCount`). */
    configKey: string;
}

/**
 * The first `count` zones the account can use in the region (state
 * `available`, no opt-in Local or Wavelength Zones) in which every listed
 * interface service and the instance type are offered. Fails the deployment
 * (and the offline plan, exit 2) with a config error naming `configKey` and
 * the zones that were left out. One element per zone, so callers create a
 * known number of subnets.
 */
export function usableZones(
    args: UsableZonesArgs,
    opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<string>[] {
    const region = args.region;
    const account = aws.getAvailabilityZonesOutput(
        {
            state: "available",
            filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
            ...(region ? { region } : {}),
        },
        opts,
    );
    const constraints: Record<string, pulumi.Output<string[]>> = {};
    for (const service of args.interfaceServices ?? []) {
        const found = aws.ec2.getVpcEndpointServiceOutput(
            { service, serviceType: "Interface" },
            opts,
        );
        constraints[`${service} endpoint service`] = found.availabilityZones;
    }
    if (args.instanceType) {
        constraints[`instance type ${args.instanceType}`] = aws.ec2.getInstanceTypeOfferingsOutput(
            {
                locationType: "availability-zone",
                filters: [{ name: "instance-type", values: [args.instanceType] }],
                ...(region ? { region } : {}),
            },
            opts,
        ).locations;
    }
    const chosen = pulumi
        .all([account.names, account.region, pulumi.all(constraints)])
        .apply(([accountZones, accountRegion, offeredIn]) => {
            try {
                return pickZones({
                    accountZones,
                    offeredIn,
                    count: args.count,
                    region: region ?? accountRegion,
                }).zones;
            } catch (e) {
                throw new ConfigError([{ key: args.configKey, message: (e as Error).message }]);
            }
        });
    return Array.from({ length: args.count }, (_, i) => chosen.apply((zones) => zones[i]));
}
