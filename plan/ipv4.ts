// IPv4 values as unsigned 32-bit integers: the planner allocates tens of
// thousands of addresses, so arithmetic stays on numbers. Parsing and syntax
// checks defer to ip-cidr; this file only adds alignment and range math.

import IPCIDR = require("ip-cidr");

export interface Cidr {
    base: number;
    length: number;
    /** Number of addresses in the prefix. */
    size: number;
}

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A dotted quad as a number, or undefined when malformed (no leading zeros, no prefix length). */
export function parseAddress(text: unknown): number | undefined {
    if (typeof text !== "string" || !QUAD.test(text)) return undefined;
    const p = text.split(".");
    return ((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + +p[3];
}

export function formatAddress(n: number): string {
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Why a CIDR string is unusable, or undefined when it is a valid, aligned IPv4 prefix. */
export function cidrProblem(text: unknown): string | undefined {
    if (typeof text !== "string") return "must be a CIDR string such as 10.0.0.0/24";
    const [addr, len, ...rest] = text.split("/");
    if (
        rest.length ||
        len === undefined ||
        !/^\d{1,2}$/.test(len) ||
        +len > 32 ||
        parseAddress(addr) === undefined ||
        !IPCIDR.isValidCIDR(text)
    ) {
        return `'${text}' is not an IPv4 CIDR such as 10.0.0.0/24`;
    }
    const c = toCidr(parseAddress(addr)!, +len);
    if (c.base !== parseAddress(addr))
        return `'${text}' has host bits set (did you mean ${formatCidr(c)}?)`;
    return undefined;
}

/** Parse a CIDR already checked by cidrProblem. */
export function parseCidr(text: string): Cidr {
    const [addr, len] = text.split("/");
    return toCidr(parseAddress(addr)!, +len);
}

export function toCidr(address: number, length: number): Cidr {
    const size = 2 ** (32 - length);
    return { base: Math.floor(address / size) * size, length, size };
}

export function formatCidr(c: Cidr): string {
    return `${formatAddress(c.base)}/${c.length}`;
}

export function contains(c: Cidr, address: number): boolean {
    return address >= c.base && address < c.base + c.size;
}

export function containsCidr(outer: Cidr, inner: Cidr): boolean {
    return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + b.size && b.base < a.base + a.size;
}
