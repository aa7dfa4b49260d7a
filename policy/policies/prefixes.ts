// No two address ranges of the fabric overlap: switch and node loopbacks,
// numbered links, rack subnets, the pod and service CIDRs, the LoadBalancer
// pools. The planner checks its configured ranges (plan/pools.ts
// checkOverlaps); this also checks what it does not: each leaf's actual rack
// subnet (pinned ones too, e.g. on someone else's leafs), loopbacks pinned
// outside their range, and the pools as the stack registers them.

import { StackValidationPolicy } from "@pulumi/policy";
import { Cidr, containsCidr, formatCidr, overlaps, parseCidr } from "../../plan/ipv4";
import { fabricStackPolicy } from "../common";
import { FabricView } from "../stack-view";

interface Range {
    name: string;
    cidr: Cidr;
    /** A range this one is meant to sit inside (a rack subnet in addressing.rackSubnets). */
    parent?: string;
    /** Ranges equal to this one that are the same thing (the two leafs of a rack pair). */
    key?: string;
}

function ranges(view: FabricView): Range[] {
    const { plan } = view;
    const a = plan.addressing;
    const k = plan.kubernetes;
    const routerOnHost = k.routing === "router-on-host";
    const out: Range[] = [
        { name: `addressing.loopbacks ${a.loopbacks}`, cidr: parseCidr(a.loopbacks) },
    ];
    if (routerOnHost)
        out.push({
            name: `addressing.nodeLoopbacks ${a.nodeLoopbacks}`,
            cidr: parseCidr(a.nodeLoopbacks),
        });
    if (a.links !== "unnumbered")
        out.push({ name: `addressing.links ${a.links}`, cidr: parseCidr(a.links) });
    const rackRange =
        a.rackSubnets === undefined ? undefined : `addressing.rackSubnets ${a.rackSubnets}`;
    // rackSubnets may name a start address inside its prefix (plan/settings.ts); parseCidr aligns it.
    if (rackRange) out.push({ name: rackRange, cidr: parseCidr(a.rackSubnets!) });
    // Every rack subnet once: the leafs sharing it are one rack pair.
    const racks = new Map<string, string[]>();
    for (const d of plan.devices)
        if (d.role === "leaf" && d.rackSubnet)
            racks.set(d.rackSubnet, [...(racks.get(d.rackSubnet) ?? []), d.name]);
    for (const [subnet, leafs] of racks)
        out.push({
            name: `the rack subnet ${subnet} of ${leafs.join("+")}`,
            cidr: parseCidr(subnet),
            parent: rackRange,
            key: subnet,
        });
    out.push({ name: `kubernetes.podCidr ${k.podCidr}`, cidr: parseCidr(k.podCidr) });
    out.push({ name: `kubernetes.serviceCidr ${k.serviceCidr}`, cidr: parseCidr(k.serviceCidr) });
    for (const [pool, { cidr }] of Object.entries(view.pools))
        out.push({ name: `pool '${pool}' ${cidr}`, cidr: parseCidr(cidr) });
    // Loopbacks outside their range (pinned, often on someone else's switch) are /32s of their own.
    const switchRange = parseCidr(a.loopbacks);
    const nodeRange = parseCidr(a.nodeLoopbacks);
    for (const d of plan.devices) {
        if (d.role === "external" || (d.role === "node" && !routerOnHost)) continue;
        const lo = view.loopbacks[d.name] ?? d.loopback;
        // Someone else's leaf known by its rack address (its SVI): the rack subnet covers it.
        if (d.address !== undefined && lo === d.address) continue;
        const c = parseCidr(`${lo}/32`);
        if (!containsCidr(d.role === "node" ? nodeRange : switchRange, c))
            out.push({ name: `the loopback ${lo}/32 of ${d.name}`, cidr: c });
    }
    return out;
}

export const prefixesDisjoint: StackValidationPolicy = {
    name: "fabric-prefixes-disjoint",
    description:
        "No two address ranges of the fabric overlap (loopbacks, links, rack subnets, pod, service and LoadBalancer ranges).",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: fabricStackPolicy((view, _args, report) => {
        const rs = ranges(view);
        for (let i = 0; i < rs.length; i++) {
            for (let j = 0; j < i; j++) {
                const [x, y] = [rs[i], rs[j]];
                if (!overlaps(x.cidr, y.cidr)) continue;
                if (x.key !== undefined && x.key === y.key) continue;
                if (
                    (x.parent === y.name && containsCidr(y.cidr, x.cidr)) ||
                    (y.parent === x.name && containsCidr(x.cidr, y.cidr))
                )
                    continue;
                report(
                    `${x.name} overlaps ${y.name}${sameOrInside(x.cidr, y.cidr)}`,
                    view.fabric.urn,
                );
            }
        }
    }),
};

function sameOrInside(x: Cidr, y: Cidr): string {
    if (x.base === y.base && x.length === y.length) return " (the same prefix)";
    if (containsCidr(y, x)) return ` (${formatCidr(x)} lies inside ${formatCidr(y)})`;
    if (containsCidr(x, y)) return ` (${formatCidr(y)} lies inside ${formatCidr(x)})`;
    return "";
}
