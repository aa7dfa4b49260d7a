// The router DaemonSet (router-on-host mode): FRR on every node, each node
// with its own frr.conf (DESIGN.md, reference design 2).
//
// - Namespace `bgp-fabric-router`, PodSecurity `privileged`.
// - ConfigMap `bgp-fabric-router`: one key per node (`<node>.conf`, the
//   node's frr.conf from render/frr-node.ts), plus FRR's `daemons` and
//   `vtysh.conf`; a fabric too large for one object (1 MiB, ~250 nodes) gets
//   `bgp-fabric-router-1`, … as well, all mounted in one directory.
// - DaemonSet `bgp-fabric-router`: hostNetwork; an init container copies the
//   key of its node (`spec.nodeName` through the downward API, env
//   NODE_NAME) into an emptyDir mounted at /etc/frr; the FRR container runs
//   the pinned image with capabilities dropped to the routing ones.
// - A change of one node's key reaches that node's router only: the pod
//   template carries no digest of the ConfigMap (which would roll every
//   router of the cluster, dropping every node's sessions in turn); the FRR
//   container watches its own key (the kubelet updates a mounted ConfigMap in
//   place) and reloads FRR when it changes, after FRR's parser accepted it.
// - Scheduling: the plan's nodes by `kubernetes.io/hostname` (a
//   `matchFields` term allows only one node name), and every taint is
//   tolerated, as calico-node does: the router is the node's network, so it
//   must run on a node that is not Ready yet.
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

import { FabricPlan } from "../../plan";
import {
    KubeObject,
    ROUTER_NAME,
    ROUTER_NAMESPACE,
    kubeNodes,
    labels,
    metadata,
    namespace,
} from "./common";

/** What routing needs (DESIGN.md, upstream facts). */
export const ROUTING_CAPABILITIES = [
    "NET_ADMIN",
    "NET_RAW",
    "SYS_ADMIN",
    "NET_BIND_SERVICE",
] as const;
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
        kubeNodes(plan).map((d) => [
            d.name,
            `! PLACEHOLDER for ${d.name}: not a real FRR configuration (unit tests only)\nhostname ${d.name}\n`,
        ]),
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

/**
 * The FRR container's shell: start FRR (watchfrr and the daemons), stop it on
 * TERM, exit when watchfrr dies, and apply a new version of this node's key:
 * FRR's parser first (`vtysh --dryrun`; a rejected text changes nothing and
 * is reported once), then frr-reload.py where the image has it, a restart of
 * FRR where it does not.
 */
export const RUN_FRR_SCRIPT = [
    "set -eu",
    'src="/config/${NODE_NAME}.conf"',
    "/usr/lib/frr/frrinit.sh start",
    "trap '/usr/lib/frr/frrinit.sh stop; exit 0' TERM INT",
    "rejected=",
    'while kill -0 "$(cat /var/run/frr/watchfrr.pid)" 2>/dev/null; do',
    '  if [ -f "$src" ] && ! cmp -s "$src" /etc/frr/frr.conf; then',
    '    sum=$(cksum < "$src")',
    '    if [ "$sum" != "$rejected" ]; then',
    '      cp "$src" /etc/frr/candidate.conf',
    "      if out=$(vtysh --dryrun -f /etc/frr/candidate.conf 2>&1); then",
    "        mv /etc/frr/candidate.conf /etc/frr/frr.conf",
    "        if [ -x /usr/lib/frr/frr-reload.py ] && command -v python3 >/dev/null; then",
    "          /usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf >/dev/null 2>&1 || /usr/lib/frr/frrinit.sh restart",
    "        else",
    "          /usr/lib/frr/frrinit.sh restart",
    "        fi",
    `        echo "${ROUTER_NAME}: applied the new \${NODE_NAME}.conf"`,
    "        rejected=",
    "      else",
    "        rejected=$sum",
    `        echo "${ROUTER_NAME}: FRR rejects the new \${NODE_NAME}.conf; keeping the running one: $out" >&2`,
    "      fi",
    "    fi",
    "  fi",
    "  sleep 5 & wait $!",
    "done",
    `echo "${ROUTER_NAME}: watchfrr exited" >&2`,
    "exit 1",
].join("\n");

/**
 * Bytes of node configs one ConfigMap may carry. The API server refuses an
 * object over 1 MiB; the rest is headroom for metadata and managedFields.
 * At ~3 KB per node one ConfigMap holds ~250 nodes.
 */
export const CONFIGMAP_DATA_BUDGET = 768 * 1024;

/** The name of shard `i` of the router's ConfigMaps: the first is `bgp-fabric-router`. */
export function routerConfigMapName(shard: number): string {
    return shard === 0 ? ROUTER_NAME : `${ROUTER_NAME}-${shard}`;
}

/** FNV-1a of the node name: a node's shard depends on its name only, never on the list. */
function nameHash(name: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    return h;
}

/**
 * The router's ConfigMaps: one key per node (`<node>.conf`), spread over as
 * few ConfigMaps as keep each under CONFIGMAP_DATA_BUDGET — a power of two of
 * them, a node's shard its name's hash — plus FRR's `daemons` and
 * `vtysh.conf` in the first. The DaemonSet mounts them all in one directory,
 * so the init container still picks its key by node name. Adding a node
 * changes only its own shard, unless the count doubles.
 */
export function routerConfigMaps(plan: FabricPlan, nodeFrr: Record<string, string>): KubeObject[] {
    const missing: string[] = [];
    const nodes = kubeNodes(plan);
    const texts: [string, string][] = [];
    for (const node of nodes) {
        const text = nodeFrr[node.name];
        if (typeof text !== "string" || !text.length) missing.push(node.name);
        else texts.push([node.name, text]);
    }
    if (missing.length)
        throw new Error(
            `router DaemonSet: no frr.conf for node(s) ${missing.join(", ")} (pass opts.nodeFrr from renderNodeFrr)`,
        );
    // A set, not a scan of the plan per key: that was O(nodes²).
    const known = new Set(nodes.map((d) => d.name));
    const extra = Object.keys(nodeFrr).filter((n) => !known.has(n));
    if (extra.length)
        throw new Error(`router DaemonSet: frr.conf given for unknown node(s) ${extra.join(", ")}`);

    const common: Record<string, string> = { daemons: frrDaemons(plan), "vtysh.conf": VTYSH_CONF };
    const size = (kv: [string, string]) => kv[0].length + kv[1].length;
    const big = texts.find(
        ([name, text]) => size([nodeConfigKey(name), text]) > CONFIGMAP_DATA_BUDGET,
    );
    if (big)
        throw new Error(
            `router DaemonSet: ${big[0]}'s frr.conf alone is larger than a ConfigMap may be`,
        );
    let shards = 1;
    for (;;) {
        const bytes = new Array<number>(shards).fill(0);
        bytes[0] += Object.entries(common).reduce((n, kv) => n + size(kv), 0);
        for (const [name, text] of texts)
            bytes[nameHash(name) & (shards - 1)] += size([nodeConfigKey(name), text]);
        if (Math.max(...bytes) <= CONFIGMAP_DATA_BUDGET) break;
        shards *= 2;
    }
    const data: Record<string, string>[] = Array.from({ length: shards }, () => ({}));
    for (const [name, text] of texts)
        data[nameHash(name) & (shards - 1)][nodeConfigKey(name)] = text;
    Object.assign(data[0], common);
    return data.map((d, i) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: metadata(plan, "router", routerConfigMapName(i), ROUTER_NAMESPACE),
        data: d,
    }));
}

/** The node-configs volume: the ConfigMap, or every shard projected into one directory. */
function nodeConfigsVolume(shards: number): Record<string, unknown> {
    if (shards === 1) return { name: "node-configs", configMap: { name: ROUTER_NAME } };
    return {
        name: "node-configs",
        projected: {
            sources: Array.from({ length: shards }, (_, i) => ({
                configMap: { name: routerConfigMapName(i) },
            })),
        },
    };
}

export function routerDaemonSet(plan: FabricPlan, configMapCount = 1): KubeObject {
    const image = plan.kubernetes.routerImage;
    const selector = {
        "app.kubernetes.io/name": ROUTER_NAME,
        "app.kubernetes.io/instance": plan.name,
    };
    const podLabels = labels(plan, "router", selector);
    return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name: ROUTER_NAME, namespace: ROUTER_NAMESPACE, labels: podLabels },
        spec: {
            selector: { matchLabels: selector },
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
            template: {
                metadata: { labels: podLabels },
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
                                nodeSelectorTerms: [
                                    {
                                        matchExpressions: [
                                            {
                                                key: "kubernetes.io/hostname",
                                                operator: "In",
                                                values: kubeNodes(plan).map((d) => d.name),
                                            },
                                        ],
                                    },
                                ],
                            },
                        },
                    },
                    tolerations: [{ operator: "Exists" }],
                    initContainers: [
                        {
                            name: "select-config",
                            image,
                            imagePullPolicy: "IfNotPresent",
                            command: ["/bin/sh", "-c", SELECT_CONFIG_SCRIPT],
                            env: [
                                {
                                    name: "NODE_NAME",
                                    valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
                                },
                            ],
                            volumeMounts: [
                                { name: "node-configs", mountPath: "/config", readOnly: true },
                                { name: "etc-frr", mountPath: "/etc/frr" },
                            ],
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"] },
                            },
                            resources: {
                                requests: { cpu: "10m", memory: "16Mi" },
                                limits: { memory: "64Mi" },
                            },
                        },
                    ],
                    containers: [
                        {
                            name: "frr",
                            image,
                            imagePullPolicy: "IfNotPresent",
                            command: ["/bin/sh", "-c", RUN_FRR_SCRIPT],
                            env: [
                                {
                                    name: "NODE_NAME",
                                    valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
                                },
                            ],
                            volumeMounts: [
                                { name: "node-configs", mountPath: "/config", readOnly: true },
                                { name: "etc-frr", mountPath: "/etc/frr" },
                            ],
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                capabilities: {
                                    add: [...ROUTING_CAPABILITIES, ...FRR_PROCESS_CAPABILITIES],
                                    drop: ["ALL"],
                                },
                            },
                            readinessProbe: {
                                exec: { command: ["vtysh", "-c", "show bgp summary"] },
                                initialDelaySeconds: 5,
                                periodSeconds: 10,
                                timeoutSeconds: 5,
                                failureThreshold: 3,
                            },
                            resources: {
                                requests: { cpu: "50m", memory: "64Mi" },
                                limits: { memory: "512Mi" },
                            },
                        },
                    ],
                    volumes: [nodeConfigsVolume(configMapCount), { name: "etc-frr", emptyDir: {} }],
                },
            },
        },
    };
}

/** router.yaml (router-on-host only): namespace, ConfigMap(s), DaemonSet. */
export function renderRouter(plan: FabricPlan, nodeFrr: Record<string, string>): KubeObject[] {
    const configMaps = routerConfigMaps(plan, nodeFrr);
    return [
        namespace(plan, "router", ROUTER_NAMESPACE, true),
        ...configMaps,
        routerDaemonSet(plan, configMaps.length),
    ];
}
