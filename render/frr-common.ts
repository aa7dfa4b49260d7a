// Shared pieces of every rendered FRR config: the header, FRR syntax helpers
// (prefix-lists, route-maps, peer-groups) and the prefix sets of the routing
// policy, which the plan holds (plan.prefixSets) so switches and nodes agree on them.

import { FabricPlan, PlannedDevice, PlannedNeighbor } from "../plan";
import { deviceByName } from "./plan-index";

// The prefix sets are the plan's (plan/prefix-sets.ts); these match helpers are shared with it.
export { prefixAndInside, prefixRange } from "../plan/prefix-sets";

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
        ...(interval === 300
            ? []
            : [`  receive-interval ${interval}`, `  transmit-interval ${interval}`]),
        " exit",
        "exit",
        "!",
    ];
}

/** `ip prefix-list NAME seq 10 permit …` lines, one per entry, duplicates dropped. */
export function prefixList(
    name: string,
    entries: string[],
    action: "permit" | "deny" = "permit",
): string[] {
    return [...new Set(entries)].map(
        (e, i) => `ip prefix-list ${name} seq ${(i + 1) * 10} ${action} ${e}`,
    );
}

export function asPathList(name: string, regexes: string[]): string[] {
    return [...new Set(regexes)].map(
        (r, i) => `bgp as-path access-list ${name} seq ${(i + 1) * 10} permit ${r}`,
    );
}

export interface RouteMapEntry {
    action: "permit" | "deny";
    /** `match …` clauses (all must match). */
    match?: string[];
    /** `set …` clauses of a permit entry (`as-path prepend …`). */
    set?: string[];
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
        for (const s of e.set ?? []) out.push(` set ${s}`);
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
    if (groupBfd)
        bgp.push(` neighbor ${g.name} bfd`, ` neighbor ${g.name} bfd profile ${BFD_PROFILE}`);
    if (anyUnnumbered) bgp.push(` neighbor ${g.name} capability extended-nexthop`);
    bgp.push(
        ` neighbor ${g.name} timers ${g.timers.keepalive} ${g.timers.holdtime}`,
        ` neighbor ${g.name} advertisement-interval 0`,
    );
    for (const n of g.members) {
        const key = neighborKey(n);
        if (isUnnumbered(n)) {
            bgp.push(` neighbor ${key} interface peer-group ${g.name}`);
            if (!allUnnumbered) bgp.push(` neighbor ${key} remote-as external`);
        } else {
            bgp.push(
                ` neighbor ${key} remote-as ${n.asn}`,
                ` neighbor ${key} peer-group ${g.name}`,
            );
        }
        bgp.push(` neighbor ${key} description ${g.describe(n)}`);
        if (!groupBfd && n.bfd)
            bgp.push(` neighbor ${key} bfd`, ` neighbor ${key} bfd profile ${BFD_PROFILE}`);
        const password = g.password?.(n);
        if (password !== undefined)
            bgp.push(` neighbor ${key} password ${checkPassword(password, n)}`);
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
        throw new Error(
            `BGP password for the session ${n.sessionId} must be 1-80 printable characters without spaces`,
        );
    }
    return password;
}

// ---------------------------------------------------------------------------
// Prefix sets of the routing policy: the plan's own (plan.prefixSets).

/** Pod routes a node announces: Calico's IPAM blocks, never single pod /32s. */
export function podBlocks(plan: FabricPlan): string[] {
    return plan.prefixSets.podBlocks;
}

/** Service VIPs: one /32 per VIP inside each pool (calico-bgp: the pool prefix too). */
export function vipRanges(plan: FabricPlan): string[] {
    return plan.prefixSets.vips;
}

/**
 * Everything the fabric carries between spines and leafs and shows the
 * outside world: switch and node loopbacks, rack subnets, external link
 * subnets, pod blocks and VIP /32s.
 */
export function fabricPrefixes(plan: FabricPlan): string[] {
    return plan.prefixSets.fabric;
}

/** The fabric's own address space, in any length: refused from an external router. */
export function ownSpace(plan: FabricPlan): string[] {
    return plan.prefixSets.ownSpace;
}

/** AS paths of routes learned from an external router (its ASN anywhere in the path). */
export function externalAsPaths(plan: FabricPlan): string[] {
    return plan.prefixSets.externalAsPaths;
}
