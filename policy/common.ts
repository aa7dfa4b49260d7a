// Shared plumbing of the stack policies: one view per Fabric, a policy that
// does not apply to a stack without a Fabric says so, and a plan that cannot
// be had is one violation rather than a crash.

import {
    PolicyResource,
    ReportViolation,
    StackValidation,
    StackValidationArgs,
} from "@pulumi/policy";
import { PlannedDevice } from "../plan";
import { FabricView, NoPlanError, TYPES, deviceName, fabricViews } from "./stack-view";

export type FabricCheck = (
    view: FabricView,
    args: StackValidationArgs,
    report: ReportViolation,
) => void;

export function fabricStackPolicy(check: FabricCheck): StackValidation {
    return (args, report) => {
        let views: FabricView[];
        try {
            views = fabricViews(args.resources);
        } catch (err) {
            if (err instanceof NoPlanError) return report(err.message);
            throw err;
        }
        if (!views.length) args.notApplicable("the stack has no bgp-fabric Fabric component");
        for (const view of views) check(view, args, report);
    };
}

const COMPONENT_OF_ROLE: Record<string, string> = {
    spine: TYPES.spine,
    leaf: TYPES.leaf,
    node: TYPES.node,
};

/** The URN to pin a device's violation on: its Spine/Leaf/K8sNode component, else the Fabric. */
export function deviceUrn(view: FabricView, device: string): string {
    const d = view.plan.devices.find((x) => x.name === device);
    const type = d ? COMPONENT_OF_ROLE[d.role] : undefined;
    const r = type
        ? view.resources.find((x: PolicyResource) => x.type === type && deviceName(x) === device)
        : undefined;
    return r?.urn ?? view.fabric.urn;
}

/** `leaf1 (leaf)`, `leaf4 (leaf, unmanaged)`. */
export function describeDevice(d: PlannedDevice): string {
    return `${d.name} (${d.role}${d.managed || d.role === "external" ? "" : ", unmanaged"})`;
}

/** `a, b and c`. */
export function list(items: string[]): string {
    return items.length <= 1
        ? items.join("")
        : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
