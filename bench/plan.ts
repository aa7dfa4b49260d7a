// Plan time at data-centre scale (issue 2 target: ≤ 1 s for 8,192 nodes and
// ≤ 10× the 1,024-node time, i.e. no worse than linear growth).

import { planFabric } from "../plan";
import { syntheticFabric } from "./fabric-config";
import { fmt, medianMs } from "./measure";

export function benchPlan(runs = 5): void {
    const sizes: [number, number, number][] = [
        [4, 32, 1024],
        [16, 256, 8192],
    ];
    const results: number[] = [];
    console.log("plan: median of", runs, "runs");
    for (const [s, l, n] of sizes) {
        const config = syntheticFabric(s, l, n);
        planFabric(config); // warm-up
        const ms = medianMs(runs, () => planFabric(config));
        results.push(ms);
        const plan = planFabric(config);
        console.log(
            `  ${s} spines / ${l} leafs / ${n} nodes: ${fmt(ms)}  (${plan.devices.length} devices, ${plan.sessions.length} sessions)`,
        );
    }
    console.log(
        `  8,192-node time / 1,024-node time: ${(results[1] / results[0]).toFixed(1)}× (target ≤ 10×; 8,192 nodes target ≤ 1 s)`,
    );
}
