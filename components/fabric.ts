import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FabricPlan, PlannedSession } from "../plan";
import { ClusterNetworking } from "./cluster-networking";
import { SshSettings } from "./connection";
import { K8sNode } from "./k8s-node";
import { Leaf } from "./leaf";
import { LoadBalancerPool } from "./load-balancer-pool";
import { Spine } from "./spine";

export interface FabricArgs {
    /** The plan (plan/planFabric): every ASN, address, port and session. */
    plan: FabricPlan;
    ssh: SshSettings;
    /** BGP passwords by switch name (secrets). */
    bgpPasswords?: Record<string, pulumi.Input<string>>;
    /** Cluster networking: a kubeconfig (secret) applies to the cluster; otherwise objects are rendered to a directory. */
    kubernetes?: { kubeconfig?: pulumi.Input<string>; renderDirectory?: string };
}

/**
 * The whole fabric: a Spine, Leaf or K8sNode per managed device, a
 * LoadBalancerPool per pool, and the cluster networking. Unmanaged switches
 * and external routers appear only in the outputs: they are peered with,
 * never configured.
 */
export class Fabric extends pulumi.ComponentResource {
    public readonly spines: Record<string, Spine> = {};
    public readonly leafs: Record<string, Leaf> = {};
    public readonly nodes: Record<string, K8sNode> = {};
    public readonly pools: Record<string, LoadBalancerPool> = {};
    public readonly networking: ClusterNetworking;
    /** Device name → ASN, for every device of the plan. */
    public readonly asns: pulumi.Output<Record<string, number>>;
    /** Device name → loopback / router-id. */
    public readonly loopbacks: pulumi.Output<Record<string, string>>;
    /** Pool name → its CIDR and named VIPs. */
    public readonly vips: pulumi.Output<Record<string, { cidr: string; vips: Record<string, string> }>>;
    /** Every planned BGP session, both ends. */
    public readonly bgpSessions: pulumi.Output<PlannedSession[]>;

    constructor(name: string, args: FabricArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bgp-fabric:index:Fabric", name, {}, opts);
        const { plan } = args;
        const child = { parent: this };
        for (const device of plan.devices) {
            if (!device.managed) continue;
            const deviceArgs = { plan, device, ssh: args.ssh, bgpPasswords: args.bgpPasswords };
            if (device.role === "spine") this.spines[device.name] = new Spine(device.name, deviceArgs, child);
            else if (device.role === "leaf") this.leafs[device.name] = new Leaf(device.name, deviceArgs, child);
            else if (device.role === "node") this.nodes[device.name] = new K8sNode(device.name, deviceArgs, child);
        }
        for (const pool of plan.pools) this.pools[pool.name] = new LoadBalancerPool(`${name}-pool-${pool.name}`, { plan, pool }, child);

        const kube = args.kubernetes ?? {};
        const provider = new k8s.Provider(
            `${name}-kubernetes`,
            kube.kubeconfig !== undefined
                ? { kubeconfig: pulumi.secret(kube.kubeconfig) }
                : { renderYamlToDirectory: kube.renderDirectory ?? `out/${plan.name}/kubernetes` },
            child,
        );
        this.networking = new ClusterNetworking(
            `${name}-networking`,
            { plan, provider },
            { parent: this, dependsOn: Object.values(this.nodes) },
        );

        this.asns = pulumi.output(Object.fromEntries(plan.devices.map((d) => [d.name, d.asn])));
        this.loopbacks = pulumi.output(Object.fromEntries(plan.devices.map((d) => [d.name, d.loopback])));
        this.vips = pulumi.output(Object.fromEntries(plan.pools.map((p) => [p.name, { cidr: p.cidr, vips: p.vips }])));
        this.bgpSessions = pulumi.output(plan.sessions);
        // The plan itself is an output too: the policy pack judges the fabric from it.
        this.registerOutputs({ asns: this.asns, loopbacks: this.loopbacks, vips: this.vips, bgpSessions: this.bgpSessions, plan });
    }
}
