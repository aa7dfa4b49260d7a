// BGP as deployed: both ends of every planned session agree with each other
// and with the FRR text the stack pushes (and, in calico-bgp mode, with the
// Calico objects); and every BGP speaker relaxes the AS-path multipath rule
// wherever the leafs do not all share one ASN (RFC 7938: ECMP across paths
// through different leafs needs `bgp bestpath as-path multipath-relax`).

import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { PlannedSession, SessionEnd } from "../../plan";
import { contains, parseAddress, parseCidr } from "../../plan/ipv4";
import { CALICO_ASN_ANNOTATION } from "../../render/kubernetes";
import { deviceUrn, fabricStackPolicy, list } from "../common";
import { effectiveRemoteAs } from "../frr-text";
import { FabricView, TYPES, plain } from "../stack-view";

/** How FRR names the far end on this end: the local interface (unnumbered) or the peer's address (numbered). */
function neighborKey(self: SessionEnd, peer: SessionEnd): string | undefined {
    return self.interface && !self.address ? self.interface : peer.address;
}

function unnumbered(s: PlannedSession): boolean {
    return !s.a.address && !s.b.address;
}

export const bgpSessionsAgree: StackValidationPolicy = {
    name: "fabric-bgp-sessions-agree",
    description:
        "Both ends of every BGP session agree (ASNs, remote-as, interface or address) in the configuration the stack deploys.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: fabricStackPolicy((view, _args, reportViolation) => {
        // Several sessions can show one problem (a node's ASN annotation): say it once.
        const said = new Set<string>();
        const report = (message: string, urn?: string) => {
            if (!said.has(message)) reportViolation(message, urn);
            said.add(message);
        };
        const asnOf = (device: string, fallback: number) => view.asns[device] ?? fallback;
        // Each deployed config: its own ASN first (once per device).
        for (const f of view.frr.values()) {
            const asn = view.asns[f.device];
            if (!f.bgp)
                report(`${f.device}: its frr.conf (${f.where}) has no 'router bgp' block`, f.urn);
            else if (asn !== undefined && f.bgp.asn !== asn)
                report(
                    `${f.device}: its frr.conf (${f.where}) says 'router bgp ${f.bgp.asn}', but ${f.device} is AS ${asn}`,
                    f.urn,
                );
        }
        const calico = calicoObjects(view.resources);
        for (const s of view.sessions) {
            for (const e of [s.a, s.b]) {
                const asn = view.asns[e.device];
                if (asn !== undefined && e.asn !== asn)
                    report(
                        `session ${s.id}: the end on ${e.device} says AS ${e.asn}, but ${e.device} is AS ${asn}`,
                        deviceUrn(view, e.device),
                    );
            }
            const [aAsn, bAsn] = [asnOf(s.a.device, s.a.asn), asnOf(s.b.device, s.b.asn)];
            // metallb-bgp: MetalLB's speaker may be iBGP with its router (design 5: AS 64512 on both sides).
            if (
                aAsn === bAsn &&
                !(view.plan.kubernetes.routing === "metallb-bgp" && s.kind === "server")
            ) {
                report(
                    `session ${s.id}: both ends are AS ${aAsn}; every session of the fabric is eBGP (a peer with its own ASN is refused by 'remote-as external')`,
                    deviceUrn(view, s.a.device),
                );
            }
            for (const [self, peer] of [
                [s.a, s.b],
                [s.b, s.a],
            ] as [SessionEnd, SessionEnd][]) {
                const peerAsn = asnOf(peer.device, peer.asn);
                const f = view.frr.get(self.device);
                if (f?.bgp) {
                    const key = neighborKey(self, peer);
                    const n = key === undefined ? undefined : f.bgp.neighbors.get(key);
                    const where = `${self.device}'s frr.conf (${f.where})`;
                    if (key === undefined || !n) {
                        const range =
                            peer.address &&
                            f.bgp.listenRanges.find((r) =>
                                contains(parseCidr(r.prefix), parseAddress(peer.address!)!),
                            );
                        if (!range)
                            report(
                                `session ${s.id}: ${where} has no neighbor ${key ?? "(no interface or address)"} for ${peer.device}`,
                                f.urn,
                            );
                        else
                            checkRemoteAs(
                                report,
                                s,
                                where,
                                `listen range ${range.prefix}`,
                                f.bgp.groups.get(range.group)?.remoteAs,
                                aAsn === bAsn,
                                peer.device,
                                peerAsn,
                                f.urn,
                            );
                        continue;
                    }
                    if (unnumbered(s) && !n.unnumbered)
                        report(
                            `session ${s.id}: ${where} has neighbor ${key} as an address, but the session is unnumbered on interface ${key}`,
                            f.urn,
                        );
                    if (!unnumbered(s) && n.unnumbered)
                        report(
                            `session ${s.id}: ${where} has neighbor ${key} as an interface (unnumbered), but the session is numbered (${peer.device} at ${peer.address})`,
                            f.urn,
                        );
                    checkRemoteAs(
                        report,
                        s,
                        where,
                        `neighbor ${key}`,
                        effectiveRemoteAs(f.bgp, n),
                        aAsn === bAsn,
                        peer.device,
                        peerAsn,
                        f.urn,
                    );
                } else if (
                    s.kind === "server" &&
                    view.plan.kubernetes.routing === "calico-bgp" &&
                    view.plan.devices.find((d) => d.name === self.device)?.role === "node"
                ) {
                    checkCalicoEnd(report, view, s, self, peer, peerAsn, calico);
                }
            }
        }
    }),
};

function checkRemoteAs(
    report: (m: string, urn?: string) => void,
    s: PlannedSession,
    where: string,
    what: string,
    remoteAs: string | undefined,
    sameAsn: boolean,
    peer: string,
    peerAsn: number,
    urn: string,
): void {
    if (remoteAs === undefined)
        report(`session ${s.id}: ${where} has no remote-as for ${what} (${peer})`, urn);
    else if (remoteAs === "internal")
        report(
            `session ${s.id}: ${where} has 'remote-as internal' for ${what}, but ${peer} is AS ${peerAsn} (eBGP)`,
            urn,
        );
    else if (remoteAs === "external") {
        if (sameAsn) return; // reported once for the session above
    } else if (Number(remoteAs) !== peerAsn)
        report(
            `session ${s.id}: ${where} has 'remote-as ${remoteAs}' for ${what}, but ${peer} is AS ${peerAsn}`,
            urn,
        );
}

interface CalicoObjects {
    /** node → BGPPeers selecting it. */
    peers: Map<string, { urn: string; peerIP?: string; asNumber?: number }[]>;
    /** node → the ASN its Node patch annotates, and where. */
    nodeAsns: Map<string, { urn: string; asn?: string }>;
}

function calicoObjects(resources: PolicyResource[]): CalicoObjects {
    const out: CalicoObjects = { peers: new Map(), nodeAsns: new Map() };
    for (const r of resources) {
        if (r.type === TYPES.calicoPeer) {
            const spec = plain(r.props.spec ?? {}) as {
                nodeSelector?: string;
                peerIP?: string;
                asNumber?: number;
            };
            const m = /^kubernetes\.io\/hostname == '([^']+)'$/.exec(spec.nodeSelector ?? "");
            if (!m) continue;
            out.peers.set(m[1], [
                ...(out.peers.get(m[1]) ?? []),
                { urn: r.urn, peerIP: spec.peerIP, asNumber: spec.asNumber },
            ]);
        } else if (r.type === TYPES.nodePatch) {
            const md = plain(r.props.metadata ?? {}) as {
                name?: string;
                annotations?: Record<string, string>;
            };
            if (md.name && md.annotations?.[CALICO_ASN_ANNOTATION] !== undefined)
                out.nodeAsns.set(md.name, {
                    urn: r.urn,
                    asn: md.annotations[CALICO_ASN_ANNOTATION],
                });
        }
    }
    return out;
}

/** calico-bgp: the node's end is Calico's BIRD: a BGPPeer to the leaf's address with the leaf's ASN, and the node's own ASN annotated. */
function checkCalicoEnd(
    report: (m: string, urn?: string) => void,
    view: FabricView,
    s: PlannedSession,
    node: SessionEnd,
    leaf: SessionEnd,
    leafAsn: number,
    calico: CalicoObjects,
): void {
    const nodeAsn = view.asns[node.device] ?? node.asn;
    const annotated = calico.nodeAsns.get(node.device);
    if (!annotated)
        report(
            `${node.device}: no Node patch gives it its ASN ${nodeAsn} (annotation ${CALICO_ASN_ANNOTATION}), so Calico peers with the cluster default ASN`,
            view.fabric.urn,
        );
    else if (annotated.asn !== String(nodeAsn))
        report(
            `${node.device}: its Node patch says ${CALICO_ASN_ANNOTATION} ${annotated.asn}, but ${node.device} is AS ${nodeAsn}`,
            annotated.urn,
        );
    const peers = calico.peers.get(node.device) ?? [];
    const peer = peers.find((p) => p.peerIP === leaf.address);
    if (!peer) {
        const have = [...new Set(peers.map((p) => p.peerIP).filter((x): x is string => !!x))];
        report(
            `session ${s.id}: no Calico BGPPeer from ${node.device} to ${leaf.device} at ${leaf.address}${have.length ? ` (it has peers at ${list(have)})` : ""}`,
            view.fabric.urn,
        );
    } else if (peer.asNumber !== leafAsn) {
        report(
            `session ${s.id}: the Calico BGPPeer from ${node.device} to ${leaf.address} has asNumber ${peer.asNumber}, but ${leaf.device} is AS ${leafAsn}`,
            peer.urn,
        );
    }
}

export const bgpMultipathRelax: StackValidationPolicy = {
    name: "fabric-bgp-multipath-relax",
    description:
        "Every BGP speaker the stack configures relaxes AS-path multipath where the leafs' ASNs differ (RFC 7938 ECMP).",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: fabricStackPolicy((view, args, report) => {
        const leafAsns = [
            ...new Set(
                view.plan.devices
                    .filter((d) => d.role === "leaf")
                    .map((d) => view.asns[d.name] ?? d.asn),
            ),
        ].sort((x, y) => x - y);
        if (leafAsns.length < 2)
            args.notApplicable(`every leaf has the same ASN (${leafAsns.join("") || "no leafs"})`);
        for (const f of view.frr.values()) {
            if (!f.bgp || f.bgp.multipathRelax) continue;
            report(
                `${f.device}: 'bgp bestpath as-path multipath-relax' is missing from 'router bgp ${f.bgp.asn}' in its frr.conf (${f.where}); the leafs have different ASNs (${list(leafAsns.map(String))}), so without it traffic is not spread over equal-cost paths through different leafs`,
                f.urn,
            );
        }
    }),
};
