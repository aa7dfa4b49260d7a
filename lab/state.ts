// The lab's state file: every namespace and every process the lab created,
// written before and after each step, so `lab down` can clean up after a
// crash half-way through `lab up`. Processes are recorded with their start
// time (/proc/PID/stat field 22) so a recycled PID is never signalled.

import * as fs from "fs";
import { FabricPlan } from "../plan";
import { LabLocation, statePath } from "./env";
import { writeFileAtomic } from "./exec";
import * as path from "path";

export interface LabProcess {
    pid: number;
    /** Start time in clock ticks since boot; 0 when unknown. */
    start: number;
    device: string;
    what: string;
}

export interface LabDeviceState {
    name: string;
    ns: string;
    role: string;
    /** The process that holds the device's mount and UTS namespaces; everything else enters through it. */
    holder?: LabProcess;
}

export interface LabState {
    version: 1;
    prefix: string;
    dir: string;
    phase: "starting" | "up" | "failed";
    createdAt: string;
    /** Process that ran `lab up`. */
    owner: number;
    stack?: string;
    configFile?: string;
    /** fast: configs written before FRR starts; apply: pushed over SSH with the apply script; empty: left to `pulumi up`. */
    mode: "fast" | "apply" | "empty";
    /** Where the FRR configs came from: the project renderer or the lab's bring-up stand-in. */
    configSource?: string;
    mgmt: { ns: string; bridge: string; address: string; prefixLength: number };
    namespaces: string[];
    devices: Record<string, LabDeviceState>;
    processes: LabProcess[];
    timings: Record<string, number>;
}

export function readState(loc: LabLocation): LabState | undefined {
    const file = statePath(loc);
    if (!fs.existsSync(file)) return undefined;
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as LabState;
    } catch (e) {
        throw new Error(
            `lab state ${file} is unreadable (${(e as Error).message}); run 'lab down' to clean up by prefix`,
            { cause: e },
        );
    }
}

export function writeState(loc: LabLocation, st: LabState): void {
    fs.mkdirSync(loc.dir, { recursive: true, mode: 0o755 });
    writeFileAtomic(statePath(loc), JSON.stringify(st, null, 1) + "\n", 0o644);
}

export function planPath(loc: LabLocation): string {
    return path.join(loc.dir, "plan.json");
}

export function readLabPlan(loc: LabLocation): FabricPlan {
    const f = planPath(loc);
    if (!fs.existsSync(f)) throw new Error(`no lab is up (no ${f}); run 'npm run lab -- up'`);
    return JSON.parse(fs.readFileSync(f, "utf8")) as FabricPlan;
}

/** Start time of a process (clock ticks since boot), or undefined when it is gone. */
export function procStart(pid: number): number | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // rest[0] is field 3 (state); starttime is field 22.
        if (rest[0] === "Z" || rest[0] === "X") return undefined;
        return Number(rest[22 - 3]);
    } catch {
        return undefined;
    }
}

/** A recorded process that is still the same process (same PID and start time). */
export function isAlive(p: LabProcess): boolean {
    const s = procStart(p.pid);
    return s !== undefined && (p.start === 0 || s === p.start);
}

export function describeProcess(pid: number, device: string, what: string): LabProcess {
    const start = procStart(pid);
    if (start === undefined) throw new Error(`${device}: ${what} (pid ${pid}) is not running`);
    return { pid, start, device, what };
}

/** Inode of a network namespace handle: /proc/PID/ns/net or /run/netns/NAME. */
export function netnsInode(file: string): number | undefined {
    try {
        return fs.statSync(file).ino;
    } catch {
        return undefined;
    }
}
