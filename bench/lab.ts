// Lab figures (root only): bring-up time of the dev lab, time to every
// session Established, and failover time -- a leaf-spine cable breaks and the
// far side's kernel route is polled every ~10 ms until the path through that
// cable is gone:
//   carrier   the cable goes down (`ip link set down`): both ends see it at once;
//   silent    the cable stays up but drops everything (blackhole qdisc on both
//             ends): only BFD (target <= 1 s) or the BGP hold timer notices.
// The silent failure is measured with BFD on (the dev plan) and off (the same
// plan with fabric:bgp.bfd = false) for comparison.
//
//   benchLab(): Promise<Record<string, number>>   (bench/index.ts prints it)
//   npx ts-node --transpile-only bench/lab.ts     (this file alone)

import { FabricPlan, planFabric, readStackFile } from "../plan";
import { labDown, labUp, waitEstablished } from "../lab";
import { LabLocation } from "../lab/env";
import { FailureMode, LinkEnd, measureWithdrawal, peerOf, restoreLink, routeNexthops } from "../lab/probes";
import { processLocation, sweepStale } from "../lab/teardown";
import { fmt } from "./measure";

export interface BenchLabOptions {
    stack?: string;
    /** Failovers measured per mode (median and max reported). */
    runs?: number;
    log?: (line: string) => void;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: number[]) => Math.max(...xs);

/** The failure under test: leaf1's first uplink; the far side is the spine it goes to, watching leaf1's loopback. */
function scenario(plan: FabricPlan): { end: LinkEnd; observer: { device: string; port: string; prefix: string } } {
    const leaf = plan.devices.find((d) => d.role === "leaf" && d.interfaces.some((i) => i.kind === "fabric"));
    if (!leaf) throw new Error("the plan has no leaf with a fabric link");
    const uplink = leaf.interfaces.find((i) => i.kind === "fabric")!;
    const end = { device: leaf.name, port: uplink.name };
    const far = peerOf(plan, end);
    return { end, observer: { device: far.device, port: far.port, prefix: `${leaf.loopback}/32` } };
}

async function failovers(loc: LabLocation, plan: FabricPlan, mode: FailureMode, runs: number): Promise<number[]> {
    const { end, observer } = scenario(plan);
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
        try {
            out.push(await measureWithdrawal(end, mode, observer, { ...loc, pollMs: 10, timeoutMs: 15_000 }));
        } finally {
            await restoreLink(end, loc);
        }
        // Back to the starting point before the next run: sessions up, the far side routing through the cable again.
        await waitEstablished(60_000, { ...loc, speakers: false });
        const t0 = Date.now();
        while (!(await routeNexthops(observer.device, observer.prefix, loc)).some((h) => h.dev === observer.port)) {
            if (Date.now() - t0 > 30_000) throw new Error(`${observer.device} never routed ${observer.prefix} via ${observer.port} again`);
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    return out;
}

export async function benchLab(opts: BenchLabOptions = {}): Promise<Record<string, number>> {
    const log = opts.log ?? ((s: string) => console.log(s));
    const runs = opts.runs ?? 3;
    const loc = processLocation("bb");
    await sweepStale("bb");
    const { config } = readStackFile({ stack: opts.stack ?? "dev" });
    const results: Record<string, number> = {};
    log(`lab (${opts.stack ?? "dev"} stack; failovers: ${runs} runs each, far side polled every 10 ms)`);
    try {
        const plan = planFabric(config);
        const t0 = Date.now();
        const up = await labUp({ ...loc, plan, replace: true });
        results["lab.up_ms"] = up.timings.total;
        await waitEstablished(90_000, { ...loc, speakers: false });
        results["lab.established_ms"] = Date.now() - t0;
        log(`  lab up: ${fmt(up.timings.total)}; all ${plan.sessions.length} sessions Established after ${fmt(results["lab.established_ms"])}`);

        const carrier = await failovers(loc, plan, "down", runs);
        results["lab.failover.carrier_ms"] = median(carrier);
        log(`  failover, cable down (carrier):      median ${fmt(median(carrier))}, max ${fmt(max(carrier))}`);
        const bfd = await failovers(loc, plan, "silent", runs);
        results["lab.failover.silent_bfd_ms"] = median(bfd);
        results["lab.failover.silent_bfd_max_ms"] = max(bfd);
        log(`  failover, silent failure, BFD on:    median ${fmt(median(bfd))}, max ${fmt(max(bfd))}  (target <= 1 s)`);
        await labDown(loc);

        const noBfd = planFabric({ ...config, bgp: { ...(config.bgp ?? {}), bfd: false } });
        await labUp({ ...loc, plan: noBfd, replace: true });
        await waitEstablished(90_000, { ...loc, speakers: false });
        const hold = await failovers(loc, noBfd, "silent", runs);
        results["lab.failover.silent_nobfd_ms"] = median(hold);
        log(`  failover, silent failure, BFD off:   median ${fmt(median(hold))}, max ${fmt(max(hold))}  (hold time ${noBfd.bgp.holdtime} s)`);
    } finally {
        await labDown(loc);
    }
    return results;
}

if (require.main === module) {
    benchLab().then(
        (r) => console.log(JSON.stringify(r)),
        (e) => {
            console.error(e instanceof Error ? e.message : String(e));
            process.exit(1);
        },
    );
}
