// Session protections computed by the plan (plan/protections.ts): the
// maximum-prefix of each leaf ↔ node session, where TTL security applies,
// graceful restart, and their settings (plan/settings-table.ts, bgp.*).

import assert from "assert";
import { FabricConfig, FabricConfigError, FabricPlan, planFabric } from "../../plan";
import {
    gracefulRestart,
    nodeMaximumPrefix,
    podBlockCount,
    poolAddresses,
    serverTtlSecurity,
} from "../../plan/protections";
import { devConfig, exampleConfig } from "../support/fixtures";

const withBgp = (bgp: Record<string, unknown>, c: FabricConfig = devConfig()): FabricConfig => ({
    ...c,
    bgp: { ...(c.bgp ?? {}), ...bgp },
});
const node = (plan: FabricPlan, name = "k8s1") => plan.devices.find((d) => d.name === name)!;
const errorsOf = (c: FabricConfig): string[] => {
    try {
        planFabric(c);
        return [];
    } catch (e) {
        if (!(e instanceof FabricConfigError)) throw e;
        return e.errors.map((x) => `${x.field}: ${x.message}`);
    }
};

describe("plan: session protections", () => {
    const dev = planFabric(devConfig());

    it("dev: the limit is (loopback + ⌈pod blocks ÷ nodes⌉ + pool addresses) × 1.5, restart 5 min", () => {
        // podCidr /18 in /26 blocks: 256 blocks over 8 nodes; one /24 pool: 256 addresses.
        assert.strictEqual(podBlockCount(dev), 256);
        assert.strictEqual(poolAddresses(dev), 256);
        const m = nodeMaximumPrefix(dev, node(dev));
        assert.deepStrictEqual(m.basis, {
            loopback: 1,
            podBlocks: 32,
            poolAddresses: 256,
            headroom: 50,
        });
        assert.strictEqual(m.limit, Math.ceil((1 + 32 + 256) * 1.5));
        assert.strictEqual(m.limit, 434);
        assert.strictEqual(m.restart, 5);
        // Every node of a plan may announce the same kinds of routes: one limit for all.
        const nodes = dev.devices.filter((d) => d.role === "node");
        assert.deepStrictEqual(
            new Set(nodes.map((n) => nodeMaximumPrefix(dev, n).limit)),
            new Set([434]),
        );
    });

    it("follows its settings: headroom, minimum, restart 0 (stay down until cleared)", () => {
        const p0 = planFabric(withBgp({ maximumPrefixHeadroom: 0 }));
        assert.strictEqual(nodeMaximumPrefix(p0, node(p0)).limit, 289);
        const p100 = planFabric(withBgp({ maximumPrefixHeadroom: 100 }));
        assert.strictEqual(nodeMaximumPrefix(p100, node(p100)).limit, 578);
        const pMin = planFabric(withBgp({ maximumPrefixMinimum: 5000 }));
        assert.strictEqual(nodeMaximumPrefix(pMin, node(pMin)).limit, 5000);
        const pNoRestart = planFabric(withBgp({ maximumPrefixRestart: 0 }));
        const m = nodeMaximumPrefix(pNoRestart, node(pNoRestart));
        assert.strictEqual(m.restart, undefined);
        assert.strictEqual(m.limit, 434);
    });

    it("grows with the pools and shrinks with more nodes; the minimum holds a small fabric up", () => {
        const c = devConfig();
        c.loadBalancerPools = [
            ...(c.loadBalancerPools ?? []),
            { name: "big", cidr: "172.30.0.0/22" },
        ];
        const big = planFabric(c);
        assert.strictEqual(poolAddresses(big), 256 + 1024);
        assert.strictEqual(
            nodeMaximumPrefix(big, node(big)).limit,
            Math.ceil((1 + 32 + 1280) * 1.5),
        );

        const none = devConfig();
        delete none.loadBalancerPools;
        const p = planFabric(none);
        // (1 + 32) × 1.5 = 49.5 → 50, below the default minimum of 100.
        assert.strictEqual(nodeMaximumPrefix(p, node(p)).limit, 100);
    });

    it("a plan made before the settings existed gets the table's defaults", () => {
        const old = JSON.parse(JSON.stringify(dev)) as FabricPlan;
        for (const k of [
            "maximumPrefixHeadroom",
            "maximumPrefixMinimum",
            "maximumPrefixRestart",
            "gracefulRestart",
            "gracefulRestartTime",
            "ttlSecurity",
        ] as const)
            delete old.bgp[k];
        assert.deepStrictEqual(
            nodeMaximumPrefix(old, node(old)),
            nodeMaximumPrefix(dev, node(dev)),
        );
        assert.deepStrictEqual(gracefulRestart(old), { restartTime: 120 });
        assert.strictEqual(serverTtlSecurity(old), true);
    });

    it("TTL security only where both ends are FRR (router-on-host), and only when bgp.ttlSecurity", () => {
        assert.strictEqual(serverTtlSecurity(dev), true);
        assert.strictEqual(serverTtlSecurity(planFabric(withBgp({ ttlSecurity: false }))), false);
        // Calico's BIRD and MetalLB's native speaker do not send TTL 255.
        assert.strictEqual(serverTtlSecurity(planFabric(exampleConfig("ref3"))), false);
        assert.strictEqual(serverTtlSecurity(planFabric(exampleConfig("ref5-external"))), false);
        assert.strictEqual(serverTtlSecurity(planFabric(exampleConfig("ref1"))), true);
    });

    it("graceful restart: on by default with RFC 4724's 120 s, configurable, or off", () => {
        assert.deepStrictEqual(gracefulRestart(dev), { restartTime: 120 });
        assert.deepStrictEqual(gracefulRestart(planFabric(withBgp({ gracefulRestartTime: 300 }))), {
            restartTime: 300,
        });
        assert.strictEqual(
            gracefulRestart(planFabric(withBgp({ gracefulRestart: false }))),
            undefined,
        );
    });

    it("refuses out-of-range values, naming the field", () => {
        assert.deepStrictEqual(
            errorsOf(
                withBgp({
                    maximumPrefixHeadroom: -1,
                    maximumPrefixMinimum: 0,
                    maximumPrefixRestart: 70000,
                    gracefulRestartTime: 4096,
                    gracefulRestart: "yes",
                    ttlSecurity: 1,
                }),
            )
                .filter((e) => /^fabric:bgp\./.test(e))
                .map((e) => e.split(":")[1])
                .sort(),
            [
                "bgp.gracefulRestart",
                "bgp.gracefulRestartTime",
                "bgp.maximumPrefixHeadroom",
                "bgp.maximumPrefixMinimum",
                "bgp.maximumPrefixRestart",
                "bgp.ttlSecurity",
            ],
        );
    });

    it("refuses a device that is not a node", () => {
        assert.throws(
            () => nodeMaximumPrefix(dev, node(dev, "leaf1")),
            /leaf1 is a leaf, not a node/,
        );
    });
});
