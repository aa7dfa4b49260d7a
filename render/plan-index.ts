// Devices by name, the lookup every per-device render needs. Rendering all N
// devices of a plan calls renderDevice N times; each call scanning
// plan.devices (findDevice) made rendering the fabric O(N²). The map is built
// once per plan and kept in a WeakMap keyed by the plan object, so it goes
// away with the plan. (The fabric-wide prefix sets are the plan's own:
// plan.prefixSets.)
//
// A plan is plain data that nothing mutates after planFabric (DESIGN.md: the
// renderers are pure functions of it). The cache is nevertheless rebuilt
// when the plan's top-level parts are replaced ({ ...plan, devices: [...] })
// or devices are added or removed, and a name lookup is checked before it is
// trusted; what it cannot see is a value changed in place inside a plan that
// was already rendered.

import { FabricPlan, PlannedDevice } from "../plan";

interface PlanIndex {
    /** The parts of the plan the cached values were computed from. */
    devices: PlannedDevice[];
    count: number;
    addressing: FabricPlan["addressing"];
    kubernetes: FabricPlan["kubernetes"];
    pools: FabricPlan["pools"];
    byName: Map<string, PlannedDevice>;
}

const indexes = new WeakMap<FabricPlan, PlanIndex>();

function planIndex(plan: FabricPlan): PlanIndex {
    let ix = indexes.get(plan);
    if (
        !ix ||
        ix.devices !== plan.devices ||
        ix.count !== plan.devices.length ||
        ix.addressing !== plan.addressing ||
        ix.kubernetes !== plan.kubernetes ||
        ix.pools !== plan.pools
    ) {
        const byName = new Map<string, PlannedDevice>();
        // The first device of a name wins, as Array.find would pick it.
        for (const d of plan.devices) if (!byName.has(d.name)) byName.set(d.name, d);
        ix = {
            devices: plan.devices,
            count: plan.devices.length,
            addressing: plan.addressing,
            kubernetes: plan.kubernetes,
            pools: plan.pools,
            byName,
        };
        indexes.set(plan, ix);
    }
    return ix;
}

/** The device of that name, or undefined: O(1) instead of a scan of plan.devices. */
export function deviceByName(plan: FabricPlan, name: string): PlannedDevice | undefined {
    const d = planIndex(plan).byName.get(name);
    if (d && d.name === name) return d;
    // Renamed in place since the index was built: scan, as before.
    return plan.devices.find((x) => x.name === name);
}
