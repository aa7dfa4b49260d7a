// Maintenance / drain on the dev lab (configs pushed over SSH with the
// safe-apply script, as test/faults/apply-faults.test.ts does): a leaf is
// drained (the plan with `maintenance: true` on it, pushed with labApply),
// worked on (its fabric and server links down inside its namespace, then up)
// and undrained, while a TCP stream runs from the external router to a VIP
// (bench/drain.ts runDrainScenario). Asserted:
//   - while drained, each spine's best and multipath paths avoid the leaf for
//     every prefix that has a path around it (`show bgp ipv4 unicast json`),
//     and it did use the leaf for some of them before and after;
//   - the drained leaf runs `bgp graceful-shutdown`, and its push returned
//     only after the drain wait (render/drain.ts) saw its neighbours route
//     around it;
//   - the stream lost nothing (every message echoed, in order, no reset)
//     across the drain, the work and the undrain.
// The lab has its own prefix (dr<pid>-); `after` tears it down even when a test fails.

import * as assert from "assert";
import { DrainResult, drainWithStream, formatDrain } from "../../bench/drain";
import { LabUpResult, labUp } from "../../lab";
import { processLocation, sweepStale } from "../../lab/teardown";
import { isRoot, requireLab } from "../support/skip";
import { labDownLeavingNothing } from "../support/lab";

const LOC = processLocation("dr");

describe("maintenance / drain (dev lab, configs pushed over SSH)", function () {
    this.timeout(600_000);
    let up: LabUpResult;
    let r: DrainResult;

    before(async function () {
        requireLab(this);
        await sweepStale("dr");
        up = await labUp({ ...LOC, stack: "dev", apply: true, replace: true, wait: 90_000 });
        console.log(`      lab up with every config pushed over SSH in ${up.timings.total} ms`);
    });

    after(async function () {
        if (!isRoot) return;
        await labDownLeavingNothing(LOC);
    });

    it("drain, work (links down, up) and undrain a leaf while a TCP stream runs to a VIP", async function () {
        // Which leaf and source port: a flow whose node the drain keeps (see drainWithStream:
        // hash-threshold ECMP at the spines may move a VIP flow to another node otherwise).
        r = await drainWithStream(LOC, up.plan, (s) => console.log(`      ${s}`));
        console.log(formatDrain(r).replace(/^/gm, "      | "));
        console.log(`      the drain push:\n${r.drainOutput.replace(/^/gm, "      | ")}`);
        console.log(`      the drain wait:\n${r.waitOutput.replace(/^/gm, "      | ")}`);
    });

    it("while drained, every spine's best and multipath paths avoid the leaf wherever a path around it exists", function () {
        if (!r) return this.skip();
        for (const [spine, s] of Object.entries(r.drained)) {
            assert.ok(s.withAlternative > 0, `${spine}: no prefix has a path around ${r.device}`);
            assert.deepStrictEqual(s.through, [], `${spine} still prefers ${r.device}`);
        }
        // The drain changed something: before it (and after the undrain) the leaf carried some of them.
        for (const [when, s] of [
            ["before the drain", r.before],
            ["after the undrain", r.after],
        ] as const)
            assert.ok(
                Object.values(s).some((x) => x.through.length > 0),
                `no spine used ${r.device} ${when}: ${JSON.stringify(s)}`,
            );
    });

    // The wait is the apply script's after_converge once render/device.ts passes drainWait to it;
    // until then runDrainScenario runs the same body in the leaf right after the push.
    it("the drained leaf ran bgp graceful-shutdown and the drain wait saw its neighbours route around it", function () {
        if (!r) return this.skip();
        assert.strictEqual(r.gshutLine, " bgp graceful-shutdown");
        assert.match(
            `${r.drainOutput}\n${r.waitOutput}`,
            new RegExp(
                `^${r.device}: maintenance: its neighbours route around it after \\d+s \\(prefixes checked per neighbour: .*spine1 [1-9]\\d*, spine2 [1-9]\\d*\\)$`,
                "m",
            ),
        );
        assert.match(
            r.undrainOutput,
            new RegExp(`^${r.device}: applied; all \\d+ BGP sessions Established$`, "m"),
        );
    });

    it("the stream lost nothing across drain, work and undrain", function () {
        if (!r) return this.skip();
        const s = r.stream;
        assert.strictEqual(s.error, null, `the stream broke: ${s.error}`);
        assert.ok(s.sent > 1000, `only ${s.sent} messages sent`);
        assert.strictEqual(
            s.lostMessages,
            0,
            `${s.lostMessages} messages (${s.lostBytes} bytes) not echoed`,
        );
        assert.strictEqual(s.echoed, s.sent);
    });
});
