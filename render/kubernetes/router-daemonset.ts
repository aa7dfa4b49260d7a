// The router DaemonSet (router-on-host mode): FRR on every node, each node
// with its own frr.conf (DESIGN.md, reference design 2).
//
// - Namespace `bgp-fabric-router`, PodSecurity `privileged`.
// - ConfigMap `bgp-fabric-router`: one key per node (`<node>.conf`, the
//   node's frr.conf from render/frr-node.ts), plus FRR's `daemons` and
//   `vtysh.conf`.
// - DaemonSet `bgp-fabric-router`: hostNetwork; an init container copies the
//   key of its node (`spec.nodeName` through the downward API, env
//   NODE_NAME) into an emptyDir mounted at /etc/frr; the FRR container runs
//   the pinned image with capabilities dropped to the routing ones.
//
// Capabilities: ALL are dropped. Added: NET_ADMIN, NET_RAW, SYS_ADMIN,
// NET_BIND_SERVICE (routing: netlink routes, raw sockets for BFD and IPv6 RA,
// port 179; DESIGN.md) and SETUID, SETGID, DAC_OVERRIDE, KILL, which FRR's
// own process model needs: its daemons drop from root to the `frr` user
// (`privs_init: could not setgroups` without SETUID/SETGID), watchfrr (root)
// writes its pid file into the frr-owned /var/run/frr (DAC_OVERRIDE) and
// signals the frr-owned daemons to restart or stop them (KILL). Measured with
// FRR 8.4 under exactly these bounding sets and no_new_privs: with the four
// alone watchfrr and the daemons do not start; with the eight they start,
// `vtysh` answers, and TERM stops every daemon cleanly.

import { createHash } from "crypto";
import { FabricPlan } from "../../plan";
import { KubeObject, ROUTER_NAME, ROUTER_NAMESPACE, kubeNodes, labels, metadata, namespace } from "./common";

/** What routing needs (DESIGN.md, upstream facts). */
export const ROUTING_CAPABILITIES = ["NET_ADMIN", "NET_RAW", "SYS_ADMIN", "NET_BIND_SERVICE"] as const;
/** What FRR's own process model needs on top: privilege drop to `frr`, watchfrr's pid file, signals to the daemons. */
export const FRR_PROCESS_CAPABILITIES = ["SETUID", "SETGID", "DAC_OVERRIDE", "KILL"] as const;

/** The ConfigMap key holding a node's frr.conf. */
export function nodeConfigKey(node: string): string {
    return `${node}.conf`;
}

/** FRR's `daemons` file: bgpd (and bfdd when BFD is on); zebra and staticd always run. */
export function frrDaemons(plan: FabricPlan): string {
    const bfd = plan.bgp.bfd;
    return [
        "# FRR daemons of the bgp-fabric router. Rendered from the stack: edit the stack, not this file.",
        "# zebra and staticd always run.",
        "bgpd=yes",
        `bfdd=${bfd ? "yes" : "no"}`,
        "vtysh_enable=yes",
        'zebra_options="  -A 127.0.0.1 -s 90000000"',
        'bgpd_options="   -A 127.0.0.1"',
        'staticd_options="-A 127.0.0.1"',
        ...(bfd ? ['bfdd_options="   -A 127.0.0.1"'] : []),
        'frr_profile="datacenter"',
        "",
    ].join("\n");
}

export const VTYSH_CONF = "service integrated-vtysh-config\n";

/**
 * Stand-in frr.conf text for every node, for unit tests only: the real text
 * comes from renderNodeFrr (render/frr-node.ts) through opts.nodeFrr.
 */
export function placeholderNodeFrr(plan: FabricPlan): Record<string, string> {
    return Object.fromEntries(
        kubeNodes(plan).map((d) => [d.name, `! PLACEHOLDER for ${d.name}: not a real FRR configuration (unit tests only)\nhostname ${d.name}\n`]),
    );
}

/** The shell of the init container: the node's key becomes /etc/frr/frr.conf. */
export const SELECT_CONFIG_SCRIPT = [
    "set -eu",
    'src="/config/${NODE_NAME}.conf"',
    'if [ ! -f "$src" ]; then',
    `  echo "${ROUTER_NAME}: no FRR configuration for node '\${NODE_NAME}' in ConfigMap ${ROUTER_NAME} (keys: $(ls /config | tr '\\n' ' '))" >&2`,
    "  exit 1",
    "fi",
    'cp "$src" /etc/frr/frr.conf',
    "cp /config/daemons /etc/frr/daemons",
    "cp /config/vtysh.conf /etc/frr/vtysh.conf",
    `echo "${ROUTER_NAME}: /etc/frr/frr.conf is \${NODE_NAME}.conf"`,
].join("\n");

/** The FRR container's shell: start FRR (watchfrr and the daemons), stop it on TERM, exit when watchfrr dies. */
export const RUN_FRR_SCRIPT = [
    "set -eu",
    "/usr/lib/frr/frrinit.sh start",
    "trap '/usr/lib/frr/frrinit.sh stop; exit 0' TERM INT",
    'while kill -0 "$(cat /var/run/frr/watchfrr.pid)" 2>/dev/null; do sleep 5 & wait $!; done',
    `echo "${ROUTER_NAME}: watchfrr exited" >&2`,
    "exit 1",
].join("\n");

export function routerConfigMap(plan: FabricPlan, nodeFrr: Record<string, string>): KubeObject {
    const data: Record<string, string> = {};
    const missing: string[] = [];
    const nodes = kubeNodes(plan);
    for (const node of nodes) {
        const text = nodeFrr[node.name];
        if (typeof text !== "string" || !text.length) missing.push(node.name);
        else data[nodeConfigKey(node.name)] = text;
    }
    if (missing.length) throw new Error(`router DaemonSet: no frr.conf for node(s) ${missing.join(", ")} (pass opts.nodeFrr from renderNodeFrr)`);
    // A set, not a scan of the plan per key: that was O(nodes²).
    const known = new Set(nodes.map((d) => d.name));
    const extra = Object.keys(nodeFrr).filter((n) => !known.has(n));
    if (extra.length) throw new Error(`router DaemonSet: frr.conf given for unknown node(s) ${extra.join(", ")}`);
    data.daemons = frrDaemons(plan);
    data["vtysh.conf"] = VTYSH_CONF;
    return { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(plan, "router", ROUTER_NAME, ROUTER_NAMESPACE), data };
}

/** sha256 of the ConfigMap's data: a pod-template annotation, so a config change rolls the pods. */
export function configDigest(configMap: KubeObject): string {
    const data = configMap.data as Record<string, string>;
    const h = createHash("sha256");
    for (const key of Object.keys(data).sort()) h.update(`${key}\0${data[key]}\0`);
    return h.digest("hex");
}

export function routerDaemonSet(plan: FabricPlan, configMap: KubeObject): KubeObject {
    const image = plan.kubernetes.routerImage;
    const selector = { "app.kubernetes.io/name": ROUTER_NAME, "app.kubernetes.io/instance": plan.name };
    const podLabels = labels(plan, "router", selector);
    return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name: ROUTER_NAME, namespace: ROUTER_NAMESPACE, labels: podLabels },
        spec: {
            selector: { matchLabels: selector },
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
            template: {
                metadata: { labels: podLabels, annotations: { "bgp-fabric/config-sha256": configDigest(configMap) } },
                spec: {
                    hostNetwork: true,
                    dnsPolicy: "ClusterFirstWithHostNet",
                    priorityClassName: "system-node-critical",
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    terminationGracePeriodSeconds: 15,
                    nodeSelector: { "kubernetes.io/os": "linux" },
                    affinity: {
                        nodeAffinity: {
                            requiredDuringSchedulingIgnoredDuringExecution: {
                                // Only the nodes of the plan: every other node has no frr.conf.
                                nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: kubeNodes(plan).map((d) => d.name) }] }],
                            },
                        },
                    },
                    tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
                    initContainers: [
                        {
                            name: "select-config",
                            image,
                            imagePullPolicy: "IfNotPresent",
                            command: ["/bin/sh", "-c", SELECT_CONFIG_SCRIPT],
                            env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                            volumeMounts: [
                                { name: "node-configs", mountPath: "/config", readOnly: true },
                                { name: "etc-frr", mountPath: "/etc/frr" },
                            ],
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                        },
                    ],
                    containers: [
                        {
                            name: "frr",
                            image,
                            imagePullPolicy: "IfNotPresent",
                            command: ["/bin/sh", "-c", RUN_FRR_SCRIPT],
                            volumeMounts: [{ name: "etc-frr", mountPath: "/etc/frr" }],
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                capabilities: { add: [...ROUTING_CAPABILITIES, ...FRR_PROCESS_CAPABILITIES], drop: ["ALL"] },
                            },
                            readinessProbe: {
                                exec: { command: ["vtysh", "-c", "show bgp summary"] },
                                initialDelaySeconds: 5,
                                periodSeconds: 10,
                                timeoutSeconds: 5,
                                failureThreshold: 3,
                            },
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "512Mi" } },
                        },
                    ],
                    volumes: [
                        { name: "node-configs", configMap: { name: ROUTER_NAME } },
                        { name: "etc-frr", emptyDir: {} },
                    ],
                },
            },
        },
    };
}

/** router.yaml (router-on-host only): namespace, ConfigMap, DaemonSet. */
export function renderRouter(plan: FabricPlan, nodeFrr: Record<string, string>): KubeObject[] {
    const cm = routerConfigMap(plan, nodeFrr);
    return [namespace(plan, "router", ROUTER_NAMESPACE, true), cm, routerDaemonSet(plan, cm)];
}
