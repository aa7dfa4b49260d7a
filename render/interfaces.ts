// /etc/network/interfaces of a switch for ifupdown2, as on Cumulus Linux:
// the loopback, every planned port (jumbo frames on fabric and server ports),
// numbered link addresses and, on a calico-bgp leaf, the rack bridge with the
// leaf's gateway address. The management interface (eth0, VRF mgmt) is
// site-specific and not in the plan: it stays in /etc/network/interfaces.d/,
// which this file sources first; the apply script refuses a file that would
// drop the interface its own SSH session arrives on.

import { FabricPlan, rackRouting } from "../plan";
import { parseCidr } from "../plan/ipv4";
import { findDevice } from "./frr-common";
import { RACK_BRIDGE } from "./frr-switch";

/** Jumbo frames inside the fabric; links to external routers keep the default MTU (their MTU is not ours to know). */
export const FABRIC_MTU = 9216;

export function renderInterfaces(plan: FabricPlan, name: string): string {
    const d = findDevice(plan, name);
    if (d.role !== "spine" && d.role !== "leaf")
        throw new Error(`${name} is a ${d.role}: only switches get an interfaces file`);
    if (!d.managed)
        throw new Error(
            `${name} is not managed (managed: false): bgp-fabric renders no config for it`,
        );
    const calico = rackRouting(plan.kubernetes.routing);
    const out = [
        `# ${d.name}: /etc/network/interfaces rendered by bgp-fabric (fabric ${plan.name}); the next apply replaces manual edits.`,
        "# The management interface (eth0, VRF mgmt) belongs in /etc/network/interfaces.d/*.intf.",
        "source /etc/network/interfaces.d/*.intf",
        "",
        "auto lo",
        "iface lo inet loopback",
        `    address ${d.loopback}/32`,
    ];
    for (const i of d.interfaces) {
        out.push(
            "",
            `auto ${i.name}`,
            `iface ${i.name}`,
            `    alias ${i.peer.device}:${i.peer.port}`,
        );
        if (i.address) out.push(`    address ${i.address}`);
        if (i.kind !== "external") out.push(`    mtu ${FABRIC_MTU}`);
    }
    if (calico && d.rackSubnet && d.address) {
        const ports = d.interfaces.filter((i) => i.kind === "server").map((i) => i.name);
        out.push(
            "",
            `auto ${RACK_BRIDGE}`,
            `iface ${RACK_BRIDGE}`,
            `    alias rack ${d.rackSubnet}`,
            `    bridge-ports ${ports.join(" ") || "none"}`,
            "    bridge-stp off",
        );
        // No mtu on the bridge: ifupdown2 has it follow its ports.
        out.push(`    address ${d.address}/${parseCidr(d.rackSubnet).length}`);
    }
    return out.join("\n") + "\n";
}
