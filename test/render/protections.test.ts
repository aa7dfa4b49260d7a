// Session protections in the rendered configs (plan/protections.ts →
// render/protections.ts): maximum-prefix on every leaf ↔ node session, TTL
// security where both ends are FRR, graceful restart on every switch and node
// router; none of them where the far end cannot take them (MetalLB BGPPeers).

import assert from "assert";
import { FabricConfig, FabricPlan, planFabric } from "../../plan";
import { nodeMaximumPrefix } from "../../plan/protections";
import { neighborKey } from "../../render/frr-common";
import { renderNodeFrr } from "../../render/frr-node";
import { renderSwitchFrr } from "../../render/frr-switch";
import { renderMetallb } from "../../render/kubernetes/metallb";
import { devConfig, exampleConfig, exampleFiles } from "../support/fixtures";
import { canUnshare, dryRunFailure, frrDryRun, frrLoad, haveVtysh } from "../support/frr";
import { requireCapability } from "../support/skip";
import * as path from "path";

const lines = (text: string) => text.split("\n");
const has = (text: string, line: string, label = "") =>
    assert.ok(lines(text).includes(line), `${label}: missing line '${line}'`);
const hasNot = (text: string, re: RegExp, label = "") =>
    assert.ok(!re.test(text), `${label}: unexpected ${re}`);
const withBgp = (bgp: Record<string, unknown>, c: FabricConfig = devConfig()): FabricConfig => ({
    ...c,
    bgp: { ...(c.bgp ?? {}), ...bgp },
});
const managedSwitches = (plan: FabricPlan) =>
    plan.devices.filter((d) => (d.role === "spine" || d.role === "leaf") && d.managed);

/** GR configured: FRR 8.4 says so on load; it is informational (a reset of every peer makes it take effect). */
const GR_NOTICE = "Graceful restart configuration changed, reset all peers to take effect";

describe("render: session protections", () => {
    const dev = planFabric(devConfig());

    it("dev leafs: each node session gets its own maximum-prefix (force, restart); TTL security on the servers group; GR", () => {
        for (const d of dev.devices.filter((x) => x.role === "leaf")) {
            const text = renderSwitchFrr(dev, d.name);
            has(text, " bgp graceful-restart", d.name);
            hasNot(text, /restart-time/, d.name);
            has(text, " neighbor servers ttl-security hops 1", d.name);
            has(text, "  neighbor servers soft-reconfiguration inbound", d.name);
            const servers = d.neighbors.filter((n) => n.kind === "server");
            assert.ok(servers.length > 0, d.name);
            for (const n of servers) {
                const node = dev.devices.find((x) => x.name === n.device)!;
                const m = nodeMaximumPrefix(dev, node);
                has(
                    text,
                    `  neighbor ${neighborKey(n)} maximum-prefix ${m.limit} restart 5 force`,
                    d.name,
                );
            }
            // Only the server sessions: not the fabric group, not its members.
            const mp = lines(text).filter((l) => /maximum-prefix/.test(l));
            assert.strictEqual(mp.length, servers.length, mp.join("\n"));
            hasNot(
                text,
                /neighbor (fabric|swp5\d) (ttl-security|maximum-prefix|soft-reconfiguration)/,
                d.name,
            );
        }
        // The figure: (1 + 32 + 256) × 1.5.
        has(renderSwitchFrr(dev, "leaf1"), "  neighbor swp3 maximum-prefix 434 restart 5 force");
    });

    it("dev spines: GR, no server protections", () => {
        const text = renderSwitchFrr(dev, "spine1");
        has(text, " bgp graceful-restart", "spine1");
        hasNot(text, /ttl-security|maximum-prefix|soft-reconfiguration/, "spine1");
    });

    it("dev node routers: GR and TTL security towards the leafs, none towards the local MetalLB speaker", () => {
        for (const d of dev.devices.filter((x) => x.role === "node")) {
            const text = renderNodeFrr(dev, d.name)!;
            has(text, " bgp graceful-restart", d.name);
            has(text, " neighbor fabric ttl-security hops 1", d.name);
            hasNot(text, /neighbor metallb ttl-security/, d.name);
        }
    });

    it("settings: restart-time when not FRR's 120 s; GR, TTL security off; restart 0 leaves the session down", () => {
        const p300 = planFabric(withBgp({ gracefulRestartTime: 300 }));
        for (const t of [
            renderSwitchFrr(p300, "spine1"),
            renderSwitchFrr(p300, "leaf1"),
            renderNodeFrr(p300, "k8s1")!,
        ])
            has(t, " bgp graceful-restart restart-time 300");
        const off = planFabric(
            withBgp({ gracefulRestart: false, ttlSecurity: false, maximumPrefixRestart: 0 }),
        );
        for (const t of [
            renderSwitchFrr(off, "spine1"),
            renderSwitchFrr(off, "leaf1"),
            renderNodeFrr(off, "k8s1")!,
        ]) {
            hasNot(t, /graceful-restart/);
            hasNot(t, /ttl-security/);
        }
        has(renderSwitchFrr(off, "leaf1"), "  neighbor swp3 maximum-prefix 434 force");
    });

    it("calico-bgp and metallb-bgp: maximum-prefix on every node session, no TTL security (BIRD and MetalLB's speaker send TTL 1)", () => {
        let leafs = 0;
        for (const name of ["ref3", "ref4-calico", "ref5-external", "ref5-reinterpreted"]) {
            const plan = planFabric(exampleConfig(name));
            assert.notStrictEqual(plan.kubernetes.routing, "router-on-host");
            for (const d of managedSwitches(plan)) {
                const text = renderSwitchFrr(plan, d.name);
                hasNot(text, /ttl-security/, `${name} ${d.name}`);
                has(text, " bgp graceful-restart", `${name} ${d.name}`);
                const servers = [
                    ...new Set(d.neighbors.filter((n) => n.kind === "server").map(neighborKey)),
                ];
                if (servers.length) leafs++;
                for (const key of servers)
                    assert.match(
                        text,
                        new RegExp(
                            `^  neighbor ${key.replace(/\./g, "\\.")} maximum-prefix \\d+ restart 5 force$`,
                            "m",
                        ),
                    );
            }
        }
        assert.ok(leafs > 0, "some leaf has server sessions");
    });

    it("MetalLB BGPPeers carry no graceful restart (v0.16's native speaker refuses enableGracefulRestart)", () => {
        for (const plan of [dev, planFabric(exampleConfig("ref5-external"))]) {
            const peers = renderMetallb(plan).filter((o) => o.kind === "BGPPeer");
            assert.ok(peers.length > 0);
            for (const p of peers)
                assert.ok(!("enableGracefulRestart" in (p.spec as object)), JSON.stringify(p));
        }
    });

    it("FRR's parser accepts every protected config (vtysh --dryrun)", function () {
        requireCapability(this, haveVtysh(), "vtysh (FRR) is not installed");
        const plans = [
            dev,
            planFabric(withBgp({ gracefulRestartTime: 300, maximumPrefixRestart: 0 })),
            ...exampleFiles().map((f) => planFabric(exampleConfig(path.basename(f, ".yaml")))),
        ];
        for (const plan of plans) {
            for (const d of managedSwitches(plan)) {
                const text = renderSwitchFrr(plan, d.name);
                const r = frrDryRun(text);
                assert.ok(r.ok, dryRunFailure(d.name, text, r));
            }
            const k8s1 = renderNodeFrr(plan, plan.devices.find((x) => x.role === "node")!.name);
            if (k8s1) assert.ok(frrDryRun(k8s1).ok, frrDryRun(k8s1).messages);
        }
    });

    it("live bgpd loads leaf1 and k8s1 with the protections and its running config round-trips them", async function () {
        this.timeout(120_000);
        requireCapability(this, canUnshare(), "root with unshare(1) is needed to run FRR daemons");
        const plan = planFabric(withBgp({ gracefulRestartTime: 300 }));
        for (const [text, ifaces] of [
            [renderSwitchFrr(plan, "leaf1"), ["swp1", "swp2", "swp3", "swp51", "swp52"]],
            [renderNodeFrr(plan, "k8s1")!, ["eth1", "eth2"]],
        ] as const) {
            const r = await frrLoad(text, [...ifaces]);
            assert.strictEqual(r.loadStatus, 0, r.loadOutput);
            assert.deepStrictEqual(
                lines(r.loadOutput).filter((l) => l && l !== GR_NOTICE),
                [],
                r.loadOutput,
            );
            for (const l of [" bgp graceful-restart", " bgp graceful-restart restart-time 300"])
                has(r.running, l, "running");
            assert.deepStrictEqual(
                r.delta.filter((l) => !/^\+ frr version /.test(l)),
                [],
                r.running,
            );
        }
        const leaf = await frrLoad(renderSwitchFrr(plan, "leaf1"), [
            "swp1",
            "swp2",
            "swp3",
            "swp51",
            "swp52",
        ]);
        for (const l of [
            " neighbor servers ttl-security hops 1",
            "  neighbor swp3 maximum-prefix 434 restart 5 force",
            "  neighbor servers soft-reconfiguration inbound",
        ])
            has(leaf.running, l, "leaf1 running");
    });
});
