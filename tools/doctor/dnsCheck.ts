import * as dns from "node:dns";
import * as net from "node:net";
import { Outcome } from "./types";

/** The parts of an ECR registry host name `<acct>.dkr.ecr.<region>.amazonaws.com`. */
export interface EcrHost {
    account: string;
    region: string;
    /** `api.ecr.<region>.amazonaws.com` (or the `.cn` form), used by `aws ecr get-login-password`. */
    apiHost: string;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export function parseEcrHost(host: string): EcrHost | undefined {
    const m = ECR_HOST.exec(host.toLowerCase());
    if (!m) return undefined;
    return { account: m[1], region: m[3], apiHost: `api.ecr.${m[3]}.amazonaws.com${m[4] ?? ""}` };
}

/** True for loopback, RFC 1918, CGNAT, link-local and IPv6 ULA/link-local addresses. */
export function isPrivateAddress(ip: string): boolean {
    if (net.isIPv4(ip)) {
        const [a, b] = ip.split(".").map(Number);
        return (
            a === 10 ||
            a === 127 ||
            (a === 172 && b >= 16 && b <= 31) ||
            (a === 192 && b === 168) ||
            (a === 169 && b === 254) ||
            (a === 100 && b >= 64 && b <= 127)
        );
    }
    if (net.isIPv6(ip)) {
        const lower = ip.toLowerCase();
        if (lower === "::1") return true;
        const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
        if (mapped) return isPrivateAddress(mapped[1]);
        const first = parseInt(lower.split(":")[0] || "0", 16);
        return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
    }
    return false;
}

export function isEndpointName(name: string): boolean {
    return /\.vpce\.amazonaws\.com(\.cn)?$/.test(name.toLowerCase());
}

/** Splits `ip`, `ip:port`, `[v6]` or `[v6]:port` into the form `Resolver.setServers` takes. */
export function normaliseDnsServer(server: string): string | undefined {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
    if (bracketed) {
        if (!net.isIPv6(bracketed[1])) return undefined;
        if (bracketed[2] !== undefined && !validPort(bracketed[2])) return undefined;
        return bracketed[2] ? `[${bracketed[1]}]:${bracketed[2]}` : bracketed[1];
    }
    if (net.isIPv6(server)) return server;
    const [ip, port, ...rest] = server.split(":");
    if (rest.length > 0 || !net.isIPv4(ip)) return undefined;
    if (port !== undefined && !validPort(port)) return undefined;
    return server;
}

function validPort(p: string): boolean {
    return /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
}

export interface Resolution {
    name: string;
    /** CNAME targets in order (empty when the name has no CNAME). */
    chain: string[];
    /** False when the resolver could not be asked for CNAMEs (system resolver only). */
    chainKnown: boolean;
    addresses: string[];
    /** DNS error code (`ENOTFOUND` = NXDOMAIN, `ENODATA`, `ETIMEOUT`, ...) and the name it was for. */
    error?: { code: string; name: string };
}

const MAX_CNAME_HOPS = 10;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
        timer = setTimeout(
            () => reject(Object.assign(new Error("DNS timeout"), { code: "ETIMEOUT" })),
            ms,
        );
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function code(e: unknown): string {
    return (e as { code?: string }).code ?? String(e);
}

/**
 * Follows the CNAME chain of `name` and collects its addresses, asking
 * `server` when given, otherwise the system's DNS servers for the chain and
 * getaddrinfo (which honours /etc/hosts) for the addresses.
 */
export async function resolveName(
    name: string,
    server: string | undefined,
    timeoutMs: number,
): Promise<Resolution> {
    if (net.isIP(name)) return { name, chain: [], chainKnown: true, addresses: [name] };
    const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
    if (server) resolver.setServers([server]);
    const chain: string[] = [];
    let chainKnown = true;
    let current = name;
    const seen = new Set([name.toLowerCase()]);
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
        let targets: string[];
        try {
            targets = await withTimeout(resolver.resolveCname(current), timeoutMs);
        } catch (e) {
            const c = code(e);
            if (c === "ENODATA") break;
            if (server || c === "ENOTFOUND") {
                if (!server) break; // getaddrinfo may still know it (/etc/hosts)
                return {
                    name,
                    chain,
                    chainKnown,
                    addresses: [],
                    error: { code: c, name: current },
                };
            }
            chainKnown = false;
            break;
        }
        const next = targets[0]?.toLowerCase().replace(/\.$/, "");
        if (!next) break;
        if (seen.has(next)) {
            return {
                name,
                chain,
                chainKnown,
                addresses: [],
                error: { code: "ECNAMELOOP", name: next },
            };
        }
        seen.add(next);
        chain.push(next);
        current = next;
    }
    const last = chain.length > 0 ? chain[chain.length - 1] : name;
    if (!server) {
        try {
            const found = await withTimeout(dns.promises.lookup(last, { all: true }), timeoutMs);
            return { name, chain, chainKnown, addresses: found.map((a) => a.address) };
        } catch (e) {
            return { name, chain, chainKnown, addresses: [], error: { code: code(e), name: last } };
        }
    }
    const addresses: string[] = [];
    let firstError: string | undefined;
    for (const query of [resolver.resolve4.bind(resolver), resolver.resolve6.bind(resolver)]) {
        try {
            addresses.push(...(await withTimeout(query(last), timeoutMs)));
        } catch (e) {
            firstError ??= code(e);
        }
    }
    if (addresses.length === 0) {
        return {
            name,
            chain,
            chainKnown,
            addresses,
            error: { code: firstError ?? "ENODATA", name: last },
        };
    }
    return { name, chain, chainKnown, addresses };
}

/**
 * How strictly a name's resolution is judged. `ecr`: an ECR API or registry
 * name; `layer`: ECR's layer bucket host (regional or global). Both must
 * resolve to private addresses unless `allowPublic`. `other`: any other host
 * (a token service, a self-hosted registry's storage).
 */
export type NameKind = "ecr" | "layer" | "other";

/** Judging options: the DNS step's rules (see README, doctor section). */
export interface JudgeOptions {
    /** Accept an ECR name answered straight by an A record (inside the VPC, Route 53 alias, SNI proxy). */
    allowAlias?: boolean;
    /** Accept public addresses for ECR names (explicit opt-out of the private path). */
    allowPublic?: boolean;
    serverLabel: string;
    /** What the name is, for hints: "registry", "token service", "storage". @default "registry" */
    service?: string;
}

export function describeChain(r: Resolution): string {
    if (net.isIP(r.name)) return r.name;
    const parts = [r.name, ...r.chain];
    if (r.addresses.length > 0) parts.push(r.addresses.join(", "));
    return parts.join(" -> ");
}

/** Judges a resolution: the DNS step's rules (see README, doctor section). */
export function judgeResolution(r: Resolution, kind: NameKind, opts: JudgeOptions): Outcome {
    const service = opts.service ?? "registry";
    const details = [
        `resolver: ${opts.serverLabel}`,
        r.chainKnown
            ? `CNAME chain: ${r.chain.length > 0 ? [r.name, ...r.chain].join(" -> ") : "(none)"}`
            : "CNAME chain: not visible (the system resolver answered addresses only)",
    ];
    if (r.addresses.length > 0) details.push(`addresses: ${r.addresses.join(", ")}`);
    if (r.error) {
        const at = r.error.name === r.name ? r.name : `${r.error.name} (CNAME target of ${r.name})`;
        switch (r.error.code) {
            case "ENOTFOUND":
                return {
                    status: "fail",
                    summary: `NXDOMAIN for ${at}`,
                    details,
                    hint:
                        r.error.name === r.name
                            ? kind === "ecr"
                                ? "the DNS this machine uses has no record for the ECR name: add the on-premises records (`npm run onprem-dns` from the deployed stack: CNAME to the endpoint's vpce.amazonaws.com name) or a conditional forwarder to a Route 53 Resolver inbound endpoint"
                                : kind === "layer"
                                  ? 'the DNS this machine uses has no record for ECR\'s layer bucket host: add its CNAME to the S3 interface endpoint (onprem-dns/README.md, "The layer bucket host")'
                                  : `the DNS this machine uses does not know the ${service}'s name: add it to the on-premises DNS or forward its zone`
                            : "the CNAME points at a name that does not exist: re-render the records from the endpoint's current DNS name (the endpoint may have been replaced)",
                };
            case "ENODATA":
                return {
                    status: "fail",
                    summary: `no A/AAAA records for ${at}`,
                    details,
                    hint: "the name exists but has no addresses: add the CNAME to the endpoint name, or make the target resolvable",
                };
            case "ECNAMELOOP":
                return {
                    status: "fail",
                    summary: `CNAME loop at ${r.error.name}`,
                    details,
                    hint: "two records point at each other: fix the CNAME target to the endpoint's vpce.amazonaws.com name",
                };
            case "ETIMEOUT":
            case "ECONNREFUSED":
                return {
                    status: "fail",
                    summary: `DNS server did not answer for ${at} (${r.error.code})`,
                    details,
                    hint: "the DNS server is unreachable or down: check --dns-server / /etc/resolv.conf and that UDP/TCP 53 is open to it",
                };
            default:
                return {
                    status: "fail",
                    summary: `DNS error ${r.error.code} for ${at}`,
                    details,
                    hint: "the resolver answered with an error: check the DNS server's logs and its forwarders for this zone",
                };
        }
    }
    const publicIps = r.addresses.filter((a) => !isPrivateAddress(a));
    if (publicIps.length > 0) {
        const summary = `${describeChain(r)} (${net.isIP(r.name) ? "IP address, no DNS lookup; " : ""}public: ${publicIps.join(", ")})`;
        // An ECR name on a public address is not the private path, even when
        // a registry answers there: that is the internet (or an interceptor).
        const strict = (kind === "ecr" || kind === "layer") && !opts.allowPublic;
        return {
            status: strict ? "fail" : "warn",
            summary,
            details,
            hint:
                kind === "ecr"
                    ? `the ECR name resolves to public addresses, so traffic leaves the private path: make the DNS this machine uses answer it with a CNAME to the endpoint's vpce.amazonaws.com name (\`npm run onprem-dns\` renders the records from the deployed stack) or forward it to a Route 53 Resolver inbound endpoint${strict ? "; --allow-public accepts the public path" : ""}`
                    : kind === "layer"
                      ? `ECR's layer bucket host resolves to public addresses, so layer downloads leave the private path: send exactly this name to the S3 interface endpoint (CNAME to bucket.vpce-...s3.<region>.vpce.amazonaws.com, see onprem-dns/README.md)${strict ? "; --allow-public accepts the public path" : ""}`
                      : "the name resolves to public addresses, so this traffic leaves the private path (S3 gateway endpoints are not reachable from on-premises; use an S3 interface endpoint or accept internet egress)",
        };
    }
    const last = r.chain.length > 0 ? r.chain[r.chain.length - 1] : r.name;
    if (kind === "ecr" && r.chainKnown && r.chain.length === 0 && !opts.allowAlias) {
        return {
            status: "fail",
            summary: `${r.name} resolves straight to ${r.addresses.join(", ")} through an A record; expected a CNAME to the endpoint's vpce.amazonaws.com name`,
            details,
            hint: "replace the A record with a CNAME to the endpoint's regional DNS name: endpoint IPs change when the endpoint or its subnets are replaced (use --allow-alias inside the VPC or behind a Route 53 alias record)",
        };
    }
    if (kind === "ecr" && !r.chainKnown && !opts.allowAlias) {
        return {
            status: "warn",
            summary: `${describeChain(r)} (private; CNAME chain not visible)`,
            details,
            hint: "the system resolver hides the CNAME chain (or a hosts file answers): rerun with --dns-server <your DNS server> to check the records, or with --allow-alias behind the SNI proxy",
        };
    }
    const where = net.isIP(r.name)
        ? "IP address, no DNS lookup; private"
        : isEndpointName(last)
          ? "endpoint name, private"
          : "private";
    return { status: "pass", summary: `${describeChain(r)} (${where})`, details };
}
