// Device identity and allocation: slots, ASNs, loopbacks, rack subnets and
// addresses. Every derived value is keyed by the device's slot (its pinned
// `id` or the number its name ends with), never by its position in a list, so
// adding or removing a device leaves every other device's values alone.

import { FabricConfig, MgmtConfig, NodeConfig, Platform, SwitchConfig } from "./config";
import { DEFAULTS, privateAsnRange } from "./defaults";
import { checkAddress, checkAsn, checkCidr, checkInt, checkName, trailingNumber } from "./fields";
import { Cidr, contains, containsCidr, formatAddress, formatCidr } from "./ipv4";
import { Problems } from "./problems";
import { Settings } from "./settings";
import { DeviceRole, PlannedInterface, PlannedNeighbor } from "./types";

/** A device while it is being planned: parsed numbers, the field it came from. */
export interface DeviceDraft {
    name: string;
    role: DeviceRole;
    /** `leafs[2]`: the config path for messages. */
    field: string;
    slot?: number;
    asn?: number;
    loopback?: number;
    managed: boolean;
    platform: Platform;
    nodeRole?: "control-plane" | "worker";
    mgmt?: { host: string; port: number; user?: string; hostKey?: string; bastion?: string };
    rackSubnet?: Cidr;
    address?: number;
    interfaces: PlannedInterface[];
    neighbors: PlannedNeighbor[];
    config: SwitchConfig | NodeConfig | { name: string; asn: number; loopback?: string };
}

const PLATFORMS: Platform[] = ["frr", "cumulus", "sonic"];

/** Every device of the config, checked for name, slot and management data; ordered spines, leafs, nodes, externals. */
export function collectDevices(p: Problems, c: FabricConfig): DeviceDraft[] {
    const drafts: DeviceDraft[] = [];
    const groups: [DeviceRole, string, unknown][] = [
        ["spine", "spines", c.spines],
        ["leaf", "leafs", c.leafs],
        ["node", "nodes", c.nodes],
        ["external", "externalRouters", c.externalRouters ?? []],
    ];
    for (const [role, key, list] of groups) {
        if (!Array.isArray(list)) {
            p.add(key, "must be a list");
            continue;
        }
        if (role === "leaf" && list.length === 0) p.add(key, "at least one leaf is required");
        const group: DeviceDraft[] = [];
        list.forEach((d: any, i: number) => {
            const field = `${key}[${i}]`;
            if (typeof d !== "object" || d === null) return p.add(field, "must be an object with at least a name");
            if (!checkName(p, `${field}.name`, d.name)) return;
            const slot = d.id !== undefined ? checkInt(p, `${field}.id`, d.id, 1, 1 << 20) : trailingNumber(d.name);
            const managed = role === "external" ? false : d.managed ?? true;
            if (typeof managed !== "boolean") p.add(`${field}.managed`, "must be true or false");
            const platform = d.platform ?? "frr";
            if (!PLATFORMS.includes(platform)) p.add(`${field}.platform`, `${JSON.stringify(platform)} must be one of ${PLATFORMS.join(", ")}`);
            if (role === "node" && d.role !== undefined && d.role !== "control-plane" && d.role !== "worker") {
                p.add(`${field}.role`, `${JSON.stringify(d.role)} must be control-plane or worker`);
            }
            group.push({
                name: d.name,
                role,
                field,
                slot: slot === 0 ? undefined : slot,
                managed,
                platform,
                nodeRole: role === "node" ? d.role ?? "worker" : undefined,
                mgmt: role === "external" ? undefined : checkMgmt(p, `${field}.mgmt`, d.mgmt, managed, c),
                interfaces: [],
                neighbors: [],
                config: d,
            });
        });
        // Slots must be unique within a role: they key every derived value.
        const bySlot = new Map<number, DeviceDraft>();
        for (const d of group) {
            if (d.slot === undefined) continue;
            const other = bySlot.get(d.slot);
            if (other) {
                const how = (d.config as SwitchConfig).id !== undefined ? `${d.field}.id` : `${d.field}.name`;
                p.add(how, `slot ${d.slot} of '${d.name}' is already taken by '${other.name}' (${other.field}); pin a distinct id`);
            } else bySlot.set(d.slot, d);
        }
        group.sort((x, y) => (x.slot ?? Infinity) - (y.slot ?? Infinity) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
        drafts.push(...group);
    }
    const byName = new Map<string, DeviceDraft>();
    for (const d of drafts) {
        const other = byName.get(d.name);
        if (other) p.add(`${d.field}.name`, `'${d.name}' is already the name of ${other.field}`);
        else byName.set(d.name, d);
    }
    const mgmtSeen = new Map<string, DeviceDraft>();
    for (const d of drafts) {
        if (!d.mgmt) continue;
        const key = `${d.mgmt.host}:${d.mgmt.port}`;
        const other = mgmtSeen.get(key);
        if (other) p.add(`${d.field}.mgmt.host`, `${key} is already the management address of '${other.name}'`);
        else mgmtSeen.set(key, d);
    }
    return drafts;
}

function checkMgmt(p: Problems, field: string, m: MgmtConfig | undefined, managed: boolean, c: FabricConfig): DeviceDraft["mgmt"] {
    if (m === undefined) {
        if (managed) p.add(`${field}.host`, "is required for a managed device (where its configuration is pushed over SSH)");
        return undefined;
    }
    if (typeof m.host !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/.test(m.host)) {
        p.add(`${field}.host`, `${JSON.stringify(m.host)} is not an address or host name`);
        return undefined;
    }
    const port = m.port === undefined ? c.ssh?.port ?? DEFAULTS.sshPort : checkInt(p, `${field}.port`, m.port, 1, 65535) ?? 22;
    return { host: m.host, port, user: m.user ?? c.ssh?.user, hostKey: m.hostKey, bastion: m.bastion ?? c.ssh?.bastion };
}

/** ASNs, loopbacks and (calico-bgp) rack subnets and addresses for every device. */
export function allocate(p: Problems, s: Settings, drafts: DeviceDraft[]): void {
    for (const d of drafts) {
        const cfg = d.config as SwitchConfig & NodeConfig;
        d.asn = cfg.asn !== undefined ? checkAsn(p, `${d.field}.asn`, cfg.asn) : deriveAsn(p, s, d);
        if (d.role === "external") {
            if (cfg.asn === undefined) p.add(`${d.field}.asn`, "is required for an external router");
            d.loopback = cfg.loopback !== undefined ? checkAddress(p, `${d.field}.loopback`, cfg.loopback) : undefined;
            if (cfg.loopback === undefined) p.add(`${d.field}.loopback`, "is required for an external router (its router-id)");
            continue;
        }
        if (d.role === "node" && s.routing === "calico-bgp") continue; // router-id is its rack address, set in topology
        const range = d.role === "node" ? s.nodeLoopbacks : s.loopbacks;
        const rangeKey = d.role === "node" ? "addressing.nodeLoopbacks" : "addressing.loopbacks";
        if (cfg.loopback !== undefined) {
            d.loopback = checkAddress(p, `${d.field}.loopback`, cfg.loopback);
            if (d.loopback !== undefined && range && d.managed && !contains(range, d.loopback)) {
                p.add(`${d.field}.loopback`, `${cfg.loopback} is outside ${rangeKey} ${s.text[rangeKey]}`);
            }
        } else if (range) {
            const offset = d.role === "leaf" ? s.leafLoopbackOffset + (d.slot ?? 0) : d.slot ?? 0;
            if (needSlot(p, d, "loopback")) {
                if (d.role === "spine" && d.slot! >= s.leafLoopbackOffset) {
                    p.add(`${d.field}.loopback`, `spine slot ${d.slot} reaches the leaf loopbacks (addressing.leafLoopbackOffset ${s.leafLoopbackOffset}); pin loopback or raise the offset`);
                } else if (offset >= range.size - 1) {
                    p.add(rangeKey, `${s.text[rangeKey]} is too small for '${d.name}' (needs offset ${offset}); use a larger range`);
                } else d.loopback = range.base + offset;
            }
        }
    }
    if (s.routing === "calico-bgp") allocateRacks(p, s, drafts);
}

function needSlot(p: Problems, d: DeviceDraft, what: string): boolean {
    if (d.slot !== undefined) return true;
    p.add(`${d.field}.name`, `'${d.name}' ends with no number to derive its ${what} from; pin ${d.field}.id or ${d.field}.${what}`);
    return false;
}

function deriveAsn(p: Problems, s: Settings, d: DeviceDraft): number | undefined {
    if (d.role === "external") return undefined;
    if (d.role === "spine" && s.spineAsn !== "unique") return s.spineAsn;
    if (!needSlot(p, d, "asn")) return undefined;
    const [base, key] =
        d.role === "spine" ? [s.spineBase, "asn.spineBase"] : d.role === "leaf" ? [s.leafBase, "asn.leafBase"] : [s.nodeBase, "asn.nodeBase"];
    const asn = base + d.slot! - 1;
    const privateRange = privateAsnRange(base);
    if (privateRange && asn > privateRange[1]) {
        p.add(`${d.field}.asn`, `derived ASN ${asn} (${key} ${base} + slot ${d.slot} − 1) leaves the private range ${privateRange[0]}–${privateRange[1]}; pin asn or move ${key}`);
        return undefined;
    }
    if (asn > 4294967294) {
        p.add(`${d.field}.asn`, `derived ASN ${asn} is beyond the 4-byte ASN space; pin asn or lower ${key}`);
        return undefined;
    }
    return asn;
}

/** calico-bgp: each leaf (or leaf pair) owns a rack subnet; leafs get the first addresses, nodes follow. */
function allocateRacks(p: Problems, s: Settings, drafts: DeviceDraft[]): void {
    const leafs = drafts.filter((d) => d.role === "leaf");
    for (const d of leafs) {
        const cfg = d.config as SwitchConfig;
        if (cfg.rackSubnet !== undefined) {
            d.rackSubnet = checkCidr(p, `${d.field}.rackSubnet`, cfg.rackSubnet);
            if (d.rackSubnet && s.rackSubnets && d.managed && !containsCidr(s.rackSubnets, d.rackSubnet)) {
                p.add(`${d.field}.rackSubnet`, `${cfg.rackSubnet} is outside addressing.rackSubnets ${s.text["addressing.rackSubnets"]}`);
            }
        } else if (!s.rackSubnets) {
            p.add("addressing.rackSubnets", `calico-bgp mode needs rack subnets: set addressing.rackSubnets or pin ${d.field}.rackSubnet`);
        } else if (needSlot(p, d, "rackSubnet")) {
            const size = 2 ** (32 - s.rackPrefixLength);
            const base = (s.rackStart ?? s.rackSubnets.base) + d.slot! * size;
            if (base + size > s.rackSubnets.base + s.rackSubnets.size) {
                p.add("addressing.rackSubnets", `${s.text["addressing.rackSubnets"]} is too small for the rack of '${d.name}' (slot ${d.slot}, /${s.rackPrefixLength} each)`);
            } else d.rackSubnet = { base, length: s.rackPrefixLength, size };
        }
    }
    // Leafs sharing a rack subnet form a pair; they take .1, .2, … in slot order unless pinned.
    const racks = new Map<string, DeviceDraft[]>();
    for (const d of leafs) {
        if (!d.rackSubnet) continue;
        const key = formatCidr(d.rackSubnet);
        racks.set(key, [...(racks.get(key) ?? []), d]);
    }
    for (const members of racks.values()) {
        members.forEach((d, i) => {
            const cfg = d.config as SwitchConfig;
            if (cfg.address !== undefined) {
                d.address = checkAddress(p, `${d.field}.address`, cfg.address);
                if (d.address !== undefined && !hostIn(d.rackSubnet!, d.address)) {
                    p.add(`${d.field}.address`, `${cfg.address} is not a host address of its rack subnet ${formatCidr(d.rackSubnet!)}`);
                }
            } else if (i + 1 >= DEFAULTS.nodeAddressOffset) {
                p.add(`${d.field}.address`, `too many leafs share ${formatCidr(d.rackSubnet!)}; pin address`);
            } else d.address = d.rackSubnet!.base + 1 + i;
        });
    }
}

/** calico-bgp: a node's address in the rack of its leafs (called once topology knows the rack). */
export function allocateNodeAddress(p: Problems, d: DeviceDraft, rack: Cidr): void {
    const cfg = d.config as NodeConfig;
    d.rackSubnet = rack;
    if (cfg.address !== undefined) {
        d.address = checkAddress(p, `${d.field}.address`, cfg.address);
        if (d.address !== undefined && !hostIn(rack, d.address)) {
            p.add(`${d.field}.address`, `${cfg.address} is not a host address of its rack subnet ${formatCidr(rack)}`);
        }
    } else if (needSlot(p, d, "address")) {
        const usable = rack.size - DEFAULTS.nodeAddressOffset - 2;
        d.address = rack.base + DEFAULTS.nodeAddressOffset + ((d.slot! - 1) % usable);
    }
    d.loopback = cfg.loopback !== undefined ? checkAddress(p, `${d.field}.loopback`, cfg.loopback) : d.address;
}

function hostIn(c: Cidr, a: number): boolean {
    return a > c.base && a < c.base + c.size - 1;
}

/** ASNs, loopbacks and rack addresses that must not repeat. */
export function checkUnique(p: Problems, drafts: DeviceDraft[]): void {
    const loopbacks = new Map<number, DeviceDraft>();
    const addresses = new Map<number, DeviceDraft>();
    const asns = new Map<number, DeviceDraft>();
    for (const d of drafts) {
        if (d.loopback !== undefined && !(d.role === "node" && d.loopback === d.address)) {
            const other = loopbacks.get(d.loopback);
            if (other) p.add(`${d.field}.loopback`, `${formatAddress(d.loopback)} is already the loopback of '${other.name}'`);
            else loopbacks.set(d.loopback, d);
        }
        if (d.address !== undefined) {
            const other = addresses.get(d.address);
            if (other) {
                const pinned = (d.config as NodeConfig).address !== undefined;
                p.add(`${d.field}.address`, `${formatAddress(d.address)} is already the address of '${other.name}'${pinned ? "" : "; pin address"}`);
            } else addresses.set(d.address, d);
        }
        if (d.asn !== undefined) {
            const other = asns.get(d.asn);
            if (other && !sharingAllowed(d, other)) {
                p.add(`${d.field}.asn`, `${d.asn} is already the ASN of '${other.name}' (${other.role}); ${asnRule(d)}`);
            } else if (!other) asns.set(d.asn, d);
        }
    }
}

/** RFC 7938: spines may share an ASN; the leafs of one rack pair may too; nothing else. */
function sharingAllowed(d: DeviceDraft, other: DeviceDraft): boolean {
    if (d.role !== other.role) return false;
    if (d.role === "spine") return true;
    if (d.role === "leaf") return !!d.rackSubnet && !!other.rackSubnet && formatCidr(d.rackSubnet) === formatCidr(other.rackSubnet);
    return false;
}

function asnRule(d: DeviceDraft): string {
    switch (d.role) {
        case "leaf":
            return "every leaf needs its own ASN (only the two leafs of one rack pair may share)";
        case "node":
            return "every node needs its own ASN";
        default:
            return "devices of different roles may not share an ASN";
    }
}
