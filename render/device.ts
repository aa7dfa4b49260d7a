// The entry point for one device: every text bgp-fabric renders for it.
//   spine, leaf  frr.conf and an ifupdown2 interfaces file (applied on Cumulus),
//                plus the apply/destroy scripts that carry them (switchScripts)
//   node         frr.conf of its router (router-on-host only) and setup.sh
//   external     nothing: someone else's router
// A device with `managed: false` gets nothing at all.

import { FabricPlan, PlannedDevice } from "../plan";
import {
    ExpectedSession,
    expectedSessions,
    renderApplyScript,
    renderConfirmScript,
    renderDeleteScript,
} from "./apply-script";
import { driverFor } from "./platforms";
import { findDevice } from "./frr-common";
import { renderNodeFrr } from "./frr-node";
import { SwitchFrrOptions, renderSwitchFrr } from "./frr-switch";
import { renderHostSetup } from "./host-setup";
import { renderInterfaces } from "./interfaces";
import { drainWait } from "./drain";
import { routeChecks } from "./route-checks";

export interface RenderedDevice {
    frr?: string;
    interfaces?: string;
    setup?: string;
}

export type RenderDeviceOptions = SwitchFrrOptions;

export function renderDevice(
    plan: FabricPlan,
    name: string,
    opts: RenderDeviceOptions = {},
): RenderedDevice {
    const d = findDevice(plan, name);
    if (!d.managed) return {};
    switch (d.role) {
        case "spine":
        case "leaf":
            return {
                frr: renderSwitchFrr(plan, name, opts),
                interfaces: renderInterfaces(plan, name),
            };
        case "node": {
            const frr = renderNodeFrr(plan, name);
            return frr === undefined
                ? { setup: renderHostSetup(plan, name) }
                : { frr, setup: renderHostSetup(plan, name) };
        }
        default:
            return {};
    }
}

export interface SwitchScripts {
    /** create/update of the device's remote Command. */
    apply: string;
    /** delete of the device's remote Command (`pulumi destroy`). */
    destroy: string;
    /** What confirms the apply, over a second SSH connection once the apply succeeded. */
    confirm: string;
    sessions: ExpectedSession[];
}

/** The safe-apply and destroy scripts of a managed switch; undefined for anything else. */
export function switchScripts(
    plan: FabricPlan,
    name: string,
    opts: RenderDeviceOptions = {},
): SwitchScripts | undefined {
    const d = findDevice(plan, name);
    if (!d.managed || (d.role !== "spine" && d.role !== "leaf")) return undefined;
    const r = renderDevice(plan, name, opts);
    const sessions = expectedSessions(plan, name);
    // The files the platform's driver carries (frr.conf; on Cumulus also the interfaces file).
    const carries = (source: "frr" | "interfaces") =>
        driverFor(d.platform).files.some((f) => f.source === source);
    const apply = renderApplyScript({
        device: name,
        platform: d.platform,
        frr: r.frr!,
        interfaces: carries("interfaces") ? r.interfaces : undefined,
        sessions,
        timeoutSeconds: plan.apply.convergeTimeout,
        settleSeconds: plan.bgp.holdtime,
        confirmWindowSeconds: plan.apply.confirmWindow,
        routeChecks: routeChecks(plan, name),
        afterConverge: drainWait(plan, name),
    });
    return {
        apply,
        destroy: renderDeleteScript({ device: name, platform: d.platform, appliedFrr: r.frr }),
        confirm: confirmScript(plan, name, r.frr!),
        sessions,
    };
}

/**
 * The safe-apply script around an frr.conf for plain FRR, with the device's planned
 * sessions and the plan's timeouts: a node's router config (in production the router
 * DaemonSet delivers it; drift --restore and `lab up --apply` push it over SSH), or a
 * switch's text the lab was asked to change. A managed switch's own script is switchScripts'.
 */
export function frrApplyScript(plan: FabricPlan, name: string, frr: string): string {
    return renderApplyScript({
        device: name,
        platform: "frr",
        frr,
        sessions: expectedSessions(plan, name),
        timeoutSeconds: plan.apply.convergeTimeout,
        settleSeconds: plan.bgp.holdtime,
        confirmWindowSeconds: plan.apply.confirmWindow,
        routeChecks: routeChecks(plan, name),
        afterConverge: drainWait(plan, name),
    });
}

/**
 * What confirms the apply of this frr.conf on a device (switchScripts' or frrApplyScript's), over
 * a second SSH connection once the apply exited 0 or 5 (docs/safe-apply.md, commit-confirm).
 */
export function confirmScript(plan: FabricPlan, name: string, frr: string): string {
    const d = findDevice(plan, name);
    const platform = d.role === "spine" || d.role === "leaf" ? d.platform : "frr";
    return renderConfirmScript({ device: name, platform, frr });
}

/** The passwords a switch's config carries: its own and its BGP peers'. */
export function peersPasswords<T>(
    device: PlannedDevice,
    passwords: Record<string, T> = {},
): Record<string, T> {
    const peers = new Set([device.name, ...device.neighbors.map((n) => n.device)]);
    return Object.fromEntries(Object.entries(passwords).filter(([sw]) => peers.has(sw)));
}
