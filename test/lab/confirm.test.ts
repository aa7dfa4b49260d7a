// Commit-confirm on the lab (docs/safe-apply.md): the apply arms a rollback on the device itself,
// detached from the SSH session, and only a second SSH connection opened after the apply
// succeeded confirms it. Proven against FRR in the lab's namespaces, pushing leaf1 over SSH from
// the management namespace exactly as its component does:
//   a  the SSH connection killed right after the reload (the client, not the script): no
//      confirm comes, leaf1 is back on its previous config within the window, its sessions up
//   b  leaf1's management link cut right after the reload: the confirm cannot connect; leaf1
//      restores itself within the window; with the link back, its old sessions are up
//   c  a normal push confirms and leaves no timer behind
// Own lab prefix (cc<pid>-); `after` tears it down even when a test fails.

import * as assert from "assert";
import { spawn } from "child_process";
import { labApply, labExec, labStatus, labUp, missingSessions } from "../../lab";
import { labApplyScript } from "../../lab/apply";
import { BIN, labLocation } from "../../lab/env";
import { sshArgv, sshRun } from "../../lab/sshd";
import { processLocation, sweepStale } from "../../lab/teardown";
import { FabricPlan, PlannedDevice } from "../../plan";
import { renderConfirmScript } from "../../render/apply-script";
import { renderDevice } from "../../render/device";
import { APPLY_EXIT, REMOTE_EXIT } from "../../render/exit-codes";
import { isRoot, requireLab } from "../support/skip";
import { labDownLeavingNothing } from "../support/lab";

const LOC = processLocation("cc");
const TIMEOUT = 5;
const WINDOW = 2 * TIMEOUT + 10;
const STATE = "/var/lib/bgp-fabric/confirm";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A harmless change to spot: a prefix-list no route-map uses. */
const marked = (frr: string, n: number) =>
    `${frr}ip prefix-list CONFIRM-TEST seq ${n} permit 192.0.2.0/24\n!\n`;

/** Push leaf1's apply over SSH as its component does; resolves once the reload ran, with the client's PID. */
function applyUntilReloaded(
    plan: FabricPlan,
    d: PlannedDevice,
    script: string,
): Promise<{ pid: number; out: () => string; exited: Promise<number | null> }> {
    const ssh = spawn(BIN.ip, sshArgv(labLocation(LOC), d, "bash -s apply"));
    let out = "";
    const exited = new Promise<number | null>((r) => ssh.on("close", r));
    ssh.stdout.on("data", (b) => (out += b));
    ssh.stderr.on("data", (b) => (out += b));
    ssh.stdin.end(script);
    return new Promise((resolve, reject) => {
        const t = setInterval(() => {
            if (/^leaf1: reloaded; /m.test(out)) {
                clearInterval(t);
                resolve({ pid: ssh.pid!, out: () => out, exited });
            }
        }, 20);
        void exited.then((code) => {
            clearInterval(t);
            reject(new Error(`the apply ended before its reload (exit ${code}):\n${out}`));
        });
    });
}

describe("lab: commit-confirm (a lost session or management path undoes the change)", function () {
    this.timeout(300_000);
    let plan: FabricPlan;
    let leaf1: PlannedDevice;

    const running = async () =>
        (await labExec("leaf1", ["vtysh", "-c", "show running-config"], LOC)).stdout;
    const file = async (f: string) =>
        (await labExec("leaf1", ["cat", `${STATE}/${f}`], LOC)).stdout.trim();
    /** The timer's outcome, once written (it restores first, then records). */
    const result = async () => {
        await until("the timer's result", 15_000, async () => (await file("result")) !== "");
        return file("result");
    };
    const leaf1Up = async () =>
        missingSessions((await labStatus(LOC)).filter((s) => s.device === "leaf1"));
    /** Poll until fn holds or ms have passed; the time it took. */
    const until = async (what: string, ms: number, fn: () => Promise<boolean>) => {
        const t0 = Date.now();
        while (!(await fn())) {
            if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
            await sleep(250);
        }
        return Date.now() - t0;
    };

    before(async function () {
        requireLab(this);
        await sweepStale("cc");
        const up = await labUp({ ...LOC, stack: "dev", apply: true, replace: true, wait: 90_000 });
        plan = {
            ...up.plan,
            apply: { ...up.plan.apply, convergeTimeout: TIMEOUT, confirmWindow: WINDOW },
        };
        leaf1 = plan.devices.find((d) => d.name === "leaf1")!;
        assert.deepStrictEqual(await leaf1Up(), [], "leaf1's sessions are up to begin with");
    });

    after(async function () {
        if (!isRoot) return;
        await labDownLeavingNothing(LOC);
    });

    const script = (n: number) =>
        labApplyScript(plan, leaf1, marked(renderDevice(plan, "leaf1").frr!, n));
    /** Confirm change n over a new SSH connection from the management namespace. */
    const confirm = (n: number, timeoutMs?: number) =>
        sshRun(labLocation(LOC), leaf1, "bash -s confirm", {
            input: renderConfirmScript({
                device: "leaf1",
                platform: "frr",
                frr: marked(renderDevice(plan, "leaf1").frr!, n),
            }),
            check: false,
            timeoutMs,
        });

    it(`a: the SSH connection killed right after the reload: no confirm, leaf1 is back on its previous config within the window (${WINDOW} s)`, async () => {
        const before = await running();
        const t0 = Date.now();
        const a = await applyUntilReloaded(plan, leaf1, script(1));
        process.kill(a.pid, "SIGKILL"); // the SSH client: the connection dies, the script is not touched by us
        await a.exited;
        assert.match(await running(), /CONFIRM-TEST/, "the change was loaded");
        const ms = await until(
            "leaf1 restored",
            (WINDOW + 15) * 1000,
            async () => !(await running()).includes("CONFIRM-TEST"),
        );
        console.log(
            `      restored ${((Date.now() - t0) / 1000).toFixed(1)} s after the apply started; result: ${await result()}`,
        );
        assert.ok(ms > 0);
        assert.strictEqual(await running(), before, "exactly the previous running config");
        assert.match(await result(), /^rolled-back [0-9a-f]{64} /);
        await until(
            "leaf1's sessions up again",
            30_000,
            async () => (await leaf1Up()).length === 0,
        );
    });

    it("b: leaf1's management link cut right after the reload: the confirm cannot connect, leaf1 restores itself; with the link back its old sessions are up", async () => {
        const before = await running();
        const a = await applyUntilReloaded(plan, leaf1, script(2));
        await labExec("leaf1", ["ip", "link", "set", "mgmt0", "down"], { ...LOC, check: true });
        try {
            const cut = await confirm(2, 30_000);
            console.log(
                `      the confirm over the cut link: exit ${cut.code} ${cut.stderr.trim()}`,
            );
            assert.strictEqual(cut.code, REMOTE_EXIT.SSH_FAILED, cut.stderr);
            await until(
                "leaf1 restored",
                (WINDOW + 15) * 1000,
                async () => !(await running()).includes("CONFIRM-TEST"),
            );
            assert.strictEqual(await running(), before);
            assert.match(await result(), /^rolled-back /);
        } finally {
            await labExec("leaf1", ["ip", "link", "set", "mgmt0", "up"], LOC);
            process.kill(a.pid, "SIGKILL"); // the client of the cut connection still waits
        }
        await until(
            "leaf1's sessions up again",
            30_000,
            async () => (await leaf1Up()).length === 0,
        );
        const late = await confirm(2);
        console.log(`      the confirm once the link is back:\n      | ${late.stderr.trim()}`);
        assert.strictEqual(late.code, APPLY_EXIT.NOT_CONFIRMED);
        assert.match(late.stderr, /the device restored its previous configuration by itself/);
    });

    it("c: a normal push confirms over a second connection and leaves no timer behind", async () => {
        const [out] = await labApply({
            ...LOC,
            plan,
            devices: ["leaf1"],
            transformConfig: (d, r) =>
                d.name === "leaf1" && r.frr ? { ...r, frr: marked(r.frr, 3) } : r,
        });
        assert.ok(out.ok, out.error);
        console.log(`      ${out.output.trim().split("\n").join("\n      | ")}`);
        assert.match(
            out.output,
            /^leaf1: confirmed over a new SSH connection, \d+s before the device would have restored its previous configuration$/m,
        );
        assert.match(await result(), /^confirmed /);
        const left = await labExec(
            "leaf1",
            [
                "bash",
                "-c",
                `ls ${STATE}; p=$(cat ${STATE}/timer.pid 2>/dev/null) && tr '\\0' ' ' < /proc/$p/cmdline`,
            ],
            LOC,
        );
        assert.doesNotMatch(left.stdout, /armed|bgp-fabric-confirm-timer/, left.stdout);
        await sleep((WINDOW + 2) * 1000);
        assert.match(
            await running(),
            /CONFIRM-TEST seq 3/,
            "the confirmed change stays after the window",
        );
    });
});
