// Stage 4 of the planner, addresses: ASNs, loopbacks, rack subnets, leaf and
// node addresses in them, and the /31s of numbered links. Every derived value
// is keyed by the device's slot, never by its position in a list, so adding or
// removing a device leaves every other device's values alone. A device comes
// out of this stage only with its ASN and router-id set.

import { DEFAULTS, privateAsnRange } from "./defaults";
import { checkUnique } from "./devices";
import { Cidr, contains, containsCidr, formatAddress, formatCidr, overlaps } from "./ipv4";
import { Problems } from "./problems";
import { Settings } from "./settings";
import { SlottedDevice } from "./slots";
import { Cable, Topology } from "./topology";
import { rackRouting } from "./types";

export interface AddressedDevice extends SlottedDevice {
    asn: number;
    /** Router-id (and /32 loopback, except a rack-mode node's, which is its rack address). */
    loopback: number;
    /** calico-bgp: the rack's gateway, and the leaf field that set it. */
    gatewayField?: string;
}

/** A device while its numbers are worked out. */
type Numbering = SlottedDevice & { asn?: number; loopback?: number; gatewayField?: string };

export interface Addresses {
    devices: AddressedDevice[];
    /** Numbered links: the /31 of each cable (the a end gets the even address, b the odd one). */
    subnets: Map<Cable, Cidr>;
    /** Pinned rack subnets outside addressing.rackSubnets, for the overlap check. */
    pinnedRacks: [string, Cidr][];
}

export function allocateAddresses(p: Problems, s: Settings, t: Topology): Addresses {
    // Rack values are for the rack modes only; elsewhere a pinned one is not used.
    const rackless = rackRouting(s.routing)
        ? {}
        : { rackSubnet: undefined, address: undefined, gateway: undefined };
    const devices: Numbering[] = t.devices.map((d) => ({ ...d, ...rackless }));
    const of = new Map(t.devices.map((d, i) => [d, devices[i]]));
    for (const d of devices) {
        d.asn = d.asn ?? deriveAsn(p, s, d);
        d.loopback = loopbackOf(p, s, d);
    }
    let pinnedRacks: [string, Cidr][] = [];
    if (rackRouting(s.routing)) {
        pinnedRacks = allocateRacks(p, s, devices);
        for (const d of devices) {
            // Someone else's leaf in a rack is known to us by its address there: no loopback of
            // ours is made up for it.
            if (
                d.role === "leaf" &&
                d.loopback === undefined &&
                !d.managed &&
                d.text.loopback === undefined
            )
                d.loopback = d.address;
        }
    }
    const subnets = new Map<Cable, Cidr>();
    if (s.links)
        numberFabricLinks(
            p,
            s,
            t.cables.filter((c) => c.kind === "fabric"),
            subnets,
        );
    numberExternalLinks(
        p,
        s,
        t.cables.filter((c) => c.kind === "external"),
        subnets,
    );
    if (rackRouting(s.routing)) {
        for (const [node, leafs] of t.uplinks)
            allocateNodeAddress(
                p,
                s,
                of.get(node)!,
                leafs.map((l) => of.get(l)!),
            );
    }
    checkIdentity(p, s, devices);
    return { devices: complete(p, devices), subnets, pinnedRacks };
}

/**
 * ASNs, loopbacks and rack addresses that must not repeat; the MetalLB speaker's ASN is its own.
 */
function checkIdentity(p: Problems, s: Settings, devices: Numbering[]): void {
    checkUnique(
        p,
        devices.map((d) => ({ ...d, config: { name: d.name, address: d.text.address } })),
        s,
    );
    const speaker = devices.find((d) => d.asn === s.kubernetes.speakerAsn);
    if (speaker) {
        p.add(
            "kubernetes.speakerAsn",
            `${s.kubernetes.speakerAsn} is already the ASN of '${speaker.name}'; the MetalLB speaker needs its own`,
        );
    }
}

/**
 * The check after this stage: only devices with an ASN and a router-id go on; each one left out has
 * said why.
 */
function complete(p: Problems, devices: Numbering[]): AddressedDevice[] {
    const out = devices.filter(
        (d): d is AddressedDevice => d.asn !== undefined && d.loopback !== undefined,
    );
    if (out.length < devices.length && p.empty) {
        const missing = devices
            .filter((d) => !out.includes(d as AddressedDevice))
            .map((d) => d.name);
        throw new Error(
            `planner: addresses stage left ${missing.join(", ")} without an ASN or router-id and no problem reported`,
        );
    }
    return out;
}

/**
 * A pinned loopback (inside its range, for a managed device) or the slot's address in the range.
 */
function loopbackOf(p: Problems, s: Settings, d: Numbering): number | undefined {
    if (d.role === "external") return d.loopback;
    if (d.role === "node" && rackRouting(s.routing)) return d.loopback; // pinned, or its rack address (set with it)
    // Someone else's leaf in a rack is known by its address there (set with the racks).
    if (d.role === "leaf" && !d.managed && rackRouting(s.routing) && d.loopback === undefined)
        return undefined;
    const range = d.role === "node" ? s.nodeLoopbacks : s.loopbacks;
    const rangeKey = d.role === "node" ? "addressing.nodeLoopbacks" : "addressing.loopbacks";
    if (d.loopback !== undefined) {
        if (range && d.managed && !contains(range, d.loopback)) {
            p.add(
                `${d.field}.loopback`,
                `${d.text.loopback} is outside ${rangeKey} ${s.text[rangeKey]}`,
            );
        }
        return d.loopback;
    }
    if (!range || !needSlot(p, d, "loopback")) return undefined;
    const offset = d.role === "leaf" ? s.leafLoopbackOffset + d.ordinal! : d.ordinal!;
    if (d.role === "spine" && d.ordinal! >= s.leafLoopbackOffset) {
        p.add(
            `${d.field}.loopback`,
            `spine slot ${d.slot} reaches the leaf loopbacks (addressing.leafLoopbackOffset ${s.leafLoopbackOffset}); ` +
                "pin loopback or raise the offset",
        );
        return undefined;
    }
    if (offset >= range.size - 1) {
        p.add(
            rangeKey,
            `${s.text[rangeKey]} is too small for '${d.name}' (needs offset ${offset}); use a larger range`,
        );
        return undefined;
    }
    return range.base + offset;
}

/** A device that needs a slot for a derived value. */
function needSlot(p: Problems, d: SlottedDevice, what: string): boolean {
    if (d.ordinal !== undefined) return true;
    p.add(
        `${d.field}.name`,
        `'${d.name}' ends with no number to derive its ${what} from; pin ${d.field}.id or ${d.field}.${what}`,
    );
    return false;
}

/** `slot 3` or, zero-based, `slot 0 + 1`: how a derived value was counted, for messages. */
function slotText(d: SlottedDevice): string {
    return d.ordinal !== d.slot ? `slot ${d.slot} + 1` : `slot ${d.slot}`;
}

function deriveAsn(p: Problems, s: Settings, d: SlottedDevice): number | undefined {
    if (d.role === "external") return undefined; // required, reported by validate
    if (d.role === "spine" && s.spineAsn !== "unique") return s.spineAsn;
    if (!needSlot(p, d, "asn")) return undefined;
    const [base, key] =
        d.role === "spine"
            ? [s.spineBase, "asn.spineBase"]
            : d.role === "leaf"
              ? [s.leafBase, "asn.leafBase"]
              : [s.nodeBase, "asn.nodeBase"];
    const asn = base + d.ordinal! - 1;
    const privateRange = privateAsnRange(base);
    if (privateRange && asn > privateRange[1]) {
        p.add(
            `${d.field}.asn`,
            `derived ASN ${asn} (${key} ${base} + ${slotText(d)} − 1) leaves the private range ` +
                `${privateRange[0]}–${privateRange[1]}; pin asn or move ${key}`,
        );
        return undefined;
    }
    if (asn > 4294967294) {
        p.add(
            `${d.field}.asn`,
            `derived ASN ${asn} is beyond the 4-byte ASN space; pin asn or lower ${key}`,
        );
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

/**
 * Why an address cannot be a host in a rack subnet: network, broadcast or outside; undefined when
 * it can.
 */
function rackAddressProblem(rack: Cidr, a: number): string | undefined {
    const r = formatCidr(rack);
    if (!contains(rack, a)) return `is outside its rack subnet ${r}`;
    if (a === rack.base) return `is the network address of its rack subnet ${r}`;
    if (a === rack.base + rack.size - 1) return `is the broadcast address of its rack subnet ${r}`;
    return undefined;
}

/**
 * calico-bgp: each leaf (or leaf pair) owns a rack subnet; leafs get the first addresses, nodes
 * follow.
 */
function allocateRacks(p: Problems, s: Settings, devices: Numbering[]): [string, Cidr][] {
    const leafs = devices.filter((d) => d.role === "leaf");
    const pinned: [string, Cidr][] = [];
    for (const d of leafs) {
        d.rackSubnet =
            d.rackSubnet !== undefined ? pinnedRack(p, s, d, pinned) : derivedRack(p, s, d);
    }
    for (const members of racksOf(p, leafs).values()) {
        leafAddresses(p, members);
        const [gateway, gatewayField] = rackGateway(p, members);
        for (const d of members) [d.gateway, d.gatewayField] = [gateway, gatewayField];
    }
    return pinned;
}

/**
 * A pinned rack: any length that holds a leaf and a node; it need not come from
 * addressing.rackSubnets.
 */
function pinnedRack(
    p: Problems,
    s: Settings,
    d: Numbering,
    pinned: [string, Cidr][],
): Cidr | undefined {
    const rack = d.rackSubnet!;
    if (rack.length > 30) {
        p.add(
            `${d.field}.rackSubnet`,
            `${d.text.rackSubnet} has no room for a leaf and a node (a /30 at most)`,
        );
        return undefined;
    }
    // Outside the pool, a managed leaf's rack joins the overlap check (once per rack); someone
    // else's is theirs to keep apart.
    const outside = d.managed && !(s.rackSubnets && containsCidr(s.rackSubnets, rack));
    if (outside && !pinned.some(([, c]) => formatCidr(c) === formatCidr(rack)))
        pinned.push([`${d.field}.rackSubnet`, rack]);
    return rack;
}

/** The rack of leaf slot N: the Nth /rackPrefixLength after the pool's start. */
function derivedRack(p: Problems, s: Settings, d: Numbering): Cidr | undefined {
    if (!s.rackSubnets) {
        p.add(
            "addressing.rackSubnets",
            `${s.routing} mode needs rack subnets: set addressing.rackSubnets or pin ${d.field}.rackSubnet`,
        );
        return undefined;
    }
    if (!needSlot(p, d, "rackSubnet")) return undefined;
    const size = 2 ** (32 - s.rackPrefixLength);
    const base = (s.rackStart ?? s.rackSubnets.base) + d.ordinal! * size;
    if (base + size > s.rackSubnets.base + s.rackSubnets.size) {
        p.add(
            "addressing.rackSubnets",
            `${s.text["addressing.rackSubnets"]} is too small for the rack of '${d.name}' (${slotText(d)}, /${s.rackPrefixLength} each); ` +
                `use a larger range, a longer addressing.rackPrefixLength or pin ${d.field}.rackSubnet`,
        );
        return undefined;
    }
    return { base, length: s.rackPrefixLength, size };
}

/** Leafs sharing a rack subnet form a pair; a rack overlapping another is refused. */
function racksOf(p: Problems, leafs: Numbering[]): Map<string, Numbering[]> {
    const racks = new Map<string, Numbering[]>();
    for (const d of leafs) {
        if (!d.rackSubnet) continue;
        const key = formatCidr(d.rackSubnet);
        const clash = [...racks.values()].find(
            (m) =>
                overlaps(m[0].rackSubnet!, d.rackSubnet!) && formatCidr(m[0].rackSubnet!) !== key,
        );
        if (clash) {
            p.add(
                `${d.field}.rackSubnet`,
                `${key} overlaps the rack subnet ${formatCidr(clash[0].rackSubnet!)} of '${clash[0].name}' (the leafs of one rack declare the same subnet)`,
            );
            continue;
        }
        racks.set(key, [...(racks.get(key) ?? []), d]);
    }
    return racks;
}

/** The leafs of a rack take .1, .2, … in slot order unless pinned. */
function leafAddresses(p: Problems, members: Numbering[]): void {
    const rack = members[0].rackSubnet!;
    members.forEach((d, i) => {
        if (d.address !== undefined) {
            const problem = rackAddressProblem(rack, d.address);
            if (problem) {
                p.add(`${d.field}.address`, `${d.text.address} ${problem}`);
                d.address = undefined;
            }
        } else if (i + 1 >= nodeAddressOffset(rack)) {
            p.add(
                `${d.field}.address`,
                `too many leafs share ${formatCidr(rack)} for derived addresses; pin address`,
            );
        } else d.address = rack.base + 1 + i;
    });
}

/** One gateway per rack: set on one leaf of the pair, or on both alike. */
function rackGateway(p: Problems, members: Numbering[]): [number | undefined, string | undefined] {
    const rack = members[0].rackSubnet!;
    let gateway: number | undefined;
    let gatewayField: string | undefined;
    for (const d of members) {
        if (d.gateway === undefined) continue;
        const [a, text, field] = [d.gateway, d.text.gateway, `${d.field}.gateway`];
        const problem = rackAddressProblem(rack, a);
        const leaf = members.find((m) => m.address === a);
        if (problem) p.add(field, `${text} ${problem}`);
        else if (leaf)
            p.add(
                field,
                `${text} is already the address of '${leaf.name}' (the gateway is the rack's own address, beside each leaf's)`,
            );
        else if (gateway !== undefined && gateway !== a) {
            p.add(
                field,
                `${text} differs from ${gatewayField} ${formatAddress(gateway)} (the leafs of one rack share one gateway)`,
            );
        } else if (gateway === undefined) [gateway, gatewayField] = [a, field];
    }
    return [gateway, gatewayField];
}

/** calico-bgp: a node's address in the rack of its leafs (which must all be of one rack). */
function allocateNodeAddress(p: Problems, s: Settings, d: Numbering, leafs: Numbering[]): void {
    const racks = new Set(leafs.map((l) => (l.rackSubnet ? formatCidr(l.rackSubnet) : "")));
    if (racks.size > 1) {
        p.add(
            `${d.field}.uplinks`,
            `${s.routing}: a node's uplinks must all be on leafs of one rack (found ${[...racks].join(", ")})`,
        );
        return;
    }
    const leaf = leafs[0];
    if (!leaf?.rackSubnet) return; // the leaf's rack has been reported
    const rack = leaf.rackSubnet;
    d.rackSubnet = rack;
    d.gateway = leaf.gateway;
    const pinned = d.address !== undefined;
    if (!pinned && needSlot(p, d, "address")) {
        const offset = nodeAddressOffset(rack);
        const usable = rack.size - offset - 2;
        if (usable < 1)
            p.add(
                `${d.field}.address`,
                `its rack subnet ${formatCidr(rack)} has no room for derived node addresses; pin address`,
            );
        else d.address = rack.base + offset + ((d.ordinal! - 1) % usable);
    }
    if (d.address !== undefined) {
        const text = pinned ? d.text.address : `derived address ${formatAddress(d.address)}`;
        const pin = pinned ? "" : "; pin address";
        const problem = rackAddressProblem(rack, d.address);
        if (problem) {
            p.add(`${d.field}.address`, `${text} ${problem}${pin}`);
            d.address = undefined;
        } else if (d.address === leaf.gateway) {
            p.add(
                `${d.field}.address`,
                `${text} is the gateway of its rack ${formatCidr(rack)} (${leaf.gatewayField})${pin}`,
            );
            d.address = undefined;
        }
    }
    if (d.text.loopback === undefined) d.loopback = d.address;
}

/**
 * Numbered fabric: /31 at (leaf ordinal − 1) × linkSlotsPerLeaf + (spine ordinal − 1) inside
 * addressing.links.
 */
function numberFabricLinks(
    p: Problems,
    s: Settings,
    cables: Cable[],
    subnets: Map<Cable, Cidr>,
): void {
    const seen = new Set<string>();
    for (const cable of cables) {
        const [spine, leaf] = [cable.a.device, cable.b.device];
        const pair = `${spine.name}-${leaf.name}`;
        if (seen.has(pair)) {
            p.add(
                "addressing.links",
                `parallel links between ${spine.name} and ${leaf.name} are only supported unnumbered`,
            );
            continue;
        }
        seen.add(pair);
        if (leaf.ordinal === undefined || spine.ordinal === undefined) continue;
        if (spine.ordinal > s.linkSlotsPerLeaf) {
            p.add(
                "addressing.linkSlotsPerLeaf",
                `spine slot ${spine.slot} of '${spine.name}' exceeds ${s.linkSlotsPerLeaf} link slots per leaf`,
            );
            continue;
        }
        const base =
            s.links!.base + 2 * ((leaf.ordinal - 1) * s.linkSlotsPerLeaf + (spine.ordinal - 1));
        if (base + 2 > s.links!.base + s.links!.size) {
            p.add(
                "addressing.links",
                `${s.text["addressing.links"]} is too small for the link ${spine.name}–${leaf.name}; use a larger range`,
            );
            continue;
        }
        subnets.set(cable, { base, length: 31, size: 2 });
    }
}

/**
 * Each external router owns linkSlotsPerLeaf /31s of addressing.externalLinks, its links in list
 * order within them.
 */
function numberExternalLinks(
    p: Problems,
    s: Settings,
    cables: Cable[],
    subnets: Map<Cable, Cidr>,
): void {
    for (const cable of cables) {
        const ext = cable.b.device;
        if (s.externalLinks && ext.ordinal !== undefined) {
            const base =
                s.externalLinks.base + 2 * ((ext.ordinal - 1) * s.linkSlotsPerLeaf + cable.index!);
            if (base + 2 > s.externalLinks.base + s.externalLinks.size) {
                p.add(
                    "addressing.externalLinks",
                    `${s.text["addressing.externalLinks"]} is too small for ${cable.field}`,
                );
            } else subnets.set(cable, { base, length: 31, size: 2 });
        } else if (ext.slot === undefined) {
            p.add(
                `${ext.field}.name`,
                `'${ext.name}' ends with no number to derive its link addresses from; pin ${ext.field}.id`,
            );
        }
    }
}
