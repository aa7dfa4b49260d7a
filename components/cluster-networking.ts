import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FabricPlan } from "../plan";
import { renderNodeFrr } from "../render/frr-node";
import { KubeObject, renderKubernetes } from "../render/kubernetes";

export interface ClusterNetworkingArgs {
    plan: FabricPlan;
    /** The cluster (kubeconfig) or a render-to-directory provider (GitOps, the lab). */
    provider: k8s.Provider;
}

/**
 * Calico, MetalLB and the router DaemonSet. The upstream operators come
 * first from their pinned manifests (URL or local path); our objects wait for
 * them, so their CRDs and webhooks exist when the objects arrive.
 */
export class ClusterNetworking extends pulumi.ComponentResource {
    /** The object groups by file (calico.yaml, metallb.yaml, router.yaml). */
    public readonly groups: Record<string, k8s.yaml.v2.ConfigGroup>;

    constructor(name: string, args: ClusterNetworkingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bgp-fabric:index:ClusterNetworking", name, {}, opts);
        const { plan, provider } = args;
        const childOpts = { parent: this, provider };
        const upstream: pulumi.Resource[] = [];
        if (plan.kubernetes.installUpstream) {
            upstream.push(
                new k8s.yaml.v2.ConfigFile(`${name}-tigera-operator`, { file: plan.kubernetes.calicoManifest }, childOpts),
                new k8s.yaml.v2.ConfigFile(`${name}-metallb`, { file: plan.kubernetes.metallbManifest }, childOpts),
            );
        }
        this.groups = {};
        for (const [file, objects] of Object.entries(renderKubernetes(plan, { nodeFrr: nodeRouterConfigs(plan) }))) {
            const base = `${name}-${file.replace(/\.yaml$/, "")}`;
            // Node objects are annotations on kubelet-owned Nodes: patch them, never create them.
            const [nodes, rest] = partition(objects, (o) => o.kind === "Node");
            for (const n of nodes) {
                new k8s.core.v1.NodePatch(`${base}-${n.metadata.name}`, { metadata: n.metadata as k8s.types.input.meta.v1.ObjectMetaPatch }, { ...childOpts, dependsOn: upstream });
            }
            this.groups[file] = new k8s.yaml.v2.ConfigGroup(base, { objs: rest }, { ...childOpts, dependsOn: upstream });
        }
        this.registerOutputs({});
    }
}

/** The router DaemonSet runs on every node of the plan, managed over SSH or not: each needs its frr.conf. */
function nodeRouterConfigs(plan: FabricPlan): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of plan.devices) {
        const frr = d.role === "node" ? renderNodeFrr(plan, d.name) : undefined;
        if (frr !== undefined) out[d.name] = frr;
    }
    return out;
}

function partition(objects: KubeObject[], test: (o: KubeObject) => boolean): [KubeObject[], KubeObject[]] {
    return [objects.filter(test), objects.filter((o) => !test(o))];
}
