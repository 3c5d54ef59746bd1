import { expect } from "chai";
import * as fc from "fast-check";
import {
    ecrDnsCnameNotA,
    ecrZoneCapturesBareEcrName,
    noApexOverrides,
} from "../../policies/rules/dns";
import {
    StackResource,
    UNKNOWN_ARRAY,
    UNKNOWN_STRING,
    runStack,
    stackMessages,
    urnOf,
} from "../helpers/policyHarness";

const ZONE = "aws:route53/zone:Zone";
const RECORD = "aws:route53/record:Record";
const ASSOC = "aws:route53/zoneAssociation:ZoneAssociation";
const ENDPOINT_DNS = "vpce-0a1b2c3d4e5f-abcdefgh.dkr.ecr.us-east-1.vpce.amazonaws.com";

function zone(name: string, zoneName: string, extra: Record<string, unknown> = {}): StackResource {
    return {
        type: ZONE,
        name,
        props: {
            name: zoneName,
            zoneId: `Z${name.toUpperCase()}`,
            vpcs: [{ vpcId: "vpc-1", vpcRegion: "us-east-1" }],
            ...extra,
        },
    };
}

function record(
    name: string,
    zoneRes: string,
    props: Record<string, unknown>,
    deps = false,
): StackResource {
    return {
        type: RECORD,
        name,
        props: { zoneId: `Z${zoneRes.toUpperCase()}`, ...props },
        deps: deps ? { zoneId: [zoneRes] } : undefined,
    };
}

describe("policy ecr-dns-cname-not-a", () => {
    it("has a mandatory default enforcement level", () => {
        expect(ecrDnsCnameNotA.enforcementLevel).to.equal("mandatory");
    });

    it("passes the seed layout: api CNAME and * CNAME in ecr/dkr zones", () => {
        const resources = [
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
            zone("dkr", "dkr.ecr.us-east-1.amazonaws.com"),
            record("api", "ecr", { name: "api", type: "CNAME", ttl: 300, records: [ENDPOINT_DNS] }),
            record("star", "dkr", { name: "*", type: "CNAME", ttl: 300, records: [ENDPOINT_DNS] }),
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.deep.equal([]);
    });

    it("passes the exact-zone layout: alias A at the apex to the endpoint", () => {
        const resources = [
            zone("dkr", "dkr.ecr.us-east-1.amazonaws.com"),
            record("apex", "dkr", {
                name: "dkr.ecr.us-east-1.amazonaws.com",
                type: "A",
                aliases: [
                    { name: ENDPOINT_DNS, zoneId: "Z7HUB22UULQXV", evaluateTargetHealth: false },
                ],
            }),
            record("star", "dkr", {
                name: "*.dkr.ecr.us-east-1.amazonaws.com",
                type: "A",
                aliases: [
                    {
                        name: ENDPOINT_DNS.toUpperCase() + ".",
                        zoneId: "Z7HUB22UULQXV",
                        evaluateTargetHealth: false,
                    },
                ],
            }),
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.deep.equal([]);
    });

    it("ignores records outside ECR names", () => {
        const resources = [
            zone("corp", "corp.example.com"),
            record("www", "corp", { name: "www", type: "A", records: ["10.0.0.1"] }),
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.deep.equal([]);
    });

    it("reports a relative A record with literal IPs (zone joined by zoneId)", () => {
        const resources = [
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
            record("api", "ecr", { name: "API", type: "A", ttl: 60, records: ["10.0.1.10"] }),
        ];
        expect(runStack(ecrDnsCnameNotA, resources)).to.deep.equal([
            {
                message:
                    'Route 53 record "api.ecr.us-east-1.amazonaws.com" is an A record with literal addresses; use a CNAME or an alias to the interface endpoint\'s DNS name (*.vpce.amazonaws.com), because endpoint IPs change when the endpoint or its subnets are replaced.',
                urn: urnOf(RECORD, "api"),
            },
        ]);
    });

    it("reports an absolute AAAA record with a trailing dot in a broader zone", () => {
        const resources = [
            zone("reg", "us-east-1.amazonaws.com"),
            record("dkr", "reg", {
                name: "DKR.ecr.us-east-1.amazonaws.com.",
                type: "AAAA",
                records: ["fd00::1"],
            }),
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.deep.equal([
            'Route 53 record "dkr.ecr.us-east-1.amazonaws.com" is an AAAA record with literal addresses; use a CNAME or an alias to the interface endpoint\'s DNS name (*.vpce.amazonaws.com), because endpoint IPs change when the endpoint or its subnets are replaced.',
        ]);
    });

    it("reports a wildcard A record that answers for ECR names", () => {
        const resources = [
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
            record("star", "ecr", { name: "*", type: "A", records: ["10.0.1.10"] }),
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.deep.equal([
            'Route 53 record "*.ecr.us-east-1.amazonaws.com" is an A record with literal addresses; use a CNAME or an alias to the interface endpoint\'s DNS name (*.vpce.amazonaws.com), because endpoint IPs change when the endpoint or its subnets are replaced.',
        ]);
    });

    it("reports an alias whose target is not an endpoint DNS name", () => {
        const resources = [
            zone("api", "api.ecr.eu-west-1.amazonaws.com"),
            record("apex", "api", {
                name: "",
                type: "A",
                aliases: [
                    {
                        name: "my-alb-123.eu-west-1.elb.amazonaws.com",
                        zoneId: "Z32O12XQLNTSW2",
                        evaluateTargetHealth: true,
                    },
                ],
            }),
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.deep.equal([
            'Route 53 record "api.ecr.eu-west-1.amazonaws.com" (A) aliases "my-alb-123.eu-west-1.elb.amazonaws.com", which is not an interface endpoint DNS name (*.vpce.amazonaws.com).',
        ]);
    });

    it("joins the zone through property dependencies while ids are unknown (preview)", () => {
        const resources = [
            zone("dkr", "dkr.ecr.us-east-1.amazonaws.com", { zoneId: UNKNOWN_STRING }),
            {
                ...record("star", "dkr", { name: "*", type: "A", records: ["10.0.0.5"] }, true),
                props: { zoneId: UNKNOWN_STRING, name: "*", type: "A", records: ["10.0.0.5"] },
            },
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.have.length(1);
    });

    it("judges records in zones outside the stack by their written (absolute) name", () => {
        const resources: StackResource[] = [
            {
                type: RECORD,
                name: "ext",
                props: {
                    zoneId: "ZEXTERNAL",
                    name: "api.ecr.us-east-1.amazonaws.com",
                    type: "A",
                    records: ["10.0.0.1"],
                },
            },
            {
                type: RECORD,
                name: "rel",
                props: { zoneId: "ZEXTERNAL", name: "api", type: "A", records: ["10.0.0.1"] },
            },
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.have.length(1);
    });

    it("skips values unknown during preview", () => {
        const resources: StackResource[] = [
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
            zone("unk", UNKNOWN_STRING),
            {
                type: RECORD,
                name: "r1",
                props: { zoneId: UNKNOWN_STRING, name: "api", type: "A", records: ["10.0.0.1"] },
            },
            record("r2", "ecr", { name: UNKNOWN_STRING, type: "A", records: ["10.0.0.1"] }),
            record("r3", "ecr", { name: "api", type: UNKNOWN_STRING }),
            record("r4", "ecr", { name: "api", type: "A", aliases: UNKNOWN_ARRAY }),
            record("r5", "ecr", {
                name: "api",
                type: "A",
                aliases: [{ name: UNKNOWN_STRING, zoneId: UNKNOWN_STRING }],
            }),
            record("r6", "unk", { name: "api", type: "A", records: ["10.0.0.1"] }),
            record("r7", "ecr", {
                name: "api",
                type: "A",
                records: UNKNOWN_ARRAY,
                aliases: [{ name: UNKNOWN_STRING }],
            }),
        ];
        expect(stackMessages(ecrDnsCnameNotA, resources)).to.deep.equal([]);
    });
});

describe("policy no-apex-overrides", () => {
    it("has a mandatory default enforcement level and a configSchema with defaults", () => {
        expect(noApexOverrides.enforcementLevel).to.equal("mandatory");
        expect(noApexOverrides.configSchema?.properties.allowedZoneNames.default).to.deep.equal([
            "ecr.{region}.amazonaws.com",
            "ecr.{region}.amazonaws.com.cn",
            "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com",
            "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com.cn",
        ]);
        expect(noApexOverrides.configSchema?.properties.allowedApexNames.default).to.deep.equal([
            "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com",
            "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com.cn",
        ]);
    });

    it("passes ECR zones, the seed layout zone and unrelated zones", () => {
        const resources = [
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
            zone("api", "api.ecr.ap-northeast-1.amazonaws.com."),
            zone("dkr", "DKR.ECR.ap-northeast-1.amazonaws.com"),
            zone("reg", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            zone("corp", "corp.example.com"),
            record("apex", "dkr", {
                name: "",
                type: "A",
                aliases: [{ name: ENDPOINT_DNS, zoneId: "Z1", evaluateTargetHealth: false }],
            }),
            record("www", "corp", { name: "corp.example.com", type: "A", records: ["10.0.0.1"] }),
        ];
        expect(stackMessages(noApexOverrides, resources)).to.deep.equal([]);
    });

    const captures = (z: string) =>
        `Private hosted zone "${z}" captures AWS service names beyond ECR's (STS, CloudWatch Logs, S3 and others answer NXDOMAIN inside it); name zones after api.ecr.<region>.amazonaws.com or dkr.ecr.<region>.amazonaws.com, or add the name to allowedZoneNames.`;

    for (const z of [
        "amazonaws.com",
        "us-east-1.amazonaws.com",
        "com",
        "sts.us-east-1.amazonaws.com",
        "us-east-1.vpce.amazonaws.com",
        "cn-north-1.amazonaws.com.cn",
    ]) {
        it(`reports a private zone named ${z}`, () => {
            expect(runStack(noApexOverrides, [zone("z", z.toUpperCase() + ".")])).to.deep.equal([
                { message: captures(z), urn: urnOf(ZONE, "z") },
            ]);
        });
    }

    describe("ECR's layer bucket host (pulls from peered and on-premises networks)", () => {
        const LAYERS = "prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com";
        const S3_ENDPOINT =
            "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
        const layerStack = (zoneName: string) => [
            zone("layers", zoneName),
            record("apex", "layers", {
                name: zoneName,
                type: "A",
                aliases: [{ name: S3_ENDPOINT, zoneId: "Z1", evaluateTargetHealth: false }],
            }),
        ];
        const apexMessage = (z: string) =>
            `Route 53 record (A) overrides the apex of zone "${z}", an AWS name that is not an ECR service name (api.ecr/dkr.ecr.<region>.amazonaws.com).`;

        it("passes a private zone named exactly that host with an apex alias to the S3 endpoint", () => {
            expect(stackMessages(noApexOverrides, layerStack(LAYERS))).to.deep.equal([]);
            expect(
                stackMessages(noApexOverrides, layerStack(`${LAYERS.toUpperCase()}.`)),
            ).to.deep.equal([]);
        });

        for (const z of [
            "s3.ap-southeast-1.amazonaws.com",
            "other-bucket.s3.ap-southeast-1.amazonaws.com",
            "starport-layer-bucket.s3.ap-southeast-1.amazonaws.com",
            // The bucket of one region under another region's S3 name is not ECR's host.
            "prod-us-west-2-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com",
            "prod-ap-southeast-1-starport-layer-bucket.s3.amazonaws.com",
        ]) {
            it(`reports the zone and its apex record for ${z}`, () => {
                expect(runStack(noApexOverrides, layerStack(z))).to.deep.equal([
                    { message: captures(z), urn: urnOf(ZONE, "layers") },
                    { message: apexMessage(z), urn: urnOf(RECORD, "apex") },
                ]);
            });
        }

        it("an explicit allow-list without it reports the zone and the apex record", () => {
            expect(
                stackMessages(noApexOverrides, layerStack(LAYERS), {
                    config: {
                        allowedZoneNames: ["ecr.{region}.amazonaws.com"],
                        allowedApexNames: [],
                    },
                }),
            ).to.deep.equal([captures(LAYERS), apexMessage(LAYERS)]);
        });
    });

    it("reports a zone made private by a ZoneAssociation, and not a public one", () => {
        const resources: StackResource[] = [
            { type: ZONE, name: "pub", props: { name: "amazonaws.com", zoneId: "ZPUB" } },
            {
                type: ZONE,
                name: "assoc",
                props: { name: "us-west-2.amazonaws.com", zoneId: "ZASSOC" },
            },
            {
                type: ASSOC,
                name: "a",
                props: { zoneId: "ZASSOC", vpcId: "vpc-2", vpcRegion: "us-west-2" },
            },
        ];
        expect(stackMessages(noApexOverrides, resources)).to.deep.equal([
            captures("us-west-2.amazonaws.com"),
        ]);
    });

    it("honours allowedZoneNames, and an empty allow-list reports the seed layout zone", () => {
        const resources = [
            zone("reg", "us-east-1.amazonaws.com"),
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
        ];
        expect(
            stackMessages(noApexOverrides, resources, {
                config: { allowedZoneNames: ["{region}.amazonaws.com"] },
            }),
        ).to.deep.equal([]);
        expect(
            stackMessages(noApexOverrides, resources, { config: { allowedZoneNames: [] } }),
        ).to.deep.equal([
            captures("us-east-1.amazonaws.com"),
            captures("ecr.us-east-1.amazonaws.com"),
        ]);
    });

    it("reports a record overriding the bare ECR name at the seed zone's apex", () => {
        const resources = [
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
            record("apex", "ecr", {
                name: "ecr.us-east-1.amazonaws.com.",
                type: "A",
                records: ["10.0.0.1"],
            }),
        ];
        expect(runStack(noApexOverrides, resources)).to.deep.equal([
            {
                message:
                    'Route 53 record (A) overrides the apex of zone "ecr.us-east-1.amazonaws.com", an AWS name that is not an ECR service name (api.ecr/dkr.ecr.<region>.amazonaws.com).',
                urn: urnOf(RECORD, "apex"),
            },
        ]);
        expect(
            stackMessages(noApexOverrides, resources, {
                config: { allowedApexNames: ["ecr.{region}.amazonaws.com"] },
            }),
        ).to.deep.equal([]);
    });

    it("reports a CNAME at any zone apex", () => {
        const resources = [
            zone("dkr", "dkr.ecr.us-east-1.amazonaws.com"),
            record("apex", "dkr", { name: "", type: "CNAME", records: [ENDPOINT_DNS] }),
        ];
        expect(stackMessages(noApexOverrides, resources)).to.deep.equal([
            'Route 53 record at the apex of zone "dkr.ecr.us-east-1.amazonaws.com" is a CNAME, which Route 53 rejects at a zone apex; use an alias record to the endpoint\'s DNS name.',
        ]);
    });

    it("skips values unknown during preview", () => {
        const resources: StackResource[] = [
            zone("z1", UNKNOWN_STRING),
            { type: ZONE, name: "z2", props: { name: "amazonaws.com", vpcs: UNKNOWN_ARRAY } },
            zone("ecr", "ecr.us-east-1.amazonaws.com"),
            record("r1", "ecr", { name: UNKNOWN_STRING, type: "A" }),
            record("r2", "ecr", { name: "", type: UNKNOWN_STRING }),
            {
                type: RECORD,
                name: "r3",
                props: { zoneId: UNKNOWN_STRING, name: "", type: "CNAME" },
            },
        ];
        expect(stackMessages(noApexOverrides, resources)).to.deep.equal([]);
    });
});

describe("policy ecr-zone-captures-bare-ecr-name", () => {
    it("is advisory and flags only the seed layout zone", () => {
        expect(ecrZoneCapturesBareEcrName.enforcementLevel).to.equal("advisory");
        const resources = [
            zone("ecr", "ECR.us-east-1.amazonaws.com."),
            zone("dkr", "dkr.ecr.us-east-1.amazonaws.com"),
        ];
        expect(runStack(ecrZoneCapturesBareEcrName, resources)).to.deep.equal([
            {
                message:
                    'Private hosted zone "ecr.us-east-1.amazonaws.com" also answers for the bare ECR name "ecr.us-east-1.amazonaws.com" (NXDOMAIN unless the zone has an apex record); prefer exact zones "api.ecr.us-east-1.amazonaws.com" and "dkr.ecr.us-east-1.amazonaws.com" with alias records at their apex.',
                urn: urnOf(ZONE, "ecr"),
            },
        ]);
    });

    it("skips an unknown zone name", () => {
        expect(
            stackMessages(ecrZoneCapturesBareEcrName, [zone("z", UNKNOWN_STRING)]),
        ).to.deep.equal([]);
    });
});

// ---------------------------------------------------------------------------------------------
// Property-based tests: the rules agree with an oracle written here. The oracle knows the true
// FQDN from how the case was generated and classifies names by comparing label lists against the
// (finite) set of regions the generator uses, instead of the rules' regular expressions.

const REGIONS = ["us-east-1", "ap-northeast-1", "eu-west-2", "us-gov-west-1", "cn-north-1"];
const SUFFIXES = [
    ["amazonaws", "com"],
    ["amazonaws", "com", "cn"],
];

const eqLabels = (a: string[], b: string[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);

/** True when `labels` ends with `tail`. */
const endsWithLabels = (labels: string[], tail: string[]) =>
    labels.length >= tail.length && eqLabels(labels.slice(labels.length - tail.length), tail);

/** Every ECR service root (api.ecr.<r>.<suffix>, dkr.ecr.<r>.<suffix>) as label lists. */
const ECR_ROOTS: string[][] = REGIONS.flatMap((r) =>
    SUFFIXES.flatMap((s) => [
        ["api", "ecr", r, ...s],
        ["dkr", "ecr", r, ...s],
    ]),
);

/** Names strictly above some ECR root (each root's proper ancestors), as dotted strings. */
const ECR_PROPER_ANCESTORS = new Set<string>(
    ECR_ROOTS.flatMap((root) =>
        root.map((_, i) => root.slice(i + 1).join(".")).filter((x) => x !== ""),
    ),
);

function oracleIsEcrName(fqdn: string): boolean {
    const labels = fqdn.split(".");
    return ECR_ROOTS.some((root) => endsWithLabels(labels, root));
}

function oracleAnswersForEcr(fqdn: string): boolean {
    if (oracleIsEcrName(fqdn)) return true;
    const labels = fqdn.split(".");
    return labels[0] === "*" && ECR_PROPER_ANCESTORS.has(labels.slice(1).join("."));
}

function oracleIsEndpointName(target: string): boolean {
    let labels = target.toLowerCase().replace(/\.$/, "").split(".");
    if (labels[0] === "dualstack") labels = labels.slice(1);
    return (
        (labels.length >= 4 && eqLabels(labels.slice(-3), ["vpce", "amazonaws", "com"])) ||
        (labels.length >= 5 && eqLabels(labels.slice(-4), ["vpce", "amazonaws", "com", "cn"]))
    );
}

/** Zone names inside the AWS namespace: amazonaws.com's subtree or its ancestors. */
function oracleInAwsNamespace(zone: string): boolean {
    const labels = zone.split(".");
    if (["com", "cn", "com.cn"].includes(zone)) return true;
    return SUFFIXES.some((s) => endsWithLabels(labels, s));
}

function oracleAllowListed(entries: string[], zone: string, withSubdomains: boolean): boolean {
    const names = entries.flatMap((e) => {
        const n = e.toLowerCase().replace(/\.$/, "");
        return n.includes("{region}") ? REGIONS.map((r) => n.split("{region}").join(r)) : [n];
    });
    return names.some(
        (n) => zone === n || (withSubdomains && endsWithLabels(zone.split("."), n.split("."))),
    );
}

/** A generator region other than `r`. */
const otherRegion = (r: string) => REGIONS[(REGIONS.indexOf(r) + 1) % REGIONS.length];

const randomCase = (s: string, mask: number) =>
    s
        .split("")
        .map((c, i) => ((mask >> (i % 30)) & 1 ? c.toUpperCase() : c))
        .join("");

const zoneNames = (r: string, s: string) => [
    "com",
    s,
    `${r}.${s}`,
    `ecr.${r}.${s}`,
    `api.ecr.${r}.${s}`,
    `dkr.ecr.${r}.${s}`,
    `123456789012.dkr.ecr.${r}.${s}`,
    `sts.${r}.${s}`,
    `vpce.${s}`,
    "example.com",
    "corp.internal",
    `dkr.ecr.${r}.${s}.corp.internal`,
    "ecr.example.com",
];

const subNames = (r: string) => [
    "",
    "api",
    "dkr",
    "*",
    "api.ecr",
    "dkr.ecr",
    "*.dkr",
    "*.ecr",
    "123456789012.dkr",
    "*.123456789012.dkr",
    "ecr",
    `ecr.${r}`,
    `dkr.ecr.${r}`,
    `*.ecr.${r}`,
    "www",
    "foo.api",
];

const ALIAS_TARGETS = [
    "vpce-0abc123-12345678.dkr.ecr.us-east-1.vpce.amazonaws.com",
    "VPCE-0ABC123-1.API.ECR.ap-northeast-1.VPCE.amazonaws.com.",
    "vpce-0abc-1-us-east-1a.ecr.dkr.us-east-1.vpce.amazonaws.com",
    "vpce-0abc.ecr.dkr.cn-north-1.vpce.amazonaws.com.cn",
    "dualstack.my-alb-1.us-east-1.elb.amazonaws.com",
    "d111111abcdef8.cloudfront.net",
    "vpce.amazonaws.com",
    "10.0.0.1",
];

interface RecordCase {
    zoneName: string;
    sub: string;
    absolute: boolean;
    trailingDot: boolean;
    escapeStar: boolean;
    caseMask: number;
    zoneCaseMask: number;
    type: string;
    aliases: string[];
    join: "id" | "deps" | "external";
}

const recordCase: fc.Arbitrary<RecordCase> = fc
    .tuple(fc.constantFrom(...REGIONS), fc.constantFrom("amazonaws.com", "amazonaws.com.cn"))
    .chain(([r, s]) =>
        fc.record({
            zoneName: fc.constantFrom(...zoneNames(r, s)),
            sub: fc.constantFrom(...subNames(r)),
            absolute: fc.boolean(),
            trailingDot: fc.boolean(),
            escapeStar: fc.boolean(),
            caseMask: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
            zoneCaseMask: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
            type: fc.constantFrom("A", "AAAA", "CNAME", "TXT", "MX"),
            aliases: fc.oneof(
                { weight: 2, arbitrary: fc.constant([] as string[]) },
                {
                    weight: 1,
                    arbitrary: fc.array(fc.constantFrom(...ALIAS_TARGETS), {
                        minLength: 1,
                        maxLength: 2,
                    }),
                },
            ),
            join: fc.constantFrom("id" as const, "deps" as const, "external" as const),
        }),
    );

function writtenName(c: RecordCase): string {
    let n = c.absolute ? [c.sub, c.zoneName].filter((x) => x !== "").join(".") : c.sub;
    if (c.escapeStar && n.startsWith("*")) n = "\\052" + n.slice(1);
    n = randomCase(n, c.caseMask);
    return c.trailingDot && n !== "" ? n + "." : n;
}

function buildRecordStack(c: RecordCase): StackResource[] {
    const zoneRes: StackResource = {
        type: ZONE,
        name: "zone",
        props: {
            name: randomCase(c.zoneName, c.zoneCaseMask),
            zoneId: c.join === "deps" ? UNKNOWN_STRING : "ZONE1",
            vpcs: [{ vpcId: "vpc-1" }],
        },
    };
    const rec: StackResource = {
        type: RECORD,
        name: "rec",
        props: {
            zoneId: c.join === "external" ? "ZOTHER" : c.join === "deps" ? UNKNOWN_STRING : "ZONE1",
            name: writtenName(c),
            type: c.type,
            ...(c.aliases.length > 0
                ? {
                      aliases: c.aliases.map((a) => ({
                          name: a,
                          zoneId: "ZALIAS",
                          evaluateTargetHealth: false,
                      })),
                  }
                : { ttl: 60, records: ["10.0.0.1"] }),
        },
        deps: c.join === "deps" ? { zoneId: ["zone"] } : undefined,
    };
    return [zoneRes, rec];
}

/** The true FQDN: the generator built it from sub + zone (the provider qualifies relative names). */
function trueFqdn(c: RecordCase): string {
    if (c.join === "external") {
        // Zone unknown to the stack: the rule takes the written name as absolute.
        return writtenName(c)
            .toLowerCase()
            .replace(/\.$/, "")
            .replace(/^\\052/, "*");
    }
    return [c.sub, c.zoneName].filter((x) => x !== "").join(".");
}

function expectedCnameViolations(c: RecordCase): number {
    const fqdn = trueFqdn(c);
    if (!oracleAnswersForEcr(fqdn)) return 0;
    if (c.aliases.length > 0) return c.aliases.filter((a) => !oracleIsEndpointName(a)).length;
    return c.type === "A" || c.type === "AAAA" ? 1 : 0;
}

describe("property: ecr-dns-cname-not-a agrees with an independent oracle", () => {
    it("on 2,000 generated record/zone shapes", () => {
        let inScope = 0;
        fc.assert(
            fc.property(recordCase, (c) => {
                // The provider treats a relative name that already ends with the zone's name as
                // absolute; the generator never produces such a name, so its FQDN is the truth.
                fc.pre(c.absolute || c.sub === "" || !c.sub.endsWith(c.zoneName));
                if (oracleAnswersForEcr(trueFqdn(c))) inScope++;
                const messages = stackMessages(ecrDnsCnameNotA, buildRecordStack(c));
                expect(messages, JSON.stringify(c)).to.have.length(expectedCnameViolations(c));
                for (const m of messages) expect(m).to.contain(`"${trueFqdn(c)}"`);
            }),
            { numRuns: 2000 },
        );
        // The generator must exercise the interesting half, not only unrelated names.
        expect(inScope).to.be.greaterThan(300);
    });
});

interface ZoneCase {
    zones: { name: string; private: "inline" | "association" | "public"; caseMask: number }[];
    apex: { zone: number; type: string; absolute: boolean }[];
    allowedZoneNames: string[] | undefined;
    allowedApexNames: string[] | undefined;
}

const zoneCase: fc.Arbitrary<ZoneCase> = fc
    .tuple(fc.constantFrom(...REGIONS), fc.constantFrom("amazonaws.com", "amazonaws.com.cn"))
    .chain(([r, s]) =>
        fc.record({
            zones: fc.array(
                fc.record({
                    name: fc.constantFrom(
                        ...zoneNames(r, s),
                        "cn",
                        "com.cn",
                        `${r}.vpce.${s}`,
                        `s3.${r}.${s}`,
                        `other-bucket.s3.${r}.${s}`,
                        // ECR's layer bucket host; then the same with two regions that disagree.
                        `prod-${r}-starport-layer-bucket.s3.${r}.${s}`,
                        `prod-${otherRegion(r)}-starport-layer-bucket.s3.${r}.${s}`,
                        `x.prod-${r}-starport-layer-bucket.s3.${r}.${s}`,
                    ),
                    private: fc.constantFrom(
                        "inline" as const,
                        "association" as const,
                        "public" as const,
                    ),
                    caseMask: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
                }),
                { minLength: 1, maxLength: 3 },
            ),
            apex: fc.array(
                fc.record({
                    zone: fc.nat(2),
                    type: fc.constantFrom("A", "AAAA", "CNAME", "NS", "TXT"),
                    absolute: fc.boolean(),
                }),
                { maxLength: 3 },
            ),
            allowedZoneNames: fc.option(
                fc.constantFrom(
                    [] as string[],
                    ["ecr.{region}.amazonaws.com"],
                    [`${r}.amazonaws.com`],
                    ["{region}.amazonaws.com", "{region}.amazonaws.com.cn"],
                    ["amazonaws.com"],
                    ["example.com"],
                ),
                { nil: undefined },
            ),
            allowedApexNames: fc.option(
                fc.constantFrom(
                    [] as string[],
                    ["ecr.{region}.amazonaws.com"],
                    [`sts.${r}.${s}`],
                    ["prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com"],
                ),
                {
                    nil: undefined,
                },
            ),
        }),
    );

function buildZoneStack(c: ZoneCase): StackResource[] {
    const out: StackResource[] = [];
    c.zones.forEach((z, i) => {
        out.push({
            type: ZONE,
            name: `z${i}`,
            props: {
                name: randomCase(z.name, z.caseMask) + (i % 2 ? "." : ""),
                zoneId: `Z${i}`,
                ...(z.private === "inline" ? { vpcs: [{ vpcId: "vpc-1" }] } : {}),
            },
        });
        if (z.private === "association") {
            out.push({ type: ASSOC, name: `a${i}`, props: { zoneId: `Z${i}`, vpcId: "vpc-2" } });
        }
    });
    c.apex.forEach((a, j) => {
        const zi = a.zone % c.zones.length;
        out.push({
            type: RECORD,
            name: `r${j}`,
            props: {
                zoneId: `Z${zi}`,
                name: a.absolute ? c.zones[zi].name.toUpperCase() + "." : "",
                type: a.type,
            },
        });
    });
    return out;
}

function expectedApexViolations(c: ZoneCase): string[] {
    const layerHosts = [
        "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com",
        "prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com.cn",
    ];
    const allowedZones = c.allowedZoneNames ?? [
        "ecr.{region}.amazonaws.com",
        "ecr.{region}.amazonaws.com.cn",
        ...layerHosts,
    ];
    const allowedApex = c.allowedApexNames ?? layerHosts;
    const urns: string[] = [];
    c.zones.forEach((z, i) => {
        if (z.private === "public") return;
        if (!oracleInAwsNamespace(z.name) || oracleIsEcrName(z.name)) return;
        if (oracleAllowListed(allowedZones, z.name, true)) return;
        urns.push(urnOf(ZONE, `z${i}`));
    });
    c.apex.forEach((a, j) => {
        const z = c.zones[a.zone % c.zones.length].name;
        if (a.type === "NS") return;
        if (a.type === "CNAME") urns.push(urnOf(RECORD, `r${j}`));
        else if (
            oracleInAwsNamespace(z) &&
            !oracleIsEcrName(z) &&
            !oracleAllowListed(allowedApex, z, false)
        ) {
            urns.push(urnOf(RECORD, `r${j}`));
        }
    });
    return urns;
}

describe("property: no-apex-overrides agrees with an independent oracle", () => {
    it("on 1,500 generated zone sets", () => {
        let violating = 0;
        fc.assert(
            fc.property(zoneCase, (c) => {
                const config: Record<string, unknown> = {};
                if (c.allowedZoneNames) config.allowedZoneNames = c.allowedZoneNames;
                if (c.allowedApexNames) config.allowedApexNames = c.allowedApexNames;
                const got = runStack(noApexOverrides, buildZoneStack(c), { config }).map(
                    (v) => v.urn,
                );
                const want = expectedApexViolations(c);
                if (want.length > 0) violating++;
                expect(got, JSON.stringify(c)).to.deep.equal(want);
            }),
            { numRuns: 1500 },
        );
        expect(violating).to.be.greaterThan(300);
    });
});
