// Defaults the planner uses where the config is silent. ASNs follow RFC 7938
// (private ranges of RFC 6996); timers follow the Cumulus reference design.

export const UPSTREAM_MANIFESTS = {
    calico: (version: string) => `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/tigera-operator.yaml`,
    metallb: (version: string) => `https://raw.githubusercontent.com/metallb/metallb/${version}/config/manifests/metallb-native.yaml`,
};

export const DEFAULTS = {
    asn: { spine: 65000, spineBase: 65001, leafBase: 65101, nodeBase: 4200000000 },
    addressing: {
        loopbacks: "172.16.255.0/24",
        nodeLoopbacks: "10.1.3.0/24",
        links: "unnumbered",
        rackPrefixLength: 24,
        leafLoopbackOffset: 100,
        linkSlotsPerLeaf: 16,
        externalLinks: "172.16.254.0/24",
    },
    kubernetes: {
        routing: "router-on-host" as const,
        podCidr: "10.233.64.0/18",
        serviceCidr: "10.233.0.0/18",
        blockSize: 26,
        calicoVersion: "v3.32.0",
        metallbVersion: "v0.16.2",
        routerImage: "quay.io/frrouting/frr:8.4.1",
        speakerAsn: 64999,
    },
    // BFD 100 ms × 3: a silent failure is detected in 300 ms (FRR's own default, 300 ms × 3, is 900 ms).
    bgp: { bfd: true, bfdInterval: 100, bfdMultiplier: 3, maximumPaths: 64, keepalive: 1, holdtime: 3 },
    apply: { convergeTimeout: 60 },
    /** Cumulus convention: a spine's port to leaf N is swpN, a leaf's port to spine M is swp(50+M) (N, M: ordinals, so a zero-based leaf0 is on swp1). */
    ports: { leafUplinkBase: 50 },
    /** calico-bgp: node addresses start at this offset in their rack subnet (leafs take the first ones). */
    nodeAddressOffset: 10,
    /** …and at this one in a rack smaller than a /27 (a pair's leafs take .1 and .2). */
    smallRackNodeAddressOffset: 3,
    sshPort: 22,
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
