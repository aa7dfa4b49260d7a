// The Fabric component rolls the switches out in the waves of plan/waves.ts:
// under mocks, every switch's config command depends on exactly the previous
// wave's config commands (what the SDK sends the engine when a resource
// depends on a component: the component's custom children), the first wave
// and the node setups on none of them.

import assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Fabric } from "../../components";
import { FabricConfig, planFabric } from "../../plan";
import { applyWaves } from "../../plan/waves";
import { devConfig } from "../support/fixtures";
import { MockRecorder, settle } from "../support/pulumi-mocks";

const mocks = new MockRecorder();

/** Resource name → the names of the resources its registration depends on (the engine's graph). */
const deps = new Map<string, string[]>();

/** Wrap the mock monitor's registerResource to record each request's dependency URNs. */
function recordDependencies(): void {
    deps.clear();
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource: (req: any, cb: any) => unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        deps.set(
            req.getName(),
            (req.getDependenciesList() as string[]).map((u) => u.split("::").pop()!).sort(),
        );
        return register(req, cb);
    };
}

async function build(config: FabricConfig): Promise<ReturnType<typeof planFabric>> {
    mocks.install();
    recordDependencies();
    const plan = planFabric(config);
    const fabric = new Fabric(plan.name, {
        plan,
        ssh: { user: "root", privateKey: "PRIVATE-KEY-PLAINTEXT" },
        kubernetes: { renderDirectory: "/tmp/x" },
    });
    await settle([fabric]);
    return plan;
}

/** The resources a switch component registered under it: `<fabric>-<switch>-config`, `-confirm`, … */
const children = (plan: ReturnType<typeof planFabric>, device: string) =>
    [...deps.keys()].filter((n) => n.startsWith(`${plan.name}-${device}-`));

/**
 * The dependencies the waves call for: a switch's config command → every command of the previous
 * wave's switches (depending on a component is depending on its children: apply and confirm).
 */
function expected(plan: ReturnType<typeof planFabric>): Map<string, string[]> {
    const want = new Map<string, string[]>();
    const waves = applyWaves(plan);
    waves.forEach((wave, i) => {
        for (const d of wave)
            want.set(
                `${plan.name}-${d}-config`,
                (waves[i - 1] ?? []).flatMap((p) => children(plan, p)).sort(),
            );
    });
    return want;
}

describe("components under mocks: the switches roll out in waves", function () {
    this.timeout(60000);

    for (const waveSize of [1, 2])
        it(`dev stack, waveSize ${waveSize}: each config command waits for exactly the previous wave's`, async () => {
            const plan = await build({ ...devConfig(), apply: { waveSize } });
            const want = expected(plan);
            const got = new Map(
                [...deps].filter(([n]) => n.endsWith("-config") && n.startsWith(`${plan.name}-`)),
            );
            assert.deepStrictEqual(got, want);
            // the next wave also waits for the previous one's confirmation (components/fabric-switch.ts)
            assert.ok(got.get("dev-spine2-config")!.includes("dev-spine1-confirm"));
            // a confirm waits for its own apply only
            for (const sw of ["spine1", "leaf2"])
                assert.deepStrictEqual(deps.get(`dev-${sw}-confirm`), [`dev-${sw}-config`]);
            // spot check against the hand-written rollout (the config commands)
            const on = (n: string) =>
                got
                    .get(n)!
                    .filter((d) => d.endsWith("-config"))
                    .sort();
            if (waveSize === 1) {
                assert.deepStrictEqual(on("dev-spine1-config"), []);
                assert.deepStrictEqual(on("dev-spine2-config"), ["dev-spine1-config"]);
                assert.deepStrictEqual(on("dev-leaf1-config"), ["dev-spine2-config"]);
                assert.deepStrictEqual(on("dev-leaf2-config"), ["dev-leaf1-config"]);
                assert.deepStrictEqual(on("dev-leaf4-config"), ["dev-leaf3-config"]);
            } else {
                assert.deepStrictEqual(on("dev-leaf3-config"), ["dev-spine2-config"]);
                assert.deepStrictEqual(on("dev-leaf4-config"), [
                    "dev-leaf1-config",
                    "dev-leaf3-config",
                ]);
            }
            // node setups are in no wave: they wait for no switch
            const setups = [...deps].filter(([n]) => n.endsWith("-setup"));
            assert.strictEqual(setups.length, 8);
            for (const [n, d] of setups) assert.deepStrictEqual(d, [], `${n} waits for nothing`);
        });

    it("unmanaged switches drop out of the chain: the next wave waits for the last managed one", async () => {
        const c = devConfig();
        c.leafs![0] = { ...c.leafs![0], managed: false };
        const plan = await build(c);
        assert.ok(!deps.has("dev-leaf1-config"));
        assert.ok(deps.get("dev-leaf2-config")!.includes("dev-spine2-config"));
        assert.ok(deps.get("dev-leaf3-config")!.includes("dev-leaf2-config"));
        assert.deepStrictEqual(
            new Map([...deps].filter(([n]) => n.endsWith("-config"))),
            expected(plan),
        );
    });
});
