// Shared pieces of the Kubernetes renderer: object types, names, labels.
// Pure data: no Pulumi import anywhere under render/.

import { FabricPlan, PlannedDevice } from "../../plan";

/** A Kubernetes object as plain, JSON-serialisable data. */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: {
        name: string;
        namespace?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
    };
    [field: string]: unknown;
}

export const PART_OF = "bgp-fabric";
/** Where MetalLB runs (its upstream manifests and chart use this namespace). */
export const METALLB_NAMESPACE = "metallb-system";
export const ROUTER_NAMESPACE = "bgp-fabric-router";
export const ROUTER_NAME = "bgp-fabric-router";

export type Component = "calico" | "metallb" | "router";

/** The labels every object of ours carries (`app.kubernetes.io/part-of: bgp-fabric`). */
export function labels(
    plan: FabricPlan,
    component: Component,
    extra: Record<string, string> = {},
): Record<string, string> {
    return {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": plan.name,
        ...extra,
    };
}

export function metadata(
    plan: FabricPlan,
    component: Component,
    name: string,
    namespace?: string,
): KubeObject["metadata"] {
    return { name, ...(namespace ? { namespace } : {}), labels: labels(plan, component) };
}

/** The Kubernetes nodes of the plan, in plan order (stable). */
export function kubeNodes(plan: FabricPlan): PlannedDevice[] {
    return plan.devices.filter((d) => d.role === "node");
}

/** A Namespace; `privileged` adds the PodSecurity labels hostNetwork/capability workloads need. */
export function namespace(
    plan: FabricPlan,
    component: Component,
    name: string,
    privileged: boolean,
): KubeObject {
    const podSecurity: Record<string, string> = privileged
        ? {
              "pod-security.kubernetes.io/enforce": "privileged",
              "pod-security.kubernetes.io/audit": "privileged",
              "pod-security.kubernetes.io/warn": "privileged",
          }
        : {};
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name, labels: labels(plan, component, podSecurity) },
    };
}
