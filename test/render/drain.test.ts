// Maintenance / drain (render/drain.ts): the `maintenance` rows, what a
// drained spine, leaf or node renders, the Node label, and the drain wait
// (the body of the apply script's after_converge) run against FRR-shaped JSON.

import assert from "assert";
import { spawnSync } from "child_process";
import { kubeTypeToken } from "../../components/kube-object";
import { nodeRouterConfigs } from "../../components/cluster-networking";
import { FabricConfig, FabricConfigError, FabricPlan, planFabric } from "../../plan";
import { defaultOf } from "../../plan/settings-table";
import {
    DRAIN_PREPEND,
    EXCLUDE_LB_LABEL,
    drainWait,
    drainedNodeLabels,
    reachableAsns,
} from "../../render/drain";
import { renderDevice } from "../../render/device";
import { renderKubernetes } from "../../render/kubernetes";
import { Fabric } from "../../components";
import { devConfig, exampleConfig } from "../support/fixtures";
import { MockRecorder, settle } from "../support/pulumi-mocks";
import { dryRunFailure, frrDryRun, haveVtysh } from "../support/frr";

const lines = (text: string) => text.split("\n");
function drained(base: FabricConfig, list: "spines" | "leafs" | "nodes", i: number): FabricPlan {
    (base[list][i] as { maintenance?: boolean }).maintenance = true;
    return planFabric(base);
}
const frr = (plan: FabricPlan, name: string) => renderDevice(plan, name).frr!;
const routeMapBlock = (text: string, header: string) => {
    const l = lines(text);
    const i = l.indexOf(header);
    assert.ok(i >= 0, `no '${header}' in:\n${text}`);
    return l.slice(i, l.indexOf("exit", i) + 1);
};

describe("render: maintenance / drain", () => {
    it("maintenance is a boolean on spines, leafs and nodes, default false; the plan marks only drained devices", () => {
        for (const k of ["spines[].maintenance", "leafs[].maintenance", "nodes[].maintenance"])
            assert.strictEqual(defaultOf<boolean>(k), false, k);
        const plan = drained(devConfig(), "leafs", 0);
        assert.deepStrictEqual(
            plan.devices.filter((d) => d.maintenance).map((d) => d.name),
            ["leaf1"],
        );
        assert.ok(!("maintenance" in planFabric(devConfig()).devices[0]), "absent when in service");
        const bad = devConfig();
        (bad.leafs[1] as unknown as Record<string, unknown>).maintenance = "yes";
        (bad.externalRouters![0] as unknown as Record<string, unknown>).maintenance = true;
        assert.throws(
            () => planFabric(bad),
            (e: unknown) =>
                e instanceof FabricConfigError &&
                e.errors.some(
                    (x) =>
                        x.field === "fabric:leafs[1].maintenance" ||
                        x.field === "leafs[1].maintenance",
                ) &&
                e.errors.some((x) => /externalRouters\[0\]/.test(x.field)),
        );
    });

    it("a drained leaf runs bgp graceful-shutdown (after its router-id); no other device's config changes", () => {
        const base = planFabric(devConfig());
        const plan = drained(devConfig(), "leafs", 0);
        const text = frr(plan, "leaf1");
        const l = lines(text);
        assert.strictEqual(
            l[l.indexOf(" bgp router-id 172.16.255.101") + 1],
            " bgp graceful-shutdown",
        );
        assert.ok(!lines(frr(base, "leaf1")).includes(" bgp graceful-shutdown"));
        // Router-on-host: every peer of the leaf is our FRR, which honours GSHUT: no prepending.
        assert.ok(!/as-path prepend/.test(text), "no prepend towards honouring peers");
        for (const d of plan.devices.filter((x) => x.role !== "external" && x.name !== "leaf1"))
            assert.strictEqual(
                renderDevice(plan, d.name).frr,
                renderDevice(base, d.name).frr,
                d.name,
            );
    });

    it(`a drained spine prepends its ASN ${DRAIN_PREPEND}x towards the external router only`, () => {
        const plan = drained(devConfig(), "spines", 0);
        const text = frr(plan, "spine1");
        assert.deepStrictEqual(routeMapBlock(text, "route-map EXTERNAL-OUT permit 10"), [
            "route-map EXTERNAL-OUT permit 10",
            " match ip address prefix-list FABRIC",
            " set as-path prepend 65000 65000 65000",
            "exit",
        ]);
        assert.ok(!routeMapBlock(text, "route-map FABRIC permit 10").some((x) => /set/.test(x)));
        assert.ok(lines(text).includes(" bgp graceful-shutdown"));
    });

    it("a drained calico-bgp leaf sends its servers (Calico's BIRD) SERVERS-OUT with the prepend; its fabric keeps FABRIC", () => {
        const base = exampleConfig("ref3-two-tier-calico");
        const leaf = base.leafs[0];
        const plan = drained(base, "leafs", 0);
        const d = plan.devices.find((x) => x.name === leaf.name)!;
        const text = frr(plan, leaf.name);
        const l = lines(text);
        assert.ok(l.includes("  neighbor servers route-map SERVERS-OUT out"), text);
        if (d.neighbors.some((n) => n.kind === "fabric"))
            assert.ok(l.includes("  neighbor fabric route-map FABRIC out"));
        const prepend = ` set as-path prepend ${Array(DRAIN_PREPEND).fill(d.asn).join(" ")}`;
        const sets = l.filter(
            (x, i) => x === prepend && /^route-map SERVERS-OUT permit/.test(l[i - 2]),
        );
        assert.ok(sets.length >= 1, `no prepend in SERVERS-OUT:\n${text}`);
        assert.ok(
            !lines(frr(planFabric(exampleConfig("ref3-two-tier-calico")), leaf.name)).includes(
                "  neighbor servers route-map SERVERS-OUT out",
            ),
        );
    });

    it("a drained node's router runs bgp graceful-shutdown and the Node gets the exclude label (a patch, never a Node of ours)", () => {
        const plan = drained(devConfig(), "nodes", 2);
        const node = plan.devices.find((d) => d.maintenance)!;
        assert.strictEqual(node.name, "k8s3");
        assert.ok(lines(frr(plan, "k8s3")).includes(" bgp graceful-shutdown"));
        const metallb = renderKubernetes(plan, { nodeFrr: nodeRouterConfigs(plan) })[
            "metallb.yaml"
        ];
        const nodes = metallb.filter((o) => o.kind === "Node");
        assert.deepStrictEqual(nodes, [
            {
                apiVersion: "v1",
                kind: "Node",
                metadata: { name: "k8s3", labels: { [EXCLUDE_LB_LABEL]: "true" } },
            },
        ]);
        assert.strictEqual(kubeTypeToken(nodes[0]), "kubernetes:core/v1:NodePatch");
        // Undrained: no patch at all, so `pulumi up` deletes the patch and with it the label.
        const base = planFabric(devConfig());
        assert.deepStrictEqual(drainedNodeLabels(base), []);
        // calico-bgp: MetalLB does not speak BGP, nothing to label.
        const calico = exampleConfig("ref3-two-tier-calico");
        calico.nodes[0].maintenance = true;
        assert.deepStrictEqual(drainedNodeLabels(planFabric(calico)), []);
    });

    it("under Pulumi mocks: a drained node is one NodePatch (labels only), never a Node; undrained, none", async function () {
        this.timeout(60_000);
        const mocks = new MockRecorder();
        const build = async (plan: FabricPlan) => {
            mocks.install();
            const fabric = new Fabric(plan.name, { plan, ssh: {}, kubernetes: {} });
            await settle([
                fabric,
                fabric.networking,
                ...Object.values(fabric.networking.files).flat(),
            ]);
        };
        await build(drained(devConfig(), "nodes", 2));
        const patches = mocks.ofType("kubernetes:core/v1:NodePatch");
        assert.deepStrictEqual(
            patches.map((p) => [p.inputs.metadata.name, p.inputs.metadata.labels]),
            [["k8s3", { [EXCLUDE_LB_LABEL]: "true" }]],
        );
        assert.strictEqual(mocks.ofType("kubernetes:core/v1:Node").length, 0);
        await build(planFabric(devConfig()));
        assert.strictEqual(mocks.ofType("kubernetes:core/v1:NodePatch").length, 0);
    });

    it("drained configs pass FRR's own parser (vtysh --dryrun)", function () {
        if (!haveVtysh()) {
            console.log("      skipped: no vtysh (FRR 8.4) on this machine");
            return this.skip();
        }
        const cases: [FabricPlan, string][] = [
            [drained(devConfig(), "spines", 0), "spine1"],
            [drained(devConfig(), "leafs", 0), "leaf1"],
            [drained(devConfig(), "nodes", 0), "k8s1"],
        ];
        const calico = exampleConfig("ref3-two-tier-calico");
        cases.push([drained(calico, "leafs", 0), calico.leafs[0].name]);
        for (const [plan, name] of cases) {
            const text = frr(plan, name);
            const r = frrDryRun(text);
            assert.ok(r.ok, dryRunFailure(name, text, r));
        }
    });

    it("reachableAsns: what a neighbour reaches without the drained device", () => {
        const plan = drained(devConfig(), "leafs", 0);
        const asn = (n: string) => plan.devices.find((d) => d.name === n)!.asn;
        const spine1 = reachableAsns(plan, "spine1", "leaf1");
        // k8s1 is dual-attached (leaf2 too); k8s3 hangs off leaf1 alone.
        assert.ok(spine1.includes(asn("k8s1")) && spine1.includes(asn("leaf2")));
        assert.ok(!spine1.includes(asn("k8s3")) && !spine1.includes(asn("leaf1")));
        // spine1 shares AS 65000 with spine2: neither's own routes are told apart, none checked.
        assert.ok(!spine1.includes(65000));
        // A node re-advertises only its own routes.
        assert.deepStrictEqual(reachableAsns(plan, "k8s1", "leaf1"), [asn("k8s1")]);
        assert.strictEqual(drainWait(planFabric(devConfig()), "leaf1"), undefined);
    });

    describe("the drain wait (after_converge body) against FRR-shaped JSON", () => {
        const plan = drained(devConfig(), "leafs", 0);
        const body = drainWait(plan, "leaf1")!;
        const neighbors = {
            swp51: {
                bgpNeighborAddr: "fe80::51",
                bgpState: "Established",
                messageStats: { depthOutq: 0 },
            },
            swp52: {
                bgpNeighborAddr: "fe80::52",
                bgpState: "Established",
                messageStats: { depthOutq: 0 },
            },
            swp1: {
                bgpNeighborAddr: "fe80::1",
                bgpState: "Established",
                messageStats: { depthOutq: 0 },
            },
        };
        // k8s1's loopback (dual-attached): from k8s1 itself; a path from a spine only once the spine prefers leaf2.
        const k8s1 = { peerId: "fe80::1", path: "4200000000", bestpath: true };
        const viaSpine = (peer: string) => ({ peerId: peer, path: "65000 65102 4200000000" });
        // k8s3 (leaf1 alone): no spine has another path; never waited for.
        const k8s3 = { peerId: "fe80::3", path: "4200000002", bestpath: true };
        const run = (routes: Record<string, unknown[]>, outq = 0) => {
            const n = JSON.parse(JSON.stringify(neighbors));
            n.swp51.messageStats.depthOutq = outq;
            const script = [
                "DEVICE=leaf1; PYTHON=python3; TIMEOUT=3; POLL_INTERVAL=0.2",
                'say() { printf \'%s: %s\\n\' "$DEVICE" "$*"; }',
                "ss() { :; }",
                `run_vtysh() { case "$*" in *neighbors*) printf '%s' '${JSON.stringify(n)}';; *) printf '%s' '${JSON.stringify({ routes })}';; esac; }`,
                `after_converge() {\n${body}\n}`,
                "after_converge",
            ].join("\n");
            const r = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 30_000 });
            return { code: r.status, out: (r.stdout + r.stderr).trim() };
        };

        it("fails after TIMEOUT, naming the prefixes, while a spine still routes k8s1 through the leaf", () => {
            const r = run({ "10.1.3.1/32": [k8s1, viaSpine("fe80::52")], "10.1.3.3/32": [k8s3] });
            console.log(`      ${r.out.replace(/\n/g, "\n      ")}`);
            assert.strictEqual(r.code, 1);
            assert.match(
                r.out,
                /still route through it after 3s: still through this device: 10\.1\.3\.1\/32 \(spine1\)$/m,
            );
        });

        it("succeeds once every spine re-advertises its own path around the leaf (k8s3 is not waited for)", () => {
            const r = run({
                "10.1.3.1/32": [k8s1, viaSpine("fe80::51"), viaSpine("fe80::52")],
                "10.1.3.3/32": [k8s3],
            });
            console.log(`      ${r.out.replace(/\n/g, "\n      ")}`);
            assert.strictEqual(r.code, 0, r.out);
            assert.match(
                r.out,
                /its neighbours route around it after \d+s \(prefixes checked per neighbour: k8s1 1, spine1 1, spine2 1\)/,
            );
        });

        it("waits while updates are still queued to a neighbour", () => {
            const r = run({ "10.1.3.1/32": [k8s1, viaSpine("fe80::51"), viaSpine("fe80::52")] }, 3);
            assert.strictEqual(r.code, 1);
            assert.match(r.out, /updates still queued to spine1/);
        });

        it("passes shellcheck", function () {
            if (spawnSync("shellcheck", ["--version"]).status !== 0) return this.skip();
            const r = spawnSync("shellcheck", ["-s", "bash", "-"], {
                input: `#!/bin/bash\nafter_converge() {\n${body}\n}\n`,
                encoding: "utf8",
            });
            assert.strictEqual(r.status, 0, r.stdout);
        });
    });
});
