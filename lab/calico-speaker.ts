// Stand-in for calico-node's BGP (calico-bgp mode): a small FRR on each node,
// configured from the Kubernetes objects bgp-fabric renders for Calico
// (render/kubernetes: renderKubernetes), never from the plan, so the lab
// proves that the objects we emit bring the sessions up and carry the routes:
// - the node's ASN: its Node patch's `projectcalico.org/ASNumber`;
// - its peers: every projectcalico.org/v3 BGPPeer whose nodeSelector selects
//   it (`kubernetes.io/hostname == '<node>'`, `all()`), peerIP + asNumber;
// - its router-id and session source: the node IP Calico autodetects
//   (Installation `nodeAddressAutodetectionV4.cidrs`: the node's first
//   address inside them, read from the running node);
// - what it announces: the IPAM blocks of the Installation's pools
//   (`<cidr> ge <blockSize> le <blockSize>`: the blackhole route per block
//   Calico programs, which the lab plays, lab/nodes.ts) and every
//   BGPConfiguration `serviceLoadBalancerIPs` CIDR; it imports nothing.
// BGPConfiguration `listenPort` must be 179 (FRR's port in the lab);
// `nodeToNodeMeshEnabled` must be false (the lab has no mesh).

import { FabricPlan, PlannedDevice } from "../plan";
import { contains, parseAddress, parseCidr } from "../plan/ipv4";
import { FRR_VERSION } from "../render/frr-common";
import {
    CALICO_ASN_ANNOTATION,
    KubeObject,
    placeholderNodeFrr,
    renderKubernetes,
} from "../render/kubernetes";
import { bashInDevice } from "./exec";

/** The cluster-networking objects as bgp-fabric renders them for this plan (what `pulumi up` applies). */
export function renderedObjects(plan: FabricPlan): KubeObject[] {
    return Object.values(
        renderKubernetes(
            plan,
            plan.kubernetes.routing === "router-on-host"
                ? { nodeFrr: placeholderNodeFrr(plan) }
                : {},
        ),
    ).flat();
}

export const of = (objs: KubeObject[], apiVersion: string, kind: string) =>
    objs.filter((o) => o.apiVersion === apiVersion && o.kind === kind);
const spec = (o: KubeObject) => (o.spec ?? {}) as any;

/** Calico's nodeSelector: `kubernetes.io/hostname == 'x'`, `all()` or none. */
function calicoSelects(selector: unknown, node: string): boolean {
    if (selector === undefined || /^\s*all\(\)\s*$/.test(String(selector))) return true;
    const m = /^\s*kubernetes\.io\/hostname\s*==\s*['"]([^'"]+)['"]\s*$/.exec(String(selector));
    if (!m)
        throw new Error(
            `the lab's Calico stand-in cannot read the nodeSelector ${JSON.stringify(selector)}`,
        );
    return m[1] === node;
}

/** The node's IPv4 addresses as the node has them now (what Calico's autodetection scans). */
export async function nodeAddresses(holderPid: number): Promise<string[]> {
    const r = await bashInDevice(holderPid, "ip -4 -o addr show | awk '{print $4}'");
    return r.stdout
        .split("\n")
        .map((l) => l.trim().split("/")[0])
        .filter(Boolean);
}

/** The node IP Calico would pick: the first address inside the Installation's autodetection CIDRs. */
export function autodetectedAddress(
    objects: KubeObject[],
    node: string,
    addresses: string[],
): string {
    const [inst] = of(objects, "operator.tigera.io/v1", "Installation");
    const cidrs: string[] = spec(inst).calicoNetwork?.nodeAddressAutodetectionV4?.cidrs ?? [];
    if (!cidrs.length)
        throw new Error(
            `${node}: the Installation has no nodeAddressAutodetectionV4.cidrs for the lab to pick the node IP by`,
        );
    const found = addresses.find((a) =>
        cidrs.some((c) => contains(parseCidr(c), parseAddress(a)!)),
    );
    if (!found)
        throw new Error(
            `${node}: none of its addresses (${addresses.join(", ")}) is in the autodetection CIDRs ${cidrs.join(", ")}`,
        );
    return found;
}

export function frrHead(node: string, what: string): string[] {
    return [
        `frr version ${FRR_VERSION}`,
        "frr defaults datacenter",
        `hostname ${node}`,
        "log file /var/log/frr/frr.log informational",
        "service integrated-vtysh-config",
        `! bgp-fabric lab: ${what}`,
        "!",
    ];
}

/** The calico-node stand-in's frr.conf for one node, from the rendered Calico objects and the node's autodetected IP. */
export function calicoSpeakerFrr(objects: KubeObject[], node: string, nodeIp: string): string {
    const patch = of(objects, "v1", "Node").find((o) => o.metadata.name === node);
    const asn = Number(patch?.metadata.annotations?.[CALICO_ASN_ANNOTATION]);
    if (!Number.isInteger(asn) || asn <= 0)
        throw new Error(
            `${node}: no Node patch with ${CALICO_ASN_ANNOTATION} among the rendered objects`,
        );
    const [config] = of(objects, "projectcalico.org/v3", "BGPConfiguration");
    const c = config ? spec(config) : {};
    if (c.nodeToNodeMeshEnabled !== false)
        throw new Error(
            "the lab's Calico stand-in expects BGPConfiguration nodeToNodeMeshEnabled: false",
        );
    if ((c.listenPort ?? 179) !== 179)
        throw new Error(
            `the lab's Calico stand-in peers on port 179, BGPConfiguration says listenPort ${c.listenPort}`,
        );
    const [inst] = of(objects, "operator.tigera.io/v1", "Installation");
    if (spec(inst).calicoNetwork?.bgp !== "Enabled")
        throw new Error(
            `${node}: the Installation turns Calico's BGP off: nothing to stand in for`,
        );
    const pools: { cidr: string; blockSize: number }[] = spec(inst).calicoNetwork.ipPools ?? [];
    const lbs: string[] = (c.serviceLoadBalancerIPs ?? []).map((x: { cidr: string }) => x.cidr);
    const peers = of(objects, "projectcalico.org/v3", "BGPPeer").filter((p) =>
        calicoSelects(spec(p).nodeSelector, node),
    );
    const out = frrHead(
        node,
        `calico-node BGP stand-in (AS ${asn}), from ${peers.length} BGPPeer(s), the BGPConfiguration and the Installation`,
    );
    pools.forEach((p, i) =>
        out.push(
            `ip prefix-list CALICO-EXPORT seq ${10 + i} permit ${p.cidr} ge ${p.blockSize} le ${p.blockSize}`,
        ),
    );
    lbs.forEach((cidr, i) =>
        out.push(`ip prefix-list CALICO-EXPORT seq ${100 + i} permit ${cidr}`),
    );
    pools.forEach((p, i) =>
        out.push(
            `ip prefix-list CALICO-BLOCKS seq ${10 + i} permit ${p.cidr} ge ${p.blockSize} le ${p.blockSize}`,
        ),
    );
    out.push(
        "!",
        "route-map CALICO-BLOCKS permit 10",
        " match ip address prefix-list CALICO-BLOCKS",
        "exit",
        "route-map CALICO-EXPORT permit 10",
        " match ip address prefix-list CALICO-EXPORT",
        "exit",
        "route-map CALICO-IMPORT deny 10",
        "exit",
        "!",
        `router bgp ${asn}`,
        ` bgp router-id ${nodeIp}`,
        " no bgp network import-check",
        " no bgp default ipv4-unicast",
    );
    for (const p of peers) {
        const s = spec(p);
        out.push(
            ` neighbor ${s.peerIP} remote-as ${s.asNumber}`,
            ` neighbor ${s.peerIP} update-source ${nodeIp}`,
            ` neighbor ${s.peerIP} description BGPPeer ${p.metadata.name}`,
        );
    }
    out.push(" !", " address-family ipv4 unicast", "  redistribute kernel route-map CALICO-BLOCKS");
    for (const cidr of lbs) out.push(`  network ${cidr}`);
    for (const p of peers) {
        const ip = spec(p).peerIP;
        out.push(
            `  neighbor ${ip} activate`,
            `  neighbor ${ip} route-map CALICO-IMPORT in`,
            `  neighbor ${ip} route-map CALICO-EXPORT out`,
        );
    }
    out.push(" exit-address-family", "exit", "!", "");
    return out.join("\n");
}

/** Nodes that get a BGP stand-in generated from the rendered objects: calico-bgp (Calico) and metallb-bgp (MetalLB). */
export function standInNodes(plan: FabricPlan): PlannedDevice[] {
    return plan.kubernetes.routing === "router-on-host"
        ? []
        : plan.devices.filter((d) => d.role === "node");
}
