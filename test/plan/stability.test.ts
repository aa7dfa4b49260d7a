import assert from "assert";
import { FabricConfig, FabricPlan, PlannedDevice, planFabric } from "../../plan";
import { devConfig } from "../support/fixtures";

/** What must never move for an existing device: identity, addresses, ports and peers. */
function identity(d: PlannedDevice) {
    return {
        asn: d.asn,
        loopback: d.loopback,
        address: d.address,
        rackSubnet: d.rackSubnet,
        interfaces: d.interfaces,
        slot: d.slot,
    };
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

/** The dev stack named from zero (spine0, leaf0, k8s0, border0), numbering: zero-based. */
function zeroBased(): FabricConfig {
    const text = JSON.stringify(devConfig()).replace(
        /\b(spine|leaf|k8s|border)(\d+)\b/g,
        (_, role, n) => `${role}${+n - 1}`,
    );
    return { ...JSON.parse(text), numbering: "zero-based" };
}

describe("planner: determinism and stability", () => {
    it("gives a byte-identical plan for the same config", () => {
        assert.strictEqual(
            JSON.stringify(planFabric(devConfig())),
            JSON.stringify(planFabric(devConfig())),
        );
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
                assert.deepStrictEqual(
                    now.interfaces.filter((i) => i.peer.device !== "leaf5"),
                    d.interfaces,
                    name,
                );
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
                assert.deepStrictEqual(
                    d.interfaces,
                    old.interfaces.filter(
                        (i) => i.peer.device !== "leaf2" && i.peer.device !== "k8s3",
                    ),
                    name,
                );
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
        for (const name of ["k8s2", "k8s3", "k8s5"])
            assert.strictEqual(after.get(name)!.address, before.get(name)!.address, name);
    });

    it("zero-based: does not depend on list order", () => {
        const base = JSON.stringify(planFabric(zeroBased()));
        for (const seed of [3, 11]) {
            const c = zeroBased();
            c.spines = shuffled(c.spines, seed);
            c.leafs = shuffled(c.leafs, seed + 1);
            c.nodes = shuffled(c.nodes, seed + 2);
            assert.strictEqual(JSON.stringify(planFabric(c)), base, `seed ${seed}`);
        }
    });

    it("zero-based: removing slot 0 (leaf0, k8s0) renumbers nobody, and adding leaf4 neither", () => {
        const before = byName(planFabric(zeroBased()));
        const c = zeroBased();
        c.leafs = c.leafs.filter((l) => l.name !== "leaf0");
        c.nodes = c.nodes
            .filter((n) => !["k8s0", "k8s2"].includes(n.name))
            .map((n) => ({ ...n, uplinks: n.uplinks.filter((u) => !u.startsWith("leaf0:")) }));
        c.leafs.push({ name: "leaf4", mgmt: { host: "10.10.0.25" } });
        c.nodes.push({ name: "k8s8", uplinks: ["leaf4:swp1"], mgmt: { host: "10.10.0.109" } });
        const after = byName(planFabric(c));
        assert.deepStrictEqual(
            [after.get("leaf4")!.asn, after.get("k8s8")!.loopback],
            [65105, "10.1.3.9"],
        );
        for (const [name, d] of after) {
            const old = before.get(name);
            if (!old) continue;
            const gone = (i: { peer: { device: string } }) =>
                !["leaf0", "k8s0", "k8s2", "leaf4", "k8s8"].includes(i.peer.device);
            assert.deepStrictEqual(
                [d.asn, d.loopback, d.slot, d.ordinal],
                [old.asn, old.loopback, old.slot, old.ordinal],
                name,
            );
            // k8s1 lost its uplink to leaf0, so its uplink to leaf1 is now eth1 (uplink order): only that cable changes.
            const edited = (i: { peer: { device: string } }) =>
                gone(i) && i.peer.device !== "k8s1" && !(name === "k8s1");
            assert.deepStrictEqual(
                d.interfaces.filter(edited),
                old.interfaces.filter(edited),
                name,
            );
        }
    });

    it("a vendor pair's plan does not depend on list order", () => {
        const c = (): FabricConfig =>
            ({
                name: "vendor",
                leafs: ["204", "205"].map((a, i) => ({
                    name: `leaf${i + 1}`,
                    managed: false,
                    asn: 63500,
                    rackSubnet: "192.168.9.192/28",
                    address: `192.168.9.${a}`,
                    gateway: "192.168.9.206",
                })),
                nodes: [1, 2, 3].map((n) => ({
                    name: `k8s${n}`,
                    asn: 63550 + n,
                    address: `192.168.9.${192 + n}`,
                    uplinks: [`leaf1:eth1/${n}`, `leaf2:eth1/${n}`],
                    mgmt: { host: `192.168.9.${192 + n}` },
                })),
                kubernetes: { routing: "calico-bgp" },
            }) as FabricConfig;
        const base = JSON.stringify(planFabric(c()));
        const shuffledConfig = c();
        shuffledConfig.leafs.reverse();
        shuffledConfig.nodes = shuffled(shuffledConfig.nodes, 5);
        assert.strictEqual(JSON.stringify(planFabric(shuffledConfig)), base);
    });
});
