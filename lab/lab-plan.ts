// The lab's copy of the plan: what the lab can build of the plan on this
// machine, the rest of the plan untouched.
// - Someone else's switch (managed: false) keeps its vendor port names in the
//   plan (`eth1/1`, `Ethernet1/1`), but the lab plays it with a Linux
//   namespace and veth cables: each such port gets a Linux name (`eth1-1`,
//   else `p<N>`), on the switch and at the far end's `peer.port`, and every
//   session id that names it.
// - Bonded nodes (plan `bond`): built as planned where the kernel has
//   bonding and 802.1Q; on a kernel without them (CONFIG_BONDING,
//   CONFIG_VLAN_8021Q unset) the lab cannot build a bond at all, so its
//   nodes keep both uplinks unbonded (the rack address on lo, a host route to
//   each leaf's SVI) and the lab says so.
// - metallb-bgp: a router of the rack that is not ours is played by BIRD
//   (lab/metallb-speaker.ts), as an external router is.

import { spawnSync } from "child_process";
import { FabricPlan, PlannedDevice } from "../plan";

export interface LabPlanNotes {
    /** Vendor port → Linux name, per device. */
    renamed: Record<string, Record<string, string>>;
    /** Nodes whose bond the lab could not build, and why. */
    unbonded: string[];
    bondWhy?: string;
}

/** Can this kernel build an 802.3ad bond with a VLAN on it? Probed in a throwaway network namespace (unshare -n). */
let bondProbe: boolean | undefined;
export function kernelCanBond(): boolean {
    if (bondProbe === undefined) {
        const r = spawnSync(
            "unshare",
            [
                "-n",
                "sh",
                "-c",
                "ip link add b0 type bond mode 802.3ad && ip link add link b0 name b0.5 type vlan id 5",
            ],
            { encoding: "utf8" },
        );
        bondProbe = r.status === 0;
    }
    return bondProbe;
}

const LINUX_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

function linuxName(port: string, taken: Set<string>, index: number): string {
    let name = port.replace(/[^A-Za-z0-9_.-]/g, "-");
    if (!LINUX_NAME.test(name) || taken.has(name)) name = `p${index + 1}`;
    for (let i = 0; taken.has(name); i++) name = `p${index + 1}x${i}`;
    taken.add(name);
    return name;
}

/** A metallb-bgp router of the rack that is not ours: the lab plays it with BIRD, not FRR. */
export function birdRouter(plan: FabricPlan, d: PlannedDevice): boolean {
    return plan.kubernetes.routing === "metallb-bgp" && d.role === "leaf" && !d.managed;
}

export function labPlanOf(
    plan: FabricPlan,
    opts: { canBond?: boolean } = {},
): { plan: FabricPlan; notes: LabPlanNotes } {
    const copy: FabricPlan = JSON.parse(JSON.stringify(plan));
    const notes: LabPlanNotes = { renamed: {}, unbonded: [] };
    for (const d of copy.devices.filter(
        (x) => !x.managed && (x.role === "leaf" || x.role === "spine"),
    )) {
        const taken = new Set(d.interfaces.map((i) => i.name).filter((n) => LINUX_NAME.test(n)));
        d.interfaces.forEach((i, index) => {
            if (LINUX_NAME.test(i.name)) return;
            const name = linuxName(i.name, taken, index);
            (notes.renamed[d.name] ??= {})[i.name] = name;
            i.name = name;
        });
    }
    const rename = (device: string, port: string) => notes.renamed[device]?.[port] ?? port;
    for (const d of copy.devices) {
        for (const i of d.interfaces) i.peer.port = rename(i.peer.device, i.peer.port);
        for (const n of d.neighbors) if (n.interface) n.interface = rename(d.name, n.interface);
    }
    // Session ids are `<device>:<port>--<device>:<port>`.
    const renameId = (id: string) =>
        id
            .split("--")
            .map((end) => {
                const at = end.indexOf(":");
                return at < 0
                    ? end
                    : `${end.slice(0, at)}:${rename(end.slice(0, at), end.slice(at + 1))}`;
            })
            .join("--");
    for (const s of copy.sessions) {
        s.id = renameId(s.id);
        for (const e of [s.a, s.b]) if (e.interface) e.interface = rename(e.device, e.interface);
    }
    for (const d of copy.devices) for (const n of d.neighbors) n.sessionId = renameId(n.sessionId);
    const canBond = opts.canBond ?? kernelCanBond();
    if (!canBond) {
        for (const d of copy.devices.filter((x) => x.bond)) {
            delete d.bond;
            notes.unbonded.push(d.name);
        }
        if (notes.unbonded.length)
            notes.bondWhy =
                "this kernel has no bonding or 802.1Q VLAN support (CONFIG_BONDING, CONFIG_VLAN_8021Q)";
    }
    return { plan: copy, notes };
}
