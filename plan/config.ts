// The stack config contract (DESIGN.md, "Stack config contract"): what a user
// writes under the `fabric:` namespace. Everything is optional except the
// device lists; the planner fills in the rest. Keys may be added, never renamed.

/** A secret as it appears in config: the plaintext (from the Pulumi engine) or the encrypted `{ secure }` form (in a YAML file). */
export type SecretValue = string | { secure: string };

export interface MgmtConfig {
    /** Management address or DNS name the SSH connection goes to. */
    host: string;
    port?: number;
    user?: string;
    /** Pinned SSH host key (`ssh-ed25519 AAAA…`). */
    hostKey?: string;
    /** Jump host, `user@host:port`. */
    bastion?: string;
}

/** The switch platforms; each has a driver in render/platforms/ (docs/platforms.md). */
export const PLATFORMS = ["frr", "cumulus", "sonic"] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface SwitchConfig {
    name: string;
    /** Slot number used for derived values; defaults to the number at the end of the name. */
    id?: number;
    asn?: number;
    loopback?: string;
    /**
     * calico-bgp mode: the server subnet of this leaf's rack, any length that
     * holds the leafs, the gateway and the nodes (a /28 shared by a pair, a /29);
     * two leafs of a pair declare the same one. Pinned, it may lie outside
     * `addressing.rackSubnets` (or there may be no such pool at all).
     */
    rackSubnet?: string;
    /** calico-bgp mode: this leaf's own address in its rack subnet (its SVI; each leaf of a pair has its own). */
    address?: string;
    /**
     * calico-bgp mode: the rack's gateway address (a pair's shared virtual
     * address, e.g. .206 beside SVIs .204/.205). One leaf of the pair may set
     * it, or both the same. Nodes of the rack get it as their gateway.
     */
    gateway?: string;
    /** `false`: someone else's switch; peered with, never configured. */
    managed?: boolean;
    /** `true`: drained for maintenance (GRACEFUL_SHUTDOWN, RFC 8326; render/drain.ts). Default false. */
    maintenance?: boolean;
    platform?: Platform;
    mgmt?: MgmtConfig;
    /** BGP password on this switch's fabric sessions (secret). */
    bgpPassword?: SecretValue;
}

export interface NodeConfig {
    name: string;
    id?: number;
    role?: "control-plane" | "worker";
    /** Leaf ports this node is cabled to, `leaf:port`; the node side is eth1, eth2, … in order. */
    uplinks: string[];
    asn?: number;
    loopback?: string;
    /** calico-bgp mode: the node's address in its rack subnet. */
    address?: string;
    managed?: boolean;
    /** `true`: drained for maintenance (GRACEFUL_SHUTDOWN, the exclude-from-external-load-balancers label). Default false. */
    maintenance?: boolean;
    mgmt?: MgmtConfig;
    /** Uplinks bonded (LACP, 802.3ad) into one interface, optionally a VLAN on it (`bond0.1500`). */
    bond?: BondConfig;
}

export interface BondConfig {
    /** Linux name of the bond (default bond0). */
    name?: string;
    /** 802.1Q VLAN on the bond (1–4094): the node's address lives on `<name>.<vlan>`. */
    vlan?: number;
}

/** `one-based` (default: `leaf1` is the first leaf) or `zero-based` (`leaf0` is). */
export type Numbering = "one-based" | "zero-based";

export interface ExternalRouterConfig {
    name: string;
    asn: number;
    /** Router-id / loopback of the external router. */
    loopback?: string;
    /** Switch ports the router is cabled to, `spine:port`; numbered /31s from `addressing.externalLinks`. */
    links: string[];
    /** BGP password of this router's sessions with our switches (secret); a switch's own never extends to it. */
    bgpPassword?: SecretValue;
}

export interface PoolConfig {
    name: string;
    cidr: string;
    /** Named, reserved VIPs inside the pool. */
    vips?: Record<string, string>;
    /** MetalLB `avoidBuggyIPs` (skip .0 and .255). Default true. */
    avoidBuggyIps?: boolean;
    autoAssign?: boolean;
}

export interface KubernetesConfig {
    routing?: "router-on-host" | "calico-bgp" | "metallb-bgp";
    /** metallb-bgp: Calico's pod encapsulation (no Calico BGP): VXLAN (default) or VXLANCrossSubnet. */
    encapsulation?: "VXLAN" | "VXLANCrossSubnet";
    podCidr?: string;
    serviceCidr?: string;
    blockSize?: number;
    /** Secret kubeconfig; without it objects are rendered to a directory (GitOps / lab). */
    kubeconfig?: SecretValue;
    renderDirectory?: string;
    calicoVersion?: string;
    metallbVersion?: string;
    routerImage?: string;
    /** Where the pinned tigera-operator / MetalLB manifests come from: URL or local path (machines without internet). */
    calicoManifest?: string;
    metallbManifest?: string;
    /** Install tigera-operator and MetalLB from those manifests before our objects (default true). */
    installUpstream?: boolean;
    /** ASN of MetalLB's native speaker, which peers with the node's own router over 127.0.0.1. */
    speakerAsn?: number;
}

// Absent device lists are empty lists (a vendor fabric has no spine of ours);
// the types keep them required for the code that builds configs.
export interface FabricConfig {
    name: string;
    /**
     * Where slot numbers start: one-based (default) or zero-based (`spine0`,
     * `leaf0`, `k8s0`), for the whole fabric or per device list
     * (`{ spines: zero-based, nodes: one-based }`). A zero-based device N gets
     * every derived value (ASN, loopback, ports, links, addresses) that device
     * N+1 gets in a one-based fabric.
     */
    numbering?:
        | Numbering
        | { spines?: Numbering; leafs?: Numbering; nodes?: Numbering; externalRouters?: Numbering };
    asn?: {
        /** One ASN shared by all spines, or `unique` (spineBase + slot − 1). */
        spine?: number | "unique";
        spineBase?: number;
        leafBase?: number;
        nodeBase?: number;
    };
    addressing?: {
        loopbacks?: string;
        nodeLoopbacks?: string;
        /** `unnumbered` (IPv6 link-local, RFC 5549) or a CIDR carved into /31s. */
        links?: string;
        /** Pool of rack subnets, one per leaf slot (calico-bgp); start address may sit inside the prefix (`10.0.100.0/17`). */
        rackSubnets?: string;
        /** Prefix length of each rack subnet carved from `rackSubnets` (16–29, default 24). */
        rackPrefixLength?: number;
        /** Leaf loopbacks start this many addresses after the spines'. */
        leafLoopbackOffset?: number;
        /** Numbered links: /31 slots reserved per leaf (one per spine slot). */
        linkSlotsPerLeaf?: number;
        externalLinks?: string;
    };
    spines: SwitchConfig[];
    leafs: SwitchConfig[];
    /** Explicit fabric cabling; default: every leaf to every spine. */
    links?: [string, string][];
    nodes: NodeConfig[];
    externalRouters?: ExternalRouterConfig[];
    kubernetes?: KubernetesConfig;
    loadBalancerPools?: PoolConfig[];
    bgp?: {
        /** BFD on fabric and server sessions. Default true. */
        bfd?: boolean;
        maximumPaths?: number;
        /** BFD transmit/receive interval in milliseconds (default 100) and detect multiplier (default 3). */
        bfdInterval?: number;
        bfdMultiplier?: number;
        /** Keepalive / hold seconds. Defaults 1 / 3 (as the Cumulus reference design). */
        keepalive?: number;
        holdtime?: number;
    };
    apply?: {
        /** Seconds a device may take to bring its sessions up after a reload before it is rolled back. */
        convergeTimeout?: number;
        /** Seconds within which a second SSH connection must confirm a reload, or the device rolls itself back. Default 300. */
        confirmWindow?: number;
        /** Rolling apply: spines per spine wave, racks per leaf wave (plan/waves.ts). Default 1. */
        waveSize?: number;
        /** `auto` (default: at once until this stack has applied a switch, then waves), `waves` or `at-once`. */
        rollout?: "auto" | "waves" | "at-once";
        /**
         * `false`: this stack pushes nothing to switches or nodes, only the cluster
         * networking (the devices belong to another stack or team). Default true.
         */
        devices?: boolean;
    };
    ssh?: {
        user?: string;
        port?: number;
        privateKey?: SecretValue;
        bastion?: string;
    };
}
