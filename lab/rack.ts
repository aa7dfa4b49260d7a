// Rack subnets in the lab (calico-bgp, metallb-bgp): what the leafs' ifupdown2
// file (render/interfaces.ts) builds on a switch and what calico-node or
// MetalLB would run on a node.
// - Every leaf with a rack subnet gets the rack bridge (render/frr-switch.ts
//   RACK_BRIDGE) over its server ports; its FRR config puts the SVI on it.
//   A router BIRD plays (lab-plan.ts birdRouter) gets its rack address here.
// - Every node gets a BGP stand-in generated from the rendered Kubernetes
//   objects: calico-bgp → calico-speaker.ts, metallb-bgp → metallb-speaker.ts.

import { FabricPlan } from "../plan";
import { parseCidr } from "../plan/ipv4";
import { RACK_BRIDGE } from "../render/frr-switch";
import { birdInstance, startBird } from "./bird";
import { bondedPeer, buildLeafBonds } from "./bond";
import {
    autodetectedAddress,
    calicoSpeakerFrr,
    nodeAddresses,
    renderedObjects,
    standInNodes,
} from "./calico-speaker";
import { LabConfigs } from "./configs";
import { LabLocation } from "./env";
import { bashInDevice, pool, sq } from "./exec";
import { birdRouter } from "./lab-plan";
import { metallbSpeakerFrr, rackRouterConfig } from "./metallb-speaker";
import { planVips } from "./nodes";
import { LabProcess } from "./state";

/** The rack bridge on every leaf that has a rack subnet, its server ports in it. */
export async function buildRackBridges(
    plan: FabricPlan,
    holder: (device: string) => number,
): Promise<void> {
    const leafs = plan.devices.filter((d) => d.role === "leaf" && d.rackSubnet && d.address);
    await pool(leafs, 8, async (d) => {
        // A port towards a bonded node joins the bridge through its leaf-side bond and VLAN (lab/bond.ts).
        const ports = d.interfaces
            .filter((i) => i.kind === "server" && !bondedPeer(plan, d, i.name))
            .map((i) => i.name);
        const lines = [
            "set -e",
            `ip link add ${RACK_BRIDGE} type bridge stp_state 0 forward_delay 0`,
            `ip link set ${RACK_BRIDGE} up`,
        ];
        for (const p of ports)
            lines.push(`ip link set ${sq(p)} master ${RACK_BRIDGE}`, `ip link set ${sq(p)} up`);
        if (birdRouter(plan, d))
            lines.push(
                `ip addr add ${d.address}/${parseCidr(d.rackSubnet!).length} dev ${RACK_BRIDGE}`,
            );
        await bashInDevice(holder(d.name), lines.join("\n"));
    });
    await buildLeafBonds(plan, holder);
}

/** Each node's BGP stand-in frr.conf, from the rendered objects and the node IP it has now (after its host setup ran). */
export async function addNodeStandIns(
    plan: FabricPlan,
    configs: LabConfigs,
    holder: (device: string) => number,
): Promise<void> {
    const nodes = standInNodes(plan);
    if (!nodes.length) return;
    const objects = renderedObjects(plan);
    await pool(nodes, 4, async (d) => {
        const ip = autodetectedAddress(objects, d.name, await nodeAddresses(holder(d.name)));
        const frr =
            plan.kubernetes.routing === "calico-bgp"
                ? calicoSpeakerFrr(objects, d.name, ip)
                : metallbSpeakerFrr(objects, d.name, ip, planVips(plan));
        configs.devices[d.name] = { ...(configs.devices[d.name] ?? {}), frr };
    });
}

/** BIRD on every rack router that is not ours (metallb-bgp). */
export async function startRackRouters(
    loc: LabLocation,
    plan: FabricPlan,
    holder: (device: string) => number,
): Promise<LabProcess[]> {
    const procs: LabProcess[] = [];
    for (const d of plan.devices.filter((x) => birdRouter(plan, x))) {
        const inst = birdInstance(loc, d.name, "bird");
        procs.push(await startBird(holder(d.name), d.name, inst, rackRouterConfig(plan, d, inst)));
    }
    return procs;
}
