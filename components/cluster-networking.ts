import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FabricPlan } from "../plan";
import { renderNodeFrr } from "../render/frr-node";
import { KubeObject, renderKubernetes } from "../render/kubernetes";
import { crdName, kubeResource, kubeResourceName } from "./kube-object";
import { COMPONENT_TYPES } from "./types";

export interface ClusterNetworkingArgs {
    plan: FabricPlan;
    /** Server-side apply: the cluster (kubeconfig), or a render-to-directory provider (GitOps, the lab). */
    provider: k8s.Provider;
    /**
     * Cluster mode only: a provider with client-side apply, for the objects
     * whose upstream CRD refuses server-side apply (CLIENT_SIDE_APPLY).
     * Absent when rendering: rendered YAML is the same either way.
     */
    clientSideApplyProvider?: k8s.Provider;
    /**
     * installUpstream: local files of the pinned upstream installs
     * (tigera-operator, MetalLB), applied before our objects. Never a URL:
     * nothing is fetched at run time.
     */
    upstreamManifests?: { calico: string; metallb: string };
}

/**
 * Kinds applied with client-side apply. Calico v3.32.0's BGPConfiguration CRD
 * declares serviceLoadBalancerIPs (and four other lists of objects)
 * `x-kubernetes-list-type: set`, which server-side apply refuses for every
 * client ("associative list without keys has an element that's a map type",
 * projectcalico/calico#12702; fixed on release-v3.32 by #12705, in no release
 * the registries here serve). A create or merge patch is accepted.
 */
export const CLIENT_SIDE_APPLY = new Set(["projectcalico.org/v3:BGPConfiguration"]);

/**
 * Calico, MetalLB and the router DaemonSet: one resource per rendered object
 * (components/kube-object.ts), in apply order. What bgp-fabric owns it creates
 * and deletes: its objects and the router's namespace. What it does not own —
 * MetalLB's namespace, the operators and their CRDs when `installUpstream` is
 * false — must exist: in cluster mode each is read first (a preview already
 * fails, naming the missing object, before anything is applied), and every
 * object that needs it waits for that read.
 */
export class ClusterNetworking extends pulumi.ComponentResource {
    /** Every object's resource, by file (calico.yaml, metallb.yaml, router.yaml), in apply order. */
    public readonly files: Record<string, pulumi.CustomResource[]>;

    constructor(name: string, args: ClusterNetworkingArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COMPONENT_TYPES.networking, name, {}, opts);
        const { plan, provider } = args;
        const rendered = renderKubernetes(plan, { nodeFrr: nodeRouterConfigs(plan) });
        const all = Object.values(rendered).flat();
        const child = { parent: this, provider };

        // What must exist before our objects: the upstream installs, or (not ours to install) a read of each.
        let prerequisites: pulumi.Resource[];
        if (plan.kubernetes.installUpstream) {
            const files = args.upstreamManifests;
            if (!files)
                throw new pulumi.ResourceError(
                    "kubernetes.installUpstream: no local files of the upstream installs were given",
                    this,
                );
            prerequisites = [
                new k8s.yaml.v2.ConfigFile(
                    `${name}-tigera-operator`,
                    { file: files.calico },
                    child,
                ),
                new k8s.yaml.v2.ConfigFile(`${name}-metallb`, { file: files.metallb }, child),
            ];
        } else {
            prerequisites = args.clientSideApplyProvider ? readPrerequisites(name, all, child) : [];
        }

        // Namespaces of ours come first; an object in one waits for it.
        const namespaces = new Map<string, pulumi.CustomResource>();
        this.files = {};
        for (const [file, objects] of Object.entries(rendered)) {
            const base = `${name}-${file.replace(/\.yaml$/, "")}`;
            this.files[file] = objects.map((o) => {
                const ns = o.metadata.namespace ? namespaces.get(o.metadata.namespace) : undefined;
                const csa =
                    args.clientSideApplyProvider &&
                    CLIENT_SIDE_APPLY.has(`${o.apiVersion}:${o.kind}`);
                const r = kubeResource(kubeResourceName(base, o), o, {
                    parent: this,
                    provider: csa ? args.clientSideApplyProvider : provider,
                    dependsOn: ns ? [...prerequisites, ns] : prerequisites,
                });
                if (o.apiVersion === "v1" && o.kind === "Namespace")
                    namespaces.set(o.metadata.name, r);
                return r;
            });
        }
        this.registerOutputs({});
    }
}

/**
 * Reads of what our objects need and do not own: each custom kind's CRD and
 * each namespace we do not create. A missing one fails the read at preview,
 * before any object is applied.
 */
function readPrerequisites(
    name: string,
    objects: KubeObject[],
    opts: pulumi.CustomResourceOptions,
): pulumi.Resource[] {
    const ours = new Set(
        objects
            .filter((o) => o.apiVersion === "v1" && o.kind === "Namespace")
            .map((o) => o.metadata.name),
    );
    const crds = [...new Set(objects.filter((o) => o.apiVersion.includes(".")).map(crdName))];
    const namespaces = [
        ...new Set(
            objects.flatMap((o) =>
                o.metadata.namespace && !ours.has(o.metadata.namespace)
                    ? [o.metadata.namespace]
                    : [],
            ),
        ),
    ];
    // The resource name says what is required; a missing one fails as "resource 'x' does not exist".
    return [
        ...namespaces.map((ns) =>
            k8s.core.v1.Namespace.get(`${name}-requires-namespace-${ns}`, ns, opts),
        ),
        ...crds.map((crd) =>
            k8s.apiextensions.v1.CustomResourceDefinition.get(
                `${name}-requires-crd-${crd}`,
                crd,
                opts,
            ),
        ),
    ];
}

/** The router DaemonSet runs on every node of the plan, managed over SSH or not: each needs its frr.conf. */
export function nodeRouterConfigs(plan: FabricPlan): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of plan.devices) {
        const frr = d.role === "node" ? renderNodeFrr(plan, d.name) : undefined;
        if (frr !== undefined) out[d.name] = frr;
    }
    return out;
}
