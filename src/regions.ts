/**
 * Commercial AWS regions and the availability zones an account normally sees
 * in each. Config validation uses it to reject unknown regions and AZ counts a
 * region cannot satisfy; the offline plan's mock cloud answers
 * `getAvailabilityZones` from it. Some accounts see fewer zones (us-west-1 and
 * ap-northeast-1 hide one zone from newer accounts), so the list is the
 * commonly available set, not every zone that exists.
 */
export const REGION_AZS: Readonly<Record<string, readonly string[]>> = {
    "us-east-1": ["a", "b", "c", "d", "e", "f"],
    "us-east-2": ["a", "b", "c"],
    "us-west-1": ["a", "c"],
    "us-west-2": ["a", "b", "c", "d"],
    "ca-central-1": ["a", "b", "d"],
    "eu-west-1": ["a", "b", "c"],
    "eu-west-2": ["a", "b", "c"],
    "eu-west-3": ["a", "b", "c"],
    "eu-central-1": ["a", "b", "c"],
    "eu-north-1": ["a", "b", "c"],
    "eu-south-1": ["a", "b", "c"],
    "ap-southeast-1": ["a", "b", "c"],
    "ap-southeast-2": ["a", "b", "c"],
    "ap-northeast-1": ["a", "c", "d"],
    "ap-northeast-2": ["a", "b", "c", "d"],
    "ap-northeast-3": ["a", "b", "c"],
    "ap-south-1": ["a", "b", "c"],
    "ap-east-1": ["a", "b", "c"],
    "sa-east-1": ["a", "b", "c"],
    "me-south-1": ["a", "b", "c"],
    "af-south-1": ["a", "b", "c"],
};

export function isKnownRegion(region: string): boolean {
    return Object.prototype.hasOwnProperty.call(REGION_AZS, region);
}

/** Full AZ names (`us-east-2a`, ...) for a known region. */
export function availabilityZones(region: string): string[] {
    const suffixes = REGION_AZS[region];
    if (!suffixes) {
        throw new Error(`unknown AWS region "${region}"`);
    }
    return suffixes.map((s) => `${region}${s}`);
}
