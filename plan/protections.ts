// Session protections on the server-facing ports, as plain values the
// renderers write out (render/frr-switch.ts, render/frr-node.ts):
//
// - maximum-prefix on each leaf's session with a node: the most that node may
//   legitimately announce (its loopback, its share of the pod blocks, every
//   address of every LoadBalancer pool) plus a headroom, at least a minimum.
//   FRR counts every prefix received (`force`), also those the inbound policy
//   refuses, so a node leaking a routing table trips its own session only
//   (Idle (PfxCt)); it comes back after the restart timer or `clear bgp`.
// - single-hop TTL security (GTSM, RFC 5082) where both ends are FRR: the
//   leaf ↔ node-router sessions of router-on-host. Calico's BIRD (calico-bgp)
//   and MetalLB's native speaker (metallb-bgp) do not send TTL 255.
// - graceful restart (RFC 4724) on every switch and node router, one restart
//   time fabric-wide. MetalLB's native speaker takes none (v0.16's webhook
//   refuses `enableGracefulRestart` outside FRR mode), so BGPPeers carry none.
//
// A pure function of the plan; plans made before these settings existed get
// the table's defaults.

import { defaultOf } from "./settings-table";
import { parseCidr } from "./ipv4";
import { FabricPlan, PlannedDevice } from "./types";

export interface MaximumPrefix {
    /** `neighbor X maximum-prefix <limit> …`. */
    limit: number;
    /** Minutes until FRR restarts the session by itself; absent: it stays down until cleared. */
    restart?: number;
    /** The figures the limit is made of, for the plan's readers and the docs. */
    basis: { loopback: number; podBlocks: number; poolAddresses: number; headroom: number };
}

export interface GracefulRestart {
    /** Restart Time, seconds (RFC 4724). */
    restartTime: number;
}

type BgpSettings = FabricPlan["bgp"];

function setting<K extends keyof BgpSettings>(
    plan: FabricPlan,
    key: K,
): NonNullable<BgpSettings[K]> {
    const v = plan.bgp[key];
    return (v ?? defaultOf(`bgp.${key}`)) as NonNullable<BgpSettings[K]>;
}

/** Every address of every LoadBalancer pool: any node's speaker may announce any of them. */
export function poolAddresses(plan: FabricPlan): number {
    return plan.pools.reduce((sum, p) => sum + 2 ** (32 - parseCidr(p.cidr).length), 0);
}

/** Calico's IPAM blocks in the pod CIDR (podCidr split into /blockSize). */
export function podBlockCount(plan: FabricPlan): number {
    const { podCidr, blockSize } = plan.kubernetes;
    return 2 ** Math.max(0, blockSize - parseCidr(podCidr).length);
}

// Once per plan: a leaf renders one session per node, and a plan may hold 16,384 nodes.
const SHARES = new WeakMap<FabricPlan, Omit<MaximumPrefix["basis"], "headroom">>();

/** What any one node may announce: the same for every node of a plan. */
function fabricShare(plan: FabricPlan): Omit<MaximumPrefix["basis"], "headroom"> {
    let share = SHARES.get(plan);
    if (!share) {
        const nodes = Math.max(1, plan.devices.filter((d) => d.role === "node").length);
        share = {
            loopback: 1,
            podBlocks: Math.ceil(podBlockCount(plan) / nodes),
            poolAddresses: poolAddresses(plan),
        };
        SHARES.set(plan, share);
    }
    return share;
}

/**
 * The maximum-prefix of a leaf's session with `node`:
 * (1 loopback + ⌈pod blocks ÷ nodes⌉ + pool addresses) × (1 + headroom %),
 * rounded up, at least bgp.maximumPrefixMinimum.
 */
export function nodeMaximumPrefix(plan: FabricPlan, node: PlannedDevice): MaximumPrefix {
    if (node.role !== "node") throw new Error(`${node.name} is a ${node.role}, not a node`);
    const basis = { ...fabricShare(plan), headroom: setting(plan, "maximumPrefixHeadroom") };
    const expected = basis.loopback + basis.podBlocks + basis.poolAddresses;
    // Integer arithmetic: 289 × 150 / 100, not 289 × 1.5 with its rounding.
    const withHeadroom = Math.ceil((expected * (100 + basis.headroom)) / 100);
    const limit = Math.min(
        4294967295,
        Math.max(setting(plan, "maximumPrefixMinimum"), withHeadroom),
    );
    const restart = setting(plan, "maximumPrefixRestart");
    return { limit, ...(restart > 0 ? { restart } : {}), basis };
}

/**
 * Whether the leaf ↔ node sessions run single-hop TTL security: only where
 * both ends are FRR (router-on-host: the node router), and bgp.ttlSecurity.
 */
export function serverTtlSecurity(plan: FabricPlan): boolean {
    return plan.kubernetes.routing === "router-on-host" && setting(plan, "ttlSecurity");
}

/** Graceful restart on every switch and node router, or undefined when bgp.gracefulRestart is false. */
export function gracefulRestart(plan: FabricPlan): GracefulRestart | undefined {
    if (!setting(plan, "gracefulRestart")) return undefined;
    return { restartTime: setting(plan, "gracefulRestartTime") };
}
