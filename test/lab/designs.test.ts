// The reference designs that do not route on the host, in the lab (rung 4):
// every node runs a BGP stand-in generated from the Kubernetes objects
// bgp-fabric renders (lab/calico-speaker.ts, lab/metallb-speaker.ts), never
// from the plan, so these prove that the objects we emit bring the sessions
// up and carry the routes.
//   ref3 (calico-bgp, Cumulus two-tier): node sessions to their leafs, the
//        pod blocks and the LoadBalancer range reach both spines.
//   ref4 (calico-bgp, vendor leaf pair on one /28): every node peers with
//        both leaf stand-ins, pings both SVIs; pod blocks and the
//        LoadBalancer range reach both leafs. The bond is built where the
//        kernel can (CONFIG_BONDING, CONFIG_VLAN_8021Q).
//   ref5 (metallb-bgp): BIRD playing the external router shows the VIP /32
//        with every node as a next hop; a TCP connection to it is answered.
// Root only. Namespaces bgpfl14a-/b-/c-, each lab torn down even on failure.

import assert from "assert";
import * as fs from "fs";
import { FabricConfig, FabricPlan, planFabric, readStackFile } from "../../plan";
import {
    labExec,
    labStatus,
    labUp,
    missingSessions,
    planVips,
    podBlock,
    waitEstablished,
} from "../../lab";
import { birdInstance } from "../../lab/bird";
import { kernelCanBond, labPlanOf } from "../../lab/lab-plan";
import { routeNexthops, tcpProbe } from "../../lab/probes";
import { labLocation } from "../../lab/env";
import { ROOT } from "../support/fixtures";
import { isRoot, requireCapability, skipWhereAbsent } from "../support/skip";
import { labDownLeavingNothing } from "../support/lab";

const TOOLS = [
    "/usr/lib/frr/zebra",
    "/usr/lib/frr/bgpd",
    "/usr/sbin/bird",
    "/usr/sbin/sshd",
    "/usr/bin/socat",
];
const haveTools = TOOLS.every((f) => fs.existsSync(f));
const WHY =
    "the lab needs root and FRR 8.4, BIRD 2, sshd and socat (scripts/install-system-deps.sh)";

function example(name: string): FabricConfig {
    return readStackFile({ config: `${ROOT}/examples/${name}.yaml`, root: ROOT }).config;
}

async function eventually(
    what: string,
    timeoutMs: number,
    fn: () => Promise<boolean>,
): Promise<void> {
    const t0 = Date.now();
    for (;;) {
        if (await fn()) return;
        if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** One design's lab: up before its tests, down after them (also when one fails), nothing left behind. */
function designLab(
    prefix: string,
    build: () => FabricPlan,
): { loc: { prefix: string; dir: string }; plan: () => FabricPlan; lines: string[] } {
    const loc = { prefix, dir: `/run/bgp-fabric-lab-l14/${prefix.replace(/-$/, "")}` };
    let plan: FabricPlan | undefined;
    const lines: string[] = [];
    before(async function () {
        requireCapability(this, isRoot && haveTools, WHY);
        const up = await labUp({ ...loc, plan: build(), replace: true, log: (l) => lines.push(l) });
        plan = up.plan;
        await waitEstablished(45_000, loc).catch(async (e) => {
            throw new Error(
                `${(e as Error).message}\n${missingSessions(await labStatus(loc)).join("\n")}`,
            );
        });
    });
    after(async function () {
        if (!isRoot) return;
        if (process.env.LAB_DESIGNS_LOG)
            fs.writeFileSync(
                process.env.LAB_DESIGNS_LOG,
                [`== ${prefix}`, ...lines].join("\n") + "\n",
                { flag: "a" },
            );
        await labDownLeavingNothing(loc);
        assert.ok(!fs.existsSync(loc.dir), `${loc.dir} left behind`);
    });
    return { loc, plan: () => plan!, lines };
}

describe("lab: the lab's copy of the plan (pure)", () => {
    it("names someone else's vendor ports as Linux names, at both ends and in the session ids", () => {
        const { plan, notes } = labPlanOf(planFabric(example("ref4-calico-metallb-vendor")), {
            canBond: true,
        });
        assert.deepStrictEqual(notes.renamed.leaf2, {
            "eth1/1": "eth1-1",
            "eth1/2": "eth1-2",
            "eth1/3": "eth1-3",
        });
        const k8s2 = plan.devices.find((d) => d.name === "k8s2")!;
        assert.deepStrictEqual(
            k8s2.interfaces.map((i) => `${i.name}→${i.peer.device}:${i.peer.port}`),
            ["eth1→leaf1:eth1-2", "eth2→leaf2:eth1-2"],
        );
        assert.ok(
            plan.sessions.every((x) => !x.id.includes("/")),
            plan.sessions.map((x) => x.id).join(" "),
        );
        assert.deepStrictEqual(
            k8s2.bond,
            { name: "bond0", members: ["eth1", "eth2"], vlan: 1500, interface: "bond0.1500" },
            "kept where the kernel can bond",
        );
        assert.deepStrictEqual(
            labPlanOf(planFabric(example("ref4-calico-metallb-vendor")), { canBond: false }).notes
                .unbonded,
            ["k8s1", "k8s2", "k8s3"],
        );
    });

    it("leaves a fabric of managed switches alone", () => {
        const dev = planFabric(readStackFile({ stack: "dev", root: ROOT }).config);
        assert.strictEqual(
            JSON.stringify(labPlanOf(dev, { canBond: true }).plan),
            JSON.stringify(dev),
        );
    });

    it("gives a zero-based node the pod block of its ordinal (k8s0 → the first block)", () => {
        const c = example("ref3-two-tier-calico");
        c.numbering = { nodes: "zero-based" };
        c.nodes[0].name = "node0";
        c.nodes[1].name = "node1";
        const plan = planFabric(c);
        const [n0, n1] = plan.devices.filter((d) => d.role === "node");
        assert.deepStrictEqual(
            [podBlock(plan, n0, 0), podBlock(plan, n1, 1)],
            ["10.244.0.0/26", "10.244.0.64/26"],
        );
    });

    it("plays one Service per pool without named VIPs, at the first address MetalLB hands out", () => {
        assert.deepStrictEqual(planVips(planFabric(example("ref5-external-router"))), [
            "198.51.100.1",
        ]);
        assert.deepStrictEqual(planVips(planFabric(example("ref4-calico-metallb-vendor"))), [
            "172.29.0.6",
            "172.29.0.7",
        ]);
    });
});

const frrConf = async (device: string, loc: object) =>
    (await labExec(device, ["cat", "/etc/frr/frr.conf"], loc)).stdout;

describe("lab: reference designs 3, 4 and 5 with BGP stand-ins built from the rendered objects", function () {
    this.timeout(300_000);

    describe("ref3: calico-bgp on a two-tier Cumulus fabric", () => {
        const lab = designLab("bgpfl14a-", () => {
            const c = example("ref3-two-tier-calico");
            c.loadBalancerPools = [
                { name: "lb", cidr: "172.29.0.0/24", vips: { web: "172.29.0.6" } },
            ];
            return planFabric(c);
        });

        it("every planned session is Established at both ends, the nodes' from the Calico stand-in", async () => {
            const status = await labStatus(lab.loc);
            const nodes = status.filter((s) => s.role === "node");
            assert.deepStrictEqual(
                nodes.map((s) => [s.device, s.established, s.expected]),
                [
                    ["node1", 1, 1],
                    ["node2", 1, 1],
                ],
            );
            assert.deepStrictEqual(missingSessions(status), []);
        });

        it("the node's FRR was generated from the Calico objects (BGPPeer, Node ASN patch, Installation pool), not the plan", async () => {
            const conf = await frrConf("node1", lab.loc);
            assert.match(conf, /calico-node BGP stand-in \(AS 4200000000\), from 1 BGPPeer\(s\)/);
            assert.match(conf, /^ neighbor 10\.0\.101\.1 remote-as 65101$/m);
            assert.match(conf, /^ neighbor 10\.0\.101\.1 description BGPPeer node1-leaf1$/m);
            assert.match(
                conf,
                /^ip prefix-list CALICO-EXPORT seq 10 permit 10\.244\.0\.0\/16 ge 26 le 26$/m,
            );
            assert.match(conf, /^ {2}network 172\.29\.0\.0\/24$/m);
        });

        it("both spines learn each node's pod block, one path via its leaf, and the LoadBalancer range with ECMP over both leafs", async () => {
            for (const spine of ["spine1", "spine2"]) {
                for (const block of ["10.244.0.0/26", "10.244.0.64/26"]) {
                    await eventually(
                        `${spine} has ${block}`,
                        20_000,
                        async () => (await routeNexthops(spine, block, lab.loc)).length === 1,
                    );
                }
                await eventually(
                    `${spine} has 172.29.0.0/24 over 2 leafs`,
                    20_000,
                    async () => (await routeNexthops(spine, "172.29.0.0/24", lab.loc)).length === 2,
                );
                const r = await labExec(
                    spine,
                    ["ip", "-4", "route", "show", "172.29.0.0/24"],
                    lab.loc,
                );
                lab.lines.push(`${spine}: ${r.stdout.trim().replace(/\s+/g, " ")}`);
            }
        });
    });

    describe("ref4: calico-bgp, two vendor leafs on one /28, nodes bonded where the kernel can", () => {
        const lab = designLab("bgpfl14b-", () => planFabric(example("ref4-calico-metallb-vendor")));

        it("maps the vendor port names to Linux names in the lab's copy of the plan", () => {
            const leaf1 = lab.plan().devices.find((d) => d.name === "leaf1")!;
            assert.deepStrictEqual(
                leaf1.interfaces.map((i) => i.name),
                ["eth1-1", "eth1-2", "eth1-3"],
            );
        });

        it("every node peers with both leaf stand-ins (AS 63500) from its Calico stand-in", async () => {
            const status = await labStatus(lab.loc);
            for (const n of ["k8s1", "k8s2", "k8s3"]) {
                const s = status.find((x) => x.device === n)!;
                assert.deepStrictEqual(
                    s.sessions.map((x) => [x.neighbor, x.via, x.state]),
                    [
                        ["leaf1", "192.168.9.204", "Established"],
                        ["leaf2", "192.168.9.205", "Established"],
                    ],
                );
            }
            assert.deepStrictEqual(missingSessions(status), []);
        });

        it("each node reaches both leaf SVIs", async () => {
            for (const n of ["k8s1", "k8s2", "k8s3"]) {
                for (const svi of ["192.168.9.204", "192.168.9.205"]) {
                    const r = await labExec(n, ["ping", "-c", "1", "-W", "2", svi], lab.loc);
                    assert.strictEqual(r.code, 0, `${n} → ${svi}: ${r.stdout}${r.stderr}`);
                }
            }
        });

        it("both leafs learn the three pod blocks and the LoadBalancer range 172.29.0.0/16 from all three nodes (ECMP)", async () => {
            for (const leaf of ["leaf1", "leaf2"]) {
                for (const block of ["172.27.0.0/26", "172.27.0.64/26", "172.27.0.128/26"]) {
                    await eventually(
                        `${leaf} has ${block}`,
                        20_000,
                        async () => (await routeNexthops(leaf, block, lab.loc)).length === 1,
                    );
                }
                await eventually(
                    `${leaf} has 172.29.0.0/16 from 3 nodes`,
                    20_000,
                    async () => (await routeNexthops(leaf, "172.29.0.0/16", lab.loc)).length === 3,
                );
                const r = await labExec(
                    leaf,
                    ["ip", "-4", "route", "show", "172.29.0.0/16"],
                    lab.loc,
                );
                lab.lines.push(`${leaf}: ${r.stdout.trim().replace(/\s+/g, " ")}`);
            }
        });

        it("builds bond0 (802.3ad) of eth1 + eth2 with bond0.1500 and reaches both SVIs and the gateway over it", async function () {
            skipWhereAbsent(
                this,
                kernelCanBond(),
                "this kernel has no bonding or 802.1Q VLAN support (CONFIG_BONDING, CONFIG_VLAN_8021Q): the lab keeps the uplinks unbonded",
            );
            for (const n of ["k8s1", "k8s2", "k8s3"]) {
                const bond = await labExec(
                    n,
                    [
                        "cat",
                        "/sys/class/net/bond0/bonding/mode",
                        "/sys/class/net/bond0/bonding/slaves",
                        "/sys/class/net/bond0/bonding/ad_num_ports",
                    ],
                    lab.loc,
                );
                assert.strictEqual(
                    bond.stdout,
                    "802.3ad 4\neth1 eth2\n2\n",
                    `${n}: both members in one LACP aggregate`,
                );
                for (const target of ["192.168.9.204", "192.168.9.205", "192.168.9.206"]) {
                    const via = await labExec(n, ["ip", "-4", "route", "get", target], lab.loc);
                    assert.match(via.stdout, /dev bond0\.1500 /, `${n} → ${target}: ${via.stdout}`);
                    const r = await labExec(n, ["ping", "-c", "1", "-W", "2", target], lab.loc);
                    assert.strictEqual(
                        r.code,
                        0,
                        `${n} → ${target} over bond0.1500: ${r.stdout}${r.stderr}`,
                    );
                }
            }
        });
    });

    describe("ref5: metallb-bgp, MetalLB speaking iBGP to an external router", () => {
        const lab = designLab("bgpfl14c-", () => {
            const c = example("ref5-external-router");
            // The lab's management network is its own /24, apart from the nodes' flat subnet it would otherwise shadow.
            c.nodes.forEach((n, i) => (n.mgmt = { host: `10.10.5.${11 + i}` }));
            return planFabric(c);
        });

        it("the router (BIRD) has an Established iBGP session with each node's MetalLB stand-in", async () => {
            const status = await labStatus(lab.loc);
            const router = status.find((s) => s.device === "router1")!;
            assert.deepStrictEqual([router.established, router.expected], [3, 3]);
            assert.deepStrictEqual(missingSessions(status), []);
        });

        it("the node's FRR was generated from the MetalLB objects (BGPPeer router1, pool public, /32 advertisement), not the plan", async () => {
            const conf = await frrConf("node1", lab.loc);
            assert.match(conf, /MetalLB speaker stand-in \(AS 64512\), from 1 BGPPeer\(s\)/);
            assert.match(conf, /^ neighbor 10\.192\.0\.7 remote-as 64512$/m);
            assert.match(conf, /^ neighbor 10\.192\.0\.7 timers 1 3$/m);
            assert.match(conf, /^ {2}network 198\.51\.100\.1\/32$/m);
        });

        it("BIRD shows the VIP as a /32 with every announcing node as a next hop", async () => {
            const vips = planVips(lab.plan());
            assert.deepStrictEqual(vips, ["198.51.100.1"]);
            await eventually(
                "router1 has 198.51.100.1/32 via 3 nodes",
                20_000,
                async () =>
                    (await routeNexthops("router1", "198.51.100.1/32", lab.loc)).length === 3,
            );
            const hops = await routeNexthops("router1", "198.51.100.1/32", lab.loc);
            assert.deepStrictEqual(hops.map((h) => h.via).sort(), [
                "10.192.0.11",
                "10.192.0.12",
                "10.192.0.13",
            ]);
            const bird = await labExec(
                "router1",
                [
                    "birdc",
                    "-s",
                    birdInstance(labLocation(lab.loc), "router1", "bird").ctl,
                    "show",
                    "route",
                    "198.51.100.1/32",
                ],
                lab.loc,
            );
            assert.strictEqual((bird.stdout.match(/unicast \[/g) ?? []).length, 3, bird.stdout);
            lab.lines.push(`router1 birdc show route 198.51.100.1/32:\n${bird.stdout.trim()}`);
            const k = await labExec(
                "router1",
                ["ip", "-4", "route", "show", "198.51.100.1"],
                lab.loc,
            );
            lab.lines.push(`router1: ${k.stdout.trim().replace(/\s+/g, " ")}`);
        });

        it("a TCP connection from the router to the VIP is answered by a node", async () => {
            const who = await tcpProbe("router1", "198.51.100.1", undefined, lab.loc);
            assert.ok(["node1", "node2", "node3"].includes(who), `answered '${who}'`);
            lab.lines.push(`router1 → 198.51.100.1:8080 answered by ${who}`);
        });
    });
});
