// Kubernetes node stand-ins: what Calico and MetalLB would leave on a node,
// without Kubernetes.
// - Calico (host router owns port 179, Calico only programs routes): one
//   blackhole route per IPAM block, `proto bird` like Calico's BIRD, one
//   /blockSize block per node carved from the pod CIDR (block = slot − 1).
// - MetalLB native speaker: a BIRD per node announcing every VIP /32 to the
//   node router over 127.0.0.1 (bird.ts); kube-proxy's part is played by the
//   VIPs on `lo` and a small TCP responder per VIP that answers the node's name.

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FabricPlan, PlannedDevice } from "../plan";
import { formatAddress, parseCidr } from "../plan/ipv4";
import { BIN, LabLocation, VIP_PORT, deviceDir } from "./env";
import { bashInDevice, nsenterArgs, sleep } from "./exec";
import { LabProcess, describeProcess, procStart } from "./state";

/** The pod block of a node: block index = ordinal − 1 inside the pod CIDR (the ordinal: slot + 1 in a zero-based list, else the slot). */
export function podBlock(plan: FabricPlan, node: PlannedDevice, fallbackIndex: number): string {
    const pods = parseCidr(plan.kubernetes.podCidr);
    const bs = plan.kubernetes.blockSize;
    const index = (node.ordinal ?? node.slot ?? fallbackIndex + 1) - 1;
    const blocks = 2 ** (bs - pods.length);
    if (index < 0 || index >= blocks)
        throw new Error(
            `${node.name}: slot ${index + 1} has no /${bs} block in ${plan.kubernetes.podCidr} (${blocks} blocks)`,
        );
    return `${formatAddress(pods.base + index * 2 ** (32 - bs))}/${bs}`;
}

/**
 * The LoadBalancer Services the lab plays: every named VIP, and for a pool
 * without named VIPs (design 5's 198.51.100.0/24) one Service at the first
 * address MetalLB would hand out (avoidBuggyIPs: not a .0 or .255).
 */
export function planVips(plan: FabricPlan): string[] {
    return [
        ...new Set(
            plan.pools.flatMap((p) =>
                Object.keys(p.vips).length || !p.autoAssign
                    ? Object.values(p.vips)
                    : firstAllocatable(p.cidr, p.avoidBuggyIps),
            ),
        ),
    ];
}

function firstAllocatable(cidr: string, avoidBuggyIps: boolean): string[] {
    const c = parseCidr(cidr);
    for (let a = c.base; a < c.base + c.size; a++) {
        const last = a & 0xff;
        if (!avoidBuggyIps || (last !== 0 && last !== 255)) return [formatAddress(a)];
    }
    return [];
}

/** Pod block blackhole and VIPs on lo, inside the node. */
export async function programNode(
    holderPid: number,
    plan: FabricPlan,
    node: PlannedDevice,
    index: number,
): Promise<void> {
    const lines = ["set -e", `ip route replace blackhole ${podBlock(plan, node, index)} proto 12`];
    for (const v of planVips(plan)) lines.push(`ip addr replace ${v}/32 dev lo`);
    await bashInDevice(holderPid, lines.join("\n"));
}

/** One TCP responder per VIP: `socat TCP-LISTEN:8080,bind=VIP,fork,reuseaddr SYSTEM:'echo <node>'`. */
export async function startResponders(
    loc: LabLocation,
    holderPid: number,
    plan: FabricPlan,
    node: PlannedDevice,
): Promise<LabProcess[]> {
    const procs: LabProcess[] = [];
    const log = path.join(deviceDir(loc, node.name), "var-log", "responders.log");
    for (const vip of planVips(plan)) {
        const fd = fs.openSync(log, "a");
        const child = spawn(
            BIN.nsenter,
            [
                ...nsenterArgs(holderPid),
                BIN.socat,
                `TCP-LISTEN:${VIP_PORT},bind=${vip},fork,reuseaddr`,
                `SYSTEM:echo ${node.name}`,
            ],
            {
                detached: true,
                stdio: ["ignore", "ignore", fd],
            },
        );
        fs.closeSync(fd);
        child.on("error", () => undefined);
        child.unref();
        if (!child.pid) throw new Error(`${node.name}: cannot start the responder for ${vip}`);
        // nsenter execs socat: the child's PID is the responder's.
        for (let i = 0; i < 50 && procStart(child.pid) === undefined; i++) await sleep(5);
        procs.push(describeProcess(child.pid, node.name, `responder ${vip}:${VIP_PORT}`));
    }
    return procs;
}
