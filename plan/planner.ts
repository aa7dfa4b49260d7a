// The planner: stack config in, FabricPlan out. Pure and deterministic — the
// same config gives a byte-identical plan — and it reports every problem of
// the config at once (FabricConfigError), before anything is touched.

import { FabricConfig } from "./config";
import { DeviceDraft, allocate, checkUnique, collectDevices } from "./devices";
import { naturalCompare } from "./fields";
import { checkConfigKeys } from "./keys";
import { formatAddress, formatCidr } from "./ipv4";
import { checkOverlaps, planPools } from "./pools";
import { Problems } from "./problems";
import { resolveSettings } from "./settings";
import { buildTopology } from "./topology";
import { FabricPlan, PlannedDevice } from "./types";

export function planFabric(config: FabricConfig): FabricPlan {
    const p = new Problems();
    if (typeof config !== "object" || config === null) {
        p.add("", "the fabric config is missing");
        p.throwIfAny();
    }
    checkConfigKeys(p, config as unknown as Record<string, unknown>);
    const s = resolveSettings(p, config);
    const drafts = collectDevices(p, config, s);
    const pinnedRacks = allocate(p, s, drafts);
    const sessions = buildTopology(p, config, s, drafts);
    checkUnique(p, drafts, s);
    const speaker = drafts.find((d) => d.asn === s.kubernetes.speakerAsn);
    if (speaker) p.add("kubernetes.speakerAsn", `${s.kubernetes.speakerAsn} is already the ASN of '${speaker.name}'; the MetalLB speaker needs its own`);
    const { pools, ranges } = planPools(p, config);
    checkOverlaps(p, s, [...pinnedRacks, ...ranges]);
    p.throwIfAny();
    return {
        name: s.name,
        devices: drafts.map(toDevice),
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
        apply: { convergeTimeout: s.convergeTimeout },
    };
}

function toDevice(d: DeviceDraft): PlannedDevice {
    const loopback = formatAddress(d.loopback!);
    const originates = d.role === "external" || (d.role === "node" && d.rackSubnet) ? [] : [`${loopback}/32`];
    if (d.role === "leaf" && d.rackSubnet) originates.push(formatCidr(d.rackSubnet));
    const device: PlannedDevice = {
        name: d.name,
        role: d.role,
        ...(d.slot !== undefined ? { slot: d.slot } : {}),
        ...(d.ordinal !== undefined && d.ordinal !== d.slot ? { ordinal: d.ordinal } : {}),
        asn: d.asn!,
        loopback,
        managed: d.managed,
        platform: d.platform,
        ...(d.nodeRole ? { nodeRole: d.nodeRole } : {}),
        ...(d.mgmt ? { mgmt: stripUndefined(d.mgmt) } : {}),
        interfaces: [...d.interfaces].sort((x, y) => naturalCompare(x.name, y.name)),
        neighbors: d.neighbors,
        ...(d.rackSubnet ? { rackSubnet: formatCidr(d.rackSubnet) } : {}),
        ...(d.address !== undefined ? { address: formatAddress(d.address) } : {}),
        ...(d.gateway !== undefined ? { gateway: formatAddress(d.gateway) } : {}),
        ...(d.bond ? { bond: d.bond } : {}),
        originates,
    };
    return device;
}

function stripUndefined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
