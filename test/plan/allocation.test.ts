import assert from "assert";
import { planFabric } from "../../plan";
import { devConfig } from "../support/fixtures";

const device = (plan: ReturnType<typeof planFabric>, name: string) =>
    plan.devices.find((d) => d.name === name)!;

describe("planner: allocation", () => {
    const plan = planFabric(devConfig());

    it("gives the spines one shared ASN and every leaf and node its own (RFC 7938)", () => {
        assert.deepStrictEqual(
            plan.devices.filter((d) => d.role !== "external").map((d) => [d.name, d.asn]),
            [
                ["spine1", 65000],
                ["spine2", 65000],
                ["leaf1", 65101],
                ["leaf2", 65102],
                ["leaf3", 65103],
                ["leaf4", 65104],
                ["k8s1", 4200000000],
                ["k8s2", 4200000001],
                ["k8s3", 4200000002],
                ["k8s4", 4200000003],
                ["k8s5", 4200000004],
                ["k8s6", 4200000005],
                ["k8s7", 4200000006],
                ["k8s8", 4200000007],
            ],
        );
    });

    it("derives loopbacks from the slot: spines .N, leafs .100+N, nodes from the node range", () => {
        assert.strictEqual(device(plan, "spine2").loopback, "172.16.255.2");
        assert.strictEqual(device(plan, "leaf3").loopback, "172.16.255.103");
        assert.strictEqual(device(plan, "k8s8").loopback, "10.1.3.8");
        assert.deepStrictEqual(device(plan, "k8s8").originates, ["10.1.3.8/32"]);
    });

    it("cables every leaf to every spine with Cumulus port names, unnumbered", () => {
        const leaf2 = device(plan, "leaf2");
        const fabric = leaf2.interfaces.filter((i) => i.kind === "fabric");
        assert.deepStrictEqual(
            fabric.map((i) => [i.name, i.peer.device, i.peer.port, i.address]),
            [
                ["swp51", "spine1", "swp2", undefined],
                ["swp52", "spine2", "swp2", undefined],
            ],
        );
        assert.strictEqual(plan.sessions.filter((s) => s.kind === "fabric").length, 8);
        const n = leaf2.neighbors.find((x) => x.device === "spine2")!;
        assert.deepStrictEqual([n.interface, n.asn, n.bfd], ["swp52", 65000, true]);
    });

    it("attaches nodes to their leafs, dual-attached ones to two", () => {
        const k8s1 = device(plan, "k8s1");
        assert.deepStrictEqual(
            k8s1.neighbors.map((n) => [n.device, n.interface, n.asn]),
            [
                ["leaf1", "eth1", 65101],
                ["leaf2", "eth2", 65102],
            ],
        );
        assert.strictEqual(plan.sessions.filter((s) => s.kind === "server").length, 12);
    });

    it("plans every session once, with both ends agreeing", () => {
        for (const s of plan.sessions) {
            const a = device(plan, s.a.device);
            const b = device(plan, s.b.device);
            assert.strictEqual(s.a.asn, a.asn);
            assert.strictEqual(s.b.asn, b.asn);
            assert.ok(
                a.neighbors.some((n) => n.sessionId === s.id && n.asn === b.asn),
                s.id,
            );
            assert.ok(
                b.neighbors.some((n) => n.sessionId === s.id && n.asn === a.asn),
                s.id,
            );
        }
        assert.strictEqual(new Set(plan.sessions.map((s) => s.id)).size, plan.sessions.length);
    });

    it("numbers fabric links from a CIDR as /31s keyed by leaf and spine slot", () => {
        const c = devConfig();
        c.addressing = { ...c.addressing, links: "10.255.0.0/24" };
        const p = planFabric(c);
        const leaf2 = device(p, "leaf2");
        // leaf slot 2, spine slot 1 → index (2−1)×16 + 0 = 16 → 10.255.0.32/31
        assert.strictEqual(
            leaf2.interfaces.find((i) => i.name === "swp51")!.address,
            "10.255.0.33/31",
        );
        assert.strictEqual(
            device(p, "spine1").interfaces.find((i) => i.name === "swp2")!.address,
            "10.255.0.32/31",
        );
        assert.strictEqual(
            leaf2.neighbors.find((n) => n.device === "spine1")!.address,
            "10.255.0.32",
        );
    });

    it("gives spines unique ASNs from spineBase when asked", () => {
        const c = devConfig();
        c.asn = { spine: "unique", spineBase: 65001 };
        const p = planFabric(c);
        assert.deepStrictEqual([device(p, "spine1").asn, device(p, "spine2").asn], [65001, 65002]);
    });

    it("takes every pin over the derived value", () => {
        const c = devConfig();
        Object.assign(c.leafs[1], { asn: 65200, loopback: "172.16.255.222" });
        Object.assign(c.nodes[2], { asn: 4200001000, loopback: "10.1.3.200" });
        const p = planFabric(c);
        assert.deepStrictEqual(
            [device(p, "leaf2").asn, device(p, "leaf2").loopback],
            [65200, "172.16.255.222"],
        );
        assert.deepStrictEqual(
            [device(p, "k8s3").asn, device(p, "k8s3").loopback],
            [4200001000, "10.1.3.200"],
        );
        assert.strictEqual(device(p, "k8s1").neighbors[1].asn, 65200);
    });

    it("pins a slot with `id` for names without a number", () => {
        const c = devConfig();
        c.leafs[0] = { ...c.leafs[0], name: "leaf-a", id: 1 };
        c.nodes = c.nodes.map((n) => ({
            ...n,
            uplinks: n.uplinks.map((u) => u.replace(/^leaf1:/, "leaf-a:")),
        }));
        const p = planFabric(c);
        assert.deepStrictEqual(
            [device(p, "leaf-a").asn, device(p, "leaf-a").loopback],
            [65101, "172.16.255.101"],
        );
    });

    it("keeps managed: false switches in the plan for peering", () => {
        const c = devConfig();
        c.leafs[3] = { name: "leaf4", managed: false, asn: 65199 };
        const p = planFabric(c);
        const leaf4 = device(p, "leaf4");
        assert.strictEqual(leaf4.managed, false);
        assert.strictEqual(leaf4.mgmt, undefined);
        assert.strictEqual(device(p, "k8s8").neighbors[0].asn, 65199);
    });

    it("places calico-bgp nodes in their leaf's rack subnet", () => {
        const c = devConfig();
        c.kubernetes = { ...c.kubernetes, routing: "calico-bgp" };
        c.addressing = { ...c.addressing, rackSubnets: "10.0.100.0/17" };
        // leaf1/leaf2 and leaf3/leaf4 are pairs: they share a rack subnet.
        c.leafs[1].rackSubnet = "10.0.101.0/24";
        c.leafs[3].rackSubnet = "10.0.103.0/24";
        const p = planFabric(c);
        assert.deepStrictEqual(
            [device(p, "leaf1").rackSubnet, device(p, "leaf1").address],
            ["10.0.101.0/24", "10.0.101.1"],
        );
        assert.deepStrictEqual(
            [device(p, "leaf2").rackSubnet, device(p, "leaf2").address],
            ["10.0.101.0/24", "10.0.101.2"],
        );
        assert.deepStrictEqual(
            [device(p, "k8s2").address, device(p, "k8s2").loopback],
            ["10.0.101.11", "10.0.101.11"],
        );
        assert.deepStrictEqual(
            device(p, "k8s2").neighbors.map((n) => [n.device, n.address, n.bfd]),
            [
                ["leaf1", "10.0.101.1", false],
                ["leaf2", "10.0.101.2", false],
            ],
        );
        assert.deepStrictEqual(device(p, "leaf3").originates, [
            "172.16.255.103/32",
            "10.0.103.0/24",
        ]);
        assert.strictEqual(p.kubernetes.calicoListenPort, 179);
    });
});
