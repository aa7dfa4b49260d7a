// `lab up --apply`: FRR starts with an empty config and each device gets its
// configuration over SSH, from the management namespace, the way the Pulumi
// components deliver it:
// - a switch: the exact safe-apply script its FabricSwitch component runs
//   (render/device.ts switchScripts → render/apply-script.ts);
// - a node: its host setup script (what the K8sNode component runs), then its
//   router's frr.conf through the same safe-apply script -- in production the
//   router DaemonSet delivers that file; the lab has no Kubernetes.
// Every device waits for its own sessions, which need the far end configured
// too: on day one (no switch runs BGP yet) all devices are pushed at once;
// otherwise the switches roll out in the waves of plan/waves.ts (pushInWaves),
// the nodes with the first wave, and a failed wave stops the rollout.
//
// pushDevice is one device's push, reported rather than thrown (labApply in
// index.ts pushes again to a running lab: the fault tests, re-runs).

import { FabricPlan, Platform, PlannedDevice } from "../plan";
import { renderConfirmScript } from "../render/apply-script";
import { frrApplyScript, renderDevice, switchScripts } from "../render/device";
import { LabConfigs, RenderedDevice } from "./configs";
import { LabLocation } from "./env";
import { pool } from "./exec";
import { sshRun } from "./sshd";
import { applyWaves } from "../plan/waves";

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
    /** Rollout (pushInWaves): when the push started and ended (ms since the epoch). */
    startedAt?: number;
    endedAt?: number;
    /** Rollout: the zero-based wave the device was pushed in (nodes: 0, with the first wave). */
    wave?: number;
    /** Rollout: an earlier wave failed, so this device was not touched (code NOT_ATTEMPTED). */
    notAttempted?: boolean;
}

/** PushOutcome.code of a device a rollout did not attempt because an earlier wave failed. */
export const NOT_ATTEMPTED = -1;

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
        // An apply that succeeded is confirmed over a second connection, as the component's
        // -confirm command does; otherwise the device restores its previous configuration itself.
        [
            "confirm",
            c?.frr
                ? renderConfirmScript({ device: d.name, platform: LAB_PLATFORM, frr: c.frr })
                : undefined,
        ],
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

/**
 * Push every device's configuration over SSH, the switches in waves (pushInWaves); resolves when
 * all applied, throws with the first failed device's own error text (later waves untouched).
 */
export async function applyOverSsh(
    loc: LabLocation,
    plan: FabricPlan,
    configs: LabConfigs,
    devices: PlannedDevice[],
    log: (s: string) => void,
): Promise<ApplyResult[]> {
    const out = await pushInWaves(loc, plan, devices, (d) => configs.devices[d.name], {
        waves: true,
        log,
    });
    const failed = out.find((o) => !o.ok && !o.notAttempted);
    if (failed) throw new Error(failed.error);
    return out.map((r) => ({ device: r.device, ms: r.ms, output: r.output }));
}

export interface WaveOptions {
    /**
     * true: the switches in the waves of plan/waves.ts, each only after the previous one applied;
     * false: every device at once (a hand-picked set, as before waves).
     */
    waves: boolean;
    log?: (line: string) => void;
}

/**
 * The rollout of a set of devices (the lab's version of the Fabric component's dependency graph):
 * - the switches in the waves of plan/waves.ts (restricted to the devices given); a wave starts
 *   only when every device of the previous one applied (exit 0: its sessions checked);
 * - the nodes' host setups and routers, and switches in no wave (unmanaged), with the first wave;
 * - day one (no switch given runs a BGP configuration yet): one wave of everything, as
 *   `pulumi up` does for a stack that has applied no switch (plan/rollout.ts);
 * - a failed device ends the rollout after its wave: every device of the later waves is reported
 *   as not attempted (code NOT_ATTEMPTED) and was not touched.
 * One outcome per device, in the order given; never throws for a device's failure.
 */
export async function pushInWaves(
    loc: LabLocation,
    plan: FabricPlan,
    devices: PlannedDevice[],
    config: (d: PlannedDevice) => RenderedDevice | undefined,
    opts: WaveOptions,
): Promise<PushOutcome[]> {
    const log = opts.log ?? (() => undefined);
    const byName = new Map(devices.map((d) => [d.name, d]));
    const isSwitch = (d: PlannedDevice) => d.role === "spine" || d.role === "leaf";
    let waves = applyWaves(plan)
        .map((w) => w.filter((n) => byName.has(n)))
        .filter((w) => w.length > 0);
    const inWave = new Set(waves.flat());
    const switches = devices.filter(isSwitch);
    if (opts.waves && waves.length > 1 && (await dayOne(loc, switches))) {
        log(
            `day one: no switch runs a BGP configuration yet, so all ${switches.length} switches at once (nothing to protect yet; pulumi up with apply.rollout auto does the same)`,
        );
        waves = [switches.filter((d) => inWave.has(d.name)).map((d) => d.name)];
    } else if (!opts.waves) waves = [[...inWave]];
    else if (waves.length > 1)
        log(`rollout in ${waves.length} waves: ${waves.map((w) => w.join("+")).join(" → ")}`);
    const first = devices.filter((d) => !inWave.has(d.name)).map((d) => d.name);
    if (waves.length === 0) waves = [[]];
    waves[0] = [...waves[0], ...first];

    const out = new Map<string, PushOutcome>();
    let failedWave: number | undefined;
    for (const [i, wave] of waves.entries()) {
        if (failedWave !== undefined) {
            const failed = waves[failedWave].filter((n) => !out.get(n)!.ok);
            for (const n of wave)
                out.set(n, {
                    device: n,
                    ms: 0,
                    output: "",
                    ok: false,
                    code: NOT_ATTEMPTED,
                    error: `${n}: not applied: wave ${failedWave + 1} (${waves[failedWave].join(", ")}) failed: ${failed.join(", ")}`,
                    wave: i,
                    notAttempted: true,
                });
            continue;
        }
        const results = await pool(wave, wave.length, async (n) => {
            const d = byName.get(n)!;
            const startedAt = Date.now();
            const r = await pushDevice(loc, plan, d, config(d));
            const o: PushOutcome = { ...r, startedAt, endedAt: Date.now(), wave: i };
            log(
                o.ok
                    ? `${n}: ${o.output.trim().split("\n").pop()}`
                    : (o.error ?? `${n}: failed`).split("\n")[0],
            );
            return o;
        });
        for (const o of results) out.set(o.device, o);
        if (results.some((o) => !o.ok)) {
            failedWave = i;
            const rest = waves.slice(i + 1).flat();
            if (rest.length)
                log(
                    `wave ${i + 1} (${wave.join(", ")}) failed: the rollout stops; not attempted: ${rest.join(", ")}`,
                );
        }
    }
    return devices.map((d) => out.get(d.name)!);
}

/** No switch of the set runs a BGP configuration: nothing carries traffic yet (the lab's `up --apply`). */
async function dayOne(loc: LabLocation, switches: PlannedDevice[]): Promise<boolean> {
    const running = await pool(switches, switches.length, (d) =>
        sshRun(loc, d, "vtysh -c 'show running-config'", { check: false, timeoutMs: 30_000 }),
    );
    return running.every((r) => r.code === 0 && !/^router bgp /m.test(r.stdout));
}
