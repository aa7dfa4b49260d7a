// Every Kubernetes object the renderer emits, for the dev stack, every
// examples/*.yaml and a calico-bgp variant of dev, validates against the
// schemas of the PINNED upstream releases (scripts/fetch-schemas.sh:
// tigera-operator v1.43.0 = Calico v3.32.0 CRDs + Installation CRD, MetalLB
// v0.16.2 CRDs, Kubernetes v1.36.3 OpenAPI), unknown fields rejected.

import assert from "assert";
import * as fs from "fs";
import YAML from "yaml";
import { cachedUpstreamFile } from "../../components/upstream";
import { planFabric } from "../../plan";
import {
    KubeObject,
    expectedIpPool,
    placeholderNodeFrr,
    renderKubernetes,
    serviceForVip,
} from "../../render/kubernetes";
import {
    SchemaSet,
    fabricConfigs,
    fetchSchemas,
    loadSchemas,
    metadataProblems,
} from "../support/schemas";
import { requireCapability } from "../support/skip";

function allObjects(files: Record<string, KubeObject[]>): KubeObject[] {
    return Object.values(files).flat();
}

function mutated(o: KubeObject, edit: (x: any) => void): any {
    const copy = structuredClone(o);
    edit(copy);
    return copy;
}

describe("kubernetes: objects validate against the pinned upstream schemas", function () {
    this.timeout(10 * 60 * 1000);
    let schemas: SchemaSet;
    const configs = fabricConfigs();

    before(function () {
        let dir: string | undefined;
        let why = "";
        try {
            dir = fetchSchemas();
        } catch (e) {
            why = (e as Error).message;
        }
        requireCapability(
            this,
            dir !== undefined,
            `the pinned upstream schemas could not be fetched (scripts/fetch-schemas.sh): ${why}`,
        );
        schemas = loadSchemas(dir!);
    });

    it("has MetalLB v0.16.2's own install (metallb-native.yaml) where installUpstream takes it by default", () => {
        const file = cachedUpstreamFile("metallb", "v0.16.2");
        const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
            .map((d) => d.toJS())
            .filter(Boolean);
        assert.ok(
            docs.some((d: any) => d.kind === "Namespace" && d.metadata.name === "metallb-system"),
        );
        assert.ok(
            docs.some(
                (d: any) =>
                    d.kind === "CustomResourceDefinition" &&
                    d.metadata.name === "ipaddresspools.metallb.io",
            ),
        );
        assert.ok(
            docs.some(
                (d: any) =>
                    d.kind === "DaemonSet" &&
                    d.metadata.name === "speaker" &&
                    /metallb\/speaker:v0\.16\.2/.test(JSON.stringify(d)),
            ),
        );
    });

    it("uses the pinned releases: tigera-operator v1.43.0 (Calico v3.32.0), MetalLB v0.16.2, Kubernetes v1.36.3", () => {
        assert.strictEqual(
            schemas.stamp,
            "operator=v1.43.0 calico=v3.32.0 metallb=v0.16.2 kubernetes=v1.36.3 upstream=metallb-native",
        );
        for (const k of [
            "operator.tigera.io/v1|Installation",
            "projectcalico.org/v3|BGPConfiguration",
            "projectcalico.org/v3|BGPPeer",
            "projectcalico.org/v3|IPPool",
            "metallb.io/v1beta1|IPAddressPool",
            "metallb.io/v1beta1|BGPAdvertisement",
            "metallb.io/v1beta2|BGPPeer",
            "v1|Namespace",
            "v1|ConfigMap",
            "v1|Service",
            "v1|Node",
            "apps/v1|DaemonSet",
        ]) {
            assert.ok(schemas.kinds().includes(k), `no schema for ${k}`);
        }
    });

    it("covers every routing mode", () => {
        const modes = new Set(configs.map((c) => planFabric(c.config).kubernetes.routing));
        assert.deepStrictEqual([...modes].sort(), ["calico-bgp", "metallb-bgp", "router-on-host"]);
    });

    for (const fc of configs) {
        it(`${fc.name}: every rendered object validates, with valid names and labels`, () => {
            const plan = planFabric(fc.config);
            const objects = allObjects(
                renderKubernetes(plan, { nodeFrr: placeholderNodeFrr(plan) }),
            );
            assert.ok(objects.length >= 3);
            const problems = objects.flatMap((o) => [
                ...schemas.validate(o),
                ...metadataProblems(o),
            ]);
            assert.deepStrictEqual(problems, []);
        });

        it(`${fc.name}: Services pinned to its VIPs and the operator's IPPool validate`, () => {
            const plan = planFabric(fc.config);
            const extra: KubeObject[] = [expectedIpPool(plan)];
            for (const pool of plan.pools) {
                for (const vip of Object.keys(pool.vips)) {
                    extra.push(
                        serviceForVip(plan, pool.name, vip, {
                            namespace: "apps",
                            selector: { "app.kubernetes.io/name": vip },
                            ports: [
                                { name: "http", port: 80, targetPort: "http" },
                                { name: "https", port: 443, targetPort: 8443 },
                            ],
                        }),
                    );
                }
            }
            assert.deepStrictEqual(
                extra.flatMap((o) => [...schemas.validate(o), ...metadataProblems(o)]),
                [],
            );
        });
    }

    describe("rejects what the API server would reject (the check is not vacuous)", () => {
        const dev = configs[0];
        const calico = configs.find(
            (c) => planFabric(c.config).kubernetes.routing === "calico-bgp",
        )!;
        const pick = (files: Record<string, KubeObject[]>, apiVersion: string, kind: string) => {
            const o = allObjects(files).find((x) => x.apiVersion === apiVersion && x.kind === kind);
            assert.ok(o, `no ${apiVersion} ${kind}`);
            return o!;
        };
        let onHost: Record<string, KubeObject[]>;
        let bgp: Record<string, KubeObject[]>;
        before(() => {
            const p1 = planFabric(dev.config);
            onHost = renderKubernetes(p1, { nodeFrr: placeholderNodeFrr(p1) });
            bgp = renderKubernetes(planFabric(calico.config));
        });

        const cases: [string, () => any, RegExp][] = [
            [
                "IPAddressPool with a misspelled field (avoidBuggyIps)",
                () =>
                    mutated(pick(onHost, "metallb.io/v1beta1", "IPAddressPool"), (o) => {
                        o.spec.avoidBuggyIps = true;
                    }),
                /must NOT have additional properties 'avoidBuggyIps'/,
            ],
            [
                "MetalLB BGPPeer with peerASN as a string",
                () =>
                    mutated(pick(onHost, "metallb.io/v1beta2", "BGPPeer"), (o) => {
                        o.spec.peerASN = "4200000000";
                    }),
                /peerASN must be integer/,
            ],
            [
                "MetalLB BGPPeer with an ASN above 2^32-1",
                () =>
                    mutated(pick(onHost, "metallb.io/v1beta2", "BGPPeer"), (o) => {
                        o.spec.myASN = 4294967296;
                    }),
                /myASN must be <= 4294967295/,
            ],
            [
                "BGPAdvertisement with aggregationLength 0",
                () =>
                    mutated(pick(onHost, "metallb.io/v1beta1", "BGPAdvertisement"), (o) => {
                        o.spec.aggregationLength = 0;
                    }),
                /aggregationLength must be >= 1/,
            ],
            [
                "BGPConfiguration with nodeToNodeMeshEnabled as a string",
                () =>
                    mutated(pick(onHost, "projectcalico.org/v3", "BGPConfiguration"), (o) => {
                        o.spec.nodeToNodeMeshEnabled = "false";
                    }),
                /nodeToNodeMeshEnabled must be boolean/,
            ],
            [
                "BGPConfiguration with a bindMode outside its enum",
                () =>
                    mutated(pick(onHost, "projectcalico.org/v3", "BGPConfiguration"), (o) => {
                        o.spec.bindMode = "Loopback";
                    }),
                /bindMode must be equal to one of the allowed values/,
            ],
            [
                "Installation with bgp: On",
                () =>
                    mutated(pick(onHost, "operator.tigera.io/v1", "Installation"), (o) => {
                        o.spec.calicoNetwork.bgp = "On";
                    }),
                /calicoNetwork\/bgp must be equal to one of the allowed values/,
            ],
            [
                "Installation pool with an unknown field",
                () =>
                    mutated(pick(onHost, "operator.tigera.io/v1", "Installation"), (o) => {
                        o.spec.calicoNetwork.ipPools[0].ipipMode = "Never";
                    }),
                /additional properties 'ipipMode'/,
            ],
            [
                "Calico BGPPeer using MetalLB's field name (peerASN)",
                () =>
                    mutated(pick(bgp, "projectcalico.org/v3", "BGPPeer"), (o) => {
                        o.spec.peerASN = o.spec.asNumber;
                    }),
                /additional properties 'peerASN'/,
            ],
            [
                "IPPool with a /33",
                () =>
                    mutated(expectedIpPool(planFabric(dev.config)), (o) => {
                        o.spec.cidr = "10.233.64.0/33";
                    }),
                /cidr must match format "cidr"/,
            ],
            [
                "IPPool with ipipMode never (wrong case)",
                () =>
                    mutated(expectedIpPool(planFabric(dev.config)), (o) => {
                        o.spec.ipipMode = "never";
                    }),
                /ipipMode must be equal to one of the allowed values/,
            ],
            [
                "DaemonSet container with a misspelled securityContext",
                () =>
                    mutated(pick(onHost, "apps/v1", "DaemonSet"), (o) => {
                        o.spec.template.spec.containers[0].securityContex = {};
                    }),
                /additional properties 'securityContex'/,
            ],
            [
                "DaemonSet with hostNetwork as a string",
                () =>
                    mutated(pick(onHost, "apps/v1", "DaemonSet"), (o) => {
                        o.spec.template.spec.hostNetwork = "true";
                    }),
                /hostNetwork must be boolean/,
            ],
            [
                "ConfigMap with a misspelled metadata field",
                () =>
                    mutated(pick(onHost, "v1", "ConfigMap"), (o) => {
                        o.metadata.labls = o.metadata.labels;
                    }),
                /additional properties 'labls'/,
            ],
            [
                "ConfigMap with a non-string value",
                () =>
                    mutated(pick(onHost, "v1", "ConfigMap"), (o) => {
                        o.data.daemons = 1;
                    }),
                /must be string/,
            ],
            [
                "MetalLB BGPPeer under an apiVersion MetalLB does not serve",
                () =>
                    mutated(pick(onHost, "metallb.io/v1beta2", "BGPPeer"), (o) => {
                        o.apiVersion = "metallb.io/v1";
                    }),
                /no schema for apiVersion metallb.io\/v1, kind BGPPeer/,
            ],
            [
                "Node patch with the annotation in spec",
                () =>
                    mutated(pick(bgp, "v1", "Node"), (o) => {
                        o.spec = { asNumber: 1 };
                    }),
                /additional properties 'asNumber'/,
            ],
        ];
        for (const [what, build, expected] of cases) {
            it(`rejects: ${what}`, () => {
                const problems = schemas.validate(build());
                assert.ok(problems.length > 0, "accepted");
                assert.ok(
                    problems.some((p) => expected.test(p)),
                    `expected ${expected}, got:\n${problems.join("\n")}`,
                );
            });
        }

        it("rejects invalid names and label values (API server rules outside the schemas)", () => {
            const ns = mutated(pick(onHost, "v1", "Namespace"), (o) => {
                o.metadata.name = "Bad_Name";
                o.metadata.labels.x = "not ok!";
            });
            const problems = metadataProblems(ns);
            assert.ok(
                problems.some((p) => /metadata.name is not a valid name/.test(p)),
                problems.join("\n"),
            );
            assert.ok(
                problems.some((p) => /label x has an invalid value/.test(p)),
                problems.join("\n"),
            );
        });
    });
});
