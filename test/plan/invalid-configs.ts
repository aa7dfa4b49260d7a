// The catalogue of invalid configs: each mutates the dev stack in one way,
// names the field the planner must blame and what it must say. Used by the
// validation tests and to write docs/config-errors.md.

import assert from "assert";
import { FabricConfig, FabricConfigError, planFabric } from "../../plan";
import { devConfig } from "../support/fixtures";

/** Plan a mutated dev config and return its errors as `field: message` lines. */
export function errorsOf(mutate: (c: FabricConfig) => void): string[] {
    const c = devConfig();
    mutate(c);
    try {
        planFabric(c);
    } catch (err) {
        assert.ok(err instanceof FabricConfigError, String(err));
        return err.errors.map((e) => `${e.field}: ${e.message}`);
    }
    return [];
}

/** Each class of mistake, the field the error must name, and what it must say. */
export const INVALID_CONFIGS: [string, (c: FabricConfig) => void, string, RegExp][] = [
    ["malformed CIDR", (c) => (c.addressing!.loopbacks = "172.16.255.0/33"), "fabric:addressing.loopbacks", /not an IPv4 CIDR/],
    ["CIDR with host bits", (c) => (c.kubernetes!.podCidr = "10.233.65.0/18"), "fabric:kubernetes.podCidr", /host bits set \(did you mean 10\.233\.64\.0\/18\?\)/],
    ["malformed address", (c) => (c.leafs[0].loopback = "172.16.255.300"), "fabric:leafs[0].loopback", /not an IPv4 address/],
    ["malformed ASN", (c) => (c.leafs[1].asn = 65101.5), "fabric:leafs[1].asn", /not an ASN/],
    ["ASN beyond 32 bits", (c) => (c.nodes[0].asn = 4294967296), "fabric:nodes[0].asn", /not an ASN/],
    ["reserved ASN 0", (c) => (c.leafs[0].asn = 0), "fabric:leafs[0].asn", /0 is reserved/],
    ["reserved ASN 23456", (c) => (c.leafs[0].asn = 23456), "fabric:leafs[0].asn", /AS_TRANS/],
    ["reserved ASN 65535", (c) => (c.asn!.spine = 65535), "fabric:asn.spine", /65535 is reserved/],
    ["reserved ASN 4294967295", (c) => (c.nodes[2].asn = 4294967295), "fabric:nodes[2].asn", /4294967295 is reserved/],
    ["overlapping ranges", (c) => (c.kubernetes!.serviceCidr = "10.233.64.0/24"), "fabric:kubernetes.serviceCidr", /overlaps kubernetes\.podCidr 10\.233\.64\.0\/18/],
    ["pool overlapping loopbacks", (c) => (c.loadBalancerPools![0].cidr = "172.16.255.128/25"), "fabric:loadBalancerPools[0].cidr", /overlaps addressing\.loopbacks/],
    ["loopback pin outside its range", (c) => (c.spines[0].loopback = "172.16.0.1"), "fabric:spines[0].loopback", /outside addressing\.loopbacks 172\.16\.255\.0\/24/],
    ["node loopback pin outside its range", (c) => (c.nodes[0].loopback = "10.1.4.1"), "fabric:nodes[0].loopback", /outside addressing\.nodeLoopbacks/],
    ["duplicate name", (c) => (c.leafs[3].name = "leaf3"), "fabric:leafs[3].name", /slot 3 .*already taken by 'leaf3'|already the name/],
    ["duplicate name across roles", (c) => c.nodes.push({ name: "leaf1", id: 99, uplinks: ["leaf1:swp9"], mgmt: { host: "10.10.0.199" } }), "fabric:nodes[8].name", /'leaf1' is already the name of leafs\[0\]/],
    ["duplicate leaf ASN", (c) => (c.leafs[1].asn = 65101), "fabric:leafs[1].asn", /65101 is already the ASN of 'leaf1'.*every leaf needs its own ASN/],
    ["duplicate node ASN", (c) => (c.nodes[3].asn = 4200000000), "fabric:nodes[3].asn", /already the ASN of 'k8s1'/],
    ["ASN shared across roles", (c) => (c.leafs[0].asn = 65000), "fabric:leafs[0].asn", /already the ASN of 'spine1' \(spine\)/],
    ["duplicate router-id", (c) => (c.leafs[2].loopback = "172.16.255.101"), "fabric:leafs[2].loopback", /already the loopback of 'leaf1'/],
    ["duplicate management address", (c) => (c.leafs[2].mgmt = { host: "10.10.0.21" }), "fabric:leafs[2].mgmt.host", /already the management address of 'leaf1'/],
    ["duplicate port", (c) => (c.nodes[2].uplinks = ["leaf1:swp1"]), "fabric:nodes[2].uplinks[0]", /port leaf1:swp1 is already used by nodes\[0\]\.uplinks\[0\]/],
    ["uplink on a spine port", (c) => (c.nodes[2].uplinks = ["leaf1:swp51"]), "fabric:nodes[2].uplinks[0]", /port leaf1:swp51 is already used/],
    ["range too small", (c) => (c.addressing!.nodeLoopbacks = "10.1.3.0/29"), "fabric:addressing.nodeLoopbacks", /too small for 'k8s7'/],
    ["link to unknown device", (c) => (c.links = [["spine1:swp1", "leaf9:swp51"]]), "fabric:links[0][1]", /'leaf9' is not a spine or leaf/],
    ["link between two leafs", (c) => (c.links = [["leaf1:swp49", "leaf2:swp49"]]), "fabric:links[0]", /joins one spine and one leaf/],
    ["malformed port", (c) => (c.nodes[0].uplinks = ["leaf1"]), "fabric:nodes[0].uplinks[0]", /must be 'device:port'/],
    ["uplink to unknown leaf", (c) => (c.nodes[1].uplinks = ["leaf7:swp1"]), "fabric:nodes[1].uplinks[0]", /'leaf7' is not a leaf/],
    ["uplink to a spine", (c) => (c.nodes[1].uplinks = ["spine1:swp20"]), "fabric:nodes[1].uplinks[0]", /'spine1' is not a leaf/],
    ["node without uplink", (c) => (c.nodes[4].uplinks = []), "fabric:nodes[4].uplinks", /needs at least one uplink/],
    ["leaf without spine", (c) => (c.links = [["spine1:swp1", "leaf1:swp51"], ["spine1:swp2", "leaf2:swp51"], ["spine1:swp3", "leaf3:swp51"]]), "fabric:leafs[3]", /leaf 'leaf4' has no link to any spine/],
    ["VIP outside its pool", (c) => (c.loadBalancerPools![0].vips!.dashboard = "172.29.1.7"), "fabric:loadBalancerPools[0].vips.dashboard", /outside its pool 172\.29\.0\.0\/24/],
    ["VIP used twice", (c) => (c.loadBalancerPools![0].vips!.dashboard = "172.29.0.6"), "fabric:loadBalancerPools[0].vips.dashboard", /already the VIP default\/ingress/],
    ["VIP on a buggy address", (c) => (c.loadBalancerPools![0].vips!.dashboard = "172.29.0.255"), "fabric:loadBalancerPools[0].vips.dashboard", /avoidBuggyIps/],
    ["block size out of range", (c) => (c.kubernetes!.blockSize = 33), "fabric:kubernetes.blockSize", /integer from 20 to 32/],
    ["block size larger than the pod CIDR", (c) => (c.kubernetes!.podCidr = "10.233.64.0/27"), "fabric:kubernetes.blockSize", /larger than the pod CIDR/],
    ["calico-bgp without rack subnets", (c) => (c.kubernetes!.routing = "calico-bgp"), "fabric:addressing.rackSubnets", /calico-bgp mode needs rack subnets/],
    ["calico-bgp node across racks", (c) => { c.kubernetes!.routing = "calico-bgp"; c.addressing!.rackSubnets = "10.0.100.0/17"; }, "fabric:nodes[0].uplinks", /uplinks must all be on leafs of one rack/],
    ["unknown routing mode", (c) => ((c.kubernetes as any).routing = "ospf"), "fabric:kubernetes.routing", /router-on-host or calico-bgp/],
    ["derived ASN leaving the private range", (c) => (c.leafs[3].id = 500), "fabric:leafs[3].asn", /derived ASN 65600 .*leaves the private range 64512–65534/],
    ["name without a slot", (c) => (c.spines[1].name = "spine-b"), "fabric:spines[1].name", /ends with no number/],
    ["managed device without management address", (c) => delete c.leafs[0].mgmt, "fabric:leafs[0].mgmt.host", /required for a managed device/],
    ["invalid device name", (c) => (c.nodes[0].name = "K8S_1"), "fabric:nodes[0].name", /not a valid device name/],
    ["speaker ASN taken", (c) => (c.kubernetes!.speakerAsn = 65101), "fabric:kubernetes.speakerAsn", /already the ASN of 'leaf1'/],
    ["hold time below 3 × keepalive", (c) => (c.bgp = { keepalive: 3, holdtime: 6 }), "fabric:bgp.holdtime", /at least 3 × keepalive/],
];
