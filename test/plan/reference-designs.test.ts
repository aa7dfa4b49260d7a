import assert from "assert";
import * as path from "path";
import { FabricPlan, planFabric, readStackFile } from "../../plan";
import { assertGolden } from "../support/golden";
import { ROOT, exampleConfig, exampleFiles } from "../support/fixtures";

const pick = (plan: FabricPlan, keys: (keyof FabricPlan["devices"][number])[]) =>
    Object.fromEntries(plan.devices.map((d) => [d.name, keys.map((k) => d[k])]));

describe("planner: reference designs of DESIGN.md", () => {
    it("1 · unnumbered Clos, routing on the host: own ASN per device, host lo /32 from 10.1.3.0/24, no uplink address", () => {
        const plan = planFabric(exampleConfig("ref1"));
        const asns = plan.devices.map((d) => d.asn);
        assert.strictEqual(new Set(asns).size, asns.length, "every device its own ASN");
        const server1 = plan.devices.find((d) => d.name === "server1")!;
        assert.deepStrictEqual(
            [server1.loopback, server1.originates],
            ["10.1.3.1", ["10.1.3.1/32"]],
        );
        assert.deepStrictEqual(
            server1.interfaces.map((i) => [i.name, i.address]),
            [["eth1", undefined]],
        );
        assert.ok(
            plan.sessions.every((s) => s.a.interface && s.b.interface && !s.a.address),
            "fabric is unnumbered",
        );
    });

    it("3 · two-tier IP fabric with Calico: the ASNs, loopbacks and server subnets it lists", () => {
        const plan = planFabric(exampleConfig("ref3"));
        assert.deepStrictEqual(pick(plan, ["asn", "loopback", "rackSubnet", "address"]), {
            spine1: [65001, "172.16.255.1", undefined, undefined],
            spine2: [65002, "172.16.255.2", undefined, undefined],
            leaf1: [65101, "172.16.255.101", "10.0.101.0/24", "10.0.101.1"],
            leaf2: [65102, "172.16.255.102", "10.0.102.0/24", "10.0.102.1"],
            node1: [4200000000, "10.0.101.10", "10.0.101.0/24", "10.0.101.10"],
            node2: [4200000001, "10.0.102.11", "10.0.102.0/24", "10.0.102.11"],
        });
        // each leaf advertises its server subnet to both spines
        for (const leaf of ["leaf1", "leaf2"]) {
            const d = plan.devices.find((x) => x.name === leaf)!;
            assert.ok(d.originates.includes(d.rackSubnet!));
            assert.deepStrictEqual(
                d.neighbors.filter((n) => n.kind === "fabric").map((n) => n.device),
                ["spine1", "spine2"],
            );
        }
    });

    it("3 · the Cumulus VX lab's leafs are Cumulus Linux (ifupdown2 file sent with the apply)", () => {
        const plan = planFabric(exampleConfig("ref3"));
        assert.deepStrictEqual(
            plan.devices.filter((d) => d.role === "leaf").map((d) => d.platform),
            ["cumulus", "cumulus"],
        );
    });

    it("4 · as DESIGN.md states it: two vendor leafs on one /28 (SVIs .204/.205, gateway .206), their port names, no spine", () => {
        const plan = planFabric(exampleConfig("ref4"));
        assert.deepStrictEqual(
            plan.devices.filter((d) => d.role === "spine"),
            [],
        );
        assert.deepStrictEqual(pick(plan, ["asn", "rackSubnet", "address", "gateway"]), {
            leaf1: [63500, "192.168.9.192/28", "192.168.9.204", "192.168.9.206"],
            leaf2: [63500, "192.168.9.192/28", "192.168.9.205", "192.168.9.206"],
            k8s1: [63551, "192.168.9.192/28", "192.168.9.193", "192.168.9.206"],
            k8s2: [63552, "192.168.9.192/28", "192.168.9.194", "192.168.9.206"],
            k8s3: [63553, "192.168.9.192/28", "192.168.9.195", "192.168.9.206"],
        });
        assert.deepStrictEqual(
            plan.devices
                .find((d) => d.name === "k8s3")!
                .interfaces.map((i) => `${i.name}→${i.peer.device}:${i.peer.port}`),
            ["eth1→leaf1:eth1/3", "eth2→leaf2:eth1/3"],
        );
    });

    it("4 · Calico + MetalLB on a vendor fabric: nodes 63551–63553 peer with both leafs (AS 63500)", () => {
        const plan = planFabric(exampleConfig("ref4"));
        for (const [node, asn] of [
            ["k8s1", 63551],
            ["k8s2", 63552],
            ["k8s3", 63553],
        ] as const) {
            const d = plan.devices.find((x) => x.name === node)!;
            assert.strictEqual(d.asn, asn);
            assert.deepStrictEqual(
                d.neighbors.map((n) => [n.device, n.asn]),
                [
                    ["leaf1", 63500],
                    ["leaf2", 63500],
                ],
            );
        }
        assert.ok(
            plan.devices.filter((d) => d.role !== "node").every((d) => !d.managed),
            "the vendor switches are not ours",
        );
        assert.deepStrictEqual(plan.kubernetes, {
            ...plan.kubernetes,
            routing: "calico-bgp",
            podCidr: "172.27.0.0/16",
            serviceCidr: "172.28.0.0/16",
            blockSize: 26,
        });
        assert.deepStrictEqual(plan.pools, [
            {
                name: "services",
                cidr: "172.29.0.0/16",
                vips: { web: "172.29.0.6", api: "172.29.0.7" },
                avoidBuggyIps: true,
                autoAssign: true,
            },
        ]);
    });

    it("5 · an external router (10.192.0.7, AS 64512) peers with every node; the pool is 198.51.100.0/24", () => {
        const plan = planFabric(exampleConfig("ref5-external"));
        const router = plan.devices.find((d) => d.name === "router1")!;
        assert.deepStrictEqual(
            [router.asn, router.address, router.managed],
            [64512, "10.192.0.7", false],
        );
        assert.deepStrictEqual(
            router.neighbors.map((n) => n.device),
            ["node1", "node2", "node3"],
        );
        assert.strictEqual(plan.pools[0].cidr, "198.51.100.0/24");
    });

    it("5 · MetalLB speaks BGP itself (metallb-bgp): iBGP, AS 64512 on both sides, no spine, Calico over VXLAN", () => {
        const plan = planFabric(exampleConfig("ref5-external"));
        assert.strictEqual(plan.kubernetes.routing, "metallb-bgp");
        assert.strictEqual(plan.kubernetes.calicoEncapsulation, "VXLAN");
        assert.deepStrictEqual(
            plan.devices.filter((d) => d.role === "spine"),
            [],
        );
        assert.deepStrictEqual(
            plan.sessions.map((s) => [
                s.a.device,
                s.a.asn,
                s.a.address,
                s.b.device,
                s.b.asn,
                s.b.address,
                s.kind,
            ]),
            [1, 2, 3].map((i) => [
                "router1",
                64512,
                "10.192.0.7",
                `node${i}`,
                64512,
                `10.192.0.1${i}`,
                "server",
            ]),
        );
    });

    it("metallb-bgp lets the nodes share one ASN (MetalLB's myASN) and the router's (iBGP); calico-bgp does not", () => {
        const c = exampleConfig("ref5-external");
        assert.doesNotThrow(() => planFabric(c));
        c.kubernetes = { ...c.kubernetes, routing: "calico-bgp" };
        delete (c.kubernetes as { encapsulation?: string }).encapsulation;
        assert.throws(
            () => planFabric(c),
            /fabric:nodes\[0\]\.asn: 64512 is already the ASN of 'router1'/,
        );
    });

    it("5 · the calico-bgp reinterpretation stays an example of its own", () => {
        assert.strictEqual(
            planFabric(exampleConfig("ref5-reinterpreted")).kubernetes.routing,
            "calico-bgp",
        );
    });

    for (const file of [path.join(ROOT, "Pulumi.dev.yaml"), ...exampleFiles()]) {
        const name = path.basename(file, ".yaml").replace(/^Pulumi\./, "");
        it(`matches the golden plan of ${name}`, () => {
            const plan = planFabric(readStackFile({ config: file, root: ROOT }).config);
            assertGolden(`plans/${name}.json`, JSON.stringify(plan, null, 2) + "\n");
        });
    }
});
