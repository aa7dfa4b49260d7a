// metallb-bgp mode in the lab (design 5).
// - A stand-in for MetalLB's speaker on every node: a small FRR configured
//   from the rendered MetalLB objects (render/kubernetes), never from the
//   plan: every metallb.io/v1beta2 BGPPeer whose nodeSelectors select the
//   node (myASN, peerASN, peerAddress, holdTime, keepaliveTime), and the
//   service addresses the lab plays (lab/nodes.ts labServiceVips) that lie in
//   an IPAddressPool a BGPAdvertisement names, announced at its
//   aggregationLength (/32); it imports nothing, as MetalLB does not.
// - The router of the rack that is not ours (a `managed: false` leaf, e.g.
//   design 5's 10.192.0.7) is played by BIRD, like an external router: its
//   rack address on the rack bridge, one BGP protocol per node (iBGP when the
//   ASNs match), import all, export none, ECMP into its kernel table.

import { FabricPlan, PlannedDevice } from "../plan";
import { contains, parseAddress, parseCidr } from "../plan/ipv4";
import { KubeObject } from "../render/kubernetes";
import { BirdInstance, birdProtocolName, routerPreamble } from "./bird";
import { frrHead, of } from "./calico-speaker";

const spec = (o: KubeObject) => (o.spec ?? {}) as any;
const HOSTNAME = "kubernetes.io/hostname";

/** MetalLB's nodeSelectors (matchLabels, matchExpressions In/NotIn on the hostname); none: every node. */
export function metallbSelects(selectors: unknown, node: string): boolean {
    if (!Array.isArray(selectors) || selectors.length === 0) return true;
    return selectors.some((s: any) => {
        for (const [k, v] of Object.entries(s?.matchLabels ?? {})) {
            if (k !== HOSTNAME)
                throw new Error(
                    `the lab's MetalLB stand-in only reads ${HOSTNAME} selectors, not ${k}`,
                );
            if (v !== node) return false;
        }
        for (const e of s?.matchExpressions ?? []) {
            if (e.key !== HOSTNAME)
                throw new Error(
                    `the lab's MetalLB stand-in only reads ${HOSTNAME} selectors, not ${e.key}`,
                );
            if (e.operator === "In" && !(e.values ?? []).includes(node)) return false;
            if (e.operator === "NotIn" && (e.values ?? []).includes(node)) return false;
        }
        return true;
    });
}

/** `3s`, `1m30s` → seconds. */
function seconds(d: string | undefined, fallback: number): number {
    if (!d) return fallback;
    let total = 0;
    for (const m of d.matchAll(/(\d+)(h|m|s)/g))
        total += Number(m[1]) * { h: 3600, m: 60, s: 1 }[m[2] as "h" | "m" | "s"];
    return total || fallback;
}

/** Does an IPAddressPool address (`a.b.c.d/len` or `first-last`) hold this address? */
function poolHolds(text: string, a: number): boolean {
    const dash = /^(\S+?)\s*-\s*(\S+)$/.exec(text);
    if (dash) return a >= parseAddress(dash[1])! && a <= parseAddress(dash[2])!;
    return contains(parseCidr(text), a);
}

/** The service addresses MetalLB announces from this node: those in a pool some BGPAdvertisement names, as /aggregationLength. */
export function advertisedVips(objects: KubeObject[], services: string[]): string[] {
    const pools = new Map(
        of(objects, "metallb.io/v1beta1", "IPAddressPool").map((p) => [
            p.metadata.name,
            spec(p).addresses as string[],
        ]),
    );
    const out = new Set<string>();
    for (const ad of of(objects, "metallb.io/v1beta1", "BGPAdvertisement")) {
        const names: string[] = spec(ad).ipAddressPools ?? [...pools.keys()];
        const len = spec(ad).aggregationLength ?? 32;
        if (len !== 32)
            throw new Error(
                `the lab's MetalLB stand-in announces /32s; the BGPAdvertisement ${ad.metadata.name} aggregates to /${len}`,
            );
        for (const vip of services) {
            if (
                names.some((n) =>
                    (pools.get(n) ?? []).some((t) => poolHolds(t, parseAddress(vip)!)),
                )
            )
                out.add(`${vip}/32`);
        }
    }
    return [...out];
}

/** The MetalLB speaker stand-in's frr.conf for one node, from the rendered MetalLB objects. */
export function metallbSpeakerFrr(
    objects: KubeObject[],
    node: string,
    nodeIp: string,
    services: string[],
): string {
    const peers = of(objects, "metallb.io/v1beta2", "BGPPeer").filter((p) =>
        metallbSelects(spec(p).nodeSelectors, node),
    );
    if (!peers.length) throw new Error(`${node}: no MetalLB BGPPeer selects it`);
    const asns = [...new Set(peers.map((p) => spec(p).myASN as number))];
    if (asns.length > 1)
        throw new Error(
            `${node}: MetalLB BGPPeers with different myASN (${asns.join(", ")}): one FRR per node has one ASN`,
        );
    const vips = advertisedVips(objects, services);
    const out = frrHead(
        node,
        `MetalLB speaker stand-in (AS ${asns[0]}), from ${peers.length} BGPPeer(s), the IPAddressPools and BGPAdvertisements`,
    );
    vips.forEach((v, i) => out.push(`ip prefix-list METALLB-EXPORT seq ${10 + i} permit ${v}`));
    out.push(
        "!",
        "route-map METALLB-EXPORT permit 10",
        " match ip address prefix-list METALLB-EXPORT",
        "exit",
        "route-map METALLB-IMPORT deny 10",
        "exit",
        "!",
        `router bgp ${asns[0]}`,
        ` bgp router-id ${nodeIp}`,
        " no bgp network import-check",
        " no bgp default ipv4-unicast",
    );
    for (const p of peers) {
        const s = spec(p);
        out.push(
            ` neighbor ${s.peerAddress} remote-as ${s.peerASN}`,
            ` neighbor ${s.peerAddress} update-source ${nodeIp}`,
            ` neighbor ${s.peerAddress} timers ${seconds(s.keepaliveTime, 30)} ${seconds(s.holdTime, 90)}`,
            ` neighbor ${s.peerAddress} description BGPPeer ${p.metadata.name}`,
        );
    }
    out.push(" !", " address-family ipv4 unicast");
    for (const v of vips) out.push(`  network ${v}`);
    for (const p of peers) {
        const a = spec(p).peerAddress;
        out.push(
            `  neighbor ${a} activate`,
            `  neighbor ${a} next-hop-self`,
            `  neighbor ${a} route-map METALLB-IMPORT in`,
            `  neighbor ${a} route-map METALLB-EXPORT out`,
        );
    }
    out.push(" exit-address-family", "exit", "!", "");
    return out.join("\n");
}

/** BIRD playing a rack router that is not ours (metallb-bgp): one BGP protocol per node it peers with. */
export function rackRouterConfig(plan: FabricPlan, d: PlannedDevice, inst: BirdInstance): string {
    if (!d.address) throw new Error(`${d.name}: no address in its rack subnet`);
    const out = routerPreamble(
        d,
        inst,
        `${d.name} (AS ${d.asn}), a router of the rack that is not ours -- import all, export none`,
    );
    for (const n of d.neighbors) {
        if (!n.address) throw new Error(`${d.name}: neighbor ${n.device} has no address`);
        out.push(
            `protocol bgp ${birdProtocolName(n.device)} {`,
            `  description "${n.sessionId}";`,
            `  local ${d.address} as ${d.asn};`,
            `  neighbor ${n.address} as ${n.asn};`,
            "  direct;",
            `  hold time ${Math.max(3, plan.bgp.holdtime)}; keepalive time ${Math.max(1, plan.bgp.keepalive)}; connect delay time 1; connect retry time 2; error wait time 1, 5; error forget time 10;`,
            // iBGP next hops are the nodes' own addresses on the rack subnet: resolve them directly.
            "  ipv4 { import all; export none; gateway direct; };",
            "}",
        );
    }
    return out.join("\n") + "\n";
}
