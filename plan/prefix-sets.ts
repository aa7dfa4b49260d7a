// Stage 7 of the planner, prefix sets: the fabric-wide sets the routing
// policy of every device is written from (prefix-lists FABRIC, OWN-SPACE,
// K8SROUTES, VIPS, SERVER-ROUTES and the external AS paths). They belong to
// the plan, so switches and nodes agree on them and render reads, never
// recomputes, them.

import { formatCidr, parseCidr } from "./ipv4";
import { FabricPlan, PlannedPrefixSets } from "./types";

/**
 * One prefix-list match: `cidr` alone, or `cidr ge N le N` for exactly
 * length N inside it. FRR rejects `ge` equal to the prefix's own length, so a
 * range whose length already is N is matched exactly.
 */
export function prefixRange(cidr: string, exactLength?: number): string {
    const c = parseCidr(cidr);
    const text = formatCidr(c);
    if (exactLength === undefined || exactLength === c.length) return text;
    if (exactLength < c.length)
        throw new Error(`prefix length ${exactLength} is shorter than ${text}`);
    return exactLength === 32 ? `${text} ge 32` : `${text} ge ${exactLength} le ${exactLength}`;
}

/** `cidr le 32`: the prefix and everything inside it (or the /32 itself). */
export function prefixAndInside(cidr: string): string {
    const c = parseCidr(cidr);
    return c.length === 32 ? formatCidr(c) : `${formatCidr(c)} le 32`;
}

type Planned = Omit<FabricPlan, "prefixSets">;

export function planPrefixSets(plan: Planned): PlannedPrefixSets {
    const podBlocks = [prefixRange(plan.kubernetes.podCidr, plan.kubernetes.blockSize)];
    const vips = vipRanges(plan);
    return {
        fabric: [
            ...switchLoopbacks(plan),
            ...nodeLoopbacks(plan),
            ...rackSubnets(plan),
            ...externalLinkSubnets(plan),
            ...podBlocks,
            ...vips,
        ],
        ownSpace: ownSpace(plan),
        podBlocks,
        vips,
        externalAsPaths: plan.devices.filter((d) => d.role === "external").map((d) => `_${d.asn}_`),
    };
}

/**
 * Service VIPs: one /32 per VIP inside each pool. In calico-bgp mode Calico
 * also announces the whole `serviceLoadBalancerIPs` range from every node for
 * services with externalTrafficPolicy Cluster, so the exact pool prefix is
 * accepted there too.
 */
function vipRanges(plan: Planned): string[] {
    const out: string[] = [];
    for (const p of plan.pools) {
        if (plan.kubernetes.routing === "calico-bgp" && parseCidr(p.cidr).length < 32)
            out.push(prefixRange(p.cidr));
        out.push(prefixRange(p.cidr, 32));
    }
    return out;
}

/** Switch loopbacks: the loopback range, plus pinned ones outside it (someone else's switches). */
function switchLoopbacks(plan: Planned): string[] {
    const range = parseCidr(plan.addressing.loopbacks);
    const out = [prefixRange(plan.addressing.loopbacks, 32)];
    for (const d of plan.devices) {
        if (d.role !== "spine" && d.role !== "leaf") continue;
        if (!inside(range, d.loopback)) out.push(`${d.loopback}/32`);
    }
    return out;
}

/**
 * Node loopbacks (router-on-host only: in calico-bgp mode a node's address lives in its rack
 * subnet).
 */
function nodeLoopbacks(plan: Planned): string[] {
    if (plan.kubernetes.routing !== "router-on-host") return [];
    const range = parseCidr(plan.addressing.nodeLoopbacks);
    const out = [prefixRange(plan.addressing.nodeLoopbacks, 32)];
    for (const d of plan.devices)
        if (d.role === "node" && !inside(range, d.loopback)) out.push(`${d.loopback}/32`);
    return out;
}

/** Every leaf's rack subnet, exactly (calico-bgp mode). */
function rackSubnets(plan: Planned): string[] {
    const racks = plan.devices
        .filter((d) => d.role === "leaf" && d.rackSubnet)
        .map((d) => formatCidr(parseCidr(d.rackSubnet!)));
    return [...new Set(racks)];
}

/**
 * Numbered links towards external routers: the fabric answers a router that talks from its link
 * address.
 */
function externalLinkSubnets(plan: Planned): string[] {
    const out: string[] = [];
    for (const d of plan.devices) {
        if (d.role !== "spine" && d.role !== "leaf") continue;
        for (const i of d.interfaces)
            if (i.kind === "external" && i.address) out.push(formatCidr(parseCidr(i.address)));
    }
    return out;
}

/** The fabric's own address space, in any length: refused from an external router. */
function ownSpace(plan: Planned): string[] {
    const a = plan.addressing;
    const ranges = [
        a.loopbacks,
        plan.kubernetes.podCidr,
        plan.kubernetes.serviceCidr,
        ...plan.pools.map((p) => p.cidr),
    ];
    if (plan.kubernetes.routing === "router-on-host") ranges.push(a.nodeLoopbacks);
    if (a.links !== "unnumbered") ranges.push(a.links);
    ranges.push(...(a.rackSubnets ? [a.rackSubnets] : []), ...rackSubnets(plan));
    return ranges.map(prefixAndInside);
}

function inside(range: ReturnType<typeof parseCidr>, address: string): boolean {
    const a = parseCidr(`${address}/32`).base;
    return a >= range.base && a < range.base + range.size;
}
