// frr.conf of a spine or leaf. eBGP everywhere: one peer-group per kind of
// session (fabric, servers, external), unnumbered (RFC 5549) or numbered as
// the plan says, and an explicit inbound and outbound route-map on every
// session, so the policy holds under either FRR defaults profile (the
// `traditional` one refuses to exchange routes without policy).
//
// Policy, in short:
// - a switch originates only its own loopback (a calico-bgp leaf also its
//   rack subnet, a border switch its external link subnets);
// - between spines and leafs the fabric carries loopbacks, node loopbacks,
//   rack subnets, pod blocks, VIP /32s and routes learned from external
//   routers (recognised by the external router's ASN in the AS path);
// - a leaf accepts from a node only that node's loopback, pod blocks
//   (`podCidr ge blockSize le blockSize`) and VIP /32s inside the pools;
// - an external router is sent the fabric's prefixes and nothing it did not
//   originate, and may not announce any of the fabric's own address space.
//
// calico-bgp leafs carry their rack subnet on a bridge of the server ports
// (RACK_BRIDGE): one L2 segment per leaf, the leaf's address as the nodes'
// gateway and BGP peer. The bridge itself is created by ifupdown2 on Cumulus
// (render/interfaces.ts) and by the lab on plain FRR.

import { FabricPlan, PlannedDevice, PlannedInterface, PlannedNeighbor, rackRouting } from "../plan";
import { formatCidr, parseCidr } from "../plan/ipv4";
import {
    PeerGroup,
    RouteMapEntry,
    asPathList,
    block,
    externalAsPaths,
    fabricPrefixes,
    findDevice,
    frrHeader,
    neighborKey,
    ownSpace,
    peerGroupLines,
    podBlocks,
    prefixList,
    routeMap,
    vipRanges,
} from "./frr-common";
import { gracefulShutdownLines, isDrained, serversIgnoreGshut, withDrainPrepend } from "./drain";
import { nodeMaximumPrefix, serverTtlSecurity } from "../plan/protections";
import { gracefulRestartLines, maximumPrefixLine, ttlSecurityLine } from "./protections";

/** The bridge of a calico-bgp leaf's server ports; it holds the leaf's address in the rack subnet. */
export const RACK_BRIDGE = "br-rack";

export interface SwitchFrrOptions {
    /**
     * BGP password per device name (`bgpPassword` of a spine or leaf, usually a
     * secret). It protects that switch's fabric and external sessions and is
     * used by both ends of each, so a switch peering with a protected switch
     * uses the peer's password. The rendered text then contains the secret.
     */
    passwords?: Record<string, string>;
}

export function renderSwitchFrr(
    plan: FabricPlan,
    name: string,
    opts: SwitchFrrOptions = {},
): string {
    const d = findDevice(plan, name);
    if (d.role !== "spine" && d.role !== "leaf")
        throw new Error(`${name} is a ${d.role}, not a spine or leaf`);
    if (!d.managed)
        throw new Error(
            `${name} is not managed (managed: false): bgp-fabric renders no config for it`,
        );
    const groups = peerGroups(plan, d, opts);
    const lines = [
        ...frrHeader(plan, d, "log syslog informational"),
        ...interfaceLines(plan, d),
        ...policyLines(plan, d, groups),
        ...bgpLines(plan, d, groups),
    ];
    return lines.join("\n") + "\n";
}

function interfaceLines(plan: FabricPlan, d: PlannedDevice): string[] {
    const calico = rackRouting(plan.kubernetes.routing);
    const out = block(["interface lo", ` ip address ${d.loopback}/32`, "exit"]);
    for (const i of d.interfaces) {
        const lines = [`interface ${i.name}`, ` description ${i.peer.device}:${i.peer.port}`];
        if (i.address) lines.push(` ip address ${i.address}`);
        else if (!(calico && i.kind === "server")) {
            // Unnumbered: router advertisements carry the link-local next hop (RFC 5549).
            lines.push(" ipv6 nd ra-interval 3", " no ipv6 nd suppress-ra");
        }
        out.push(...block([...lines, "exit"]));
    }
    if (calico && d.rackSubnet && d.address) {
        const ports = d.interfaces.filter((i) => i.kind === "server").map((i) => i.name);
        const prefix = parseCidr(d.rackSubnet).length;
        out.push(
            ...block([
                `interface ${RACK_BRIDGE}`,
                ` description rack ${d.rackSubnet}: ${ports.join(" ") || "no server ports yet"}`,
                ` ip address ${d.address}/${prefix}`,
                "exit",
            ]),
        );
    }
    return out;
}

interface Groups {
    fabric: PlannedNeighbor[];
    servers: PlannedNeighbor[];
    external: PlannedNeighbor[];
    list: PeerGroup[];
}

function peerGroups(plan: FabricPlan, d: PlannedDevice, opts: SwitchFrrOptions): Groups {
    const calico = rackRouting(plan.kubernetes.routing);
    const of = (kind: PlannedNeighbor["kind"]) =>
        uniqueByKey(d.neighbors.filter((n) => n.kind === kind));
    const fabric = of("fabric");
    const servers = of("server");
    const external = of("external");
    const timers = { keepalive: plan.bgp.keepalive, holdtime: plan.bgp.holdtime };
    const describe = neighborDescriber(d);
    const password = (n: PlannedNeighbor) => sessionPassword(plan, d, n, opts.passwords ?? {});
    const list: PeerGroup[] = [];
    if (fabric.length)
        list.push({
            name: "fabric",
            members: fabric,
            routeMapIn: "FABRIC",
            routeMapOut: "FABRIC",
            describe,
            password,
            timers,
        });
    if (servers.length) {
        list.push({
            name: "servers",
            members: servers,
            routeMapOut: serversOutMap(plan, d),
            // calico-bgp: every node announces the same kinds of routes; router-on-host: each its own loopback too.
            routeMapIn: calico ? "SERVERS-IN" : undefined,
            memberRouteMapIn: calico ? undefined : (n) => `FROM-${n.device}`,
            describe,
            timers,
        });
    }
    if (external.length)
        list.push({
            name: "external",
            members: external,
            routeMapIn: "EXTERNAL-IN",
            routeMapOut: "EXTERNAL-OUT",
            describe,
            password,
            timers,
        });
    return { fabric, servers, external, list };
}

function policyLines(plan: FabricPlan, d: PlannedDevice, g: Groups): string[] {
    const calico = rackRouting(plan.kubernetes.routing);
    const externalPaths = externalAsPaths(plan);
    const linkSubnets = d.interfaces
        .filter((i) => i.kind === "external" && i.address)
        .map((i) => formatCidr(parseCidr(i.address!)));
    const originate = [...d.originates, ...linkSubnets];
    const out: string[] = [];
    out.push(...block(["! What this switch originates.", ...prefixList("ORIGINATE", originate)]));
    out.push(
        ...block([
            "! What the fabric carries and shows the outside: loopbacks, racks, external links, pod blocks, VIPs.",
            ...prefixList("FABRIC", fabricPrefixes(plan)),
        ]),
    );
    if (externalPaths.length)
        out.push(
            ...block([
                "! Routes learned from an external router: its ASN is in the path.",
                ...asPathList("EXTERNAL", externalPaths),
            ]),
        );
    if (g.servers.length) {
        out.push(
            ...block([
                `! What any node may announce${calico ? "" : " besides its own loopback"}: pod blocks and VIPs.`,
                ...prefixList("SERVER-ROUTES", [...podBlocks(plan), ...vipRanges(plan)]),
            ]),
        );
        if (!calico) {
            const own = g.servers.flatMap((n) =>
                prefixList(`NODE-${n.device}`, [`${findDevice(plan, n.device).loopback}/32`]),
            );
            out.push(...block(["! Each node's own loopback.", ...own]));
        }
    }
    if (g.external.length)
        out.push(
            ...block([
                "! The fabric's own address space, refused from outside.",
                ...prefixList("OWN-SPACE", ownSpace(plan)),
            ]),
        );

    out.push(
        ...block(
            routeMap("ORIGINATE", [
                { action: "permit", match: ["ip address prefix-list ORIGINATE"] },
            ]),
        ),
    );
    const fabric: RouteMapEntry[] = [
        { action: "permit", match: ["ip address prefix-list FABRIC"] },
    ];
    if (externalPaths.length) fabric.push({ action: "permit", match: ["as-path EXTERNAL"] });
    if (g.fabric.length || g.servers.length) out.push(...block(routeMap("FABRIC", fabric)));
    if (g.servers.length && serversOutMap(plan, d) !== "FABRIC")
        out.push(...block(routeMap(serversOutMap(plan, d), withDrainPrepend(d, fabric))));
    if (g.servers.length && calico) {
        out.push(
            ...block(
                routeMap("SERVERS-IN", [
                    { action: "permit", match: ["ip address prefix-list SERVER-ROUTES"] },
                ]),
            ),
        );
    }
    if (g.servers.length && !calico) {
        for (const n of g.servers) {
            out.push(
                ...block(
                    routeMap(`FROM-${n.device}`, [
                        { action: "permit", match: [`ip address prefix-list NODE-${n.device}`] },
                        { action: "permit", match: ["ip address prefix-list SERVER-ROUTES"] },
                    ]),
                ),
            );
        }
    }
    if (g.external.length) {
        out.push(
            ...block(
                routeMap("EXTERNAL-IN", [
                    { action: "deny", match: ["ip address prefix-list OWN-SPACE"] },
                    { action: "permit" },
                ]),
            ),
        );
        out.push(
            ...block(
                routeMap(
                    "EXTERNAL-OUT",
                    withDrainPrepend(d, [
                        { action: "permit", match: ["ip address prefix-list FABRIC"] },
                    ]),
                ),
            ),
        );
    }
    return out;
}

function bgpLines(plan: FabricPlan, d: PlannedDevice, g: Groups): string[] {
    const bgp = [
        `router bgp ${d.asn}`,
        ` bgp router-id ${d.loopback}`,
        ...gracefulShutdownLines(d),
        " bgp bestpath as-path multipath-relax",
        ...gracefulRestartLines(plan),
    ];
    const af = [" address-family ipv4 unicast", "  redistribute connected route-map ORIGINATE"];
    for (const group of g.list) {
        const lines = peerGroupLines(group);
        bgp.push(...lines.bgp);
        af.push(...lines.af);
        if (group.name === "servers") {
            const p = serverProtectionLines(plan, group.members);
            bgp.push(...p.bgp);
            af.push(...p.af);
        }
    }
    af.push(`  maximum-paths ${plan.bgp.maximumPaths}`, " exit-address-family");
    return block([...bgp, " !", ...af, "exit"]);
}

/**
 * Session protections of the server sessions (plan/protections.ts): TTL
 * security on the group where the nodes run FRR, and each node's own
 * maximum-prefix. `force` counts the prefixes the inbound policy refuses too,
 * which FRR 8.4 only sees with `soft-reconfiguration inbound` (found on the
 * lab: without it a node's flood of refused /32s never trips the limit).
 */
function serverProtectionLines(
    plan: FabricPlan,
    servers: PlannedNeighbor[],
): { bgp: string[]; af: string[] } {
    return {
        bgp: serverTtlSecurity(plan) ? [ttlSecurityLine("servers")] : [],
        af: [
            "  neighbor servers soft-reconfiguration inbound",
            ...servers.map((n) =>
                maximumPrefixLine(
                    neighborKey(n),
                    nodeMaximumPrefix(plan, findDevice(plan, n.device)),
                ),
            ),
        ],
    };
}

/**
 * The outbound route-map of the server sessions: FABRIC, or on a drained leaf
 * whose servers are speakers that may ignore GRACEFUL_SHUTDOWN (calico-bgp,
 * metallb-bgp) SERVERS-OUT, FABRIC with the drain's AS-path prepend.
 */
function serversOutMap(plan: FabricPlan, d: PlannedDevice): string {
    return isDrained(d) && serversIgnoreGshut(plan) ? "SERVERS-OUT" : "FABRIC";
}

/**
 * `leaf1:swp51` for the far end of a session, from the interface it runs on.
 * The interfaces are indexed once per device: a spine has one per leaf and one
 * session per leaf, so a scan per session grew with the square of the leafs.
 */
function neighborDescriber(d: PlannedDevice): (n: PlannedNeighbor) => string {
    const byName = new Map<string, PlannedInterface>();
    const byPeer = new Map<string, PlannedInterface>();
    // The first interface of a name (or peer and kind) wins, as Array.find would pick it.
    for (const i of d.interfaces) {
        if (!byName.has(i.name)) byName.set(i.name, i);
        const key = `${i.peer.device}\0${i.kind}`;
        if (!byPeer.has(key)) byPeer.set(key, i);
    }
    return (n) => {
        const iface = n.interface ? byName.get(n.interface) : byPeer.get(`${n.device}\0${n.kind}`);
        return iface ? `${iface.peer.device}:${iface.peer.port}` : n.device;
    };
}

/**
 * A session's password. Between two of our switches: this switch's, else the
 * peer's; both ends must agree. With a router that is not ours (an external
 * router, a `managed: false` switch): only the password declared on that
 * router (`externalRouters[].bgpPassword`, the unmanaged switch's
 * `bgpPassword`), never this switch's own, which would silently break a
 * session the other side was never told about.
 */
function sessionPassword(
    plan: FabricPlan,
    d: PlannedDevice,
    n: PlannedNeighbor,
    passwords: Record<string, string>,
): string | undefined {
    if (n.kind === "server") return undefined;
    const theirs = passwords[n.device];
    const peer = plan.devices.find((x) => x.name === n.device);
    if (!peer || !peer.managed || peer.role === "external") return theirs;
    const mine = passwords[d.name];
    if (mine !== undefined && theirs !== undefined && mine !== theirs) {
        throw new Error(
            `${d.name} and ${n.device} have different BGP passwords; the session ${n.sessionId} needs one`,
        );
    }
    return mine ?? theirs;
}

/** One neighbor per FRR key (a calico-bgp node cabled twice to one leaf is still one BGP peer). */
function uniqueByKey(ns: PlannedNeighbor[]): PlannedNeighbor[] {
    const seen = new Set<string>();
    return ns.filter((n) => {
        const k = neighborKey(n);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
    });
}
