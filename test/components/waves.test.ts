// The Fabric component rolls the switches out in the waves of plan/waves.ts:
// under mocks, every switch's config command depends on exactly the previous
// wave's config commands (what the SDK sends the engine when a resource
// depends on a component: the component's custom children), the first wave
// and the node setups on none of them. At once (day one), none waits; the
// stack program picks which from `apply.rollout` and its own last outputs
// (stacks/rollout.ts).

import assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Fabric, FabricArgs } from "../../components";
import { FabricConfig, planFabric } from "../../plan";
import { RolloutMode } from "../../plan/rollout";
import { applyWaves } from "../../plan/waves";
import { devConfig } from "../support/fixtures";
import { MockRecorder, runDevStackProgram, settle, valueOf } from "../support/pulumi-mocks";

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

let lastFabric: Fabric | undefined;

async function build(
    config: FabricConfig,
    rollout?: RolloutMode,
): Promise<ReturnType<typeof planFabric>> {
    mocks.install();
    recordDependencies();
    const plan = planFabric(config);
    const args: FabricArgs = {
        plan,
        ssh: { user: "root", privateKey: "PRIVATE-KEY-PLAINTEXT" },
        kubernetes: { renderDirectory: "/tmp/x" },
        ...(rollout ? { rollout } : {}),
    };
    lastFabric = new Fabric(plan.name, args);
    await settle([lastFabric]);
    return plan;
}

/** The stack program (stacks/index.ts) on Pulumi.dev.yaml (+ `extra` config), its self-reference answering `recorded`. */
async function runProgram(
    recorded: Record<string, unknown> | undefined,
    extra: Record<string, unknown> = {},
): Promise<{ refs: string[]; outputs: Record<string, pulumi.Output<unknown>> }> {
    const refs: string[] = [];
    pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                if (a.type === "pulumi:pulumi:StackReference") {
                    refs.push(a.id ?? "");
                    return {
                        id: a.id,
                        state: { name: a.id, outputs: recorded ?? {}, secretOutputNames: [] },
                    };
                }
                return { id: `${a.name}-id`, state: a.inputs };
            },
            call: (a) => a.inputs,
        },
        "bgp-fabric",
        "dev",
        false,
        "organization",
    );
    recordDependencies();
    const outputs = await runDevStackProgram(extra);
    return { refs, outputs };
}

/** The stack's reference to itself: a waiting switch's wait is an Output of it (components/fabric.ts). */
const SELF = "organization/bgp-fabric/dev";

/** Every switch's config command and what it waits for (besides the self-reference). */
const configDeps = (plan: ReturnType<typeof planFabric>) =>
    new Map(
        [...deps]
            .filter(([n]) => n.endsWith("-config") && n.startsWith(`${plan.name}-`))
            .map(([n, d]) => [n, d.filter((x) => x !== SELF)]),
    );

/** At once: every config command waits for nothing. */
const atOnce = (plan: ReturnType<typeof planFabric>) =>
    new Map(applyWaves(plan).flatMap((w) => w.map((d) => [`${plan.name}-${d}-config`, []])));

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

    it("at once (day one): no config command waits for another switch; each confirm still waits for its own apply", async () => {
        const plan = await build(devConfig(), "at-once");
        assert.deepStrictEqual(configDeps(plan), atOnce(plan));
        assert.strictEqual(configDeps(plan).size, 6);
        for (const sw of ["spine1", "spine2", "leaf4"])
            assert.deepStrictEqual(deps.get(`dev-${sw}-confirm`), [`dev-${sw}-config`]);
        // what the next update reads: every switch, once its confirm has an id
        assert.deepStrictEqual(await valueOf(lastFabric!.appliedSwitches), [
            "leaf1",
            "leaf2",
            "leaf3",
            "leaf4",
            "spine1",
            "spine2",
        ]);
    });

    it("the stack program, apply.rollout auto: at once while its own last outputs record no switch, waves once they do", async () => {
        const plan = planFabric(devConfig());
        const first = await runProgram(undefined);
        assert.deepStrictEqual(first.refs, ["organization/bgp-fabric/dev"]);
        assert.deepStrictEqual(configDeps(plan), atOnce(plan));
        const applied = await valueOf(first.outputs.appliedSwitches);
        assert.strictEqual((applied as string[]).length, 6);

        await runProgram({ appliedSwitches: [] });
        assert.deepStrictEqual(configDeps(plan), atOnce(plan), "an empty record is day one too");

        await runProgram({ appliedSwitches: applied });
        assert.deepStrictEqual(configDeps(plan), expected(plan));
        assert.ok(deps.get("dev-leaf1-config")!.includes("dev-spine2-config"));
    });

    it("the stack program, apply.rollout waves / at-once: no self-reference, the rollout as set", async () => {
        const plan = planFabric(devConfig());
        const waves = await runProgram(undefined, { "fabric:apply": { rollout: "waves" } });
        assert.deepStrictEqual(waves.refs, []);
        assert.deepStrictEqual(configDeps(plan), expected(plan));
        const once = await runProgram(
            { appliedSwitches: ["spine1"] },
            { "fabric:apply": { rollout: "at-once" } },
        );
        assert.deepStrictEqual(once.refs, []);
        assert.deepStrictEqual(configDeps(plan), atOnce(plan));
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
