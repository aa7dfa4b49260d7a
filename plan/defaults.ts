// Defaults the planner uses where the config is silent. ASNs follow RFC 7938
// (private ranges of RFC 6996); timers follow the Cumulus reference design.
// The values live in the settings table (plan/settings-table.ts).

import { defaultOf } from "./settings-table";
import { CalicoOverlay, Routing } from "./types";

export const UPSTREAM_MANIFESTS = {
    calico: (version: string) =>
        `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/tigera-operator.yaml`,
    metallb: (version: string) =>
        `https://raw.githubusercontent.com/metallb/metallb/${version}/config/manifests/metallb-native.yaml`,
};

const d = defaultOf;

/** The table's defaults (plan/settings-table.ts) by block, and the planner's own constants. */
export const DEFAULTS = {
    asn: {
        spine: d<number>("asn.spine"),
        spineBase: d<number>("asn.spineBase"),
        leafBase: d<number>("asn.leafBase"),
        nodeBase: d<number>("asn.nodeBase"),
    },
    addressing: {
        loopbacks: d<string>("addressing.loopbacks"),
        nodeLoopbacks: d<string>("addressing.nodeLoopbacks"),
        links: d<string>("addressing.links"),
        rackPrefixLength: d<number>("addressing.rackPrefixLength"),
        leafLoopbackOffset: d<number>("addressing.leafLoopbackOffset"),
        linkSlotsPerLeaf: d<number>("addressing.linkSlotsPerLeaf"),
        externalLinks: d<string>("addressing.externalLinks"),
    },
    kubernetes: {
        routing: d<Routing>("kubernetes.routing"),
        encapsulation: d<CalicoOverlay>("kubernetes.encapsulation"),
        podCidr: d<string>("kubernetes.podCidr"),
        serviceCidr: d<string>("kubernetes.serviceCidr"),
        blockSize: d<number>("kubernetes.blockSize"),
        calicoVersion: d<string>("kubernetes.calicoVersion"),
        metallbVersion: d<string>("kubernetes.metallbVersion"),
        routerImage: d<string>("kubernetes.routerImage"),
        installUpstream: d<boolean>("kubernetes.installUpstream"),
        speakerAsn: d<number>("kubernetes.speakerAsn"),
    },
    // BFD 100 ms × 3: a silent failure is detected in 300 ms (FRR's own default, 300 ms × 3, is 900 ms).
    bgp: {
        bfd: d<boolean>("bgp.bfd"),
        bfdInterval: d<number>("bgp.bfdInterval"),
        bfdMultiplier: d<number>("bgp.bfdMultiplier"),
        maximumPaths: d<number>("bgp.maximumPaths"),
        keepalive: d<number>("bgp.keepalive"),
        holdtime: d<number>("bgp.holdtime"),
    },
    apply: {
        convergeTimeout: d<number>("apply.convergeTimeout"),
        confirmWindow: d<number>("apply.confirmWindow"),
    },
    /** Cumulus convention: a spine's port to leaf N is swpN, a leaf's port to spine M is swp(50+M) (N, M: ordinals, so a zero-based leaf0 is on swp1). */
    ports: { leafUplinkBase: 50 },
    /** calico-bgp: node addresses start at this offset in their rack subnet (leafs take the first ones). */
    nodeAddressOffset: 10,
    /** …and at this one in a rack smaller than a /27 (a pair's leafs take .1 and .2). */
    smallRackNodeAddressOffset: 3,
    sshPort: d<number>("ssh.port"),
    sshUser: d<string>("ssh.user"),
};

/** ASNs no device may use: 0, AS_TRANS, documentation (RFC 5398), last ASNs (RFC 7300). */
export function reservedAsn(asn: number): string | undefined {
    if (asn === 0) return "0 is reserved (RFC 7607)";
    if (asn === 23456) return "23456 is AS_TRANS (RFC 6793)";
    if (asn >= 64496 && asn <= 64511) return `${asn} is reserved for documentation (RFC 5398)`;
    if (asn >= 65536 && asn <= 65551) return `${asn} is reserved for documentation (RFC 5398)`;
    if (asn === 65535 || asn === 4294967295) return `${asn} is reserved (RFC 7300)`;
    return undefined;
}

/** The private ASN range (RFC 6996) an ASN falls in, if any. */
export function privateAsnRange(asn: number): [number, number] | undefined {
    if (asn >= 64512 && asn <= 65534) return [64512, 65534];
    if (asn >= 4200000000 && asn <= 4294967294) return [4200000000, 4294967294];
    return undefined;
}
