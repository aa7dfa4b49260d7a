// Fabrics as users type them in (issue 14): rack subnets of any size with a
// gateway, vendor port names on someone else's switches, no spine of ours,
// zero-based names, and no silently ignored key.

import assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FabricConfig, FabricPlan, planFabric, readStackFile } from "../../plan";
import { nearestKey } from "../../plan/keys";
import { devConfig } from "../support/fixtures";
import { calico, configErrors } from "./invalid-configs";

const device = (plan: FabricPlan, name: string) => {
    const d = plan.devices.find((x) => x.name === name);
    assert.ok(d, `no device ${name}`);
    return d;
};

/** Design 4's rack: two vendor leafs sharing 192.168.9.192/28, SVIs .204/.205, gateway .206, nodes .193–.195. */
function vendorPair(extra: Partial<FabricConfig> = {}): FabricConfig {
    return {
        name: "vendor",
        leafs: [
            {
                name: "leaf1",
                managed: false,
                asn: 63500,
                rackSubnet: "192.168.9.192/28",
                address: "192.168.9.204",
                gateway: "192.168.9.206",
            },
            {
                name: "leaf2",
                managed: false,
                asn: 63500,
                rackSubnet: "192.168.9.192/28",
                address: "192.168.9.205",
            },
        ],
        nodes: [1, 2, 3].map((n) => ({
            name: `k8s${n}`,
            asn: 63550 + n,
            address: `192.168.9.${192 + n}`,
            uplinks: [`leaf1:eth1/${n}`, `leaf2:eth1/${n}`],
            mgmt: { host: `192.168.9.${192 + n}` },
        })),
        kubernetes: { routing: "calico-bgp" },
        ...extra,
    } as FabricConfig;
}

describe("planner: rack subnets as real racks have them", () => {
    it("takes a /28 shared by a vendor leaf pair, outside any pool: each leaf its own SVI, one gateway for the rack and its nodes", () => {
        const plan = planFabric(vendorPair());
        assert.deepStrictEqual(
            plan.devices.map((d) => [d.name, d.rackSubnet, d.address, d.gateway]),
            [
                ["leaf1", "192.168.9.192/28", "192.168.9.204", "192.168.9.206"],
                ["leaf2", "192.168.9.192/28", "192.168.9.205", "192.168.9.206"],
                ["k8s1", "192.168.9.192/28", "192.168.9.193", "192.168.9.206"],
                ["k8s2", "192.168.9.192/28", "192.168.9.194", "192.168.9.206"],
                ["k8s3", "192.168.9.192/28", "192.168.9.195", "192.168.9.206"],
            ],
        );
        assert.deepStrictEqual(
            device(plan, "k8s2").neighbors.map((n) => [n.device, n.address, n.asn]),
            [
                ["leaf1", "192.168.9.204", 63500],
                ["leaf2", "192.168.9.205", 63500],
            ],
        );
        // Someone else's leaf is known by its SVI: no loopback of ours is made up for it.
        assert.deepStrictEqual(
            [device(plan, "leaf1").loopback, device(plan, "leaf2").loopback],
            ["192.168.9.204", "192.168.9.205"],
        );
        assert.strictEqual(plan.addressing.rackSubnets, undefined);
    });

    it("accepts a managed pair's pinned rack outside addressing.rackSubnets", () => {
        const c = calico(devConfig());
        c.leafs[0].rackSubnet = c.leafs[1].rackSubnet = "192.168.9.192/28";
        c.nodes = c.nodes.filter((n) => ["k8s1", "k8s2", "k8s3", "k8s4"].includes(n.name));
        const plan = planFabric(c);
        assert.deepStrictEqual(
            ["leaf1", "leaf2", "k8s1", "k8s2", "k8s3", "k8s4"].map((n) => device(plan, n).address),
            // leafs .1 and .2, nodes from .3 in a rack smaller than a /27
            [
                "192.168.9.193",
                "192.168.9.194",
                "192.168.9.195",
                "192.168.9.196",
                "192.168.9.197",
                "192.168.9.198",
            ],
        );
    });

    it("carves /29 racks from the pool with addressing.rackPrefixLength, and /24 by default", () => {
        const c = calico(devConfig());
        c.addressing!.rackSubnets = "10.0.100.0/24";
        c.addressing!.rackPrefixLength = 29;
        c.leafs[1].rackSubnet = "10.0.100.8/29";
        c.leafs[3].rackSubnet = "10.0.100.24/29";
        c.nodes = c.nodes.filter((n) =>
            ["k8s1", "k8s2", "k8s3", "k8s5", "k8s6", "k8s7"].includes(n.name),
        );
        const plan = planFabric(c);
        assert.deepStrictEqual(
            ["leaf1", "leaf2", "leaf3", "k8s1", "k8s2", "k8s3", "k8s5"].map((n) => [
                device(plan, n).rackSubnet,
                device(plan, n).address,
            ]),
            [
                ["10.0.100.8/29", "10.0.100.9"],
                ["10.0.100.8/29", "10.0.100.10"],
                ["10.0.100.24/29", "10.0.100.25"],
                ["10.0.100.8/29", "10.0.100.11"],
                ["10.0.100.8/29", "10.0.100.12"],
                ["10.0.100.8/29", "10.0.100.13"],
                // node slots wrap in the three node addresses of a /29 (.11–.13 here, .27–.29 there)
                ["10.0.100.24/29", "10.0.100.28"],
            ],
        );
        assert.strictEqual(
            device(planFabric(calico(devConfig())), "leaf3").rackSubnet,
            "10.0.103.0/24",
        );
    });
});

describe("planner: someone else's switches keep their port names", () => {
    it("takes eth1/1, Ethernet1/1, ge-0/0/1 and xe-0/0/0:1 on unmanaged leafs and spines", () => {
        const c = vendorPair();
        c.nodes[0].uplinks = ["leaf1:Ethernet1/1", "leaf2:ge-0/0/1"];
        c.nodes[1].uplinks = ["leaf1:xe-0/0/0:1", "leaf2:eth1/2"];
        const plan = planFabric(c);
        assert.deepStrictEqual(
            device(plan, "k8s1").interfaces.map((i) => [i.name, i.peer.port]),
            [
                ["eth1", "Ethernet1/1"],
                ["eth2", "ge-0/0/1"],
            ],
        );
        assert.deepStrictEqual(
            device(plan, "leaf1").interfaces.map((i) => i.name),
            ["eth1/3", "Ethernet1/1", "xe-0/0/0:1"],
        );

        const d = devConfig();
        d.spines[1] = { name: "spine2", managed: false, asn: 65010, loopback: "172.16.255.2" };
        d.links = d.leafs.flatMap((l, i) => [
            [`spine1:swp${i + 1}`, `${l.name}:swp51`],
            [`spine2:Ethernet1/${i + 1}`, `${l.name}:swp52`],
        ]) as [string, string][];
        const p = planFabric(d);
        assert.deepStrictEqual(
            device(p, "spine2")
                .interfaces.filter((i) => i.kind === "fabric")
                .map((i) => i.name),
            ["Ethernet1/1", "Ethernet1/2", "Ethernet1/3", "Ethernet1/4"],
        );
    });

    it("still wants Linux names on the ports it configures, on either end of a fabric link", () => {
        const d = devConfig();
        d.links = [["spine1:Ethernet1/1", "leaf1:swp51"]];
        assert.ok(
            configErrors(d).some((e) =>
                /^fabric:links\[0\]\[0\]: 'Ethernet1\/1' is not a Linux interface name/.test(e),
            ),
            configErrors(d).join("\n"),
        );
    });
});

describe("planner: a fabric with no spine of ours", () => {
    it("treats absent device lists as empty: only leafs (vendor or ours) and nodes", () => {
        const plan = planFabric(vendorPair());
        assert.deepStrictEqual(
            plan.devices.filter((d) => d.role === "spine"),
            [],
        );
        assert.deepStrictEqual(
            plan.sessions.map((s) => s.kind),
            Array(6).fill("server"),
        );

        const ours = devConfig();
        delete (ours as Partial<FabricConfig>).spines;
        delete ours.externalRouters;
        const p = planFabric(ours);
        assert.ok(p.sessions.every((s) => s.kind === "server"));
        assert.deepStrictEqual(
            device(p, "leaf1").interfaces.map((i) => i.kind),
            ["server", "server", "server"],
        );
    });

    it("plans leafs and external routers without spines", () => {
        const c = devConfig();
        c.spines = [];
        c.externalRouters = [
            {
                name: "border1",
                asn: 64512,
                loopback: "172.16.253.1",
                links: ["leaf1:swp49", "leaf2:swp49"],
            },
        ];
        const plan = planFabric(c);
        assert.deepStrictEqual(
            device(plan, "border1").neighbors.map((n) => [n.device, n.address]),
            [
                ["leaf1", "172.16.254.0"],
                ["leaf2", "172.16.254.2"],
            ],
        );
        assert.strictEqual(plan.sessions.filter((s) => s.kind === "external").length, 2);
    });

    it("an absent node list is an empty one; an absent leaf list still needs a leaf", () => {
        const c = devConfig();
        delete (c as Partial<FabricConfig>).nodes;
        assert.strictEqual(planFabric(c).devices.filter((d) => d.role === "node").length, 0);
        delete (c as Partial<FabricConfig>).leafs;
        assert.deepStrictEqual(
            configErrors(c).filter((e) => e.startsWith("fabric:leafs")),
            ["fabric:leafs: at least one leaf is required"],
        );
    });
});

/** The dev stack with every device renamed one lower (spine0, leaf0, k8s0, border0) and numbering: zero-based. */
function zeroBasedDev(numbering: FabricConfig["numbering"] = "zero-based"): FabricConfig {
    const text = JSON.stringify(devConfig()).replace(
        /\b(spine|leaf|k8s|border)(\d+)\b/g,
        (_, role, n) => `${role}${+n - 1}`,
    );
    return { ...JSON.parse(text), numbering };
}

/** A plan with every device name shifted back up by one and each slot replaced by its ordinal, for comparing with the one-based plan. */
function renamedUp(plan: FabricPlan): unknown {
    const text = JSON.stringify(plan).replace(
        /\b(spine|leaf|k8s|border)(\d+)\b/g,
        (_, role, n) => `${role}${+n + 1}`,
    );
    const up = JSON.parse(text) as FabricPlan;
    for (const d of up.devices) {
        d.slot = d.ordinal;
        delete d.ordinal;
    }
    return up;
}

describe("planner: zero-based names", () => {
    it("gives spine0, leaf0, k8s0, border0 exactly what spine1, leaf1, k8s1, border1 get one-based: ASNs, loopbacks, ports, links", () => {
        for (const links of ["unnumbered", "10.255.0.0/24"]) {
            const one = devConfig();
            one.addressing!.links = links;
            const zero = zeroBasedDev();
            zero.addressing!.links = links;
            const plan = planFabric(zero);
            assert.deepStrictEqual(
                renamedUp(plan),
                JSON.parse(JSON.stringify(planFabric(one))),
                links,
            );
            assert.deepStrictEqual(
                [
                    device(plan, "leaf0").slot,
                    device(plan, "leaf0").ordinal,
                    device(plan, "leaf0").asn,
                ],
                [0, 1, 65101],
            );
        }
        const plan = planFabric(zeroBasedDev());
        // leaf port to spine M is swp(51+M), spine port to leaf N is swp(N+1): never swp0, never a clash.
        assert.deepStrictEqual(
            device(plan, "leaf0")
                .interfaces.filter((i) => i.kind === "fabric")
                .map((i) => `${i.name}→${i.peer.device}:${i.peer.port}`),
            ["swp51→spine0:swp1", "swp52→spine1:swp1"],
        );
    });

    it("takes a pinned id 0, and zero-based numbering for one device list only", () => {
        const c = devConfig();
        c.numbering = { nodes: "zero-based" };
        c.nodes[0] = { ...c.nodes[0], name: "k8s-first", id: 0 };
        const plan = planFabric(c);
        assert.deepStrictEqual(
            [device(plan, "k8s-first").asn, device(plan, "k8s-first").loopback],
            [4200000000, "10.1.3.1"],
        );
        assert.deepStrictEqual(
            [device(plan, "k8s2").asn, device(plan, "k8s2").loopback],
            [4200000002, "10.1.3.3"],
        );
        assert.deepStrictEqual(
            [device(plan, "leaf1").asn, device(plan, "spine1").loopback],
            [65101, "172.16.255.1"],
        );
    });

    it("zero-based calico racks: leaf0 gets leaf1's rack, k8s0 its first node address", () => {
        const zero = calico(zeroBasedDev());
        const plan = planFabric(zero);
        assert.deepStrictEqual(
            [
                device(plan, "leaf0").rackSubnet,
                device(plan, "leaf0").address,
                device(plan, "k8s0").address,
            ],
            ["10.0.101.0/24", "10.0.101.1", "10.0.101.10"],
        );
    });

    it("never says a number is missing when it is there", () => {
        const c = devConfig();
        c.leafs[0].name = "leaf0";
        c.nodes = c.nodes.map((n) => ({
            ...n,
            uplinks: n.uplinks.map((u) => u.replace(/^leaf1:/, "leaf0:")),
        }));
        const all = configErrors(c);
        assert.ok(all.length > 0);
        assert.ok(!all.some((e) => /no number/.test(e)), all.join("\n"));
        assert.deepStrictEqual(all, [
            "fabric:leafs[0].name: 'leaf0' is slot 0, but leafs count from 1; set numbering: zero-based (then leaf0 gets what slot 1 gets in a one-based fabric) or pin a non-zero leafs[0].id",
        ]);
    });
});

describe("planner: unknown keys", () => {
    it("finds the nearest known key: case, a transposition, a letter or two; nothing when none is close", () => {
        assert.strictEqual(nearestKey("asnn", ["asn", "address"]), "asn");
        assert.strictEqual(nearestKey("hots", ["host", "port"]), "host");
        assert.strictEqual(nearestKey("podCIDR", ["podCidr", "serviceCidr"]), "podCidr");
        assert.strictEqual(nearestKey("routng", ["routing"]), "routing");
        assert.strictEqual(nearestKey("bogus", ["bgp", "asn", "ssh"]), undefined);
    });

    it("refuses the issue's typos together: asnn on a leaf, hots in mgmt, routng in kubernetes, fabric:bogus", () => {
        const c = devConfig() as any;
        c.leafs[0].asnn = 65999;
        c.leafs[1].mgmt.hots = "10.10.0.22";
        c.kubernetes.routng = "calico-bgp";
        c.bogus = true;
        assert.deepStrictEqual(
            configErrors(c).filter((e) => /unknown key/.test(e)),
            [
                "fabric:bogus: unknown key (known keys: addressing, apply, asn, bgp, externalRouters, kubernetes, leafs, links, loadBalancerPools, name, nodes, numbering, spines, ssh)",
                "fabric:kubernetes.routng: unknown key; did you mean 'routing'?",
                "fabric:leafs[0].asnn: unknown key; did you mean 'asn'?",
                "fabric:leafs[1].mgmt.hots: unknown key; did you mean 'host'?",
            ],
        );
    });

    it("judges every fabric:* key of a stack file (what the Pulumi reader must pass too)", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "keys-")), "Pulumi.typo.yaml");
        const dev = fs.readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8");
        fs.writeFileSync(
            file,
            dev.replace(
                "  fabric:name: dev\n",
                "  fabric:name: dev\n  fabric:kubernetess: { routing: calico-bgp }\n  aws:region: eu-west-1\n",
            ),
        );
        assert.deepStrictEqual(configErrors(readStackFile({ config: file }).config), [
            "fabric:kubernetess: unknown key; did you mean 'kubernetes'?",
        ]);
    });

    it("does not judge user-chosen names (VIP names) or secrets", () => {
        const c = devConfig();
        c.loadBalancerPools![0].vips = { anything: "172.29.0.9" };
        c.ssh = { ...c.ssh, privateKey: { secure: "AAAA" } };
        c.spines[0].bgpPassword = { secure: "AAAB" };
        assert.deepStrictEqual(configErrors(c), []);
    });
});

describe("planner: bonded nodes (plan level)", () => {
    it("bonds a node's uplinks to a pair, with its rack address on the VLAN interface", () => {
        const c = vendorPair();
        c.nodes[0].bond = { name: "bond0", vlan: 1500 };
        c.nodes[1].bond = {};
        const plan = planFabric(c);
        assert.deepStrictEqual(device(plan, "k8s1").bond, {
            name: "bond0",
            members: ["eth1", "eth2"],
            vlan: 1500,
            interface: "bond0.1500",
        });
        assert.deepStrictEqual(device(plan, "k8s2").bond, {
            name: "bond0",
            members: ["eth1", "eth2"],
            interface: "bond0",
        });
        assert.strictEqual(device(plan, "k8s3").bond, undefined);
        // Still one session per leaf, from the node's one address.
        assert.deepStrictEqual(
            device(plan, "k8s1").neighbors.map((n) => n.address),
            ["192.168.9.204", "192.168.9.205"],
        );
    });
});
