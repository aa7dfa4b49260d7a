// The type tokens of bgp-fabric's components, defined once: the components
// register under them and the policy pack finds them by them. Plain strings
// (no Pulumi import), so the policy pack can read them without the SDK's runtime.

export const COMPONENT_TYPES = {
    fabric: "bgp-fabric:index:Fabric",
    spine: "bgp-fabric:index:Spine",
    leaf: "bgp-fabric:index:Leaf",
    node: "bgp-fabric:index:K8sNode",
    pool: "bgp-fabric:index:LoadBalancerPool",
    networking: "bgp-fabric:index:ClusterNetworking",
} as const;

/** The type of every device command (components/device-command.ts): @pulumi/command's remote Command. */
export const COMMAND_TYPE = "command:remote:Command";
