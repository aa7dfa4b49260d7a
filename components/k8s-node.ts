import * as pulumi from "@pulumi/pulumi";
import { remote } from "@pulumi/command";
import { FabricPlan, PlannedDevice } from "../plan";
import { renderDevice } from "../render/device";
import { SshSettings, deviceConnection } from "./connection";
import { deviceApplyCommand } from "./device-apply";

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
const NODE_DESTROY = 'echo "bgp-fabric: host setup left in place on $(hostname) (see components/k8s-node.ts)"';

/**
 * A Kubernetes node: its host setup (loopback /32, uplinks, sysctls, kubelet
 * bound to the loopback) pushed over SSH, and the FRR configuration its
 * router DaemonSet pod runs (delivered by ClusterNetworking).
 */
export class K8sNode extends pulumi.ComponentResource {
    /** The node's own ASN (routing on the host, or Calico's per-node ASN). */
    public readonly asn: pulumi.Output<number>;
    /** Loopback /32 (router-on-host) or rack address (calico-bgp): the kubelet's node IP. */
    public readonly loopback: pulumi.Output<string>;
    /** The node router's frr.conf (router-on-host); undefined in calico-bgp mode. */
    public readonly frrConfig: string | undefined;
    /** The remote command running the host setup. */
    public readonly setup: remote.Command;

    constructor(name: string, args: K8sNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bgp-fabric:index:K8sNode", name, {}, opts);
        const rendered = renderDevice(args.plan, args.device.name);
        if (!rendered.setup) throw new Error(`${args.device.name}: not a managed node`);
        this.asn = pulumi.output(args.device.asn);
        this.loopback = pulumi.output(args.device.loopback);
        this.frrConfig = rendered.frr;
        this.setup = deviceApplyCommand(
            `${name}-setup`,
            { connection: deviceConnection(args.device, args.ssh), script: rendered.setup, deleteScript: NODE_DESTROY, containsSecrets: false },
            this,
        );
        this.registerOutputs({ asn: this.asn, loopback: this.loopback });
    }
}
