// The stacks the policy tests run the pack on, each built the way it would
// reach CrossGuard: the real program on a stack config, or the real
// components on a plan a program got wrong, or a recorded stack with one
// deployed text changed (what a renderer regression would register).
// test/policy/print-messages.ts prints their violations for docs/policy.md.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { remote } from "@pulumi/command";
import { deviceConnection } from "../../components/connection";
import { deviceApplyCommand } from "../../components/device-apply";
import { FabricPlan, planFabric, readStackFile } from "../../plan";
import { switchScripts } from "../../render/device";
import { ROOT } from "../support/fixtures";
import { Recorded, RecordedStack, componentStack, programStack, stackConfigOf } from "./harness";

export const DEV = "Pulumi.dev.yaml";
export const REF4 = "examples/ref4-reinterpreted-with-spine.yaml";
export const REF3 = "examples/ref3-two-tier-calico.yaml";

/** The plan of a stack file, to build components from (and to get wrong on purpose). */
export function planOf(file: string): FabricPlan {
    return planFabric(readStackFile({ config: `${ROOT}/${file}`, root: ROOT }).config);
}

/** A stack config with some `fabric:*` values replaced (objects given as data). */
export function withConfig(file: string, changes: Record<string, unknown>): Record<string, string> {
    const c = stackConfigOf(file);
    for (const [k, v] of Object.entries(changes))
        c[k] = typeof v === "string" ? v : JSON.stringify(v);
    return c;
}

/** Change the frr.conf inside a recorded switch command's create script (and update, which is the same). */
export function editSwitchConf(
    stack: RecordedStack,
    command: string,
    edit: (text: string) => string,
): RecordedStack {
    const s = stack.clone();
    const r = s.byName(command, "command:remote:Command");
    const change = (v: any) =>
        typeof v === "string"
            ? edit(v)
            : v && v.value !== undefined
              ? { ...v, value: edit(v.value) }
              : v;
    for (const f of ["stdin", "create", "update"]) {
        r.inputs[f] = change(r.inputs[f]);
        r.outputs[f] = change(r.outputs[f]);
    }
    return s;
}

export function editResource(
    stack: RecordedStack,
    pred: (r: Recorded) => boolean,
    edit: (props: any) => void,
): RecordedStack {
    const s = stack.clone();
    const r = s.find(pred);
    edit(r.inputs);
    edit(r.outputs);
    return s;
}

export const devStack = () => programStack(stackConfigOf(DEV));

/** A program that gave leaf2 leaf1's ASN and leaf3 leaf1's loopback (the planner would have refused both). */
export async function duplicateIdentityStack(): Promise<RecordedStack> {
    const plan = planOf(DEV);
    const d = (n: string) => plan.devices.find((x) => x.name === n)!;
    d("leaf2").asn = d("leaf1").asn;
    d("leaf3").loopback = d("leaf1").loopback;
    return componentStack(plan, stackConfigOf(DEV));
}

/** A program that used the reserved AS_TRANS for the spines. */
export async function reservedAsnStack(): Promise<RecordedStack> {
    const plan = planOf(DEV);
    for (const d of plan.devices) if (d.role === "spine") d.asn = 23456;
    return componentStack(plan, stackConfigOf(DEV));
}

/** ref4 with its vendor leafs' rack inside the pod CIDR and the vendor spine's loopback inside the service CIDR: the planner accepts pinned values of unmanaged switches. */
export const overlappingRef4 = () => programStack(overlappingRef4Config());

export const overlappingRef4Config = () =>
    withConfig(REF4, {
        "fabric:spines": [{ name: "spine1", managed: false, asn: 63400, loopback: "172.28.0.1" }],
        "fabric:leafs": [
            {
                name: "leaf1",
                managed: false,
                asn: 63500,
                loopback: "10.255.0.101",
                rackSubnet: "172.27.0.0/24",
                address: "172.27.0.2",
            },
            {
                name: "leaf2",
                managed: false,
                asn: 63500,
                loopback: "10.255.0.102",
                rackSubnet: "172.27.0.0/24",
                address: "172.27.0.3",
            },
        ],
        "fabric:nodes": [
            {
                name: "k8s1",
                role: "control-plane",
                asn: 63551,
                address: "172.27.0.11",
                uplinks: ["leaf1:ethernet1", "leaf2:ethernet1"],
                mgmt: { host: "172.27.0.11" },
            },
            {
                name: "k8s2",
                asn: 63552,
                address: "172.27.0.12",
                uplinks: ["leaf1:ethernet2", "leaf2:ethernet2"],
                mgmt: { host: "172.27.0.12" },
            },
        ],
    });

/** A program whose plan moved leaf2 to AS 65202 but left its sessions (and so its peers' view) at 65102. */
export async function halfMovedAsnStack(): Promise<RecordedStack> {
    const plan = planOf(DEV);
    plan.devices.find((x) => x.name === "leaf2")!.asn = 65202;
    return componentStack(plan, stackConfigOf(DEV));
}

/** leaf1's frr.conf without its neighbor for k8s1 (a renderer regression). */
export const missingNeighborStack = async () =>
    editSwitchConf(await devStack(), "dev-leaf1-config", (t) =>
        t.replace(/^ neighbor swp1 .*\n/gm, ""),
    );

/** spine1's frr.conf with remote-as internal for the fabric group. */
export const internalRemoteAsStack = async () =>
    editSwitchConf(await devStack(), "dev-spine1-config", (t) =>
        t.replace(" neighbor fabric remote-as external", " neighbor fabric remote-as internal"),
    );

/** ref4 with k8s1's Node patch carrying a stale ASN and its BGPPeer to leaf2 pointing at leaf1's address. */
export const staleCalicoStack = async () => {
    const s = await programStack(stackConfigOf(REF4));
    const patched = editResource(
        s,
        (r) => r.type === "kubernetes:core/v1:NodePatch" && r.inputs.metadata?.name === "k8s1",
        (p) => {
            p.metadata.annotations["projectcalico.org/ASNumber"] = "63599";
        },
    );
    return editResource(
        patched,
        (r) =>
            r.type === "kubernetes:projectcalico.org/v3:BGPPeer" &&
            r.inputs.metadata?.name === "k8s1-leaf2",
        (p) => {
            p.spec.peerIP = "10.20.0.2";
        },
    );
};

/** spine1's frr.conf without multipath-relax. */
export const noMultipathStack = async () =>
    editSwitchConf(await devStack(), "dev-spine1-config", (t) =>
        t.replace(" bgp bestpath as-path multipath-relax\n", ""),
    );

/** The dev fabric plus a LoadBalancer Service per named VIP of pool default, made with LoadBalancerPool.serviceFor, and one more. */
export async function servicesStack(extra?: {
    name: string;
    ip: string;
    pool?: string;
}): Promise<RecordedStack> {
    const plan = planOf(DEV);
    return componentStack(plan, stackConfigOf(DEV), {}, {}, (fabric) => {
        const pool = fabric.pools.default;
        const ingress = pool.serviceFor("ingress", {
            namespace: "ingress",
            selector: { app: "ingress" },
            ports: [{ port: 443 }],
        });
        new k8s.core.v1.Service("ingress", ingress as k8s.core.v1.ServiceArgs);
        if (extra) {
            new k8s.core.v1.Service(extra.name, {
                metadata: {
                    name: extra.name,
                    namespace: "shop",
                    annotations: {
                        "metallb.io/loadBalancerIPs": extra.ip,
                        ...(extra.pool ? { "metallb.io/address-pool": extra.pool } : {}),
                    },
                },
                spec: {
                    type: "LoadBalancer",
                    selector: { app: extra.name },
                    ports: [{ port: 80 }],
                },
            });
        }
    });
}

/** A program whose plan put the named VIP 'ingress' outside its pool. */
export async function vipOutsidePoolStack(): Promise<RecordedStack> {
    const plan = planOf(DEV);
    plan.pools[0].vips.ingress = "172.29.1.6";
    return componentStack(plan, stackConfigOf(DEV));
}

/** The dev fabric and a command of the user's own that logs into a vendor box with a password. */
export async function passwordCommandStack(): Promise<RecordedStack> {
    return componentStack(planOf(DEV), stackConfigOf(DEV), {}, {}, () => {
        new remote.Command("border-backup", {
            connection: { host: "10.10.0.50", user: "admin", password: "hunter2" },
            create: "show running-config",
        });
    });
}

/** The dev stack with every device's host key pinned (as the lab's host-keys.json gives them). */
export const pinnedHostKeysConfig = () => {
    const c = readStackFile({ stack: "dev", root: ROOT }).config;
    const key = (n: string) =>
        `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${Buffer.from(n.padEnd(32, "-")).toString("base64").slice(0, 40)} ${n}@bgp-fabric-lab`;
    const pin = (list: { name: string; mgmt?: { host: string; hostKey?: string } }[]) =>
        list.map((d) => ({ ...d, mgmt: d.mgmt && { ...d.mgmt, hostKey: key(d.name) } }));
    return withConfig(DEV, {
        "fabric:spines": pin(c.spines),
        "fabric:leafs": pin(c.leafs),
        "fabric:nodes": pin(c.nodes),
    });
};

/** The router DaemonSet moved to kube-system, given SYS_PTRACE instead of KILL, and an init container that adds NET_ADMIN. */
export const looseRouterStack = async () =>
    editResource(
        await devStack(),
        (r) => r.type === "kubernetes:apps/v1:DaemonSet",
        (ds) => {
            ds.metadata.namespace = "kube-system";
            const frr = ds.spec.template.spec.containers[0].securityContext.capabilities;
            frr.add = frr.add.filter((c: string) => c !== "KILL").concat("SYS_PTRACE");
            ds.spec.template.spec.initContainers[0].securityContext.capabilities.add = [
                "NET_ADMIN",
            ];
        },
    );

export const TEST_KEY = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "-----END OPENSSH PRIVATE KEY-----",
].join("\n");

/** The real program with an SSH key and BGP passwords, all secrets in the stack config (as `pulumi config set --secret`). */
export const secretsStack = () =>
    programStack(
        withConfig(DEV, {
            "fabric:ssh": { user: "root", privateKey: TEST_KEY },
            "fabric:spines": readStackFile({ stack: "dev", root: ROOT }).config.spines.map((s) => ({
                ...s,
                bgpPassword: "s3cret-fabric",
            })),
        }),
        { secretKeys: ["fabric:ssh", "fabric:spines"] },
    );

/**
 * Plain-text secrets a program could register: leaf1's config applied by a
 * command that forgot `containsSecrets` (its script carries the BGP
 * passwords unmarked), and a command of the user's that writes a private key
 * with a plain create.
 */
export async function plaintextSecretsStack(): Promise<RecordedStack> {
    const plan = planOf(DEV);
    return componentStack(plan, stackConfigOf(DEV), {}, {}, (fabric) => {
        const leaf1 = plan.devices.find((d) => d.name === "leaf1")!;
        const scripts = switchScripts(plan, "leaf1", {
            passwords: { spine1: "s3cret-fabric", spine2: "s3cret-fabric" },
        })!;
        deviceApplyCommand(
            "leaf1-unmarked",
            {
                connection: deviceConnection(leaf1, { user: "root" }),
                script: scripts.apply,
                containsSecrets: false,
            },
            fabric,
        );
        new remote.Command("push-key", {
            connection: { host: "10.10.0.11", user: "root", privateKey: pulumi.secret(TEST_KEY) },
            create: `install -m 600 /dev/stdin /root/.ssh/id_ed25519 <<'EOF'\n${TEST_KEY}\nEOF`,
        });
    });
}

export const REF5 = "examples/ref5-external-router.yaml";

/**
 * ref3 (calico-bgp: Calico's BIRD peers with the leafs) with a MetalLB BGPPeer
 * that makes node1's speaker peer with leaf1 too: two sessions from node1 to leaf1.
 */
export async function twoSpeakersStack(): Promise<RecordedStack> {
    const s = (await programStack(stackConfigOf(REF3))).clone();
    const pool = s.find((r) => r.type === "kubernetes:projectcalico.org/v3:BGPPeer");
    const body = {
        apiVersion: "metallb.io/v1beta2",
        kind: "BGPPeer",
        metadata: { name: "leaf1", namespace: "metallb-system" },
        spec: {
            myASN: 4200000000,
            peerASN: 65101,
            peerAddress: "10.0.101.1",
            nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": "node1" } }],
        },
    };
    const type = "kubernetes:metallb.io/v1beta2:BGPPeer";
    const name = `${pool.name}-extra-bgppeer`;
    const urn = pool.urn.replace(
        /kubernetes:projectcalico\.org\/v3:BGPPeer::[^:]+$/,
        `${type}::${name}`,
    );
    s.resources.push({
        ...pool,
        urn,
        type,
        name,
        inputs: structuredClone(body),
        outputs: structuredClone(body),
    });
    return s;
}

/** One violating stack per policy: what docs/policy.md quotes (test/policy/print-messages.ts prints them). */
export interface DocExample {
    policy: string;
    /** The stack config the pack process is started with (it re-plans from it). */
    config: () => Record<string, string>;
    stack: () => Promise<RecordedStack>;
}

export const DOC_EXAMPLES: DocExample[] = [
    {
        policy: "fabric-asn-router-id-unique",
        config: () => stackConfigOf(DEV),
        stack: duplicateIdentityStack,
    },
    {
        policy: "fabric-asn-ranges",
        config: () => stackConfigOf(REF4),
        stack: () => programStack(stackConfigOf(REF4)),
    },
    {
        policy: "fabric-prefixes-disjoint",
        config: () => overlappingRef4Config(),
        stack: overlappingRef4,
    },
    {
        policy: "fabric-bgp-sessions-agree",
        config: () => stackConfigOf(DEV),
        stack: missingNeighborStack,
    },
    {
        policy: "fabric-bgp-multipath-relax",
        config: () => stackConfigOf(DEV),
        stack: noMultipathStack,
    },
    {
        policy: "fabric-one-speaker-per-router",
        config: () => stackConfigOf(REF3),
        stack: twoSpeakersStack,
    },
    {
        policy: "fabric-vips-in-pools",
        config: () => stackConfigOf(DEV),
        stack: () => servicesStack({ name: "shop", ip: "172.30.0.9" }),
    },
    {
        policy: "fabric-ssh-keys-only",
        config: () => stackConfigOf(DEV),
        stack: passwordCommandStack,
    },
    { policy: "fabric-ssh-host-key-pinned", config: () => stackConfigOf(DEV), stack: devStack },
    {
        policy: "fabric-router-daemonset",
        config: () => stackConfigOf(DEV),
        stack: looseRouterStack,
    },
    {
        policy: "fabric-no-plaintext-secrets",
        config: () => stackConfigOf(DEV),
        stack: plaintextSecretsStack,
    },
];
