import assert from "assert";
import { FabricConfig, FabricPlan, PlannedDevice, planFabric } from "../../plan";
import { devConfig } from "../support/fixtures";

/** What must never move for an existing device: identity, addresses, ports and peers. */
function identity(d: PlannedDevice) {
    return { asn: d.asn, loopback: d.loopback, address: d.address, rackSubnet: d.rackSubnet, interfaces: d.interfaces, slot: d.slot };
}

function byName(plan: FabricPlan): Map<string, PlannedDevice> {
    return new Map(plan.devices.map((d) => [d.name, d]));
}

function shuffled<T>(list: T[], seed: number): T[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const j = seed % (i + 1);
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}

describe("planner: determinism and stability", () => {
    it("gives a byte-identical plan for the same config", () => {
        assert.strictEqual(JSON.stringify(planFabric(devConfig())), JSON.stringify(planFabric(devConfig())));
    });

    it("does not depend on the order devices are listed in", () => {
        const base = JSON.stringify(planFabric(devConfig()));
        for (const seed of [1, 7, 42]) {
            const c = devConfig();
            c.spines = shuffled(c.spines, seed);
            c.leafs = shuffled(c.leafs, seed + 1);
            c.nodes = shuffled(c.nodes, seed + 2);
            assert.strictEqual(JSON.stringify(planFabric(c)), base, `seed ${seed}`);
        }
    });

    it("adding a leaf and its nodes changes no existing device except the new cabling on the spines", () => {
        const before = byName(planFabric(devConfig()));
        const c: FabricConfig = devConfig();
        c.leafs.push({ name: "leaf5", mgmt: { host: "10.10.0.25" } });
        c.nodes.push({ name: "k8s9", uplinks: ["leaf5:swp1"], mgmt: { host: "10.10.0.109" } });
        const after = byName(planFabric(c));
        assert.strictEqual(after.get("leaf5")!.asn, 65105);
        assert.strictEqual(after.get("k8s9")!.loopback, "10.1.3.9");
        for (const [name, d] of before) {
            const now = after.get(name)!;
            if (d.role === "spine") {
                // A spine gains exactly one port to the new leaf; its existing ports are untouched.
                assert.deepStrictEqual(now.interfaces.filter((i) => i.peer.device !== "leaf5"), d.interfaces, name);
                assert.deepStrictEqual([now.asn, now.loopback], [d.asn, d.loopback]);
            } else assert.deepStrictEqual(identity(now), identity(d), name);
        }
    });

    it("removing a leaf and a node changes no other device", () => {
        const before = byName(planFabric(devConfig()));
        const c = devConfig();
        c.leafs = c.leafs.filter((l) => l.name !== "leaf2");
        c.nodes = c.nodes
            .filter((n) => n.name !== "k8s4" && n.name !== "k8s3")
            .map((n) => ({ ...n, uplinks: n.uplinks.filter((u) => !u.startsWith("leaf2:")) }));
        const after = byName(planFabric(c));
        for (const [name, d] of after) {
            const old = before.get(name)!;
            if (d.role === "spine" || ["k8s1", "k8s2", "leaf1"].includes(name)) {
                assert.deepStrictEqual([d.asn, d.loopback], [old.asn, old.loopback], name);
                assert.deepStrictEqual(d.interfaces, old.interfaces.filter((i) => i.peer.device !== "leaf2" && i.peer.device !== "k8s3"), name);
            } else assert.deepStrictEqual(identity(d), identity(old), name);
        }
    });

    it("keeps calico-bgp node addresses when a node in the same rack is removed", () => {
        const calico = (): FabricConfig => {
            const c = devConfig();
            c.kubernetes = { ...c.kubernetes, routing: "calico-bgp" };
            c.addressing = { ...c.addressing, rackSubnets: "10.0.100.0/17" };
            c.nodes = c.nodes.map((n) => ({ ...n, uplinks: [n.uplinks[0]] }));
            return c;
        };
        const before = byName(planFabric(calico()));
        const c = calico();
        c.nodes = c.nodes.filter((n) => n.name !== "k8s1");
        const after = byName(planFabric(c));
        for (const name of ["k8s2", "k8s3", "k8s5"]) assert.strictEqual(after.get(name)!.address, before.get(name)!.address, name);
    });
});
