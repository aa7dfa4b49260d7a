import assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import * as fs from "fs";
import { Fabric } from "../../components";
import { FabricConfig, planFabric } from "../../plan";
import { renderNodeFrr } from "../../render/frr-node";
import { ROOT, devConfig, exampleConfig } from "../support/fixtures";
import { MockRecorder, settle, valueOf } from "../support/pulumi-mocks";

const mocks = new MockRecorder();

async function build(config: FabricConfig, kubernetes: { kubeconfig?: string } = {}) {
    mocks.install();
    const plan = planFabric(config);
    const fabric = new Fabric(plan.name, { plan, ssh: {}, kubernetes });
    await settle([fabric, fabric.networking, ...Object.values(fabric.networking.groups)]);
    return { plan, fabric };
}

describe("components under mocks: cluster networking and the stack program", function () {
    this.timeout(30000);

    it("renders the router DaemonSet with every node's own frr.conf, through a render-to-directory provider", async () => {
        const { plan } = await build(devConfig());
        const provider = mocks.ofType("pulumi:providers:kubernetes")[0];
        assert.strictEqual(provider.inputs.renderYamlToDirectory, "out/dev/kubernetes");
        const router = mocks.ofType("kubernetes:yaml/v2:ConfigGroup").find((r) => r.name === "dev-networking-router")!;
        const configMap = router.inputs.objs.find((o: any) => o.kind === "ConfigMap");
        for (const node of plan.devices.filter((d) => d.role === "node")) {
            assert.strictEqual(Object.values(configMap.data).filter((v) => v === renderNodeFrr(plan, node.name)).length, 1, node.name);
        }
        assert.ok(router.inputs.objs.some((o: any) => o.kind === "DaemonSet"));
    });

    it("gives a managed: false node its router config too: the DaemonSet runs there, only SSH does not", async () => {
        const c = devConfig();
        c.nodes[7] = { name: "k8s8", managed: false, uplinks: ["leaf4:swp3"] };
        const { plan, fabric } = await build(c);
        assert.strictEqual(fabric.nodes.k8s8, undefined);
        assert.ok(!mocks.ofType("command:remote:Command").some((r) => r.name.startsWith("k8s8")));
        const router = mocks.ofType("kubernetes:yaml/v2:ConfigGroup").find((r) => r.name === "dev-networking-router")!;
        const configMap = router.inputs.objs.find((o: any) => o.kind === "ConfigMap");
        assert.ok(Object.values(configMap.data).includes(renderNodeFrr(plan, "k8s8")!));
    });

    it("installs the pinned upstream operators first and makes our objects wait for them", async () => {
        const c = devConfig();
        c.kubernetes = { ...c.kubernetes, installUpstream: true };
        await build(c);
        const files = mocks.ofType("kubernetes:yaml/v2:ConfigFile").map((r) => r.inputs.file);
        assert.deepStrictEqual(files, [
            "https://raw.githubusercontent.com/projectcalico/calico/v3.32.0/manifests/tigera-operator.yaml",
            "https://raw.githubusercontent.com/metallb/metallb/v0.16.2/config/manifests/metallb-native.yaml",
        ]);
    });

    it("uses a kubeconfig as a secret when one is given", async () => {
        await build(devConfig(), { kubeconfig: "apiVersion: v1\nkind: Config\n" });
        const provider = mocks.ofType("pulumi:providers:kubernetes")[0];
        assert.ok(provider.secretInputs.includes("kubeconfig"));
        assert.strictEqual(provider.inputs.renderYamlToDirectory, undefined);
    });

    it("calico-bgp: patches each Node with its ASN and creates no node router", async () => {
        const { fabric } = await build(exampleConfig("ref4"));
        const patches = mocks.ofType("kubernetes:core/v1:NodePatch");
        assert.deepStrictEqual(
            patches.map((p) => [p.inputs.metadata.name, p.inputs.metadata.annotations["projectcalico.org/ASNumber"]]),
            [["k8s1", "63551"], ["k8s2", "63552"], ["k8s3", "63553"]],
        );
        assert.strictEqual(fabric.networking.groups["router.yaml"], undefined);
        assert.ok(!mocks.ofType("kubernetes:yaml/v2:ConfigGroup").some((r) => r.inputs.objs.some((o: any) => o.kind === "DaemonSet")));
    });

    it("the stack program turns Pulumi.dev.yaml into the Fabric and its outputs", async () => {
        mocks.install();
        const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).config as Record<string, unknown>;
        pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
        const program = path.join(ROOT, "stacks/index.ts");
        delete require.cache[require.resolve(program)];
        const outputs = require(program);
        await settle();
        const plan = planFabric(devConfig());
        assert.deepStrictEqual(await valueOf(outputs.asns), Object.fromEntries(plan.devices.map((d) => [d.name, d.asn])));
        assert.deepStrictEqual(await valueOf(outputs.bgpSessions), plan.sessions);
        assert.strictEqual(mocks.ofType("bgp-fabric:index:Fabric").length, 1);
    });

    it("the stack program stops on a bad config, listing every problem, before registering anything", async () => {
        mocks.install();
        pulumi.runtime.setAllConfig({
            "fabric:spines": JSON.stringify([{ name: "spine1", mgmt: { host: "10.0.0.1" } }]),
            "fabric:leafs": JSON.stringify([{ name: "leaf1", asn: 0, mgmt: { host: "10.0.0.2" } }]),
            "fabric:nodes": JSON.stringify([{ name: "k8s1", uplinks: [], mgmt: { host: "10.0.0.3" } }]),
        });
        const program = path.join(ROOT, "stacks/index.ts");
        delete require.cache[require.resolve(program)];
        assert.throws(() => require(program), /2 problem\(s\):\n  fabric:leafs\[0\]\.asn: ASN 0 is reserved.*\n  fabric:nodes\[0\]\.uplinks: node 'k8s1' needs at least one uplink/s);
        assert.strictEqual(mocks.resources.length, 0);
    });
});
