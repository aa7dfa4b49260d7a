// Calico (v3.32 through tigera-operator v1.43) as plain objects.
//
// - operator.tigera.io/v1 Installation `default`: Calico CNI + IPAM, BGP on,
//   our pod pool (no encapsulation, no NAT), node address autodetection.
// - projectcalico.org/v3 BGPConfiguration `default`: mesh off;
//   router-on-host: BIRD on calicoListenPort (1179), bound to the node IP,
//   no peers (it only programs one blackhole route per IPAM block, which the
//   host router redistributes); calico-bgp: the LoadBalancer pools as
//   serviceLoadBalancerIPs (Calico announces them, MetalLB only allocates).
// - metallb-bgp: no Calico BGP at all (MetalLB's speakers own the sessions):
//   Installation `bgp: Disabled`, the pod pool over the stack's overlay
//   (kubernetes.encapsulation, VXLAN by default; IPIP and None need BGP), NAT
//   outgoing on (pod addresses are not routed in the fabric), and no
//   BGPConfiguration, no BGPPeers, no ASN annotations.
// - calico-bgp only: the per-node ASN as Node patches (annotation
//   `projectcalico.org/ASNumber`) and one projectcalico.org/v3 BGPPeer per
//   node and leaf.
//
// The pod IPPool is declared once, in the Installation: the operator creates
// and owns the projectcalico.org/v3 IPPool from it (it must exist before the
// v3 API is usable, and the operator refuses to manage a pool with the same
// CIDR that it did not create). `expectedIpPool` is that IPPool as the
// operator writes it, for checks; it is not applied.

import { FabricPlan } from "../../plan";
import { KubeObject, kubeNodes, labels, metadata } from "./common";

export const CALICO_POOL_NAME = "bgp-fabric-pods-ipv4";
/** The annotation Calico reads a node's own ASN from (Kubernetes datastore). */
export const CALICO_ASN_ANNOTATION = "projectcalico.org/ASNumber";

/** Every node's ASN, in plan order: what the Node patches of calico-bgp mode set. */
export function nodeAsns(plan: FabricPlan): { node: string; asn: number }[] {
    return kubeNodes(plan).map((d) => ({ node: d.name, asn: d.asn }));
}

/** The addresses Calico should pick as the node IP: the loopback (kubelet's node IP) or the rack address. */
function nodeAddressAutodetection(plan: FabricPlan): Record<string, unknown> {
    if (plan.kubernetes.routing === "router-on-host") {
        // The kubelet runs with --node-ip = the node's loopback /32, which lives on `lo`
        // (an interface Calico's interface scans skip): take the Node's InternalIP.
        return { kubernetes: "NodeInternalIP" };
    }
    // calico-bgp: the node's address in its rack subnet, whatever the kubelet was told.
    const cidrs = plan.addressing.rackSubnets
        ? [plan.addressing.rackSubnets]
        : [...new Set(kubeNodes(plan).flatMap((d) => (d.rackSubnet ? [d.rackSubnet] : [])))];
    return cidrs.length ? { cidrs } : { kubernetes: "NodeInternalIP" };
}

/** Calico's pod encapsulation: an overlay without BGP (metallb-bgp), none where BGP carries the pod blocks. */
function encapsulation(plan: FabricPlan): "None" | "VXLAN" | "VXLANCrossSubnet" {
    return plan.kubernetes.routing === "metallb-bgp"
        ? (plan.kubernetes.calicoEncapsulation ?? "VXLAN")
        : "None";
}

export function installation(plan: FabricPlan): KubeObject {
    const k = plan.kubernetes;
    const overlay = encapsulation(plan) !== "None";
    return {
        apiVersion: "operator.tigera.io/v1",
        kind: "Installation",
        metadata: metadata(plan, "calico", "default"),
        spec: {
            variant: "Calico",
            cni: { type: "Calico", ipam: { type: "Calico" } },
            calicoNetwork: {
                // Calico IPAM with encapsulation None needs BGP (DESIGN: upstream facts); metallb-bgp: MetalLB owns BGP.
                bgp: overlay ? "Disabled" : "Enabled",
                ipPools: [
                    {
                        name: CALICO_POOL_NAME,
                        cidr: k.podCidr,
                        blockSize: k.blockSize,
                        encapsulation: encapsulation(plan),
                        natOutgoing: overlay ? "Enabled" : "Disabled",
                        nodeSelector: "all()",
                    },
                ],
                nodeAddressAutodetectionV4: nodeAddressAutodetection(plan),
            },
        },
    };
}

/** The projectcalico.org/v3 IPPool the operator creates from the Installation (not applied by us). */
export function expectedIpPool(plan: FabricPlan): KubeObject {
    const k = plan.kubernetes;
    return {
        apiVersion: "projectcalico.org/v3",
        kind: "IPPool",
        metadata: {
            name: CALICO_POOL_NAME,
            labels: { "app.kubernetes.io/managed-by": "tigera-operator" },
        },
        spec: {
            cidr: k.podCidr,
            blockSize: k.blockSize,
            ipipMode: "Never",
            vxlanMode: { None: "Never", VXLAN: "Always", VXLANCrossSubnet: "CrossSubnet" }[
                encapsulation(plan)
            ],
            natOutgoing: encapsulation(plan) !== "None",
            nodeSelector: "all()",
            allowedUses: ["Workload", "Tunnel"],
            assignmentMode: "Automatic",
            disableBGPExport: false,
            disabled: false,
        },
    };
}

export function bgpConfiguration(plan: FabricPlan): KubeObject {
    const k = plan.kubernetes;
    const spec: Record<string, unknown> = {
        nodeToNodeMeshEnabled: false,
        listenPort: k.calicoListenPort,
    };
    if (k.routing === "router-on-host") {
        // The host router owns port 179; BIRD listens on the node IP only and has no peers.
        spec.bindMode = "NodeIP";
    } else if (plan.pools.length) {
        // Calico announces the LoadBalancer ranges; MetalLB only allocates from them.
        spec.serviceLoadBalancerIPs = plan.pools.map((p) => ({ cidr: p.cidr }));
    }
    return {
        apiVersion: "projectcalico.org/v3",
        kind: "BGPConfiguration",
        metadata: metadata(plan, "calico", "default"),
        spec,
    };
}

/**
 * calico-bgp: a Node patch per node setting `projectcalico.org/ASNumber`.
 * Only metadata.name and the annotation: apply it as a patch (Pulumi
 * `kubernetes.core.v1.NodePatch`, `kubectl apply --server-side`), never as a
 * whole Node. No labels: the Node belongs to the kubelet.
 */
export function nodeAsnPatches(plan: FabricPlan): KubeObject[] {
    return nodeAsns(plan).map(({ node, asn }) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: node, annotations: { [CALICO_ASN_ANNOTATION]: String(asn) } },
    }));
}

/** calico-bgp: one BGPPeer per node and leaf it is cabled to (the leaf's address in the rack subnet, the leaf's ASN). */
export function calicoBgpPeers(plan: FabricPlan): KubeObject[] {
    const peers: KubeObject[] = [];
    const names = new Set<string>();
    for (const node of kubeNodes(plan)) {
        for (const n of node.neighbors) {
            if (n.kind !== "server") continue;
            if (!n.address)
                throw new Error(
                    `node ${node.name}: the session with ${n.device} has no peer address (calico-bgp needs numbered rack subnets)`,
                );
            const name = `${node.name}-${n.device}`;
            if (names.has(name))
                throw new Error(
                    `node ${node.name} has two sessions with ${n.device}; Calico allows one per node and router`,
                );
            names.add(name);
            peers.push({
                apiVersion: "projectcalico.org/v3",
                kind: "BGPPeer",
                metadata: {
                    name,
                    labels: labels(plan, "calico", {
                        "bgp-fabric/node": node.name,
                        "bgp-fabric/peer": n.device,
                    }),
                },
                spec: {
                    nodeSelector: `kubernetes.io/hostname == '${node.name}'`,
                    peerIP: n.address,
                    asNumber: n.asn,
                },
            });
        }
    }
    return peers;
}

/** calico.yaml: Installation, BGPConfiguration (not in metallb-bgp: no Calico BGP), then (calico-bgp) Node ASN patches and BGPPeers. */
export function renderCalico(plan: FabricPlan): KubeObject[] {
    if (plan.kubernetes.routing === "metallb-bgp") return [installation(plan)];
    const objects = [installation(plan), bgpConfiguration(plan)];
    if (plan.kubernetes.routing === "calico-bgp")
        objects.push(...nodeAsnPatches(plan), ...calicoBgpPeers(plan));
    return objects;
}
