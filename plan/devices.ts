// Device identity and allocation: slots, ASNs, loopbacks, rack subnets and
// addresses. Every derived value is keyed by the device's slot (its pinned
// `id` or the number its name ends with), never by its position in a list, so
// adding or removing a device leaves every other device's values alone.

import { BondConfig, FabricConfig, MgmtConfig, NodeConfig, Platform, SwitchConfig } from "./config";
import { DEFAULTS, privateAsnRange } from "./defaults";
import { checkAddress, checkAsn, checkCidr, checkInt, checkName, trailingNumber } from "./fields";
import { Cidr, contains, containsCidr, formatAddress, formatCidr, overlaps } from "./ipv4";
import { Problems } from "./problems";
import { Settings } from "./settings";
import { DeviceRole, PlannedBond, PlannedInterface, PlannedNeighbor, rackRouting } from "./types";

/** A device while it is being planned: parsed numbers, the field it came from. */
export interface DeviceDraft {
    name: string;
    role: DeviceRole;
    /** `leafs[2]`: the config path for messages. */
    field: string;
    slot?: number;
    /** What the derived values count from: the slot, or slot + 1 in a zero-based list (`fabric:numbering`). */
    ordinal?: number;
    asn?: number;
    loopback?: number;
    managed: boolean;
    platform: Platform;
    nodeRole?: "control-plane" | "worker";
    mgmt?: { host: string; port: number; user?: string; hostKey?: string; bastion?: string };
    rackSubnet?: Cidr;
    address?: number;
    /** calico-bgp: the rack's gateway (leafs of the rack and its nodes), and the leaf field that set it. */
    gateway?: number;
    gatewayField?: string;
    bond?: PlannedBond;
    interfaces: PlannedInterface[];
    neighbors: PlannedNeighbor[];
    config: SwitchConfig | NodeConfig | { name: string; asn: number; loopback?: string };
}

const PLATFORMS: Platform[] = ["frr", "cumulus", "sonic"];

/** Every device of the config, checked for name, slot and management data; ordered spines, leafs, nodes, externals. An absent list is an empty one. */
export function collectDevices(p: Problems, c: FabricConfig, s: Pick<Settings, "zeroBased">): DeviceDraft[] {
    const drafts: DeviceDraft[] = [];
    const groups: [DeviceRole, string, unknown][] = [
        ["spine", "spines", c.spines ?? []],
        ["leaf", "leafs", c.leafs ?? []],
        ["node", "nodes", c.nodes ?? []],
        ["external", "externalRouters", c.externalRouters ?? []],
    ];
    for (const [role, key, list] of groups) {
        if (!Array.isArray(list)) {
            p.add(key, "must be a list");
            continue;
        }
        if (role === "leaf" && list.length === 0) p.add(key, "at least one leaf is required");
        const zeroBased = s.zeroBased[role];
        const group: DeviceDraft[] = [];
        list.forEach((d: any, i: number) => {
            const field = `${key}[${i}]`;
            if (typeof d !== "object" || d === null) return p.add(field, "must be an object with at least a name");
            if (!checkName(p, `${field}.name`, d.name)) return;
            const slot = d.id !== undefined ? checkInt(p, `${field}.id`, d.id, 0, 1 << 20) : trailingNumber(d.name);
            if (slot === 0 && !zeroBased) {
                const how = d.id !== undefined ? `${field}.id` : `${field}.name`;
                p.add(how, `'${d.name}' is slot 0, but ${key} count from 1; set numbering: zero-based (then ${d.name} gets what slot 1 gets in a one-based fabric) or pin a non-zero ${field}.id`);
            }
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
                slot,
                ordinal: slot === undefined || (slot === 0 && !zeroBased) ? undefined : slot + (zeroBased ? 1 : 0),
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

/** ASNs, loopbacks and (calico-bgp) rack subnets and addresses for every device; returns the pinned rack subnets to check for overlaps. */
export function allocate(p: Problems, s: Settings, drafts: DeviceDraft[]): [string, Cidr][] {
    for (const d of drafts) {
        const cfg = d.config as SwitchConfig & NodeConfig;
        d.asn = cfg.asn !== undefined ? checkAsn(p, `${d.field}.asn`, cfg.asn) : deriveAsn(p, s, d);
        if (d.role === "external") {
            if (cfg.asn === undefined) p.add(`${d.field}.asn`, "is required for an external router");
            d.loopback = cfg.loopback !== undefined ? checkAddress(p, `${d.field}.loopback`, cfg.loopback) : undefined;
            if (cfg.loopback === undefined) p.add(`${d.field}.loopback`, "is required for an external router (its router-id)");
            continue;
        }
        if (d.role === "node" && rackRouting(s.routing)) continue; // router-id is its rack address, set in topology
        // Someone else's leaf in a calico-bgp rack is known to us by its address there: no loopback of ours is made up for it.
        if (d.role === "leaf" && !d.managed && rackRouting(s.routing) && cfg.loopback === undefined) continue;
        const range = d.role === "node" ? s.nodeLoopbacks : s.loopbacks;
        const rangeKey = d.role === "node" ? "addressing.nodeLoopbacks" : "addressing.loopbacks";
        if (cfg.loopback !== undefined) {
            d.loopback = checkAddress(p, `${d.field}.loopback`, cfg.loopback);
            if (d.loopback !== undefined && range && d.managed && !contains(range, d.loopback)) {
                p.add(`${d.field}.loopback`, `${cfg.loopback} is outside ${rangeKey} ${s.text[rangeKey]}`);
            }
        } else if (range) {
            if (needSlot(p, d, "loopback")) {
                const offset = d.role === "leaf" ? s.leafLoopbackOffset + d.ordinal! : d.ordinal!;
                if (d.role === "spine" && d.ordinal! >= s.leafLoopbackOffset) {
                    p.add(`${d.field}.loopback`, `spine slot ${d.slot} reaches the leaf loopbacks (addressing.leafLoopbackOffset ${s.leafLoopbackOffset}); pin loopback or raise the offset`);
                } else if (offset >= range.size - 1) {
                    p.add(rangeKey, `${s.text[rangeKey]} is too small for '${d.name}' (needs offset ${offset}); use a larger range`);
                } else d.loopback = range.base + offset;
            }
        }
    }
    if (!rackRouting(s.routing)) return [];
    const pinned = allocateRacks(p, s, drafts);
    for (const d of drafts) {
        if (d.role === "leaf" && d.loopback === undefined && !d.managed && (d.config as SwitchConfig).loopback === undefined) d.loopback = d.address;
    }
    return pinned;
}

/** A device that needs a slot for a derived value; a slot 0 refused by the numbering has been reported already. */
function needSlot(p: Problems, d: DeviceDraft, what: string): boolean {
    if (d.ordinal !== undefined) return true;
    if (d.slot === undefined) p.add(`${d.field}.name`, `'${d.name}' ends with no number to derive its ${what} from; pin ${d.field}.id or ${d.field}.${what}`);
    return false;
}

/** `slot 3` or, zero-based, `slot 0 + 1`: how a derived value was counted, for messages. */
function slotText(d: DeviceDraft): string {
    return d.ordinal !== d.slot ? `slot ${d.slot} + 1` : `slot ${d.slot}`;
}

function deriveAsn(p: Problems, s: Settings, d: DeviceDraft): number | undefined {
    if (d.role === "external") return undefined;
    if (d.role === "spine" && s.spineAsn !== "unique") return s.spineAsn;
    if (!needSlot(p, d, "asn")) return undefined;
    const [base, key] =
        d.role === "spine" ? [s.spineBase, "asn.spineBase"] : d.role === "leaf" ? [s.leafBase, "asn.leafBase"] : [s.nodeBase, "asn.nodeBase"];
    const asn = base + d.ordinal! - 1;
    const privateRange = privateAsnRange(base);
    if (privateRange && asn > privateRange[1]) {
        p.add(`${d.field}.asn`, `derived ASN ${asn} (${key} ${base} + ${slotText(d)} − 1) leaves the private range ${privateRange[0]}–${privateRange[1]}; pin asn or move ${key}`);
        return undefined;
    }
    if (asn > 4294967294) {
        p.add(`${d.field}.asn`, `derived ASN ${asn} is beyond the 4-byte ASN space; pin asn or lower ${key}`);
        return undefined;
    }
    return asn;
}

/**
 * The first host addresses of a rack are kept for its leafs (and the last
 * ones for a gateway): nodes start at .10 in a /27 or larger (.10–.253 of a
 * /24, as before), at .3 in a /28 or /29 (a pair's leafs .1 and .2, the top
 * address free for a gateway). A /30 has no room for derived node addresses.
 */
export function nodeAddressOffset(rack: Cidr): number {
    return rack.size >= 32 ? DEFAULTS.nodeAddressOffset : DEFAULTS.smallRackNodeAddressOffset;
}

/** Why an address cannot be a host in a rack subnet: network, broadcast or outside; undefined when it can. */
function rackAddressProblem(rack: Cidr, a: number): string | undefined {
    const r = formatCidr(rack);
    if (!contains(rack, a)) return `is outside its rack subnet ${r}`;
    if (a === rack.base) return `is the network address of its rack subnet ${r}`;
    if (a === rack.base + rack.size - 1) return `is the broadcast address of its rack subnet ${r}`;
    return undefined;
}

/** calico-bgp: each leaf (or leaf pair) owns a rack subnet; leafs get the first addresses, nodes follow. */
function allocateRacks(p: Problems, s: Settings, drafts: DeviceDraft[]): [string, Cidr][] {
    const leafs = drafts.filter((d) => d.role === "leaf");
    const pinned: [string, Cidr][] = [];
    for (const d of leafs) {
        const cfg = d.config as SwitchConfig;
        if (cfg.rackSubnet !== undefined) {
            // Any length that holds a leaf and a node; it need not come from addressing.rackSubnets.
            const rack = checkCidr(p, `${d.field}.rackSubnet`, cfg.rackSubnet);
            if (rack && rack.length > 30) p.add(`${d.field}.rackSubnet`, `${cfg.rackSubnet} has no room for a leaf and a node (a /30 at most)`);
            else d.rackSubnet = rack;
            // Outside the pool, a managed leaf's rack joins the overlap check (once per rack); someone else's is theirs to keep apart.
            const outside = d.rackSubnet && d.managed && !(s.rackSubnets && containsCidr(s.rackSubnets, d.rackSubnet));
            if (outside && !pinned.some(([, c]) => formatCidr(c) === formatCidr(d.rackSubnet!))) pinned.push([`${d.field}.rackSubnet`, d.rackSubnet!]);
        } else if (!s.rackSubnets) {
            p.add("addressing.rackSubnets", `${s.routing} mode needs rack subnets: set addressing.rackSubnets or pin ${d.field}.rackSubnet`);
        } else if (needSlot(p, d, "rackSubnet")) {
            const size = 2 ** (32 - s.rackPrefixLength);
            const base = (s.rackStart ?? s.rackSubnets.base) + d.ordinal! * size;
            if (base + size > s.rackSubnets.base + s.rackSubnets.size) {
                p.add(
                    "addressing.rackSubnets",
                    `${s.text["addressing.rackSubnets"]} is too small for the rack of '${d.name}' (${slotText(d)}, /${s.rackPrefixLength} each); use a larger range, a longer addressing.rackPrefixLength or pin ${d.field}.rackSubnet`,
                );
            } else d.rackSubnet = { base, length: s.rackPrefixLength, size };
        }
    }
    // Leafs sharing a rack subnet form a pair; they take .1, .2, … in slot order unless pinned.
    const racks = new Map<string, DeviceDraft[]>();
    for (const d of leafs) {
        if (!d.rackSubnet) continue;
        const key = formatCidr(d.rackSubnet);
        const clash = [...racks.values()].find((m) => overlaps(m[0].rackSubnet!, d.rackSubnet!) && formatCidr(m[0].rackSubnet!) !== key);
        if (clash) {
            p.add(`${d.field}.rackSubnet`, `${key} overlaps the rack subnet ${formatCidr(clash[0].rackSubnet!)} of '${clash[0].name}' (the leafs of one rack declare the same subnet)`);
            continue;
        }
        racks.set(key, [...(racks.get(key) ?? []), d]);
    }
    for (const members of racks.values()) {
        const rack = members[0].rackSubnet!;
        members.forEach((d, i) => {
            const cfg = d.config as SwitchConfig;
            if (cfg.address !== undefined) {
                d.address = checkAddress(p, `${d.field}.address`, cfg.address);
                const problem = d.address === undefined ? undefined : rackAddressProblem(rack, d.address);
                if (problem) {
                    p.add(`${d.field}.address`, `${cfg.address} ${problem}`);
                    d.address = undefined;
                }
            } else if (i + 1 >= nodeAddressOffset(rack)) {
                p.add(`${d.field}.address`, `too many leafs share ${formatCidr(rack)} for derived addresses; pin address`);
            } else d.address = rack.base + 1 + i;
        });
        // One gateway per rack: set on one leaf of the pair, or on both alike.
        let gateway: number | undefined;
        let gatewayField: string | undefined;
        for (const d of members) {
            const text = (d.config as SwitchConfig).gateway;
            if (text === undefined) continue;
            const field = `${d.field}.gateway`;
            const a = checkAddress(p, field, text);
            if (a === undefined) continue;
            const problem = rackAddressProblem(rack, a);
            const leaf = members.find((m) => m.address === a);
            if (problem) p.add(field, `${text} ${problem}`);
            else if (leaf) p.add(field, `${text} is already the address of '${leaf.name}' (the gateway is the rack's own address, beside each leaf's)`);
            else if (gateway !== undefined && gateway !== a) p.add(field, `${text} differs from ${gatewayField} ${formatAddress(gateway)} (the leafs of one rack share one gateway)`);
            else if (gateway === undefined) [gateway, gatewayField] = [a, field];
        }
        for (const d of members) [d.gateway, d.gatewayField] = [gateway, gatewayField];
    }
    return pinned;
}

/** Check a node's bond (`bond: { name: bond0, vlan: 1500 }`): calico-bgp only, Linux names, VLAN 1–4094. */
export function checkBond(p: Problems, s: Settings, d: DeviceDraft): void {
    const bond = (d.config as NodeConfig).bond as BondConfig | undefined;
    if (bond === undefined) return;
    const field = `${d.field}.bond`;
    if (typeof bond !== "object" || bond === null || Array.isArray(bond)) return p.add(field, "must be an object such as { name: bond0, vlan: 1500 }");
    if (!rackRouting(s.routing)) {
        return p.add(field, "a bond carries the node's address in its rack subnet (kubernetes.routing: calico-bgp or metallb-bgp); with router-on-host every uplink is its own unnumbered session");
    }
    const name = bond.name ?? "bond0";
    const vlan = bond.vlan === undefined ? undefined : checkInt(p, `${field}.vlan`, bond.vlan, 1, 4094);
    if (bond.vlan !== undefined && vlan === undefined) return;
    const iface = vlan === undefined ? name : `${name}.${vlan}`;
    if (typeof name !== "string" || !/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(iface)) {
        return p.add(`${field}.name`, `${JSON.stringify(iface)} is not a Linux interface name (a letter, then up to 14 letters, digits, '_', '.', '-', VLAN suffix included)`);
    }
    if (/^eth\d+$/.test(name)) return p.add(`${field}.name`, `'${name}' is the name of an uplink (eth1, eth2, … in uplink order); name the bond e.g. bond0`);
    d.bond = { name, members: [], ...(vlan !== undefined ? { vlan } : {}), interface: iface };
}

/** calico-bgp: a node's address in the rack of its leafs (called once topology knows the rack, from one of its leafs). */
export function allocateNodeAddress(p: Problems, d: DeviceDraft, leaf: DeviceDraft): void {
    const cfg = d.config as NodeConfig;
    const rack = leaf.rackSubnet!;
    d.rackSubnet = rack;
    d.gateway = leaf.gateway;
    const pinnedText = cfg.address !== undefined ? `${cfg.address}` : undefined;
    if (cfg.address !== undefined) {
        d.address = checkAddress(p, `${d.field}.address`, cfg.address);
    } else if (needSlot(p, d, "address")) {
        const offset = nodeAddressOffset(rack);
        const usable = rack.size - offset - 2;
        if (usable < 1) p.add(`${d.field}.address`, `its rack subnet ${formatCidr(rack)} has no room for derived node addresses; pin address`);
        else d.address = rack.base + offset + ((d.ordinal! - 1) % usable);
    }
    if (d.address !== undefined) {
        const text = pinnedText ?? `derived address ${formatAddress(d.address)}`;
        const pin = pinnedText ? "" : "; pin address";
        const problem = rackAddressProblem(rack, d.address);
        if (problem) {
            p.add(`${d.field}.address`, `${text} ${problem}${pin}`);
            d.address = undefined;
        } else if (d.address === leaf.gateway) {
            p.add(`${d.field}.address`, `${text} is the gateway of its rack ${formatCidr(rack)} (${leaf.gatewayField})${pin}`);
            d.address = undefined;
        }
    }
    d.loopback = cfg.loopback !== undefined ? checkAddress(p, `${d.field}.loopback`, cfg.loopback) : d.address;
}

/** ASNs, loopbacks and rack addresses that must not repeat. */
export function checkUnique(p: Problems, drafts: DeviceDraft[], s?: Pick<Settings, "routing">): void {
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
            if (other && !sharingAllowed(d, other, s)) {
                p.add(`${d.field}.asn`, `${d.asn} is already the ASN of '${other.name}' (${other.role}); ${asnRule(d)}`);
            } else if (!other) asns.set(d.asn, d);
        }
    }
}

/**
 * RFC 7938: spines may share an ASN; the leafs of one rack pair may too.
 * metallb-bgp: MetalLB's myASN is the nodes' ASN, typically one for the
 * cluster, and iBGP with the router when it is the router's own (design 5).
 */
function sharingAllowed(d: DeviceDraft, other: DeviceDraft, s?: Pick<Settings, "routing">): boolean {
    if (s?.routing === "metallb-bgp") {
        const roles = new Set([d.role, other.role]);
        if (roles.size === 1 && d.role === "node") return true;
        if (roles.has("node") && roles.has("leaf")) return true;
    }
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
