import * as pulumi from "@pulumi/pulumi";
import { FabricPlan, PlannedPool } from "../plan";
import { KubeObject, VipServiceSpec, serviceForVip } from "../render/kubernetes";
import { COMPONENT_TYPES } from "./types";

export interface LoadBalancerPoolArgs {
    plan: FabricPlan;
    pool: PlannedPool;
}

/**
 * A MetalLB address pool and its named, reserved VIPs. The MetalLB objects
 * themselves are part of ClusterNetworking; this component is what a program
 * holds on to: the pool's range, its VIPs, and Services pinned to them.
 */
export class LoadBalancerPool extends pulumi.ComponentResource {
    /** The pool's range. */
    public readonly cidr: pulumi.Output<string>;
    /** Named VIP → address. */
    public readonly vips: pulumi.Output<Record<string, string>>;
    private readonly plan: FabricPlan;
    private readonly pool: PlannedPool;

    constructor(name: string, args: LoadBalancerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COMPONENT_TYPES.pool, name, {}, opts);
        this.plan = args.plan;
        this.pool = args.pool;
        this.cidr = pulumi.output(args.pool.cidr);
        this.vips = pulumi.output(args.pool.vips);
        this.registerOutputs({ cidr: this.cidr, vips: this.vips });
    }

    /** The address of a named VIP; throws naming the pool's VIPs when there is no such one. */
    vip(name: string): string {
        const vip = this.pool.vips[name];
        if (!vip)
            throw new pulumi.ResourceError(
                `pool '${this.pool.name}' has no VIP '${name}' (it has: ${Object.keys(this.pool.vips).join(", ") || "none"})`,
                this,
            );
        return vip;
    }

    /**
     * A Service of type LoadBalancer pinned to a named VIP (MetalLB's
     * `metallb.io/loadBalancerIPs`), externalTrafficPolicy Local, as an object
     * to pass to `new k8s.core.v1.Service(name, obj, { provider })`.
     */
    serviceFor(vipName: string, spec: VipServiceSpec): KubeObject {
        return serviceForVip(this.plan, this.pool, vipName, spec);
    }
}
