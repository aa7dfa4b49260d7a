// Device configs for the lab, from the project's renderer (render/device.ts):
// the same text the Pulumi components push, nothing computed twice.

import { FabricPlan } from "../plan";
import { RenderedDevice, renderDevice } from "../render/device";
import { birdRouter } from "./lab-plan";

export { RenderedDevice };

export interface LabConfigs {
    source: string;
    devices: Record<string, RenderedDevice>;
}

/** Rendered configs of every switch and node (external routers are the lab's own BIRD). */
export function renderLabConfigs(plan: FabricPlan): LabConfigs {
    const devices: Record<string, RenderedDevice> = {};
    for (const d of plan.devices) {
        if (d.role === "external") continue;
        if (birdRouter(plan, d)) continue; // metallb-bgp: a rack router that is not ours is BIRD in the lab (lab/metallb-speaker.ts)
        // A switch with managed: false belongs to someone else, but the lab still has to play it: render it as if managed.
        const p = d.managed
            ? plan
            : {
                  ...plan,
                  devices: plan.devices.map((x) =>
                      x.name === d.name ? { ...x, managed: true } : x,
                  ),
              };
        devices[d.name] = renderDevice(p, d.name);
    }
    return { source: "render/device.ts", devices };
}
