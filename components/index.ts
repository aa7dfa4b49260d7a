// The Pulumi layer: thin components over the plan and the renderers.
export { ClusterNetworking, ClusterNetworkingArgs } from "./cluster-networking";
export { SshSettings, deviceConnection } from "./connection";
export { Fabric, FabricArgs } from "./fabric";
export { K8sNode, K8sNodeArgs } from "./k8s-node";
export { Leaf, LeafArgs } from "./leaf";
export { LoadBalancerPool, LoadBalancerPoolArgs } from "./load-balancer-pool";
export { Spine, SpineArgs } from "./spine";
export { COMPONENT_TYPES } from "./types";
