// Commit-confirm (render/scripts/apply.sh section confirm, render/scripts/confirm.sh): run with
// bash against the stand-ins for vtysh and frr-reload.py. The apply arms a timer on the device,
// detached from the script, that restores the previous configuration unless a confirm comes
// within the window; a confirm stops it; a second apply waits for the first one's outcome.
// The lab proofs (SSH connection killed, management link cut) are in test/lab/confirm.test.ts.

import assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { planFabric } from "../../plan";
import { renderApplyScript, renderConfirmScript } from "../../render/apply-script";
import { APPLY_EXIT } from "../../render/exit-codes";
import { renderSwitchFrr } from "../../render/frr-switch";
import {
    Device,
    bgpJson,
    confirmTimer,
    removeDevice,
    runScript,
    scratchDevice,
} from "../support/apply-device";
import { devConfig } from "../support/fixtures";

const plan = planFabric(devConfig());
const NEW = renderSwitchFrr(plan, "leaf1");
const OLD = "frr version 8.4\nhostname leaf1\n! the configuration before\n";
const SESSIONS = [{ key: "swp51", peer: "spine1" }];
const WINDOW = 2;

const apply = (frr = NEW) =>
    renderApplyScript({
        device: "leaf1",
        platform: "frr",
        frr,
        sessions: SESSIONS,
        timeoutSeconds: 5,
        confirmWindowSeconds: WINDOW,
    });
const confirm = (frr = NEW) => renderConfirmScript({ device: "leaf1", platform: "frr", frr });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Running (a zombie no init reaped yet has ended). */
const alive = (pid: number) => {
    try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
};

/** Wait (bounded) until the device's timer has settled: no armed change, no timer process. */
async function settled(dev: Device, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (!fs.existsSync(path.join(dev.dir, "state/confirm/armed")) && !confirmTimer(dev)) return;
        await sleep(100);
    }
    assert.fail(`the confirm timer did not settle within ${ms} ms`);
}

/** Run a script asynchronously (two applies at once). */
function bashAsync(script: string, dev: Device): Promise<{ status: number | null; out: string }> {
    const file = path.join(dev.dir, `async-${Math.random().toString(36).slice(2)}.sh`);
    fs.writeFileSync(file, script);
    return new Promise((resolve) => {
        const p = spawn("bash", [file], { env: dev.env });
        let out = "";
        p.stdout.on("data", (b) => (out += b));
        p.stderr.on("data", (b) => (out += b));
        p.on("close", (status) => resolve({ status, out }));
    });
}

describe("render: commit-confirm (the device's own rollback timer)", function () {
    this.timeout(60_000);
    const made: Device[] = [];
    const fresh = () => {
        const d = scratchDevice(OLD, { "bgp.json": bgpJson(["swp51"], ["swp51"]) });
        made.push(d);
        return d;
    };
    after(() => made.forEach(removeDevice));

    it("an apply nobody confirms is restored by the device itself after the window; the late confirm says so", async () => {
        const dev = fresh();
        const r = runScript(apply(), dev, {}, [], false);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(
            r.stdout,
            /^leaf1: awaiting confirmation over a new SSH connection: without it the device restores its previous configuration at \d\d:\d\d:\d\dZ \(apply\.confirmWindow 2s\)$/m,
        );
        const timer = confirmTimer(dev);
        assert.ok(timer, "a timer runs on the device after the apply exited");
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW);
        await settled(dev, (WINDOW + 5) * 1000);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD, "frr.conf restored");
        assert.strictEqual(dev.read("stub/running.conf"), OLD, "running config restored");
        assert.match(dev.read("state/confirm/result")!.trim(), /^rolled-back [0-9a-f]{64} \S+Z$/);
        assert.ok(!alive(timer!), "the timer ended");
        const late = runScript(confirm(), dev);
        assert.strictEqual(late.status, APPLY_EXIT.NOT_CONFIRMED);
        assert.match(
            late.stderr,
            /^leaf1: not confirmed: no confirmation came within the window, so at \S+ the device restored its previous configuration by itself \(rolled-back\)/m,
        );
    });

    it("a confirm stops the timer: nothing is restored, no timer is left behind", async () => {
        const dev = fresh();
        const r = runScript(apply(), dev, {}, [], false);
        assert.strictEqual(r.status, 0, r.stderr);
        const timer = confirmTimer(dev)!;
        const c = runScript(confirm(), dev);
        assert.strictEqual(c.status, 0, c.stderr);
        assert.match(
            c.stdout,
            /^leaf1: confirmed over a new SSH connection, [0-2]s before the device would have restored its previous configuration$/m,
        );
        for (let i = 0; i < 20 && alive(timer); i++) await sleep(50);
        assert.ok(!alive(timer), "the timer process ended");
        await sleep((WINDOW + 1) * 1000);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW, "the change stays");
        assert.match(dev.read("state/confirm/result")!, /^confirmed /);
        const again = runScript(confirm(), dev);
        assert.strictEqual(again.status, 0, "a repeated confirm of the running config is fine");
        assert.match(again.stdout, /confirmed: nothing was pending/);
        const other = runScript(confirm(NEW + "! other\n"), dev);
        assert.strictEqual(other.status, APPLY_EXIT.NOT_CONFIRMED);
        assert.match(other.stderr, /the device runs another configuration/);
    });

    it("a confirm for another change leaves the pending one pending", () => {
        const dev = fresh();
        assert.strictEqual(runScript(apply(), dev, {}, [], false).status, 0);
        const other = runScript(confirm(NEW + "! other\n"), dev);
        assert.strictEqual(other.status, APPLY_EXIT.NOT_CONFIRMED);
        assert.match(other.stderr, /the change pending here is another one .* it stays pending/);
        assert.ok(fs.existsSync(path.join(dev.dir, "state/confirm/armed")));
        assert.strictEqual(runScript(confirm(), dev).status, 0, "its own confirm still works");
    });

    it("a second apply while a change is pending waits for its outcome (here: the timer's restore), then applies", async () => {
        const dev = fresh();
        assert.strictEqual(runScript(apply(), dev, {}, [], false).status, 0);
        const second = NEW.replace("maximum-paths 64", "maximum-paths 32");
        const t0 = Date.now();
        const r = await bashAsync(apply(second), dev);
        assert.strictEqual(r.status, 0, r.out);
        assert.match(
            r.out,
            /^leaf1: an earlier apply \(frr\.conf sha256 [0-9a-f]{12}\) awaits its confirmation until \S+: waiting for it to be confirmed or rolled back$/m,
        );
        assert.match(r.out, /^leaf1: the earlier apply was rolled-back; going on$/m);
        assert.ok(Date.now() - t0 >= 1000, "it waited for the window");
        // The second apply's backup is the restored config, not the unconfirmed one.
        assert.strictEqual(dev.read("state/backup/frr.conf"), OLD);
        assert.strictEqual(runScript(confirm(second), dev).status, 0);
    });

    it("a pending change whose timer is gone (the device restarted) is restored by the next apply before it goes on", () => {
        const dev = fresh();
        assert.strictEqual(runScript(apply(), dev, {}, [], false).status, 0);
        process.kill(confirmTimer(dev)!, "SIGKILL"); // as a reboot would end it
        const r = runScript(apply(NEW.replace("maximum-paths 64", "maximum-paths 16")), dev, {
            CONFIRM_WINDOW: "2",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(
            r.stdout,
            /^leaf1: its timer is gone \(the device restarted\?\): restoring the configuration from before it$/m,
        );
        assert.strictEqual(dev.read("state/backup/frr.conf"), OLD);
    });
});
