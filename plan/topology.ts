// Cabling and BGP sessions: fabric links (spine ↔ leaf), server links
// (leaf ↔ node) and external links (switch ↔ external router). Each cable
// becomes an interface on both ends and one eBGP session.

import { FabricConfig, NodeConfig } from "./config";
import { DEFAULTS } from "./defaults";
import { DeviceDraft, allocateNodeAddress, checkBond } from "./devices";
import { checkLinuxPort, checkPortRef, naturalCompare } from "./fields";
import { Cidr, formatAddress, formatCidr } from "./ipv4";
import { Problems } from "./problems";
import { Settings } from "./settings";
import { LinkKind, PlannedSession, SessionEnd, rackRouting } from "./types";

interface Cable {
    a: { device: DeviceDraft; port: string };
    b: { device: DeviceDraft; port: string };
    kind: LinkKind;
    /** Numbered links: the /31 (a gets the even address, b the odd one). */
    subnet?: Cidr;
}

export function buildTopology(p: Problems, c: FabricConfig, s: Settings, drafts: DeviceDraft[]): PlannedSession[] {
    const byName = new Map(drafts.map((d) => [d.name, d]));
    const ports = new PortRegistry(p);
    // Devices default cabling could not place (no slot): their missing links are not reported again.
    const uncabled = new Set<DeviceDraft>();
    const cables = [...fabricCables(p, c, s, drafts, byName, ports, uncabled), ...externalCables(p, c, s, drafts, byName, ports)];
    const sessions: PlannedSession[] = [];
    for (const cable of cables) sessions.push(connect(cable, s));
    sessions.push(...serverSessions(p, s, drafts, byName, ports));
    // A fabric with no spine of ours (leafs only, or leafs and external routers) has no fabric links to miss.
    const hasSpines = drafts.some((d) => d.role === "spine" && !uncabled.has(d));
    const hasLeafs = drafts.some((d) => d.role === "leaf" && !uncabled.has(d));
    for (const d of drafts) {
        if (!d.managed || uncabled.has(d)) continue; // someone else's switch: cabled as they say
        if (d.role === "leaf" && hasSpines && !d.interfaces.some((i) => i.kind === "fabric")) p.add(`${d.field}`, `leaf '${d.name}' has no link to any spine`);
        if (d.role === "spine" && hasLeafs && !d.interfaces.some((i) => i.kind === "fabric")) p.add(`${d.field}`, `spine '${d.name}' has no link to any leaf`);
    }
    return sessions;
}

/** Claims each device port once, naming where it was first used. */
class PortRegistry {
    private used = new Map<string, string>();
    constructor(private p: Problems) {}
    claim(field: string, device: string, port: string): boolean {
        const key = `${device}:${port}`;
        const other = this.used.get(key);
        if (other) {
            this.p.add(field, `port ${key} is already used by ${other}`);
            return false;
        }
        this.used.set(key, field);
        return true;
    }
}

function fabricCables(
    p: Problems,
    c: FabricConfig,
    s: Settings,
    drafts: DeviceDraft[],
    byName: Map<string, DeviceDraft>,
    ports: PortRegistry,
    uncabled: Set<DeviceDraft>,
): Cable[] {
    const cables: Cable[] = [];
    const spines = drafts.filter((d) => d.role === "spine");
    const leafs = drafts.filter((d) => d.role === "leaf");
    if (c.links === undefined) {
        // Default cabling: every leaf to every spine, Cumulus port names (by ordinal: a zero-based leaf0 is on swp1).
        // A device without a slot is left out (and said so once); a slot 0 the numbering refuses has been reported already.
        const cabled = (d: DeviceDraft) => {
            if (d.ordinal !== undefined) return true;
            uncabled.add(d);
            if (d.slot === undefined) p.add(`${d.field}.name`, `'${d.name}' ends with no number to derive its port names from; pin ${d.field}.id or list fabric:links`);
            return false;
        };
        const spinesCabled = spines.filter(cabled);
        for (const leaf of leafs.filter(cabled)) {
            for (const spine of spinesCabled) {
                const spinePort = `swp${leaf.ordinal}`;
                const leafPort = `swp${DEFAULTS.ports.leafUplinkBase + spine.ordinal!}`;
                if (!ports.claim(`${spine.field}`, spine.name, spinePort) || !ports.claim(`${leaf.field}`, leaf.name, leafPort)) continue;
                cables.push({ a: { device: spine, port: spinePort }, b: { device: leaf, port: leafPort }, kind: "fabric" });
            }
        }
    } else if (!Array.isArray(c.links)) {
        p.add("links", "must be a list of [\"spine:port\", \"leaf:port\"] pairs");
    } else {
        c.links.forEach((link, i) => {
            const field = `links[${i}]`;
            if (!Array.isArray(link) || link.length !== 2) return p.add(field, 'must be a pair ["spine:port", "leaf:port"]');
            const ends = link.map((ref, j) => {
                const r = checkPortRef(p, `${field}[${j}]`, ref);
                if (!r) return undefined;
                const device = byName.get(r.device);
                if (!device || (device.role !== "spine" && device.role !== "leaf")) {
                    p.add(`${field}[${j}]`, `'${r.device}' is not a spine or leaf of this fabric`);
                    return undefined;
                }
                if (device.managed && !checkLinuxPort(p, `${field}[${j}]`, device.name, r.port)) return undefined;
                return { device, port: r.port, field: `${field}[${j}]` };
            });
            if (!ends[0] || !ends[1]) return;
            const spine = ends.find((e) => e!.device.role === "spine");
            const leaf = ends.find((e) => e!.device.role === "leaf");
            if (!spine || !leaf) return p.add(field, "a fabric link joins one spine and one leaf");
            if (!ports.claim(spine.field, spine.device.name, spine.port) || !ports.claim(leaf.field, leaf.device.name, leaf.port)) return;
            cables.push({ a: { device: spine.device, port: spine.port }, b: { device: leaf.device, port: leaf.port }, kind: "fabric" });
        });
    }
    cables.sort(
        (x, y) => (x.a.device.slot ?? 0) - (y.a.device.slot ?? 0) || naturalCompare(x.a.device.name, y.a.device.name) || naturalCompare(x.a.port, y.a.port),
    );
    if (s.links) numberFabricLinks(p, s, cables);
    return cables;
}

/** Numbered fabric: /31 at (leaf ordinal − 1) × linkSlotsPerLeaf + (spine ordinal − 1) inside addressing.links. */
function numberFabricLinks(p: Problems, s: Settings, cables: Cable[]): void {
    const seen = new Set<string>();
    for (const cable of cables) {
        const spine = cable.a.device;
        const leaf = cable.b.device;
        const pair = `${spine.name}-${leaf.name}`;
        if (seen.has(pair)) {
            p.add("addressing.links", `parallel links between ${spine.name} and ${leaf.name} are only supported unnumbered`);
            continue;
        }
        seen.add(pair);
        if (leaf.ordinal === undefined || spine.ordinal === undefined) continue;
        if (spine.ordinal > s.linkSlotsPerLeaf) {
            p.add("addressing.linkSlotsPerLeaf", `spine slot ${spine.slot} of '${spine.name}' exceeds ${s.linkSlotsPerLeaf} link slots per leaf`);
            continue;
        }
        const base = s.links!.base + 2 * ((leaf.ordinal - 1) * s.linkSlotsPerLeaf + (spine.ordinal - 1));
        if (base + 2 > s.links!.base + s.links!.size) {
            p.add("addressing.links", `${s.text["addressing.links"]} is too small for the link ${spine.name}–${leaf.name}; use a larger range`);
            continue;
        }
        cable.subnet = { base, length: 31, size: 2 };
    }
}

function externalCables(p: Problems, c: FabricConfig, s: Settings, drafts: DeviceDraft[], byName: Map<string, DeviceDraft>, ports: PortRegistry): Cable[] {
    const cables: Cable[] = [];
    for (const ext of drafts.filter((d) => d.role === "external")) {
        const links = (ext.config as { links?: unknown }).links;
        if (!Array.isArray(links) || links.length === 0) {
            p.add(`${ext.field}.links`, "an external router needs at least one link ('spine:port')");
            continue;
        }
        links.forEach((ref, i) => {
            const field = `${ext.field}.links[${i}]`;
            const r = checkPortRef(p, field, ref);
            if (!r) return;
            const sw = byName.get(r.device);
            if (!sw || (sw.role !== "spine" && sw.role !== "leaf")) return p.add(field, `'${r.device}' is not a spine or leaf of this fabric`);
            if (sw.managed && !checkLinuxPort(p, field, sw.name, r.port)) return;
            const extPort = `eth${i + 1}`;
            if (!ports.claim(field, sw.name, r.port) || !ports.claim(field, ext.name, extPort)) return;
            const cable: Cable = { a: { device: sw, port: r.port }, b: { device: ext, port: extPort }, kind: "external" };
            if (s.externalLinks && ext.ordinal !== undefined) {
                // Each external router owns linkSlotsPerLeaf /31s, its links in list order within them.
                const base = s.externalLinks.base + 2 * ((ext.ordinal - 1) * s.linkSlotsPerLeaf + i);
                if (base + 2 > s.externalLinks.base + s.externalLinks.size) p.add("addressing.externalLinks", `${s.text["addressing.externalLinks"]} is too small for ${field}`);
                else cable.subnet = { base, length: 31, size: 2 };
            } else if (ext.slot === undefined) {
                p.add(`${ext.field}.name`, `'${ext.name}' ends with no number to derive its link addresses from; pin ${ext.field}.id`);
            }
            cables.push(cable);
        });
    }
    return cables;
}

/** Wire one cable: interfaces on both ends and the session between them. */
function connect(cable: Cable, s: Settings): PlannedSession {
    const { a, b, kind, subnet } = cable;
    const aAddr = subnet ? formatAddress(subnet.base) : undefined;
    const bAddr = subnet ? formatAddress(subnet.base + 1) : undefined;
    a.device.interfaces.push({ name: a.port, kind, peer: { device: b.device.name, port: b.port }, address: aAddr && `${aAddr}/31` });
    b.device.interfaces.push({ name: b.port, kind, peer: { device: a.device.name, port: a.port }, address: bAddr && `${bAddr}/31` });
    const end = (x: typeof a, addr?: string): SessionEnd => (addr ? { device: x.device.name, asn: x.device.asn ?? 0, interface: x.port, address: addr } : { device: x.device.name, asn: x.device.asn ?? 0, interface: x.port });
    return addSession({ id: `${a.device.name}:${a.port}--${b.device.name}:${b.port}`, kind, a: end(a, aAddr), b: end(b, bAddr), bfd: s.bgp.bfd }, a.device, b.device, !!subnet);
}

/** Record the session on both devices as neighbors. Numbered: peer by address; unnumbered: by interface. */
function addSession(session: PlannedSession, aDev: DeviceDraft, bDev: DeviceDraft, numbered: boolean): PlannedSession {
    const side = (self: SessionEnd, peer: SessionEnd, dev: DeviceDraft) =>
        dev.neighbors.push(
            numbered
                ? { device: peer.device, asn: peer.asn, kind: session.kind, address: peer.address, bfd: session.bfd, sessionId: session.id }
                : { device: peer.device, asn: peer.asn, kind: session.kind, interface: self.interface, bfd: session.bfd, sessionId: session.id },
        );
    side(session.a, session.b, aDev);
    side(session.b, session.a, bDev);
    return session;
}

/** Leaf ↔ node: unnumbered per uplink (router-on-host), or numbered in the rack subnet (calico-bgp). */
function serverSessions(p: Problems, s: Settings, drafts: DeviceDraft[], byName: Map<string, DeviceDraft>, ports: PortRegistry): PlannedSession[] {
    const sessions: PlannedSession[] = [];
    for (const node of drafts.filter((d) => d.role === "node")) {
        const uplinks = (node.config as NodeConfig).uplinks;
        if (!Array.isArray(uplinks) || uplinks.length === 0) {
            p.add(`${node.field}.uplinks`, `node '${node.name}' needs at least one uplink ('leaf:port')`);
            continue;
        }
        const leafs: { leaf: DeviceDraft; port: string; iface: string }[] = [];
        uplinks.forEach((ref, i) => {
            const field = `${node.field}.uplinks[${i}]`;
            const r = checkPortRef(p, field, ref);
            if (!r) return;
            const leaf = byName.get(r.device);
            if (!leaf || leaf.role !== "leaf") return p.add(field, `'${r.device}' is not a leaf of this fabric`);
            if (leaf.managed && !checkLinuxPort(p, field, leaf.name, r.port)) return;
            const iface = `eth${i + 1}`;
            if (!ports.claim(field, leaf.name, r.port)) return;
            leafs.push({ leaf, port: r.port, iface });
        });
        if (rackRouting(s.routing)) {
            const racks = new Set(leafs.map((l) => (l.leaf.rackSubnet ? formatCidr(l.leaf.rackSubnet) : "")));
            if (racks.size > 1) {
                p.add(`${node.field}.uplinks`, `${s.routing}: a node's uplinks must all be on leafs of one rack (found ${[...racks].join(", ")})`);
                continue;
            }
            if (!leafs[0]?.leaf.rackSubnet) continue;
            allocateNodeAddress(p, node, leafs[0].leaf);
        }
        checkBond(p, s, node);
        if (node.bond) node.bond.members = leafs.map((l) => l.iface);
        for (const { leaf, port, iface } of leafs) {
            leaf.interfaces.push({ name: port, kind: "server", peer: { device: node.name, port: iface } });
            node.interfaces.push({ name: iface, kind: "server", peer: { device: leaf.name, port } });
            const id = `${leaf.name}:${port}--${node.name}:${iface}`;
            if (rackRouting(s.routing)) {
                if (leaf.address === undefined || node.address === undefined) continue;
                const a: SessionEnd = { device: leaf.name, asn: leaf.asn ?? 0, address: formatAddress(leaf.address) };
                const b: SessionEnd = { device: node.name, asn: node.asn ?? 0, address: formatAddress(node.address) };
                // Calico has no BFD (DESIGN.md), nor has MetalLB's native speaker; the session runs without it.
                sessions.push(addSession({ id, kind: "server", a, b, bfd: false }, leaf, node, true));
            } else {
                const a: SessionEnd = { device: leaf.name, asn: leaf.asn ?? 0, interface: port };
                const b: SessionEnd = { device: node.name, asn: node.asn ?? 0, interface: iface };
                sessions.push(addSession({ id, kind: "server", a, b, bfd: s.bgp.bfd }, leaf, node, false));
            }
        }
    }
    return sessions;
}
