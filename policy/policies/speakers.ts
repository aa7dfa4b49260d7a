// One BGP speaker per node and router (DESIGN.md, upstream facts): a node may
// open only one BGP session to a given router. Calico and MetalLB must never
// both peer with the same leaf, and a node router (the router DaemonSet) that
// peers with a leaf leaves that leaf to it alone. The speakers of a node, as
// the stack deploys them:
// - Calico's BIRD: every projectcalico.org/v3 BGPPeer whose nodeSelector
//   matches the node (`kubernetes.io/hostname == 'x'`, `all()` or none),
//   unless the Installation turns Calico's BGP off (`bgp: Disabled`);
// - MetalLB's speaker: every metallb.io/v1beta2 BGPPeer whose nodeSelectors
//   match the node (matchLabels / matchExpressions `In` on
//   kubernetes.io/hostname, or none: every node);
// - the node router: every neighbor of its frr.conf in the router ConfigMap.
// A peer is known by its address, mapped to the plan's device where the plan
// has it (a leaf's rack address or loopback, an interface's far end); MetalLB's
// session to the node's own router (127.0.0.1) is a different router.

import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { FabricPlan, PlannedDevice } from "../../plan";
import { fabricStackPolicy } from "../common";
import { plain } from "../stack-view";

export const SPEAKER_TYPES = {
    calicoPeer: "kubernetes:projectcalico.org/v3:BGPPeer",
    metallbPeer: "kubernetes:metallb.io/v1beta2:BGPPeer",
    installation: "kubernetes:operator.tigera.io/v1:Installation",
} as const;

const HOSTNAME = "kubernetes.io/hostname";

interface Speaking {
    /** Which speaker: `Calico BGPPeer 'k8s1-leaf1'`, `MetalLB BGPPeer 'router1'`, `the node router (frr.conf)`. */
    speaker: string;
    urn: string;
}

/** The router a peer address or interface names: the plan's device where it knows one, else the address itself. */
function routerOf(plan: FabricPlan, node: PlannedDevice, peer: string): string {
    const byAddress = plan.devices.find(
        (d) =>
            d.name !== node.name &&
            (d.address === peer ||
                d.loopback === peer ||
                d.interfaces.some((i) => i.address?.split("/")[0] === peer)),
    );
    if (byAddress) return byAddress.name;
    const iface = node.interfaces.find((i) => i.name === peer);
    return iface ? iface.peer.device : peer;
}

/** Calico's `nodeSelector` for one node: `kubernetes.io/hostname == 'x'`, `all()`, or absent (every node). */
function calicoSelects(selector: unknown, node: string): boolean {
    if (
        selector === undefined ||
        selector === null ||
        selector === "" ||
        /^\s*all\(\)\s*$/.test(String(selector))
    )
        return true;
    const m = /^\s*kubernetes\.io\/hostname\s*==\s*['"]([^'"]+)['"]\s*$/.exec(String(selector));
    // A selector we cannot read may match any node: judge it as if it did.
    return m ? m[1] === node : true;
}

/** MetalLB's `nodeSelectors`: none selects every node; otherwise any one of them must match. */
function metallbSelects(selectors: unknown, node: string): boolean {
    if (!Array.isArray(selectors) || selectors.length === 0) return true;
    return selectors.some(
        (s: {
            matchLabels?: Record<string, string>;
            matchExpressions?: { key: string; operator: string; values?: string[] }[];
        }) => {
            const labels = s?.matchLabels ?? {};
            if (HOSTNAME in labels && labels[HOSTNAME] !== node) return false;
            for (const e of s?.matchExpressions ?? []) {
                if (e.key !== HOSTNAME) continue;
                if (e.operator === "In" && !(e.values ?? []).includes(node)) return false;
                if (e.operator === "NotIn" && (e.values ?? []).includes(node)) return false;
            }
            return true;
        },
    );
}

function calicoBgpDisabled(resources: PolicyResource[]): boolean {
    return resources.some(
        (r) =>
            r.type === SPEAKER_TYPES.installation &&
            (plain(r.props.spec) as { calicoNetwork?: { bgp?: string } })?.calicoNetwork?.bgp ===
                "Disabled",
    );
}

export const oneSpeakerPerRouter: StackValidationPolicy = {
    name: "fabric-one-speaker-per-router",
    description:
        "No node opens two BGP sessions to one router: Calico's BIRD, MetalLB's speaker and the node router never peer with the same router from one node.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: fabricStackPolicy((view, args, report) => {
        const plan = view.plan;
        const calicoOff = calicoBgpDisabled(view.resources);
        for (const node of plan.devices.filter((d) => d.role === "node")) {
            const towards = new Map<string, Speaking[]>();
            const add = (router: string, s: Speaking) =>
                towards.set(router, [...(towards.get(router) ?? []), s]);
            for (const r of view.resources) {
                if (r.type === SPEAKER_TYPES.calicoPeer && !calicoOff) {
                    const spec = plain(r.props.spec ?? {}) as {
                        nodeSelector?: string;
                        peerIP?: string;
                        node?: string;
                    };
                    if (!spec.peerIP) continue;
                    if (
                        spec.node !== undefined
                            ? spec.node !== node.name
                            : !calicoSelects(spec.nodeSelector, node.name)
                    )
                        continue;
                    add(routerOf(plan, node, spec.peerIP.split(":")[0]), {
                        speaker: `Calico BGPPeer '${(r.props.metadata as { name?: string })?.name ?? r.name}'`,
                        urn: r.urn,
                    });
                } else if (r.type === SPEAKER_TYPES.metallbPeer) {
                    const spec = plain(r.props.spec ?? {}) as {
                        nodeSelectors?: unknown;
                        peerAddress?: string;
                    };
                    if (!spec.peerAddress || !metallbSelects(spec.nodeSelectors, node.name))
                        continue;
                    // The native speaker's session to the node's own router is not a session to a fabric router.
                    if (/^127\./.test(spec.peerAddress) || spec.peerAddress === "::1") continue;
                    add(routerOf(plan, node, spec.peerAddress), {
                        speaker: `MetalLB BGPPeer '${(r.props.metadata as { name?: string })?.name ?? r.name}'`,
                        urn: r.urn,
                    });
                }
            }
            const frr = view.frr.get(node.name);
            for (const n of frr?.bgp?.neighbors.values() ?? []) {
                if (/^127\./.test(n.key)) continue;
                add(routerOf(plan, node, n.key), {
                    speaker: "the node router (frr.conf)",
                    urn: frr!.urn,
                });
            }
            for (const [router, found] of towards) {
                if (found.length < 2) continue;
                const list = [...found].sort((a, b) =>
                    a.speaker < b.speaker ? -1 : a.speaker > b.speaker ? 1 : 0,
                );
                report(
                    `${node.name} would open ${list.length} BGP sessions to ${router}: ${list.map((s) => s.speaker).join(" and ")}; a node has one session per router (calico-bgp: MetalLB only allocates; metallb-bgp: Calico runs without BGP)`,
                    list[1].urn,
                );
            }
        }
    }),
};
