// Plan + render at data-centre scale, and the components under mocks, each
// size measured in a fresh child process (its own heap, its own peak memory).
//
//   plan + render   1,024 / 4,096 / 8,192 / 16,384 nodes (16–64 spines, 64–512
//                   leafs, every node dual-attached to a leaf pair): median of
//                   several runs after one cold run, peak RSS, and the growth
//                   per doubling of the node count. Issue 3 target: the
//                   8,192-node fabric planned and rendered in ≤ 1 s.
//   components      100 / 1,000 / 5,000 devices under Pulumi mocks: resources
//                   registered, time (issue 4 target: ≤ 30 s at 1,000), peak RSS.
//
// Growth per doubling: (t₂/t₁)^(1/log₂(n₂/n₁)) between neighbouring sizes;
// 2.0 is linear in the node count. The fabric links (spines × leafs) grow
// faster than the nodes in these sizes, so the rendered output is shown too:
// time that grows like the output is linear in the work.
//
//   npx ts-node --transpile-only bench/scale.ts [render|components]   (this file alone)

import { spawn } from "child_process";
import * as path from "path";
import { PerformanceObserver, performance } from "perf_hooks";
import { syntheticFabric } from "./fabric-config";
import { ComponentsResult } from "./components";
import { fmt } from "./measure";
import { median, planAndRender } from "./render";

export type Size = [spines: number, leafs: number, nodes: number];

export const SCALE_SIZES: Size[] = [
    [16, 64, 1024],
    [32, 128, 4096],
    [32, 256, 8192],
    [64, 512, 16384],
];

/** Devices, not nodes: 100 / 1,000 / 5,000 spines + leafs + nodes. */
export const COMPONENT_SIZES: Size[] = [
    [2, 8, 90],
    [4, 32, 964],
    [8, 64, 4928],
];

export interface ScaleResult {
    spines: number;
    leafs: number;
    nodes: number;
    devices: number;
    sessions: number;
    texts: number;
    objects: number;
    /** Megabytes of rendered text. */
    outputMB: number;
    runs: number;
    /** The first plan + render of the process (cold JIT), and the median of the runs after it. */
    coldMs: number;
    planMs: number;
    renderMs: number;
    totalMs: number;
    /** CPU time (user + system, every thread of the process) of one plan + render, median: less sensitive to other load than wall time. */
    cpuMs: number;
    /** ms from the child's start (node + ts-node + modules) to the end of its first plan + render: a CLI run. */
    processMs: number;
    /** RSS after loading the modules and building the config, before planning; and the process's peak RSS. */
    baseRssMB: number;
    peakRssMB: number;
    /** Heap in use after a full GC with one plan and all its renders alive. */
    liveHeapMB: number;
    /** Share of the timed runs spent in garbage collection. */
    gcShare: number;
    loadavg: string;
}

const MB = 1024 * 1024;
const ROOT = path.resolve(__dirname, "..");

export function loadavg(): string {
    try {
        return require("fs").readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    } catch {
        return "n/a";
    }
}

/** (b/a) per doubling of n: 2.0 is linear. */
export function perDoubling(a: number, b: number, na: number, nb: number): number {
    return Math.pow(b / a, 1 / Math.log2(nb / na));
}

// ---------------------------------------------------------------------------
// In the child.

function gc(): void {
    (global as { gc?: () => void }).gc?.();
}

async function childRender(s: number, l: number, n: number, runs: number): Promise<ScaleResult> {
    const config = syntheticFabric(s, l, n);
    gc();
    const baseRss = process.memoryUsage().rss;
    // Garbage collections, kept with their start time: only those inside the timed runs count.
    const gcs: { start: number; ms: number }[] = [];
    const observer = new PerformanceObserver((list) =>
        list.getEntries().forEach((e) => gcs.push({ start: e.startTime, ms: e.duration })),
    );
    observer.observe({ entryTypes: ["gc"] });

    const cold = planAndRender(config);
    const processMs = performance.now();
    // What a plan and its renders hold: heap in use after a full GC while both are alive.
    gc();
    const liveHeap = process.memoryUsage().heapUsed;
    const facts = {
        devices: cold.plan.devices.length,
        sessions: cold.plan.sessions.length,
        texts: cold.rendered.texts,
        objects: cold.rendered.objects,
        outputMB: cold.rendered.chars / MB,
        coldMs: cold.totalMs,
    };
    (cold as { plan?: unknown; rendered?: unknown }).plan = (
        cold as { rendered?: unknown }
    ).rendered = undefined;
    gc();
    const times = {
        plan: [] as number[],
        render: [] as number[],
        total: [] as number[],
        cpu: [] as number[],
    };
    const start = performance.now();
    for (let i = 0; i < runs; i++) {
        const c = process.cpuUsage();
        const r = planAndRender(config);
        const cpu = process.cpuUsage(c);
        times.plan.push(r.planMs);
        times.render.push(r.renderMs);
        times.total.push(r.totalMs);
        times.cpu.push((cpu.user + cpu.system) / 1000);
    }
    const end = performance.now();
    await new Promise((r) => setTimeout(r, 100)); // the observer reports asynchronously
    observer.disconnect();
    const gcMs = gcs.filter((g) => g.start >= start && g.start < end).reduce((a, g) => a + g.ms, 0);
    return {
        spines: s,
        leafs: l,
        nodes: n,
        ...facts,
        runs,
        planMs: median(times.plan),
        renderMs: median(times.render),
        totalMs: median(times.total),
        cpuMs: median(times.cpu),
        gcShare: gcMs / (end - start),
        processMs,
        baseRssMB: baseRss / MB,
        peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
        liveHeapMB: liveHeap / MB,
        loadavg: loadavg(),
    };
}

async function childComponents(s: number, l: number, n: number): Promise<object> {
    const { benchComponents } = await import("./components");
    const [r] = await benchComponents([[s, l, n]], true);
    return { ...r, peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB, loadavg: loadavg() };
}

const RESULT = "BENCH_RESULT ";

async function childMain(argv: string[]): Promise<void> {
    const [kind, ...nums] = argv;
    const [s, l, n, runs] = nums.map(Number);
    const result =
        kind === "render" ? await childRender(s, l, n, runs || 5) : await childComponents(s, l, n);
    process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------
// In the parent.

/** Runs this file as `--child kind args…` in a fresh node (with --expose-gc) and returns its result. */
export function inChild<T>(kind: string, args: number[], timeoutMs = 15 * 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            [
                "--expose-gc",
                "-r",
                "ts-node/register/transpile-only",
                path.join(__dirname, "scale.ts"),
                "--child",
                kind,
                ...args.map(String),
            ],
            { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const line = out.split("\n").find((x) => x.startsWith(RESULT));
            if (line) return resolve(JSON.parse(line.slice(RESULT.length)) as T);
            const why = signal
                ? `killed by ${signal}${signal === "SIGKILL" ? ` after ${fmt(timeoutMs)}` : ""}`
                : `exit ${code}`;
            const tail = err
                .split("\n")
                .filter((x) => x && !/npm warn/i.test(x))
                .slice(-5)
                .join("\n");
            reject(
                new Error(
                    `bench child ${kind} ${args.join(" ")}: ${why}${tail ? `\n${tail}` : ""}`,
                ),
            );
        });
    });
}

/** `processes` fresh processes of `runs` runs each; the figures of the process with the median time. */
export async function measureScale(size: Size, runs = 5, processes = 3): Promise<ScaleResult> {
    const all: ScaleResult[] = [];
    for (let i = 0; i < processes; i++)
        all.push(await inChild<ScaleResult>("render", [...size, runs]));
    all.sort((a, b) => a.totalMs - b.totalMs);
    const mid = all[Math.floor((all.length - 1) / 2)];
    // Memory: the largest of the processes.
    return {
        ...mid,
        peakRssMB: Math.max(...all.map((r) => r.peakRssMB)),
        processMs: median(all.map((r) => r.processMs)),
        coldMs: median(all.map((r) => r.coldMs)),
    };
}

const pad = (s: string | number, w: number) => String(s).padStart(w);

export async function benchScale(
    sizes: Size[] = SCALE_SIZES,
    runs = 5,
    processes = 3,
): Promise<ScaleResult[]> {
    console.log(
        `plan + render (every managed device's renderDevice + renderKubernetes): per size ${processes} fresh processes of ${runs} runs after a cold one; the process with the median time shown (peak RSS: the largest):`,
    );
    console.log(
        `  ${"spines/leafs/nodes".padEnd(18)} ${pad("devices", 7)} ${pad("sessions", 8)} ${pad("output", 8)} ${pad("plan", 9)} ${pad("render", 9)} ${pad("total", 9)} ${pad("CPU", 9)} ${pad("cold", 9)} ${pad("CLI run", 9)} ${pad("peak RSS", 9)} ${pad("Δ RSS", 8)} ${pad("live heap", 9)} ${pad("GC", 4)}  load`,
    );
    const results: ScaleResult[] = [];
    for (const size of sizes) {
        const r = await measureScale(size, runs, processes);
        results.push(r);
        console.log(
            `  ${`${r.spines}/${r.leafs}/${r.nodes}`.padEnd(18)} ${pad(r.devices, 7)} ${pad(r.sessions, 8)} ${pad(`${r.outputMB.toFixed(1)} MB`, 8)} ${pad(fmt(r.planMs), 9)} ${pad(fmt(r.renderMs), 9)} ${pad(fmt(r.totalMs), 9)} ${pad(fmt(r.cpuMs), 9)} ${pad(fmt(r.coldMs), 9)} ${pad(fmt(r.processMs), 9)} ${pad(`${r.peakRssMB.toFixed(0)} MB`, 9)} ${pad(`${(r.peakRssMB - r.baseRssMB).toFixed(0)} MB`, 8)} ${pad(`${r.liveHeapMB.toFixed(0)} MB`, 9)} ${pad(`${(100 * r.gcShare).toFixed(0)}%`, 4)}  ${r.loadavg}`,
        );
    }
    console.log("  growth per doubling of the nodes (2.0 = linear):");
    for (let i = 1; i < results.length; i++) {
        const a = results[i - 1];
        const b = results[i];
        const g = (x: number, y: number) => perDoubling(x, y, a.nodes, b.nodes).toFixed(2);
        console.log(
            `    ${a.nodes} → ${b.nodes}: time ${g(a.totalMs, b.totalMs)}, CPU ${g(a.cpuMs, b.cpuMs)}, plan ${g(a.planMs, b.planMs)}, render ${g(a.renderMs, b.renderMs)}, Δ RSS ${g(Math.max(1, a.peakRssMB - a.baseRssMB), Math.max(1, b.peakRssMB - b.baseRssMB))}, live heap ${g(a.liveHeapMB, b.liveHeapMB)}; output ${g(a.outputMB, b.outputMB)}, sessions ${g(a.sessions, b.sessions)}`,
        );
    }
    const first = results[0];
    const last = results[results.length - 1];
    const perMBa = first.totalMs / first.outputMB;
    const perMBb = last.totalMs / last.outputMB;
    console.log(
        `    time per MB of output: ${perMBa.toFixed(1)} ms at ${first.nodes} nodes, ${perMBb.toFixed(1)} ms at ${last.nodes} nodes`,
    );
    const target = results.find((r) => r.nodes === 8192);
    if (target)
        console.log(
            `  8,192 nodes: ${fmt(target.totalMs)} (median; cold ${fmt(target.coldMs)})  [issue 3 target ≤ 1 s]`,
        );
    return results;
}

export interface ComponentSizeResult extends ComponentsResult {
    peakRssMB: number;
    loadavg: string;
}

export async function benchComponentSizes(
    sizes: Size[] = COMPONENT_SIZES,
): Promise<ComponentSizeResult[]> {
    console.log(
        "components under Pulumi mocks (test/support/pulumi-mocks), one fresh process per size, one run each:",
    );
    const results: ComponentSizeResult[] = [];
    for (const size of sizes) {
        const r = await inChild<ComponentSizeResult>("components", size);
        results.push(r);
        console.log(
            `  ${pad(r.devices, 5)} devices (${r.spines}/${r.leafs}/${r.nodes}): ${pad(fmt(r.totalMs), 8)} (construct ${fmt(r.constructMs)}), ${r.resources} resources (${(r.resources / r.devices).toFixed(2)}/device), peak RSS ${r.peakRssMB.toFixed(0)} MB  load ${r.loadavg}${r.devices === 1000 ? "  [target ≤ 30 s]" : ""}`,
        );
    }
    for (let i = 1; i < results.length; i++) {
        const a = results[i - 1];
        const b = results[i];
        console.log(
            `    ${a.devices} → ${b.devices} devices: time ×${(b.totalMs / a.totalMs).toFixed(1)} (per doubling ${perDoubling(a.totalMs, b.totalMs, a.devices, b.devices).toFixed(2)}), peak RSS ×${(b.peakRssMB / a.peakRssMB).toFixed(1)}`,
        );
    }
    return results;
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    if (argv[0] === "--child") {
        childMain(argv.slice(1)).catch((e) => {
            console.error(e instanceof Error ? e.stack : String(e));
            process.exit(1);
        });
    } else {
        const what = argv[0] ?? "render";
        const runs = Number(process.env.BENCH_RUNS) || 5;
        const processes = Number(process.env.BENCH_PROCESSES) || 3;
        (what === "components"
            ? benchComponentSizes()
            : benchScale(SCALE_SIZES, runs, processes)
        ).catch((e) => {
            console.error(e instanceof Error ? e.message : String(e));
            process.exit(1);
        });
    }
}
