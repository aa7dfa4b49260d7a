// Drift, the I/O half: send each device its intended config over SSH, run
// `frr-reload.py --test` there (drift/targets.ts remoteCheckCommand), and
// classify what came back (drift/report.ts). The check changes nothing on a
// device. --restore then re-runs the safe-apply script of the drifted devices
// (the same script their Pulumi command runs) over the same SSH path.
//
// Two ways to the devices:
//   ssh  plain `ssh` to the plan's mgmt host/port with the component's user
//        (device mgmt.user, else fabric:ssh.user, else root) and --identity;
//   lab  through the running lab: `ip netns exec <management namespace> ssh`
//        with the lab's key and pinned host keys (labSshConfig), as
//        everything that talks to lab devices does.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FabricConfig, FabricPlan } from "../plan";
import { labInfo, labSshConfig } from "../lab";
import { LabLocationOptions } from "../lab/env";
import { RunResult, pool, run } from "../lab/exec";
import { sshOptions } from "../lab/sshd";
import { APPLY_EXIT } from "../render/exit-codes";
import { CheckRun, DeviceDrift, SSH_FAILED, classify } from "./report";
import {
    DriftDevice,
    PASSWORDS_UNKNOWN,
    RUN_APPLY_SCRIPT,
    SshOptions,
    driftDevices,
    nodeRestoreHint,
    passwordEntry,
    pinnedKnownHosts,
    remoteCheckCommand,
    sshArgs,
    targetName,
} from "./targets";

export interface DriftOptions extends SshOptions {
    /** Only these devices (default: every device with a rendered FRR config). */
    devices?: string[];
    /** Seconds for one device's whole check (default 60). */
    timeoutSeconds?: number;
    /** Devices checked at once (default 8). */
    concurrency?: number;
}

/** One way to the devices: where a device is, and running a command there with stdin. */
export interface Connector {
    mode: "ssh" | "lab";
    plan: FabricPlan;
    devices: DriftDevice[];
    target(d: DriftDevice): string;
    exec(
        d: DriftDevice,
        remoteCommand: string,
        input: string,
        timeoutMs: number,
    ): Promise<CheckRun>;
    close(): void;
}

export interface DriftRun {
    fabric: string;
    mode: "ssh" | "lab";
    results: DeviceDrift[];
}

function toCheckRun(r: RunResult): CheckRun {
    const suffix = /\n?\(timed out after (\d+) ms\)\s*$/;
    const m = suffix.exec(r.stderr);
    return {
        code: r.code,
        stdout: r.stdout,
        stderr: m ? r.stderr.replace(suffix, "") : r.stderr,
        timedOut: m ? Number(m[1]) : undefined,
    };
}

/** Plain SSH (the production path). */
export function sshConnector(
    plan: FabricPlan,
    config: FabricConfig | undefined,
    opts: DriftOptions = {},
): Connector {
    const devices = driftDevices(plan, config, opts.devices);
    const pinned = pinnedKnownHosts(devices);
    let tmp: string | undefined;
    let pinnedFile: string | undefined;
    if (pinned) {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bgp-fabric-drift-"));
        pinnedFile = path.join(tmp, "known_hosts");
        fs.writeFileSync(pinnedFile, pinned + "\n", { mode: 0o600 });
    }
    return {
        mode: "ssh",
        plan,
        devices,
        target: targetName,
        async exec(d, remoteCommand, input, timeoutMs) {
            if (!d.ssh)
                return {
                    code: SSH_FAILED,
                    stdout: "",
                    stderr: `${d.name} has no management address (mgmt.host) in the plan`,
                };
            return toCheckRun(
                await run(
                    "ssh",
                    sshArgs(d, opts, d.ssh.hostKey ? pinnedFile : undefined, remoteCommand),
                    { input, check: false, timeoutMs },
                ),
            );
        },
        close() {
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        },
    };
}

/** The devices of a running lab; the intended configs come from `plan` (default: the plan the lab was brought up from). */
export function labConnector(
    plan: FabricPlan | undefined,
    config: FabricConfig | undefined,
    opts: DriftOptions & LabLocationOptions = {},
): Connector {
    const loc = { dir: opts.dir, prefix: opts.prefix };
    const info = labSshConfig(loc); // also registers the lab's namespaces with the ip guard
    const lab = labInfo(loc);
    const p = plan ?? lab.plan;
    return {
        mode: "lab",
        plan: p,
        devices: driftDevices(p, config, opts.devices),
        target: (d) =>
            info.devices[d.name]
                ? `${info.devices[d.name].user}@${info.devices[d.name].host}:${info.devices[d.name].port}`
                : "(not in the lab)",
        async exec(d, remoteCommand, input, timeoutMs) {
            const c = info.devices[d.name];
            if (!c)
                return {
                    code: SSH_FAILED,
                    stdout: "",
                    stderr: `${d.name} is not a device of the running lab (${Object.keys(info.devices).join(", ")})`,
                };
            const argv = [
                "netns",
                "exec",
                info.netns,
                "ssh",
                ...sshOptions(lab.loc),
                "-p",
                String(c.port),
                `${c.user}@${c.host}`,
                remoteCommand,
            ];
            return toCheckRun(await run("ip", argv, { input, check: false, timeoutMs }));
        },
        close() {},
    };
}

/** Check every device of the connector. */
export async function checkDrift(conn: Connector, opts: DriftOptions = {}): Promise<DriftRun> {
    const timeoutMs = (opts.timeoutSeconds ?? 60) * 1000;
    const only = opts.devices;
    const devices = only ? conn.devices.filter((d) => only.includes(d.name)) : conn.devices;
    const results = await pool(devices, opts.concurrency ?? 8, async (d) => {
        const t0 = Date.now();
        const r = await conn.exec(d, remoteCheckCommand(d.platform), d.intended, timeoutMs);
        return classify(r, {
            device: d.name,
            role: d.role,
            target: conn.target(d),
            ms: Date.now() - t0,
            ignore: d.passwordsUnknown
                ? { test: passwordEntry, reason: PASSWORDS_UNKNOWN }
                : undefined,
        });
    });
    return { fabric: conn.plan.name, mode: conn.mode, results };
}

/** Drift over plain SSH. */
export async function driftOverSsh(
    plan: FabricPlan,
    config: FabricConfig | undefined,
    opts: DriftOptions = {},
): Promise<DriftRun> {
    const conn = sshConnector(plan, config, opts);
    try {
        return await checkDrift(conn, opts);
    } finally {
        conn.close();
    }
}

/** Drift of the devices of a running lab. */
export async function driftInLab(
    plan: FabricPlan | undefined,
    config: FabricConfig | undefined,
    opts: DriftOptions & LabLocationOptions = {},
): Promise<DriftRun> {
    return checkDrift(labConnector(plan, config, opts), opts);
}

export interface RestoreOutcome {
    device: string;
    ok: boolean;
    /** The apply script's exit status (APPLY_EXIT; SSH_FAILED: SSH), or -1 when not attempted. */
    code: number;
    /** The script's output (its last line says what happened), or why the device was not restored. */
    output: string;
    ms: number;
}

/**
 * Re-apply the intended config of these devices with their safe-apply script
 * (validate, back up, reload, wait for sessions, roll back on failure), all at once.
 * Not attempted: a switch whose BGP password the stack keeps encrypted, and over plain
 * SSH a node (its router runs in the router DaemonSet; the hint says how to restart it).
 */
export async function restoreDevices(conn: Connector, names: string[]): Promise<RestoreOutcome[]> {
    const devices = names.map((n) => {
        const d = conn.devices.find((x) => x.name === n);
        if (!d) throw new Error(`no device ${n} to restore`);
        return d;
    });
    // A rollback waits a second convergeTimeout for the old sessions.
    const timeoutMs = (2 * conn.plan.apply.convergeTimeout + 60) * 1000;
    return pool(devices, devices.length, async (d) => {
        const t0 = Date.now();
        if (d.role === "node" && conn.mode === "ssh")
            return {
                device: d.name,
                ok: false,
                code: -1,
                output: `not restored over SSH: ${nodeRestoreHint(d.name)}`,
                ms: 0,
            };
        if (!d.applyScript)
            return {
                device: d.name,
                ok: false,
                code: -1,
                output: `not restored: ${PASSWORDS_UNKNOWN}`,
                ms: 0,
            };
        let r = await conn.exec(d, RUN_APPLY_SCRIPT, d.applyScript, timeoutMs);
        // What the apply kept is confirmed over a second connection, or the device undoes it.
        if (r.code === APPLY_EXIT.OK || r.code === APPLY_EXIT.SESSIONS_DOWN) {
            const c = await conn.exec(d, RUN_APPLY_SCRIPT, d.confirmScript!, 60_000);
            r = c.code === 0 ? { ...r, stdout: r.stdout + c.stdout } : c;
        }
        const output = (r.code === 0 ? r.stdout : `${r.stderr}\n${r.stdout}`).trim();
        return {
            device: d.name,
            ok: r.code === 0,
            code: r.code,
            output: output || `exit ${r.code}`,
            ms: Date.now() - t0,
        };
    });
}
