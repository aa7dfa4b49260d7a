// FRR's own parser accepts every rendered config (DESIGN.md verification
// ladder, step 2): `vtysh --dryrun -f` on every switch and node frr.conf of
// the dev stack, every reference design and variants (numbered links, no BFD,
// passwords); then, where root can unshare, the stronger check: live daemons
// load each config without a complaint and `frr-reload.py --test` finds
// nothing left to change (the rendered text round-trips, so a reload of an
// unchanged config is a no-op).

import assert from "assert";
import { FabricPlan, planFabric } from "../../plan";
import { renderNodeFrr } from "../../render/frr-node";
import { RACK_BRIDGE, renderSwitchFrr } from "../../render/frr-switch";
import { devConfig } from "../support/fixtures";
import {
    canUnshare,
    dryRunFailure,
    fabricsUnderTest,
    frrDryRun,
    frrLoad,
    haveVtysh,
    mapLimit,
} from "../support/frr";
import { requireCapability } from "../support/skip";

interface Rendered {
    label: string;
    text: string;
    interfaces: string[];
}

/** Every FRR config a fabric renders: managed switches, and every node's router. */
function frrConfigs(
    fabric: string,
    plan: FabricPlan,
    passwords: Record<string, string> = {},
): Rendered[] {
    const out: Rendered[] = [];
    for (const d of plan.devices) {
        let text: string | undefined;
        if ((d.role === "spine" || d.role === "leaf") && d.managed)
            text = renderSwitchFrr(plan, d.name, { passwords });
        if (d.role === "node") text = renderNodeFrr(plan, d.name);
        if (text === undefined) continue;
        const ifaces = d.interfaces.map((i) => i.name);
        if (text.includes(`interface ${RACK_BRIDGE}`)) ifaces.push(RACK_BRIDGE);
        out.push({ label: `${fabric}/${d.name}`, text, interfaces: ifaces });
    }
    return out;
}

/**
 * Live loads cost a second or more each, so they take one config per role
 * and platform (devices of one kind differ only in values); the dry run
 * covers every device.
 */
function onePerRole(plan: FabricPlan, configs: Rendered[]): Rendered[] {
    const seen = new Set<string>();
    return configs.filter((c) => {
        const d = plan.devices.find((x) => `${x.name}` === c.label.split("/").pop())!;
        const kind = `${d.role}:${d.platform}:${d.interfaces.length > 1 ? "multi" : "single"}`;
        if (seen.has(kind)) return false;
        seen.add(kind);
        return true;
    });
}

function variants(): { name: string; plan: FabricPlan; passwords?: Record<string, string> }[] {
    const numbered = devConfig();
    numbered.addressing = { ...numbered.addressing, links: "10.254.0.0/20" };
    const noBfd = devConfig();
    noBfd.bgp = { bfd: false, keepalive: 3, holdtime: 9, maximumPaths: 16 };
    return [
        ...fabricsUnderTest(),
        {
            name: "dev+numbered-links",
            plan: planFabric(numbered),
            passwords: { spine1: "s3cret-1", border1: "s3cret-1" },
        },
        { name: "dev+no-bfd", plan: planFabric(noBfd) },
    ];
}

/** What bgpd prints when a config turns graceful restart on; the peers it then has take it at their next reset. */
const GR_NOTICE = "Graceful restart configuration changed, reset all peers to take effect";

describe("render: FRR accepts every rendered config", function () {
    before(function () {
        requireCapability(this, haveVtysh(), "vtysh (FRR 8.4) is not installed");
    });

    it("the check is not vacuous: vtysh --dryrun names a bad line and the helper reports it", () => {
        const good = renderSwitchFrr(planFabric(devConfig()), "leaf1");
        assert.ok(frrDryRun(good).ok);
        const bad = good.replace(
            " bgp bestpath as-path multipath-relax",
            " bgp bestpath as-path multipath-relaxed",
        );
        const r = frrDryRun(bad);
        assert.strictEqual(r.ok, false);
        assert.notStrictEqual(r.status, 0);
        const line = bad.split("\n").indexOf(" bgp bestpath as-path multipath-relaxed") + 1;
        assert.match(r.messages, new RegExp(`line ${line}: % Unknown command`));
        assert.match(dryRunFailure("leaf1", bad, r), /multipath-relaxed/);
        // A malformed prefix range is refused too.
        assert.strictEqual(frrDryRun(good.replace("ge 26 le 26", "ge 33")).ok, false);
    });

    for (const v of variants()) {
        it(`${v.name}: vtysh --dryrun accepts every switch and node frr.conf`, () => {
            const configs = frrConfigs(v.name, v.plan, v.passwords);
            for (const c of configs) {
                const r = frrDryRun(c.text);
                assert.ok(r.ok, dryRunFailure(c.label, c.text, r));
            }
        });
    }

    describe("live daemons (zebra, bgpd, bfdd, staticd in a private namespace)", function () {
        before(function () {
            requireCapability(
                this,
                canUnshare(),
                "root with unshare(1) is needed to run FRR daemons in a private namespace",
            );
        });

        it("the check is not vacuous: a semantically wrong line fails to load", async () => {
            const good = renderSwitchFrr(planFabric(devConfig()), "leaf1");
            const bad = good.replace(
                " neighbor swp51 interface peer-group fabric",
                " neighbor swp51 interface peer-group no-such-group",
            );
            assert.ok(frrDryRun(bad).ok, "the dry run cannot see this one");
            const r = await frrLoad(bad, ["swp1", "swp2", "swp3", "swp51", "swp52"]);
            assert.notStrictEqual(r.loadStatus, 0);
            assert.match(r.loadOutput, /peer-group/i);
        });

        for (const v of variants()) {
            it(`${v.name}: one config per role loads cleanly and round-trips (frr-reload.py --test finds nothing to change)`, async function () {
                this.timeout(120_000);
                const configs = onePerRole(v.plan, frrConfigs(v.name, v.plan, v.passwords));
                const results = await mapLimit(configs, 4, (c) => frrLoad(c.text, c.interfaces));
                configs.forEach((c, i) => {
                    const r = results[i];
                    assert.strictEqual(
                        r.loadStatus,
                        0,
                        `${c.label}: vtysh -f failed:\n${r.loadOutput}`,
                    );
                    // `bgp graceful-restart` (plan/protections.ts) makes bgpd say so on load: a notice, not a complaint.
                    const complaints = r.loadOutput
                        .split("\n")
                        .filter((l) => l !== GR_NOTICE)
                        .join("\n");
                    assert.strictEqual(
                        complaints,
                        "",
                        `${c.label}: FRR complained while loading:\n${r.loadOutput}`,
                    );
                    // FRR reports its full version (8.4.4) where the config says 8.4; that line is informational.
                    const delta = r.delta.filter((l) => !/^\+ frr version /.test(l));
                    assert.deepStrictEqual(
                        delta,
                        [],
                        `${c.label}: FRR's running config differs from the rendered one`,
                    );
                });
            });
        }
    });
});
