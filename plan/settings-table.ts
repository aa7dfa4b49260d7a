// The stack config contract as one table: every `fabric:*` key at every level,
// its type, its range, its default and what it means. The table drives the
// known keys (plan/keys.ts), the defaults (plan/defaults.ts), the checks of
// the validate stage and of the fabric-wide settings (plan/validate.ts,
// plan/settings.ts), which values the Pulumi program reads as secrets
// (stacks/config.ts), the JSON Schema of Pulumi.<stack>.yaml (plan/schema.ts,
// schemas/pulumi-stack.schema.json) and docs/config-reference.md.

import { PLATFORMS } from "./config";

/**
 * - `string`, `boolean`, `integer` (within `range`), `asn` (a usable ASN, or one
 *   of `values`), `cidr` (or one of `values`), `address` (IPv4), `name` (a device
 *   name), `host` (address or DNS name), `portRef` (`device:port`), `portPair`
 *   (`["spine:port", "leaf:port"]`), `secret` (a string, `{ secure: … }` in a file),
 *   `enum` (one of `values`);
 * - containers: `object` (its keys are the rows below it), `list` (its items are
 *   the `key[]` row or rows), `map` (any key, each value the `key.*` row).
 * A non-container row with rows below it also takes an object of them
 * (`numbering: zero-based` or `numbering: { nodes: zero-based }`).
 */
export type SettingType =
    | "string"
    | "boolean"
    | "integer"
    | "asn"
    | "cidr"
    | "address"
    | "name"
    | "host"
    | "portRef"
    | "portPair"
    | "secret"
    | "enum"
    | "object"
    | "list"
    | "map";

export type SettingValue = string | number | boolean;

export interface Setting {
    /** Path under `fabric:`: `bgp.maximumPaths`, `leafs[].asn`, `loadBalancerPools[].vips.*`. */
    key: string;
    type: SettingType;
    /** Integers: inclusive bounds. */
    range?: readonly [number, number];
    /** `enum`: the values; `asn`, `cidr`: literal words taken besides a number or a CIDR. */
    values?: readonly string[];
    /** What the planner uses when the key is absent. */
    default?: SettingValue;
    /** A default that is computed, as the docs say it (`spineBase + slot − 1`). */
    derived?: string;
    /** The key must be present wherever its parent is. */
    required?: boolean;
    /** A regular expression the value matches (schema and docs; the checks say why in words). */
    pattern?: string;
    doc: string;
}

export const PLATFORM_VALUES = PLATFORMS;
export const ROUTING_VALUES = ["router-on-host", "calico-bgp", "metallb-bgp"] as const;
export const ENCAPSULATION_VALUES = ["VXLAN", "VXLANCrossSubnet"] as const;
export const NUMBERING_VALUES = ["one-based", "zero-based"] as const;
export const NODE_ROLE_VALUES = ["control-plane", "worker"] as const;
export const ROLLOUT_VALUES = ["auto", "waves", "at-once"] as const;

/** Patterns shared by the schema and the checks (plan/fields.ts). */
export const PATTERNS = {
    fabricName: "^[a-z0-9][a-z0-9-]{0,31}$",
    deviceName: "^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$",
    host: "^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$",
    portRef: "^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?:[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$",
    address: "^((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$",
    cidr: "^((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)/(3[0-2]|[12]?\\d)$",
};

const mgmtRows = (list: string): Setting[] => [
    { key: `${list}[].mgmt`, type: "object", doc: "Where its configuration is pushed over SSH." },
    {
        key: `${list}[].mgmt.host`,
        type: "host",
        pattern: PATTERNS.host,
        doc: "Management address or DNS name.",
    },
    {
        key: `${list}[].mgmt.port`,
        type: "integer",
        range: [1, 65535],
        derived: "ssh.port",
        doc: "SSH port.",
    },
    { key: `${list}[].mgmt.user`, type: "string", derived: "ssh.user", doc: "SSH user." },
    {
        key: `${list}[].mgmt.hostKey`,
        type: "string",
        doc: "Pinned SSH host key (`ssh-ed25519 AAAA…`).",
    },
    {
        key: `${list}[].mgmt.bastion`,
        type: "string",
        derived: "ssh.bastion",
        doc: "Jump host, `user@host:port`.",
    },
];

const identityRows = (list: string, what: string): Setting[] => [
    { key: `${list}[]`, type: "object", doc: `One ${what}.` },
    {
        key: `${list}[].name`,
        type: "name",
        required: true,
        pattern: PATTERNS.deviceName,
        doc: "Host name (lower-case letters, digits, '-').",
    },
    {
        key: `${list}[].id`,
        type: "integer",
        range: [0, 1 << 20],
        derived: "the number the name ends with",
        doc: "Slot number every derived value is keyed by.",
    },
];

const switchRows = (list: "spines" | "leafs", what: string): Setting[] => [
    ...identityRows(list, what),
    {
        key: `${list}[].asn`,
        type: "asn",
        derived: list === "spines" ? "asn.spine" : "asn.leafBase + slot − 1",
        doc: "Pinned ASN.",
    },
    {
        key: `${list}[].loopback`,
        type: "address",
        derived:
            list === "spines"
                ? "addressing.loopbacks + slot"
                : "addressing.loopbacks + leafLoopbackOffset + slot",
        doc: "Router-id and /32 loopback.",
    },
    ...(list === "leafs"
        ? ([
              {
                  key: "leafs[].rackSubnet",
                  type: "cidr",
                  derived: "rack N of addressing.rackSubnets",
                  doc: "calico-bgp, metallb-bgp: the rack's server subnet (a leaf pair declares the same one).",
              },
              {
                  key: "leafs[].address",
                  type: "address",
                  derived: ".1, .2, … in slot order",
                  doc: "This leaf's own address (SVI) in its rack subnet.",
              },
              {
                  key: "leafs[].gateway",
                  type: "address",
                  doc: "The rack's gateway beside the SVIs (one leaf of a pair, or both alike).",
              },
          ] as Setting[])
        : []),
    {
        key: `${list}[].managed`,
        type: "boolean",
        default: true,
        doc: "`false`: someone else's switch, peered with, never configured.",
    },
    {
        key: `${list}[].maintenance`,
        type: "boolean",
        default: false,
        doc: "`true`: drained for maintenance: it tags what it announces and receives GRACEFUL_SHUTDOWN (RFC 8326), prepends its ASN towards peers that ignore it, and `pulumi up` waits until its neighbours route around it. Sessions stay up.",
    },
    {
        key: `${list}[].platform`,
        type: "enum",
        values: PLATFORM_VALUES,
        default: "frr",
        doc: "How its configuration is reloaded.",
    },
    ...mgmtRows(list),
    {
        key: `${list}[].bgpPassword`,
        type: "secret",
        doc: "BGP password of its sessions with our other switches.",
    },
];

export const SETTINGS: readonly Setting[] = [
    {
        key: "name",
        type: "string",
        pattern: PATTERNS.fabricName,
        derived: "the stack name",
        doc: "The fabric's name (lower-case letters, digits, '-').",
    },
    {
        key: "numbering",
        type: "enum",
        values: NUMBERING_VALUES,
        default: "one-based",
        doc: "Where slots start, for the whole fabric or per device list (`{ nodes: zero-based }`).",
    },
    ...(["spines", "leafs", "nodes", "externalRouters"] as const).map((list): Setting => ({
        key: `numbering.${list}`,
        type: "enum",
        values: NUMBERING_VALUES,
        default: "one-based",
        doc: `Where the slots of ${list} start.`,
    })),

    { key: "asn", type: "object", doc: "ASN allocation (RFC 7938, private ASNs of RFC 6996)." },
    {
        key: "asn.spine",
        type: "asn",
        values: ["unique"],
        default: 65000,
        doc: "One ASN shared by all spines, or `unique` (spineBase + slot − 1).",
    },
    {
        key: "asn.spineBase",
        type: "asn",
        default: 65001,
        doc: "First spine ASN when `asn.spine` is `unique`.",
    },
    { key: "asn.leafBase", type: "asn", default: 65101, doc: "Leaf N gets leafBase + N − 1." },
    { key: "asn.nodeBase", type: "asn", default: 4200000000, doc: "Node N gets nodeBase + N − 1." },

    { key: "addressing", type: "object", doc: "The fabric's address ranges." },
    {
        key: "addressing.loopbacks",
        type: "cidr",
        default: "172.16.255.0/24",
        doc: "Switch loopbacks and router-ids: spine N → .N, leaf N → .(offset + N).",
    },
    {
        key: "addressing.nodeLoopbacks",
        type: "cidr",
        default: "10.1.3.0/24",
        doc: "Node /32 loopbacks (router-on-host): node N → .N.",
    },
    {
        key: "addressing.links",
        type: "cidr",
        values: ["unnumbered"],
        default: "unnumbered",
        doc: "`unnumbered` (IPv6 link-local, RFC 5549) or a CIDR carved into /31s.",
    },
    {
        key: "addressing.rackSubnets",
        type: "cidr",
        doc: "calico-bgp, metallb-bgp: pool of rack subnets, one per leaf slot; the start may sit inside the prefix (`10.0.100.0/17`).",
    },
    {
        key: "addressing.rackPrefixLength",
        type: "integer",
        range: [16, 29],
        default: 24,
        doc: "Length of each rack subnet carved from `rackSubnets`.",
    },
    {
        key: "addressing.leafLoopbackOffset",
        type: "integer",
        range: [1, 1 << 24],
        default: 100,
        doc: "Leaf loopbacks start this many addresses after the spines'.",
    },
    {
        key: "addressing.linkSlotsPerLeaf",
        type: "integer",
        range: [1, 1024],
        default: 16,
        doc: "Numbered links: /31 slots per leaf (one per spine slot) and per external router.",
    },
    {
        key: "addressing.externalLinks",
        type: "cidr",
        default: "172.16.254.0/24",
        doc: "/31s of the links to external routers.",
    },

    { key: "spines", type: "list", doc: "The spine switches (absent: none of ours)." },
    ...switchRows("spines", "spine switch"),
    { key: "leafs", type: "list", required: true, doc: "The leaf switches (at least one)." },
    ...switchRows("leafs", "leaf switch"),
    {
        key: "links",
        type: "list",
        derived: "every leaf to every spine",
        doc: "Explicit fabric cabling.",
    },
    { key: "links[]", type: "portPair", doc: 'One cable, `["spine:port", "leaf:port"]`.' },

    { key: "nodes", type: "list", doc: "The Kubernetes nodes (absent: none)." },
    ...identityRows("nodes", "Kubernetes node"),
    {
        key: "nodes[].role",
        type: "enum",
        values: NODE_ROLE_VALUES,
        default: "worker",
        doc: "Kubernetes role.",
    },
    {
        key: "nodes[].uplinks",
        type: "list",
        required: true,
        doc: "Leaf ports it is cabled to; its side is eth1, eth2, … in order.",
    },
    { key: "nodes[].uplinks[]", type: "portRef", pattern: PATTERNS.portRef, doc: "`leaf:port`." },
    { key: "nodes[].asn", type: "asn", derived: "asn.nodeBase + slot − 1", doc: "Pinned ASN." },
    {
        key: "nodes[].loopback",
        type: "address",
        derived: "addressing.nodeLoopbacks + slot; its rack address in calico-bgp",
        doc: "Router-id (and /32 loopback).",
    },
    {
        key: "nodes[].address",
        type: "address",
        derived: ".10 + slot − 1 (.3 + slot − 1 in a /28 or /29)",
        doc: "calico-bgp, metallb-bgp: its address in its rack subnet.",
    },
    {
        key: "nodes[].managed",
        type: "boolean",
        default: true,
        doc: "`false`: its host setup is not pushed over SSH.",
    },
    {
        key: "nodes[].maintenance",
        type: "boolean",
        default: false,
        doc: "`true`: drained for maintenance: its router tags what it announces GRACEFUL_SHUTDOWN (RFC 8326), the Node gets the label `node.kubernetes.io/exclude-from-external-load-balancers` (MetalLB stops announcing from it), and `pulumi up` waits until its leafs route around it.",
    },
    ...mgmtRows("nodes"),
    {
        key: "nodes[].bond",
        type: "object",
        doc: "calico-bgp, metallb-bgp: its uplinks bonded (LACP), the address on the bond or its VLAN.",
    },
    { key: "nodes[].bond.name", type: "string", default: "bond0", doc: "Linux name of the bond." },
    {
        key: "nodes[].bond.vlan",
        type: "integer",
        range: [1, 4094],
        doc: "802.1Q VLAN on the bond (`bond0.1500`).",
    },

    {
        key: "externalRouters",
        type: "list",
        doc: "Routers outside the fabric that peer with it (absent: none).",
    },
    ...identityRows("externalRouters", "external router"),
    { key: "externalRouters[].asn", type: "asn", required: true, doc: "Its ASN." },
    { key: "externalRouters[].loopback", type: "address", required: true, doc: "Its router-id." },
    {
        key: "externalRouters[].links",
        type: "list",
        required: true,
        doc: "Switch ports it is cabled to; numbered /31s from addressing.externalLinks.",
    },
    {
        key: "externalRouters[].links[]",
        type: "portRef",
        pattern: PATTERNS.portRef,
        doc: "`spine:port` (or `leaf:port`).",
    },
    {
        key: "externalRouters[].bgpPassword",
        type: "secret",
        doc: "BGP password of its sessions with our switches.",
    },

    {
        key: "kubernetes",
        type: "object",
        doc: "Cluster networking: Calico, MetalLB, the router DaemonSet.",
    },
    {
        key: "kubernetes.routing",
        type: "enum",
        values: ROUTING_VALUES,
        default: "router-on-host",
        doc: "Who speaks BGP for the nodes.",
    },
    {
        key: "kubernetes.encapsulation",
        type: "enum",
        values: ENCAPSULATION_VALUES,
        default: "VXLAN",
        doc: "metallb-bgp only: Calico's pod encapsulation (Calico runs without BGP).",
    },
    {
        key: "kubernetes.podCidr",
        type: "cidr",
        default: "10.233.64.0/18",
        doc: "Calico's pod IP pool.",
    },
    {
        key: "kubernetes.serviceCidr",
        type: "cidr",
        default: "10.233.0.0/18",
        doc: "The cluster's service CIDR.",
    },
    {
        key: "kubernetes.blockSize",
        type: "integer",
        range: [20, 32],
        default: 26,
        doc: "Calico IPAM block length (announced per block).",
    },
    {
        key: "kubernetes.kubeconfig",
        type: "secret",
        doc: "Kubeconfig of the cluster; without it objects are rendered to a directory.",
    },
    {
        key: "kubernetes.renderDirectory",
        type: "string",
        derived: "out/<fabric>/kubernetes",
        doc: "Where objects are rendered without a kubeconfig.",
    },
    {
        key: "kubernetes.calicoVersion",
        type: "string",
        default: "v3.32.0",
        doc: "Calico (tigera-operator) release.",
    },
    {
        key: "kubernetes.metallbVersion",
        type: "string",
        default: "v0.16.2",
        doc: "MetalLB release.",
    },
    {
        key: "kubernetes.routerImage",
        type: "string",
        default: "quay.io/frrouting/frr:8.4.1",
        doc: "Image of the router DaemonSet.",
    },
    {
        key: "kubernetes.calicoManifest",
        type: "string",
        derived: "the upstream tigera-operator.yaml of calicoVersion",
        doc: "tigera-operator manifest: URL or local path.",
    },
    {
        key: "kubernetes.metallbManifest",
        type: "string",
        derived: "the upstream metallb-native.yaml of metallbVersion",
        doc: "MetalLB manifest: URL or local path.",
    },
    {
        key: "kubernetes.installUpstream",
        type: "boolean",
        default: true,
        doc: "Install tigera-operator and MetalLB from those manifests first.",
    },
    {
        key: "kubernetes.speakerAsn",
        type: "asn",
        default: 64999,
        doc: "ASN of MetalLB's native speaker (peers with the node router over 127.0.0.1).",
    },

    { key: "loadBalancerPools", type: "list", doc: "MetalLB address pools (absent: none)." },
    { key: "loadBalancerPools[]", type: "object", doc: "One pool." },
    {
        key: "loadBalancerPools[].name",
        type: "string",
        required: true,
        pattern: PATTERNS.deviceName,
        doc: "Pool name.",
    },
    { key: "loadBalancerPools[].cidr", type: "cidr", required: true, doc: "The pool's range." },
    { key: "loadBalancerPools[].vips", type: "map", doc: "Named, reserved VIPs inside the pool." },
    { key: "loadBalancerPools[].vips.*", type: "address", doc: "A VIP (the key is its name)." },
    {
        key: "loadBalancerPools[].avoidBuggyIps",
        type: "boolean",
        default: true,
        doc: "MetalLB `avoidBuggyIPs`: skip .0 and .255.",
    },
    {
        key: "loadBalancerPools[].autoAssign",
        type: "boolean",
        default: true,
        doc: "MetalLB `autoAssign`.",
    },

    { key: "bgp", type: "object", doc: "BGP session settings." },
    { key: "bgp.bfd", type: "boolean", default: true, doc: "BFD on fabric and server sessions." },
    {
        key: "bgp.maximumPaths",
        type: "integer",
        range: [1, 256],
        default: 64,
        doc: "ECMP paths (`maximum-paths`).",
    },
    {
        key: "bgp.bfdInterval",
        type: "integer",
        range: [10, 60000],
        default: 100,
        doc: "BFD transmit/receive interval, ms.",
    },
    {
        key: "bgp.bfdMultiplier",
        type: "integer",
        range: [2, 255],
        default: 3,
        doc: "BFD detect multiplier.",
    },
    {
        key: "bgp.keepalive",
        type: "integer",
        range: [1, 3600],
        default: 1,
        doc: "Keepalive, seconds.",
    },
    {
        key: "bgp.holdtime",
        type: "integer",
        range: [3, 65535],
        default: 3,
        doc: "Hold time, seconds (at least 3 × keepalive).",
    },
    {
        key: "bgp.maximumPrefixHeadroom",
        type: "integer",
        range: [0, 1000],
        default: 50,
        doc: "Session protection (plan/protections.ts): the `maximum-prefix` limit of each leaf's session with a node is what that node may announce — its loopback, its share of the pod blocks (pod blocks ÷ nodes, rounded up) and every address of every LoadBalancer pool — plus this many percent (Calico may give one node more than its share of blocks), and at least `bgp.maximumPrefixMinimum`. FRR counts every prefix received (`force`), also those the inbound policy refuses, so a node leaking a table trips its own session only.",
    },
    {
        key: "bgp.maximumPrefixMinimum",
        type: "integer",
        range: [1, 4294967295],
        default: 100,
        doc: "The smallest `maximum-prefix` limit of a leaf's session with a node.",
    },
    {
        key: "bgp.maximumPrefixRestart",
        type: "integer",
        range: [0, 65535],
        default: 5,
        doc: "Minutes after which a session shut down for exceeding `maximum-prefix` comes back by itself (`restart`); 0: it stays down (Idle (PfxCt)) until `clear bgp <neighbor>`.",
    },
    {
        key: "bgp.gracefulRestart",
        type: "boolean",
        default: true,
        doc: "Graceful restart (RFC 4724, `bgp graceful-restart`) on every switch and node router: when a peer's BGP process restarts, the other end keeps its routes, marked stale, for `bgp.gracefulRestartTime` instead of withdrawing them. FRR keeps them even when BFD reports the session down, so a node that hangs with its link up is routed to for up to that time; when the link itself fails, the routes' next hop goes and they are withdrawn at once. MetalLB's native speaker does not take it (its webhook refuses `enableGracefulRestart`), so BGPPeers carry none.",
    },
    {
        key: "bgp.gracefulRestartTime",
        type: "integer",
        range: [1, 4095],
        default: 120,
        doc: "Graceful restart time, seconds (RFC 4724's 12-bit Restart Time; 120 is FRR's default): how long a peer keeps a restarting router's routes.",
    },
    {
        key: "bgp.ttlSecurity",
        type: "boolean",
        default: true,
        doc: "Single-hop TTL security (GTSM, RFC 5082, `ttl-security hops 1`) on the leaf ↔ node-router sessions of router-on-host, at both ends: a BGP packet that did not come from the directly attached peer (TTL below 254) is dropped. Not where the far end is Calico's BIRD or MetalLB's speaker, which do not send TTL 255.",
    },

    { key: "apply", type: "object", doc: "How devices are applied." },
    {
        key: "apply.convergeTimeout",
        type: "integer",
        range: [1, 3600],
        default: 60,
        doc: "Seconds a device may take to bring its sessions up before it is rolled back.",
    },
    {
        key: "apply.confirmWindow",
        type: "integer",
        range: [10, 3600],
        default: 300,
        doc: "Seconds after a reload within which a second SSH connection must confirm the change; otherwise the device itself restores its previous configuration (commit-confirm). At least 2 × convergeTimeout + 10: the apply's own waits fit inside it.",
    },
    {
        key: "apply.waveSize",
        type: "integer",
        range: [1, 1000],
        default: 1,
        doc: "Rolling apply (plan/waves.ts): spines first, this many spines per wave but never all of them at once (at most spines − 1); then the leafs, this many racks per wave, one leaf of each of those racks per wave (a rack: the leafs its nodes are attached to; two leafs of one rack are never in one wave). Each wave starts only after the previous one applied and passed its checks; a failure stops the rollout.",
    },
    {
        key: "apply.rollout",
        type: "enum",
        values: ROLLOUT_VALUES,
        default: "auto",
        doc: "`waves`: every `pulumi up` rolls the switches out in waves (`apply.waveSize`). `at-once`: every switch is applied at the same time. `auto`: waves once this stack has applied a switch (its `appliedSwitches` output lists one); until then — day one, nothing to protect yet — at once. A new stack taking over a fabric that is already live should say `waves`.",
    },
    {
        key: "apply.devices",
        type: "boolean",
        default: true,
        doc: "`false`: push nothing to switches or nodes, only the cluster networking.",
    },

    { key: "ssh", type: "object", doc: "SSH defaults of every device's mgmt." },
    { key: "ssh.user", type: "string", default: "root", doc: "SSH user." },
    { key: "ssh.port", type: "integer", range: [1, 65535], default: 22, doc: "SSH port." },
    { key: "ssh.privateKey", type: "secret", doc: "SSH private key (always a secret)." },
    { key: "ssh.bastion", type: "string", doc: "Jump host, `user@host:port`." },
];

const BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));

/** The row of a key (`bgp.maximumPaths`, `leafs[].asn`); throws on a key the table lacks. */
export function setting(key: string): Setting {
    const s = BY_KEY.get(key);
    if (!s) throw new Error(`no setting '${key}' in plan/settings-table.ts`);
    return s;
}

/** The table's default of a key. */
export function defaultOf<T extends SettingValue>(key: string): T {
    const d = setting(key).default;
    if (d === undefined) throw new Error(`setting '${key}' has no default`);
    return d as T;
}

/** The integer range of a key. */
export function rangeOf(key: string): readonly [number, number] {
    const r = setting(key).range;
    if (!r) throw new Error(`setting '${key}' has no range`);
    return r;
}

/** The rows directly below a path ('' for the top level): `leafs[]` → `leafs[].name`, … */
export function childrenOf(path: string): Setting[] {
    return SETTINGS.filter(
        (s) => parentOf(s.key) === path && !s.key.endsWith("[]") && !s.key.endsWith(".*"),
    );
}

/** `leafs[].mgmt.host` → `leafs[].mgmt`; `leafs[]` → `leafs`; `bgp` → ''. */
export function parentOf(key: string): string {
    if (key.endsWith("[]")) return key.slice(0, -2);
    const dot = key.lastIndexOf(".");
    return dot < 0 ? "" : key.slice(0, dot);
}

/** The key names directly below a path, for the unknown-key check. */
export function keysOf(path: string): string[] {
    return childrenOf(path).map((s) => s.key.slice(path ? path.length + 1 : 0));
}

/** Every path whose value is a secret (`ssh.privateKey`, `leafs[].bgpPassword`). */
export function secretKeys(): string[] {
    return SETTINGS.filter((s) => s.type === "secret").map((s) => s.key);
}
