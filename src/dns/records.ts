/**
 * Pure functions that compute the DNS records making ECR's public host names
 * resolve to the ECR interface endpoints, for Route 53 private hosted zones
 * and for on-premises DNS servers.
 *
 * The records are always CNAME (or Route 53 alias) records pointing at the
 * endpoints' regional DNS names, never A/AAAA records with endpoint IPs:
 * clients must keep using the AWS host name so that TLS certificate checks
 * pass (seed 000), and the endpoint ENI IPs change whenever the endpoint or
 * its subnets are replaced.
 */
import type { EcrDnsRecord, EcrEndpointDnsNames } from "./types";

export type { EcrDnsRecord, EcrEndpointDnsNames } from "./types";

/**
 * How the Route 53 private hosted zones are laid out.
 *
 * - `seed`: seed 000's layout. Zone `ecr.<region>.<suffix>` with an `api`
 *   CNAME, zone `dkr.ecr.<region>.<suffix>` with a `*` CNAME and an alias at
 *   its apex. The first zone also captures the bare `ecr.<region>.<suffix>`
 *   name, which is a real (older) ECR API host name: clients that use it get
 *   an empty answer.
 * - `exact`: zones `api.ecr.<region>.<suffix>` and `dkr.ecr.<region>.<suffix>`
 *   with alias records at both apexes plus a `*` alias. Captures nothing but
 *   the ECR names the endpoints serve.
 */
export type DnsLayout = "seed" | "exact";

/** Lowest TTL accepted, in seconds. */
export const MIN_TTL = 1;
/**
 * Highest TTL accepted, in seconds. A day: the endpoint DNS names never change
 * while the endpoint exists, but a longer TTL would make a rollback (deleting
 * the records) take too long to reach clients.
 */
export const MAX_TTL = 86400;

// Commercial, GovCloud and China partitions. ISO partitions use other DNS
// suffixes (c2s.ic.gov, sc2s.sgov.gov...) and are rejected below, not guessed.
const REGION_RE =
    /^([a-z]{2})(-gov)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9][0-9]?$/;

/**
 * The DNS suffix of a region's public service names: `amazonaws.com`, or
 * `amazonaws.com.cn` in the China regions.
 *
 * @throws if `region` does not look like an AWS region name.
 */
export function dnsSuffix(region: string): string {
    assertRegion(region);
    return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** Throws a clear error when `region` does not look like an AWS region name. */
export function assertRegion(region: string): void {
    if (typeof region !== "string" || region.length === 0) {
        throw new Error("`region` is required, e.g. `ap-southeast-1`.");
    }
    if (/^[a-z]{2}-iso/.test(region)) {
        throw new Error(
            `\`region\` ${region} is in an ISO partition, whose DNS suffix is not supported.`,
        );
    }
    if (!REGION_RE.test(region)) {
        throw new Error(
            `\`region\` "${region}" does not look like an AWS region name (expected e.g. ap-southeast-1, us-gov-west-1, cn-north-1).`,
        );
    }
}

/** The three ECR host names that must reach the endpoints, for a region. */
export function ecrServiceNames(region: string): { api: string; dkr: string; dkrWildcard: string } {
    const suffix = dnsSuffix(region);
    return {
        api: `api.ecr.${region}.${suffix}`,
        dkr: `dkr.ecr.${region}.${suffix}`,
        dkrWildcard: `*.dkr.ecr.${region}.${suffix}`,
    };
}

/**
 * True when `name` is one of the ECR names our records cover:
 * `api.ecr.<region>.<suffix>`, `dkr.ecr.<region>.<suffix>` or any name below
 * the latter (a registry host such as `123456789012.dkr.ecr...`). A trailing
 * dot and upper case are accepted. Without `region`, any valid region matches.
 */
export function isEcrServiceName(name: string, region?: string): boolean {
    const n = normalizeName(name);
    const m = /^(?:(?:[a-z0-9*_-]+\.)*dkr|api)\.ecr\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)$/.exec(
        n,
    );
    if (!m) return false;
    const [, r, suffix] = m;
    if (region !== undefined && r !== region) return false;
    if (!REGION_RE.test(r)) return false;
    return suffix === (r.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com");
}

/**
 * The Route 53 private hosted zone names for a layout. Never `amazonaws.com`
 * or `<region>.amazonaws.com`: Route 53 answers NXDOMAIN for missing names
 * inside a matching private zone, so such a zone would break STS, S3, logs and
 * every other AWS service for the VPC.
 */
export function ecrZoneNames(region: string, layout: DnsLayout): string[] {
    const suffix = dnsSuffix(region);
    switch (layout) {
        case "seed":
            return [`ecr.${region}.${suffix}`, `dkr.ecr.${region}.${suffix}`];
        case "exact":
            return [`api.ecr.${region}.${suffix}`, `dkr.ecr.${region}.${suffix}`];
        default:
            throw new Error(`\`layout\` must be "seed" or "exact", got ${JSON.stringify(layout)}.`);
    }
}

/**
 * The Route 53 records for a layout (see {@link DnsLayout}).
 *
 * - seed: `api.ecr` CNAME (zone `ecr.<r>`), `dkr.ecr` ALIAS at the apex of zone
 *   `dkr.ecr.<r>` (Route 53 allows no CNAME at an apex) and `*.dkr.ecr` CNAME.
 * - exact: ALIAS records for `api.ecr` and `dkr.ecr` at their zone apexes and
 *   for `*.dkr.ecr`. An interface endpoint is a valid alias target; the alias
 *   needs the endpoint's hosted zone ID, which the Route 53 component takes
 *   from the endpoint's `dnsEntries`.
 *
 * @throws naming the offending input when an endpoint DNS name, the region or
 * the TTL is invalid.
 */
export function ecrRecordSet(
    names: EcrEndpointDnsNames,
    opts: { layout: DnsLayout; ttl: number },
): EcrDnsRecord[] {
    const { api, dkr } = validateEndpointNames(names);
    assertTtl(opts?.ttl);
    const ttl = opts.ttl;
    const svc = ecrServiceNames(names.region);
    const [apiZone, dkrZone] = ecrZoneNames(names.region, opts.layout);
    const records: EcrDnsRecord[] =
        opts.layout === "seed"
            ? [
                  { zone: apiZone, name: svc.api, type: "CNAME", value: api, ttl },
                  { zone: dkrZone, name: svc.dkr, type: "ALIAS", value: dkr, ttl },
                  { zone: dkrZone, name: svc.dkrWildcard, type: "CNAME", value: dkr, ttl },
              ]
            : [
                  { zone: apiZone, name: svc.api, type: "ALIAS", value: api, ttl },
                  { zone: dkrZone, name: svc.dkr, type: "ALIAS", value: dkr, ttl },
                  { zone: dkrZone, name: svc.dkrWildcard, type: "ALIAS", value: dkr, ttl },
              ];
    assertSafeRecords(records);
    return records;
}

/**
 * The records an on-premises DNS server needs: CNAMEs only, since ALIAS is a
 * Route 53 feature. All three live in one zone, `ecr.<region>.<suffix>`
 * (seed 000's names), because zone-file servers (BIND, Windows DNS) allow no
 * CNAME at a zone apex: inside the parent zone, `dkr.ecr.<r>` is an ordinary
 * name and can be a CNAME next to the `*.dkr.ecr.<r>` wildcard. Zone-file
 * renderers therefore shadow the bare `ecr.<region>.<suffix>` name (empty
 * answer); renderers without zones (Unbound, CoreDNS) use only the names and
 * shadow nothing.
 */
export function onPremRecordSet(names: EcrEndpointDnsNames, ttl: number): EcrDnsRecord[] {
    const { api, dkr } = validateEndpointNames(names);
    assertTtl(ttl);
    const svc = ecrServiceNames(names.region);
    const zone = `ecr.${names.region}.${dnsSuffix(names.region)}`;
    const records: EcrDnsRecord[] = [
        { zone, name: svc.api, type: "CNAME", value: api, ttl },
        { zone, name: svc.dkr, type: "CNAME", value: dkr, ttl },
        { zone, name: svc.dkrWildcard, type: "CNAME", value: dkr, ttl },
    ];
    assertSafeRecords(records);
    return records;
}

/**
 * Recovers the endpoint DNS names from any record set built here (either
 * layout or the on-premises set), so renderers can accept whichever set the
 * caller holds.
 *
 * @throws when the set lacks an `api.ecr` or a `dkr.ecr` record, or mixes
 * regions or targets.
 */
export function endpointNamesFromRecords(records: EcrDnsRecord[]): EcrEndpointDnsNames {
    if (!Array.isArray(records) || records.length === 0) {
        throw new Error("`records` must be a non-empty array of ECR DNS records.");
    }
    let region: string | undefined;
    let apiDnsName: string | undefined;
    let dkrDnsName: string | undefined;
    for (const r of records) {
        const name = normalizeName(r.name);
        const m = /^(?:.*\.)?(api|dkr)\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(name);
        if (!m || !isEcrServiceName(name)) {
            throw new Error(`\`records\` contains ${r.name}, which is not an ECR service name.`);
        }
        const kind = m[1];
        if (kind === "api" && name !== `api.ecr.${m[2]}.${dnsSuffix(m[2])}`) {
            throw new Error(`\`records\` contains ${r.name}: no record belongs below api.ecr.`);
        }
        if (region !== undefined && region !== m[2]) {
            throw new Error(`\`records\` mixes regions ${region} and ${m[2]}.`);
        }
        region = m[2];
        const value = normalizeName(r.value);
        const prev = kind === "api" ? apiDnsName : dkrDnsName;
        if (prev !== undefined && prev !== value) {
            throw new Error(
                `\`records\` points ${kind}.ecr names at two targets: ${prev} and ${value}.`,
            );
        }
        if (kind === "api") apiDnsName = value;
        else dkrDnsName = value;
    }
    if (!apiDnsName) throw new Error("`records` has no api.ecr record.");
    if (!dkrDnsName) throw new Error("`records` has no dkr.ecr record.");
    const names = { region: region as string, apiDnsName, dkrDnsName };
    validateEndpointNames(names);
    return names;
}

/** Lower case, no trailing dot. */
export function normalizeName(name: string): string {
    return String(name).trim().toLowerCase().replace(/\.$/, "");
}

/**
 * A DNS name in the form Route 53 stores and returns it: a `*` label comes
 * back as the octal escape `\052` ("DNS domain name format", Route 53
 * developer guide). Sending the S3 interface endpoint's `*.vpce-...` alias
 * target in that form keeps the provider from seeing a change on every run
 * (hashicorp/terraform-provider-aws issue 21845).
 */
export function route53StoredName(name: string): string {
    return name.replace(/(^|\.)\*(?=\.|$)/g, "$1\\052");
}

/** Throws unless `ttl` is an integer between {@link MIN_TTL} and {@link MAX_TTL}. */
export function assertTtl(ttl: unknown): asserts ttl is number {
    if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < MIN_TTL || ttl > MAX_TTL) {
        throw new Error(
            `\`ttl\` must be an integer number of seconds from ${MIN_TTL} to ${MAX_TTL}, got ${String(ttl)}.`,
        );
    }
}

/**
 * Validates and normalizes the two endpoint names. Each must be the endpoint's
 * regional DNS name (`vpce-<id>-<suffix>.<api|dkr>.ecr.<region>.vpce.<suffix>`),
 * not a zonal one (`...-<az>.api.ecr...`): a zonal name pins every client to
 * one AZ and fails with it.
 */
export function validateEndpointNames(names: EcrEndpointDnsNames): { api: string; dkr: string } {
    if (!names || typeof names !== "object") {
        throw new Error("Endpoint DNS names are required: `{ region, apiDnsName, dkrDnsName }`.");
    }
    const suffix = dnsSuffix(names.region);
    const check = (field: "apiDnsName" | "dkrDnsName", service: "api" | "dkr"): string => {
        const raw = names[field];
        if (typeof raw !== "string" || raw.trim() === "") {
            throw new Error(
                `\`${field}\` (the ecr.${service} endpoint's regional DNS name) is missing or empty.`,
            );
        }
        const n = normalizeName(raw);
        const tail = `.${service}.ecr.${names.region}.vpce.${suffix}`;
        const other = service === "api" ? "dkr" : "api";
        if (n.endsWith(`.${other}.ecr.${names.region}.vpce.${suffix}`)) {
            throw new Error(
                `\`${field}\` ${raw} is the ecr.${other} endpoint's name; expected one ending in ${tail}.`,
            );
        }
        if (!n.endsWith(tail) || !/\.vpce\.amazonaws\.com(\.cn)?$/.test(n)) {
            throw new Error(
                `\`${field}\` ${raw} is not an ecr.${service} interface endpoint DNS name in ${names.region} (expected vpce-<id>-<random>${tail}).`,
            );
        }
        const host = n.slice(0, -tail.length);
        if (/^vpce-[0-9a-f]{8,17}-[a-z0-9]+-[a-z]{2}(-gov)?-[a-z]+-\d+[a-z]$/.test(host)) {
            throw new Error(
                `\`${field}\` ${raw} is a zonal DNS name; use the endpoint's regional DNS name (the first dnsEntries item).`,
            );
        }
        if (!/^vpce-[0-9a-f]{8,17}-[a-z0-9]+$/.test(host)) {
            throw new Error(
                `\`${field}\` ${raw} is not an interface endpoint's regional DNS name (expected vpce-<id>-<random>${tail}).`,
            );
        }
        return n;
    };
    return { api: check("apiDnsName", "api"), dkr: check("dkrDnsName", "dkr") };
}

/**
 * Defence in depth for every record set this module returns: no record at or
 * above `<region>.<suffix>` (that would capture other AWS services) and no
 * address records.
 */
function assertSafeRecords(records: EcrDnsRecord[]): void {
    for (const r of records) {
        if (!isEcrServiceName(r.name))
            throw new Error(`Internal error: ${r.name} is not an ECR service name.`);
        if (!/^(api\.|dkr\.)?ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(r.zone)) {
            throw new Error(`Internal error: zone ${r.zone} is broader than the ECR names.`);
        }
        if (r.type !== "CNAME" && r.type !== "ALIAS")
            throw new Error(`Internal error: record type ${r.type}.`);
    }
}

// ---------------------------------------------------------------------------
// ECR's layer bucket: `docker pull` downloads layers from S3 through a
// pre-signed redirect to `prod-<region>-starport-layer-bucket.s3.<region>...`.
// An S3 gateway endpoint serves only its own VPC, so peered and on-premises
// clients need that one host name sent to an S3 interface endpoint.

/** The host a pull's layer redirects point at, for a region. */
export function layerBucketHost(region: string): string {
    return `prod-${region}-starport-layer-bucket.s3.${region}.${dnsSuffix(region)}`;
}

/**
 * True when `name` is ECR's layer bucket host for some region (exactly that
 * name: not `s3.<region>`, not another bucket, nothing below it).
 */
export function isLayerBucketHost(name: string): boolean {
    const n = normalizeName(name);
    const m = /^prod-([a-z0-9-]+)-starport-layer-bucket\./.exec(n);
    return !!m && REGION_RE.test(m[1]) && n === layerBucketHost(m[1]);
}

/** The two forms of the layer bucket record: Route 53 alias and on-premises CNAME. */
export interface LayerBucketRecords {
    /**
     * ALIAS at the apex of a private zone named exactly the layer bucket host,
     * to the endpoint's wildcard name (a Route 53 alias may target it, as AWS's
     * landing-zone accelerators do for `*.s3.<region>` names).
     */
    route53: EcrDnsRecord;
    /**
     * CNAME for on-premises servers, to a concrete name under the wildcard
     * (`bucket.vpce-...`): a CNAME target must be resolvable, and the client
     * keeps the bucket host for TLS (SNI) and the pre-signed URL's signature.
     */
    onPrem: EcrDnsRecord;
}

/**
 * The records sending exactly `prod-<region>-starport-layer-bucket.s3.<region>.<suffix>`
 * to an S3 interface endpoint. `s3InterfaceDnsName` is the endpoint's
 * regional wildcard entry, `*.vpce-<id>-<random>.s3.<region>.vpce.<suffix>`.
 *
 * @throws naming the argument when the region, the endpoint name (not S3's,
 * another region's, zonal, or without the `*.`) or the TTL is invalid.
 */
export function layerBucketRecord(
    region: string,
    s3InterfaceDnsName: string,
    ttl: number,
): LayerBucketRecords {
    assertRegion(region);
    assertTtl(ttl);
    const suffix = dnsSuffix(region);
    const tail = `.s3.${region}.vpce.${suffix}`;
    const expected = `*.vpce-<id>-<random>${tail}`;
    if (typeof s3InterfaceDnsName !== "string" || s3InterfaceDnsName.trim() === "") {
        throw new Error(
            "`s3InterfaceDnsName` (the S3 interface endpoint's regional DNS name) is missing or empty.",
        );
    }
    const n = normalizeName(s3InterfaceDnsName);
    if (!n.endsWith(tail)) {
        throw new Error(
            `\`s3InterfaceDnsName\` ${s3InterfaceDnsName} is not an S3 interface endpoint DNS name in ${region} (expected ${expected}).`,
        );
    }
    const head = n.slice(0, -tail.length);
    if (/^\*\.vpce-[0-9a-f]{8,17}-[a-z0-9]+-[a-z]{2}(-gov)?-[a-z]+-\d+[a-z]$/.test(head)) {
        throw new Error(
            `\`s3InterfaceDnsName\` ${s3InterfaceDnsName} is a zonal DNS name; use the endpoint's regional DNS name (the first dnsEntries item).`,
        );
    }
    if (!/^\*\.vpce-[0-9a-f]{8,17}-[a-z0-9]+$/.test(head)) {
        throw new Error(
            `\`s3InterfaceDnsName\` ${s3InterfaceDnsName} is not the endpoint's regional wildcard DNS name (expected ${expected}).`,
        );
    }
    const host = layerBucketHost(region);
    return {
        route53: { zone: host, name: host, type: "ALIAS", value: n, ttl },
        onPrem: { zone: host, name: host, type: "CNAME", value: `bucket${n.slice(1)}`, ttl },
    };
}

/**
 * Separates a layer bucket record (either form, as built by
 * {@link layerBucketRecord}) from the ECR records of a set, returning it in
 * its on-premises CNAME form, so renderers accept sets with or without it.
 *
 * @throws when the set holds more than one layer bucket record, or one whose
 * target is not an S3 interface endpoint name of its region.
 */
export function splitLayerBucketRecord(records: EcrDnsRecord[]): {
    ecr: EcrDnsRecord[];
    layer?: EcrDnsRecord;
} {
    const ecr = records.filter((r) => !isLayerBucketHost(r.name));
    const layers = records.filter((r) => isLayerBucketHost(r.name));
    if (layers.length > 1) {
        throw new Error(`\`records\` holds ${layers.length} layer bucket records; expected one.`);
    }
    if (layers.length === 0) return { ecr };
    const r = layers[0];
    if (r.type !== "ALIAS" && r.type !== "CNAME") {
        throw new Error(
            `\`records\`: the layer bucket record is a ${String(r.type)}, not a CNAME or ALIAS.`,
        );
    }
    const region = /^prod-([a-z0-9-]+)-starport/.exec(normalizeName(r.name))![1];
    // Both forms carry the endpoint name under one leading label (`*` or `bucket`).
    const wildcard = `*${normalizeName(r.value).replace(/^[^.]*/, "")}`;
    return { ecr, layer: layerBucketRecord(region, wildcard, r.ttl).onPrem };
}
