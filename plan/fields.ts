// Field-level checks shared by the planner's stages: each returns the parsed
// value or records a problem naming the field and returns undefined.

import { reservedAsn } from "./defaults";
import { Cidr, cidrProblem, parseAddress, parseCidr } from "./ipv4";
import { Problems } from "./problems";

const NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const PORT = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export function checkName(p: Problems, field: string, name: unknown): name is string {
    if (typeof name !== "string" || !NAME.test(name)) {
        p.add(
            field,
            `${JSON.stringify(name)} is not a valid device name (lower-case letters, digits and '-', at most 32, as a hostname)`,
        );
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
    if (a === undefined)
        p.add(field, `${JSON.stringify(text)} is not an IPv4 address such as 10.0.0.1`);
    return a;
}

export function checkInt(
    p: Problems,
    field: string,
    value: unknown,
    min: number,
    max: number,
): number | undefined {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        p.add(field, `${JSON.stringify(value)} must be an integer from ${min} to ${max}`);
        return undefined;
    }
    return value;
}

/** A port name as a vendor spells it (`eth1/1`, `Ethernet1/1`, `ge-0/0/1`, `xe-0/0/0:1`): kept for switches we do not configure. */
const VENDOR_PORT = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;

/**
 * `device:port` as used in links and uplinks. The port may be any vendor name
 * here; a port on a device bgp-fabric configures must also pass checkLinuxPort
 * (the caller knows the device). Device names hold no ':', so the first one splits.
 */
export function checkPortRef(
    p: Problems,
    field: string,
    ref: unknown,
): { device: string; port: string } | undefined {
    const at = typeof ref === "string" ? ref.indexOf(":") : -1;
    const device = at > 0 ? (ref as string).slice(0, at) : "";
    const port = at > 0 ? (ref as string).slice(at + 1) : "";
    if (!device || !VENDOR_PORT.test(port)) {
        p.add(
            field,
            `${JSON.stringify(ref)} must be 'device:port' (e.g. leaf1:swp1; a switch that is not ours keeps its own port names, e.g. leaf1:eth1/1)`,
        );
        return undefined;
    }
    return { device, port };
}

/** A port bgp-fabric configures (on a managed device) must be a Linux interface name. */
export function checkLinuxPort(p: Problems, field: string, device: string, port: string): boolean {
    if (PORT.test(port)) return true;
    p.add(
        field,
        `'${port}' is not a Linux interface name (up to 15 letters, digits, '_', '.', '-', starting with a letter), and bgp-fabric configures '${device}'; only a managed: false switch keeps its vendor port names`,
    );
    return false;
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
