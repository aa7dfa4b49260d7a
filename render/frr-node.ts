// frr.conf of one Kubernetes node's router (the router DaemonSet, DESIGN.md
// reference designs 1 and 2). Routing on the host: the node peers unnumbered
// with its leafs over every uplink and announces exactly
// - its own loopback /32 (`redistribute connected route-map LOOPBACK`),
// - Calico's IPAM blocks: the blackhole route Calico programs per block
//   (`redistribute kernel route-map K8SROUTES`, `podCidr ge/le blockSize`,
//   never single pod /32s),
// - the service VIP /32s MetalLB's native speaker announces to it over
//   127.0.0.1 (`bgp listen range 127.0.0.0/8 peer-group metallb`); the
//   speaker is sent nothing.
// Only routes that start on this node go up (their AS path is empty, or is
// the speaker's ASN alone), so a node is never transit between two leafs.
//
// The speaker session over loopback needs three things FRR 8.4 does not do
// by itself (each found by running it against a local speaker, see
// test/render/node-frr.test.ts): zebra hides 127/8, so bgpd needs
// `update-source lo` to accept the session and a static 127.0.0.0/8 route to
// resolve the speaker's next hop (its session address, 127.0.0.1); and that
// next hop is a martian, which bgpd answers with a NOTIFICATION unless
// `bgp allow-martian-nexthop`. The VIP routes are kept out of the kernel
// (`table-map FIB`): kube-proxy delivers VIP traffic, and the kernel refuses
// a gateway of 127.0.0.1 anyway.
//
// calico-bgp mode has no node router: Calico's BIRD peers with the leafs
// itself (render/kubernetes), so renderNodeFrr returns undefined there.

import { FabricPlan, PlannedNeighbor } from "../plan";
import {
    asPathList,
    block,
    findDevice,
    frrHeader,
    peerGroupLines,
    podBlocks,
    prefixList,
    routeMap,
    vipRanges,
} from "./frr-common";
import { gracefulShutdownLines } from "./drain";
import { serverTtlSecurity } from "../plan/protections";
import { gracefulRestartLines, ttlSecurityLine } from "./protections";

/** The node's frr.conf, or undefined in calico-bgp mode (no router on the node). */
export function renderNodeFrr(plan: FabricPlan, name: string): string | undefined {
    const d = findDevice(plan, name);
    if (d.role !== "node") throw new Error(`${name} is a ${d.role}, not a Kubernetes node`);
    if (plan.kubernetes.routing !== "router-on-host") return undefined;
    const speaker = plan.kubernetes.speakerAsn;
    const uplinks = d.neighbors.filter((n) => n.kind === "server");
    const fabric = peerGroupLines({
        name: "fabric",
        members: uplinks,
        routeMapIn: "FABRIC-IN",
        routeMapOut: "FABRIC-OUT",
        describe: (n: PlannedNeighbor) => {
            const i = d.interfaces.find((x) => x.name === n.interface);
            return i ? `${i.peer.device}:${i.peer.port}` : n.device;
        },
        timers: { keepalive: plan.bgp.keepalive, holdtime: plan.bgp.holdtime },
    });

    const interfaces = uplinks.flatMap((n) => {
        const i = d.interfaces.find((x) => x.name === n.interface);
        return block([
            `interface ${n.interface}`,
            ...(i ? [` description ${i.peer.device}:${i.peer.port}`] : []),
            " ipv6 nd ra-interval 3",
            " no ipv6 nd suppress-ra",
            "exit",
        ]);
    });

    const policy = [
        ...block([
            "! This node's loopback (the kubelet's address).",
            ...prefixList("LOOPBACK", [`${d.loopback}/32`]),
        ]),
        ...block([
            "! Calico's IPAM blocks: the blackhole route per block, never single pods.",
            ...prefixList("K8SROUTES", podBlocks(plan)),
        ]),
        ...(plan.pools.length
            ? block([
                  "! Service VIPs: /32s inside the LoadBalancer pools.",
                  ...prefixList("VIPS", vipRanges(plan)),
              ])
            : []),
        ...block([
            "! Routes that start here: redistributed (empty AS path) or from the local MetalLB speaker.",
            ...asPathList("LOCAL", ["^$"]),
            ...asPathList("METALLB", [`^${speaker}$`]),
        ]),
        ...block(
            routeMap("LOOPBACK", [
                { action: "permit", match: ["ip address prefix-list LOOPBACK"] },
            ]),
        ),
        ...block(
            routeMap("K8SROUTES", [
                { action: "permit", match: ["ip address prefix-list K8SROUTES"] },
            ]),
        ),
        ...block(
            routeMap("FABRIC-IN", [
                {
                    action: "permit",
                    why: "Everything the fabric sends: loopbacks, pod blocks, VIPs, external routes.",
                },
            ]),
        ),
        ...block(
            routeMap("FABRIC-OUT", [
                { action: "permit", match: ["ip address prefix-list LOOPBACK", "as-path LOCAL"] },
                { action: "permit", match: ["ip address prefix-list K8SROUTES", "as-path LOCAL"] },
                ...(plan.pools.length
                    ? [
                          {
                              action: "permit" as const,
                              match: ["ip address prefix-list VIPS", "as-path METALLB"],
                          },
                      ]
                    : []),
            ]),
        ),
        ...block(
            plan.pools.length
                ? routeMap("METALLB-IN", [
                      { action: "permit", match: ["ip address prefix-list VIPS"] },
                  ])
                : routeMap("METALLB-IN", [{ action: "deny" }]),
        ),
        ...block(
            routeMap("METALLB-OUT", [
                { action: "deny", why: "The speaker only announces; it learns nothing." },
            ]),
        ),
        ...block(
            routeMap("FIB", [
                {
                    action: "deny",
                    match: ["as-path METALLB"],
                    why: "The speaker's VIPs stay out of the kernel: kube-proxy delivers them.",
                },
                { action: "permit" },
            ]),
        ),
        ...block([
            "! The speaker's next hop (127.0.0.1) must resolve; zebra does not see 127/8 on lo.",
            "ip route 127.0.0.0/8 lo",
        ]),
    ];

    const bgp = block([
        `router bgp ${d.asn}`,
        ` bgp router-id ${d.loopback}`,
        ...gracefulShutdownLines(d),
        " bgp bestpath as-path multipath-relax",
        ...gracefulRestartLines(plan),
        // MetalLB announces its session address, 127.0.0.1, as the next hop.
        " bgp allow-martian-nexthop",
        ...fabric.bgp,
        // GTSM (RFC 5082) towards the leafs, as the leafs do towards us (plan/protections.ts).
        ...(serverTtlSecurity(plan) && uplinks.length ? [ttlSecurityLine("fabric")] : []),
        " neighbor metallb peer-group",
        ` neighbor metallb remote-as ${speaker}`,
        // The speaker connects from 127.0.0.1, which is not on a link shared with the peer.
        " neighbor metallb disable-connected-check",
        " neighbor metallb update-source lo",
        " bgp listen range 127.0.0.0/8 peer-group metallb",
        " !",
        " address-family ipv4 unicast",
        "  redistribute connected route-map LOOPBACK",
        "  redistribute kernel route-map K8SROUTES",
        ...fabric.af,
        "  neighbor metallb route-map METALLB-IN in",
        "  neighbor metallb route-map METALLB-OUT out",
        `  maximum-paths ${plan.bgp.maximumPaths}`,
        "  table-map FIB",
        " exit-address-family",
        "exit",
    ]);
    // stdout: the router runs in a container, whose log is its stdout.
    return (
        [...frrHeader(plan, d, "log stdout informational"), ...interfaces, ...policy, ...bgp].join(
            "\n",
        ) + "\n"
    );
}
