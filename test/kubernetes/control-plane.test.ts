// The Kubernetes control-plane harness (test/support/kube-control-plane.ts):
// etcd, kube-apiserver and kube-controller-manager built by
// scripts/install-kube.sh, in a namespace of their own, with the harness's
// kubelet/scheduler stand-in. Needs root (network namespaces) and the binaries.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { run } from "../../lab/exec";
import { procStart } from "../../lab/state";
import {
    KubeControlPlane,
    kubeBinaries,
    startKubeControlPlane,
    waitFor,
} from "../support/kube-control-plane";
import { fetchSchemas } from "../support/schemas";
import { isRoot, requireCapability } from "../support/skip";

const PREFIX = "kcp-kt";
const NODES = [
    { name: "kt-node-a", internalIP: "192.0.2.11", labels: { "bgp-fabric.io/rack": "r1" } },
    { name: "kt-node-b", internalIP: "192.0.2.12" },
    { name: "kt-cp-1", internalIP: "192.0.2.10", controlPlane: true },
];
const CRD_SETS = ["calico", "operator", "metallb"];

/** Names of the CRDs in the upstream files, read independently of the harness. */
function crdNames(dir: string): string[] {
    const names: string[] = [];
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".yaml"))) {
        for (const d of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), "utf8"))) {
            const o = d.toJS();
            if (o?.kind === "CustomResourceDefinition") names.push(o.metadata.name);
        }
    }
    return names;
}

describe("kubernetes control plane (real API server, no kubelets)", function () {
    this.timeout(240_000);
    let cp: KubeControlPlane | undefined;
    let schemaDir = "";
    const api = () => {
        if (!cp) throw new Error("the control plane did not start");
        return cp;
    };

    before(async function () {
        const bins = kubeBinaries();
        const missing = [
            isRoot ? "" : "needs root (network namespaces)",
            bins.ok ? "" : bins.missing,
        ]
            .filter(Boolean)
            .join("; ");
        requireCapability(this, !missing, missing);
        schemaDir = fetchSchemas();
        cp = await startKubeControlPlane({
            prefix: PREFIX,
            nodes: NODES,
            crdDirs: CRD_SETS.map((s) => path.join(schemaDir, s)),
        });
    });

    after(async () => {
        await cp?.stop();
    });

    it("serves /readyz = ok, as Kubernetes v1.36.3, only inside its own namespace", async () => {
        const r = await api().request("GET", "/readyz");
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(String(r.body).trim(), "ok");
        const v = await api().get("/version");
        assert.equal(v.gitVersion, "v1.36.3");
        // From inside the namespace with the kubeconfig's token; nothing listens on the root namespace's loopback.
        const inside = await api().exec("curl", [
            "-s",
            "--cacert",
            path.join(api().dir, "ca.crt"),
            "-H",
            `Authorization: Bearer ${api().token}`,
            `${api().server}/readyz`,
        ]);
        assert.equal(inside.stdout.trim(), "ok");
        const outside = await run("curl", ["-sk", "--max-time", "2", `${api().server}/readyz`], {
            check: false,
        });
        assert.notEqual(
            outside.code,
            0,
            "the API server must not be reachable from the root namespace",
        );
        assert.match(api().kubeconfig, /server: https:\/\/127\.0\.0\.1:6443/);
        assert.equal(fs.readFileSync(api().kubeconfigPath, "utf8"), api().kubeconfig);
    });

    it("has the Calico, tigera-operator and MetalLB CRDs Established", async () => {
        const wanted = CRD_SETS.flatMap((s) => crdNames(path.join(schemaDir, s)));
        for (const n of [
            "installations.operator.tigera.io",
            "ipaddresspools.metallb.io",
            "bgppeers.metallb.io",
        ])
            assert.ok(wanted.includes(n), `${n} not in the fetched CRDs`);
        assert.ok(
            wanted.some((n) => n.startsWith("bgppeers.") && !n.endsWith("metallb.io")),
            "no Calico BGPPeer CRD in the fetched files",
        );
        for (const name of wanted) {
            const crd = await api().get(
                `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
            );
            const est = (crd.status?.conditions ?? []).find(
                (c: { type: string }) => c.type === "Established",
            );
            assert.equal(
                est?.status,
                "True",
                `${name} is not Established: ${JSON.stringify(crd.status?.conditions)}`,
            );
        }
        // A custom resource is served and validated by its schema.
        const pool = {
            apiVersion: "metallb.io/v1beta1",
            kind: "IPAddressPool",
            metadata: { name: "kt-pool", namespace: "default" },
            spec: { addresses: ["198.51.100.0/28"] },
        };
        await api().post("/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools", pool);
        const got = await api().get(
            "/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools/kt-pool",
        );
        assert.deepEqual(got.spec.addresses, ["198.51.100.0/28"]);
        const bad = await api().request(
            "POST",
            "/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools",
            { ...pool, metadata: { name: "kt-bad" }, spec: { addresses: 5 } },
        );
        assert.equal(
            bad.status,
            422,
            `a schema violation must be refused: ${JSON.stringify(bad.body).slice(0, 300)}`,
        );
    });

    it("registers the nodes as a kubelet would (labels, Ready, InternalIP, no not-ready taint)", async () => {
        const list = await api().get("/api/v1/nodes");
        assert.deepEqual(
            list.items.map((n: { metadata: { name: string } }) => n.metadata.name).sort(),
            NODES.map((n) => n.name).sort(),
        );
        for (const want of NODES) {
            const n = await api().get(`/api/v1/nodes/${want.name}`);
            assert.equal(n.metadata.labels["kubernetes.io/hostname"], want.name);
            assert.equal(n.metadata.labels["kubernetes.io/os"], "linux");
            assert.equal(n.metadata.labels["kubernetes.io/arch"], "amd64");
            assert.equal(
                "node-role.kubernetes.io/control-plane" in n.metadata.labels,
                !!want.controlPlane,
                `${want.name}: control-plane label`,
            );
            for (const [k, v] of Object.entries(want.labels ?? {}))
                assert.equal(n.metadata.labels[k], v);
            const ready = n.status.conditions.find((c: { type: string }) => c.type === "Ready");
            assert.equal(ready?.status, "True", `${want.name} not Ready`);
            assert.deepEqual(
                n.status.addresses.find((a: { type: string }) => a.type === "InternalIP"),
                { type: "InternalIP", address: want.internalIP },
            );
            assert.deepEqual(n.spec.taints ?? [], [], `${want.name} taints`);
        }
    });

    it("rolls a DaemonSet out to every node within 30 s", async () => {
        await api().post("/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "kt-ds" },
        });
        await api().post("/apis/apps/v1/namespaces/kt-ds/daemonsets", {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: "probe" },
            spec: {
                selector: { matchLabels: { app: "probe" } },
                template: {
                    metadata: { labels: { app: "probe" } },
                    spec: {
                        nodeSelector: { "kubernetes.io/os": "linux" },
                        hostNetwork: true,
                        containers: [
                            {
                                name: "probe",
                                image: "registry.invalid/probe:1",
                                securityContext: { privileged: true },
                            },
                        ],
                    },
                },
            },
        });
        const status = await waitFor(
            "DaemonSet kt-ds/probe ready on every node",
            async () => {
                const ds = await api().get("/apis/apps/v1/namespaces/kt-ds/daemonsets/probe");
                const s = ds.status ?? {};
                return s.desiredNumberScheduled === NODES.length &&
                    s.numberReady === NODES.length &&
                    s.observedGeneration === ds.metadata.generation
                    ? s
                    : undefined;
            },
            30_000,
        ).catch((e) => {
            throw new Error(
                `${e.message}\nstand-in errors: ${api().loopErrors().slice(-5).join("\n")}`,
            );
        });
        assert.equal(status.numberReady, status.desiredNumberScheduled);
        const pods = (await api().get("/api/v1/namespaces/kt-ds/pods")).items;
        assert.deepEqual(
            pods.map((p: { spec: { nodeName: string } }) => p.spec.nodeName).sort(),
            NODES.map((n) => n.name).sort(),
        );
        for (const p of pods) {
            assert.equal(p.status.phase, "Running");
            assert.equal(
                p.status.hostIP,
                NODES.find((n) => n.name === p.spec.nodeName)!.internalIP,
                "a host-network pod has its node's address",
            );
        }
    });

    it("finalizes the deletion of a Namespace that holds the DaemonSet within 60 s", async () => {
        await api().delete("/api/v1/namespaces/kt-ds");
        await waitFor(
            "namespace kt-ds gone",
            async () => (await api().tryGet("/api/v1/namespaces/kt-ds")) === undefined,
            60_000,
            500,
        ).catch(async (e) => {
            const ns = await api().tryGet("/api/v1/namespaces/kt-ds");
            throw new Error(
                `${e.message}\nnamespace status: ${JSON.stringify(ns?.status)}\n${api().logTail("kube-controller-manager", 10)}`,
            );
        });
        assert.deepEqual(
            (await api().get("/api/v1/pods")).items.filter(
                (p: { metadata: { namespace: string } }) => p.metadata.namespace === "kt-ds",
            ),
            [],
        );
    });

    it("stop() ends every process it started and removes its namespace and directory", async () => {
        const c = api();
        const pids = c.pids();
        assert.ok(
            pids.length >= 4,
            `expected etcd, kube-apiserver, kube-controller-manager and the forwarder, got ${pids.length} pids`,
        );
        assert.ok(
            pids.every((p) => procStart(p) !== undefined),
            "every process is running before stop()",
        );
        await c.stop();
        await c.stop(); // twice is fine
        assert.deepEqual(
            pids.filter((p) => procStart(p) !== undefined),
            [],
            "processes still alive after stop()",
        );
        const list = await run("ip", ["netns", "list"]);
        assert.ok(
            !list.stdout.split("\n").some((l) => l.split(/\s+/)[0] === c.netns),
            `${c.netns} still listed:\n${list.stdout}`,
        );
        assert.equal(fs.existsSync(c.dir), false, `${c.dir} still exists`);
    });
});
