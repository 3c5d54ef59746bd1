/**
 * The DNS record shape shared by the record-set function, the Route 53
 * component, the on-premises renderers and the connectivity doctor's tests.
 * Names are absolute, lower case, without a trailing dot.
 */
export interface EcrDnsRecord {
    /** Zone the record is written in, e.g. `dkr.ecr.ap-southeast-1.amazonaws.com`. */
    zone: string;
    /** Fully qualified owner name, e.g. `*.dkr.ecr.ap-southeast-1.amazonaws.com`. */
    name: string;
    /** `CNAME`, or `ALIAS` for a Route 53 alias record (an A record with an alias target). */
    type: "CNAME" | "ALIAS";
    /**
     * Target host name: the interface endpoint's regional DNS name. For ECR's
     * layer bucket host, the S3 endpoint's wildcard name (`*.vpce-...`, ALIAS)
     * or a name under it (`bucket.vpce-...`, CNAME).
     */
    value: string;
    /** Seconds; ignored by Route 53 for alias records. */
    ttl: number;
}

/** The two endpoint DNS names a record set is built from. */
export interface EcrEndpointDnsNames {
    region: string;
    /** Regional DNS name of the `ecr.api` endpoint (`vpce-...api.ecr.<region>.vpce.amazonaws.com`). */
    apiDnsName: string;
    /** Regional DNS name of the `ecr.dkr` endpoint (`vpce-...dkr.ecr.<region>.vpce.amazonaws.com`). */
    dkrDnsName: string;
}
