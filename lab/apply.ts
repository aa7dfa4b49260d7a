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

import { FabricPlan, PlannedDevice } from "../plan";
import { expectedSessions, renderApplyScript } from "../render/apply-script";
import { renderDevice, switchScripts } from "../render/device";
import { LabConfigs } from "./configs";
import { LabLocation } from "./env";
import { pool } from "./exec";
import { sshRun } from "./sshd";

export interface ApplyResult {
    device: string;
    ms: number;
    output: string;
}

/** The apply script of a device, as its component would send it (plain FRR: the lab's devices all are). */
export function labApplyScript(plan: FabricPlan, d: PlannedDevice, frr: string): string {
    const isSwitch = d.role === "spine" || d.role === "leaf";
    // The component's own script, unless the lab was asked to change the text (LabUpOptions.transformConfig).
    if (isSwitch && d.managed && d.platform === "frr" && renderDevice(plan, d.name).frr === frr) return switchScripts(plan, d.name)!.apply;
    return renderApplyScript({
        device: d.name,
        platform: "frr",
        frr,
        sessions: expectedSessions(plan, d.name),
        timeoutSeconds: plan.apply.convergeTimeout,
        settleSeconds: plan.bgp.holdtime,
    });
}

/** Push every device's configuration over SSH; resolves when all applied (throws with the device's own error text). */
export async function applyOverSsh(loc: LabLocation, plan: FabricPlan, configs: LabConfigs, devices: PlannedDevice[], log: (s: string) => void): Promise<ApplyResult[]> {
    const timeoutMs = (plan.apply.convergeTimeout + 60) * 1000;
    return pool(devices, devices.length, async (d) => {
        const t0 = Date.now();
        const c = configs.devices[d.name];
        let output = "";
        if (c?.setup) {
            const r = await sshRun(loc, d, "bash -s", { input: c.setup, check: false, timeoutMs });
            if (r.code !== 0) throw new Error(`${d.name}: host setup over SSH failed (exit ${r.code}):\n${(r.stderr + r.stdout).trim()}`);
            output += r.stdout;
        }
        if (c?.frr) {
            // The script's defaults (/etc/frr/frr.conf, vtysh, frr-reload.py) hold as they are: each device has its own /etc/frr and /run/frr.
            const r = await sshRun(loc, d, "bash -s", { input: labApplyScript(plan, d, c.frr), check: false, timeoutMs });
            if (r.code !== 0) throw new Error(`${d.name}: apply over SSH failed (exit ${r.code}):\n${(r.stderr + r.stdout).trim()}`);
            output += r.stdout;
        }
        log(`${d.name}: ${output.trim().split("\n").pop()}`);
        return { device: d.name, ms: Date.now() - t0, output };
    });
}
