import assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import { kubeTypeToken } from "../../components/kube-object";
import { placeholderNodeFrr, renderKubernetes } from "../../render/kubernetes";
import { Fabric } from "../../components";
import { FabricConfig, planFabric } from "../../plan";
import { renderNodeFrr } from "../../render/frr-node";
import { ROOT, devConfig, exampleConfig } from "../support/fixtures";
import { MockRecorder, runDevStackProgram, settle, valueOf } from "../support/pulumi-mocks";

const mocks = new MockRecorder();

async function build(config: FabricConfig, kubernetes: { kubeconfig?: string } = {}) {
    mocks.install();
    const plan = planFabric(config);
    const fabric = new Fabric(plan.name, { plan, ssh: {}, kubernetes });
    await settle([fabric, fabric.networking, ...Object.values(fabric.networking.files).flat()]);
    return { plan, fabric };
}

/** The operators are installed already (the reference designs default to installing them). */
function installed(c: FabricConfig): FabricConfig {
    return { ...c, kubernetes: { ...c.kubernetes, installUpstream: false } };
}

describe("components under mocks: cluster networking and the stack program", function () {
    this.timeout(30000);

    it("renders the router DaemonSet with every node's own frr.conf, through a render-to-directory provider", async () => {
        const { plan } = await build(devConfig());
        const providers = mocks.ofType("pulumi:providers:kubernetes");
        assert.deepStrictEqual(
            providers.map((p) => p.inputs.renderYamlToDirectory),
            ["out/dev/kubernetes"],
        );
        const [configMap] = mocks.ofType("kubernetes:core/v1:ConfigMap");
        assert.strictEqual(
            configMap.name,
            "dev-networking-router-configmap-bgp-fabric-router-bgp-fabric-router",
        );
        for (const node of plan.devices.filter((d) => d.role === "node")) {
            assert.strictEqual(
                Object.values(configMap.inputs.data).filter(
                    (v) => v === renderNodeFrr(plan, node.name),
                ).length,
                1,
                node.name,
            );
        }
        assert.strictEqual(mocks.ofType("kubernetes:apps/v1:DaemonSet").length, 1);
    });

    it("registers one resource per rendered object, of the object's own type, named by kind, namespace and name", async () => {
        const { plan } = await build(devConfig());
        const rendered = Object.values(
            renderKubernetes(plan, { nodeFrr: placeholderNodeFrr(plan) }),
        ).flat();
        const registered = mocks.resources.filter(
            (r) => r.type.startsWith("kubernetes:") && !r.readId,
        );
        // (Registration order follows dependsOn, not the render order.)
        assert.deepStrictEqual(
            registered
                .map(
                    (r) =>
                        `${r.type} ${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}`,
                )
                .sort(),
            rendered
                .map((o) => `${kubeTypeToken(o)} ${o.metadata.namespace ?? ""}/${o.metadata.name}`)
                .sort(),
        );
        assert.ok(
            registered.some(
                (r) =>
                    r.type === "kubernetes:metallb.io/v1beta2:BGPPeer" &&
                    r.name === "dev-networking-metallb-bgppeer-metallb-system-host-router-k8s3",
            ),
        );
        // Rendering needs no cluster: nothing is read from one.
        assert.ok(!mocks.resources.some((r) => r.readId));
    });

    it("gives a managed: false node its router config too: the DaemonSet runs there, only SSH does not", async () => {
        const c = devConfig();
        c.nodes[7] = { name: "k8s8", managed: false, uplinks: ["leaf4:swp3"] };
        const { plan, fabric } = await build(c);
        assert.strictEqual(fabric.nodes.k8s8, undefined);
        assert.ok(!mocks.ofType("command:remote:Command").some((r) => r.name.startsWith("k8s8")));
        const [configMap] = mocks.ofType("kubernetes:core/v1:ConfigMap");
        assert.ok(Object.values(configMap.inputs.data).includes(renderNodeFrr(plan, "k8s8")!));
    });

    it("apply.devices false: no device command at all, the cluster networking and outputs unchanged", async () => {
        mocks.install();
        const plan = planFabric(devConfig());
        const fabric = new Fabric(plan.name, { plan, ssh: {}, devices: false });
        await settle([fabric, ...Object.values(fabric.networking.files).flat()]);
        assert.strictEqual(mocks.ofType("command:remote:Command").length, 0);
        assert.deepStrictEqual(
            Object.keys(fabric.spines).length +
                Object.keys(fabric.leafs).length +
                Object.keys(fabric.nodes).length,
            0,
        );
        assert.strictEqual(mocks.ofType("kubernetes:apps/v1:DaemonSet").length, 1);
        assert.deepStrictEqual(
            await valueOf(fabric.asns),
            Object.fromEntries(plan.devices.map((d) => [d.name, d.asn])),
        );
    });

    it("installUpstream: the pinned installs from local files, before our objects", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgpf-upstream-"));
        const calico = path.join(dir, "tigera-operator.yaml");
        const metallb = path.join(dir, "metallb-native.yaml");
        for (const f of [calico, metallb]) fs.writeFileSync(f, "");
        const c = devConfig();
        c.kubernetes = {
            ...c.kubernetes,
            installUpstream: true,
            calicoManifest: calico,
            metallbManifest: metallb,
        };
        await build(c);
        assert.deepStrictEqual(
            mocks.ofType("kubernetes:yaml/v2:ConfigFile").map((r) => r.inputs.file),
            [calico, metallb],
        );
        fs.rmSync(dir, { recursive: true });
    });

    it("installUpstream: refuses a URL and a pinned release missing from the cache, naming the fields, before any resource", () => {
        mocks.install();
        const c = devConfig();
        c.kubernetes = {
            ...c.kubernetes,
            installUpstream: true,
            metallbManifest: "https://example.invalid/metallb-native.yaml",
        };
        const env = process.env.BGP_FABRIC_CACHE;
        process.env.BGP_FABRIC_CACHE = path.join(os.tmpdir(), "bgpf-no-such-cache");
        try {
            const plan = planFabric(c);
            assert.throws(
                () => new Fabric(plan.name, { plan, ssh: {} }),
                (e: Error) =>
                    /2 problem\(s\)/.test(e.message) &&
                    /fabric:kubernetes\.calicoManifest: the pinned tigera-operator v3\.32\.0 install is not in .*bgpf-no-such-cache/.test(
                        e.message,
                    ) &&
                    /fabric:kubernetes\.metallbManifest: https:\/\/example\.invalid\/metallb-native\.yaml is a URL; bgp-fabric fetches nothing at run time/.test(
                        e.message,
                    ),
            );
        } finally {
            if (env === undefined) delete process.env.BGP_FABRIC_CACHE;
            else process.env.BGP_FABRIC_CACHE = env;
        }
        assert.ok(
            !mocks.resources.some(
                (r) => r.type.startsWith("kubernetes:") || r.type.startsWith("command:"),
            ),
        );
    });

    it("cluster mode: the kubeconfig is a secret; BGPConfiguration goes through a client-side-apply provider, everything else server-side", async () => {
        await build(installed(exampleConfig("ref4")), {
            kubeconfig: "apiVersion: v1\nkind: Config\n",
        });
        const providers = mocks.ofType("pulumi:providers:kubernetes");
        assert.deepStrictEqual(
            providers.map((p) => [
                p.name,
                p.secretInputs.includes("kubeconfig"),
                p.inputs.enableServerSideApply,
                p.inputs.renderYamlToDirectory,
            ]),
            [
                ["ref4-kubernetes", true, undefined, undefined],
                ["ref4-kubernetes-client-side-apply", true, "false", undefined], // provider inputs travel as strings
            ],
        );
        // The router's ConfigMap is updated in place (its routers reload their key), never replaced.
        assert.deepStrictEqual(
            providers.map((p) => p.inputs.enableConfigMapMutable),
            ["true", "true"],
        );
        const ref = (name: string) => (r: { provider?: string }) =>
            (r.provider ?? "").includes(`pulumi:providers:kubernetes::${name}::`);
        const objects = mocks.resources.filter(
            (r) => r.type.startsWith("kubernetes:") && !r.readId,
        );
        assert.deepStrictEqual(
            objects.filter(ref("ref4-kubernetes-client-side-apply")).map((r) => r.type),
            ["kubernetes:projectcalico.org/v3:BGPConfiguration"],
        );
        assert.ok(
            objects
                .filter((r) => r.type !== "kubernetes:projectcalico.org/v3:BGPConfiguration")
                .every(ref("ref4-kubernetes")),
        );
    });

    it("cluster mode, installUpstream false: reads what it does not own (MetalLB's namespace, every CRD it uses) before applying", async () => {
        await build(devConfig(), { kubeconfig: "apiVersion: v1\nkind: Config\n" });
        const reads = mocks.resources.filter((r) => r.readId).map((r) => `${r.type} ${r.readId}`);
        assert.deepStrictEqual(reads, [
            "kubernetes:core/v1:Namespace metallb-system",
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition installations.operator.tigera.io",
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition bgpconfigurations.projectcalico.org",
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition ipaddresspools.metallb.io",
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition bgppeers.metallb.io",
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition bgpadvertisements.metallb.io",
        ]);
        // Our own namespace is created, never read.
        assert.ok(
            mocks
                .ofType("kubernetes:core/v1:Namespace")
                .some((r) => !r.readId && r.inputs.metadata.name === "bgp-fabric-router"),
        );
    });

    it("calico-bgp: patches each Node with its ASN and creates no node router", async () => {
        await build(installed(exampleConfig("ref4")));
        const patches = mocks.ofType("kubernetes:core/v1:NodePatch");
        assert.deepStrictEqual(
            patches.map((p) => [
                p.inputs.metadata.name,
                p.inputs.metadata.annotations["projectcalico.org/ASNumber"],
            ]),
            [
                ["k8s1", "63551"],
                ["k8s2", "63552"],
                ["k8s3", "63553"],
            ],
        );
        assert.strictEqual(mocks.ofType("kubernetes:apps/v1:DaemonSet").length, 0);
        assert.strictEqual(mocks.ofType("kubernetes:core/v1:ConfigMap").length, 0);
    });

    it("the stack program turns Pulumi.dev.yaml into the Fabric and its outputs", async () => {
        mocks.install();
        const outputs = await runDevStackProgram();
        const plan = planFabric(devConfig());
        assert.deepStrictEqual(
            await valueOf(outputs.asns),
            Object.fromEntries(plan.devices.map((d) => [d.name, d.asn])),
        );
        assert.deepStrictEqual(await valueOf(outputs.bgpSessions), plan.sessions);
        assert.strictEqual(mocks.ofType("bgp-fabric:index:Fabric").length, 1);
    });

    it("the stack program stops on a bad config, listing every problem, before registering anything", async () => {
        mocks.install();
        pulumi.runtime.setAllConfig({
            "fabric:spines": JSON.stringify([{ name: "spine1", mgmt: { host: "10.0.0.1" } }]),
            "fabric:leafs": JSON.stringify([{ name: "leaf1", asn: 0, mgmt: { host: "10.0.0.2" } }]),
            "fabric:nodes": JSON.stringify([
                { name: "k8s1", uplinks: [], mgmt: { host: "10.0.0.3" } },
            ]),
        });
        const program = path.join(ROOT, "stacks/index.ts");
        delete require.cache[require.resolve(program)];
        assert.throws(
            () => require(program),
            /2 problem\(s\):\n {2}fabric:leafs\[0\]\.asn: ASN 0 is reserved.*\n {2}fabric:nodes\[0\]\.uplinks: node 'k8s1' needs at least one uplink/s,
        );
        assert.strictEqual(mocks.resources.length, 0);
    });
});
