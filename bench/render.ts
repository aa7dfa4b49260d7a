// What "plan + render" means in the benchmarks, and its timing in this process.
//
// Render = every managed device's renderDevice(plan, name) (frr.conf,
// interfaces file, host setup.sh) plus renderKubernetes(plan, { nodeFrr }) with
// the nodes' frr.conf from those renders: every text and object the program
// hands to its resources. (The safe-apply script wrapped around a switch's
// frr.conf is the components' business and is timed there, under mocks.)

import { FabricConfig, FabricPlan, planFabric } from "../plan";
import { RenderedDevice, renderDevice } from "../render/device";
import { KubeObject, renderKubernetes } from "../render/kubernetes";

export interface RenderedFabric {
    /** Managed devices rendered. */
    devices: number;
    /** Texts rendered (frr.conf, interfaces, setup.sh) and Kubernetes objects. */
    texts: number;
    objects: number;
    /** Characters of rendered text (the Kubernetes objects not counted). */
    chars: number;
    /** What was rendered, kept so a memory figure includes it (as the program holds it). */
    output: { devices: RenderedDevice[]; kubernetes: Record<string, KubeObject[]> };
}

/** Every managed device's texts, then the Kubernetes objects (with the nodes' frr.conf). */
export function renderFabric(plan: FabricPlan): RenderedFabric {
    const nodeFrr: Record<string, string> = {};
    let devices = 0;
    let texts = 0;
    let chars = 0;
    const rendered: RenderedDevice[] = [];
    for (const d of plan.devices) {
        if (!d.managed) continue;
        const r = renderDevice(plan, d.name);
        rendered.push(r);
        devices++;
        for (const text of [r.frr, r.interfaces, r.setup]) {
            if (text === undefined) continue;
            texts++;
            chars += text.length;
        }
        if (d.role === "node" && r.frr !== undefined) nodeFrr[d.name] = r.frr;
    }
    const files = renderKubernetes(plan, { nodeFrr });
    const objects = Object.values(files).reduce((n, objs) => n + objs.length, 0);
    return { devices, texts, objects, chars, output: { devices: rendered, kubernetes: files } };
}

export interface PhaseTimes {
    planMs: number;
    renderMs: number;
    totalMs: number;
}

/** One plan + render, each phase timed. */
export function planAndRender(
    config: FabricConfig,
): PhaseTimes & { plan: FabricPlan; rendered: RenderedFabric } {
    const t0 = process.hrtime.bigint();
    const plan = planFabric(config);
    const t1 = process.hrtime.bigint();
    const rendered = renderFabric(plan);
    const t2 = process.hrtime.bigint();
    const planMs = Number(t1 - t0) / 1e6;
    const renderMs = Number(t2 - t1) / 1e6;
    return { planMs, renderMs, totalMs: planMs + renderMs, plan, rendered };
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
