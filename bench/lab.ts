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
// Growth (issue 9): devices per minute brought to Established, on the dev
// stack (its first bring-up above) and on a larger synthetic lab (labFabric:
// 4 spines x 8 leafs x 32 nodes; 4 x 8 x 16 when the larger one does not reach
// Established within 3 min of waiting), devices/min = devices (external router
// included) / (start of labUp -> every planned session Established).
// Push parallelism: with a lab up (dev, then the larger one), configs are
// pushed again over SSH with labApply (the `lab up --apply` path: safe-apply
// script per device, all at once) to 2 devices, then 16 (larger lab only),
// then all of them (target: 16 devices <= 2x the time of 2); each push's frr.conf carries one
// extra comment line so the installed file differs and the device really goes
// through validate/backup/frr-reload.py/convergence check (the script skips an
// unchanged device); then the same text once more (the "unchanged" fast path).
//
//   benchLab(): Promise<Record<string, number>>   (bench/index.ts prints it)
//   npx ts-node --transpile-only bench/lab.ts     (this file alone)

import * as fs from "fs";
import * as os from "os";
import { FabricConfig, FabricPlan, planFabric, readStackFile } from "../plan";
import { labApply, labDown, labUp, waitEstablished } from "../lab";
import { LabLocation } from "../lab/env";
import {
    FailureMode,
    LinkEnd,
    measureWithdrawal,
    peerOf,
    restoreLink,
    routeNexthops,
} from "../lab/probes";
import { processLocation, sweepStale } from "../lab/teardown";
import { fmt } from "./measure";

export interface BenchLabOptions {
    stack?: string;
    /** Failovers measured per mode (median and max reported). */
    runs?: number;
    /** The larger synthetic lab, [spines, leafs, nodes]; the fallback when it does not reach Established in time. */
    large?: [number, number, number];
    fallback?: [number, number, number];
    /** How long the larger lab may take to reach Established (default 3 min). */
    largeTimeoutMs?: number;
    log?: (line: string) => void;
}

/**
 * A dev-like lab fabric of any size: management addresses in 10.10.0.0/24 (the lab's management
 * bridge is the /24 of the first device's address): spines .11+ (up to 9), leafs .21+ (up to 18),
 * nodes .101+ (up to 150); leafs in pairs, in
 * each pair's rack every fourth node single-attached to the first leaf and the next one to the
 * second (as k8s3/k8s4 in the dev stack), the others dual-attached; router-on-host, one VIP pool,
 * one external router on spine1/spine2.
 */
export function labFabric(
    base: FabricConfig,
    spines: number,
    leafs: number,
    nodes: number,
): FabricConfig {
    if (spines > 9 || leafs > 18 || nodes > 150 || leafs % 2)
        throw new Error(
            `labFabric: ${spines}/${leafs}/${nodes} does not fit 10.10.0.0/24 (or odd leafs)`,
        );
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const pairs = leafs / 2;
    const perPair = Math.ceil(nodes / pairs);
    return {
        ...base,
        name: `lab-${spines}x${leafs}x${nodes}`,
        spines: range(spines).map((i) => ({
            name: `spine${i}`,
            mgmt: { host: `10.10.0.${10 + i}` },
        })),
        leafs: range(leafs).map((i) => ({ name: `leaf${i}`, mgmt: { host: `10.10.0.${20 + i}` } })),
        nodes: range(nodes).map((i) => {
            const pair = Math.floor((i - 1) / perPair);
            const k = ((i - 1) % perPair) + 1;
            const [a, b] = [`leaf${2 * pair + 1}:swp${k}`, `leaf${2 * pair + 2}:swp${k}`];
            const uplinks = k % 4 === 3 ? [a] : k % 4 === 0 ? [b] : [a, b];
            return {
                name: `k8s${i}`,
                role: i === 1 ? "control-plane" : "worker",
                uplinks,
                mgmt: { host: `10.10.0.${100 + i}` },
            };
        }),
        externalRouters: [
            {
                name: "border1",
                asn: 64512,
                loopback: "172.16.253.1",
                links: ["spine1:swp31", "spine2:swp31"],
            },
        ],
        kubernetes: { ...(base.kubernetes ?? {}), routing: "router-on-host" },
    };
}

/** Configs pushed (reloaded) and "unchanged" per labApply call, and its wall time. */
/** Busy CPU seconds of the whole machine so far (/proc/stat: everything but idle and iowait; other load included). */
function busyCpuSeconds(): number {
    const f = fs
        .readFileSync("/proc/stat", "utf8")
        .split("\n")[0]
        .trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + (steal ?? 0)) / 100;
}

async function push(
    loc: LabLocation,
    devices: string[] | undefined,
    mark: string,
): Promise<{ ms: number; n: number; reloaded: number; failed: string[]; cpu: number }> {
    const c0 = busyCpuSeconds();
    const t0 = Date.now();
    const out = await labApply({
        ...loc,
        devices,
        transformConfig: (_d, c) => ({
            ...c,
            frr: c.frr ? `${c.frr.replace(/\n*$/, "\n")}! bench push ${mark}\n` : c.frr,
        }),
    });
    const ms = Date.now() - t0;
    const cpu = busyCpuSeconds() - c0;
    const failed = out.filter((o) => !o.ok).map((o) => (o.error ?? o.device).split("\n")[0]);
    return {
        ms,
        n: out.length,
        reloaded: out.filter((o) => o.ok && !/unchanged:/.test(o.output)).length,
        failed,
        cpu,
    };
}

/** Push to 2 devices, then to `subset` devices (if given), then to all; each with a fresh comment (a real reload), then all again unchanged. */
async function pushes(
    loc: LabLocation,
    plan: FabricPlan,
    tag: string,
    results: Record<string, number>,
    log: (s: string) => void,
    subset?: number,
): Promise<void> {
    // labApply's default set: every switch and node with an FRR config (all managed ones in the lab).
    const all = plan.devices
        .filter((d) => (d.role === "spine" || d.role === "leaf" || d.role === "node") && d.managed)
        .map((d) => d.name);
    // Two devices that peer with each other (a spine and a leaf), as a change to one link would touch.
    const two = [all.find((n) => n.startsWith("spine"))!, all.find((n) => n.startsWith("leaf"))!];
    const sizes: [string, string[]][] = [["2", two]];
    if (subset && subset < all.length)
        sizes.push([
            String(subset),
            [...two, ...all.filter((n) => !two.includes(n)).slice(0, subset - 2)],
        ]);
    sizes.push([String(all.length), all]);
    let round = 0;
    const t: Record<string, number> = {};
    const show = (r: Awaited<ReturnType<typeof push>>) =>
        `${fmt(r.ms)}  (${r.reloaded}/${r.n} reloaded; machine CPU busy ${r.cpu.toFixed(1)} core-s, ${(r.cpu / r.n).toFixed(2)} per device${r.failed.length ? `; FAILED: ${r.failed.join(" | ")}` : ""})`;
    for (const [label, devs] of sizes) {
        const r = await push(loc, devs, `${tag}-${++round}`);
        t[label] = r.ms;
        results[`lab.${tag}.push_${label}_ms`] = r.ms;
        results[`lab.${tag}.push_${label}_cpu_s`] = r.cpu;
        log(
            `  push, ${label.padStart(2)} devices in parallel (reload, one comment line changed): ${show(r)}`,
        );
    }
    const same = await push(loc, all, `${tag}-${round}`);
    results[`lab.${tag}.push_${all.length}_unchanged_ms`] = same.ms;
    log(
        `  push, ${String(all.length).padStart(2)} devices, same text again (the "unchanged" fast path): ${show(same)}`,
    );
    for (const [label] of sizes.slice(1)) {
        const ratio = t[label] / t["2"];
        results[`lab.${tag}.push_${label}_vs_2`] = ratio;
        log(
            `  push time ${label} devices / 2 devices: ${ratio.toFixed(2)}x${label === "16" ? " (target <= 2)" : ""}`,
        );
    }
}

/** Up a lab from a plan, wait until every session is Established; devices/min from the start. Leaves it up. */
async function grow(
    loc: LabLocation,
    plan: FabricPlan,
    tag: string,
    timeoutMs: number,
    results: Record<string, number>,
    log: (s: string) => void,
): Promise<void> {
    const t0 = Date.now();
    const up = await labUp({ ...loc, plan, replace: true });
    await waitEstablished(timeoutMs, { ...loc, speakers: false });
    const est = Date.now() - t0;
    const n = plan.devices.length;
    const perMin = n / (est / 60_000);
    results[`lab.${tag}.devices`] = n;
    results[`lab.${tag}.up_ms`] = up.timings.total;
    results[`lab.${tag}.established_ms`] = est;
    results[`lab.${tag}.devices_per_min`] = perMin;
    const s = plan.devices.filter((d) => d.role === "spine").length;
    const l = plan.devices.filter((d) => d.role === "leaf").length;
    const k = plan.devices.filter((d) => d.role === "node").length;
    log(
        `  ${s}/${l}/${k} (${n} devices incl. ${n - s - l - k} external, ${plan.sessions.length} sessions): lab up ${fmt(up.timings.total)}, all Established after ${fmt(est)}: ${perMin.toFixed(0)} devices/min  (load ${loadavg()})`,
    );
}

const loadavg = () =>
    os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(" ");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: number[]) => Math.max(...xs);

/** The failure under test: leaf1's first uplink; the far side is the spine it goes to, watching leaf1's loopback. */
function scenario(plan: FabricPlan): {
    end: LinkEnd;
    observer: { device: string; port: string; prefix: string };
} {
    const leaf = plan.devices.find(
        (d) => d.role === "leaf" && d.interfaces.some((i) => i.kind === "fabric"),
    );
    if (!leaf) throw new Error("the plan has no leaf with a fabric link");
    const uplink = leaf.interfaces.find((i) => i.kind === "fabric")!;
    const end = { device: leaf.name, port: uplink.name };
    const far = peerOf(plan, end);
    return { end, observer: { device: far.device, port: far.port, prefix: `${leaf.loopback}/32` } };
}

async function failovers(
    loc: LabLocation,
    plan: FabricPlan,
    mode: FailureMode,
    runs: number,
): Promise<number[]> {
    const { end, observer } = scenario(plan);
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
        try {
            out.push(
                await measureWithdrawal(end, mode, observer, {
                    ...loc,
                    pollMs: 10,
                    timeoutMs: 15_000,
                }),
            );
        } finally {
            await restoreLink(end, loc);
        }
        // Back to the starting point before the next run: sessions up, the far side routing through the cable again.
        await waitEstablished(60_000, { ...loc, speakers: false });
        const t0 = Date.now();
        while (
            !(await routeNexthops(observer.device, observer.prefix, loc)).some(
                (h) => h.dev === observer.port,
            )
        ) {
            if (Date.now() - t0 > 30_000)
                throw new Error(
                    `${observer.device} never routed ${observer.prefix} via ${observer.port} again`,
                );
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
    log(
        `lab (${opts.stack ?? "dev"} stack; failovers: ${runs} runs each, far side polled every 10 ms)`,
    );
    try {
        const plan = planFabric(config);
        const t0 = Date.now();
        const up = await labUp({ ...loc, plan, replace: true });
        results["lab.up_ms"] = up.timings.total;
        await waitEstablished(90_000, { ...loc, speakers: false });
        results["lab.established_ms"] = Date.now() - t0;
        log(
            `  lab up: ${fmt(up.timings.total)}; all ${plan.sessions.length} sessions Established after ${fmt(results["lab.established_ms"])}`,
        );

        const carrier = await failovers(loc, plan, "down", runs);
        results["lab.failover.carrier_ms"] = median(carrier);
        log(
            `  failover, cable down (carrier):      median ${fmt(median(carrier))}, max ${fmt(max(carrier))}`,
        );
        const bfd = await failovers(loc, plan, "silent", runs);
        results["lab.failover.silent_bfd_ms"] = median(bfd);
        results["lab.failover.silent_bfd_max_ms"] = max(bfd);
        log(
            `  failover, silent failure, BFD on:    median ${fmt(median(bfd))}, max ${fmt(max(bfd))}  (target <= 1 s)`,
        );
        // Push parallelism on the dev lab while it is up (its growth figure is the bring-up above).
        log(
            `lab pushes (labApply over SSH from the management namespace, all listed devices at once); load ${loadavg()}`,
        );
        await pushes(loc, plan, "dev", results, log);
        await labDown(loc);

        const noBfd = planFabric({ ...config, bgp: { ...(config.bgp ?? {}), bfd: false } });
        await labUp({ ...loc, plan: noBfd, replace: true });
        await waitEstablished(90_000, { ...loc, speakers: false });
        const hold = await failovers(loc, noBfd, "silent", runs);
        results["lab.failover.silent_nobfd_ms"] = median(hold);
        log(
            `  failover, silent failure, BFD off:   median ${fmt(median(hold))}, max ${fmt(max(hold))}  (hold time ${noBfd.bgp.holdtime} s)`,
        );
        await labDown(loc);

        // Growth: devices/min on the dev lab (its bring-up above) and on a larger synthetic lab, pushes there too.
        log(
            `lab growth (devices/min = devices / time from the start of 'up' to every session Established)`,
        );
        const devN = plan.devices.length;
        results["lab.dev.devices_per_min"] = devN / (results["lab.established_ms"] / 60_000);
        log(
            `  dev 2/4/8 (${devN} devices incl. 1 external, ${plan.sessions.length} sessions): lab up ${fmt(results["lab.up_ms"])}, all Established after ${fmt(results["lab.established_ms"])}: ${results["lab.dev.devices_per_min"].toFixed(0)} devices/min`,
        );
        const large = opts.large ?? [4, 8, 32];
        const fallback = opts.fallback ?? [4, 8, 16];
        const limit = opts.largeTimeoutMs ?? 180_000;
        let big: FabricPlan | undefined;
        for (const [s, l, n] of [large, fallback]) {
            const p = planFabric(labFabric(config, s, l, n));
            const tag = `${s}x${l}x${n}`;
            const t0 = Date.now();
            try {
                await grow(loc, p, tag, limit, results, log);
                big = p;
                break;
            } catch (e) {
                const msg = String(e instanceof Error ? e.message : e)
                    .split("\n")
                    .slice(0, 3)
                    .join(" | ");
                results[`lab.${tag}.failed_after_ms`] = Date.now() - t0;
                log(
                    `  ${s}/${l}/${n}: not Established within ${fmt(limit)} of waiting (${fmt(Date.now() - t0)} in all; load ${loadavg()}): ${msg}`,
                );
                await labDown(loc);
            }
        }
        if (big) {
            log(`lab pushes on ${big.name}; load ${loadavg()}`);
            await pushes(loc, big, big.name.replace(/^lab-/, ""), results, log, 16);
        }
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
