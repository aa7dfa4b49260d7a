// The node router's config (router DaemonSet): what it peers with, what it
// announces, and that it is never transit.

import assert from "assert";
import { planFabric } from "../../plan";
import { renderDevice } from "../../render/device";
import { renderNodeFrr } from "../../render/frr-node";
import { devConfig, exampleConfig } from "../support/fixtures";
import { canUnshare, frrSandbox, prefixListPermits, routeMapPermits } from "../support/frr";
import { requireCapability } from "../support/skip";

const has = (text: string, line: string) =>
    assert.ok(text.split("\n").includes(line), `missing line '${line}'`);

describe("render: node frr.conf (router on the host)", () => {
    const plan = planFabric(devConfig());
    const text = renderNodeFrr(plan, "k8s1")!;
    const k8s1 = plan.devices.find((d) => d.name === "k8s1")!;

    it("reference design 1: own ASN, loopback router-id, multipath, peer-group fabric unnumbered on every uplink", () => {
        for (const l of [
            "router bgp 4200000000",
            " bgp router-id 10.1.3.1",
            " bgp bestpath as-path multipath-relax",
            "  maximum-paths 64",
            " neighbor fabric peer-group",
            " neighbor fabric remote-as external",
            " neighbor fabric capability extended-nexthop",
            " neighbor fabric timers 1 3",
            " neighbor fabric advertisement-interval 0",
            " neighbor fabric bfd",
            " neighbor eth1 interface peer-group fabric",
            " neighbor eth2 interface peer-group fabric",
            "  redistribute connected route-map LOOPBACK",
            "  redistribute kernel route-map K8SROUTES",
        ]) {
            has(text, l);
        }
        assert.deepStrictEqual(
            k8s1.interfaces.map((i) => i.name),
            ["eth1", "eth2"],
        );
        for (const i of ["eth1", "eth2"])
            assert.match(
                text,
                new RegExp(
                    `interface ${i}\\n description leaf\\d:swp1\\n ipv6 nd ra-interval 3\\n no ipv6 nd suppress-ra\\nexit`,
                ),
            );
    });

    it("redistributes only its own loopback and Calico's block routes", () => {
        assert.ok(prefixListPermits(text, "LOOPBACK", "10.1.3.1/32"));
        for (const p of ["10.1.3.2/32", "10.1.3.0/24", "127.0.0.1/32", "10.10.0.101/32"])
            assert.strictEqual(routeMapPermits(text, "LOOPBACK", { prefix: p }), false, p);
        assert.ok(routeMapPermits(text, "K8SROUTES", { prefix: "10.233.64.64/26" }));
        for (const p of ["10.233.64.65/32", "10.233.64.0/18", "0.0.0.0/0", "10.233.0.0/18"])
            assert.strictEqual(routeMapPermits(text, "K8SROUTES", { prefix: p }), false, p);
    });

    it("peers locally with MetalLB's native speaker: accepts only VIP /32s inside the pools, sends it nothing", () => {
        has(text, " neighbor metallb peer-group");
        has(text, ` neighbor metallb remote-as ${plan.kubernetes.speakerAsn}`);
        has(text, " bgp listen range 127.0.0.0/8 peer-group metallb");
        has(text, "  neighbor metallb route-map METALLB-IN in");
        has(text, "  neighbor metallb route-map METALLB-OUT out");
        // What FRR 8.4 needs for a session over loopback (see the live test below).
        has(text, " neighbor metallb update-source lo");
        has(text, " bgp allow-martian-nexthop");
        has(text, "ip route 127.0.0.0/8 lo");
        has(text, "  table-map FIB");
        assert.strictEqual(
            routeMapPermits(text, "FIB", { prefix: "172.29.0.6/32", asPath: "64999" }),
            false,
            "the speaker's VIPs stay out of the kernel",
        );
        assert.ok(
            routeMapPermits(text, "FIB", {
                prefix: "172.29.0.6/32",
                asPath: "65101 4200000001 64999",
            }),
            "other routes are installed",
        );
        const from = (prefix: string) =>
            routeMapPermits(text, "METALLB-IN", { prefix, asPath: "64999" });
        assert.ok(from("172.29.0.6/32"));
        for (const p of [
            "0.0.0.0/0",
            "172.29.0.0/24",
            "172.29.1.6/32",
            "10.1.3.9/32",
            "10.233.64.0/26",
        ])
            assert.strictEqual(from(p), false, p);
        for (const p of ["10.1.3.1/32", "172.29.0.6/32", "0.0.0.0/0"])
            assert.strictEqual(routeMapPermits(text, "METALLB-OUT", { prefix: p }), false, p);
    });

    it("announces to the fabric only what starts on this node: never transit", () => {
        has(text, "  neighbor fabric route-map FABRIC-OUT out");
        has(text, "  neighbor fabric route-map FABRIC-IN in");
        const out = (prefix: string, asPath: string) =>
            routeMapPermits(text, "FABRIC-OUT", { prefix, asPath });
        assert.ok(out("10.1.3.1/32", ""), "its loopback");
        assert.ok(out("10.233.64.64/26", ""), "its pod blocks");
        assert.ok(out("172.29.0.6/32", "64999"), "VIPs from its own speaker");
        assert.strictEqual(
            out("172.29.0.6/32", "65101 4200000001 64999"),
            false,
            "a VIP learned from a leaf",
        );
        assert.strictEqual(
            out("10.233.65.0/26", "65101 4200000001"),
            false,
            "another node's pod block",
        );
        assert.strictEqual(
            out("10.1.3.2/32", "65101 4200000001"),
            false,
            "another node's loopback",
        );
        assert.strictEqual(out("0.0.0.0/0", "65101 65000 64512"), false, "a default route");
        assert.strictEqual(out("0.0.0.0/0", ""), false, "even a local default route");
        assert.ok(
            routeMapPermits(text, "FABRIC-IN", {
                prefix: "0.0.0.0/0",
                asPath: "65101 65000 64512",
            }),
            "learns everything the fabric sends",
        );
    });

    it("a fabric without LoadBalancer pools: the speaker's routes are all refused", () => {
        const noPools = devConfig();
        noPools.loadBalancerPools = [];
        const t = renderNodeFrr(planFabric(noPools), "k8s3")!;
        assert.strictEqual(
            routeMapPermits(t, "METALLB-IN", { prefix: "172.29.0.6/32", asPath: "64999" }),
            false,
        );
        has(t, " neighbor eth1 interface peer-group fabric");
    });

    it("live: a speaker on the node (a second bgpd announcing from 127.0.0.1, as MetalLB does) gets its VIP accepted as best path, kept out of the kernel", async function () {
        requireCapability(
            this,
            canUnshare(),
            "root with unshare(1) is needed to run FRR daemons in a private namespace",
        );
        this.timeout(60_000);
        // MetalLB's native speaker: eBGP from 127.0.0.1 with the speaker ASN, next hop = its session address.
        const speaker = [
            "frr defaults traditional",
            "hostname speaker",
            `router bgp ${plan.kubernetes.speakerAsn}`,
            " bgp router-id 10.1.3.99",
            " no bgp ebgp-requires-policy",
            " no bgp network import-check",
            ` neighbor 127.0.0.1 remote-as ${k8s1.asn}`,
            " neighbor 127.0.0.1 update-source 127.0.0.1",
            " neighbor 127.0.0.1 timers 1 3",
            " address-family ipv4 unicast",
            "  network 172.29.0.6/32",
            "  network 8.8.8.8/32",
            " exit-address-family",
            "",
        ].join("\n");
        const r = await frrSandbox({
            hostname: "k8s1",
            interfaces: ["eth1", "eth2"],
            files: { "etc/frr.conf": text, "speaker.conf": speaker },
            script: [
                "ip addr add 10.1.3.1/32 dev lo",
                "mkdir -p /run/frr/spk && chown frr:frr /run/frr/spk",
                // No zebra, no listening on 179 (the node router's): -Z, -p 1790 on 127.0.0.1; stopped by its PID file.
                "/usr/lib/frr/bgpd -N spk -Z -p 1790 -l 127.0.0.1 -d -F traditional -A 127.0.0.1 -P 2699 -f $W/speaker.conf -i /run/frr/spk/bgpd.pid --log file:$W/speaker.log",
                "for i in $(seq 60); do vtysh -c 'show bgp vrf default summary json' > summary.json; grep -q '\"127.0.0.1\":{[^}]*\"state\":\"Established\"' <(tr -d ' \\n' < summary.json) && break; sleep 0.25; done",
                "sleep 2",
                "vtysh -c 'show bgp vrf default summary json' > summary.json",
                "vtysh -c 'show ip bgp json' > table.json",
                "ip -4 route show 172.29.0.6/32 > kernel.txt",
                "kill $(cat /run/frr/spk/bgpd.pid)",
            ].join("\n"),
        });
        const summary = JSON.parse(r.read("summary.json") || "{}");
        const peer = summary.ipv4Unicast?.peers?.["127.0.0.1"];
        assert.ok(peer, `no speaker session: ${r.read("summary.json")}\n${r.read("bgpd.log")}`);
        assert.strictEqual(peer.state, "Established", r.read("bgpd.log"));
        assert.strictEqual(peer.remoteAs, plan.kubernetes.speakerAsn);
        const routes = JSON.parse(r.read("table.json")).routes as Record<
            string,
            { valid?: boolean; bestpath?: boolean; path?: string; nexthops?: { ip: string }[] }[]
        >;
        const vip = routes["172.29.0.6/32"];
        assert.ok(vip, `VIP not accepted: ${Object.keys(routes)}\n${r.read("bgpd.log")}`);
        assert.strictEqual(vip[0].valid, true, JSON.stringify(vip));
        assert.strictEqual(vip[0].bestpath, true, JSON.stringify(vip));
        assert.strictEqual(vip[0].path, String(plan.kubernetes.speakerAsn));
        assert.strictEqual(routes["8.8.8.8/32"], undefined, "not a VIP: refused");
        assert.strictEqual(r.read("kernel.txt"), "", "the VIP is not installed in the kernel");
    });

    it("calico-bgp: no node router (Calico's BIRD peers with the leafs), only the host setup", () => {
        const ref3 = planFabric(exampleConfig("ref3"));
        assert.strictEqual(renderNodeFrr(ref3, "node1"), undefined);
        const r = renderDevice(ref3, "node1");
        assert.strictEqual(r.frr, undefined);
        assert.ok(r.setup);
    });
});
