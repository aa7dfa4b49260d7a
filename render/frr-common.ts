// Shared pieces of every rendered FRR config: the header, FRR syntax helpers
// (prefix-lists, route-maps, peer-groups) and the prefix sets of the routing
// policy, computed once from the plan so switches and nodes agree on them.

import { formatCidr, parseCidr } from "../plan/ipv4";
import { FabricPlan, PlannedDevice, PlannedNeighbor } from "../plan";
import { deviceByName, perPlan } from "./plan-index";

/** The FRR release the configs are written for (DESIGN.md: FRR 8.4). */
export const FRR_VERSION = "8.4";

export function findDevice(plan: FabricPlan, name: string): PlannedDevice {
    const d = deviceByName(plan, name);
    if (!d) throw new Error(`no device '${name}' in fabric '${plan.name}'`);
    return d;
}

/** The first lines of every frr.conf. */
export function frrHeader(plan: FabricPlan, device: PlannedDevice, log: string): string[] {
    return [
        `! ${device.name}: ${device.role} AS ${device.asn} of fabric ${plan.name}. Rendered by bgp-fabric: edit the stack, not this file.`,
        `frr version ${FRR_VERSION}`,
        "frr defaults datacenter",
        `hostname ${device.name}`,
        log,
        "service integrated-vtysh-config",
        // FRR 8.4 does not put a path back into a kernel nexthop group after its
        // link flaps (ECMP stays halved); plain multipath routes recover.
        "no zebra nexthop kernel enable",
        "!",
        ...(device.neighbors.some((n) => n.bfd) ? bfdProfile(plan) : []),
    ];
}

/** The BFD profile every BFD session uses: fast detection per plan.bgp (RFC 7938 §6.2.1). */
export const BFD_PROFILE = "fabric";

// FRR's running config omits values equal to its defaults (3 × 300 ms); so do
// we, or frr-reload.py would see a difference on every apply.
function bfdProfile(plan: FabricPlan): string[] {
    const { bfdMultiplier: multiplier, bfdInterval: interval } = plan.bgp;
    return [
        "bfd",
        ` profile ${BFD_PROFILE}`,
        ...(multiplier === 3 ? [] : [`  detect-multiplier ${multiplier}`]),
        ...(interval === 300 ? [] : [`  receive-interval ${interval}`, `  transmit-interval ${interval}`]),
        " exit",
        "exit",
        "!",
    ];
}

/**
 * One prefix-list match: `cidr` alone, or `cidr ge N le N` for exactly
 * length N inside it. FRR rejects `ge` equal to the prefix's own length, so a
 * range whose length already is N is matched exactly.
 */
export function prefixRange(cidr: string, exactLength?: number): string {
    const c = parseCidr(cidr);
    const text = formatCidr(c);
    if (exactLength === undefined || exactLength === c.length) return text;
    if (exactLength < c.length) throw new Error(`prefix length ${exactLength} is shorter than ${text}`);
    return exactLength === 32 ? `${text} ge 32` : `${text} ge ${exactLength} le ${exactLength}`;
}

/** `cidr le 32`: the prefix and everything inside it (or the /32 itself). */
export function prefixAndInside(cidr: string): string {
    const c = parseCidr(cidr);
    return c.length === 32 ? formatCidr(c) : `${formatCidr(c)} le 32`;
}

/** `ip prefix-list NAME seq 10 permit …` lines, one per entry, duplicates dropped. */
export function prefixList(name: string, entries: string[], action: "permit" | "deny" = "permit"): string[] {
    return [...new Set(entries)].map((e, i) => `ip prefix-list ${name} seq ${(i + 1) * 10} ${action} ${e}`);
}

export function asPathList(name: string, regexes: string[]): string[] {
    return [...new Set(regexes)].map((r, i) => `bgp as-path access-list ${name} seq ${(i + 1) * 10} permit ${r}`);
}

export interface RouteMapEntry {
    action: "permit" | "deny";
    /** `match …` clauses (all must match). */
    match?: string[];
    /** A `!` comment line above the entry. */
    why?: string;
}

/** A route-map, entries numbered 10, 20, …; a route no entry matches is denied. */
export function routeMap(name: string, entries: RouteMapEntry[]): string[] {
    const out: string[] = [];
    entries.forEach((e, i) => {
        if (e.why) out.push(`! ${e.why}`);
        out.push(`route-map ${name} ${e.action} ${(i + 1) * 10}`);
        for (const m of e.match ?? []) out.push(` match ${m}`);
        out.push("exit");
    });
    return out;
}

/** A block followed by FRR's `!` separator (nothing for an empty block). */
export function block(lines: string[]): string[] {
    return lines.length ? [...lines, "!"] : [];
}

/** How FRR names a neighbor: its interface (unnumbered) or its address (numbered). */
export function neighborKey(n: PlannedNeighbor): string {
    const key = n.interface && !n.address ? n.interface : n.address;
    if (!key) throw new Error(`session ${n.sessionId} has neither an interface nor an address`);
    return key;
}

export function isUnnumbered(n: PlannedNeighbor): boolean {
    return !n.address && !!n.interface;
}

export interface PeerGroup {
    name: string;
    members: PlannedNeighbor[];
    /** Policy applied to the whole group (`neighbor GROUP route-map … in|out`). */
    routeMapIn?: string;
    routeMapOut?: string;
    /** Per-member inbound route-map (overrides the group's). */
    memberRouteMapIn?: (n: PlannedNeighbor) => string | undefined;
    /** Member description (peer device and port). */
    describe: (n: PlannedNeighbor) => string;
    /** Session password per member, if any. */
    password?: (n: PlannedNeighbor) => string | undefined;
    timers: { keepalive: number; holdtime: number };
}

/**
 * The `router bgp` lines of one peer-group and its members. Unnumbered groups
 * take `remote-as external` (the interface identifies the peer); numbered
 * members get their planned ASN, so a wrong peer is refused. BFD goes on the
 * group when every member's session wants it, else on each member that does.
 */
export function peerGroupLines(g: PeerGroup): { bgp: string[]; af: string[] } {
    const allUnnumbered = g.members.every(isUnnumbered);
    const anyUnnumbered = g.members.some(isUnnumbered);
    const groupBfd = g.members.every((n) => n.bfd);
    const bgp = [` neighbor ${g.name} peer-group`];
    if (allUnnumbered) bgp.push(` neighbor ${g.name} remote-as external`);
    if (groupBfd) bgp.push(` neighbor ${g.name} bfd`, ` neighbor ${g.name} bfd profile ${BFD_PROFILE}`);
    if (anyUnnumbered) bgp.push(` neighbor ${g.name} capability extended-nexthop`);
    bgp.push(` neighbor ${g.name} timers ${g.timers.keepalive} ${g.timers.holdtime}`, ` neighbor ${g.name} advertisement-interval 0`);
    for (const n of g.members) {
        const key = neighborKey(n);
        if (isUnnumbered(n)) {
            bgp.push(` neighbor ${key} interface peer-group ${g.name}`);
            if (!allUnnumbered) bgp.push(` neighbor ${key} remote-as external`);
        } else {
            bgp.push(` neighbor ${key} remote-as ${n.asn}`, ` neighbor ${key} peer-group ${g.name}`);
        }
        bgp.push(` neighbor ${key} description ${g.describe(n)}`);
        if (!groupBfd && n.bfd) bgp.push(` neighbor ${key} bfd`, ` neighbor ${key} bfd profile ${BFD_PROFILE}`);
        const password = g.password?.(n);
        if (password !== undefined) bgp.push(` neighbor ${key} password ${checkPassword(password, n)}`);
    }
    const af: string[] = [];
    if (g.routeMapIn) af.push(`  neighbor ${g.name} route-map ${g.routeMapIn} in`);
    if (g.routeMapOut) af.push(`  neighbor ${g.name} route-map ${g.routeMapOut} out`);
    for (const n of g.members) {
        const rm = g.memberRouteMapIn?.(n);
        if (rm) af.push(`  neighbor ${neighborKey(n)} route-map ${rm} in`);
    }
    return { bgp, af };
}

/** FRR takes the password as one word (TCP-MD5 allows at most 80 characters). */
function checkPassword(password: string, n: PlannedNeighbor): string {
    if (!/^[\x21-\x7e]{1,80}$/.test(password)) {
        throw new Error(`BGP password for the session ${n.sessionId} must be 1-80 printable characters without spaces`);
    }
    return password;
}

// ---------------------------------------------------------------------------
// Prefix sets of the routing policy.

/** Pod routes a node announces: Calico's IPAM blocks, never single pod /32s. */
export function podBlocks(plan: FabricPlan): string[] {
    return [prefixRange(plan.kubernetes.podCidr, plan.kubernetes.blockSize)];
}

/**
 * Service VIPs: one /32 per VIP inside each pool. In calico-bgp mode Calico
 * also announces the whole `serviceLoadBalancerIPs` range from every node for
 * services with externalTrafficPolicy Cluster, so the exact pool prefix is
 * accepted there too.
 */
export function vipRanges(plan: FabricPlan): string[] {
    const out: string[] = [];
    for (const p of plan.pools) {
        if (plan.kubernetes.routing === "calico-bgp" && parseCidr(p.cidr).length < 32) out.push(prefixRange(p.cidr));
        out.push(prefixRange(p.cidr, 32));
    }
    return out;
}

/** Switch loopbacks: the loopback range, plus pinned ones outside it (someone else's switches). */
function switchLoopbacks(plan: FabricPlan): string[] {
    const range = parseCidr(plan.addressing.loopbacks);
    const out = [prefixRange(plan.addressing.loopbacks, 32)];
    for (const d of plan.devices) {
        if (d.role !== "spine" && d.role !== "leaf") continue;
        if (!inside(range, d.loopback)) out.push(`${d.loopback}/32`);
    }
    return out;
}

/** Node loopbacks (router-on-host only: in calico-bgp mode a node's address lives in its rack subnet). */
function nodeLoopbacks(plan: FabricPlan): string[] {
    if (plan.kubernetes.routing !== "router-on-host") return [];
    const range = parseCidr(plan.addressing.nodeLoopbacks);
    const out = [prefixRange(plan.addressing.nodeLoopbacks, 32)];
    for (const d of plan.devices) if (d.role === "node" && !inside(range, d.loopback)) out.push(`${d.loopback}/32`);
    return out;
}

/** Every leaf's rack subnet, exactly (calico-bgp mode). */
export function rackSubnets(plan: FabricPlan): string[] {
    return [...new Set(plan.devices.filter((d) => d.role === "leaf" && d.rackSubnet).map((d) => formatCidr(parseCidr(d.rackSubnet!))))];
}

/** Numbered links towards external routers: the fabric answers a router that talks from its link address. */
export function externalLinkSubnets(plan: FabricPlan): string[] {
    const out: string[] = [];
    for (const d of plan.devices) {
        if (d.role !== "spine" && d.role !== "leaf") continue;
        for (const i of d.interfaces) if (i.kind === "external" && i.address) out.push(formatCidr(parseCidr(i.address)));
    }
    return out;
}

/**
 * Everything the fabric carries between spines and leafs and shows the
 * outside world: switch and node loopbacks, rack subnets, external link
 * subnets, pod blocks and VIP /32s.
 */
export function fabricPrefixes(plan: FabricPlan): string[] {
    // The same for every switch and a scan of every device: once per plan.
    return perPlan(plan, "fabricPrefixes", () => [...switchLoopbacks(plan), ...nodeLoopbacks(plan), ...rackSubnets(plan), ...externalLinkSubnets(plan), ...podBlocks(plan), ...vipRanges(plan)]);
}

/** The fabric's own address space, in any length: refused from an external router. */
export function ownSpace(plan: FabricPlan): string[] {
    return perPlan(plan, "ownSpace", () => computeOwnSpace(plan));
}

function computeOwnSpace(plan: FabricPlan): string[] {
    const a = plan.addressing;
    const ranges = [a.loopbacks, plan.kubernetes.podCidr, plan.kubernetes.serviceCidr, ...plan.pools.map((p) => p.cidr)];
    if (plan.kubernetes.routing === "router-on-host") ranges.push(a.nodeLoopbacks);
    if (a.links !== "unnumbered") ranges.push(a.links);
    ranges.push(...(a.rackSubnets ? [a.rackSubnets] : []), ...rackSubnets(plan));
    return ranges.map(prefixAndInside);
}

/** AS paths of routes learned from an external router (its ASN anywhere in the path). */
export function externalAsPaths(plan: FabricPlan): string[] {
    return perPlan(plan, "externalAsPaths", () => plan.devices.filter((d) => d.role === "external").map((d) => `_${d.asn}_`));
}

function inside(range: ReturnType<typeof parseCidr>, address: string): boolean {
    const a = parseCidr(`${address}/32`).base;
    return a >= range.base && a < range.base + range.size;
}
