import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FabricPlan, PlannedDevice, PlannedSession } from "../plan";
import { RolloutMode } from "../plan/rollout";
import { applyWaves } from "../plan/waves";
import { ClusterNetworking } from "./cluster-networking";
import { SshSettings } from "./connection";
import { formerName } from "./aliases";
import { FabricSwitch } from "./fabric-switch";
import { K8sNode } from "./k8s-node";
import { Leaf } from "./leaf";
import { LoadBalancerPool } from "./load-balancer-pool";
import { Spine } from "./spine";
import { COMPONENT_TYPES } from "./types";
import { resolveUpstreamManifests } from "./upstream";

export interface FabricArgs {
    /** The plan (plan/planFabric): every ASN, address, port and session. */
    plan: FabricPlan;
    ssh: SshSettings;
    /** BGP passwords by switch name (secrets). */
    bgpPasswords?: Record<string, pulumi.Input<string>>;
    /** Cluster networking: a kubeconfig (secret) applies to the cluster; otherwise objects are rendered to a directory. */
    kubernetes?: { kubeconfig?: pulumi.Input<string>; renderDirectory?: string };
    /**
     * `false` (stack config `fabric:apply.devices`): nothing is pushed to
     * switches or nodes; the stack carries only the cluster networking and the
     * outputs. Default true.
     */
    devices?: boolean;
    /**
     * `waves` (default): each wave's switches wait for the previous wave's.
     * `at-once`: no switch waits for another (day one: stacks/rollout.ts).
     */
    rollout?: pulumi.Input<RolloutMode>;
}

/** The component type of each managed device's role. */
const DEVICE_TYPES = {
    spine: COMPONENT_TYPES.spine,
    leaf: COMPONENT_TYPES.leaf,
    node: COMPONENT_TYPES.node,
} as const;

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
    public readonly vips: pulumi.Output<
        Record<string, { cidr: string; vips: Record<string, string> }>
    >;
    /** Every planned BGP session, both ends. */
    public readonly bgpSessions: pulumi.Output<PlannedSession[]>;
    /** The switches whose apply and confirm succeeded (sorted): what `apply.rollout: auto` reads next time. */
    public readonly appliedSwitches: pulumi.Output<string[]>;

    constructor(name: string, args: FabricArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COMPONENT_TYPES.fabric, name, {}, opts);
        const { plan } = args;
        const child = { parent: this };
        // Children are `<fabric>-<device>`; before issue 16 a device's component had the bare device
        // name: the alias (and its command's) keeps an existing stack from replacing anything.
        const deviceChild = (device: PlannedDevice) => ({
            parent: this,
            aliases: [
                formerName(
                    this,
                    DEVICE_TYPES[device.role as keyof typeof DEVICE_TYPES],
                    device.name,
                ),
            ],
        });
        const kube = args.kubernetes ?? {};
        // Everything that can be refused is refused before the first device is touched.
        const upstream = plan.kubernetes.installUpstream
            ? resolveUpstreamManifests(plan)
            : undefined;
        if (upstream?.problems.length)
            throw new pulumi.RunError(
                `the fabric config has ${upstream.problems.length} problem(s):\n  ${upstream.problems.join("\n  ")}`,
            );

        const applied = args.devices === false ? [] : plan.devices.filter((d) => d.managed);
        const deviceArgs = (device: PlannedDevice) => ({
            plan,
            device,
            ssh: args.ssh,
            bgpPasswords: args.bgpPasswords,
        });
        // The switches roll out in waves (plan/waves.ts): each wave's commands wait for the
        // previous wave's switch components (and so for their commands), so a failed switch
        // stops the rollout before the next wave is touched. Node setups are in no wave.
        // At once (day one), nobody waits; the scripts are the same either way.
        const rollout = pulumi.output(args.rollout ?? "waves");
        const byName = new Map(applied.map((d) => [d.name, d]));
        let previous: FabricSwitch[] = [];
        for (const wave of args.devices === false ? [] : applyWaves(plan)) {
            const before = previous;
            previous = wave.map((n) => {
                const device = byName.get(n)!;
                const switchArgs = {
                    ...deviceArgs(device),
                    ...(before.length
                        ? { after: rollout.apply((r) => (r === "waves" ? before : [])) }
                        : {}),
                };
                const [childName, opts] = [`${name}-${device.name}`, deviceChild(device)];
                return device.role === "spine"
                    ? (this.spines[device.name] = new Spine(childName, switchArgs, opts))
                    : (this.leafs[device.name] = new Leaf(childName, switchArgs, opts));
            });
        }
        for (const device of applied.filter((d) => d.role === "node"))
            this.nodes[device.name] = new K8sNode(
                `${name}-${device.name}`,
                deviceArgs(device),
                deviceChild(device),
            );
        for (const pool of plan.pools)
            this.pools[pool.name] = new LoadBalancerPool(
                `${name}-pool-${pool.name}`,
                { plan, pool },
                child,
            );

        // ConfigMaps update in place: the router reloads its own key; the provider's
        // default (replace on any data change) would delete and re-create it.
        const enableConfigMapMutable = true;
        let providers: { provider: k8s.Provider; clientSideApplyProvider?: k8s.Provider };
        if (kube.kubeconfig !== undefined) {
            const kubeconfig = pulumi.secret(kube.kubeconfig);
            providers = {
                provider: new k8s.Provider(
                    `${name}-kubernetes`,
                    { kubeconfig, enableConfigMapMutable },
                    child,
                ),
                clientSideApplyProvider: new k8s.Provider(
                    `${name}-kubernetes-client-side-apply`,
                    { kubeconfig, enableServerSideApply: false, enableConfigMapMutable },
                    child,
                ),
            };
        } else {
            const renderYamlToDirectory = kube.renderDirectory ?? `out/${plan.name}/kubernetes`;
            providers = {
                provider: new k8s.Provider(
                    `${name}-kubernetes`,
                    { renderYamlToDirectory, enableConfigMapMutable },
                    child,
                ),
            };
        }
        this.networking = new ClusterNetworking(
            `${name}-networking`,
            { plan, ...providers, upstreamManifests: upstream?.files },
            { parent: this, dependsOn: Object.values(this.nodes) },
        );

        this.asns = pulumi.output(Object.fromEntries(plan.devices.map((d) => [d.name, d.asn])));
        this.loopbacks = pulumi.output(
            Object.fromEntries(plan.devices.map((d) => [d.name, d.loopback])),
        );
        this.vips = pulumi.output(
            Object.fromEntries(plan.pools.map((p) => [p.name, { cidr: p.cidr, vips: p.vips }])),
        );
        this.bgpSessions = pulumi.output(plan.sessions);
        // A confirm's id resolves only once it succeeded; a failed one fails the update, which
        // then records no new outputs.
        const switches = { ...this.spines, ...this.leafs };
        this.appliedSwitches = pulumi
            .all(Object.values(switches).map((s) => s.confirm.id))
            .apply(() => Object.keys(switches).sort());
        // Not the plan itself: the policy pack re-plans from the stack's config (policy/stack-view.ts).
        this.registerOutputs({
            asns: this.asns,
            loopbacks: this.loopbacks,
            vips: this.vips,
            bgpSessions: this.bgpSessions,
            appliedSwitches: this.appliedSwitches,
        });
    }
}
