// Semantics of the rendered Kubernetes objects (no schemas needed): which
// objects each routing mode has, the values the DESIGN.md reference designs
// fix, the router DaemonSet's shape, and determinism.

import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { FabricConfig, FabricPlan, planFabric, readStackFile } from "../../plan";
import {
    CALICO_ASN_ANNOTATION,
    CALICO_POOL_NAME,
    CONFIGMAP_DATA_BUDGET,
    FRR_PROCESS_CAPABILITIES,
    KubeObject,
    ROUTING_CAPABILITIES,
    expectedIpPool,
    nodeAsns,
    placeholderNodeFrr,
    renderKubernetes,
    renderKubernetesYaml,
    serviceForVip,
    toYaml,
    unreservedRanges,
} from "../../render/kubernetes";
import { formatAddress, parseAddress, parseCidr } from "../../plan/ipv4";
import { calicoVariantOfDev } from "../support/schemas";
import { syntheticFabric } from "../../bench/fabric-config";
import { renderNodeFrr } from "../../render/frr-node";

const REPO = path.resolve(__dirname, "..", "..");

function devConfig(): FabricConfig {
    return readStackFile({ stack: "dev", root: REPO }).config;
}
function exampleConfig(name: string): FabricConfig | undefined {
    const file = path.join(REPO, "examples", name);
    return fs.existsSync(file) ? readStackFile({ config: file }).config : undefined;
}
function ref4Config(): FabricConfig {
    // DESIGN.md reference design 4; the example file when the lead's is there, else the same fabric here.
    return (
        exampleConfig("ref4-calico-metallb-vendor.yaml") ?? {
            name: "ref4",
            addressing: { loopbacks: "10.255.0.0/24" },
            spines: [{ name: "spine1", managed: false, asn: 63400, loopback: "10.255.0.1" }],
            leafs: [
                {
                    name: "leaf1",
                    managed: false,
                    asn: 63500,
                    loopback: "10.255.0.101",
                    rackSubnet: "10.20.0.0/24",
                    address: "10.20.0.2",
                },
                {
                    name: "leaf2",
                    managed: false,
                    asn: 63500,
                    loopback: "10.255.0.102",
                    rackSubnet: "10.20.0.0/24",
                    address: "10.20.0.3",
                },
            ],
            links: [
                ["spine1:ethernet1", "leaf1:ethernet49"],
                ["spine1:ethernet2", "leaf2:ethernet49"],
            ],
            nodes: [
                {
                    name: "k8s1",
                    role: "control-plane",
                    asn: 63551,
                    address: "10.20.0.11",
                    uplinks: ["leaf1:ethernet1", "leaf2:ethernet1"],
                },
                {
                    name: "k8s2",
                    asn: 63552,
                    address: "10.20.0.12",
                    uplinks: ["leaf1:ethernet2", "leaf2:ethernet2"],
                },
                {
                    name: "k8s3",
                    asn: 63553,
                    address: "10.20.0.13",
                    uplinks: ["leaf1:ethernet3", "leaf2:ethernet3"],
                },
            ],
            kubernetes: {
                routing: "calico-bgp",
                podCidr: "172.27.0.0/16",
                serviceCidr: "172.28.0.0/16",
                blockSize: 26,
            },
            loadBalancerPools: [
                {
                    name: "services",
                    cidr: "172.29.0.0/16",
                    avoidBuggyIps: true,
                    vips: { web: "172.29.0.6", api: "172.29.0.7" },
                },
            ],
        }
    );
}

const of = (objs: KubeObject[], apiVersion: string, kind: string) =>
    objs.filter((o) => o.apiVersion === apiVersion && o.kind === kind);
const spec = (o: KubeObject) => o.spec as any;
const nodesOf = (plan: FabricPlan) => plan.devices.filter((d) => d.role === "node");

describe("kubernetes: rendered objects", () => {
    const devPlan = planFabric(devConfig());
    const dev = renderKubernetes(devPlan, { nodeFrr: placeholderNodeFrr(devPlan) });
    const calicoPlans: [string, FabricPlan][] = [
        ["ref4", planFabric(ref4Config())],
        ["dev as calico-bgp", planFabric(calicoVariantOfDev(devConfig()))],
    ];

    describe("files and order", () => {
        it("router-on-host renders calico.yaml, metallb.yaml and router.yaml; calico-bgp has no router.yaml", () => {
            assert.deepStrictEqual(Object.keys(dev), [
                "calico.yaml",
                "metallb.yaml",
                "router.yaml",
            ]);
            for (const [, plan] of calicoPlans)
                assert.deepStrictEqual(Object.keys(renderKubernetes(plan)), [
                    "calico.yaml",
                    "metallb.yaml",
                ]);
        });

        it("puts namespaces first and objects that name others after what they name", () => {
            assert.deepStrictEqual(
                dev["router.yaml"].map((o) => o.kind),
                ["Namespace", "ConfigMap", "DaemonSet"],
            );
            const metallb = dev["metallb.yaml"].map((o) => o.kind);
            assert.strictEqual(metallb[0], "IPAddressPool");
            assert.ok(metallb.lastIndexOf("IPAddressPool") < metallb.indexOf("BGPPeer"));
            assert.strictEqual(metallb[metallb.length - 1], "BGPAdvertisement");
            assert.deepStrictEqual(
                dev["calico.yaml"].map((o) => o.kind),
                ["Installation", "BGPConfiguration"],
            );
            const calico = renderKubernetes(calicoPlans[0][1])["calico.yaml"].map((o) => o.kind);
            assert.deepStrictEqual(calico.slice(0, 2), ["Installation", "BGPConfiguration"]);
            assert.ok(calico.lastIndexOf("Node") < calico.indexOf("BGPPeer"));
        });

        it("labels every object of ours app.kubernetes.io/part-of: bgp-fabric (Node patches carry only the ASN)", () => {
            for (const [, plan] of [["dev", devPlan] as const, ...calicoPlans]) {
                const objs = Object.values(
                    renderKubernetes(plan, { nodeFrr: placeholderNodeFrr(plan) }),
                ).flat();
                for (const o of objs) {
                    if (o.kind === "Node") {
                        assert.deepStrictEqual(Object.keys(o.metadata), ["name", "annotations"]);
                        continue;
                    }
                    assert.strictEqual(
                        o.metadata.labels?.["app.kubernetes.io/part-of"],
                        "bgp-fabric",
                        `${o.kind}/${o.metadata.name}`,
                    );
                    assert.strictEqual(
                        o.metadata.labels?.["app.kubernetes.io/instance"],
                        plan.name,
                    );
                }
            }
        });
    });

    describe("router-on-host (dev)", () => {
        const calico = dev["calico.yaml"];
        const metallb = dev["metallb.yaml"];

        it("Installation: BGP on, our pod pool without encapsulation or NAT, node IP = the kubelet's (loopback)", () => {
            const [inst] = of(calico, "operator.tigera.io/v1", "Installation");
            assert.strictEqual(inst.metadata.name, "default");
            const net = spec(inst).calicoNetwork;
            assert.strictEqual(net.bgp, "Enabled");
            assert.deepStrictEqual(net.ipPools, [
                {
                    name: "bgp-fabric-pods-ipv4",
                    cidr: "10.233.64.0/18",
                    blockSize: 26,
                    encapsulation: "None",
                    natOutgoing: "Disabled",
                    nodeSelector: "all()",
                },
            ]);
            assert.deepStrictEqual(net.nodeAddressAutodetectionV4, {
                kubernetes: "NodeInternalIP",
            });
            assert.deepStrictEqual(spec(inst).cni, { type: "Calico", ipam: { type: "Calico" } });
        });

        it("BGPConfiguration: mesh off, BIRD on port 1179 bound to the node IP", () => {
            const [c] = of(calico, "projectcalico.org/v3", "BGPConfiguration");
            assert.strictEqual(c.metadata.name, "default");
            assert.strictEqual(devPlan.kubernetes.calicoListenPort, 1179);
            assert.deepStrictEqual(spec(c), {
                nodeToNodeMeshEnabled: false,
                listenPort: 1179,
                bindMode: "NodeIP",
            });
        });

        it("has no Calico BGPPeer and no Node ASN patch", () => {
            assert.strictEqual(of(calico, "projectcalico.org/v3", "BGPPeer").length, 0);
            assert.strictEqual(of(calico, "v1", "Node").length, 0);
        });

        it("MetalLB: one BGPPeer per node, the native speaker to the node's router over 127.0.0.1", () => {
            const peers = of(metallb, "metallb.io/v1beta2", "BGPPeer");
            const nodes = nodesOf(devPlan);
            assert.strictEqual(peers.length, nodes.length);
            for (const node of nodes) {
                const p = peers.find((x) => x.metadata.name === `host-router-${node.name}`)!;
                assert.ok(p, node.name);
                assert.strictEqual(p.metadata.namespace, "metallb-system");
                assert.deepStrictEqual(spec(p), {
                    myASN: devPlan.kubernetes.speakerAsn,
                    peerASN: node.asn,
                    peerAddress: "127.0.0.1",
                    nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": node.name } }],
                });
            }
        });

        it("MetalLB: one BGPAdvertisement of /32s over every pool; no BFDProfile", () => {
            const ads = of(metallb, "metallb.io/v1beta1", "BGPAdvertisement");
            assert.strictEqual(ads.length, 1);
            const pools = of(metallb, "metallb.io/v1beta1", "IPAddressPool").map(
                (p) => p.metadata.name,
            );
            assert.deepStrictEqual(spec(ads[0]), { ipAddressPools: pools, aggregationLength: 32 });
            assert.strictEqual(of(metallb, "metallb.io/v1beta1", "BFDProfile").length, 0);
        });

        it("MetalLB objects live in metallb-system; the namespace itself is left to MetalLB's install manifest", () => {
            assert.strictEqual(of(metallb, "v1", "Namespace").length, 0);
            assert.ok(metallb.every((o) => o.metadata.namespace === "metallb-system"));
        });

        it("without nodeFrr it refuses (no silent placeholder outside tests)", () => {
            assert.throws(() => renderKubernetes(devPlan), /needs opts.nodeFrr/);
            const some = placeholderNodeFrr(devPlan);
            delete some.k8s3;
            assert.throws(
                () => renderKubernetes(devPlan, { nodeFrr: some }),
                /no frr.conf for node\(s\) k8s3/,
            );
            assert.throws(
                () =>
                    renderKubernetes(devPlan, {
                        nodeFrr: { ...placeholderNodeFrr(devPlan), k8s99: "x" },
                    }),
                /unknown node\(s\) k8s99/,
            );
        });
    });

    describe("router ConfigMaps at scale (an object is at most 1 MiB)", () => {
        const routerOf = (nodes: number) => {
            const plan = planFabric({ ...syntheticFabric(4, 96, nodes), name: "scale" });
            const frr = Object.fromEntries(
                nodesOf(plan).map((d) => [d.name, renderNodeFrr(plan, d.name)!]),
            );
            return { plan, router: renderKubernetes(plan, { nodeFrr: frr })["router.yaml"], frr };
        };
        const big = routerOf(900);
        const cms = of(big.router, "v1", "ConfigMap");
        const [ds] = of(big.router, "apps/v1", "DaemonSet");

        it("900 nodes: several ConfigMaps, each under the budget, every node's key in exactly one, FRR's files in the first", () => {
            assert.ok(cms.length >= 4, `${cms.length} ConfigMaps`);
            assert.deepStrictEqual(
                cms.map((c) => c.metadata.name),
                cms.map((_, i) => (i === 0 ? "bgp-fabric-router" : `bgp-fabric-router-${i}`)),
            );
            for (const c of cms)
                assert.ok(
                    Buffer.byteLength(JSON.stringify(c)) < 1024 * 1024 &&
                        Object.entries(c.data as object).reduce(
                            (n, [k, v]) => n + k.length + v.length,
                            0,
                        ) <= CONFIGMAP_DATA_BUDGET,
                    c.metadata.name,
                );
            const keys = cms.flatMap((c) => Object.keys(c.data as object));
            assert.strictEqual(new Set(keys).size, keys.length, "a key is in two ConfigMaps");
            for (const d of nodesOf(big.plan))
                assert.strictEqual(
                    cms.filter((c) => (c.data as any)[`${d.name}.conf`] === big.frr[d.name]).length,
                    1,
                    d.name,
                );
            assert.deepStrictEqual(Object.keys(cms[0].data as object).slice(-2), [
                "daemons",
                "vtysh.conf",
            ]);
        });

        it("the DaemonSet mounts every shard in one directory, so a node's key is where the init container looks", () => {
            const volume = spec(ds).template.spec.volumes.find(
                (v: any) => v.name === "node-configs",
            );
            assert.deepStrictEqual(volume, {
                name: "node-configs",
                projected: { sources: cms.map((c) => ({ configMap: { name: c.metadata.name } })) },
            });
        });

        it("a node's shard depends on its name only: adding a node changes one ConfigMap", () => {
            const more = routerOf(901);
            const after = of(more.router, "v1", "ConfigMap");
            assert.strictEqual(after.length, cms.length);
            const changed = after.filter((c, i) => JSON.stringify(c) !== JSON.stringify(cms[i]));
            assert.strictEqual(changed.length, 1);
            assert.ok(Object.keys(changed[0].data as object).includes("node901.conf"));
        });

        it("a small fabric keeps one ConfigMap and a plain configMap volume", () => {
            const small = of(dev["router.yaml"], "v1", "ConfigMap");
            assert.deepStrictEqual(
                small.map((c) => c.metadata.name),
                ["bgp-fabric-router"],
            );
            const [smallDs] = of(dev["router.yaml"], "apps/v1", "DaemonSet");
            assert.deepStrictEqual(
                spec(smallDs).template.spec.volumes.find((v: any) => v.name === "node-configs"),
                { name: "node-configs", configMap: { name: "bgp-fabric-router" } },
            );
        });
    });

    describe("router DaemonSet", () => {
        const router = dev["router.yaml"];
        const [ns] = of(router, "v1", "Namespace");
        const [cm] = of(router, "v1", "ConfigMap");
        const [ds] = of(router, "apps/v1", "DaemonSet");
        const pod = spec(ds).template.spec;
        const frr = pod.containers.find((c: any) => c.name === "frr");
        const init = pod.initContainers.find((c: any) => c.name === "select-config");

        it("namespace bgp-fabric-router is labelled pod-security.kubernetes.io/enforce: privileged", () => {
            assert.strictEqual(ns.metadata.name, "bgp-fabric-router");
            assert.strictEqual(
                ns.metadata.labels!["pod-security.kubernetes.io/enforce"],
                "privileged",
            );
            assert.strictEqual(cm.metadata.namespace, "bgp-fabric-router");
            assert.strictEqual(ds.metadata.namespace, "bgp-fabric-router");
        });

        it("ConfigMap: exactly one key per node (<node>.conf, its frr.conf) plus daemons and vtysh.conf", () => {
            const data = cm.data as Record<string, string>;
            const nodes = nodesOf(devPlan).map((d) => d.name);
            assert.deepStrictEqual(Object.keys(data), [
                ...nodes.map((n) => `${n}.conf`),
                "daemons",
                "vtysh.conf",
            ]);
            const given = placeholderNodeFrr(devPlan);
            for (const n of nodes) assert.strictEqual(data[`${n}.conf`], given[n]);
            assert.match(data.daemons, /^bgpd=yes$/m);
            assert.match(data.daemons, /^bfdd=yes$/m); // dev has BFD on
            assert.match(data.daemons, /^frr_profile="datacenter"$/m);
            assert.strictEqual(data["vtysh.conf"], "service integrated-vtysh-config\n");
        });

        it("carries the real per-node frr.conf when given one", () => {
            const real = Object.fromEntries(
                nodesOf(devPlan).map((d) => [
                    d.name,
                    `! real config of ${d.name}\nrouter bgp ${d.asn}\n`,
                ]),
            );
            const [c] = of(
                renderKubernetes(devPlan, { nodeFrr: real })["router.yaml"],
                "v1",
                "ConfigMap",
            );
            assert.strictEqual((c.data as any)["k8s5.conf"], real.k8s5);
        });

        it("hostNetwork, on the plan's nodes only (by hostname: matchFields allows one name), every taint tolerated", () => {
            assert.strictEqual(pod.hostNetwork, true);
            assert.strictEqual(pod.dnsPolicy, "ClusterFirstWithHostNet");
            const term =
                pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
                    .nodeSelectorTerms[0];
            assert.strictEqual(term.matchFields, undefined);
            assert.deepStrictEqual(term.matchExpressions, [
                {
                    key: "kubernetes.io/hostname",
                    operator: "In",
                    values: nodesOf(devPlan).map((d) => d.name),
                },
            ]);
            // The router is the node's network: it must run on a node that is not Ready yet (no CNI, day one).
            assert.deepStrictEqual(pod.tolerations, [{ operator: "Exists" }]);
        });

        it("init container picks the key of its node (spec.nodeName via the downward API) into an emptyDir at /etc/frr", () => {
            assert.deepStrictEqual(init.env, [
                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
            ]);
            const script: string = init.command[2];
            assert.match(script, /src="\/config\/\$\{NODE_NAME\}\.conf"/);
            assert.match(script, /cp "\$src" \/etc\/frr\/frr\.conf/);
            const etc = pod.volumes.find((v: any) => v.name === "etc-frr");
            assert.deepStrictEqual(etc, { name: "etc-frr", emptyDir: {} });
            assert.deepStrictEqual(
                pod.volumes.find((v: any) => v.name === "node-configs"),
                { name: "node-configs", configMap: { name: cm.metadata.name } },
            );
            for (const c of [init, frr])
                assert.ok(
                    c.volumeMounts.some(
                        (m: any) => m.name === "etc-frr" && m.mountPath === "/etc/frr",
                    ),
                    c.name,
                );
            assert.deepStrictEqual(init.securityContext.capabilities, { drop: ["ALL"] });
        });

        it("FRR container: the pinned image; capabilities: drop ALL, add the four routing ones and FRR's process ones, nothing else", () => {
            assert.strictEqual(frr.image, devPlan.kubernetes.routerImage);
            assert.strictEqual(init.image, devPlan.kubernetes.routerImage);
            assert.deepStrictEqual(
                [...ROUTING_CAPABILITIES],
                ["NET_ADMIN", "NET_RAW", "SYS_ADMIN", "NET_BIND_SERVICE"],
            );
            assert.deepStrictEqual(
                [...FRR_PROCESS_CAPABILITIES],
                ["SETUID", "SETGID", "DAC_OVERRIDE", "KILL"],
            );
            assert.deepStrictEqual(frr.securityContext.capabilities, {
                add: [
                    "NET_ADMIN",
                    "NET_RAW",
                    "SYS_ADMIN",
                    "NET_BIND_SERVICE",
                    "SETUID",
                    "SETGID",
                    "DAC_OVERRIDE",
                    "KILL",
                ],
                drop: ["ALL"],
            });
            assert.notStrictEqual(frr.securityContext.privileged, true);
            assert.deepStrictEqual(frr.readinessProbe.exec.command, [
                "vtysh",
                "-c",
                "show bgp summary",
            ]);
        });

        it("a node's config change does not touch the DaemonSet (no digest rolls every router); the FRR container reloads its own key", () => {
            const a = placeholderNodeFrr(devPlan);
            const b = { ...a, k8s2: a.k8s2 + "! changed\n" };
            const ds = (m: Record<string, string>) =>
                of(
                    renderKubernetes(devPlan, { nodeFrr: m })["router.yaml"],
                    "apps/v1",
                    "DaemonSet",
                )[0];
            assert.deepStrictEqual(ds(a), ds(b));
            assert.deepStrictEqual(frr.env, [
                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
            ]);
            assert.ok(
                frr.volumeMounts.some(
                    (m: any) =>
                        m.name === "node-configs" &&
                        m.mountPath === "/config" &&
                        m.readOnly === true,
                ),
            );
            const script: string = frr.command[2];
            assert.match(script, /src="\/config\/\$\{NODE_NAME\}\.conf"/);
            assert.match(script, /vtysh --dryrun -f \/etc\/frr\/candidate\.conf/);
            assert.match(script, /frr-reload\.py --reload \/etc\/frr\/frr\.conf/);
        });
    });

    for (const [name, plan] of calicoPlans) {
        describe(`calico-bgp (${name})`, () => {
            const files = renderKubernetes(plan);
            const calico = files["calico.yaml"];
            const metallb = files["metallb.yaml"];

            it("MetalLB only allocates: pools, no BGPPeer, no BGPAdvertisement", () => {
                assert.ok(of(metallb, "metallb.io/v1beta1", "IPAddressPool").length >= 1);
                assert.strictEqual(of(metallb, "metallb.io/v1beta2", "BGPPeer").length, 0);
                assert.strictEqual(of(metallb, "metallb.io/v1beta1", "BGPAdvertisement").length, 0);
            });

            it("one Calico BGPPeer per node and leaf: hostname selector, the leaf's address and ASN", () => {
                const peers = of(calico, "projectcalico.org/v3", "BGPPeer");
                const want = nodesOf(plan).flatMap((node) =>
                    node.neighbors
                        .filter((n) => n.kind === "server")
                        .map((n) => ({
                            name: `${node.name}-${n.device}`,
                            spec: {
                                nodeSelector: `kubernetes.io/hostname == '${node.name}'`,
                                peerIP: n.address,
                                asNumber: n.asn,
                            },
                        })),
                );
                assert.ok(want.length >= nodesOf(plan).length);
                assert.deepStrictEqual(
                    peers.map((p) => ({ name: p.metadata.name, spec: p.spec })),
                    want,
                );
                // node × leaf: every leaf a node is cabled to, and nothing else
                for (const node of nodesOf(plan)) {
                    const leafs = new Set(
                        node.interfaces
                            .filter((i) => i.kind === "server")
                            .map((i) => i.peer.device),
                    );
                    assert.deepStrictEqual(
                        new Set(
                            peers
                                .filter((p) => p.metadata.name.startsWith(`${node.name}-`))
                                .map((p) => p.metadata.name.slice(node.name.length + 1)),
                        ),
                        leafs,
                    );
                }
            });

            it("per-node ASN: a Node patch with projectcalico.org/ASNumber for every node", () => {
                const patches = of(calico, "v1", "Node");
                assert.deepStrictEqual(
                    patches.map((p) => [
                        p.metadata.name,
                        p.metadata.annotations![CALICO_ASN_ANNOTATION],
                    ]),
                    nodesOf(plan).map((d) => [d.name, String(d.asn)]),
                );
                assert.deepStrictEqual(
                    nodeAsns(plan),
                    nodesOf(plan).map((d) => ({ node: d.name, asn: d.asn })),
                );
            });

            it("BGPConfiguration: mesh off, port 179, Calico advertises the LoadBalancer pools", () => {
                const [c] = of(calico, "projectcalico.org/v3", "BGPConfiguration");
                assert.strictEqual(plan.kubernetes.calicoListenPort, 179);
                assert.deepStrictEqual(spec(c), {
                    nodeToNodeMeshEnabled: false,
                    listenPort: 179,
                    serviceLoadBalancerIPs: plan.pools.map((p) => ({ cidr: p.cidr })),
                });
            });

            it("Calico takes the node address from the rack subnets", () => {
                const [inst] = of(calico, "operator.tigera.io/v1", "Installation");
                const cidrs = spec(inst).calicoNetwork.nodeAddressAutodetectionV4.cidrs as string[];
                for (const node of nodesOf(plan)) {
                    assert.ok(
                        cidrs.some((c) => {
                            const r = parseCidr(c);
                            const a = parseAddress(node.address)!;
                            return a >= r.base && a < r.base + r.size;
                        }),
                        node.name,
                    );
                }
            });
        });
    }

    describe("DESIGN.md reference design 5, exactly (metallb-bgp)", () => {
        const plan = planFabric(exampleConfig("ref5-external-router.yaml")!);
        const files = renderKubernetes(plan);
        const calico = files["calico.yaml"];
        const metallb = files["metallb.yaml"];

        it("no router.yaml (no host router), calico.yaml is the Installation alone: no BGPConfiguration, BGPPeer or ASN patch", () => {
            assert.deepStrictEqual(Object.keys(files), ["calico.yaml", "metallb.yaml"]);
            assert.deepStrictEqual(
                calico.map((o) => o.kind),
                ["Installation"],
            );
        });

        it("Installation: Calico's BGP Disabled, the pod pool over VXLAN with NAT outgoing; the operator's IPPool says vxlanMode Always", () => {
            const [inst] = of(calico, "operator.tigera.io/v1", "Installation");
            assert.strictEqual(spec(inst).calicoNetwork.bgp, "Disabled");
            assert.deepStrictEqual(spec(inst).calicoNetwork.ipPools, [
                {
                    name: CALICO_POOL_NAME,
                    cidr: "10.244.0.0/16",
                    blockSize: 26,
                    encapsulation: "VXLAN",
                    natOutgoing: "Enabled",
                    nodeSelector: "all()",
                },
            ]);
            assert.deepStrictEqual(spec(inst).calicoNetwork.nodeAddressAutodetectionV4, {
                cidrs: ["10.192.0.0/24"],
            });
            const pool = expectedIpPool(plan);
            assert.deepStrictEqual(
                [spec(pool).ipipMode, spec(pool).vxlanMode, spec(pool).natOutgoing],
                ["Never", "Always", true],
            );
        });

        it("VXLANCrossSubnet when the stack says so", () => {
            const c = exampleConfig("ref5-external-router.yaml")!;
            c.kubernetes = { ...c.kubernetes, encapsulation: "VXLANCrossSubnet" };
            const p = planFabric(c);
            assert.strictEqual(
                spec(renderKubernetes(p)["calico.yaml"][0]).calicoNetwork.ipPools[0].encapsulation,
                "VXLANCrossSubnet",
            );
            assert.strictEqual(spec(expectedIpPool(p)).vxlanMode, "CrossSubnet");
        });

        it("one MetalLB BGPPeer for the router: iBGP, myASN 64512 = peerASN 64512, peerAddress 10.192.0.7, on the nodes cabled to it", () => {
            const peers = of(metallb, "metallb.io/v1beta2", "BGPPeer");
            assert.deepStrictEqual(
                peers.map((p) => ({ name: p.metadata.name, spec: p.spec })),
                [
                    {
                        name: "router1",
                        spec: {
                            myASN: 64512,
                            peerASN: 64512,
                            peerAddress: "10.192.0.7",
                            holdTime: "3s",
                            keepaliveTime: "1s",
                            nodeSelectors: [
                                {
                                    matchExpressions: [
                                        {
                                            key: "kubernetes.io/hostname",
                                            operator: "In",
                                            values: ["node1", "node2", "node3"],
                                        },
                                    ],
                                },
                            ],
                        },
                    },
                ],
            );
        });

        it("the pool 198.51.100.0/24 as an IPAddressPool, one BGPAdvertisement of /32s", () => {
            assert.deepStrictEqual(
                of(metallb, "metallb.io/v1beta1", "IPAddressPool").map((p) => [
                    p.metadata.name,
                    spec(p).addresses,
                ]),
                [["public", ["198.51.100.0/24"]]],
            );
            const ads = of(metallb, "metallb.io/v1beta1", "BGPAdvertisement");
            assert.deepStrictEqual(
                ads.map((a) => a.spec),
                [{ ipAddressPools: ["public"], aggregationLength: 32 }],
            );
        });

        it("nodes of different ASNs towards one router: one BGPPeer per node ASN, each selecting its nodes", () => {
            const c = exampleConfig("ref5-external-router.yaml")!;
            c.nodes[2].asn = 64513;
            const peers = of(
                renderKubernetes(planFabric(c))["metallb.yaml"],
                "metallb.io/v1beta2",
                "BGPPeer",
            );
            assert.deepStrictEqual(
                peers.map((p) => [
                    p.metadata.name,
                    spec(p).myASN,
                    spec(p).nodeSelectors[0].matchExpressions[0].values,
                ]),
                [
                    ["router1-as64512", 64512, ["node1", "node2"]],
                    ["router1-as64513", 64513, ["node3"]],
                ],
            );
        });
    });

    describe("DESIGN.md reference design 4, exactly", () => {
        const plan = planFabric(ref4Config());
        const files = renderKubernetes(plan);
        const all = Object.values(files).flat();

        it("BGPConfiguration nodeToNodeMeshEnabled false, serviceLoadBalancerIPs [172.29.0.0/16]", () => {
            const [c] = of(all, "projectcalico.org/v3", "BGPConfiguration");
            assert.strictEqual(spec(c).nodeToNodeMeshEnabled, false);
            assert.deepStrictEqual(spec(c).serviceLoadBalancerIPs, [{ cidr: "172.29.0.0/16" }]);
        });

        it("IPPool 172.27.0.0/16, blockSize 26, ipipMode Never, vxlanMode Never, natOutgoing false (created by the operator)", () => {
            const s = spec(expectedIpPool(plan));
            assert.deepStrictEqual(
                [s.cidr, s.blockSize, s.ipipMode, s.vxlanMode, s.natOutgoing],
                ["172.27.0.0/16", 26, "Never", "Never", false],
            );
            const [inst] = of(all, "operator.tigera.io/v1", "Installation");
            assert.deepStrictEqual(spec(inst).calicoNetwork.ipPools[0].cidr, "172.27.0.0/16");
            assert.strictEqual(
                of(all, "projectcalico.org/v3", "IPPool").length,
                0,
                "the operator owns the IPPool; we must not apply a second one",
            );
        });

        it("nodes AS 63551-63553, each peering with both leafs (AS 63500)", () => {
            assert.deepStrictEqual(
                nodeAsns(plan).map((x) => x.asn),
                [63551, 63552, 63553],
            );
            const peers = of(all, "projectcalico.org/v3", "BGPPeer");
            assert.deepStrictEqual(
                peers.map((p) => p.metadata.name),
                [
                    "k8s1-leaf1",
                    "k8s1-leaf2",
                    "k8s2-leaf1",
                    "k8s2-leaf2",
                    "k8s3-leaf1",
                    "k8s3-leaf2",
                ],
            );
            assert.ok(peers.every((p) => spec(p).asNumber === 63500));
            assert.deepStrictEqual(
                [...new Set(peers.map((p) => spec(p).peerIP))],
                ["192.168.9.204", "192.168.9.205"],
            );
        });

        it("MetalLB allocates 172.29.0.0/16 (avoidBuggyIPs) with the pinned VIPs reserved", () => {
            const pools = of(all, "metallb.io/v1beta1", "IPAddressPool");
            assert.deepStrictEqual(
                pools.map((p) => [p.metadata.name, spec(p)]),
                [
                    [
                        "services",
                        {
                            addresses: ["172.29.0.0-172.29.0.5", "172.29.0.8-172.29.255.255"],
                            avoidBuggyIPs: true,
                            autoAssign: true,
                        },
                    ],
                    [
                        "services-vips",
                        {
                            addresses: ["172.29.0.6/32", "172.29.0.7/32"],
                            avoidBuggyIPs: true,
                            autoAssign: false,
                        },
                    ],
                ],
            );
        });

        it("a Service pins 172.29.0.6 with externalTrafficPolicy Local", () => {
            const svc = serviceForVip(plan, "services", "web", {
                namespace: "shop",
                selector: { app: "web" },
                ports: [{ port: 443, targetPort: 8443 }],
            });
            assert.strictEqual(
                svc.metadata.annotations!["metallb.io/loadBalancerIPs"],
                "172.29.0.6",
            );
            assert.strictEqual(
                svc.metadata.annotations!["metallb.io/address-pool"],
                "services-vips",
            );
            assert.deepStrictEqual(svc.spec, {
                type: "LoadBalancer",
                externalTrafficPolicy: "Local",
                selector: { app: "web" },
                ports: [{ port: 443, targetPort: 8443, protocol: "TCP" }],
            });
            assert.throws(
                () =>
                    serviceForVip(plan, "services", "nope", {
                        namespace: "x",
                        selector: {},
                        ports: [{ port: 1 }],
                    }),
                /has no VIP 'nope'/,
            );
            assert.throws(
                () =>
                    serviceForVip(plan, "other", "web", {
                        namespace: "x",
                        selector: {},
                        ports: [{ port: 1 }],
                    }),
                /no LoadBalancer pool 'other'/,
            );
            assert.throws(
                () =>
                    serviceForVip(plan, "services", "web", {
                        namespace: "x",
                        selector: {},
                        ports: [{ port: 1 }, { port: 2 }],
                    }),
                /each needs a name/,
            );
        });
    });

    describe("reserved VIPs", () => {
        it("the pool proper and its VIP pool partition the CIDR exactly, VIPs at the edges included", () => {
            const pool = {
                name: "p",
                cidr: "10.9.0.0/29",
                vips: { a: "10.9.0.0", b: "10.9.0.3", c: "10.9.0.4", d: "10.9.0.7" },
                avoidBuggyIps: false,
                autoAssign: true,
            };
            assert.deepStrictEqual(unreservedRanges(pool), [
                "10.9.0.1-10.9.0.2",
                "10.9.0.5-10.9.0.6",
            ]);
            assert.deepStrictEqual(unreservedRanges({ ...pool, vips: {} }), ["10.9.0.0/29"]);
            assert.deepStrictEqual(unreservedRanges({ ...pool, vips: { x: "10.9.0.1" } }), [
                "10.9.0.0/32",
                "10.9.0.2-10.9.0.7",
            ]);
            const covered = new Set<string>();
            for (const r of [
                ...unreservedRanges(pool),
                ...Object.values(pool.vips).map((v) => `${v}/32`),
            ]) {
                const [lo, hi] = r.includes("-")
                    ? r.split("-").map((x) => parseAddress(x)!)
                    : [parseAddress(r.split("/")[0])!, parseAddress(r.split("/")[0])!];
                for (let a = lo; a <= hi; a++) {
                    assert.ok(!covered.has(formatAddress(a)), `${formatAddress(a)} twice`);
                    covered.add(formatAddress(a));
                }
            }
            assert.strictEqual(covered.size, 8);
        });
    });

    describe("determinism and purity", () => {
        it("the same config renders byte-identical YAML (fresh plan, and a JSON round-trip of the plan)", () => {
            for (const cfg of [devConfig(), calicoVariantOfDev(devConfig()), ref4Config()]) {
                const p1 = planFabric(cfg);
                const p2 = planFabric(JSON.parse(JSON.stringify(cfg)));
                const p3 = JSON.parse(JSON.stringify(p1));
                const y = [p1, p2, p3].map((p) =>
                    renderKubernetesYaml(p, { nodeFrr: placeholderNodeFrr(p) }),
                );
                assert.deepStrictEqual(y[1], y[0]);
                assert.deepStrictEqual(y[2], y[0]);
            }
        });

        it("the YAML reads back as the same objects; frr.conf text survives exactly", () => {
            const text = toYaml(dev["router.yaml"]);
            assert.ok(!/[&*]a\d/.test(text), "no YAML anchors/aliases");
            const back = YAML.parseAllDocuments(text).map((d) => d.toJS());
            assert.deepStrictEqual(back, JSON.parse(JSON.stringify(dev["router.yaml"])));
        });

        it("imports no Pulumi and does no I/O", () => {
            const dir = path.join(REPO, "render", "kubernetes");
            for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".ts"))) {
                const src = fs.readFileSync(path.join(dir, f), "utf8");
                assert.doesNotMatch(src, /@pulumi\//, f);
                assert.doesNotMatch(src, /from "(fs|child_process|net|http|https)"/, f);
            }
        });
    });
});
