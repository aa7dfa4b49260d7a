// Route checks and the rolling apply together, on the lab (docs/safe-apply.md): a change whose
// sessions come up but whose policy drops the loopbacks (both spines' FABRIC prefix-list denies
// the loopback range) is rolled out wave by wave. The first spine applies it, its sessions come
// up, its route checks find no loopback from any leaf and it rolls back; the rollout stops, so
// the second spine and every leaf are never touched; a TCP probe to a VIP from the external
// router, every 200 ms across the whole push, never fails.
// Own lab prefix (rc<pid>-); `after` tears it down even when a test fails.

import * as assert from "assert";
import { labApply, labExec, labUp, planVips } from "../../lab";
import { tcpProbe } from "../../lab/probes";
import { processLocation, sweepStale } from "../../lab/teardown";
import { FabricPlan } from "../../plan";
import { APPLY_EXIT } from "../../render/exit-codes";
import { isRoot, requireLab } from "../support/skip";
import { labDownLeavingNothing } from "../support/lab";

const LOC = processLocation("rc");
const TIMEOUT = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sessions stay up, the loopbacks are dropped: the loopback range's FABRIC entry denies. */
const dropLoopbacks = (frr: string, range: string) => {
    const line = new RegExp(
        `^(ip prefix-list FABRIC seq \\d+) permit (${range.replace(/[./]/g, "\\$&")} ge 32)$`,
        "m",
    );
    assert.match(frr, line, "the spine's FABRIC prefix-list carries the loopback range");
    return frr.replace(line, "$1 deny $2");
};

describe("lab: route checks stop a rollout whose policy drops the loopbacks", function () {
    this.timeout(300_000);
    let plan: FabricPlan;

    const backupStamp = async (d: string) =>
        (
            await labExec(
                d,
                ["stat", "-c", "%Y.%Z", "/var/lib/bgp-fabric/backup/running.conf"],
                LOC,
            )
        ).stdout.trim();
    const running = async (d: string) =>
        (await labExec(d, ["vtysh", "-c", "show running-config"], LOC)).stdout;

    before(async function () {
        requireLab(this);
        await sweepStale("rc");
        const up = await labUp({ ...LOC, stack: "dev", apply: true, replace: true, wait: 90_000 });
        plan = {
            ...up.plan,
            apply: { ...up.plan.apply, convergeTimeout: TIMEOUT, confirmWindow: 2 * TIMEOUT + 10 },
        };
    });

    after(async function () {
        if (!isRoot) return;
        await labDownLeavingNothing(LOC);
    });

    it("spine1 rolls back on its route checks, spine2 and the leafs are never touched, a VIP answers throughout", async () => {
        const switches = plan.devices
            .filter((d) => d.role === "spine" || d.role === "leaf")
            .map((d) => d.name);
        const border = plan.devices.find((d) => d.role === "external")!.name;
        const vip = planVips(plan)[0];
        const stamps = Object.fromEntries(
            await Promise.all(switches.map(async (s) => [s, await backupStamp(s)])),
        );
        const before = Object.fromEntries(
            await Promise.all(switches.map(async (s) => [s, await running(s)])),
        );

        let probing = true;
        const probes = { ok: 0, failed: [] as string[] };
        const loop = (async () => {
            while (probing) {
                try {
                    await tcpProbe(border, vip, undefined, LOC);
                    probes.ok++;
                } catch (e) {
                    probes.failed.push(
                        `${new Date().toISOString()} ${(e as Error).message.split("\n")[0]}`,
                    );
                }
                await sleep(200);
            }
        })();
        const t0 = Date.now();
        let out;
        try {
            out = await labApply({
                ...LOC,
                plan,
                transformConfig: (d, r) =>
                    d.role === "spine" && r.frr
                        ? { ...r, frr: dropLoopbacks(r.frr, plan.addressing.loopbacks) }
                        : r,
            });
        } finally {
            probing = false;
            await loop;
        }
        const by = Object.fromEntries(out.map((o) => [o.device, o]));
        console.log(
            `      the push (${Date.now() - t0} ms):\n      | ${(by.spine1.error ?? "").split("\n").join("\n      | ")}`,
        );
        console.log(`      spine2: ${by.spine2.error}`);
        console.log(
            `      TCP probes to ${vip} from ${border}: ${probes.ok} answered, ${probes.failed.length} failed`,
        );

        assert.strictEqual(by.spine1.code, APPLY_EXIT.ROLLED_BACK, by.spine1.error);
        assert.match(
            by.spine1.error!,
            /^spine1: the sessions are up, but routes are missing after 8s \(does a policy drop them\?\): no loopback originated by swp1 \(AS 65101\)/m,
        );
        assert.match(
            by.spine1.error!,
            /^spine1: rolled back to the previous configuration \(the sessions that were up are up again\)$/m,
        );
        assert.strictEqual(
            await running("spine1"),
            before.spine1,
            "spine1 runs its previous configuration",
        );
        for (const s of switches.filter((x) => x !== "spine1")) {
            assert.ok(by[s] && !by[s].ok, `${s} is reported not applied`);
            assert.match(by[s].error!, /not applied: wave 1 \(spine1[,)].* failed: spine1$/, s);
            assert.strictEqual(
                await backupStamp(s),
                stamps[s],
                `${s} was never touched (no backup taken)`,
            );
            assert.strictEqual(await running(s), before[s], `${s}'s running config`);
        }
        assert.deepStrictEqual(probes.failed, [], "the VIP answered every probe");
        assert.ok(probes.ok >= 10, `${probes.ok} probes`);
    });
});
