// MetalLB (v0.16) as plain objects.
//
// - Every LoadBalancer pool is an IPAddressPool. Its named VIPs are reserved:
//   they sit in a second pool `<pool>-vips` with autoAssign false, and the
//   pool proper holds the rest of the CIDR as ranges, so MetalLB never hands
//   a named VIP to another Service. A Service takes its VIP with the
//   annotation `metallb.io/loadBalancerIPs` (serviceForVip).
// - router-on-host: MetalLB's native speaker peers with the node's own router
//   over 127.0.0.1 — one metallb.io/v1beta2 BGPPeer per node, selected by
//   `kubernetes.io/hostname` — and one BGPAdvertisement of /32s. No
//   BFDProfile: BFD needs MetalLB's FRR mode, and a loopback session gains
//   nothing from it.
// - metallb-bgp (design 5): the speakers peer straight with the routers of
//   the nodes' rack (its leafs, or someone else's router on that subnet):
//   one BGPPeer per router (and per node ASN, when nodes differ), myASN the
//   nodes' own ASN (iBGP when it is the router's), selected to the nodes
//   cabled to that router; one BGPAdvertisement of /32s. No host router and
//   no Calico BGP, so each node has exactly one speaker per router.
// - calico-bgp: IPAM only. No BGPPeer, no BGPAdvertisement: Calico announces
//   the pools (BGPConfiguration.serviceLoadBalancerIPs), and a node never
//   opens two sessions to the same leaf.
// - No Namespace: metallb-system comes with MetalLB's own install manifest
//   (metallb-native.yaml, already labelled PodSecurity privileged for the
//   speaker); a second owner of it would conflict.

import { FabricPlan, PlannedPool } from "../../plan";
import { formatAddress, parseAddress, parseCidr } from "../../plan/ipv4";
import { KubeObject, METALLB_NAMESPACE, kubeNodes, labels, metadata } from "./common";
import { drainedNodeLabels } from "../drain";

export const LOAD_BALANCER_IPS_ANNOTATION = "metallb.io/loadBalancerIPs";
export const ADDRESS_POOL_ANNOTATION = "metallb.io/address-pool";
/** The speaker's peer on every node: the node's router, reached over loopback. */
export const HOST_ROUTER_ADDRESS = "127.0.0.1";

/** Name of the IPAddressPool holding a pool's named VIPs. */
export function vipPoolName(pool: PlannedPool): string {
    return `${pool.name}-vips`;
}

function rangeText(first: number, last: number): string {
    return first === last
        ? `${formatAddress(first)}/32`
        : `${formatAddress(first)}-${formatAddress(last)}`;
}

/** The pool's CIDR without its named VIPs, as MetalLB address ranges (ascending). */
export function unreservedRanges(pool: PlannedPool): string[] {
    const c = parseCidr(pool.cidr);
    const vips = [...new Set(Object.values(pool.vips).map((v) => parseAddress(v)!))].sort(
        (a, b) => a - b,
    );
    if (!vips.length) return [pool.cidr];
    const out: string[] = [];
    let next = c.base;
    for (const v of vips) {
        if (v > next) out.push(rangeText(next, v - 1));
        next = v + 1;
    }
    const last = c.base + c.size - 1;
    if (next <= last) out.push(rangeText(next, last));
    return out;
}

function ipAddressPool(
    plan: FabricPlan,
    pool: PlannedPool,
    name: string,
    addresses: string[],
    autoAssign: boolean,
): KubeObject {
    return {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: {
            name,
            namespace: METALLB_NAMESPACE,
            labels: labels(plan, "metallb", { "bgp-fabric/pool": pool.name }),
        },
        spec: { addresses, avoidBuggyIPs: pool.avoidBuggyIps, autoAssign },
    };
}

/** IPAddressPools of every plan pool: the pool proper, then its reserved VIPs. */
export function addressPools(plan: FabricPlan): KubeObject[] {
    const all = new Map<string, string>();
    const out: KubeObject[] = [];
    const add = (o: KubeObject, owner: string) => {
        const other = all.get(o.metadata.name);
        if (other)
            throw new Error(
                `MetalLB pool name '${o.metadata.name}' is used by both ${other} and ${owner}`,
            );
        all.set(o.metadata.name, owner);
        out.push(o);
    };
    for (const pool of plan.pools) {
        const vips = [...new Set(Object.values(pool.vips).map((v) => parseAddress(v)!))].sort(
            (a, b) => a - b,
        );
        const rest = unreservedRanges(pool);
        if (rest.length)
            add(ipAddressPool(plan, pool, pool.name, rest, pool.autoAssign), `pool '${pool.name}'`);
        if (vips.length)
            add(
                ipAddressPool(
                    plan,
                    pool,
                    vipPoolName(pool),
                    vips.map((v) => `${formatAddress(v)}/32`),
                    false,
                ),
                `the VIPs of pool '${pool.name}'`,
            );
    }
    return out;
}

/** router-on-host: one BGPPeer per node, the speaker on that node ↔ the node's router. */
export function speakerPeers(plan: FabricPlan): KubeObject[] {
    return kubeNodes(plan).map((node) => ({
        apiVersion: "metallb.io/v1beta2",
        kind: "BGPPeer",
        metadata: { ...metadata(plan, "metallb", `host-router-${node.name}`, METALLB_NAMESPACE) },
        spec: {
            myASN: plan.kubernetes.speakerAsn,
            peerASN: node.asn,
            peerAddress: HOST_ROUTER_ADDRESS,
            nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": node.name } }],
        },
    }));
}

/**
 * metallb-bgp: one BGPPeer per router the nodes are cabled to (per node ASN
 * when nodes differ), myASN = the nodes' ASN, peerAddress = the router's
 * address in the rack subnet, only on the nodes cabled to it.
 */
export function routerPeers(plan: FabricPlan): KubeObject[] {
    const groups = new Map<
        string,
        { router: string; address: string; peerAsn: number; myAsn: number; nodes: string[] }
    >();
    for (const node of kubeNodes(plan)) {
        for (const n of node.neighbors) {
            if (n.kind !== "server") continue;
            if (!n.address)
                throw new Error(
                    `node ${node.name}: the session with ${n.device} has no peer address (metallb-bgp needs numbered rack subnets)`,
                );
            const key = `${n.device}|${node.asn}`;
            const g = groups.get(key) ?? {
                router: n.device,
                address: n.address,
                peerAsn: n.asn,
                myAsn: node.asn,
                nodes: [],
            };
            if (g.nodes.includes(node.name))
                throw new Error(
                    `node ${node.name} has two sessions with ${n.device}; MetalLB allows one per node and router`,
                );
            g.nodes.push(node.name);
            groups.set(key, g);
        }
    }
    const perRouter = (router: string) =>
        [...groups.values()].filter((g) => g.router === router).length;
    return [...groups.values()].map((g) => ({
        apiVersion: "metallb.io/v1beta2",
        kind: "BGPPeer",
        metadata: {
            name: perRouter(g.router) > 1 ? `${g.router}-as${g.myAsn}` : g.router,
            namespace: METALLB_NAMESPACE,
            labels: labels(plan, "metallb", { "bgp-fabric/peer": g.router }),
        },
        spec: {
            myASN: g.myAsn,
            peerASN: g.peerAsn,
            peerAddress: g.address,
            holdTime: `${plan.bgp.holdtime}s`,
            keepaliveTime: `${plan.bgp.keepalive}s`,
            nodeSelectors: [
                {
                    matchExpressions: [
                        {
                            key: "kubernetes.io/hostname",
                            operator: "In",
                            values: [...g.nodes].sort(),
                        },
                    ],
                },
            ],
        },
    }));
}

/** router-on-host and metallb-bgp: every pool announced as /32s to every peer (the node's router, or the rack's routers). */
export function bgpAdvertisement(plan: FabricPlan, poolNames: string[]): KubeObject {
    return {
        apiVersion: "metallb.io/v1beta1",
        kind: "BGPAdvertisement",
        metadata: metadata(plan, "metallb", "bgp-fabric", METALLB_NAMESPACE),
        spec: { ipAddressPools: poolNames, aggregationLength: 32 },
    };
}

/** metallb.yaml: the pools, then (router-on-host, metallb-bgp) peers and the advertisement; all in metallb-system. */
export function renderMetallb(plan: FabricPlan): KubeObject[] {
    const pools = addressPools(plan);
    const objects: KubeObject[] = [...pools];
    if (plan.kubernetes.routing !== "calico-bgp") {
        objects.push(
            ...(plan.kubernetes.routing === "router-on-host"
                ? speakerPeers(plan)
                : routerPeers(plan)),
        );
        // An advertisement without pools would mean "every pool": only emit it when there are some.
        if (pools.length)
            objects.push(
                bgpAdvertisement(
                    plan,
                    pools.map((p) => p.metadata.name),
                ),
            );
        // Drained nodes (maintenance: true): the label MetalLB's speaker honours, a labels-only patch.
        objects.push(...drainedNodeLabels(plan));
    }
    return objects;
}

export interface ServicePort {
    name?: string;
    port: number;
    targetPort?: number | string;
    protocol?: "TCP" | "UDP" | "SCTP";
}

export interface VipServiceSpec {
    /** Service name; default: the VIP's name. */
    name?: string;
    namespace: string;
    selector: Record<string, string>;
    ports: ServicePort[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

/**
 * A LoadBalancer Service pinned to a named VIP of a pool, with
 * externalTrafficPolicy Local (only nodes with an endpoint announce the /32,
 * and the client address is kept).
 */
export function serviceForVip(
    plan: FabricPlan,
    pool: string | PlannedPool,
    vipName: string,
    spec: VipServiceSpec,
): KubeObject {
    const p = typeof pool === "string" ? plan.pools.find((x) => x.name === pool) : pool;
    if (!p) throw new Error(`no LoadBalancer pool '${pool}' in fabric '${plan.name}'`);
    const vip = p.vips[vipName];
    if (!vip)
        throw new Error(
            `pool '${p.name}' has no VIP '${vipName}' (it has: ${Object.keys(p.vips).join(", ") || "none"})`,
        );
    if (!spec.ports.length)
        throw new Error(`the Service for VIP '${vipName}' needs at least one port`);
    if (spec.ports.length > 1 && spec.ports.some((x) => !x.name))
        throw new Error(`the Service for VIP '${vipName}' has several ports: each needs a name`);
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
            name: spec.name ?? vipName,
            namespace: spec.namespace,
            labels: {
                ...(spec.labels ?? {}),
                ...labels(plan, "metallb", {
                    "bgp-fabric/pool": p.name,
                    "bgp-fabric/vip": vipName,
                }),
            },
            annotations: {
                ...(spec.annotations ?? {}),
                [LOAD_BALANCER_IPS_ANNOTATION]: vip,
                [ADDRESS_POOL_ANNOTATION]: vipPoolName(p),
            },
        },
        spec: {
            type: "LoadBalancer",
            externalTrafficPolicy: "Local",
            selector: { ...spec.selector },
            ports: spec.ports.map((x) => ({ ...x, protocol: x.protocol ?? "TCP" })),
        },
    };
}
