// The Kubernetes objects of the fabric as plain data: plan in, objects out.
// Pure (no Pulumi, no I/O); the same plan gives byte-identical YAML.
//
//   calico.yaml   Installation, BGPConfiguration (not in metallb-bgp); calico-bgp: Node ASN patches, BGPPeers
//   metallb.yaml  IPAddressPools; router-on-host, metallb-bgp: BGPPeers, BGPAdvertisement (namespace metallb-system,
//                 which MetalLB's own install manifest creates); drained nodes (maintenance: true): a
//                 labels-only Node patch, node.kubernetes.io/exclude-from-external-load-balancers
//   router.yaml   router-on-host only: Namespace, ConfigMap(s) (one frr.conf per node), DaemonSet
//
// Within a file, objects are in apply order: namespaces first, then objects
// that only name others. The CRDs themselves (tigera-operator, MetalLB) and
// MetalLB's namespace come from their upstream installs and must exist before
// calico.yaml/metallb.yaml are applied.

import YAML from "yaml";
import { FabricPlan } from "../../plan";
import { renderCalico } from "./calico";
import { KubeObject } from "./common";
import { renderMetallb } from "./metallb";
import { renderRouter } from "./router-daemonset";

export * from "./common";
export {
    CALICO_ASN_ANNOTATION,
    CALICO_POOL_NAME,
    expectedIpPool,
    nodeAsnPatches,
    nodeAsns,
    renderCalico,
} from "./calico";
export {
    HOST_ROUTER_ADDRESS,
    LOAD_BALANCER_IPS_ANNOTATION,
    ServicePort,
    VipServiceSpec,
    renderMetallb,
    serviceForVip,
    unreservedRanges,
    vipPoolName,
} from "./metallb";
export {
    CONFIGMAP_DATA_BUDGET,
    FRR_PROCESS_CAPABILITIES,
    ROUTING_CAPABILITIES,
    frrDaemons,
    nodeConfigKey,
    placeholderNodeFrr,
    renderRouter,
    routerConfigMapName,
} from "./router-daemonset";

export interface RenderKubernetesOptions {
    /** Node name → that node's frr.conf (renderNodeFrr). Required in router-on-host mode. */
    nodeFrr?: Record<string, string>;
}

/** File name → objects in apply order. router.yaml only in router-on-host mode. */
export function renderKubernetes(
    plan: FabricPlan,
    opts: RenderKubernetesOptions = {},
): Record<string, KubeObject[]> {
    const files: Record<string, KubeObject[]> = {
        "calico.yaml": renderCalico(plan),
        "metallb.yaml": renderMetallb(plan),
    };
    if (plan.kubernetes.routing === "router-on-host") {
        if (!opts.nodeFrr)
            throw new Error(
                "router-on-host: renderKubernetes needs opts.nodeFrr (node name → frr.conf from renderNodeFrr)",
            );
        files["router.yaml"] = renderRouter(plan, opts.nodeFrr);
    }
    return files;
}

/** Objects as one multi-document YAML text (stable: key order as built, no folding, no anchors). */
export function toYaml(objects: object[]): string {
    return objects
        .map((o) =>
            new YAML.Document(o, { aliasDuplicateObjects: false }).toString({
                lineWidth: 0,
                blockQuote: "literal",
                indentSeq: true,
            }),
        )
        .map((doc) => `---\n${doc}`)
        .join("");
}

/** renderKubernetes as YAML texts, file name → text. */
export function renderKubernetesYaml(
    plan: FabricPlan,
    opts: RenderKubernetesOptions = {},
): Record<string, string> {
    return Object.fromEntries(
        Object.entries(renderKubernetes(plan, opts)).map(([file, objects]) => [
            file,
            toYaml(objects),
        ]),
    );
}
