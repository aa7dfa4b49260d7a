// Field-level checks shared by the planner's stages: each returns the parsed
// value or records a problem naming the field and returns undefined.

import { reservedAsn } from "./defaults";
import { Cidr, cidrProblem, parseAddress, parseCidr } from "./ipv4";
import { Problems } from "./problems";

const NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const PORT = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export function checkName(p: Problems, field: string, name: unknown): name is string {
    if (typeof name !== "string" || !NAME.test(name)) {
        p.add(field, `${JSON.stringify(name)} is not a valid device name (lower-case letters, digits and '-', at most 32, as a hostname)`);
        return false;
    }
    return true;
}

export function checkAsn(p: Problems, field: string, asn: unknown): number | undefined {
    if (typeof asn !== "number" || !Number.isInteger(asn) || asn < 0 || asn > 4294967295) {
        p.add(field, `${JSON.stringify(asn)} is not an ASN (an integer 1–4294967294)`);
        return undefined;
    }
    const reserved = reservedAsn(asn);
    if (reserved) {
        p.add(field, `ASN ${reserved}`);
        return undefined;
    }
    return asn;
}

export function checkCidr(p: Problems, field: string, text: unknown): Cidr | undefined {
    const problem = cidrProblem(text);
    if (problem) {
        p.add(field, problem);
        return undefined;
    }
    return parseCidr(text as string);
}

export function checkAddress(p: Problems, field: string, text: unknown): number | undefined {
    const a = parseAddress(text);
    if (a === undefined) p.add(field, `${JSON.stringify(text)} is not an IPv4 address such as 10.0.0.1`);
    return a;
}

export function checkInt(p: Problems, field: string, value: unknown, min: number, max: number): number | undefined {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        p.add(field, `${JSON.stringify(value)} must be an integer from ${min} to ${max}`);
        return undefined;
    }
    return value;
}

/** `device:port` as used in links and uplinks. */
export function checkPortRef(p: Problems, field: string, ref: unknown): { device: string; port: string } | undefined {
    const parts = typeof ref === "string" ? ref.split(":") : [];
    if (parts.length !== 2 || !parts[0] || !PORT.test(parts[1])) {
        p.add(field, `${JSON.stringify(ref)} must be 'device:port' with a Linux interface name (e.g. leaf1:swp1)`);
        return undefined;
    }
    return { device: parts[0], port: parts[1] };
}

/** The number a name ends with (`leaf12` → 12), used as the default slot. */
export function trailingNumber(name: string): number | undefined {
    const m = /(\d+)$/.exec(name);
    return m ? parseInt(m[1], 10) : undefined;
}

// One collator for every comparison: String.localeCompare builds one per call.
const NATURAL = new Intl.Collator("en", { numeric: true });

/** Natural order for names and ports: `swp2` before `swp10`. */
export function naturalCompare(a: string, b: string): number {
    return NATURAL.compare(a, b);
}
