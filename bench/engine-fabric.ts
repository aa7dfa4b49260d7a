// The whole program (devices included) through the real Pulumi engine — issue
// 13's performance targets:
//   1,000 devices   preview from empty of 4 spines, 96 leafs and 900
//                   dual-attached nodes (Kubernetes objects rendered to a
//                   directory): time and peak memory of the engine process
//                   (the program, run inline) and of its whole process tree
//                   (+ the Pulumi CLI and both resource plugins)
//   dev stack       against the lab brought up empty: `up` until every session
//                   is Established (the lab playing the router DaemonSet),
//                   then a no-op preview
// Needs the command resource plugin, which no registry here serves: without it
// this part prints one line and measures nothing. Root only (the lab).
//
//   npx ts-node --transpile-only bench/engine-fabric.ts     (this part alone)

import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { buildEngine } from "../engine/build";
import { RunReport } from "../engine/run";
import { labDaemonSetDuring, labDown, labStackConfig, labUp, waitEstablished } from "../lab";
import { labLocation } from "../lab/env";
import { processLocation, sweepStale } from "../lab/teardown";
import { engineMissing, parseReport } from "../test/support/engine";
import { ROOT } from "../test/support/fixtures";
import { commandPluginPresent, runEngineInLab } from "../test/lab/engine-lab";
import { syntheticFabric } from "./fabric-config";
import { fmt } from "./measure";

const MB = 2 ** 20;

/** Resident memory of a process and of every descendant, from /proc. */
function rss(pid: number): { own: number; tree: number } {
    const children = new Map<number, number[]>();
    for (const p of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(p)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
        } catch {
            /* gone meanwhile */
        }
    }
    const of = (p: number) => {
        try {
            return (
                Number(
                    /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0,
                ) * 1024
            );
        } catch {
            return 0;
        }
    };
    const walk = (p: number): number =>
        of(p) + (children.get(p) ?? []).reduce((a, c) => a + walk(c), 0);
    return { own: of(pid), tree: walk(pid) };
}

/** One engine operation as its own process (bin/cli/engine.js), its memory sampled every 100 ms. */
async function measuredEngine(args: string[]): Promise<{
    report?: RunReport;
    seconds: number;
    peakOwn: number;
    peakTree: number;
    stderr: string;
}> {
    const child = spawn(process.execPath, [buildEngine(), ...args, "--json"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    let peakOwn = 0;
    let peakTree = 0;
    const sample = setInterval(() => {
        const m = rss(child.pid!);
        peakOwn = Math.max(peakOwn, m.own);
        peakTree = Math.max(peakTree, m.tree);
    }, 100);
    const t0 = Date.now();
    await new Promise((resolve) => child.on("exit", resolve));
    clearInterval(sample);
    return {
        report: parseReport(stdout),
        seconds: (Date.now() - t0) / 1000,
        peakOwn,
        peakTree,
        stderr,
    };
}

async function thousandDevices(work: string): Promise<void> {
    const file = path.join(work, "Pulumi.bench.yaml");
    const config = { ...syntheticFabric(4, 96, 900), name: "bench" };
    config.kubernetes = {
        ...config.kubernetes,
        installUpstream: false,
        renderDirectory: path.join(work, "rendered"),
    };
    fs.writeFileSync(
        file,
        YAML.stringify({
            config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`fabric:${k}`, v])),
        }),
    );
    const key = path.join(work, "key");
    fs.writeFileSync(key, "not a key: a preview dials no device\n", { mode: 0o600 });
    const r = await measuredEngine([
        "preview",
        "--config",
        file,
        "--work",
        path.join(work, "bench"),
        "--secret",
        `fabric:ssh.privateKey=@${key}`,
    ]);
    if (!r.report?.ok)
        return console.log(
            `  1,000 devices: preview FAILED: ${(r.report?.error ?? r.stderr).split("\n").slice(-3).join(" | ")}`,
        );
    console.log(
        `  1,000 devices (4/96/900, ${r.report.summary.create} resources): preview from empty ${fmt(r.seconds * 1000)} ` +
            `(engine ${fmt(r.report.seconds * 1000)}), peak ${(r.peakOwn / MB).toFixed(0)} MB the program's process, ` +
            `${(r.peakTree / MB).toFixed(0)} MB with the CLI and plugins  [targets ≤ 10 s, ≤ 600 MB]`,
    );
}

async function devOnTheLab(): Promise<void> {
    const LOC = processLocation("be");
    await sweepStale("be");
    try {
        await labUp({ ...LOC, stack: "dev", empty: true });
        const sc = labStackConfig(LOC);
        const run = {
            config: path.join(ROOT, "Pulumi.dev.yaml"),
            work: path.join(LOC.dir, "engine"),
            set: sc.set,
            secretFiles: sc.secretFiles,
        };
        const t0 = Date.now();
        // The router DaemonSet's pods start when `up` creates it (lab/index.ts labDaemonSetDuring).
        let upDone = 0;
        const { result: up } = await labDaemonSetDuring(
            runEngineInLab(labLocation(LOC), "up", run).finally(() => (upDone = Date.now())),
            (r) => r.report?.ok === true,
            LOC,
        );
        if (!up.report?.ok)
            return console.log(
                `  dev: up FAILED: ${(up.report?.error ?? up.stderr).split("\n").slice(-3).join(" | ")}`,
            );
        await waitEstablished(60_000, { ...LOC, speakers: false });
        const established = Date.now();
        const preview = await runEngineInLab(labLocation(LOC), "preview", run);
        const changes = preview.report?.steps.length ?? -1;
        console.log(
            `  dev (${up.report.summary.create} resources): up from empty ${fmt(upDone - t0)}, every session Established after ${fmt(established - t0)}  [target ≤ 15 s]; ` +
                `no-op preview ${fmt((preview.report?.seconds ?? NaN) * 1000)}${changes ? ` (${changes} changes!)` : ""}  [target ≤ 3 s]`,
        );
        await runEngineInLab(labLocation(LOC), "destroy", run);
    } finally {
        await labDown(LOC);
    }
}

export async function benchEngineFabric(): Promise<void> {
    console.log("real engine, the whole program (devices included):");
    const missing =
        engineMissing() ??
        (commandPluginPresent()
            ? undefined
            : "the command resource plugin (no registry here serves it)");
    if (missing) return console.log(`  skipped (missing ${missing})`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bgpf-bench-fabric-"));
    try {
        await thousandDevices(work);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
    if (process.getuid?.() !== 0)
        return console.log("  dev stack on the lab: skipped (needs root: network namespaces)");
    await devOnTheLab();
}

if (require.main === module) {
    benchEngineFabric().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
