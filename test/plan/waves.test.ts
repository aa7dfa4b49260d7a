// The rolling apply's waves (plan/waves.ts): spines first, never all at once,
// then the leafs by rack, never two leafs of one rack in one wave.

import assert from "assert";
import * as path from "path";
import { FabricConfig, FabricPlan, planFabric, readStackFile } from "../../plan";
import { rolloutMode } from "../../plan/rollout";
import { applyWaves, racks, waveIndex } from "../../plan/waves";
import { ROOT, devConfig, exampleConfig, exampleFiles } from "../support/fixtures";

const withWaveSize = (c: FabricConfig, waveSize?: number): FabricPlan =>
    planFabric(waveSize === undefined ? c : { ...c, apply: { ...(c.apply ?? {}), waveSize } });

/** Every plan the tests know: the dev stack, the reference designs, the engine test stacks. */
function fixtures(): [string, FabricConfig][] {
    const engine = ["calico-bgp-unmanaged", "router-on-host-unmanaged"].map(
        (n): [string, FabricConfig] => [
            n,
            readStackFile({
                config: path.join(ROOT, "test/engine/stacks", `${n}.yaml`),
                root: ROOT,
            }).config,
        ],
    );
    return [
        ["dev", devConfig()],
        ...exampleFiles().map((f): [string, FabricConfig] => {
            const n = path.basename(f, ".yaml");
            return [n, exampleConfig(n)];
        }),
        ...engine,
        ["big", bigFabric()],
    ];
}

/** 4 spines, 6 leafs: a triple-attached rack (leaf1–3), a pair (leaf4, leaf5), a lone leaf6. */
function bigFabric(): FabricConfig {
    const c = devConfig();
    c.spines = [1, 2, 3, 4].map((i) => ({ name: `spine${i}`, mgmt: { host: `10.10.0.1${i}` } }));
    c.leafs = [1, 2, 3, 4, 5, 6].map((i) => ({
        name: `leaf${i}`,
        mgmt: { host: `10.10.0.2${i}` },
    }));
    c.nodes = [
        { name: "k8s1", uplinks: ["leaf1:swp1", "leaf2:swp1"] },
        { name: "k8s2", uplinks: ["leaf2:swp2", "leaf3:swp1"] },
        { name: "k8s3", uplinks: ["leaf4:swp1", "leaf5:swp1"] },
        { name: "k8s4", uplinks: ["leaf6:swp1"] },
    ].map((n, i) => ({ ...n, role: "worker" as const, mgmt: { host: `10.10.0.10${i + 1}` } }));
    return c;
}

/** The properties every rollout has, whatever the plan and the wave size. */
function assertSafe(name: string, plan: FabricPlan, waveSize: number): void {
    const waves = applyWaves(plan);
    const role = new Map(plan.devices.map((d) => [d.name, d]));
    const flat = waves.flat();
    const expected = plan.devices
        .filter((d) => d.managed && (d.role === "spine" || d.role === "leaf"))
        .map((d) => d.name);
    assert.deepStrictEqual(
        [...flat].sort(),
        [...expected].sort(),
        `${name}: every managed switch once`,
    );
    assert.strictEqual(new Set(flat).size, flat.length, `${name}: no device twice`);
    assert.ok(
        waves.every((w) => w.length > 0),
        `${name}: no empty wave`,
    );
    // spines first: no spine after the first leaf
    const firstLeaf = flat.findIndex((d) => role.get(d)!.role === "leaf");
    if (firstLeaf >= 0)
        assert.ok(
            flat.slice(firstLeaf).every((d) => role.get(d)!.role === "leaf"),
            `${name}: spines before leafs`,
        );
    const spines = plan.devices.filter((d) => d.role === "spine").length;
    for (const w of waves) {
        const roles = new Set(w.map((d) => role.get(d)!.role));
        assert.strictEqual(roles.size, 1, `${name}: a wave is spines or leafs, not both: ${w}`);
        if (roles.has("spine")) {
            assert.ok(w.length <= waveSize, `${name}: spine wave ${w} larger than ${waveSize}`);
            if (spines > 1) assert.ok(w.length < spines, `${name}: wave ${w} takes every spine`);
        }
    }
    // never two leafs of one rack (sharing a node, directly) in one wave
    for (const node of plan.devices.filter((d) => d.role === "node")) {
        const uplinks = node.interfaces
            .filter((i) => i.kind === "server")
            .map((i) => i.peer.device);
        for (const w of waves) {
            const inWave = uplinks.filter((l) => w.includes(l));
            assert.ok(inWave.length <= 1, `${name}: ${node.name}'s leafs ${inWave} in one wave`);
        }
    }
    for (const [i, w] of waves.entries())
        for (const d of w) assert.strictEqual(waveIndex(plan, d), i, `${name}: waveIndex(${d})`);
}

describe("plan/waves: the rolling apply's waves", () => {
    it("dev stack, waveSize 1 (the default): one spine, then one leaf at a time, rack by rack", () => {
        const plan = planFabric(devConfig());
        assert.strictEqual(plan.apply.waveSize, 1, "default 1");
        assert.deepStrictEqual(racks(plan), [
            ["leaf1", "leaf2"],
            ["leaf3", "leaf4"],
        ]);
        assert.deepStrictEqual(applyWaves(plan), [
            ["spine1"],
            ["spine2"],
            ["leaf1"],
            ["leaf2"],
            ["leaf3"],
            ["leaf4"],
        ]);
        assert.deepStrictEqual(
            ["spine1", "spine2", "leaf1", "leaf4", "k8s1", "border1", "nope"].map((d) =>
                waveIndex(plan, d),
            ),
            [0, 1, 2, 5, undefined, undefined, undefined],
        );
    });

    it("dev stack, waveSize 2: still one spine of two at a time; two racks' leafs per wave, one leaf of each", () => {
        const plan = withWaveSize(devConfig(), 2);
        assert.deepStrictEqual(applyWaves(plan), [
            ["spine1"],
            ["spine2"],
            ["leaf1", "leaf3"],
            ["leaf2", "leaf4"],
        ]);
    });

    it("4 spines, a triple-attached rack, a pair and a lone leaf: waveSize 1, 2 and 3", () => {
        const c = bigFabric();
        assert.deepStrictEqual(racks(withWaveSize(c, 1)), [
            ["leaf1", "leaf2", "leaf3"],
            ["leaf4", "leaf5"],
            ["leaf6"],
        ]);
        assert.deepStrictEqual(applyWaves(withWaveSize(c, 2)), [
            ["spine1", "spine2"],
            ["spine3", "spine4"],
            ["leaf1", "leaf4"],
            ["leaf2", "leaf5"],
            ["leaf3"],
            ["leaf6"],
        ]);
        assert.deepStrictEqual(applyWaves(withWaveSize(c, 5)), [
            ["spine1", "spine2", "spine3"],
            ["spine4"],
            ["leaf1", "leaf4", "leaf6"],
            ["leaf2", "leaf5"],
            ["leaf3"],
        ]);
        assert.strictEqual(applyWaves(withWaveSize(c, 1)).length, 4 + 6);
    });

    it("unmanaged switches are in no wave; a fabric of someone else's switches has none", () => {
        const c = devConfig();
        c.leafs![1] = { ...c.leafs![1], managed: false };
        c.spines![0] = { ...c.spines![0], managed: false };
        const plan = planFabric(c);
        assert.deepStrictEqual(applyWaves(plan), [["spine2"], ["leaf1"], ["leaf3"], ["leaf4"]]);
        assert.strictEqual(waveIndex(plan, "leaf2"), undefined);
        assert.deepStrictEqual(applyWaves(planFabric(exampleConfig("ref4-calico"))), []);
    });

    for (const waveSize of [1, 2, 3])
        it(`every fixture, waveSize ${waveSize}: each managed switch once, spines first, never every spine, never a rack pair in one wave`, () => {
            for (const [name, c] of fixtures())
                assertSafe(name, withWaveSize(c, waveSize), waveSize);
        });

    it("apply.waveSize is checked against its range", () => {
        assert.throws(() => withWaveSize(devConfig(), 0), /apply\.waveSize/);
        assert.throws(
            () => planFabric({ ...devConfig(), apply: { waveSize: 1.5 as number } }),
            /apply\.waveSize/,
        );
    });

    it("apply.rollout: auto is at once until the stack's outputs record an applied switch, then waves; waves and at-once are as set", () => {
        assert.strictEqual(planFabric(devConfig()).apply.rollout, "auto");
        assert.strictEqual(rolloutMode("auto", undefined), "at-once");
        assert.strictEqual(rolloutMode("auto", []), "at-once");
        assert.strictEqual(rolloutMode("auto", "spine1"), "at-once", "not a list: no record");
        assert.strictEqual(rolloutMode("auto", ["spine1"]), "waves");
        assert.strictEqual(rolloutMode("waves", undefined), "waves");
        assert.strictEqual(rolloutMode("at-once", ["spine1"]), "at-once");
    });
});
