// Maintenance / drain (`maintenance: true` on a spine, leaf or node): the
// device keeps every session up and makes its paths unattractive, so traffic
// moves around it before anyone touches it.
//
// - The drained device's FRR runs `bgp graceful-shutdown` (FRR 8.4, bgpd
//   bgp_route.c / bgp_updgrp_adv.c): every route it announces to an eBGP peer
//   carries GRACEFUL_SHUTDOWN (65535:0, RFC 8326 §3), and every route it
//   receives from one gets LOCAL_PREF 0 and the community (§4, the
//   initiator's side).
// - Every FRR of ours honours the community with no configuration at all:
//   bgpd sets LOCAL_PREF 0 on any route received over eBGP that carries
//   65535:0, after the inbound route-map (so no route-map can undo it). Every
//   session of the fabric is eBGP, so spines, leafs and node routers all
//   prefer another path where one exists; a path with LOCAL_PREF 0 is never
//   in an ECMP set with LOCAL_PREF 100 ones. Seen on the lab (FRR 8.4.4): a
//   spine with no graceful-shutdown line shows the drained leaf's path as
//   "localpref 0 … Community: graceful-shutdown" and takes the other leafs.
// - Peers that are not ours may ignore the community: external routers, and
//   the speakers of calico-bgp / metallb-bgp racks (Calico's BIRD, MetalLB).
//   Towards those the drained switch also prepends its ASN DRAIN_PREPEND
//   times (their best-path picks the shorter AS path of another switch).
// - A drained node gets the Node label EXCLUDE_LB_LABEL where MetalLB speaks
//   (router-on-host, metallb-bgp): MetalLB's speaker on it stops announcing.
//
// drainWait is the body of the apply script's `after_converge` (render/
// apply-script.ts): `pulumi up` of a drained device returns only once the
// neighbours that honour the community route around it.

import { FabricPlan, PlannedDevice, rackRouting } from "../plan";
import { RouteMapEntry, findDevice, neighborKey } from "./frr-common";
import { KubeObject } from "./kubernetes/common";

/** RFC 8326 GRACEFUL_SHUTDOWN; FRR names it `graceful-shutdown`. */
export const GSHUT_COMMUNITY = "65535:0";
/** How many times a drained switch prepends its ASN towards peers that may ignore GSHUT. */
export const DRAIN_PREPEND = 3;
/** Seconds the drain condition must hold before the wait succeeds. */
export const DRAIN_SETTLE = 2;
/** The well-known label MetalLB's speaker honours: no announcement from this node. */
export const EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

export function isDrained(d: PlannedDevice): boolean {
    return d.maintenance === true;
}

/** The `router bgp` line of a drained device (after `bgp router-id`, where FRR shows it). */
export function gracefulShutdownLines(d: PlannedDevice): string[] {
    return isDrained(d) ? [" bgp graceful-shutdown"] : [];
}

/** `as-path prepend ASN ASN ASN` on every permit entry of an outbound route-map of a drained device. */
export function withDrainPrepend(d: PlannedDevice, entries: RouteMapEntry[]): RouteMapEntry[] {
    if (!isDrained(d)) return entries;
    const prepend = `as-path prepend ${Array<number>(DRAIN_PREPEND).fill(d.asn).join(" ")}`;
    return entries.map((e) =>
        e.action === "permit" ? { ...e, set: [...(e.set ?? []), prepend] } : e,
    );
}

/** Whether a drained switch's server sessions go to speakers that are not ours (Calico, MetalLB). */
export function serversIgnoreGshut(plan: FabricPlan): boolean {
    return rackRouting(plan.kubernetes.routing);
}

/** Our FRR on the far end: it honours GRACEFUL_SHUTDOWN (see the header). */
export function honoursGshut(plan: FabricPlan, d: PlannedDevice): boolean {
    if (d.role === "spine" || d.role === "leaf") return d.managed;
    if (d.role === "node") return plan.kubernetes.routing === "router-on-host";
    return false;
}

/**
 * Node patches (labels only) of the drained nodes where MetalLB speaks:
 * components/kube-object.ts makes each a NodePatch, which never creates or
 * deletes a Node; undrained, the patch is gone and with it the label.
 */
export function drainedNodeLabels(plan: FabricPlan): KubeObject[] {
    if (plan.kubernetes.routing === "calico-bgp") return [];
    return plan.devices
        .filter((d) => d.role === "node" && isDrained(d))
        .map((d) => ({
            apiVersion: "v1",
            kind: "Node",
            metadata: { name: d.name, labels: { [EXCLUDE_LB_LABEL]: "true" } },
        }));
}

/**
 * ASNs whose routes `from` can learn without the drained device: a walk of
 * the sessions that never passes the drained device or its ASN, never passes
 * another device of `from`'s ASN (bgpd would refuse the loop), and never
 * goes through a node or an external router (they are not transit: a node
 * neighbour re-advertises only its own routes, so it reaches only its ASN).
 */
export function reachableAsns(plan: FabricPlan, from: string, drained: string): number[] {
    const d = findDevice(plan, drained);
    const f = findDevice(plan, from);
    const adj = new Map<string, string[]>();
    for (const s of plan.sessions) {
        adj.set(s.a.device, [...(adj.get(s.a.device) ?? []), s.b.device]);
        adj.set(s.b.device, [...(adj.get(s.b.device) ?? []), s.a.device]);
    }
    const seen = new Set([f.name]);
    const queue = [f];
    const asns = new Set<number>();
    while (queue.length) {
        const u = queue.shift()!;
        asns.add(u.asn);
        if (u.role === "node" || u.role === "external") continue;
        for (const name of adj.get(u.name) ?? []) {
            if (seen.has(name)) continue;
            const v = findDevice(plan, name);
            if (v.name === d.name || v.asn === d.asn || v.asn === f.asn) continue;
            seen.add(name);
            queue.push(v);
        }
    }
    // An ASN `from` shares (spines of one ASN): a route from another of them never reaches
    // `from` (loop), and one from `from` itself cannot be told apart: neither is checked.
    if (plan.devices.some((x) => x !== f && x.asn === f.asn)) asns.delete(f.asn);
    return [...asns].sort((a, b) => a - b);
}

// Reads `show bgp neighbors json` then `show bgp ipv4 unicast json` on stdin. Nothing may
// still be queued to a neighbour that honours GSHUT (bgpd's depthOutq). A prefix
// "needs" neighbour N when one of its origin ASNs (the last in a path; a VIP's speaker
// ASN dropped) is one N reaches without the drained device: N then has a path around it,
// and once N prefers that path it re-advertises it here (a path through us would carry
// our ASN, which bgpd refuses), so the prefix has a path learned from N. Exit 0 when every
// needed prefix has one. Double quotes only: the script passes it in single quotes.
const DRAIN_PY = `
import json, sys
exp = json.loads(sys.argv[1])
text = sys.stdin.read()
dec = json.JSONDecoder()
nbrs, i = dec.raw_decode(text)
routes, _ = dec.raw_decode(text[i:].lstrip())
key_of = {}
up = set()
for key, v in nbrs.items():
    key_of[key] = key
    if v.get("bgpNeighborAddr"):
        key_of[v["bgpNeighborAddr"]] = key
    if v.get("bgpState") == "Established":
        up.add(key)
want = {k: (n["device"], set(n["asns"])) for k, n in exp["neighbors"].items() if k in up}
queued = [n for k, (n, _) in want.items() if nbrs[k].get("messageStats", {}).get("depthOutq", 0)]
if queued:
    print("updates still queued to " + ", ".join(sorted(queued)))
    sys.exit(1)
missing = []
checked = {n: 0 for n, _ in want.values()}
for prefix, paths in sorted(routes.get("routes", {}).items()):
    origins = set()
    came = set()
    for p in paths:
        asns = [int(a) for a in str(p.get("path", "")).split() if a.isdigit()]
        if len(asns) > 1 and asns[-1] == exp["speaker"]:
            asns = asns[:-1]
        origins.add(asns[-1] if asns else exp["asn"])
        came.add(key_of.get(p.get("peerId"), p.get("peerId")))
    for key, (device, asns) in want.items():
        if not origins & asns:
            continue
        checked[device] += 1
        if key not in came:
            missing.append(prefix + " (" + device + ")")
if missing:
    more = " and %d more" % (len(missing) - 5) if len(missing) > 5 else ""
    print("still through this device: " + ", ".join(missing[:5]) + more)
    sys.exit(1)
print(", ".join("%s %d" % (n, c) for n, c in sorted(checked.items())) or "no neighbour to check")
`.trim();

/**
 * The body of `after_converge()` for a drained device (undefined when it is
 * in service): polls, at most $TIMEOUT seconds, until every neighbour that
 * honours GRACEFUL_SHUTDOWN prefers its own path around this device for each
 * prefix it has one for, and that holds DRAIN_SETTLE seconds.
 */
export function drainWait(plan: FabricPlan, deviceName: string): string | undefined {
    const d = findDevice(plan, deviceName);
    if (!isDrained(d)) return undefined;
    const neighbors: Record<string, { device: string; asns: number[] }> = {};
    for (const n of d.neighbors) {
        const peer = findDevice(plan, n.device);
        if (!honoursGshut(plan, peer)) continue;
        neighbors[neighborKey(n)] = {
            device: peer.name,
            asns: reachableAsns(plan, peer.name, d.name),
        };
    }
    const expect = JSON.stringify({ asn: d.asn, speaker: plan.kubernetes.speakerAsn, neighbors });
    if (expect.includes("'") || DRAIN_PY.includes("'"))
        throw new Error(`${d.name}: the drain wait cannot be quoted`);
    return [
        "local deadline=$((SECONDS + TIMEOUT)) since=-1 json state rc t0=$SECONDS",
        'say "maintenance: drained (graceful-shutdown); waiting until its neighbours route around it (at most ${TIMEOUT}s)"',
        "while :; do",
        "  if json=$(run_vtysh -c 'show bgp vrf default neighbors json' 2>/dev/null && run_vtysh -c 'show bgp vrf default ipv4 unicast json' 2>/dev/null); then",
        `    state=$(printf '%s' "$json" | $PYTHON -c '${DRAIN_PY}' '${expect}' 2>&1); rc=$?`,
        // What bgpd handed the kernel must have left too: every BGP socket's send queue empty.
        "    if [ $rc -eq 0 ] && [ \"$(ss -Htn state established '( sport = :179 or dport = :179 )' 2>/dev/null | awk '$2 != 0' | wc -l)\" -gt 0 ]; then state=\"BGP updates still in the kernel send queues\"; rc=1; fi",
        "    if [ $rc -eq 0 ]; then",
        "      [ $since -ge 0 ] || since=$SECONDS",
        `      if [ $((SECONDS - since)) -ge ${DRAIN_SETTLE} ]; then say "maintenance: its neighbours route around it after $((SECONDS - t0))s (prefixes checked per neighbour: $state)"; return 0; fi`,
        "    else since=-1; fi",
        '  else state="bgpd does not answer"; since=-1; fi',
        '  if [ $SECONDS -ge $deadline ]; then printf \'%s: %s\\n\' "$DEVICE" "maintenance: its neighbours still route through it after ${TIMEOUT}s: $state" >&2; return 1; fi',
        '  sleep "$POLL_INTERVAL"',
        "done",
    ].join("\n");
}
