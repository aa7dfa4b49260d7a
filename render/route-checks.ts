// What a switch checks in its BGP table after a change, once its sessions are up
// (render/scripts/apply.sh wait_routes, render/scripts/routes.py), so that a
// change whose sessions come up but whose policy drops routes is rolled back
// on the first device it reaches instead of passing everywhere:
//   - from every fabric neighbour whose session is Established: a loopback it
//     originates itself (a valid path whose AS path is exactly the neighbour's
//     AS, as the session reports it): a policy that drops it fails at once;
//   - every prefix of the fabric's own ranges (loopbacks, node loopbacks, rack
//     subnets) that was in the table before the change, with
//     at least as many valid paths: a change may not take redundancy away.
//     What was not there before (day one, a peer of a later wave) is not asked
//     for.
// Pod blocks and VIPs come and go with the cluster, so they are not checked.
// The checks name no prefix of a single device and no ASN, so they change
// only when the fabric's ranges or the switch's own cabling change: a change
// to one device does not change every other device's script.

import { FabricPlan } from "../plan";
import { findDevice, neighborKey } from "./frr-common";

export interface RouteChecks {
    /** Session keys of the fabric neighbours: each must send a loopback of its own while up. */
    from: string[];
    /** The switches' loopback range. */
    loopbacks: string;
    /** The ranges whose prefixes may not lose paths. */
    ranges: string[];
}

/** The route checks of a switch (none for anything else). */
export function routeChecks(plan: FabricPlan, name: string): RouteChecks {
    const d = findDevice(plan, name);
    const a = plan.addressing;
    if (d.role !== "spine" && d.role !== "leaf")
        return { from: [], loopbacks: a.loopbacks, ranges: [] };
    const from = [
        ...new Set(d.neighbors.filter((n) => n.kind === "fabric").map((n) => neighborKey(n))),
    ];
    const ranges = [a.loopbacks, a.nodeLoopbacks, a.rackSubnets].filter(
        (r): r is string => typeof r === "string" && r.length > 0,
    );
    return { from, loopbacks: a.loopbacks, ranges: [...new Set(ranges)] };
}
