// The stack's component code under Pulumi mocks (issue 4 target: ≤ 30 s for a
// 1,000-device fabric). Counts every resource registered with the mock engine.
//
// Two phases are timed: `construct` is `new Fabric(...)`, which renders every
// device and constructs every resource synchronously (this is where the SDK
// captures a stack trace per resource and per input property); `settle` is the
// rest, until the mock engine has registered every resource (serialisation of
// the inputs, the RPCs). bench/scale.ts (benchComponentSizes) runs each size
// in a fresh process, so sizes do not share the SDK's global state and the
// peak memory is that size's own.

import { Fabric } from "../components";
import { planFabric } from "../plan";
import { MockRecorder, settle } from "../test/support/pulumi-mocks";
import { syntheticFabric } from "./fabric-config";
import { fmt } from "./measure";

export interface ComponentsResult {
    spines: number;
    leafs: number;
    nodes: number;
    devices: number;
    resources: number;
    constructMs: number;
    totalMs: number;
}

export async function benchComponents(
    sizes: [number, number, number][] = [[4, 32, 964]],
    quiet = false,
): Promise<ComponentsResult[]> {
    if (!quiet) console.log("components under mocks (one run each):");
    const mocks = new MockRecorder();
    const results: ComponentsResult[] = [];
    for (const [s, l, n] of sizes) {
        const plan = planFabric(syntheticFabric(s, l, n));
        mocks.install();
        const t = process.hrtime.bigint();
        const fabric = new Fabric(plan.name, {
            plan,
            ssh: { user: "root", privateKey: "bench-key" },
            kubernetes: {},
        });
        const constructMs = Number(process.hrtime.bigint() - t) / 1e6;
        await settle([fabric]);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        const devices = plan.devices.length;
        results.push({
            spines: s,
            leafs: l,
            nodes: n,
            devices,
            resources: mocks.resources.length,
            constructMs,
            totalMs: ms,
        });
        if (!quiet) {
            console.log(
                `  ${devices} devices (${s}/${l}/${n}): ${fmt(ms)} (construct ${fmt(constructMs)}), ${mocks.resources.length} resources (${(mocks.resources.length / devices).toFixed(2)} per device)  [target ≤ 30 s at 1,000 devices]`,
            );
        }
    }
    return results;
}
