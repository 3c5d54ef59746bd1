import * as ipaddr from "ipaddr.js";

/** An IPv4 CIDR block as numbers, so blocks can be compared and carved. */
export interface Cidr {
    /** Network address as an unsigned 32-bit integer. */
    base: number;
    prefix: number;
}

/**
 * Parses a canonical IPv4 CIDR (`10.20.0.0/16`). Host bits must be zero: AWS
 * stores the network address, and a block written with host bits set usually
 * means the author meant a different block.
 */
export function parseCidr(text: string): Cidr {
    if (typeof text !== "string" || !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text)) {
        throw new Error(`"${text}" is not an IPv4 CIDR block like 10.0.0.0/16`);
    }
    let addr: ipaddr.IPv4;
    let prefix: number;
    try {
        [addr, prefix] = ipaddr.IPv4.parseCIDR(text);
    } catch {
        throw new Error(`"${text}" is not an IPv4 CIDR block like 10.0.0.0/16`);
    }
    const base = toInt(addr);
    const canonical = (base & maskOf(prefix)) >>> 0;
    if (canonical !== base) {
        throw new Error(
            `"${text}" has host bits set; did you mean ${formatCidr({ base: canonical, prefix })}?`,
        );
    }
    return { base, prefix };
}

export function formatCidr(c: Cidr): string {
    const bytes = [24, 16, 8, 0].map((shift) => (c.base >>> shift) & 0xff);
    return `${bytes.join(".")}/${c.prefix}`;
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a);
    const y = parseCidr(b);
    const prefix = Math.min(x.prefix, y.prefix);
    return (x.base & maskOf(prefix)) >>> 0 === (y.base & maskOf(prefix)) >>> 0;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
    const o = parseCidr(outer);
    const i = parseCidr(inner);
    return i.prefix >= o.prefix && (i.base & maskOf(o.prefix)) >>> 0 === o.base;
}

/**
 * Carves `count` consecutive blocks of `/newPrefix` from the start of `vpcCidr`.
 * Subnet N is always the Nth block, so adding an AZ appends a subnet and never
 * renumbers (and so never replaces) the existing ones.
 */
export function carveSubnets(
    vpcCidr: string,
    newPrefix: number,
    count: number,
    offset = 0,
): string[] {
    const vpc = parseCidr(vpcCidr);
    if (!Number.isInteger(newPrefix) || newPrefix < vpc.prefix || newPrefix > 28) {
        throw new Error(
            `subnet prefix /${newPrefix} must be between /${vpc.prefix} and /28 for ${vpcCidr}`,
        );
    }
    const available = 2 ** (newPrefix - vpc.prefix);
    if (offset + count > available) {
        throw new Error(
            `${vpcCidr} holds ${available} subnets of /${newPrefix}, but ${offset + count} are needed`,
        );
    }
    const size = 2 ** (32 - newPrefix);
    return Array.from({ length: count }, (_, i) =>
        formatCidr({ base: vpc.base + (offset + i) * size, prefix: newPrefix }),
    );
}

function toInt(addr: ipaddr.IPv4): number {
    const [a, b, c, d] = addr.octets;
    return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function maskOf(prefix: number): number {
    return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}
