// `lab up --apply`: FRR starts with an empty config and each device gets its
// configuration over SSH, from the management namespace, the way the Pulumi
// components deliver it:
// - a switch: the exact safe-apply script its FabricSwitch component runs
//   (render/device.ts switchScripts → render/apply-script.ts);
// - a node: its host setup script (what the K8sNode component runs), then its
//   router's frr.conf through the same safe-apply script -- in production the
//   router DaemonSet delivers that file; the lab has no Kubernetes.
// Every device waits for its own sessions, which need the far end configured
// too, so all devices are pushed at once.
//
// pushDevice is one device's push, reported rather than thrown (labApply in
// index.ts pushes again to a running lab: the fault tests, re-runs).

import { FabricPlan, Platform, PlannedDevice } from "../plan";
import { frrApplyScript, renderDevice, switchScripts } from "../render/device";
import { LabConfigs, RenderedDevice } from "./configs";
import { LabLocation } from "./env";
import { pool } from "./exec";
import { sshRun } from "./sshd";

export interface ApplyResult {
    device: string;
    ms: number;
    output: string;
}

/**
 * One device's push: `code` is the failing step's exit status (render/exit-codes.ts: APPLY_EXIT,
 * or REMOTE_EXIT.SSH_FAILED when SSH could not connect), 0 when it applied.
 */
export interface PushOutcome extends ApplyResult {
    ok: boolean;
    code: number;
    /** On failure: `<device>: … failed (exit N):` and the device's own text (stderr, stdout). */
    error?: string;
}

/** The platform every lab device runs, whatever the plan says: FRR in a namespace. */
export const LAB_PLATFORM: Platform = "frr";

/** The apply script of a device, as its component would send it (plain FRR: the lab's devices all are). */
export function labApplyScript(plan: FabricPlan, d: PlannedDevice, frr: string): string {
    const isSwitch = d.role === "spine" || d.role === "leaf";
    // The component's own script, where the plan's platform is the lab's and the lab was not asked
    // to change the text (LabUpOptions.transformConfig); otherwise the same protocol, plain FRR.
    const own = isSwitch && d.managed && d.platform === LAB_PLATFORM;
    if (own && renderDevice(plan, d.name).frr === frr) return switchScripts(plan, d.name)!.apply;
    return frrApplyScript(plan, d.name, frr);
}

/** Push one device's host setup (nodes) and frr.conf over SSH; never throws for a device's failure. */
export async function pushDevice(
    loc: LabLocation,
    plan: FabricPlan,
    d: PlannedDevice,
    c: RenderedDevice | undefined,
): Promise<PushOutcome> {
    // A rollback waits a second convergeTimeout for the old sessions.
    const timeoutMs = (2 * plan.apply.convergeTimeout + 60) * 1000;
    const t0 = Date.now();
    let output = "";
    const steps: [string, string | undefined][] = [
        ["host setup", c?.setup],
        ["apply", c?.frr ? labApplyScript(plan, d, c.frr) : undefined],
    ];
    for (const [what, script] of steps) {
        if (!script) continue;
        // The script's defaults (/etc/frr/frr.conf, vtysh, frr-reload.py) hold as they are: each device has its own /etc/frr and /run/frr.
        const r = await sshRun(loc, d, "bash -s", { input: script, check: false, timeoutMs });
        output += r.stdout;
        if (r.code !== 0) {
            const error = `${d.name}: ${what} over SSH failed (exit ${r.code}):\n${(r.stderr + r.stdout).trim()}`;
            return { device: d.name, ms: Date.now() - t0, output, ok: false, code: r.code, error };
        }
    }
    return { device: d.name, ms: Date.now() - t0, output, ok: true, code: 0 };
}

/** Push every device's configuration over SSH; resolves when all applied (throws with the device's own error text). */
export async function applyOverSsh(
    loc: LabLocation,
    plan: FabricPlan,
    configs: LabConfigs,
    devices: PlannedDevice[],
    log: (s: string) => void,
): Promise<ApplyResult[]> {
    return pool(devices, devices.length, async (d) => {
        const r = await pushDevice(loc, plan, d, configs.devices[d.name]);
        if (!r.ok) throw new Error(r.error);
        log(`${d.name}: ${r.output.trim().split("\n").pop()}`);
        return { device: r.device, ms: r.ms, output: r.output };
    });
}
