// Rung 5 of the verification ladder: the Kubernetes half of every stack
// applied by the real Pulumi engine (CLI v3.248.0, the kubernetes 4.25.0
// provider) to a real kube-apiserver v1.36.3 with the upstream Calico,
// tigera-operator and MetalLB CRDs installed, no mocks anywhere. The engine
// runs inside the control plane's own network namespace (test/support/engine.ts).
// Devices are left out (`fabric:apply.devices: false`, or every device
// unmanaged): the command provider is not served by the registries here.

import assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { nodeRouterConfigs } from "../../components/cluster-networking";
import { kubeTypeToken } from "../../components/kube-object";
import { RunReport } from "../../engine/run";
import { setPath } from "../../engine/stack";
import { FabricPlan, loadStackConfig, planFabric } from "../../plan";
import {
    CALICO_ASN_ANNOTATION,
    KubeObject,
    ROUTER_NAMESPACE,
    renderKubernetes,
} from "../../render/kubernetes";
import { KUBERNETES_ONLY, engineMissing, notIn, objectPath, runEngine } from "../support/engine";
import { ROOT, exampleFiles } from "../support/fixtures";
import {
    KubeControlPlane,
    kubeBinaries,
    startKubeControlPlane,
    waitFor,
} from "../support/kube-control-plane";
import { EXCLUDE_LB_LABEL } from "../../render/drain";
import { fetchSchemas } from "../support/schemas";
import { isRoot, requireCapability } from "../support/skip";

/** The cluster already runs the operators (the suite installs their CRDs and MetalLB's namespace). */

interface Case {
    name: string;
    file: string;
    /** Extra config the case sets. */
    set: Record<string, unknown>;
}

const UNMANAGED = ["router-on-host-unmanaged", "calico-bgp-unmanaged"];
const CASES: Case[] = [
    { name: "dev", file: path.join(ROOT, "Pulumi.dev.yaml"), set: KUBERNETES_ONLY },
    ...exampleFiles().map((f) => ({
        name: path.basename(f, ".yaml"),
        file: f,
        set: KUBERNETES_ONLY,
    })),
    ...UNMANAGED.map((n) => ({
        name: n,
        file: path.join(__dirname, "stacks", `${n}.yaml`),
        set: { "fabric:kubernetes.installUpstream": false },
    })),
];

function planOf(c: Case, more: Record<string, unknown> = {}): FabricPlan {
    const doc = YAML.parse(fs.readFileSync(c.file, "utf8"));
    const config: Record<string, unknown> = { ...doc.config };
    for (const [k, v] of Object.entries({ ...c.set, ...more })) setPath(config, k, v);
    return planFabric(loadStackConfig({ config }));
}

function objectsOf(plan: FabricPlan): KubeObject[] {
    return Object.values(renderKubernetes(plan, { nodeFrr: nodeRouterConfigs(plan) })).flat();
}

const id = (o: KubeObject) =>
    `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

function assertOk(r: RunReport): void {
    assert.ok(
        r.ok,
        `${r.operation} of ${r.stack} failed after ${r.seconds} s:\n${r.error}\n${r.stdout.slice(-4000)}`,
    );
}

/** Every object as the API server has it now: what differs from the plan, by object. */
async function differences(cp: KubeControlPlane, objects: KubeObject[]): Promise<string[]> {
    const out: string[] = [];
    for (const o of objects) {
        const live = await cp.tryGet(objectPath(o));
        if (!live) {
            out.push(`${id(o)}: not in the API server`);
            continue;
        }
        const { apiVersion: _a, kind: _k, metadata, ...body } = o;
        const expected =
            o.kind === "Node"
                ? { metadata: { annotations: metadata.annotations } }
                : { metadata: { labels: metadata.labels ?? {} }, ...body };
        out.push(...notIn(expected, live).map((d) => `${id(o)}${d}`));
    }
    return out;
}

/** What is left of our objects (a Node patch is gone when its annotation is). */
async function leftovers(cp: KubeControlPlane, objects: KubeObject[]): Promise<string[]> {
    const out: string[] = [];
    for (const o of objects) {
        const live = (await cp.tryGet(objectPath(o))) as any;
        if (o.kind === "Node") {
            if (live?.metadata?.annotations?.[CALICO_ASN_ANNOTATION] !== undefined)
                out.push(`${id(o)} still has ${CALICO_ASN_ANNOTATION}`);
        } else if (live)
            out.push(
                `${id(o)} still exists${live.metadata?.deletionTimestamp ? " (terminating)" : ""}`,
            );
    }
    return out;
}

describe("real engine: the Kubernetes half applied to a real API server", function () {
    this.timeout(40 * 60_000);
    let cp: KubeControlPlane | undefined;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bgpf-ke-"));
    const kubeconfig = () => ({ "fabric:kubernetes.kubeconfig": cp!.kubeconfig });

    before(async function () {
        requireCapability(
            this,
            isRoot,
            "the real-engine Kubernetes suite needs root (network namespace for the API server)",
        );
        const bins = kubeBinaries();
        requireCapability(
            this,
            bins.ok,
            `the real-engine Kubernetes suite needs ${bins.ok ? "" : bins.missing}`,
        );
        const missing = engineMissing();
        requireCapability(
            this,
            missing === undefined,
            `the real-engine Kubernetes suite needs ${missing}`,
        );
        const schemas = fetchSchemas();
        const nodes = [
            ...new Set(
                CASES.flatMap((c) =>
                    planOf(c)
                        .devices.filter((d) => d.role === "node")
                        .map((d) => d.name),
                ),
            ),
        ];
        cp = await startKubeControlPlane({
            prefix: "kcp-ke",
            nodes,
            crdDirs: ["calico", "operator", "metallb"].map((d) => path.join(schemas, d)),
        });
    });

    after(async () => {
        await cp?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("installUpstream false and MetalLB's namespace absent: the preview fails at once, naming it, and nothing is applied", async () => {
        const c = CASES.find((x) => x.name === "router-on-host-unmanaged")!;
        const r = await runEngine(cp!, "up", {
            config: c.file,
            work: path.join(work, "no-metallb"),
            set: c.set,
            secrets: kubeconfig(),
        });
        assert.strictEqual(r.ok, false, "up succeeded without MetalLB's namespace");
        assert.match(r.error, /metallb-system/);
        console.log(
            `      up refused in ${r.seconds} s: ${r.error
                .split("\n")
                .find((l) => /error:.*metallb-system/.test(l))
                ?.trim()}`,
        );
        assert.match(r.error, /error:.*metallb-system/);
        assert.strictEqual(
            await cp!.tryGet(`/api/v1/namespaces/${ROUTER_NAMESPACE}`),
            undefined,
            "the router namespace was created",
        );
        // MetalLB's own install creates its namespace; from here on it is there, as in a cluster that runs MetalLB.
        await cp!.post("/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "metallb-system" },
        });
    });

    for (const c of CASES) {
        it(`${c.name}: up applies every object as planned, a second up changes nothing, destroy removes them all`, async () => {
            const plan = planOf(c);
            const objects = objectsOf(plan);
            const run = {
                config: c.file,
                work: path.join(work, c.name),
                set: c.set,
                secrets: kubeconfig(),
            };
            let destroyed = false;
            try {
                const up = await runEngine(cp!, "up", run);
                assertOk(up);
                assert.deepStrictEqual(await differences(cp!, objects), []);
                assert.deepStrictEqual(
                    up.outputs.asns,
                    Object.fromEntries(plan.devices.map((d) => [d.name, d.asn])),
                );
                console.log(`      ${c.name}: ${objects.length} objects, up ${up.seconds} s`);

                const again = await runEngine(cp!, "up", run);
                assertOk(again);
                assert.deepStrictEqual(again.steps, [], "the second up changed something");
                // Reads of what the stack does not own are no change.
                assert.deepStrictEqual(
                    Object.keys(again.summary).filter((k) => k !== "same" && k !== "read"),
                    [],
                );

                const down = await runEngine(cp!, "destroy", run);
                destroyed = true;
                assertOk(down);
                assert.deepStrictEqual(await leftovers(cp!, objects), []);
            } finally {
                // A failed case must not leave objects that the next case would conflict with.
                if (!destroyed) await runEngine(cp!, "destroy", run);
            }
        });
    }

    const changeOneNode: [string, string, (plan: FabricPlan) => Promise<void>][] = [
        [
            "router-on-host-unmanaged",
            "k8s2",
            async (plan) => {
                const cm = (await cp!.get(
                    `/api/v1/namespaces/${ROUTER_NAMESPACE}/configmaps/bgp-fabric-router`,
                )) as any;
                assert.match(cm.data["k8s2.conf"], /^router bgp 4200000101$/m);
                assert.strictEqual(cm.data["k8s1.conf"], nodeRouterConfigs(plan).k8s1);
                const peer = (await cp!.get(
                    "/apis/metallb.io/v1beta2/namespaces/metallb-system/bgppeers/host-router-k8s2",
                )) as any;
                assert.strictEqual(peer.spec.peerASN, 4200000101);
            },
        ],
        [
            "calico-bgp-unmanaged",
            "node2",
            async () => {
                const node = (await cp!.get("/api/v1/nodes/node2")) as any;
                assert.strictEqual(node.metadata.annotations[CALICO_ASN_ANNOTATION], "4200000101");
            },
        ],
    ];
    for (const [name, node, check] of changeOneNode) {
        it(`${name}: changing one node's ASN previews and applies exactly that node's objects`, async () => {
            const c = CASES.find((x) => x.name === name)!;
            const run = {
                config: c.file,
                work: path.join(work, `${name}-change`),
                set: c.set,
                secrets: kubeconfig(),
            };
            try {
                assertOk(await runEngine(cp!, "up", run));
                const before = planOf(c);
                const index = before.devices
                    .filter((d) => d.role === "node")
                    .findIndex((d) => d.name === node);
                const pin = { [`fabric:nodes[${index}].asn`]: 4200000101 };
                const after = planOf(c, pin);
                const previous = objectsOf(before);
                const changed = objectsOf(after).filter(
                    (o, i) => JSON.stringify(o) !== JSON.stringify(previous[i]),
                );
                const preview = await runEngine(cp!, "preview", {
                    ...run,
                    set: { ...c.set, ...pin },
                    diff: true,
                });
                assertOk(preview);
                assert.ok(
                    changed.length > 0 &&
                        changed.every(
                            (o) =>
                                o.kind === "Node" ||
                                o.metadata.name.includes(node) ||
                                o.kind === "ConfigMap",
                        ),
                    changed.map(id).join(", "),
                );
                assert.deepStrictEqual(
                    preview.steps.map((s) => `${s.op} ${s.type}`).sort(),
                    changed.map((o) => `update ${kubeTypeToken(o)}`).sort(),
                );
                // The shared ConfigMap changes in the changed node's key only.
                for (const s of preview.steps.filter(
                    (x) => x.type === "kubernetes:core/v1:ConfigMap",
                )) {
                    assert.ok(
                        s.paths.length > 0 && s.paths.every((p) => p.includes(`${node}.conf`)),
                        s.paths.join(", "),
                    );
                }
                const up = await runEngine(cp!, "up", { ...run, set: { ...c.set, ...pin } });
                assertOk(up);
                assert.deepStrictEqual(up.summary.update, changed.length);
                await check(after);
            } finally {
                assertOk(await runEngine(cp!, "destroy", run));
            }
        });
    }

    it("dev: maintenance on a node labels it exclude-from-external-load-balancers through a NodePatch; undrained, the label goes and the Node stays", async () => {
        const c = CASES.find((x) => x.name === "dev")!;
        const run = {
            config: c.file,
            work: path.join(work, "dev-drain"),
            set: c.set,
            secrets: kubeconfig(),
        };
        const index = planOf(c)
            .devices.filter((d) => d.role === "node")
            .findIndex((d) => d.name === "k8s3");
        const drained = { ...c.set, [`fabric:nodes[${index}].maintenance`]: true };
        const labelsOf = async () =>
            (((await cp!.get("/api/v1/nodes/k8s3")) as any).metadata.labels ?? {}) as Record<
                string,
                string
            >;
        try {
            assertOk(await runEngine(cp!, "up", run));
            assert.strictEqual((await labelsOf())[EXCLUDE_LB_LABEL], undefined);
            const up = await runEngine(cp!, "up", { ...run, set: drained });
            assertOk(up);
            assert.deepStrictEqual(
                up.steps
                    .filter((s) => s.op !== "same")
                    .map((s) => `${s.op} ${s.type}`)
                    .sort(),
                // the label, and k8s3's router config (bgp graceful-shutdown) in the router ConfigMap
                ["create kubernetes:core/v1:NodePatch", "update kubernetes:core/v1:ConfigMap"],
            );
            assert.strictEqual((await labelsOf())[EXCLUDE_LB_LABEL], "true");
            const back = await runEngine(cp!, "up", run);
            assertOk(back);
            assert.strictEqual((await labelsOf())[EXCLUDE_LB_LABEL], undefined, "label removed");
            assert.ok(await cp!.get("/api/v1/nodes/k8s3"), "the Node itself stays");
        } finally {
            assertOk(await runEngine(cp!, "destroy", run));
        }
    });

    it("an object the API server refuses fails up with the API server's own message", async () => {
        const c = CASES.find((x) => x.name === "router-on-host-unmanaged")!;
        // An admission policy of the cluster's owner that refuses host-network DaemonSets.
        const policy = "bgpf-test-no-host-network";
        const message = "host-network DaemonSets need an exception from the cluster owner";
        await cp!.post("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingAdmissionPolicy",
            metadata: { name: policy },
            spec: {
                failurePolicy: "Fail",
                matchConstraints: {
                    resourceRules: [
                        {
                            apiGroups: ["apps"],
                            apiVersions: ["v1"],
                            operations: ["CREATE", "UPDATE"],
                            resources: ["daemonsets"],
                        },
                    ],
                },
                validations: [
                    {
                        expression:
                            "!has(object.spec.template.spec.hostNetwork) || !object.spec.template.spec.hostNetwork",
                        message,
                    },
                ],
            },
        });
        await cp!.post("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings", {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingAdmissionPolicyBinding",
            metadata: { name: policy },
            spec: { policyName: policy, validationActions: ["Deny"] },
        });
        const run = {
            config: c.file,
            work: path.join(work, "refused"),
            set: c.set,
            secrets: kubeconfig(),
        };
        try {
            const plan = planOf(c);
            const [ds] = objectsOf(plan).filter((o) => o.kind === "DaemonSet");
            // The policy is in force once a dry-run create is refused.
            await waitFor(
                "the admission policy to be in force",
                async () => {
                    const r = await cp!.request(
                        "POST",
                        `/apis/apps/v1/namespaces/default/daemonsets?dryRun=All`,
                        { ...ds, metadata: { name: "probe", namespace: "default" } } as any,
                    );
                    return r.status === 422 || r.status === 403 ? true : undefined;
                },
                30_000,
                500,
            );
            const up = await runEngine(cp!, "up", run);
            assert.strictEqual(
                up.ok,
                false,
                "up succeeded although the API server refuses the DaemonSet",
            );
            assert.ok(up.error.includes(message), up.error);
            assert.match(up.error, /bgp-fabric-router/);
            console.log(
                `      refused in ${up.seconds} s: ${up.error
                    .split("\n")
                    .find((l) => l.includes(message))
                    ?.trim()
                    .slice(0, 300)}`,
            );
        } finally {
            await cp!.delete(
                `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${policy}`,
            );
            await cp!.delete(
                `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${policy}`,
            );
            assertOk(await runEngine(cp!, "destroy", run));
        }
    });

    for (const name of ["dev", "calico-bgp-unmanaged"]) {
        it(`render mode (${name}, no kubeconfig): the real provider writes every object to the YAML directory`, async () => {
            const c = CASES.find((x) => x.name === name)!;
            const dir = path.join(work, `render-${name}`, "yaml");
            const set = { ...c.set, "fabric:kubernetes.renderDirectory": dir };
            const run = { config: c.file, work: path.join(work, `render-${name}`), set };
            const up = await runEngine(cp!, "up", run);
            assertOk(up);
            const files = fs
                .readdirSync(dir, { recursive: true })
                .map(String)
                .filter((f) => f.endsWith(".yaml"));
            const docs = files.flatMap((f) =>
                YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), "utf8")).map(
                    (d) => d.toJS() as KubeObject,
                ),
            );
            const objects = objectsOf(planOf(c, { "fabric:kubernetes.renderDirectory": dir }));
            assert.deepStrictEqual(docs.map(id).sort(), objects.map(id).sort());
            for (const o of objects) {
                const doc = docs.find((d) => id(d) === id(o))!;
                const { apiVersion: _a, kind: _k, metadata, ...body } = o;
                assert.deepStrictEqual(notIn({ metadata, ...body }, doc), [], id(o));
            }
            assertOk(await runEngine(cp!, "destroy", run));
        });
    }
});
