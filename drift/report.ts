// Drift results: what one device's check came to (from the exit status and
// output of the remote `frr-reload.py --test`), the report printed for all of
// them, and the exit code. Pure: no I/O.

import { DRIFT_EXIT, REMOTE_EXIT } from "../render/exit-codes";
import { FRR_RELOAD } from "../render/platforms";
import {
    DiffEntry,
    ReloadDiff,
    ReloadOutputError,
    hasDifferences,
    ignoreEntries,
    parseReloadTest,
    redactPasswords,
} from "./reload-diff";

/**
 * in-sync       the running config is the intended one (frr-reload.py would change nothing)
 * drift         it differs: the lines are in toDelete / toAdd
 * unreachable   SSH could not reach the device (no connection, refused, authentication, no answer in time)
 * check-failed  SSH got there but the check could not run (no FRR, FRR not answering, the intended text refused)
 */
export type DriftStatus = "in-sync" | "drift" | "unreachable" | "check-failed";

export interface DeviceDrift {
    device: string;
    role: string;
    /** Where the check went: `user@host:port`. */
    target: string;
    status: DriftStatus;
    toDelete: DiffEntry[];
    toAdd: DiffEntry[];
    /** Lines not compared, and why (e.g. BGP passwords the stack keeps encrypted). */
    notCompared?: string;
    /** unreachable / check-failed: what SSH or the device said. */
    message?: string;
    ms: number;
}

/** What running the check over SSH returned. */
export interface CheckRun {
    code: number;
    stdout: string;
    stderr: string;
    /** The local timeout (ms) ended the SSH client. */
    timedOut?: number;
}

export interface ClassifyOptions {
    device: string;
    role: string;
    target: string;
    ms?: number;
    /** Entries to leave out of the comparison, with the reason shown in the report. */
    ignore?: { test: (e: DiffEntry) => boolean; reason: string };
}

/** ssh's own failures exit 255 (the remote command's status otherwise): render/exit-codes.ts. */
export const SSH_FAILED = REMOTE_EXIT.SSH_FAILED;

/** One device's result from its SSH run. */
export function classify(run: CheckRun, opts: ClassifyOptions): DeviceDrift {
    const base: DeviceDrift = {
        device: opts.device,
        role: opts.role,
        target: opts.target,
        status: "in-sync",
        toDelete: [],
        toAdd: [],
        ms: opts.ms ?? 0,
    };
    if (run.timedOut !== undefined)
        return {
            ...base,
            status: "unreachable",
            message: `no answer over SSH within ${run.timedOut / 1000} s${lastLines(run.stderr) ? `: ${lastLines(run.stderr)}` : ""}`,
        };
    if (run.code === SSH_FAILED)
        return {
            ...base,
            status: "unreachable",
            message: lastLines(run.stderr) || `ssh exited ${SSH_FAILED} without a message`,
        };
    if (run.code === REMOTE_EXIT.NOT_FOUND) {
        const why = `no ${FRR_RELOAD} on the device (is FRR installed there? a node's router may run in the router DaemonSet instead)`;
        return { ...base, status: "check-failed", message: `${why}: ${lastLines(run.stderr, 1)}` };
    }
    if (run.code !== 0)
        return {
            ...base,
            status: "check-failed",
            message: `frr-reload.py --test exited ${run.code}: ${lastLines(run.stderr, 6) || lastLines(run.stdout, 6) || "no output"}`,
        };
    let diff: ReloadDiff;
    try {
        diff = parseReloadTest(run.stdout);
    } catch (e) {
        if (e instanceof ReloadOutputError)
            return {
                ...base,
                status: "check-failed",
                message: `unexpected frr-reload.py output: ${e.message}`,
            };
        throw e;
    }
    if (opts.ignore) {
        const before = diff.ignored.length;
        diff = ignoreEntries(diff, opts.ignore.test);
        if (diff.ignored.length > before) base.notCompared = opts.ignore.reason;
    }
    return {
        ...base,
        status: hasDifferences(diff) ? "drift" : "in-sync",
        toDelete: diff.toDelete,
        toAdd: diff.toAdd,
    };
}

/** The last non-empty lines of a tool's output, passwords masked, joined with ' | '. */
function lastLines(text: string, n = 3): string {
    const lines = redactPasswords(text)
        // frr-reload.py colours its log lines: ANSI escapes (ESC [ … m) out.
        // eslint-disable-next-line no-control-regex
        .replace(/\x1b\[[0-9;]*m/g, "")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !/^\d{4}-\d\d-\d\d [\d:,]+\s+INFO:/.test(l));
    return lines.slice(-n).join(" | ");
}

/** 0 every device in sync; 2 drift on some device; 3 some device could not be checked (unreachable or check failed), whatever the others show. */
export function driftExitCode(results: DeviceDrift[]): number {
    const unchecked = (r: DeviceDrift) => r.status === "unreachable" || r.status === "check-failed";
    if (results.some(unchecked)) return DRIFT_EXIT.UNCHECKED;
    if (results.some((r) => r.status === "drift")) return DRIFT_EXIT.DRIFT;
    return DRIFT_EXIT.IN_SYNC;
}

const LABEL: Record<DriftStatus, string> = {
    "in-sync": "in sync",
    drift: "DRIFT",
    unreachable: "UNREACHABLE",
    "check-failed": "CHECK FAILED",
};

function summary(r: DeviceDrift): string {
    switch (r.status) {
        case "in-sync":
            return r.notCompared ? "(some lines not compared, see below)" : "";
        case "drift":
            return `${r.toDelete.length} to delete, ${r.toAdd.length} to add`;
        default:
            return r.message ?? "";
    }
}

/** The human report: a table, then the differing lines of every drifted device, then one verdict line. */
export function formatReport(fabric: string, results: DeviceDrift[]): string {
    const rows = [
        ["DEVICE", "ROLE", "TARGET", "STATUS", "DETAIL"],
        ...results.map((r) => [r.device, r.role, r.target, LABEL[r.status], summary(r)]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    const out = [
        `Drift of fabric ${fabric}: running configuration vs the rendered one, by frr-reload.py --test on each device`,
        "",
    ];
    for (const row of rows)
        out.push(
            row
                .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i])))
                .join("  ")
                .trimEnd(),
        );
    for (const r of results) {
        if (r.status === "drift") {
            out.push(
                "",
                `${r.device}: the running config differs from the intended one; frr-reload.py would change:`,
            );
            const section = (title: string, list: DiffEntry[]) => {
                if (list.length === 0) return;
                out.push(`  ${title}`);
                for (const e of list) for (const l of e.text.split("\n")) out.push(`    ${l}`);
            };
            section("Lines To Delete", r.toDelete);
            section("Lines To Add", r.toAdd);
        }
        if (r.notCompared) out.push("", `${r.device}: not compared: ${r.notCompared}`);
    }
    const names = (s: DriftStatus) => results.filter((r) => r.status === s).map((r) => r.device);
    const counts = (["in-sync", "drift", "unreachable", "check-failed"] as DriftStatus[])
        .filter((s) => s === "in-sync" || names(s).length)
        .map(
            (s) =>
                `${names(s).length} ${LABEL[s].toLowerCase()}${s === "in-sync" || names(s).length === 0 ? "" : ` (${names(s).join(", ")})`}`,
        );
    out.push("", `drift: ${results.length} device(s) checked: ${counts.join(", ")}`);
    return out.join("\n") + "\n";
}

/** The machine report (--json): the same results, and the exit code. */
export function jsonReport(fabric: string, mode: string, results: DeviceDrift[]): string {
    return (
        JSON.stringify(
            {
                fabric,
                mode,
                exitCode: driftExitCode(results),
                devices: results.map((r) => ({
                    device: r.device,
                    role: r.role,
                    target: r.target,
                    status: r.status,
                    toDelete: r.toDelete.map((e) => e.text),
                    toAdd: r.toAdd.map((e) => e.text),
                    ...(r.notCompared ? { notCompared: r.notCompared } : {}),
                    ...(r.message ? { message: r.message } : {}),
                    ms: r.ms,
                })),
            },
            null,
            1,
        ) + "\n"
    );
}
