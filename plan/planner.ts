// The planner: stack config in, FabricPlan out. Pure and deterministic — the
// same config gives a byte-identical plan — and it reports the problems of
// the config (FabricConfigError), each naming its field, before anything is
// touched.
//
// Named stages, each consuming only the valid output of the one before:
//
//   validate     every field against the settings table; settings resolved   (validate.ts)
//   slots        slot, ordinal; unique names, slots, management addresses     (slots.ts)
//   topology     the cabling: fabric, external and server links, ports        (topology.ts)
//   addresses    ASNs, loopbacks, racks, node addresses, link /31s; identity  (addresses.ts)
//   sessions     interfaces, BGP sessions and neighbors: the planned devices  (sessions.ts)
//   pools        load-balancer pools and VIPs; no two ranges overlap          (pools.ts)
//   prefix sets  the fabric-wide sets of the routing policy                   (prefix-sets.ts)
//
// The check between two stages narrows what goes on: a device with a problem
// is left out of every later stage (and what refers to it is not reported
// again), so every stage's output has its fields set. Problems of all stages
// are reported together at the end, every one naming its field.

import { allocateAddresses } from "./addresses";
import { FabricConfig } from "./config";
import { checkOverlaps, planPools } from "./pools";
import { planPrefixSets } from "./prefix-sets";
import { Problems } from "./problems";
import { buildSessions } from "./sessions";
import { assignSlots } from "./slots";
import { buildTopology } from "./topology";
import { FabricPlan } from "./types";
import { validate } from "./validate";

export function planFabric(config: FabricConfig): FabricPlan {
    const p = new Problems();
    const valid = validate(p, config);
    const s = valid.settings;
    const slotted = assignSlots(p, valid);
    const topology = buildTopology(p, valid, slotted);
    const addresses = allocateAddresses(p, s, topology);
    const { devices, sessions } = buildSessions(s, addresses, topology.cables);
    const { pools, ranges } = planPools(p, valid.config);
    checkOverlaps(p, s, [...addresses.pinnedRacks, ...ranges]);
    p.throwIfAny();
    const plan = {
        name: s.name,
        devices,
        sessions,
        pools,
        kubernetes: s.kubernetes,
        addressing: {
            loopbacks: s.text["addressing.loopbacks"],
            nodeLoopbacks: s.text["addressing.nodeLoopbacks"],
            links: s.text["addressing.links"],
            ...(s.rackSubnets ? { rackSubnets: s.text["addressing.rackSubnets"] } : {}),
        },
        bgp: s.bgp,
        apply: {
            convergeTimeout: s.convergeTimeout,
            confirmWindow: s.confirmWindow,
            waveSize: s.waveSize,
            rollout: s.rollout,
        },
    };
    return { ...plan, prefixSets: planPrefixSets(plan) };
}
