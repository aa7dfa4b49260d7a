// What a stack policy sees of one fabric at the end of a preview or update:
// the plan (its structure: roles, racks, ranges, pools) and the values the
// stack actually registers (the Fabric component's outputs, the FRR text in
// every switch command and in the router ConfigMap, the Kubernetes objects).
//
// The plan comes from the stack's own `fabric:*` config, read with the
// program's own reader (stacks/config.ts) and planned with plan/planFabric.
// The engine hands a policy pack the stack's config (PULUMI_CONFIG, the same
// way it hands it to the program), and the planner is pure, so this is the
// plan the program computed, byte for byte. (The Fabric does not register the
// plan as an output: at 1,000 devices that one output cost the engine 250 MB
// and 2.5 s of every preview, BENCHMARKS.md §5.)
// The checks then prefer what the stack registered (Fabric outputs, rendered
// text) over the plan: the policy pack judges what would be deployed.

import { PolicyResource } from "@pulumi/policy";
import { FabricConfigError, FabricPlan, PlannedSession, planFabric } from "../plan";
import { ROUTER_NAME, ROUTER_NAMESPACE, nodeConfigKey } from "../render/kubernetes";
import { COMMAND_TYPE, COMPONENT_TYPES } from "../components/types";
import { readFabricConfig } from "../stacks/config";
import * as pulumi from "@pulumi/pulumi";
import { FrrBgp, frrConfOf, parseFrrBgp } from "./frr-text";

export const TYPES = {
    ...COMPONENT_TYPES,
    command: COMMAND_TYPE,
    copyToRemote: "command:remote:CopyToRemote",
    localCommand: "command:local:Command",
    configMap: "kubernetes:core/v1:ConfigMap",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    service: "kubernetes:core/v1:Service",
    nodePatch: "kubernetes:core/v1:NodePatch",
    calicoPeer: "kubernetes:projectcalico.org/v3:BGPPeer",
    addressPool: "kubernetes:metallb.io/v1beta1:IPAddressPool",
} as const;

/** A device's FRR configuration as the stack deploys it. */
export interface DeployedFrr {
    device: string;
    /** The resource carrying it (switch command, router ConfigMap). */
    urn: string;
    /** Where in that resource, for messages: `create` or `data["k8s1.conf"]`. */
    where: string;
    text: string;
    bgp?: FrrBgp;
}

export interface FabricView {
    fabric: PolicyResource;
    plan: FabricPlan;
    /** Where the plan came from, for messages. */
    planSource: string;
    /** Device → ASN and → loopback (router-id) as registered (Fabric outputs), else as planned. */
    asns: Record<string, number>;
    loopbacks: Record<string, string>;
    sessions: PlannedSession[];
    /** Pool → CIDR and named VIPs, as registered. */
    pools: Record<string, { cidr: string; vips: Record<string, string> }>;
    /** Every FRR configuration the stack deploys, by device. */
    frr: Map<string, DeployedFrr>;
    /** Every resource of the stack that descends from this Fabric. */
    resources: PolicyResource[];
}

/** A value read through the policy SDK's proxies, as plain data (touching an unknown value throws, as it should). */
export function plain<T>(value: T): T {
    return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** The plan the stack's `fabric:*` config gives, exactly as stacks/index.ts computes it. Cached per config. */
let cache: { key: string; plan: FabricPlan } | undefined;
export function planFromStackConfig(): FabricPlan {
    const key = JSON.stringify(pulumi.runtime.allConfig());
    if (cache?.key === key) return cache.plan;
    const { config } = readFabricConfig();
    const plan = planFabric(config);
    cache = { key, plan };
    return plan;
}

/** Thrown when there is no plan to judge the stack by; the policies report it as one violation. */
export class NoPlanError extends Error {}

function planFor(fabric: PolicyResource): { plan: FabricPlan; source: string } {
    try {
        return { plan: planFromStackConfig(), source: "the stack's fabric:* config" };
    } catch (err) {
        const why =
            err instanceof FabricConfigError
                ? err.errors.map((e) => `${e.field}: ${e.message}`).join("; ")
                : String((err as Error).message ?? err);
        throw new NoPlanError(
            `cannot plan the stack's fabric:* config to check Fabric '${fabric.name}' against: ${why}`,
        );
    }
}

function descendsFrom(r: PolicyResource, ancestor: PolicyResource): boolean {
    for (let p = r.parent; p; p = p.parent) if (p.urn === ancestor.urn) return true;
    return false;
}

/** The plan's name of a Spine, Leaf or K8sNode component: its `device` output (the component itself is `<fabric>-<device>`). */
export function deviceName(component: PolicyResource): string {
    return String(component.props.device ?? component.name);
}

function deviceOf(r: PolicyResource): string | undefined {
    const p = r.parent;
    return p && (p.type === TYPES.spine || p.type === TYPES.leaf) ? deviceName(p) : undefined;
}

/** One view per Fabric component of the stack (a stack normally has exactly one). */
export function fabricViews(resources: PolicyResource[]): FabricView[] {
    return resources
        .filter((r) => r.type === TYPES.fabric)
        .map((fabric) => viewOf(fabric, resources));
}

function viewOf(fabric: PolicyResource, all: PolicyResource[]): FabricView {
    const { plan, source } = planFor(fabric);
    const mine = all.filter((r) => descendsFrom(r, fabric));
    const registered = <T>(key: string, fallback: T): T => {
        const v = fabric.props[key];
        return v === undefined ? fallback : plain(v as T);
    };
    const frr = new Map<string, DeployedFrr>();
    for (const r of mine) {
        if (r.type === TYPES.command) {
            const device = deviceOf(r);
            // The script travels on stdin (components/device-apply.ts); older stacks carried it in create.
            const where = typeof r.props.stdin === "string" ? "stdin" : "create";
            const script =
                device === undefined ? undefined : (r.props[where] as string | undefined);
            // Its platform's driver knows where the text is (a device the plan lacks: plain FRR's).
            const platform = plan.devices.find((d) => d.name === device)?.platform;
            const text = typeof script === "string" ? frrConfOf(script, platform) : undefined;
            if (device && text !== undefined)
                frr.set(device, { device, urn: r.urn, where, text, bgp: parseFrrBgp(text) });
        } else if (r.type === TYPES.configMap && isRouterConfigMap(r)) {
            const data = (r.props.data ?? {}) as Record<string, unknown>;
            for (const d of plan.devices.filter((x) => x.role === "node")) {
                const key = nodeConfigKey(d.name);
                const text = data[key];
                if (typeof text === "string")
                    frr.set(d.name, {
                        device: d.name,
                        urn: r.urn,
                        where: `data["${key}"]`,
                        text,
                        bgp: parseFrrBgp(text),
                    });
            }
        }
    }
    return {
        fabric,
        plan,
        planSource: source,
        asns: registered("asns", Object.fromEntries(plan.devices.map((d) => [d.name, d.asn]))),
        loopbacks: registered(
            "loopbacks",
            Object.fromEntries(plan.devices.map((d) => [d.name, d.loopback])),
        ),
        sessions: registered("bgpSessions", plan.sessions),
        pools: registered(
            "vips",
            Object.fromEntries(plan.pools.map((p) => [p.name, { cidr: p.cidr, vips: p.vips }])),
        ),
        frr,
        resources: mine,
    };
}

function isRouterConfigMap(r: PolicyResource): boolean {
    const md = r.props.metadata as { name?: string; namespace?: string } | undefined;
    // The first ConfigMap, or one of its shards (bgp-fabric-router-1, …).
    return (
        (md?.name === ROUTER_NAME || new RegExp(`^${ROUTER_NAME}-\\d+$`).test(md?.name ?? "")) &&
        (md?.namespace ?? "default") === ROUTER_NAMESPACE
    );
}
