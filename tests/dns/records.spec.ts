import { expect } from "chai";
import * as fc from "fast-check";
import {
    dnsSuffix,
    ecrRecordSet,
    ecrZoneNames,
    endpointNamesFromRecords,
    isEcrServiceName,
    isLayerBucketHost,
    layerBucketHost,
    layerBucketRecord,
    route53StoredName,
    onPremRecordSet,
    splitLayerBucketRecord,
} from "../../src/dns/records";
import type { EcrEndpointDnsNames } from "../../src/dns/types";

const R = "ap-southeast-1";
// The endpoint names from seed 000's screenshots.
const API = "vpce-0a771b3bbcbe107f4-6mennhxj.api.ecr.ap-southeast-1.vpce.amazonaws.com";
const DKR = "vpce-0424acc787dd05730-ypo3xc68.dkr.ecr.ap-southeast-1.vpce.amazonaws.com";
const names: EcrEndpointDnsNames = { region: R, apiDnsName: API, dkrDnsName: DKR };

describe("dns/records", () => {
    describe("ecrZoneNames", () => {
        it("seed layout: ecr.<r> and dkr.ecr.<r>", () => {
            expect(ecrZoneNames(R, "seed")).to.deep.equal([
                "ecr.ap-southeast-1.amazonaws.com",
                "dkr.ecr.ap-southeast-1.amazonaws.com",
            ]);
        });
        it("exact layout: api.ecr.<r> and dkr.ecr.<r>", () => {
            expect(ecrZoneNames(R, "exact")).to.deep.equal([
                "api.ecr.ap-southeast-1.amazonaws.com",
                "dkr.ecr.ap-southeast-1.amazonaws.com",
            ]);
        });
        it("China regions use amazonaws.com.cn", () => {
            expect(ecrZoneNames("cn-north-1", "exact")).to.deep.equal([
                "api.ecr.cn-north-1.amazonaws.com.cn",
                "dkr.ecr.cn-north-1.amazonaws.com.cn",
            ]);
            expect(dnsSuffix("us-gov-west-1")).to.equal("amazonaws.com");
        });
        it("rejects an unknown layout and a bad region", () => {
            expect(() => ecrZoneNames(R, "flat" as never)).to.throw("`layout`");
            expect(() => ecrZoneNames("ap-southeast", "seed")).to.throw("`region`");
            expect(() => ecrZoneNames("us-iso-east-1", "seed")).to.throw("ISO partition");
        });
    });

    describe("ecrRecordSet", () => {
        it("seed layout: api CNAME, dkr apex ALIAS, *.dkr CNAME", () => {
            expect(ecrRecordSet(names, { layout: "seed", ttl: 300 })).to.deep.equal([
                {
                    zone: "ecr.ap-southeast-1.amazonaws.com",
                    name: "api.ecr.ap-southeast-1.amazonaws.com",
                    type: "CNAME",
                    value: API,
                    ttl: 300,
                },
                {
                    zone: "dkr.ecr.ap-southeast-1.amazonaws.com",
                    name: "dkr.ecr.ap-southeast-1.amazonaws.com",
                    type: "ALIAS",
                    value: DKR,
                    ttl: 300,
                },
                {
                    zone: "dkr.ecr.ap-southeast-1.amazonaws.com",
                    name: "*.dkr.ecr.ap-southeast-1.amazonaws.com",
                    type: "CNAME",
                    value: DKR,
                    ttl: 300,
                },
            ]);
        });
        it("exact layout: ALIAS at both apexes and for *.dkr", () => {
            expect(ecrRecordSet(names, { layout: "exact", ttl: 60 })).to.deep.equal([
                {
                    zone: "api.ecr.ap-southeast-1.amazonaws.com",
                    name: "api.ecr.ap-southeast-1.amazonaws.com",
                    type: "ALIAS",
                    value: API,
                    ttl: 60,
                },
                {
                    zone: "dkr.ecr.ap-southeast-1.amazonaws.com",
                    name: "dkr.ecr.ap-southeast-1.amazonaws.com",
                    type: "ALIAS",
                    value: DKR,
                    ttl: 60,
                },
                {
                    zone: "dkr.ecr.ap-southeast-1.amazonaws.com",
                    name: "*.dkr.ecr.ap-southeast-1.amazonaws.com",
                    type: "ALIAS",
                    value: DKR,
                    ttl: 60,
                },
            ]);
        });
        it("no CNAME ever sits at a zone apex (Route 53 rejects it)", () => {
            for (const layout of ["seed", "exact"] as const) {
                for (const r of ecrRecordSet(names, { layout, ttl: 60 })) {
                    if (r.type === "CNAME") expect(r.name).to.not.equal(r.zone);
                }
            }
        });
        it("normalizes case and a trailing dot", () => {
            const recs = ecrRecordSet(
                { region: R, apiDnsName: API.toUpperCase() + ".", dkrDnsName: DKR + "." },
                { layout: "seed", ttl: 60 },
            );
            expect(recs.map((r) => r.value)).to.deep.equal([API, DKR, DKR]);
        });

        const bad: [string, Partial<EcrEndpointDnsNames>, string][] = [
            [
                "missing api name",
                { apiDnsName: undefined },
                "`apiDnsName` (the ecr.api endpoint's regional DNS name) is missing",
            ],
            [
                "empty dkr name",
                { dkrDnsName: "  " },
                "`dkrDnsName` (the ecr.dkr endpoint's regional DNS name) is missing",
            ],
            [
                "swapped names",
                { apiDnsName: DKR, dkrDnsName: API },
                "`apiDnsName` " + DKR + " is the ecr.dkr endpoint's name",
            ],
            [
                "public ECR name",
                { apiDnsName: "api.ecr.ap-southeast-1.amazonaws.com" },
                "`apiDnsName` api.ecr.ap-southeast-1.amazonaws.com is not an ecr.api interface endpoint DNS name",
            ],
            [
                "other region",
                { dkrDnsName: DKR.replace(/ap-southeast-1/g, "us-east-1") },
                "`dkrDnsName`",
            ],
            [
                "zonal name",
                {
                    apiDnsName:
                        "vpce-0a771b3bbcbe107f4-6mennhxj-ap-southeast-1a.api.ecr.ap-southeast-1.vpce.amazonaws.com",
                },
                "is a zonal DNS name",
            ],
            [
                "other service",
                {
                    apiDnsName:
                        "vpce-0a771b3bbcbe107f4-6mennhxj.sts.ap-southeast-1.vpce.amazonaws.com",
                },
                "`apiDnsName`",
            ],
            ["IP address", { dkrDnsName: "10.0.1.15" }, "`dkrDnsName` 10.0.1.15 is not"],
            [
                "bad region",
                { region: "singapore" },
                '`region` "singapore" does not look like an AWS region',
            ],
        ];
        for (const [title, patch, message] of bad) {
            it(`rejects ${title}`, () => {
                expect(() =>
                    ecrRecordSet({ ...names, ...patch } as EcrEndpointDnsNames, {
                        layout: "seed",
                        ttl: 60,
                    }),
                ).to.throw(message);
            });
        }
        for (const ttl of [0, -1, 1.5, 86401, NaN, "60" as unknown as number]) {
            it(`rejects ttl ${String(ttl)}`, () => {
                expect(() => ecrRecordSet(names, { layout: "exact", ttl })).to.throw(
                    "`ttl` must be an integer number of seconds from 1 to 86400",
                );
            });
        }
        it("accepts ttl bounds 1 and 86400", () => {
            expect(ecrRecordSet(names, { layout: "exact", ttl: 1 })[0].ttl).to.equal(1);
            expect(ecrRecordSet(names, { layout: "exact", ttl: 86400 })[0].ttl).to.equal(86400);
        });

        it("property: never A/AAAA, never a zone for amazonaws.com or <region>.amazonaws.com", () => {
            const region = fc.constantFrom(
                "us-east-1",
                "eu-central-1",
                "ap-southeast-1",
                "cn-north-1",
                "us-gov-west-1",
                "sa-east-1",
            );
            const id = fc.stringMatching(/^[0-9a-f]{17}$/);
            const rnd = fc.stringMatching(/^[a-z0-9]{8}$/);
            fc.assert(
                fc.property(
                    region,
                    id,
                    rnd,
                    id,
                    rnd,
                    fc.integer({ min: 1, max: 86400 }),
                    fc.constantFrom("seed" as const, "exact" as const),
                    (r, i1, s1, i2, s2, ttl, layout) => {
                        const suffix = dnsSuffix(r);
                        const n = {
                            region: r,
                            apiDnsName: `vpce-${i1}-${s1}.api.ecr.${r}.vpce.${suffix}`,
                            dkrDnsName: `vpce-${i2}-${s2}.dkr.ecr.${r}.vpce.${suffix}`,
                        };
                        for (const recs of [
                            ecrRecordSet(n, { layout, ttl }),
                            onPremRecordSet(n, ttl),
                        ]) {
                            for (const rec of recs) {
                                expect(["CNAME", "ALIAS"]).to.include(rec.type);
                                expect(rec.zone).to.not.be.oneOf([suffix, `${r}.${suffix}`]);
                                expect(rec.zone.endsWith(`ecr.${r}.${suffix}`)).to.equal(true);
                                expect(isEcrServiceName(rec.name, r)).to.equal(true);
                            }
                            expect(endpointNamesFromRecords(recs)).to.deep.equal(n);
                        }
                    },
                ),
                { numRuns: 200 },
            );
        });
    });

    describe("onPremRecordSet", () => {
        it("three CNAMEs in zone ecr.<r>, so dkr.ecr.<r> is not an apex", () => {
            expect(onPremRecordSet(names, 300)).to.deep.equal([
                {
                    zone: "ecr.ap-southeast-1.amazonaws.com",
                    name: "api.ecr.ap-southeast-1.amazonaws.com",
                    type: "CNAME",
                    value: API,
                    ttl: 300,
                },
                {
                    zone: "ecr.ap-southeast-1.amazonaws.com",
                    name: "dkr.ecr.ap-southeast-1.amazonaws.com",
                    type: "CNAME",
                    value: DKR,
                    ttl: 300,
                },
                {
                    zone: "ecr.ap-southeast-1.amazonaws.com",
                    name: "*.dkr.ecr.ap-southeast-1.amazonaws.com",
                    type: "CNAME",
                    value: DKR,
                    ttl: 300,
                },
            ]);
        });
        it("validates like ecrRecordSet", () => {
            expect(() => onPremRecordSet({ ...names, dkrDnsName: "" }, 300)).to.throw(
                "`dkrDnsName`",
            );
            expect(() => onPremRecordSet(names, 0)).to.throw("`ttl`");
        });
    });

    describe("isEcrServiceName", () => {
        it("accepts the ECR names and registry hosts", () => {
            expect(isEcrServiceName("api.ecr.ap-southeast-1.amazonaws.com")).to.equal(true);
            expect(
                isEcrServiceName("123456789012.dkr.ecr.ap-southeast-1.amazonaws.com.", R),
            ).to.equal(true);
            expect(isEcrServiceName("DKR.ECR.ap-southeast-1.amazonaws.com")).to.equal(true);
            expect(isEcrServiceName("api.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1")).to.equal(
                true,
            );
        });
        it("rejects everything else", () => {
            for (const n of [
                "ecr.ap-southeast-1.amazonaws.com",
                "sts.ap-southeast-1.amazonaws.com",
                "ap-southeast-1.amazonaws.com",
                "amazonaws.com",
                "x.api.ecr.ap-southeast-1.amazonaws.com",
                "api.ecr.cn-north-1.amazonaws.com",
                API,
            ]) {
                expect(isEcrServiceName(n), n).to.equal(false);
            }
            expect(isEcrServiceName("api.ecr.us-east-1.amazonaws.com", R)).to.equal(false);
        });
    });

    describe("endpointNamesFromRecords", () => {
        it("rejects conflicting targets and foreign names", () => {
            const recs = onPremRecordSet(names, 60);
            expect(() =>
                endpointNamesFromRecords([
                    ...recs,
                    { ...recs[2], value: API.replace(".api.", ".dkr.") },
                ]),
            ).to.throw("two targets");
            expect(() =>
                endpointNamesFromRecords([
                    { ...recs[0], name: "sts.ap-southeast-1.amazonaws.com" },
                ]),
            ).to.throw("not an ECR service name");
            expect(() => endpointNamesFromRecords([recs[0]])).to.throw("no dkr.ecr record");
            expect(() => endpointNamesFromRecords([])).to.throw("non-empty");
        });
    });

    describe("layer bucket host and records", () => {
        const S3 = "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com";
        const HOST = "prod-ap-southeast-1-starport-layer-bucket.s3.ap-southeast-1.amazonaws.com";

        it("layerBucketHost: ECR's layer bucket, virtual-hosted, per region and partition", () => {
            expect(layerBucketHost(R)).to.equal(HOST);
            expect(layerBucketHost("cn-north-1")).to.equal(
                "prod-cn-north-1-starport-layer-bucket.s3.cn-north-1.amazonaws.com.cn",
            );
        });

        it("isLayerBucketHost: exactly that host, in any region, and nothing else", () => {
            for (const yes of [HOST, `${HOST.toUpperCase()}.`, layerBucketHost("us-west-2")]) {
                expect(isLayerBucketHost(yes), yes).to.equal(true);
            }
            for (const no of [
                `s3.${R}.amazonaws.com`,
                `other-bucket.s3.${R}.amazonaws.com`,
                `x.${HOST}`,
                "prod-ap-southeast-1-starport-layer-bucket.s3.us-west-2.amazonaws.com",
                "prod-ap-southeast-1-starport-layer-bucket.s3.amazonaws.com",
                "prod-nowhere-1-starport-layer-bucket.s3.nowhere-1.amazonaws.com",
                `api.ecr.${R}.amazonaws.com`,
            ]) {
                expect(isLayerBucketHost(no), no).to.equal(false);
            }
        });

        it("route53StoredName: a `*` label in the octal form Route 53 stores, nothing else changed", () => {
            expect(
                route53StoredName(
                    "*.vpce-0a1b2c3d4e5f60718-abcd1234.s3.us-west-2.vpce.amazonaws.com",
                ),
            ).to.equal("\\052.vpce-0a1b2c3d4e5f60718-abcd1234.s3.us-west-2.vpce.amazonaws.com");
            expect(route53StoredName("*.dkr.ecr.us-west-2.amazonaws.com")).to.equal(
                "\\052.dkr.ecr.us-west-2.amazonaws.com",
            );
            expect(route53StoredName("a*b.example.com")).to.equal("a*b.example.com");
            expect(route53StoredName("api.ecr.us-west-2.amazonaws.com")).to.equal(
                "api.ecr.us-west-2.amazonaws.com",
            );
        });

        it("layerBucketRecord: Route 53 apex ALIAS to the wildcard, on-premises CNAME under it", () => {
            expect(layerBucketRecord(R, S3, 60)).to.deep.equal({
                route53: { zone: HOST, name: HOST, type: "ALIAS", value: S3, ttl: 60 },
                onPrem: {
                    zone: HOST,
                    name: HOST,
                    type: "CNAME",
                    value: "bucket.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com",
                    ttl: 60,
                },
            });
        });

        it("layerBucketRecord normalizes case and a trailing dot", () => {
            expect(layerBucketRecord(R, `${S3.toUpperCase()}.`, 300).route53.value).to.equal(S3);
        });

        const bad: [string, string, string][] = [
            [
                "empty",
                "",
                "`s3InterfaceDnsName` (the S3 interface endpoint's regional DNS name) is missing",
            ],
            [
                "ecr.dkr's name",
                DKR,
                `\`s3InterfaceDnsName\` ${DKR} is not an S3 interface endpoint DNS name in ${R}`,
            ],
            [
                "another region's",
                "*.vpce-0f1e2d3c4b5a69788-abcd1234.s3.us-west-2.vpce.amazonaws.com",
                "is not an S3 interface endpoint DNS name in ap-southeast-1 (expected *.vpce-<id>-<random>.s3.ap-southeast-1.vpce.amazonaws.com)",
            ],
            [
                "zonal",
                "*.vpce-0f1e2d3c4b5a69788-abcd1234-ap-southeast-1a.s3.ap-southeast-1.vpce.amazonaws.com",
                "is a zonal DNS name",
            ],
            [
                "without the wildcard",
                "vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com",
                "is not the endpoint's regional wildcard DNS name",
            ],
            [
                "a bucket name under the wildcard",
                "bucket.vpce-0f1e2d3c4b5a69788-abcd1234.s3.ap-southeast-1.vpce.amazonaws.com",
                "is not the endpoint's regional wildcard DNS name",
            ],
            [
                "the public S3 name",
                `*.s3.${R}.amazonaws.com`,
                "is not an S3 interface endpoint DNS name",
            ],
        ];
        for (const [what, value, message] of bad) {
            it(`layerBucketRecord rejects ${what}, naming the argument`, () => {
                expect(() => layerBucketRecord(R, value, 60)).to.throw(message);
            });
        }

        it("layerBucketRecord checks the region and the TTL", () => {
            expect(() => layerBucketRecord("mars-1", S3, 60)).to.throw("`region`");
            expect(() => layerBucketRecord(R, S3, 0)).to.throw("`ttl` must be an integer");
        });

        it("splitLayerBucketRecord: takes either form out of a set, returns the CNAME form", () => {
            const ecr = onPremRecordSet(names, 60);
            const { route53, onPrem } = layerBucketRecord(R, S3, 60);
            expect(splitLayerBucketRecord(ecr)).to.deep.equal({ ecr });
            expect(splitLayerBucketRecord([...ecr, route53])).to.deep.equal({ ecr, layer: onPrem });
            expect(splitLayerBucketRecord([onPrem, ...ecr])).to.deep.equal({ ecr, layer: onPrem });
        });

        it("splitLayerBucketRecord rejects two layer records, an A record and a foreign target", () => {
            const { route53, onPrem } = layerBucketRecord(R, S3, 60);
            expect(() => splitLayerBucketRecord([route53, onPrem])).to.throw(
                "holds 2 layer bucket records",
            );
            expect(() =>
                splitLayerBucketRecord([{ ...onPrem, type: "A" as never, value: "10.0.0.1" }]),
            ).to.throw("the layer bucket record is a A, not a CNAME or ALIAS");
            expect(() =>
                splitLayerBucketRecord([{ ...onPrem, value: "bucket.example.com" }]),
            ).to.throw("`s3InterfaceDnsName`");
        });
    });
});
