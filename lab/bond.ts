// The leaf side of bonded nodes in the lab (design 4: a node's LACP bond over
// both leafs of a vendor pair, its address on bond0.1500), where the kernel
// has bonding and 802.1Q (lab-plan.ts kernelCanBond; otherwise the lab keeps
// the nodes unbonded and never gets here). The node side is the node's own
// host setup (render/host-setup.ts). The two leafs play a vPC/MLAG pair:
// - each node-facing port is the one member of a leaf-side 802.3ad bond whose
//   LACP system id (ad_actor_system) and port key are the same on both leafs
//   of the rack, so the node's bond aggregates both members as one LAG;
// - the node's VLAN rides that bond as `<bond>.<vlan>`, a port of the rack bridge;
// - a peer link (veth) joins the two leafs' rack bridges, so either member
//   reaches both SVIs;
// - the rack's gateway lives on the first leaf's rack bridge.
// Not run on a kernel without CONFIG_BONDING / CONFIG_VLAN_8021Q.

import { FabricPlan, PlannedDevice } from "../plan";
import { parseAddress, parseCidr } from "../plan/ipv4";
import { RACK_BRIDGE } from "../render/frr-switch";
import { bashInDevice, sq } from "./exec";

export const PEER_LINK = "peerlink";

/** The bonded node at the far end of a leaf's server port, if any. */
export function bondedPeer(
    plan: FabricPlan,
    leaf: PlannedDevice,
    port: string,
): PlannedDevice | undefined {
    const i = leaf.interfaces.find((x) => x.name === port);
    const node = i && plan.devices.find((d) => d.name === i.peer.device);
    return node?.bond ? node : undefined;
}

/** LACP system id shared by the leafs of one rack: 02:bf + the rack's network address. */
function actorSystem(rack: string): string {
    const a = parseAddress(rack.split("/")[0])!;
    return [
        "02",
        "bf",
        ...[24, 16, 8, 0].map((s) => ((a >>> s) & 0xff).toString(16).padStart(2, "0")),
    ].join(":");
}

/** Leaf-side bonds, VLANs, peer link and gateway for every rack with bonded nodes. */
export async function buildLeafBonds(
    plan: FabricPlan,
    holder: (device: string) => number,
): Promise<void> {
    const nodes = plan.devices.filter((d) => d.role === "node");
    const racks = new Map<string, PlannedDevice[]>();
    for (const leaf of plan.devices.filter((d) => d.role === "leaf" && d.rackSubnet))
        racks.set(leaf.rackSubnet!, [...(racks.get(leaf.rackSubnet!) ?? []), leaf]);
    for (const [rack, leafs] of racks) {
        if (!leafs.some((l) => l.interfaces.some((i) => bondedPeer(plan, l, i.name)))) continue;
        for (const leaf of leafs) {
            const lines = ["set -e"];
            leaf.interfaces.forEach((i) => {
                const node = bondedPeer(plan, leaf, i.name);
                if (!node) return;
                const key = nodes.indexOf(node) + 1;
                const lb = `bn${key}`;
                const vlan = node.bond!.vlan;
                lines.push(
                    `ip link add ${lb} type bond mode 802.3ad miimon 100 lacp_rate fast ad_actor_system ${actorSystem(rack)} ad_user_port_key ${key}`,
                    `ip link set ${sq(i.name)} down`,
                    `ip link set ${sq(i.name)} master ${lb}`,
                    `ip link set ${sq(i.name)} up`,
                    `ip link set ${lb} up`,
                );
                const port = vlan === undefined ? lb : `${lb}.${vlan}`;
                if (vlan !== undefined)
                    lines.push(`ip link add link ${lb} name ${port} type vlan id ${vlan}`);
                lines.push(`ip link set ${port} master ${RACK_BRIDGE}`, `ip link set ${port} up`);
            });
            if (leaf === leafs[0] && leaf.gateway)
                lines.push(
                    `ip addr add ${leaf.gateway}/${parseCidr(rack).length} dev ${RACK_BRIDGE}`,
                );
            await bashInDevice(holder(leaf.name), lines.join("\n"));
        }
        // The pair's peer link: created in the first leaf, its far end moved into the second (by its holder's PID).
        if (leafs.length === 2) {
            await bashInDevice(
                holder(leafs[0].name),
                `set -e\nip link add ${PEER_LINK} type veth peer name ${PEER_LINK} netns ${holder(leafs[1].name)}\nip link set ${PEER_LINK} master ${RACK_BRIDGE} up`,
            );
            await bashInDevice(
                holder(leafs[1].name),
                `set -e\nip link set ${PEER_LINK} master ${RACK_BRIDGE} up`,
            );
        }
    }
}
