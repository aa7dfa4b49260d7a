// One rendered Kubernetes object (render/kubernetes) as one Pulumi resource of
// its own type: `pulumi preview --diff` then names the object that changes
// (kubernetes:projectcalico.org/v3:BGPPeer k8s3-leaf2), and a node's change
// touches only that node's objects. Built-in kinds get their typed resource
// (the provider knows their schema and await logic without a cluster); every
// custom kind is a CustomResource, which needs no CRD lookup to render.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { KubeObject } from "../render/kubernetes";

/** The Pulumi type token of an object: `kubernetes:<apiVersion>:<kind>` (core objects: `core/v1`). */
export function kubeTypeToken(o: Pick<KubeObject, "apiVersion" | "kind">): string {
    if (o.apiVersion === "v1" && o.kind === "Node") return "kubernetes:core/v1:NodePatch";
    return `kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`;
}

/** A readable, stable resource name: `<prefix>-<kind>-[<namespace>-]<name>`. */
export function kubeResourceName(prefix: string, o: KubeObject): string {
    return [prefix, o.kind.toLowerCase(), o.metadata.namespace, o.metadata.name]
        .filter(Boolean)
        .join("-");
}

/**
 * The resource for one object. A `v1 Node` is a patch of the kubelet's Node
 * (annotations only), never a Node of ours.
 */
export function kubeResource(
    name: string,
    o: KubeObject,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    const { apiVersion, kind, ...body } = o;
    switch (`${apiVersion}:${kind}`) {
        case "v1:Namespace":
            return new k8s.core.v1.Namespace(name, body as k8s.core.v1.NamespaceArgs, opts);
        case "v1:ConfigMap":
            return new k8s.core.v1.ConfigMap(name, body as k8s.core.v1.ConfigMapArgs, opts);
        case "v1:Service":
            return new k8s.core.v1.Service(name, body as k8s.core.v1.ServiceArgs, opts);
        case "apps/v1:DaemonSet":
            return new k8s.apps.v1.DaemonSet(name, body as k8s.apps.v1.DaemonSetArgs, opts);
        case "v1:Node":
            return new k8s.core.v1.NodePatch(name, body as k8s.core.v1.NodePatchArgs, opts);
        default:
            if (!apiVersion.includes(".")) {
                const msg = `${kind} ${o.metadata.name}: ${apiVersion} is a built-in API group with no typed resource here (components/kube-object.ts)`;
                throw opts.parent ? new pulumi.ResourceError(msg, opts.parent) : new Error(msg);
            }
            return new k8s.apiextensions.CustomResource(name, { apiVersion, kind, ...body }, opts);
    }
}

/** The resource (plural) name of a kind: every kind we render pluralises regularly (IPAddressPool → ipaddresspools). */
export function kindPlural(kind: string): string {
    return `${kind.toLowerCase()}s`;
}

/** `<plural>.<group>` of a custom kind: the CRD that must exist before the object. */
export function crdName(o: Pick<KubeObject, "apiVersion" | "kind">): string {
    return `${kindPlural(o.kind)}.${o.apiVersion.split("/")[0]}`;
}
