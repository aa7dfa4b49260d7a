import * as pulumi from "@pulumi/pulumi";
import { FabricPlan, PlannedDevice } from "../plan";
import { renderHostSetup } from "../render/host-setup";
import { formerName } from "./aliases";
import { SshSettings, deviceConnection } from "./connection";
import { DeviceCommand } from "./device-command";
import { deviceApplyCommand } from "./device-apply";
import { COMMAND_TYPE, COMPONENT_TYPES } from "./types";

export interface K8sNodeArgs {
    plan: FabricPlan;
    /** The node's entry in the plan. */
    device: PlannedDevice;
    ssh: SshSettings;
}

/**
 * What `pulumi destroy` does on a node: nothing. The host setup (loopback,
 * sysctls, kubelet drop-in) is what keeps the kubelet reachable; removing it
 * from a running node would cut it off, so it is left for whoever
 * decommissions the machine.
 */
const NODE_DESTROY =
    'echo "bgp-fabric: host setup left in place on $(hostname) (see components/k8s-node.ts)"';

/**
 * A Kubernetes node: its host setup (loopback /32, uplinks, sysctls, kubelet
 * bound to the loopback) pushed over SSH. Its router's FRR configuration is
 * not pushed here: the router DaemonSet (ClusterNetworking) carries it.
 */
export class K8sNode extends pulumi.ComponentResource {
    /** The node's name in the plan (the component's own name is `<fabric>-<node>`). */
    public readonly device: string;
    /** The node's own ASN (routing on the host, or Calico's per-node ASN). */
    public readonly asn: number;
    /** Loopback /32 (router-on-host) or rack address (calico-bgp): the kubelet's node IP. */
    public readonly loopback: string;
    /** The remote command running the host setup: `<name>-setup`. */
    public readonly setup: DeviceCommand;

    constructor(name: string, args: K8sNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COMPONENT_TYPES.node, name, {}, opts);
        if (!args.device.managed)
            throw new pulumi.ResourceError(`${args.device.name}: not a managed node`, this);
        this.device = args.device.name;
        this.asn = args.device.asn;
        this.loopback = args.device.loopback;
        this.setup = deviceApplyCommand(
            `${name}-setup`,
            {
                connection: deviceConnection(args.device, args.ssh, this),
                script: renderHostSetup(args.plan, args.device.name),
                command: "bash -s",
                deleteCommand: NODE_DESTROY,
                containsSecrets: false,
                aliases: [formerName(this, COMMAND_TYPE, `${args.device.name}-setup`)], // its name before `<fabric>-<node>-setup`
            },
            this,
        );
        this.registerOutputs({ device: this.device, asn: this.asn, loopback: this.loopback });
    }
}
