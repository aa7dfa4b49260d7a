// The rolling apply on the dev lab (plan/waves.ts, lab/apply.ts pushInWaves):
//
//   day one  `up --apply` from empty FRR is one wave (nothing runs BGP yet)
//   a        a config FRR rejects on spine1 (wave 1): spine1 fails, spine2 and
//            every leaf are not attempted and untouched (running config and
//            installed file byte-identical, file not rewritten), nodes fine
//   b        a good change rolls out wave by wave: no device of a wave starts
//            before every device of the previous wave ended
//   c        apply.waveSize 2: two racks' leafs per wave (leaf1 with leaf3),
//            still never two leafs of one rack at once
//
// Own prefix (wv<pid>-); stale labs of killed runs are swept first; `after`
// tears the lab down even when a test fails.

import * as assert from "assert";
import {
    LabUpResult,
    PushOutcome,
    labApply,
    labDown,
    labExec,
    labStatus,
    labUp,
    missingSessions,
} from "../../lab";
import { NOT_ATTEMPTED } from "../../lab/apply";
import { processLocation, sweepStale } from "../../lab/teardown";
import { FabricPlan, PlannedDevice } from "../../plan";
import { applyWaves } from "../../plan/waves";
import { APPLY_EXIT } from "../../render/exit-codes";
import { requireLab } from "../support/skip";

const LOC = processLocation("wv");
const SPINES = ["spine1", "spine2"];
const LEAFS = ["leaf1", "leaf2", "leaf3", "leaf4"];
const SWITCHES = [...SPINES, ...LEAFS];
const NODES = ["k8s1", "k8s2", "k8s3", "k8s4", "k8s5", "k8s6", "k8s7", "k8s8"];

const marker = (tag: string) => `ip prefix-list WAVE-TEST-${tag} seq 5 permit 192.0.2.0/24\n!\n`;
/** A line FRR's parser refuses. */
const badLine = (frr: string) =>
    frr.replace(/^(router bgp \d+\n)/m, "$1 neighbor swp1 frobnicate\n");
type Rendered = { frr?: string; setup?: string; interfaces?: string };
/** Every switch gets `tag`'s marker; `bad` also gets a line FRR rejects; nodes are left as rendered. */
const change =
    (tag: string, bad?: string) =>
    (d: PlannedDevice, r: Rendered): Rendered => {
        if (!r.frr || (d.role !== "spine" && d.role !== "leaf")) return r;
        const frr = r.frr + marker(tag);
        return { ...r, frr: d.name === bad ? badLine(frr) : frr };
    };
const byDevice = (out: PushOutcome[]) => Object.fromEntries(out.map((o) => [o.device, o]));

function show(title: string, text: string): void {
    console.log(`      ${title}:\n${text.trim().replace(/^/gm, "      | ")}`);
}

/** The outcomes as a timeline (ms from the first start), for the notes. */
function timeline(out: PushOutcome[]): string {
    const t0 = Math.min(...out.filter((o) => o.startedAt).map((o) => o.startedAt!));
    return out
        .filter((o) => SWITCHES.includes(o.device))
        .sort((a, b) => a.startedAt! - b.startedAt!)
        .map(
            (o) =>
                `wave ${o.wave! + 1}  ${o.device.padEnd(7)} ${String(o.startedAt! - t0).padStart(6)} → ${String(o.endedAt! - t0).padStart(6)} ms  ${o.output.trim().split("\n").pop()}`,
        )
        .join("\n");
}

/** No device of wave i+1 starts before every device of wave i has ended; returns the waves seen. */
function assertWaveByWave(out: PushOutcome[], plan: FabricPlan): string[][] {
    const o = byDevice(out);
    const waves = applyWaves(plan);
    waves.forEach((w, i) => {
        for (const d of w) assert.strictEqual(o[d].wave, i, `${d} pushed in wave ${o[d].wave}`);
        if (i === 0) return;
        const prevEnd = Math.max(...waves[i - 1].map((d) => o[d].endedAt!));
        for (const d of w)
            assert.ok(
                o[d].startedAt! >= prevEnd,
                `${d} (wave ${i + 1}) started ${prevEnd - o[d].startedAt!} ms before wave ${i} ended`,
            );
    });
    return waves;
}

describe("lab: the rolling apply in waves (dev stack)", function () {
    this.timeout(10 * 60_000);
    let up: LabUpResult | undefined;
    const upLog: string[] = [];
    const running = async (d: string) => {
        const r = await labExec(d, ["vtysh", "-c", "show running-config"], LOC);
        assert.strictEqual(r.code, 0, r.stderr);
        return r.stdout;
    };
    /** The installed frr.conf and its mtime (ns): a push that installs rewrites it. */
    const installed = async (d: string) =>
        (
            await labExec(
                d,
                ["sh", "-c", "stat -c %Y.%y /etc/frr/frr.conf; cat /etc/frr/frr.conf"],
                LOC,
            )
        ).stdout;

    before(async function () {
        requireLab(this);
        await sweepStale("wv");
        up = await labUp({
            ...LOC,
            stack: "dev",
            apply: true,
            wait: 90_000,
            log: (l) => upLog.push(l),
        });
        console.log(
            `      lab up --apply in ${up.timings.total} ms (apply ${up.timings.apply} ms)`,
        );
    });

    after(async function () {
        this.timeout(120_000);
        if (up) await labDown(LOC);
    });

    it("day one: `up --apply` from empty FRR pushes every switch at once (one wave) and every session comes up", async () => {
        const line = upLog.find((l) => l.startsWith("day one:"));
        show("lab up --apply", line ?? "(no day-one line)");
        assert.match(
            line ?? "",
            /^day one: no switch runs a BGP configuration yet, so all 6 switches at once/,
        );
        assert.deepStrictEqual(missingSessions(await labStatus(LOC)), []);
    });

    it("a: a config FRR rejects on spine1 stops the rollout at wave 1: spine1 fails, spine2 and every leaf untouched, nodes fine", async () => {
        const before: Record<string, [string, string]> = {};
        for (const d of SWITCHES) before[d] = [await running(d), await installed(d)];
        const logs: string[] = [];
        const out = await labApply({
            ...LOC,
            transformConfig: change("A", "spine1"),
            log: (l) => logs.push(l),
        });
        const o = byDevice(out);
        show("labApply log", logs.join("\n"));
        assert.strictEqual(o.spine1.code, APPLY_EXIT.REJECTED, o.spine1.error);
        assert.match(
            o.spine1.error!,
            /^spine1: FRR rejected the new configuration; nothing was changed:$/m,
        );
        for (const d of ["spine2", ...LEAFS]) {
            assert.strictEqual(o[d].notAttempted, true, `${d} was attempted`);
            assert.strictEqual(o[d].code, NOT_ATTEMPTED);
            assert.strictEqual(
                o[d].error,
                `${d}: not applied: wave 1 (spine1, k8s1, k8s2, k8s3, k8s4, k8s5, k8s6, k8s7, k8s8) failed: spine1`,
            );
        }
        for (const d of SWITCHES) {
            assert.strictEqual(await running(d), before[d][0], `${d}'s running config changed`);
            assert.strictEqual(await installed(d), before[d][1], `${d}'s frr.conf was rewritten`);
            assert.doesNotMatch(before[d][0] + (await running(d)), /WAVE-TEST-A/);
        }
        for (const n of NODES) {
            assert.ok(o[n].ok, `${n}: ${o[n].error}`);
            assert.strictEqual(o[n].wave, 0);
        }
        assert.ok(
            logs.includes(
                "wave 1 (spine1, k8s1, k8s2, k8s3, k8s4, k8s5, k8s6, k8s7, k8s8) failed: the rollout stops; not attempted: spine2, leaf1, leaf2, leaf3, leaf4",
            ),
            logs.join("\n"),
        );
        assert.deepStrictEqual(missingSessions(await labStatus(LOC)), []);
    });

    it("b: a good change rolls out wave by wave: spine1, spine2, then one leaf of each rack pair at a time", async () => {
        const out = await labApply({ ...LOC, transformConfig: change("B") });
        show("timeline (waveSize 1)", timeline(out));
        for (const o of out) assert.ok(o.ok, `${o.device}: ${o.error}`);
        for (const d of SWITCHES) {
            assert.match(
                byDevice(out)[d].output,
                new RegExp(`^${d}: applied; all 5 BGP sessions Established`, "m"),
            );
            assert.match(await running(d), /^ip prefix-list WAVE-TEST-B /m);
        }
        const waves = assertWaveByWave(out, up!.plan);
        assert.deepStrictEqual(waves, [
            ["spine1"],
            ["spine2"],
            ["leaf1"],
            ["leaf2"],
            ["leaf3"],
            ["leaf4"],
        ]);
        const o = byDevice(out);
        assert.ok(
            o.spine1.endedAt! <= o.spine2.startedAt!,
            "spine1 finished before spine2 started",
        );
        assert.ok(o.leaf1.endedAt! <= o.leaf2.startedAt!, "leaf1 finished before leaf2 started");
        assert.ok(o.leaf3.endedAt! <= o.leaf4.startedAt!, "leaf3 finished before leaf4 started");
        assert.deepStrictEqual(missingSessions(await labStatus(LOC)), []);
    });

    it("c: apply.waveSize 2: leaf1 with leaf3, then leaf2 with leaf4; a rack's two leafs never overlap", async () => {
        const plan = { ...up!.plan, apply: { ...up!.plan.apply, waveSize: 2 } };
        const out = await labApply({ ...LOC, plan, transformConfig: change("C") });
        show("timeline (waveSize 2)", timeline(out));
        for (const o of out) assert.ok(o.ok, `${o.device}: ${o.error}`);
        const waves = assertWaveByWave(out, plan);
        assert.deepStrictEqual(waves, [
            ["spine1"],
            ["spine2"],
            ["leaf1", "leaf3"],
            ["leaf2", "leaf4"],
        ]);
        const o = byDevice(out);
        assert.ok(o.leaf1.endedAt! <= o.leaf2.startedAt!, "leaf1 finished before leaf2 started");
        assert.ok(o.leaf3.endedAt! <= o.leaf4.startedAt!, "leaf3 finished before leaf4 started");
        assert.ok(o.leaf3.startedAt! < o.leaf1.endedAt!, "leaf1 and leaf3 were pushed together");
        assert.deepStrictEqual(missingSessions(await labStatus(LOC)), []);
    });
});
