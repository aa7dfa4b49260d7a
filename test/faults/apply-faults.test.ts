// Faults on the safe-apply path, on one dev lab brought up with `--apply`
// (every config pushed over SSH from the management namespace with the exact
// script the Pulumi component sends: render/device.ts switchScripts). Later
// pushes go through the same path (labApply), with the fabric's
// apply.convergeTimeout set to FAULT_TIMEOUT seconds as a stack would set it.
//
//   a  a config FRR rejects: that device keeps its running config, the push
//      fails naming it and quoting FRR, the other devices are applied
//   b  a config FRR accepts that breaks the device's sessions: rolled back
//      within the convergeTimeout, sessions back, exit 4 saying why
//   c  an unreachable device (its sshd stopped): only its push fails; after
//      recovery a re-run converges and does not reload the finished devices
//   d  a push killed mid-apply (the script's process on the device, SIGKILL by
//      PID, while it waits for convergence): every device keeps a valid
//      config, the next push converges
//   e  a BGP password through the apply path (set, then removed): the
//      plaintext is in none of the apply logs or outputs
//
// The lab has its own prefix and directory (bf<pid>-); stale labs of killed
// runs are swept first; `after` tears it down even when a test fails.

import * as assert from "assert";
import * as fs from "fs";
import { driftInLab } from "../../drift";
import {
    LabUpResult,
    PushOutcome,
    labApply,
    labExec,
    labStatus,
    labUp,
    missingSessions,
    waitEstablished,
} from "../../lab";
import { labApplyScript } from "../../lab/apply";
import { labLocation, nsName } from "../../lab/env";
import { namespacePids } from "../../lab/netns";
import { startSshd } from "../../lab/sshd";
import { isAlive, procStart, readState, writeState } from "../../lab/state";
import { processLocation, sweepStale } from "../../lab/teardown";
import { FabricPlan, PlannedDevice } from "../../plan";
import { renderDevice, switchScripts } from "../../render/device";
import { APPLY_EXIT, REMOTE_EXIT } from "../../render/exit-codes";
import { isRoot, requireCapability } from "../support/skip";
import { labDownLeavingNothing } from "../support/lab";

const LOC = processLocation("bf");
const FAULT_TIMEOUT = 10;
/** The shortest commit-confirm window the plan allows with FAULT_TIMEOUT. */
const CONFIRM_WINDOW = 2 * FAULT_TIMEOUT + 10;
const BGP_PASSWORD = "Fault-e-lab-7d41";
const TOOLS = [
    "/usr/lib/frr/zebra",
    "/usr/lib/frr/bgpd",
    "/usr/lib/frr/frr-reload.py",
    "/usr/sbin/bird",
    "/usr/sbin/sshd",
];
const haveTools = TOOLS.every((f) => fs.existsSync(f));
const WHY = "the lab needs root and FRR 8.4, BIRD 2 and sshd (scripts/install-system-deps.sh)";

/** A harmless change: a prefix-list no route-map uses. */
const MARKER = "ip prefix-list FAULT-TEST seq 5 permit 192.0.2.0/24\n!\n";
const withMarker = (frr: string) => frr + MARKER;
/** The leaf's fabric neighbors on ports that do not exist: FRR accepts it, the sessions die. */
const wrongPorts = (frr: string) => frr.replace(/^ neighbor swp5([12]) /gm, " neighbor swp6$1 ");
/** A line FRR's parser refuses. */
const badLine = (frr: string) =>
    frr.replace(/^(router bgp \d+\n)/m, "$1 neighbor swp51 frobnicate\n");

type Transform = (
    d: PlannedDevice,
    r: { frr?: string; setup?: string; interfaces?: string },
) => { frr?: string; setup?: string; interfaces?: string };
const change =
    (changes: Record<string, (frr: string) => string>): Transform =>
    (d, r) =>
        changes[d.name] && r.frr ? { ...r, frr: changes[d.name](r.frr) } : r;

function byDevice(out: PushOutcome[]): Record<string, PushOutcome> {
    return Object.fromEntries(out.map((o) => [o.device, o]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Print real output for docs/safe-apply.md. */
function show(title: string, text: string): void {
    console.log(`      ${title}:\n${text.trim().replace(/^/gm, "      | ")}`);
}

describe("faults on the safe-apply path (dev lab, configs pushed over SSH)", function () {
    this.timeout(300_000);
    let up: LabUpResult;
    let plan: FabricPlan;
    let switches: string[];

    const running = async (device: string) => {
        const r = await labExec(device, ["vtysh", "-c", "show running-config"], LOC);
        assert.strictEqual(r.code, 0, r.stderr);
        return r.stdout;
    };
    const push = (devices: string[], transform?: Transform) =>
        labApply({ ...LOC, plan, devices, transformConfig: transform });

    before(async function () {
        requireCapability(this, isRoot && haveTools, WHY);
        await sweepStale("bf");
        up = await labUp({ ...LOC, stack: "dev", apply: true, replace: true, wait: 90_000 });
        plan = {
            ...up.plan,
            apply: {
                ...up.plan.apply,
                convergeTimeout: FAULT_TIMEOUT,
                confirmWindow: CONFIRM_WINDOW,
            },
        };
        switches = plan.devices
            .filter((d) => d.role === "spine" || d.role === "leaf")
            .map((d) => d.name);
        console.log(
            `      lab up with every config pushed over SSH in ${up.timings.total} ms (apply ${up.timings.apply} ms)`,
        );
    });

    after(async function () {
        if (!isRoot) return;
        await labDownLeavingNothing(LOC);
    });

    it("a: a config FRR rejects leaves that device's running config as it was, fails naming it and quoting FRR; the others are applied", async function () {
        const before = await running("leaf1");
        const out = byDevice(await push(switches, change({ leaf1: badLine, leaf2: withMarker })));
        const leaf1 = out.leaf1;
        show("leaf1's push", leaf1.error ?? "");
        assert.strictEqual(leaf1.code, APPLY_EXIT.REJECTED);
        assert.match(
            leaf1.error!,
            /^leaf1: apply over SSH failed \(exit 3\):\nleaf1: FRR rejected the new configuration; nothing was changed:\nleaf1: \| line \d+: % Unknown command\[\d+\]: +neighbor swp51 frobnicate$/m,
        );
        assert.strictEqual(await running("leaf1"), before, "leaf1's running config changed");
        assert.ok(
            !(await labExec("leaf1", ["cat", "/etc/frr/frr.conf"], LOC)).stdout.includes(
                "frobnicate",
            ),
            "the rejected text was installed",
        );
        for (const s of switches.filter((n) => n !== "leaf1"))
            assert.ok(out[s].ok, `${s}: ${out[s].error}`);
        assert.match(out.leaf2.output, /^leaf2: applied; all 5 BGP sessions Established$/m);
        assert.match(
            await running("leaf2"),
            /^ip prefix-list FAULT-TEST seq 5 permit 192\.0\.2\.0\/24$/m,
        );
        for (const s of ["spine1", "spine2", "leaf3", "leaf4"])
            assert.match(
                out[s].output,
                /: unchanged: the running configuration already is the intended one; all 5 BGP sessions Established$/m,
                s,
            );
    });

    it(`b: a config FRR accepts but that breaks the leaf's fabric sessions is rolled back within convergeTimeout (${FAULT_TIMEOUT} s): sessions back, exit 4 saying why`, async function () {
        const before = await running("leaf1");
        const [out] = await push(["leaf1"], change({ leaf1: wrongPorts }));
        show(`leaf1's push (${out.ms} ms)`, out.error ?? "");
        assert.strictEqual(out.code, APPLY_EXIT.ROLLED_BACK);
        assert.match(
            out.error!,
            /^leaf1: sessions Established before the change are down after 10s: swp51 \(spine1\), swp52 \(spine2\)$/m,
        );
        assert.match(
            out.error!,
            /^leaf1: rolled back to the previous configuration \(the sessions that were up are up again\)$/m,
        );
        // Reload, TIMEOUT seconds of waiting, the restore, the old sessions back (bounded by a second TIMEOUT).
        assert.ok(
            out.ms >= FAULT_TIMEOUT * 1000 && out.ms < (2 * FAULT_TIMEOUT + 10) * 1000,
            `took ${out.ms} ms`,
        );
        assert.strictEqual(
            await running("leaf1"),
            before,
            "leaf1 runs its previous configuration again",
        );
        const leaf1 = (await labStatus(LOC)).find((s) => s.device === "leaf1")!;
        assert.strictEqual(leaf1.established, leaf1.expected, JSON.stringify(leaf1.sessions));
    });

    it("c: an unreachable leaf (its sshd stopped) fails alone; after recovery a re-run converges and does not reload the finished devices", async function () {
        const loc = labLocation(LOC);
        const st = readState(loc)!;
        const sshd = st.processes.find(
            (p) => p.device === "leaf3" && p.what === "sshd" && isAlive(p),
        )!;
        assert.ok(sshd, "leaf3's sshd is recorded and running");
        process.kill(sshd.pid, "SIGTERM");
        for (let i = 0; i < 100 && procStart(sshd.pid) === sshd.start; i++) await sleep(50);
        const v2 = change({ leaf2: withMarker, leaf3: withMarker, leaf4: withMarker });

        const first = byDevice(await push(switches, v2));
        show("leaf3's push while its sshd is down", first.leaf3.error ?? "");
        assert.strictEqual(first.leaf3.code, REMOTE_EXIT.SSH_FAILED);
        assert.match(
            first.leaf3.error!,
            /^leaf3: apply over SSH failed \(exit 255\):\nssh: connect to host 10\.10\.0\.23 port 22: Connection refused$/,
        );
        for (const s of switches.filter((n) => n !== "leaf3"))
            assert.ok(first[s].ok, `${s}: ${first[s].error}`);
        assert.match(first.leaf4.output, /^leaf4: applied; all 5 BGP sessions Established$/m);
        assert.doesNotMatch(await running("leaf3"), /FAULT-TEST/);

        // Recovery: sshd back (recorded in the lab state, so lab down ends it), then the same push again.
        const d = up.plan.devices.find((x) => x.name === "leaf3")!;
        const p = await startSshd(loc, st.devices.leaf3.holder!.pid, d);
        const st2 = readState(loc)!;
        st2.processes.push(p);
        writeState(loc, st2);

        const second = byDevice(await push(switches, v2));
        for (const s of switches) assert.ok(second[s].ok, `${s}: ${second[s].error}`);
        assert.match(second.leaf3.output, /^leaf3: applied; all 5 BGP sessions Established$/m);
        for (const s of switches.filter((n) => n !== "leaf3")) {
            assert.match(
                second[s].output,
                /: unchanged: the running configuration already is the intended one; all 5 BGP sessions Established$/m,
                `${s} was redone`,
            );
            assert.doesNotMatch(second[s].output, /reload:|applied;/, `${s} was reloaded`);
        }
        show(
            "the re-run",
            Object.values(second)
                .map((o) => `${o.output.trim()}   (${o.ms} ms)`)
                .join("\n"),
        );
        assert.match(await running("leaf3"), /^ip prefix-list FAULT-TEST /m);
    });

    it("d: a push killed mid-apply (SIGKILL to the apply script on the device while it waits for convergence): every device keeps a valid config; the next push converges", async function () {
        const ns = nsName(labLocation(LOC), "leaf1");
        const pending = push(["leaf1"], change({ leaf1: wrongPorts }));
        // The apply script: `bash -s` started by sshd, holding the device's bgp-fabric lock on fd 9, after its reload.
        let pid: number | undefined;
        for (let i = 0; i < 300 && pid === undefined; i++) {
            await sleep(100);
            if (!(await running("leaf1")).includes("neighbor swp61 interface")) continue;
            for (const p of await namespacePids(ns)) {
                try {
                    const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
                    const ppid = Number(
                        fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ")[1],
                    );
                    const parent = fs.readFileSync(`/proc/${ppid}/cmdline`, "utf8");
                    if (
                        cmd === "bash\0-s\0" &&
                        parent.startsWith("sshd") &&
                        fs.readlinkSync(`/proc/${p}/fd/9`).endsWith("bgp-fabric.lock")
                    )
                        pid = p;
                } catch {
                    /* gone meanwhile */
                }
            }
        }
        assert.ok(pid, "did not find leaf1's apply script waiting for convergence");
        process.kill(pid, "SIGKILL");
        const [killed] = await pending;
        show(
            `leaf1's push, its script killed (pid ${pid})`,
            `exit ${killed.code}\n${killed.error ?? killed.output}`,
        );
        assert.ok(!killed.ok, "the killed push reported success");

        // No device without a valid config: FRR's parser accepts every installed file, and every FRR runs one.
        for (const s of plan.devices.filter((x) => x.role !== "external")) {
            const check = await labExec(
                s.name,
                ["vtysh", "--dryrun", "-f", "/etc/frr/frr.conf"],
                LOC,
            );
            assert.strictEqual(check.code, 0, `${s.name}: ${check.stderr}${check.stdout}`);
            assert.match(
                await running(s.name),
                /^router bgp \d+$/m,
                `${s.name} runs no BGP config`,
            );
        }

        // Commit-confirm: the killed script confirmed nothing, so leaf1's own timer restores the
        // config from before the push within the window (docs/safe-apply.md).
        const t0 = Date.now();
        let result = "";
        while (
            Date.now() - t0 < (CONFIRM_WINDOW + 20) * 1000 &&
            !result.startsWith("rolled-back")
        ) {
            await sleep(500);
            result = (
                await labExec("leaf1", ["cat", "/var/lib/bgp-fabric/confirm/result"], LOC)
            ).stdout.trim();
        }
        console.log(`      leaf1's confirm timer after the kill: ${result}`);
        assert.match(result, /^rolled-back /);
        assert.doesNotMatch(await running("leaf1"), /neighbor swp61 interface/, "restored");

        // The next push: every switch gets its intended config (also removing c's markers).
        const next = byDevice(await push(switches));
        for (const s of switches) assert.ok(next[s].ok, `${s}: ${next[s].error}`);
        // leaf1 runs what it ran before the push again (its timer restored it): unchanged, or
        // re-applied where that was not yet the intended config.
        assert.match(
            next.leaf1.output,
            /^leaf1: (applied|unchanged: the running configuration already is the intended one); all 5 BGP sessions Established$/m,
        );
        await waitEstablished(60_000, { ...LOC, speakers: false });
        const status = await labStatus(LOC);
        assert.deepStrictEqual(missingSessions(status), []);
    });

    it("e: a BGP password set and removed through the apply path appears in none of its logs or outputs", async function () {
        const passwords = { leaf1: BGP_PASSWORD };
        const secretFrr = (d: PlannedDevice) => renderDevice(up.plan, d.name, { passwords }).frr!;
        // leaf1 and both spines (their sessions with leaf1) carry it; the lab sends the component's own script.
        const devices = ["leaf1", "spine1", "spine2"];
        for (const n of devices) {
            const d = up.plan.devices.find((x) => x.name === n)!;
            assert.strictEqual(
                labApplyScript(up.plan, d, secretFrr(d)),
                switchScripts(up.plan, n, { passwords })!.apply,
            );
        }
        const logs: string[] = [];
        const set = await labApply({
            ...LOC,
            devices,
            transformConfig: (d, r) => ({ ...r, frr: secretFrr(d) }),
            log: (l) => logs.push(l),
        });
        for (const o of set) assert.ok(o.ok, o.error);
        assert.match(
            await running("leaf1"),
            /^ neighbor swp51 password /m,
            "the password is not configured on leaf1",
        );
        assert.strictEqual(
            (await labStatus(LOC)).find((s) => s.device === "leaf1")!.established,
            5,
            "leaf1's sessions with the password",
        );
        // Removing it: frr-reload.py logs `Executed "… no neighbor swp51 password <the password>"`.
        const removed = await labApply({ ...LOC, devices, log: (l) => logs.push(l) });
        for (const o of removed) assert.ok(o.ok, o.error);
        const text = [
            ...logs,
            ...[...set, ...removed].flatMap((o) => [o.output, o.error ?? ""]),
        ].join("\n");
        show(
            "what the removal printed on leaf1",
            removed.find((o) => o.device === "leaf1")!.output,
        );
        assert.match(text, /no neighbor swp51 password <redacted>/);
        assert.ok(!text.includes(BGP_PASSWORD), "the BGP password appears in the apply logs");
    });

    it("leaves every device running exactly its intended config (drift: all in sync) and every planned session Established", async function () {
        const r = await driftInLab(undefined, undefined, LOC);
        assert.deepStrictEqual(
            r.results
                .filter((x) => x.status !== "in-sync")
                .map((x) => `${x.device}: ${x.status} ${x.message ?? ""}`),
            [],
        );
        await waitEstablished(60_000, { ...LOC, speakers: false });
    });
});
