// npm run bench: every performance figure of the project, printed.
// Timing lives here, never in tests. BENCHMARKS.md records a run of it.
//
//   plan         planner alone, in this process (issue 2)
//   scale        plan + render at 1,024 … 16,384 nodes, fresh process per size (issue 9, issue 3 target)
//   components   the stack's components under Pulumi mocks at 100 / 1,000 / 5,000 devices (issue 4 target)
//   netlab       netlab's topology → addressing → FRR configs on the same fabrics, side by side
//   lab          the emulated fabric (bench/lab.ts): bring-up, convergence, failover; root only
//   engine       the Kubernetes half through the real Pulumi engine against a real API server
//                (bench/engine.ts): up from empty, no-op preview; root only
//   fabric       the whole program through the real engine (bench/engine-fabric.ts): a 1,000-device
//                preview (time, peak memory), the dev stack on the lab from empty to Established
//   drain        maintenance on the dev lab (bench/drain.ts): a leaf drained, worked on, undrained
//                with a TCP stream to a VIP running: drain time, lost messages/bytes; root only
//
// Environment:
//   BENCH_ONLY=scale,netlab        run only these parts (default: all)
//   BENCH_NETLAB_SIZES=256,1024    node counts netlab runs (default 256,1024: larger ones take
//                                  netlab longer than the 10-minute cap, see BENCHMARKS.md)
//   BENCH_NETLAB_TIMEOUT_S=600     the cap per netlab run
//   BENCH_LAB=0                    skip the lab even as root

import * as os from "os";
import { benchPlan } from "./plan";
import { NETLAB_SIZES, benchNetlab } from "./netlab";
import { ScaleResult, benchComponentSizes, benchScale, loadavg } from "./scale";

const only = (process.env.BENCH_ONLY ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const want = (part: string) => only.length === 0 || only.includes(part);

async function lab(): Promise<void> {
    if (process.env.BENCH_LAB === "0") return console.log("lab: skipped (BENCH_LAB=0)");
    if (process.getuid?.() !== 0)
        return console.log("lab: skipped (needs root: network namespaces)");
    let mod: { benchLab?: (opts?: { runs?: number }) => Promise<Record<string, number>> };
    try {
        mod = await import("./lab");
    } catch (e) {
        return console.log(
            `lab: skipped (bench/lab.ts does not load: ${String(e instanceof Error ? e.message : e).split("\n")[0]})`,
        );
    }
    if (typeof mod.benchLab !== "function")
        return console.log("lab: skipped (bench/lab.ts exports no benchLab)");
    try {
        await mod.benchLab();
    } catch (e) {
        console.log(
            `lab: FAILED: ${String(e instanceof Error ? e.message : e)
                .split("\n")
                .slice(0, 3)
                .join(" | ")}`,
        );
    }
}

async function main(): Promise<void> {
    console.log(
        `bgp-fabric benchmarks: node ${process.version}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load ${loadavg()}`,
    );
    if (want("plan")) benchPlan();
    let scale: ScaleResult[] = [];
    if (want("scale")) scale = await benchScale();
    if (want("components")) await benchComponentSizes();
    if (want("netlab")) {
        const sizes = (process.env.BENCH_NETLAB_SIZES ?? "256,1024")
            .split(",")
            .map(Number)
            .filter((n) => n > 0);
        const ours = new Map(scale.map((r) => [r.nodes, r]));
        await benchNetlab(sizes, {
            ours,
            timeoutMs: (Number(process.env.BENCH_NETLAB_TIMEOUT_S) || 600) * 1000,
        });
        const rest = Object.keys(NETLAB_SIZES)
            .map(Number)
            .filter((n) => !sizes.includes(n));
        if (rest.length)
            console.log(
                `  not run here: ${rest.join(", ")} nodes (BENCH_NETLAB_SIZES=${Object.keys(NETLAB_SIZES).join(",")} runs them; BENCHMARKS.md has the last such run)`,
            );
    }
    if (want("lab")) await lab();
    if (want("engine")) await (await import("./engine")).benchEngine();
    if (want("fabric")) await (await import("./engine-fabric")).benchEngineFabric();
    if (want("drain")) {
        if (process.getuid?.() !== 0)
            console.log("drain: skipped (needs root: network namespaces)");
        else await (await import("./drain")).benchDrain();
    }
    console.log(`done; load ${loadavg()}`);
}

main().catch((err) => {
    console.error(String(err).split("\n").slice(0, 5).join("\n"));
    process.exit(1);
});
