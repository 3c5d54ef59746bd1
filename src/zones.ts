/**
 * Which availability zones a network may use, from what the account sees.
 *
 * Zone letters map to different physical zones in each account, some accounts
 * cannot use some letters (us-west-1 and ap-northeast-1 hide a zone from newer
 * accounts), and an interface endpoint service is not offered in every zone
 * (DescribeVpcEndpointServices lists the zones it is offered in, by the
 * caller's own zone names). So the zones come from the provider at run time
 * (`getAvailabilityZones`, `getVpcEndpointService`), never from a table, and
 * only zones where every interface service the stack uses is offered are kept.
 */

export interface ZoneChoice {
    /** The zones to use, in the account's order. */
    zones: string[];
}

export interface ZoneRequest {
    /** The account's available zones in the region, in order (getAvailabilityZones `names`). */
    accountZones: string[];
    /** Zones each constraint allows, e.g. `{ "com.amazonaws.us-west-2.ecr.dkr": [...] }`. */
    offeredIn: Record<string, string[]>;
    /** How many zones are needed. */
    count: number;
    /** Region, for messages. */
    region: string;
}

/**
 * The first `count` account zones in which every constraint is offered.
 * Throws an Error naming the zones that were left out and why, when fewer
 * than `count` remain: the caller turns it into a config error with its key.
 */
export function pickZones(req: ZoneRequest): ZoneChoice {
    const excluded: string[] = [];
    const usable = req.accountZones.filter((zone) => {
        const missing = Object.entries(req.offeredIn)
            .filter(([, zones]) => !zones.includes(zone))
            .map(([what]) => what);
        if (missing.length > 0) excluded.push(`${zone} (no ${missing.join(", ")})`);
        return missing.length === 0;
    });
    if (usable.length < req.count) {
        const seen = req.accountZones.length > 0 ? req.accountZones.join(", ") : "none";
        throw new Error(
            `${req.count} availability zones are needed, but the account has only ${usable.length} usable in ${req.region}` +
                ` (${usable.join(", ") || "none"}; zones it sees: ${seen}` +
                `${excluded.length > 0 ? `; left out: ${excluded.join("; ")}` : ""})`,
        );
    }
    return { zones: usable.slice(0, req.count) };
}
