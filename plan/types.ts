// The FabricPlan: every value the renderers, components, lab and policy pack
// read. It is plain data (JSON-serialisable) and a pure function of the config.

import { Platform } from "./config";

export type DeviceRole = "spine" | "leaf" | "node" | "external";
export type Routing = "router-on-host" | "calico-bgp" | "metallb-bgp";
/** apply.rollout: `auto` decides per `pulumi up` (stacks/rollout.ts). */
export type Rollout = "auto" | "waves" | "at-once";

/** Pod-network encapsulation of Calico when it does not speak BGP (metallb-bgp). */
export type CalicoOverlay = "VXLAN" | "VXLANCrossSubnet";

/**
 * Modes whose nodes sit in numbered rack subnets and peer with their leafs
 * (or a router on that subnet) by address: calico-bgp (Calico's BIRD) and
 * metallb-bgp (MetalLB's speaker). router-on-host is unnumbered.
 */
export function rackRouting(routing: Routing): boolean {
    return routing === "calico-bgp" || routing === "metallb-bgp";
}

/** What kind of link an interface or session sits on. */
export type LinkKind =
    | "fabric" // spine ↔ leaf
    | "server" // leaf ↔ node
    | "external"; // spine ↔ external router

export interface PlannedInterface {
    name: string;
    kind: LinkKind;
    /** Far end of the cable. */
    peer: { device: string; port: string };
    /** `a.b.c.d/len` on numbered links; absent on unnumbered ones (IPv6 link-local only). */
    address?: string;
}

export interface PlannedNeighbor {
    /** Name of the peer device. */
    device: string;
    asn: number;
    kind: LinkKind;
    /** Unnumbered session: the local interface. */
    interface?: string;
    /** Numbered session: the peer's address. */
    address?: string;
    bfd: boolean;
    sessionId: string;
}

export interface PlannedDevice {
    name: string;
    role: DeviceRole;
    /** Slot number the derived values came from (`id` or the name's trailing number). */
    slot?: number;
    /** Zero-based lists only (`fabric:numbering`): slot + 1, what the derived values counted from. Absent when it equals the slot. */
    ordinal?: number;
    asn: number;
    /** Router-id and /32 loopback address (without prefix length). */
    loopback: string;
    managed: boolean;
    /** Drained for maintenance (`maintenance: true`; render/drain.ts). Absent: in service. */
    maintenance?: boolean;
    platform: Platform;
    /** control-plane or worker, nodes only. */
    nodeRole?: "control-plane" | "worker";
    mgmt?: { host: string; port: number; user?: string; hostKey?: string; bastion?: string };
    interfaces: PlannedInterface[];
    neighbors: PlannedNeighbor[];
    /** Leafs in calico-bgp mode: the rack subnet and this leaf's address in it. Nodes: their address in it. */
    rackSubnet?: string;
    address?: string;
    /** calico-bgp: the rack's gateway address (set on a leaf of the rack), on its leafs and its nodes. */
    gateway?: string;
    /** Nodes whose uplinks are bonded: the bond, its members (the uplinks) and the interface the rack address lives on. */
    bond?: PlannedBond;
    /** Prefixes this device originates into BGP. */
    originates: string[];
}

export interface PlannedBond {
    /** Linux name of the bond, e.g. bond0. */
    name: string;
    /** The node's uplinks (eth1, eth2, …) enslaved to it, LACP (802.3ad). */
    members: string[];
    vlan?: number;
    /** Where the node's rack address lives: the bond or its VLAN interface (`bond0.1500`). */
    interface: string;
}

export interface SessionEnd {
    device: string;
    asn: number;
    interface?: string;
    address?: string;
}

export interface PlannedSession {
    id: string;
    kind: LinkKind;
    a: SessionEnd;
    b: SessionEnd;
    bfd: boolean;
}

export interface PlannedPool {
    name: string;
    cidr: string;
    vips: Record<string, string>;
    avoidBuggyIps: boolean;
    autoAssign: boolean;
}

export interface PlannedKubernetes {
    routing: Routing;
    podCidr: string;
    serviceCidr: string;
    blockSize: number;
    calicoVersion: string;
    metallbVersion: string;
    routerImage: string;
    /** Upstream install manifests (tigera-operator, metallb-native) at the pinned versions: URL or local path. */
    calicoManifest: string;
    metallbManifest: string;
    installUpstream: boolean;
    /** ASN of MetalLB's native speaker on every node (peers with the node router over 127.0.0.1). */
    speakerAsn: number;
    /** Port Calico's BIRD listens on: 179 when Calico peers with the leafs, 1179 when a host router owns 179. */
    calicoListenPort: number;
    /** metallb-bgp only: Calico runs without BGP, its pod pool over this encapsulation (Installation `bgp: Disabled`). */
    calicoEncapsulation?: CalicoOverlay;
}

export interface FabricPlan {
    name: string;
    /** Devices in a fixed order: spines, leafs, nodes, external routers; each group by slot then name. */
    devices: PlannedDevice[];
    sessions: PlannedSession[];
    pools: PlannedPool[];
    kubernetes: PlannedKubernetes;
    addressing: {
        loopbacks: string;
        nodeLoopbacks: string;
        links: string;
        rackSubnets?: string;
    };
    bgp: {
        bfd: boolean;
        bfdInterval: number;
        bfdMultiplier: number;
        maximumPaths: number;
        keepalive: number;
        holdtime: number;
        /** Session protections (plan/protections.ts); absent in plans made before them: the defaults. */
        maximumPrefixHeadroom?: number;
        maximumPrefixMinimum?: number;
        maximumPrefixRestart?: number;
        gracefulRestart?: boolean;
        gracefulRestartTime?: number;
        ttlSecurity?: boolean;
    };
    /**
     * waveSize: spines per spine wave, racks per leaf wave of the rolling apply (plan/waves.ts);
     * rollout: whether `pulumi up` uses the waves (plan/rollout.ts).
     */
    apply: {
        convergeTimeout: number;
        confirmWindow: number;
        waveSize: number;
        rollout: Rollout;
    };
    /** The fabric-wide prefix sets of the routing policy (plan/prefix-sets.ts): the same for every device. */
    prefixSets: PlannedPrefixSets;
}

/** Prefix-list entries (`10.1.3.0/24 ge 32`) and AS-path regexes every device's policy is written from. */
export interface PlannedPrefixSets {
    /** What the fabric carries and shows the outside: loopbacks, racks, external links, pod blocks, VIPs. */
    fabric: string[];
    /** The fabric's own address space in any length, refused from outside. */
    ownSpace: string[];
    /** Pod routes a node announces: Calico's IPAM blocks, never single pod /32s. */
    podBlocks: string[];
    /** Service VIPs: /32s inside the pools (calico-bgp: the pool prefix too). */
    vips: string[];
    /** AS paths of routes learned from an external router (its ASN anywhere in the path). */
    externalAsPaths: string[];
}

/** One problem in the config, naming the exact field (`fabric:leafs[2].asn`). */
export interface ConfigError {
    field: string;
    message: string;
}

export class FabricConfigError extends Error {
    constructor(public readonly errors: ConfigError[]) {
        super(errors.map((e) => `${e.field}: ${e.message}`).join("\n"));
        this.name = "FabricConfigError";
    }
}
