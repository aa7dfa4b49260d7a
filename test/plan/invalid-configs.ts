// The catalogue of invalid configs: each mutates the dev stack in one way,
// names the field the planner must blame and what it must say. Used by the
// validation tests and to write docs/config-errors.md.

import assert from "assert";
import { FabricConfig, FabricConfigError, planFabric } from "../../plan";
import { devConfig } from "../support/fixtures";

/** Plan a mutated dev config and return its errors as `field: message` lines. */
/** Every problem the planner reports for a config, as `field: message`. */
export function configErrors(c: FabricConfig): string[] {
    try {
        planFabric(c);
    } catch (err) {
        assert.ok(err instanceof FabricConfigError, String(err));
        return err.errors.map((e) => `${e.field}: ${e.message}`);
    }
    return [];
}

/** The problems of the dev stack's config after `mutate`. */
export function errorsOf(mutate: (c: FabricConfig) => void): string[] {
    const c = devConfig();
    mutate(c);
    return configErrors(c);
}

/**
 * The dev stack in calico-bgp mode: leaf1/leaf2 share rack 10.0.101.0/24
 * (leafs .1/.2, nodes k8s1–k8s4 from .10), leaf3/leaf4 share 10.0.103.0/24.
 */
export function calico(c: FabricConfig): FabricConfig {
    c.kubernetes = { ...c.kubernetes, routing: "calico-bgp" };
    c.addressing = { ...c.addressing, rackSubnets: "10.0.100.0/17" };
    c.leafs[1].rackSubnet = "10.0.101.0/24";
    c.leafs[3].rackSubnet = "10.0.103.0/24";
    return c;
}

/** A key the contract does not have, set on an object of the config. */
const typo = (obj: unknown, key: string, value: unknown = 1) =>
    ((obj as Record<string, unknown>)[key] = value);

/** Each class of mistake, the field the error must name, and what it must say. */
export const INVALID_CONFIGS: [string, (c: FabricConfig) => void, string, RegExp][] = [
    [
        "malformed CIDR",
        (c) => (c.addressing!.loopbacks = "172.16.255.0/33"),
        "fabric:addressing.loopbacks",
        /not an IPv4 CIDR/,
    ],
    [
        "CIDR with host bits",
        (c) => (c.kubernetes!.podCidr = "10.233.65.0/18"),
        "fabric:kubernetes.podCidr",
        /host bits set \(did you mean 10\.233\.64\.0\/18\?\)/,
    ],
    [
        "malformed address",
        (c) => (c.leafs[0].loopback = "172.16.255.300"),
        "fabric:leafs[0].loopback",
        /not an IPv4 address/,
    ],
    ["malformed ASN", (c) => (c.leafs[1].asn = 65101.5), "fabric:leafs[1].asn", /not an ASN/],
    [
        "ASN beyond 32 bits",
        (c) => (c.nodes[0].asn = 4294967296),
        "fabric:nodes[0].asn",
        /not an ASN/,
    ],
    ["reserved ASN 0", (c) => (c.leafs[0].asn = 0), "fabric:leafs[0].asn", /0 is reserved/],
    ["reserved ASN 23456", (c) => (c.leafs[0].asn = 23456), "fabric:leafs[0].asn", /AS_TRANS/],
    ["reserved ASN 65535", (c) => (c.asn!.spine = 65535), "fabric:asn.spine", /65535 is reserved/],
    [
        "reserved ASN 4294967295",
        (c) => (c.nodes[2].asn = 4294967295),
        "fabric:nodes[2].asn",
        /4294967295 is reserved/,
    ],
    [
        "overlapping ranges",
        (c) => (c.kubernetes!.serviceCidr = "10.233.64.0/24"),
        "fabric:kubernetes.serviceCidr",
        /overlaps kubernetes\.podCidr 10\.233\.64\.0\/18/,
    ],
    [
        "pool overlapping loopbacks",
        (c) => (c.loadBalancerPools![0].cidr = "172.16.255.128/25"),
        "fabric:loadBalancerPools[0].cidr",
        /overlaps addressing\.loopbacks/,
    ],
    [
        "loopback pin outside its range",
        (c) => (c.spines[0].loopback = "172.16.0.1"),
        "fabric:spines[0].loopback",
        /outside addressing\.loopbacks 172\.16\.255\.0\/24/,
    ],
    [
        "node loopback pin outside its range",
        (c) => (c.nodes[0].loopback = "10.1.4.1"),
        "fabric:nodes[0].loopback",
        /outside addressing\.nodeLoopbacks/,
    ],
    [
        "duplicate name",
        (c) => (c.leafs[3].name = "leaf3"),
        "fabric:leafs[3].name",
        /slot 3 .*already taken by 'leaf3'|already the name/,
    ],
    [
        "duplicate name across roles",
        (c) =>
            c.nodes.push({
                name: "leaf1",
                id: 99,
                uplinks: ["leaf1:swp9"],
                mgmt: { host: "10.10.0.199" },
            }),
        "fabric:nodes[8].name",
        /'leaf1' is already the name of leafs\[0\]/,
    ],
    [
        "duplicate leaf ASN",
        (c) => (c.leafs[1].asn = 65101),
        "fabric:leafs[1].asn",
        /65101 is already the ASN of 'leaf1'.*every leaf needs its own ASN/,
    ],
    [
        "duplicate node ASN",
        (c) => (c.nodes[3].asn = 4200000000),
        "fabric:nodes[3].asn",
        /already the ASN of 'k8s1'/,
    ],
    [
        "ASN shared across roles",
        (c) => (c.leafs[0].asn = 65000),
        "fabric:leafs[0].asn",
        /already the ASN of 'spine1' \(spine\)/,
    ],
    [
        "duplicate router-id",
        (c) => (c.leafs[2].loopback = "172.16.255.101"),
        "fabric:leafs[2].loopback",
        /already the loopback of 'leaf1'/,
    ],
    [
        "duplicate management address",
        (c) => (c.leafs[2].mgmt = { host: "10.10.0.21" }),
        "fabric:leafs[2].mgmt.host",
        /already the management address of 'leaf1'/,
    ],
    [
        "duplicate port",
        (c) => (c.nodes[2].uplinks = ["leaf1:swp1"]),
        "fabric:nodes[2].uplinks[0]",
        /port leaf1:swp1 is already used by nodes\[0\]\.uplinks\[0\]/,
    ],
    [
        "uplink on a spine port",
        (c) => (c.nodes[2].uplinks = ["leaf1:swp51"]),
        "fabric:nodes[2].uplinks[0]",
        /port leaf1:swp51 is already used/,
    ],
    [
        "range too small",
        (c) => (c.addressing!.nodeLoopbacks = "10.1.3.0/29"),
        "fabric:addressing.nodeLoopbacks",
        /too small for 'k8s7'/,
    ],
    [
        "link to unknown device",
        (c) => (c.links = [["spine1:swp1", "leaf9:swp51"]]),
        "fabric:links[0][1]",
        /'leaf9' is not a spine or leaf/,
    ],
    [
        "link between two leafs",
        (c) => (c.links = [["leaf1:swp49", "leaf2:swp49"]]),
        "fabric:links[0]",
        /joins one spine and one leaf/,
    ],
    [
        "malformed port",
        (c) => (c.nodes[0].uplinks = ["leaf1"]),
        "fabric:nodes[0].uplinks[0]",
        /must be 'device:port'/,
    ],
    [
        "uplink to unknown leaf",
        (c) => (c.nodes[1].uplinks = ["leaf7:swp1"]),
        "fabric:nodes[1].uplinks[0]",
        /'leaf7' is not a leaf/,
    ],
    [
        "uplink to a spine",
        (c) => (c.nodes[1].uplinks = ["spine1:swp20"]),
        "fabric:nodes[1].uplinks[0]",
        /'spine1' is not a leaf/,
    ],
    [
        "node without uplink",
        (c) => (c.nodes[4].uplinks = []),
        "fabric:nodes[4].uplinks",
        /needs at least one uplink/,
    ],
    [
        "leaf without spine",
        (c) =>
            (c.links = [
                ["spine1:swp1", "leaf1:swp51"],
                ["spine1:swp2", "leaf2:swp51"],
                ["spine1:swp3", "leaf3:swp51"],
            ]),
        "fabric:leafs[3]",
        /leaf 'leaf4' has no link to any spine/,
    ],
    [
        "VIP outside its pool",
        (c) => (c.loadBalancerPools![0].vips!.dashboard = "172.29.1.7"),
        "fabric:loadBalancerPools[0].vips.dashboard",
        /outside its pool 172\.29\.0\.0\/24/,
    ],
    [
        "VIP used twice",
        (c) => (c.loadBalancerPools![0].vips!.dashboard = "172.29.0.6"),
        "fabric:loadBalancerPools[0].vips.dashboard",
        /already the VIP default\/ingress/,
    ],
    [
        "VIP on a buggy address",
        (c) => (c.loadBalancerPools![0].vips!.dashboard = "172.29.0.255"),
        "fabric:loadBalancerPools[0].vips.dashboard",
        /avoidBuggyIps/,
    ],
    [
        "block size out of range",
        (c) => (c.kubernetes!.blockSize = 33),
        "fabric:kubernetes.blockSize",
        /integer from 20 to 32/,
    ],
    [
        "block size larger than the pod CIDR",
        (c) => (c.kubernetes!.podCidr = "10.233.64.0/27"),
        "fabric:kubernetes.blockSize",
        /larger than the pod CIDR/,
    ],
    [
        "calico-bgp without rack subnets",
        (c) => (c.kubernetes!.routing = "calico-bgp"),
        "fabric:addressing.rackSubnets",
        /calico-bgp mode needs rack subnets/,
    ],
    [
        "calico-bgp node across racks",
        (c) => {
            c.kubernetes!.routing = "calico-bgp";
            c.addressing!.rackSubnets = "10.0.100.0/17";
        },
        "fabric:nodes[0].uplinks",
        /uplinks must all be on leafs of one rack/,
    ],
    [
        "unknown routing mode",
        (c) => ((c.kubernetes as any).routing = "ospf"),
        "fabric:kubernetes.routing",
        /router-on-host, calico-bgp or metallb-bgp/,
    ],
    [
        "metallb-bgp with an encapsulation that needs BGP",
        (c) => {
            calico(c).kubernetes!.routing = "metallb-bgp";
            (c.kubernetes as any).encapsulation = "IPIP";
        },
        "fabric:kubernetes.encapsulation",
        /"IPIP" must be VXLAN or VXLANCrossSubnet \(metallb-bgp: Calico runs without BGP; IPIP and None need it\)/,
    ],
    [
        "encapsulation outside metallb-bgp",
        (c) => ((c.kubernetes as any).encapsulation = "VXLAN"),
        "fabric:kubernetes.encapsulation",
        /is only for kubernetes.routing: metallb-bgp/,
    ],
    [
        "derived ASN leaving the private range",
        (c) => (c.leafs[3].id = 500),
        "fabric:leafs[3].asn",
        /derived ASN 65600 .*leaves the private range 64512–65534/,
    ],
    [
        "name without a slot",
        (c) => (c.spines[1].name = "spine-b"),
        "fabric:spines[1].name",
        /ends with no number to derive its loopback/,
    ],
    [
        "managed device without management address",
        (c) => delete c.leafs[0].mgmt,
        "fabric:leafs[0].mgmt.host",
        /required for a managed device/,
    ],
    [
        "invalid device name",
        (c) => (c.nodes[0].name = "K8S_1"),
        "fabric:nodes[0].name",
        /not a valid device name/,
    ],
    [
        "speaker ASN taken",
        (c) => (c.kubernetes!.speakerAsn = 65101),
        "fabric:kubernetes.speakerAsn",
        /already the ASN of 'leaf1'/,
    ],
    [
        "hold time below 3 × keepalive",
        (c) => (c.bgp = { keepalive: 3, holdtime: 6 }),
        "fabric:bgp.holdtime",
        /at least 3 × keepalive/,
    ],
    // Rack subnets, leaf and node addresses and the rack gateway (calico-bgp).
    [
        "node address: the network address",
        (c) => (calico(c).nodes[0].address = "10.0.101.0"),
        "fabric:nodes[0].address",
        /10\.0\.101\.0 is the network address of its rack subnet 10\.0\.101\.0\/24/,
    ],
    [
        "node address: the broadcast address",
        (c) => (calico(c).nodes[0].address = "10.0.101.255"),
        "fabric:nodes[0].address",
        /is the broadcast address of its rack subnet/,
    ],
    [
        "node address outside its rack",
        (c) => (calico(c).nodes[0].address = "10.0.103.20"),
        "fabric:nodes[0].address",
        /10\.0\.103\.20 is outside its rack subnet 10\.0\.101\.0\/24/,
    ],
    [
        "node address: a leaf's",
        (c) => (calico(c).nodes[1].address = "10.0.101.2"),
        "fabric:nodes[1].address",
        /10\.0\.101\.2 is already the address of 'leaf2'/,
    ],
    [
        "node address: the rack's gateway",
        (c) => {
            calico(c).leafs[0].gateway = "10.0.101.254";
            c.nodes[0].address = "10.0.101.254";
        },
        "fabric:nodes[0].address",
        /is the gateway of its rack 10\.0\.101\.0\/24 \(leafs\[0\]\.gateway\)/,
    ],
    [
        "leaf address outside its rack",
        (c) => (calico(c).leafs[2].address = "10.0.101.3"),
        "fabric:leafs[2].address",
        /10\.0\.101\.3 is outside its rack subnet 10\.0\.103\.0\/24/,
    ],
    [
        "gateway outside its rack",
        (c) => (calico(c).leafs[0].gateway = "10.0.103.254"),
        "fabric:leafs[0].gateway",
        /is outside its rack subnet 10\.0\.101\.0\/24/,
    ],
    [
        "gateway on a leaf's address",
        (c) => (calico(c).leafs[0].gateway = "10.0.101.2"),
        "fabric:leafs[0].gateway",
        /10\.0\.101\.2 is already the address of 'leaf2'/,
    ],
    [
        "two gateways for one rack",
        (c) => {
            calico(c).leafs[0].gateway = "10.0.101.254";
            c.leafs[1].gateway = "10.0.101.253";
        },
        "fabric:leafs[1].gateway",
        /differs from leafs\[0\]\.gateway 10\.0\.101\.254/,
    ],
    [
        "rack subnet too small for a leaf and a node",
        (c) => {
            calico(c).leafs[2].rackSubnet = "10.0.103.0/31";
            c.leafs[3].rackSubnet = "10.0.103.0/31";
        },
        "fabric:leafs[2].rackSubnet",
        /10\.0\.103\.0\/31 has no room for a leaf and a node/,
    ],
    [
        "no room for derived node addresses",
        (c) => {
            calico(c).leafs[2].rackSubnet = "10.0.103.0/30";
            c.leafs[3].rackSubnet = "10.0.103.0/30";
        },
        "fabric:nodes[4].address",
        /rack subnet 10\.0\.103\.0\/30 has no room for derived node addresses; pin address/,
    ],
    [
        "overlapping rack subnets",
        (c) => (calico(c).leafs[2].rackSubnet = "10.0.101.128/25"),
        "fabric:leafs[2].rackSubnet",
        /10\.0\.101\.128\/25 overlaps the rack subnet 10\.0\.101\.0\/24 of 'leaf1'/,
    ],
    [
        "pinned rack subnet overlapping the pods",
        (c) => {
            calico(c).leafs[2].rackSubnet = "10.233.100.0/24";
            c.leafs[3].rackSubnet = "10.233.100.0/24";
        },
        "fabric:leafs[2].rackSubnet",
        /10\.233\.100\.0\/24 overlaps kubernetes\.podCidr 10\.233\.64\.0\/18/,
    ],
    [
        "rack prefix length out of range",
        (c) => (calico(c).addressing!.rackPrefixLength = 30),
        "fabric:addressing.rackPrefixLength",
        /integer from 16 to 29/,
    ],
    [
        "rack pool start off a rack boundary",
        (c) => (calico(c).addressing!.rackSubnets = "10.0.100.128/17"),
        "fabric:addressing.rackSubnets",
        /10\.0\.100\.128\/17 must start on a \/24 boundary \(addressing\.rackPrefixLength\)/,
    ],
    [
        "too many leafs on a small rack for derived addresses",
        (c) => {
            calico(c).leafs[0].rackSubnet =
                c.leafs[1].rackSubnet =
                c.leafs[2].rackSubnet =
                    "10.0.101.0/28";
        },
        "fabric:leafs[2].address",
        /too many leafs share 10\.0\.101\.0\/28 for derived addresses; pin address/,
    ],
    [
        "rack pool smaller than one rack",
        (c) => (calico(c).addressing!.rackSubnets = "10.0.100.0/25"),
        "fabric:addressing.rackSubnets",
        /smaller than one rack subnet \(\/24\); set addressing\.rackPrefixLength/,
    ],
    // Port names: Linux names only where bgp-fabric configures the port.
    [
        "vendor port name on a managed leaf",
        (c) => (c.nodes[0].uplinks = ["leaf1:eth1/1", "leaf2:swp1"]),
        "fabric:nodes[0].uplinks[0]",
        /'eth1\/1' is not a Linux interface name .*bgp-fabric configures 'leaf1'; only a managed: false switch keeps its vendor port names/,
    ],
    // Zero-based names.
    [
        "slot 0 in a one-based fabric",
        (c) => {
            c.leafs[0].name = "leaf0";
            c.nodes[0].uplinks = ["leaf0:swp1", "leaf2:swp1"];
            c.nodes[1].uplinks = ["leaf0:swp2", "leaf2:swp2"];
            c.nodes[2].uplinks = ["leaf0:swp3"];
        },
        "fabric:leafs[0].name",
        /'leaf0' is slot 0, but leafs count from 1; set numbering: zero-based/,
    ],
    [
        "unknown numbering",
        (c) => ((c as any).numbering = "two-based"),
        "fabric:numbering",
        /"two-based" must be one-based or zero-based/,
    ],
    // Bonds.
    [
        "bond without calico-bgp",
        (c) => (c.nodes[0].bond = { name: "bond0" }),
        "fabric:nodes[0].bond",
        /a bond carries the node's address in its rack subnet/,
    ],
    [
        "bond VLAN out of range",
        (c) => (calico(c).nodes[0].bond = { vlan: 4095 }),
        "fabric:nodes[0].bond.vlan",
        /integer from 1 to 4094/,
    ],
    [
        "bond that is not an object",
        (c) => ((calico(c).nodes[0] as any).bond = "bond0"),
        "fabric:nodes[0].bond",
        /must be an object such as \{ name: bond0, vlan: 1500 \}/,
    ],
    [
        "bond name too long with its VLAN",
        (c) => (calico(c).nodes[0].bond = { name: "uplinkbond0", vlan: 1500 }),
        "fabric:nodes[0].bond.name",
        /"uplinkbond0\.1500" is not a Linux interface name/,
    ],
    [
        "bond named like an uplink",
        (c) => (calico(c).nodes[0].bond = { name: "eth1" }),
        "fabric:nodes[0].bond.name",
        /'eth1' is the name of an uplink/,
    ],
    // Unknown keys, at every level, with the nearest known key.
    [
        "unknown top-level key",
        (c) => typo(c, "bogus"),
        "fabric:bogus",
        /^fabric:bogus: unknown key \(known keys: addressing, apply, asn, bgp, externalRouters, kubernetes, leafs, links, loadBalancerPools, name, nodes, numbering, spines, ssh\)$/,
    ],
    [
        "mistyped top-level key",
        (c) => typo(c, "loadBalancerPool", []),
        "fabric:loadBalancerPool",
        /unknown key; did you mean 'loadBalancerPools'\?/,
    ],
    [
        "unknown key on a leaf",
        (c) => typo(c.leafs[0], "asnn", 65999),
        "fabric:leafs[0].asnn",
        /^fabric:leafs\[0\]\.asnn: unknown key; did you mean 'asn'\?$/,
    ],
    [
        "unknown key on a spine",
        (c) => typo(c.spines[1], "loopbak", "172.16.255.2"),
        "fabric:spines[1].loopbak",
        /did you mean 'loopback'\?/,
    ],
    [
        "leaf key on a spine",
        (c) => typo(c.spines[0], "rackSubnet", "10.0.101.0/24"),
        "fabric:spines[0].rackSubnet",
        /unknown key; only a leaf has a rack subnet/,
    ],
    [
        "gateway on a node",
        (c) => typo(c.nodes[0], "gateway", "10.0.101.254"),
        "fabric:nodes[0].gateway",
        /unknown key; a node's gateway is its rack's: set gateway on its leafs/,
    ],
    [
        "mgmt on an external router",
        (c) => typo(c.externalRouters![0], "mgmt", { host: "10.10.0.200" }),
        "fabric:externalRouters[0].mgmt",
        /an external router is never configured by bgp-fabric/,
    ],
    [
        "unknown key on a node",
        (c) => typo(c.nodes[0], "uplink", ["leaf1:swp1"]),
        "fabric:nodes[0].uplink",
        /did you mean 'uplinks'\?/,
    ],
    [
        "unknown key in mgmt",
        (c) => typo(c.leafs[0].mgmt, "hots", "10.10.0.21"),
        "fabric:leafs[0].mgmt.hots",
        /did you mean 'host'\?/,
    ],
    [
        "unknown key in a node's bond",
        (c) => {
            calico(c).nodes[0].bond = {};
            typo(c.nodes[0].bond, "vlna", 1500);
        },
        "fabric:nodes[0].bond.vlna",
        /did you mean 'vlan'\?/,
    ],
    [
        "unknown key in kubernetes",
        (c) => typo(c.kubernetes, "routng", "calico-bgp"),
        "fabric:kubernetes.routng",
        /did you mean 'routing'\?/,
    ],
    [
        "unknown key in asn",
        (c) => typo(c.asn, "leafbase", 65201),
        "fabric:asn.leafbase",
        /did you mean 'leafBase'\?/,
    ],
    [
        "unknown key in addressing",
        (c) => typo(c.addressing, "rackSubnet", "10.0.100.0/17"),
        "fabric:addressing.rackSubnet",
        /did you mean 'rackSubnets'\?/,
    ],
    [
        "unknown key in a pool",
        (c) => typo(c.loadBalancerPools![0], "avoidBuggyIPs", false),
        "fabric:loadBalancerPools[0].avoidBuggyIPs",
        /did you mean 'avoidBuggyIps'\?/,
    ],
    [
        "unknown key on an external router",
        (c) => typo(c.externalRouters![0], "asm", 64512),
        "fabric:externalRouters[0].asm",
        /did you mean 'asn'\?/,
    ],
    [
        "unknown key in bgp",
        (c) => typo((c.bgp = {}), "bdf", false),
        "fabric:bgp.bdf",
        /did you mean 'bfd'\?/,
    ],
    [
        "unknown key in apply",
        (c) => typo((c.apply = {}), "convergeTimout", 30),
        "fabric:apply.convergeTimout",
        /did you mean 'convergeTimeout'\?/,
    ],
    [
        "apply.rollout not one of its values",
        (c) => (c.apply = { rollout: "sometimes" as any }),
        "fabric:apply.rollout",
        /^fabric:apply\.rollout: "sometimes" must be auto, waves or at-once$/,
    ],
    [
        "unknown key in ssh",
        (c) => typo(c.ssh, "usr", "root"),
        "fabric:ssh.usr",
        /did you mean 'user'\?/,
    ],
    [
        "unknown key in numbering",
        (c) => ((c as any).numbering = { leaf: "zero-based" }),
        "fabric:numbering.leaf",
        /did you mean 'leafs'\?/,
    ],
];
