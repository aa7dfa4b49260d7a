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

export type Platform = "frr" | "cumulus" | "sonic";

export interface SwitchConfig {
    name: string;
    /** Slot number used for derived values; defaults to the number at the end of the name. */
    id?: number;
    asn?: number;
    loopback?: string;
    /** calico-bgp mode: the server subnet of this leaf's rack (two leafs of a pair declare the same one). */
    rackSubnet?: string;
    /** calico-bgp mode: this leaf's address in its rack subnet. */
    address?: string;
    /** `false`: someone else's switch; peered with, never configured. */
    managed?: boolean;
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
    mgmt?: MgmtConfig;
}

export interface ExternalRouterConfig {
    name: string;
    asn: number;
    /** Router-id / loopback of the external router. */
    loopback?: string;
    /** Switch ports the router is cabled to, `spine:port`; numbered /31s from `addressing.externalLinks`. */
    links: string[];
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
    routing?: "router-on-host" | "calico-bgp";
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

export interface FabricConfig {
    name: string;
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
        rackSubnets?: string;
        /** Prefix length of each rack subnet carved from `rackSubnets`. */
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
    };
    ssh?: {
        user?: string;
        port?: number;
        privateKey?: SecretValue;
        bastion?: string;
    };
}
