// Running commands for the lab, with the safety rules built in:
// - `ip` only ever runs against a lab namespace (`ip -n <lab ns> …`,
//   `ip netns add|del|pids|exec <lab ns>`): never against the root namespace;
// - everything inside a device runs through nsenter into that device's holder
//   process (its own network, mount and UTS namespaces).

import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import { BIN, LabLocation, isLabNs } from "./env";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    input?: string;
    timeoutMs?: number;
    /** Throw on a non-zero exit (default true). */
    check?: boolean;
    env?: NodeJS.ProcessEnv;
}

export class CommandError extends Error {
    constructor(
        public readonly cmd: string[],
        public readonly result: RunResult,
    ) {
        super(
            `command failed (exit ${result.code}): ${cmd.join(" ")}\n${(result.stderr || result.stdout).trim()}`,
        );
        this.name = "CommandError";
    }
}

const guardPrefixes = new Set<string>();

/** Register a lab whose namespaces `ip` may touch (every lab entry point does). */
export function setGuard(loc: LabLocation): void {
    guardPrefixes.add(loc.prefix);
}

/** Refuse any `ip` invocation that could touch the root namespace. */
function guardIp(args: string[]): void {
    if (guardPrefixes.size === 0) throw new Error("internal: lab guard not set before running ip");
    const isLab = (ns: string | undefined) =>
        !!ns && [...guardPrefixes].some((prefix) => isLabNs({ prefix, dir: "" }, ns));
    if (args[0] === "-n" && isLab(args[1])) return;
    if (args[0] === "netns") {
        if (args[1] === "list" && args.length === 2) return;
        if (["add", "del", "delete", "pids", "exec"].includes(args[1]) && isLab(args[2])) return;
    }
    throw new Error(
        `refusing to run 'ip ${args.join(" ")}': not confined to a lab namespace (${[...guardPrefixes].join("*, ")}*)`,
    );
}

function guard(cmd: string, args: string[]): void {
    if (cmd === BIN.ip) guardIp(args);
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    guard(cmd, args);
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, {
            stdio: ["pipe", "pipe", "pipe"],
            env: opts.env ?? process.env,
        });
        let stdout = "";
        let stderr = "";
        let timer: NodeJS.Timeout | undefined;
        let timedOut = false;
        child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
        child.on("error", (e) => {
            if (timer) clearTimeout(timer);
            reject(new Error(`cannot run ${cmd}: ${e.message}`));
        });
        child.on("close", (code, signal) => {
            if (timer) clearTimeout(timer);
            const res: RunResult = { code: code ?? (signal ? 128 : 1), stdout, stderr };
            if (timedOut) res.stderr += `\n(timed out after ${opts.timeoutMs} ms)`;
            if ((opts.check ?? true) && res.code !== 0)
                reject(new CommandError([cmd, ...args], res));
            else resolve(res);
        });
        if (opts.timeoutMs) {
            timer = setTimeout(() => {
                timedOut = true;
                child.kill("SIGKILL");
            }, opts.timeoutMs);
        }
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

export function runSync(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    guard(cmd, args);
    const r = spawnSync(cmd, args, {
        input: opts.input ?? "",
        encoding: "utf8",
        timeout: opts.timeoutMs,
        env: opts.env ?? process.env,
    });
    const res: RunResult = {
        code: r.status ?? 1,
        stdout: r.stdout ?? "",
        stderr: r.stderr ?? (r.error ? String(r.error) : ""),
    };
    if ((opts.check ?? true) && res.code !== 0) throw new CommandError([cmd, ...args], res);
    return res;
}

/** `ip -n <ns> …` (ns must be a lab namespace). */
export function ipn(ns: string, args: string[], opts?: RunOptions): Promise<RunResult> {
    return run(BIN.ip, ["-n", ns, ...args], opts);
}

/** argv prefix that runs a command in the namespaces of a device's holder process. */
export function nsenterArgs(holderPid: number): string[] {
    return ["--target", String(holderPid), "--mount", "--uts", "--net", "--"];
}

/** Run a command inside a device (all its namespaces). */
export function inDevice(holderPid: number, argv: string[], opts?: RunOptions): Promise<RunResult> {
    return run(BIN.nsenter, [...nsenterArgs(holderPid), ...argv], opts);
}

/** Run a bash script inside a device. */
export function bashInDevice(
    holderPid: number,
    script: string,
    opts?: RunOptions,
): Promise<RunResult> {
    return inDevice(holderPid, ["bash", "-c", script], opts);
}

/** Map with a bounded number of concurrent promises (2 cores: keep it modest). */
export async function pool<T, R>(
    items: readonly T[],
    limit: number,
    fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    let failed: unknown;
    const worker = async () => {
        while (next < items.length && failed === undefined) {
            const i = next++;
            try {
                out[i] = await fn(items[i], i);
            } catch (e) {
                failed ??= e;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    if (failed !== undefined) throw failed;
    return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Shell-quote one word for bash. */
export function sq(s: string): string {
    return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Write a file atomically (tmp + rename) with a mode. */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, text, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
}
