// The stack's component code under Pulumi mocks (issue 4 target: ≤ 30 s for a
// 1,000-device fabric). Counts every resource registered with the mock engine.

import { Fabric } from "../components";
import { planFabric } from "../plan";
import { MockRecorder, settle } from "../test/support/pulumi-mocks";
import { syntheticFabric } from "./fabric-config";
import { fmt } from "./measure";

export async function benchComponents(sizes: [number, number, number][] = [[4, 32, 964]]): Promise<void> {
    console.log("components under mocks (one run each):");
    const mocks = new MockRecorder();
    for (const [s, l, n] of sizes) {
        const plan = planFabric(syntheticFabric(s, l, n));
        mocks.install();
        const t = process.hrtime.bigint();
        const fabric = new Fabric(plan.name, { plan, ssh: { user: "root", privateKey: "bench-key" }, kubernetes: {} });
        await settle([fabric]);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        const devices = plan.devices.length;
        console.log(`  ${devices} devices (${s}/${l}/${n}): ${fmt(ms)}, ${mocks.resources.length} resources (${(mocks.resources.length / devices).toFixed(2)} per device)  [target ≤ 30 s at 1,000 devices]`);
    }
}
