// The switch config's semantics, asserted directly (not only as golden
// text): sessions, addressing, BFD, timers, and what each route-map lets
// through, evaluated with FRR's matching rules (test/support/frr.ts).

import assert from "assert";
import { FabricConfig, FabricPlan, planFabric } from "../../plan";
import { renderDevice } from "../../render/device";
import { RACK_BRIDGE, renderSwitchFrr } from "../../render/frr-switch";
import { devConfig, exampleConfig } from "../support/fixtures";
import { prefixListPermits, routeMapPermits } from "../support/frr";

const dev = () => planFabric(devConfig());
const lines = (text: string) => text.split("\n");
const has = (text: string, line: string) =>
    assert.ok(lines(text).includes(line), `missing line '${line}' in:\n${text}`);
const lacks = (text: string, line: string) =>
    assert.ok(!lines(text).includes(line), `unexpected line '${line}'`);
const block = (text: string, header: string) => {
    const l = lines(text);
    const i = l.indexOf(header);
    assert.ok(i >= 0, `no '${header}'`);
    return l.slice(i, l.indexOf("exit", i) + 1);
};
function withConfig(base: FabricConfig, change: (c: FabricConfig) => void): FabricPlan {
    change(base);
    return planFabric(base);
}

describe("render: switch frr.conf", () => {
    it("(the policy evaluator the assertions below rely on follows FRR's matching rules)", () => {
        const t = [
            "ip prefix-list P seq 10 permit 10.0.0.0/18 ge 26 le 26",
            "ip prefix-list P seq 20 permit 10.1.0.0/24 ge 32",
            "ip prefix-list P seq 30 deny 10.2.0.0/16 le 32",
            "ip prefix-list P seq 40 permit 10.2.0.0/15 le 24",
            "ip prefix-list P seq 50 permit 10.9.0.0/16",
            "bgp as-path access-list A seq 10 permit _64512_",
            "route-map M permit 10",
            " match ip address prefix-list P",
            " match as-path A",
            "exit",
            "route-map M deny 20",
            "exit",
        ].join("\n");
        const p = (x: string) => prefixListPermits(t, "P", x);
        assert.deepStrictEqual(
            ["10.0.1.0/26", "10.0.1.0/25", "10.0.1.0/27", "10.0.0.0/18"].map(p),
            [true, false, false, false],
            "ge N le N: exactly /N inside",
        );
        assert.deepStrictEqual(
            ["10.1.0.7/32", "10.1.0.0/24", "10.1.1.7/32"].map(p),
            [true, false, false],
            "ge 32",
        );
        assert.deepStrictEqual(
            ["10.2.3.0/24", "10.3.0.0/16"].map(p),
            [false, true],
            "first match wins; le",
        );
        assert.deepStrictEqual(
            ["10.9.0.0/16", "10.9.0.0/17", "0.0.0.0/0"].map(p),
            [true, false, false],
            "exact; no match denies",
        );
        assert.ok(routeMapPermits(t, "M", { prefix: "10.9.0.0/16", asPath: "65000 64512 64496" }));
        assert.strictEqual(
            routeMapPermits(t, "M", { prefix: "10.9.0.0/16", asPath: "65000 645120" }),
            false,
            "_ delimits whole ASNs",
        );
        assert.strictEqual(
            routeMapPermits(t, "M", { prefix: "10.9.0.0/16", asPath: "" }),
            false,
            "every match clause must hold",
        );
    });

    it("header, loopback and BGP basics come from the plan", () => {
        const plan = dev();
        const text = renderSwitchFrr(plan, "leaf1");
        for (const l of [
            "frr version 8.4",
            "frr defaults datacenter",
            "hostname leaf1",
            "log syslog informational",
            "router bgp 65101",
            " bgp router-id 172.16.255.101",
            " bgp bestpath as-path multipath-relax",
            "  maximum-paths 64",
        ])
            has(text, l);
        assert.deepStrictEqual(block(text, "interface lo"), [
            "interface lo",
            " ip address 172.16.255.101/32",
            "exit",
        ]);
        const tuned = withConfig(
            devConfig(),
            (c) => (c.bgp = { keepalive: 3, holdtime: 9, maximumPaths: 8 }),
        );
        const t2 = renderSwitchFrr(tuned, "spine1");
        has(t2, " neighbor fabric timers 3 9");
        has(t2, "  maximum-paths 8");
        has(t2, " neighbor fabric advertisement-interval 0");
    });

    it("unnumbered fabric: one interface neighbor per fabric port, remote-as external, extended next hop, RAs on the port", () => {
        const plan = dev();
        const spine = plan.devices.find((d) => d.name === "spine1")!;
        const text = renderSwitchFrr(plan, "spine1");
        for (const l of [
            " neighbor fabric peer-group",
            " neighbor fabric remote-as external",
            " neighbor fabric capability extended-nexthop",
        ])
            has(text, l);
        const fabricPorts = spine.interfaces.filter((i) => i.kind === "fabric");
        assert.strictEqual(fabricPorts.length, 4);
        for (const i of fabricPorts) {
            has(text, ` neighbor ${i.name} interface peer-group fabric`);
            assert.deepStrictEqual(block(text, `interface ${i.name}`), [
                `interface ${i.name}`,
                ` description ${i.peer.device}:${i.peer.port}`,
                " ipv6 nd ra-interval 3",
                " no ipv6 nd suppress-ra",
                "exit",
            ]);
        }
        const neighbors = lines(text).filter((l) => / interface peer-group fabric$/.test(l));
        assert.strictEqual(
            neighbors.length,
            fabricPorts.length,
            "no neighbor without a fabric port",
        );
    });

    it("numbered fabric (addressing.links is a CIDR): /31 addresses on the ports, neighbors by address with their planned ASN", () => {
        const plan = withConfig(
            devConfig(),
            (c) => (c.addressing = { ...c.addressing, links: "10.254.0.0/20" }),
        );
        const spine = plan.devices.find((d) => d.name === "spine1")!;
        const text = renderSwitchFrr(plan, "spine1");
        for (const n of spine.neighbors.filter((x) => x.kind === "fabric")) {
            assert.ok(n.address);
            has(text, ` neighbor ${n.address} remote-as ${n.asn}`);
            has(text, ` neighbor ${n.address} peer-group fabric`);
        }
        for (const i of spine.interfaces.filter((x) => x.kind === "fabric")) {
            assert.deepStrictEqual(block(text, `interface ${i.name}`), [
                `interface ${i.name}`,
                ` description ${i.peer.device}:${i.peer.port}`,
                ` ip address ${i.address}`,
                "exit",
            ]);
        }
        assert.ok(!/interface peer-group/.test(text), "no unnumbered neighbor");
        lacks(text, " neighbor fabric remote-as external");
        lacks(text, " neighbor fabric capability extended-nexthop");
    });

    it("BFD follows plan.bgp.bfd (and Calico sessions never have it)", () => {
        has(renderSwitchFrr(dev(), "leaf1"), " neighbor fabric bfd");
        has(renderSwitchFrr(dev(), "leaf1"), " neighbor servers bfd");
        const off = withConfig(devConfig(), (c) => (c.bgp = { bfd: false }));
        for (const d of off.devices.filter((x) => x.role === "spine" || x.role === "leaf"))
            assert.ok(!/ bfd$/m.test(renderSwitchFrr(off, d.name)), `${d.name} has bfd`);
        const calico = renderSwitchFrr(planFabric(exampleConfig("ref3")), "leaf1");
        has(calico, " neighbor fabric bfd");
        assert.ok(!/neighbor (servers|10\.0\.101\.\d+) bfd/.test(calico));
    });

    describe("a leaf accepts from a node only its loopback, pod blocks and VIP /32s", () => {
        const plan = dev();
        const text = renderSwitchFrr(plan, "leaf1");
        const from = (prefix: string) =>
            routeMapPermits(text, "FROM-k8s1", { prefix, asPath: "4200000000" });

        it("the node's session uses its own inbound route-map", () => {
            has(text, "  neighbor swp1 route-map FROM-k8s1 in");
            has(text, "  neighbor swp2 route-map FROM-k8s2 in");
            has(text, " neighbor swp1 interface peer-group servers");
        });
        for (const p of [
            "10.1.3.1/32",
            "10.233.64.0/26",
            "10.233.127.192/26",
            "172.29.0.6/32",
            "172.29.0.200/32",
        ]) {
            it(`permits ${p}`, () => assert.ok(from(p)));
        }
        for (const [p, why] of [
            ["0.0.0.0/0", "a default route"],
            ["10.1.3.2/32", "another node's loopback"],
            ["10.1.3.0/24", "the node loopback range"],
            ["10.233.64.5/32", "a single pod"],
            ["10.233.64.0/18", "the pod CIDR aggregate"],
            ["10.233.64.0/25", "a block of the wrong size"],
            ["172.29.0.0/24", "the pool aggregate (router-on-host)"],
            ["172.29.1.1/32", "an address outside the pools"],
            ["172.16.255.1/32", "a switch loopback"],
            ["8.8.8.8/32", "anything else"],
        ]) {
            it(`denies ${p} (${why})`, () => assert.strictEqual(from(p), false));
        }
    });

    it("the fabric carries loopbacks, node loopbacks, pod blocks, VIPs and routes from the external router; nothing else", () => {
        const text = renderSwitchFrr(dev(), "spine1");
        has(text, "  neighbor fabric route-map FABRIC in");
        has(text, "  neighbor fabric route-map FABRIC out");
        const fabric = (prefix: string, asPath = "65101") =>
            routeMapPermits(text, "FABRIC", { prefix, asPath });
        for (const p of [
            "172.16.255.101/32",
            "10.1.3.7/32",
            "10.233.65.64/26",
            "172.29.0.7/32",
            "172.16.254.2/31",
        ])
            assert.ok(fabric(p), p);
        for (const p of ["0.0.0.0/0", "10.233.65.65/32", "192.168.0.0/16", "172.16.255.0/24"])
            assert.strictEqual(fabric(p), false, p);
        assert.ok(
            fabric("0.0.0.0/0", "65000 64512"),
            "a default route from the external router passes",
        );
        assert.ok(
            fabric("203.0.113.0/24", "64512 64496"),
            "routes behind the external router pass",
        );
    });

    it("external router: numbered session with its ASN, refuses the fabric's own space, is sent only the fabric's prefixes", () => {
        const text = renderSwitchFrr(dev(), "spine1");
        has(text, " neighbor 172.16.254.1 remote-as 64512");
        has(text, " neighbor 172.16.254.1 peer-group external");
        has(text, "  neighbor external route-map EXTERNAL-IN in");
        has(text, "  neighbor external route-map EXTERNAL-OUT out");
        assert.deepStrictEqual(block(text, "interface swp31"), [
            "interface swp31",
            " description border1:eth1",
            " ip address 172.16.254.0/31",
            "exit",
        ]);
        const inbound = (prefix: string) =>
            routeMapPermits(text, "EXTERNAL-IN", { prefix, asPath: "64512" });
        for (const p of ["0.0.0.0/0", "203.0.113.0/24", "172.16.253.1/32"])
            assert.ok(inbound(p), p);
        for (const p of [
            "172.16.255.1/32",
            "172.16.255.0/24",
            "10.1.3.1/32",
            "10.233.64.0/26",
            "10.233.64.0/18",
            "10.233.0.1/32",
            "172.29.0.6/32",
            "172.29.0.0/24",
        ]) {
            assert.strictEqual(inbound(p), false, `${p} is ours and must not come from outside`);
        }
        const outbound = (prefix: string, asPath = "") =>
            routeMapPermits(text, "EXTERNAL-OUT", { prefix, asPath });
        for (const p of ["172.16.255.1/32", "10.1.3.1/32", "10.233.64.0/26", "172.29.0.6/32"])
            assert.ok(outbound(p), p);
        for (const p of ["0.0.0.0/0", "203.0.113.0/24", "10.233.64.5/32"])
            assert.strictEqual(outbound(p, "64512"), false, p);
    });

    it("each switch originates only its own loopback (a border spine also its external link subnets)", () => {
        const plan = dev();
        const spine = renderSwitchFrr(plan, "spine1");
        has(spine, "  redistribute connected route-map ORIGINATE");
        assert.ok(prefixListPermits(spine, "ORIGINATE", "172.16.255.1/32"));
        assert.ok(prefixListPermits(spine, "ORIGINATE", "172.16.254.0/31"));
        assert.strictEqual(prefixListPermits(spine, "ORIGINATE", "172.16.255.2/32"), false);
        assert.strictEqual(
            prefixListPermits(spine, "ORIGINATE", "10.10.0.0/24"),
            false,
            "not the management network",
        );
        const leaf = renderSwitchFrr(plan, "leaf1");
        assert.deepStrictEqual(
            lines(leaf).filter((l) => l.startsWith("ip prefix-list ORIGINATE")),
            ["ip prefix-list ORIGINATE seq 10 permit 172.16.255.101/32"],
        );
    });

    describe("calico-bgp leaf (reference design 3)", () => {
        const plan = withConfig(
            exampleConfig("ref3"),
            (c) => (c.loadBalancerPools = [{ name: "default", cidr: "172.29.0.0/24" }]),
        );
        const text = renderSwitchFrr(plan, "leaf1");

        it("the rack subnet lives on the rack bridge, is originated, and server ports are plain bridge ports", () => {
            assert.deepStrictEqual(block(text, `interface ${RACK_BRIDGE}`), [
                `interface ${RACK_BRIDGE}`,
                " description rack 10.0.101.0/24: swp1",
                " ip address 10.0.101.1/24",
                "exit",
            ]);
            assert.deepStrictEqual(block(text, "interface swp1"), [
                "interface swp1",
                " description node1:eth1",
                "exit",
            ]);
            assert.ok(prefixListPermits(text, "ORIGINATE", "10.0.101.0/24"));
            const iface = renderDevice(plan, "leaf1").interfaces!;
            assert.match(
                iface,
                new RegExp(
                    `auto ${RACK_BRIDGE}\\niface ${RACK_BRIDGE}\\n    alias rack 10.0.101.0/24\\n    bridge-ports swp1\\n    bridge-stp off\\n    address 10.0.101.1/24\\n`,
                ),
            );
        });

        it("one numbered neighbor per node of the rack, with the node's ASN, no BFD", () => {
            const node1 = plan.devices.find((d) => d.name === "node1")!;
            has(text, ` neighbor ${node1.address} remote-as ${node1.asn}`);
            has(text, ` neighbor ${node1.address} peer-group servers`);
            has(text, "  neighbor servers route-map SERVERS-IN in");
            assert.ok(!/neighbor 10\.0\.102\./.test(text), "no neighbor from the other rack");
            assert.ok(!/neighbor servers (bfd|remote-as)/.test(text));
        });

        it("accepts from Calico pod blocks, VIP /32s and the pool aggregate (Cluster-policy services); nothing else", () => {
            const inbound = (prefix: string) =>
                routeMapPermits(text, "SERVERS-IN", { prefix, asPath: "4200000000" });
            for (const p of ["10.244.3.0/26", "172.29.0.6/32", "172.29.0.0/24"])
                assert.ok(inbound(p), p);
            for (const p of [
                "0.0.0.0/0",
                "10.244.3.7/32",
                "10.0.101.10/32",
                "10.0.101.0/24",
                "172.16.255.1/32",
            ])
                assert.strictEqual(inbound(p), false, p);
        });
    });

    describe("BGP passwords", () => {
        it("a switch's password protects its fabric sessions, on both ends; an external session only the external router's", () => {
            const plan = dev();
            const spine = renderSwitchFrr(plan, "spine1", { passwords: { spine1: "s3cret" } });
            for (const k of ["swp1", "swp2", "swp3", "swp4"])
                has(spine, ` neighbor ${k} password s3cret`);
            assert.ok(
                !/neighbor 172\.16\.254\.\d+ password/.test(spine),
                "border1 is not ours: spine1's password does not reach it",
            );
            has(
                renderSwitchFrr(plan, "spine1", { passwords: { border1: "upstream" } }),
                " neighbor 172.16.254.1 password upstream",
            );
            const leaf = renderSwitchFrr(plan, "leaf1", { passwords: { spine1: "s3cret" } });
            has(leaf, " neighbor swp51 password s3cret");
            assert.ok(
                !/neighbor (swp52|swp1|swp2|swp3) password/.test(leaf),
                "only the session with spine1, never a node's",
            );
            assert.ok(!/password/.test(renderSwitchFrr(plan, "leaf1")), "none by default");
        });

        it("refuses two different passwords for one session, and a password FRR cannot take", () => {
            assert.throws(
                () => renderSwitchFrr(dev(), "leaf1", { passwords: { spine1: "a", leaf1: "b" } }),
                /leaf1 and spine1 have different BGP passwords/,
            );
            assert.throws(
                () => renderSwitchFrr(dev(), "leaf1", { passwords: { leaf1: "two words" } }),
                /printable characters without spaces/,
            );
        });
    });

    it("an unmanaged switch gets no config", () => {
        const plan = planFabric(exampleConfig("ref4"));
        assert.throws(() => renderSwitchFrr(plan, "leaf1"), /not managed/);
        assert.deepStrictEqual(renderDevice(plan, "leaf1"), {});
        assert.deepStrictEqual(
            renderDevice(planFabric(exampleConfig("ref4-reinterpreted")), "spine1"),
            {},
        );
    });
});
