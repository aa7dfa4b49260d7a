// Stage 5 of the planner, sessions: each cable becomes an interface on both
// ends and one eBGP session, recorded on both devices as neighbors; numbered
// links and rack subnets peer by address, unnumbered links by interface.
// Every device here has its ASN and router-id: the planned devices come out.

import { AddressedDevice, Addresses } from "./addresses";
import { naturalCompare } from "./fields";
import { formatAddress, formatCidr } from "./ipv4";
import { Settings } from "./settings";
import { Cable } from "./topology";
import {
    PlannedDevice,
    PlannedInterface,
    PlannedNeighbor,
    PlannedSession,
    SessionEnd,
    rackRouting,
} from "./types";

interface Wired {
    device: AddressedDevice;
    interfaces: PlannedInterface[];
    neighbors: PlannedNeighbor[];
}

export function buildSessions(
    s: Settings,
    a: Addresses,
    cables: Cable[],
): { devices: PlannedDevice[]; sessions: PlannedSession[] } {
    const wired = new Map<string, Wired>(
        a.devices.map((d) => [d.name, { device: d, interfaces: [], neighbors: [] }]),
    );
    const sessions: PlannedSession[] = [];
    for (const cable of cables) {
        const ends = [wired.get(cable.a.device.name), wired.get(cable.b.device.name)];
        if (!ends[0] || !ends[1]) continue; // an end left out for its own problems
        const session =
            cable.kind === "server"
                ? serverLink(s, cable, ends[0], ends[1])
                : switchLink(s, cable, a, ends[0], ends[1]);
        if (session) sessions.push(session);
    }
    return { devices: [...wired.values()].map(toDevice), sessions };
}

/** A fabric or external cable: numbered when it has a /31 (a even, b odd), else unnumbered. */
function switchLink(
    s: Settings,
    cable: Cable,
    addresses: Addresses,
    a: Wired,
    b: Wired,
): PlannedSession {
    const { kind } = cable;
    const subnet = addresses.subnets.get(cable);
    const aAddr = subnet ? formatAddress(subnet.base) : undefined;
    const bAddr = subnet ? formatAddress(subnet.base + 1) : undefined;
    const [aPort, bPort] = [cable.a.port, cable.b.port];
    a.interfaces.push({
        name: aPort,
        kind,
        peer: { device: b.device.name, port: bPort },
        address: aAddr && `${aAddr}/31`,
    });
    b.interfaces.push({
        name: bPort,
        kind,
        peer: { device: a.device.name, port: aPort },
        address: bAddr && `${bAddr}/31`,
    });
    const end = (x: Wired, port: string, addr?: string): SessionEnd =>
        addr
            ? { device: x.device.name, asn: x.device.asn, interface: port, address: addr }
            : { device: x.device.name, asn: x.device.asn, interface: port };
    const id = `${a.device.name}:${aPort}--${b.device.name}:${bPort}`;
    return addSession(
        { id, kind, a: end(a, aPort, aAddr), b: end(b, bPort, bAddr), bfd: s.bgp.bfd },
        a,
        b,
        !!subnet,
    );
}

/**
 * Leaf ↔ node: unnumbered per uplink (router-on-host), or numbered in the rack subnet (calico-bgp,
 * metallb-bgp).
 */
function serverLink(
    s: Settings,
    cable: Cable,
    leaf: Wired,
    node: Wired,
): PlannedSession | undefined {
    const [port, iface] = [cable.a.port, cable.b.port];
    leaf.interfaces.push({
        name: port,
        kind: "server",
        peer: { device: node.device.name, port: iface },
    });
    node.interfaces.push({ name: iface, kind: "server", peer: { device: leaf.device.name, port } });
    const id = `${leaf.device.name}:${port}--${node.device.name}:${iface}`;
    if (!rackRouting(s.routing)) {
        const a: SessionEnd = { device: leaf.device.name, asn: leaf.device.asn, interface: port };
        const b: SessionEnd = { device: node.device.name, asn: node.device.asn, interface: iface };
        return addSession({ id, kind: "server", a, b, bfd: s.bgp.bfd }, leaf, node, false);
    }
    if (leaf.device.address === undefined || node.device.address === undefined) return undefined;
    const a: SessionEnd = {
        device: leaf.device.name,
        asn: leaf.device.asn,
        address: formatAddress(leaf.device.address),
    };
    const b: SessionEnd = {
        device: node.device.name,
        asn: node.device.asn,
        address: formatAddress(node.device.address),
    };
    // Calico has no BFD (DESIGN.md), nor has MetalLB's native speaker; the session runs without it.
    return addSession({ id, kind: "server", a, b, bfd: false }, leaf, node, true);
}

/**
 * Record the session on both devices as neighbors. Numbered: peer by address; unnumbered: by
 * interface.
 */
function addSession(
    session: PlannedSession,
    aDev: Wired,
    bDev: Wired,
    numbered: boolean,
): PlannedSession {
    const side = (self: SessionEnd, peer: SessionEnd, dev: Wired) =>
        dev.neighbors.push(
            numbered
                ? {
                      device: peer.device,
                      asn: peer.asn,
                      kind: session.kind,
                      address: peer.address,
                      bfd: session.bfd,
                      sessionId: session.id,
                  }
                : {
                      device: peer.device,
                      asn: peer.asn,
                      kind: session.kind,
                      interface: self.interface,
                      bfd: session.bfd,
                      sessionId: session.id,
                  },
        );
    side(session.a, session.b, aDev);
    side(session.b, session.a, bDev);
    return session;
}

function toDevice({ device: d, interfaces, neighbors }: Wired): PlannedDevice {
    const loopback = formatAddress(d.loopback);
    const originates =
        d.role === "external" || (d.role === "node" && d.rackSubnet) ? [] : [`${loopback}/32`];
    if (d.role === "leaf" && d.rackSubnet) originates.push(formatCidr(d.rackSubnet));
    return {
        name: d.name,
        role: d.role,
        ...(d.slot !== undefined ? { slot: d.slot } : {}),
        ...(d.ordinal !== undefined && d.ordinal !== d.slot ? { ordinal: d.ordinal } : {}),
        asn: d.asn,
        loopback,
        managed: d.managed,
        ...(d.maintenance ? { maintenance: true } : {}),
        platform: d.platform,
        ...(d.nodeRole ? { nodeRole: d.nodeRole } : {}),
        ...(d.mgmt ? { mgmt: stripUndefined(d.mgmt) } : {}),
        interfaces: [...interfaces].sort((x, y) => naturalCompare(x.name, y.name)),
        neighbors,
        ...(d.rackSubnet ? { rackSubnet: formatCidr(d.rackSubnet) } : {}),
        ...(d.address !== undefined ? { address: formatAddress(d.address) } : {}),
        ...(d.gateway !== undefined ? { gateway: formatAddress(d.gateway) } : {}),
        ...(d.bond ? { bond: d.bond } : {}),
        originates,
    };
}

function stripUndefined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
