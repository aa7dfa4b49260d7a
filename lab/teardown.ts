// `lab down`: end every process the lab started and remove every namespace it
// created -- also after a crash. Processes are found two ways and signalled by
// PID only: those recorded in the state file (PID + start time, so a recycled
// PID is never hit) and any process still inside one of the lab's network
// namespaces (found by name prefix with `ip netns pids`; anything in a lab
// namespace was started by the lab).

import * as fs from "fs";
import * as path from "path";
import { LabLocation, statePath } from "./env";
import { run, setGuard, sleep } from "./exec";
import { listLabNamespaces, namespacePids } from "./netns";
import { BIN } from "./env";
import { LabProcess, isAlive, procStart, readState } from "./state";

export interface DownReport {
    killed: number;
    forced: number;
    namespaces: string[];
    removedDir: boolean;
}

interface Target {
    pid: number;
    start: number;
    what: string;
}

function signal(t: Target, sig: NodeJS.Signals): void {
    const s = procStart(t.pid);
    if (s === undefined || s !== t.start) return; // gone, or the PID now belongs to someone else
    try {
        process.kill(t.pid, sig);
    } catch {
        /* exited meanwhile */
    }
}

export async function teardown(
    loc: LabLocation,
    log: (s: string) => void = () => undefined,
): Promise<DownReport> {
    setGuard(loc);
    let recorded: LabProcess[] = [];
    try {
        recorded = readState(loc)?.processes ?? [];
    } catch (e) {
        log(`warning: ${(e as Error).message}`);
    }
    const namespaces = await listLabNamespaces(loc);
    const targets = new Map<number, Target>();
    for (const p of recorded)
        if (isAlive(p))
            targets.set(p.pid, {
                pid: p.pid,
                start: procStart(p.pid)!,
                what: `${p.device} ${p.what}`,
            });
    for (const ns of namespaces) {
        for (const pid of await namespacePids(ns)) {
            const start = procStart(pid);
            if (start !== undefined && !targets.has(pid))
                targets.set(pid, { pid, start, what: `process in ${ns}` });
        }
    }
    const list = [...targets.values()];
    for (const t of list) signal(t, "SIGTERM");
    let alive = list;
    for (let i = 0; i < 60 && alive.length; i++) {
        await sleep(50);
        alive = alive.filter((t) => procStart(t.pid) === t.start);
    }
    const forced = alive.length;
    for (const t of alive) {
        log(`${t.what} (pid ${t.pid}) ignored SIGTERM; sending SIGKILL`);
        signal(t, "SIGKILL");
    }
    for (let i = 0; i < 40 && alive.length; i++) {
        await sleep(25);
        alive = alive.filter((t) => procStart(t.pid) === t.start);
    }
    if (alive.length)
        throw new Error(
            `processes survived SIGKILL: ${alive.map((t) => `${t.pid} (${t.what})`).join(", ")}`,
        );

    // Processes that entered a namespace after the scan (a straggling probe): one more pass.
    for (const ns of namespaces) {
        for (const pid of await namespacePids(ns)) {
            const start = procStart(pid);
            if (start !== undefined) signal({ pid, start, what: ns }, "SIGKILL");
        }
    }
    for (const ns of namespaces) {
        const r = await run(BIN.ip, ["netns", "del", ns], { check: false });
        if (r.code !== 0) log(`warning: ip netns del ${ns}: ${r.stderr.trim()}`);
    }
    const left = await listLabNamespaces(loc);
    if (left.length) throw new Error(`namespaces left after lab down: ${left.join(", ")}`);

    // The lab directory: only ever one that holds a lab (state file or the per-device tree).
    let removedDir = false;
    if (fs.existsSync(statePath(loc)) || fs.existsSync(path.join(loc.dir, "dev"))) {
        fs.rmSync(loc.dir, { recursive: true, force: true });
        removedDir = true;
    }
    // A per-process location (processLocation) also leaves its parent directory once it is empty.
    const parent = path.dirname(loc.dir);
    if (
        /^\d+$/.test(path.basename(loc.dir)) &&
        path.basename(parent).startsWith("bgp-fabric-lab-")
    ) {
        try {
            fs.rmdirSync(parent);
        } catch {
            /* another run's lab is still in there */
        }
    }
    return { killed: list.length, forced, namespaces, removedDir };
}

/**
 * A lab location private to this process (`<stem><pid>-`, `/run/bgp-fabric-lab-<stem>/<pid>`):
 * tests and benchmarks run concurrently with a dev lab, and with each other, without colliding.
 */
export function processLocation(stem: string, pid = process.pid): LabLocation {
    return { prefix: `${stem}${pid}-`, dir: `/run/bgp-fabric-lab-${stem}/${pid}` };
}

/** Tear down labs of `stem` whose owning process is gone (a test run that was killed). Returns the prefixes cleaned. */
export async function sweepStale(
    stem: string,
    log: (s: string) => void = () => undefined,
): Promise<string[]> {
    const pids = new Set<number>();
    const root = `/run/bgp-fabric-lab-${stem}`;
    if (fs.existsSync(root))
        for (const e of fs.readdirSync(root)) if (/^\d+$/.test(e)) pids.add(Number(e));
    const any: LabLocation = { prefix: `${stem}0-`, dir: `${root}/0` };
    setGuard(any);
    const r = await run(BIN.ip, ["netns", "list"], { check: false });
    for (const l of r.stdout.split("\n")) {
        const m = new RegExp(`^${stem}(\\d+)-`).exec(l.trim());
        if (m) pids.add(Number(m[1]));
    }
    const cleaned: string[] = [];
    for (const pid of pids) {
        if (pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue;
        const loc = processLocation(stem, pid);
        log(`removing the stale lab ${loc.prefix}* of process ${pid}`);
        await teardown(loc, log);
        cleaned.push(loc.prefix);
    }
    return cleaned;
}
