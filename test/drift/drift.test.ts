// Drift (npm run drift): the parser of `frr-reload.py --test` on output
// captured from FRR 8.4 in the lab, the report and exit codes, and on a lab
// (root) a device edited by hand: drift reports that device's lines, every
// other device in sync; --restore re-runs its safe-apply script and it is in
// sync again; an unreachable device is told apart from a drifted one. The lab has its
// own prefix and directory (bd<pid>-), stale ones of killed runs are swept
// first, and it is torn down in `after` even when a test fails. Plain-SSH mode
// runs only inside the lab's management namespace.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    DeviceDrift,
    classify,
    driftDevices,
    driftExitCode,
    driftInLab,
    formatReport,
    jsonReport,
    parseReloadTest,
    remoteCheckCommand,
    sshArgs,
} from "../../drift";
import { LabUpResult, labExec, labSshConfig, labUp } from "../../lab";
import { labLocation } from "../../lab/env";
import { run } from "../../lab/exec";
import { isAlive, procStart, readState } from "../../lab/state";
import { processLocation, sweepStale } from "../../lab/teardown";
import { planFabric } from "../../plan";
import { switchScripts } from "../../render/device";
import { DRIFT_EXIT, REMOTE_EXIT } from "../../render/exit-codes";
import { ROOT, devConfig } from "../support/fixtures";
import { isRoot, requireCapability } from "../support/skip";
import { labDownLeavingNothing } from "../support/lab";

// Captured: leaf2 of the dev lab after `vtysh -c 'conf t' -c 'ip prefix-list HAND-EDIT seq 5 permit 192.0.2.0/24'
// -c 'router bgp 65102' -c 'neighbor swp52 password hunter2' -c 'address-family ipv4 unicast'
// -c 'no redistribute connected route-map LOOPBACK' … -c 'interface swp51' -c 'ipv6 nd ra-interval 10' … -c 'no bfd'`,
// then `frr-reload.py --test <rendered leaf2 frr.conf> --log-level error` (stdout, exit 0).
const CAPTURED = `
Lines To Delete
===============
interface swp51
 no ipv6 nd ra-interval 10
router bgp 65102
 no neighbor swp52 password hunter2

Lines To Add
============
interface swp51
 ipv6 nd ra-interval 3
router bgp 65102
 address-family ipv4 unicast
  redistribute connected route-map ORIGINATE
frr version 8.4
bfd
bfd
 profile fabric
bfd
 profile fabric
  receive-interval 100
bfd
 profile fabric
  transmit-interval 100
no ip prefix-list HAND-EDIT seq 5 permit 192.0.2.0/24
`;

// Captured: a device whose running config is the rendered one (FRR writes its full version, 8.4.4).
const CAPTURED_CLEAN = `
Lines To Add
============
frr version 8.4
`;

// Captured: the intended text has a line FRR refuses (exit 1; stdout then holds a meaningless full diff).
const CAPTURED_REFUSED_STDERR = `2026-11-22 02:34:51,379 \x1b[91m  ERROR\x1b[0m: vtysh failed to process new configuration: vtysh (mark file) exited with status 2:
b'line 147: % Unknown command:  neighbor swp51 frobnicate\\n\\n'
`;

describe("drift: parsing frr-reload.py --test (output captured from FRR 8.4)", () => {
    it("splits both sections into entries with their context, as frr-reload.py printed them", () => {
        const d = parseReloadTest(CAPTURED);
        assert.deepStrictEqual(
            d.toDelete.map((e) => [e.context, e.command]),
            [
                [["interface swp51"], "no ipv6 nd ra-interval 10"],
                [["router bgp 65102"], "no neighbor swp52 password <redacted>"],
            ],
        );
        assert.deepStrictEqual(
            d.toAdd.map((e) => [e.context, e.command]),
            [
                [["interface swp51"], "ipv6 nd ra-interval 3"],
                [
                    ["router bgp 65102", "address-family ipv4 unicast"],
                    "redistribute connected route-map ORIGINATE",
                ],
                [[], "bfd"],
                [["bfd"], "profile fabric"],
                [["bfd", "profile fabric"], "receive-interval 100"],
                [["bfd", "profile fabric"], "transmit-interval 100"],
                [[], "no ip prefix-list HAND-EDIT seq 5 permit 192.0.2.0/24"],
            ],
        );
        assert.strictEqual(
            d.toAdd[1].text,
            "router bgp 65102\n address-family ipv4 unicast\n  redistribute connected route-map ORIGINATE",
        );
    });

    it("does not count `frr version` (FRR writes 8.4.4, the rendered file says 8.4) and reports a clean device as no difference", () => {
        assert.deepStrictEqual(
            parseReloadTest(CAPTURED).ignored.map((e) => e.command),
            ["frr version 8.4"],
        );
        const clean = parseReloadTest(CAPTURED_CLEAN);
        assert.deepStrictEqual([clean.toDelete, clean.toAdd], [[], []]);
        assert.deepStrictEqual(parseReloadTest(""), { toDelete: [], toAdd: [], ignored: [] });
    });

    it("never returns a BGP password", () => {
        const d = parseReloadTest(CAPTURED);
        assert.ok(!JSON.stringify(d).includes("hunter2"));
    });

    it("refuses text that is not frr-reload.py's report", () => {
        assert.throws(
            () => parseReloadTest("Traceback (most recent call last):\n"),
            /not part of frr-reload.py --test output/,
        );
        assert.throws(() => parseReloadTest("Lines To Add\nrouter bgp 1\n"), /underline/);
        assert.throws(
            () => parseReloadTest("Lines To Add\n============\n neighbor x shutdown\n"),
            /without its context/,
        );
    });
});

describe("drift: verdicts, report and exit code", () => {
    const opts = { device: "leaf2", role: "leaf", target: "root@10.10.0.22:22" };

    it("classifies a check: in sync, drift, unreachable (ssh 255, timeout), check failed (FRR refused the text)", () => {
        assert.strictEqual(
            classify({ code: 0, stdout: CAPTURED_CLEAN, stderr: "" }, opts).status,
            "in-sync",
        );
        assert.strictEqual(
            classify({ code: 0, stdout: CAPTURED, stderr: "" }, opts).status,
            "drift",
        );
        const refused = classify(
            {
                code: REMOTE_EXIT.SSH_FAILED,
                stdout: "",
                stderr: "ssh: connect to host 10.10.0.22 port 22: Connection refused\r\n",
            },
            opts,
        );
        assert.deepStrictEqual(
            [refused.status, refused.message],
            ["unreachable", "ssh: connect to host 10.10.0.22 port 22: Connection refused"],
        );
        const slow = classify({ code: 128, stdout: "", stderr: "", timedOut: 60000 }, opts);
        assert.deepStrictEqual(
            [slow.status, slow.message],
            ["unreachable", "no answer over SSH within 60 s"],
        );
        const failed = classify(
            {
                code: 1,
                stdout: "Lines To Delete\n===============\nno router bgp 65102\n",
                stderr: CAPTURED_REFUSED_STDERR,
            },
            opts,
        );
        assert.strictEqual(failed.status, "check-failed");
        assert.match(
            failed.message!,
            /^frr-reload.py --test exited 1: .*vtysh failed to process new configuration.*line 147: % Unknown command: {2}neighbor swp51 frobnicate/,
        );
        const noFrr = classify(
            {
                code: REMOTE_EXIT.NOT_FOUND,
                stdout: "",
                stderr: "sh: 1: /usr/lib/frr/frr-reload.py: not found\n",
            },
            opts,
        );
        assert.deepStrictEqual(
            [noFrr.status, noFrr.message],
            [
                "check-failed",
                "no /usr/lib/frr/frr-reload.py on the device (is FRR installed there? a node's router may run in the router DaemonSet instead): sh: 1: /usr/lib/frr/frr-reload.py: not found",
            ],
        );
    });

    it("exits 0 in sync, 2 on drift, 3 when any device could not be checked (even with drift elsewhere)", () => {
        const r = (status: DeviceDrift["status"]): DeviceDrift => ({
            device: status,
            role: "leaf",
            target: "t",
            status,
            toDelete: [],
            toAdd: [],
            ms: 0,
        });
        assert.strictEqual(driftExitCode([r("in-sync"), r("in-sync")]), DRIFT_EXIT.IN_SYNC);
        assert.strictEqual(driftExitCode([r("in-sync"), r("drift")]), DRIFT_EXIT.DRIFT);
        assert.strictEqual(driftExitCode([r("drift"), r("unreachable")]), DRIFT_EXIT.UNCHECKED);
        assert.strictEqual(driftExitCode([r("in-sync"), r("check-failed")]), DRIFT_EXIT.UNCHECKED);
    });

    it("prints the drifted device's lines under frr-reload.py's own headings, and a verdict naming it", () => {
        const text = formatReport("dev", [
            classify({ code: 0, stdout: CAPTURED_CLEAN, stderr: "" }, { ...opts, device: "leaf1" }),
            classify({ code: 0, stdout: CAPTURED, stderr: "" }, opts),
            classify(
                {
                    code: REMOTE_EXIT.SSH_FAILED,
                    stdout: "",
                    stderr: "ssh: connect to host 10.10.0.23 port 22: Connection refused",
                },
                { ...opts, device: "leaf3" },
            ),
        ]);
        assert.match(text, /^leaf1 +leaf +root@10\.10\.0\.22:22 +in sync$/m);
        assert.match(text, /^leaf2 +leaf +\S+ +DRIFT +2 to delete, 7 to add$/m);
        assert.match(
            text,
            /^leaf3 +leaf +\S+ +UNREACHABLE +ssh: connect to host 10\.10\.0\.23 port 22: Connection refused$/m,
        );
        assert.match(
            text,
            /^ {2}Lines To Delete\n {4}interface swp51\n {5}no ipv6 nd ra-interval 10\n/m,
        );
        assert.match(
            text,
            /^drift: 3 device\(s\) checked: 1 in sync, 1 drift \(leaf2\), 1 unreachable \(leaf3\)$/m,
        );
        assert.ok(!text.includes("hunter2"));
        const json = JSON.parse(
            jsonReport("dev", "lab", [classify({ code: 0, stdout: CAPTURED, stderr: "" }, opts)]),
        );
        assert.strictEqual(json.exitCode, DRIFT_EXIT.DRIFT);
        assert.deepStrictEqual(json.devices[0].toDelete, [
            "interface swp51\n no ipv6 nd ra-interval 10",
            "router bgp 65102\n no neighbor swp52 password <redacted>",
        ]);
    });

    it("checks every managed switch and every node with a router, with the component's SSH user and the pinned host key", () => {
        const c = devConfig();
        c.ssh = { user: "cumulus" };
        c.leafs[0].mgmt = {
            host: "10.10.0.21",
            user: "admin",
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH",
        };
        c.leafs[3] = { name: "leaf4", managed: false, asn: 65199 };
        const devices = driftDevices(planFabric(c), c);
        assert.deepStrictEqual(
            devices.map((d) => d.name),
            [
                "spine1",
                "spine2",
                "leaf1",
                "leaf2",
                "leaf3",
                "k8s1",
                "k8s2",
                "k8s3",
                "k8s4",
                "k8s5",
                "k8s6",
                "k8s7",
                "k8s8",
            ],
        );
        const leaf1 = devices.find((d) => d.name === "leaf1")!;
        const argv = sshArgs(leaf1, { identity: "/k/id" }, "/tmp/pinned");
        assert.deepStrictEqual(argv.slice(-3), [
            "22",
            "admin@10.10.0.21",
            remoteCheckCommand("frr"),
        ]);
        assert.ok(
            argv.includes("UserKnownHostsFile=/tmp/pinned") &&
                argv.includes("StrictHostKeyChecking=yes") &&
                argv.includes("BatchMode=yes"),
        );
        assert.strictEqual(devices.find((d) => d.name === "spine1")!.ssh!.user, "cumulus");
        // --restore sends a switch the very script its Pulumi command runs.
        assert.strictEqual(leaf1.applyScript, switchScripts(planFabric(c), "leaf1")!.apply);
    });

    it("renders a plaintext BGP password into the intended text, and leaves password lines uncompared when the stack keeps it encrypted", () => {
        const c = devConfig();
        c.leafs[0].bgpPassword = "pl41n";
        c.leafs[1].bgpPassword = { secure: "v1:AAAA" };
        const devices = driftDevices(planFabric(c), c);
        const by = (n: string) => devices.find((d) => d.name === n)!;
        assert.match(by("leaf1").intended, /^ neighbor swp51 password pl41n$/m);
        assert.match(by("spine1").intended, /^ neighbor swp1 password pl41n$/m);
        assert.deepStrictEqual(
            devices.filter((d) => d.passwordsUnknown).map((d) => d.name),
            ["spine1", "spine2", "leaf2"],
        );
        assert.strictEqual(
            by("leaf1").applyScript,
            switchScripts(planFabric(c), "leaf1", { passwords: { leaf1: "pl41n" } })!.apply,
        );
        assert.strictEqual(
            by("leaf2").applyScript,
            undefined,
            "a script without leaf2's password would remove it",
        );
        const r = classify(
            { code: 0, stdout: CAPTURED, stderr: "" },
            { ...opts, ignore: { test: (e) => /password/.test(e.command), reason: "encrypted" } },
        );
        assert.deepStrictEqual([r.toDelete.length, r.notCompared], [1, "encrypted"]);
    });
});

const LOC = processLocation("bd");
const TOOLS = [
    "/usr/lib/frr/zebra",
    "/usr/lib/frr/bgpd",
    "/usr/lib/frr/frr-reload.py",
    "/usr/sbin/bird",
    "/usr/sbin/sshd",
];
const haveTools = TOOLS.every((f) => fs.existsSync(f));
const WHY = "the lab needs root and FRR 8.4, BIRD 2 and sshd (scripts/install-system-deps.sh)";

/** `node cli/drift.ts …` (ts-node), optionally inside a network namespace; resolves with its exit code and output. */
function driftCli(
    args: string[],
    netns?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
    const node = [
        process.execPath,
        "-r",
        "ts-node/register/transpile-only",
        path.join(ROOT, "cli/drift.ts"),
        ...args,
    ];
    const opts = {
        check: false,
        timeoutMs: 120_000,
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
    };
    // Plain-SSH mode goes to the plan's mgmt addresses: only ever from inside the lab's management namespace.
    return netns
        ? run("ip", ["netns", "exec", netns, ...node], opts)
        : run(node[0], node.slice(1), opts);
}

describe("drift: plain SSH only on purpose", () => {
    it("refuses to connect over this machine's network without --identity, and says to use --lab for the emulated fabric", async () => {
        const r = await driftCli(["--stack", "dev"]);
        assert.strictEqual(r.code, DRIFT_EXIT.USAGE);
        assert.match(
            r.stderr,
            /without --lab, drift connects over this machine's network .*--identity \(for the emulated fabric, use --lab\)/,
        );
    });
});

describe("drift on the dev lab: one device edited by hand", function () {
    this.timeout(240_000);
    let up: LabUpResult;
    const labArgs = ["--lab", "--dir", labLocation(LOC).dir, "--prefix", LOC.prefix];

    before(async function () {
        requireCapability(this, isRoot && haveTools, WHY);
        await sweepStale("bd");
        up = await labUp({ ...LOC, stack: "dev", replace: true, wait: 90_000 });
    });

    after(async function () {
        if (!isRoot) return;
        await labDownLeavingNothing(LOC);
    });

    it("finds every device in sync right after lab up (exit 0)", async function () {
        const r = await driftInLab(undefined, undefined, LOC);
        assert.deepStrictEqual(
            r.results
                .filter((x) => x.status !== "in-sync")
                .map((x) => `${x.device}: ${x.status} ${x.message ?? ""}`),
            [],
        );
        assert.strictEqual(
            r.results.length,
            up.plan.devices.filter((d) => d.role !== "external").length,
        );
        assert.strictEqual(driftExitCode(r.results), 0);
        console.log(
            `      ${r.results.length} devices in sync; slowest check ${Math.max(...r.results.map((x) => x.ms))} ms`,
        );
    });

    it("reports the hand-edited leaf's changed lines, every other device in sync, exit 2 (npm run drift -- --lab)", async function () {
        const edit = await labExec(
            "leaf1",
            [
                "vtysh",
                "-c",
                "conf t",
                "-c",
                "router bgp 65101",
                "-c",
                "neighbor swp1 shutdown",
                "-c",
                "exit",
                "-c",
                "ip prefix-list HAND-EDIT seq 5 permit 192.0.2.0/24",
            ],
            LOC,
        );
        assert.strictEqual(edit.code, 0, edit.stderr + edit.stdout);
        const r = await driftCli([...labArgs, "--stack", "dev"]);
        console.log(r.stdout.replace(/^/gm, "      | "));
        assert.strictEqual(r.code, DRIFT_EXIT.DRIFT, r.stderr);
        assert.match(
            r.stdout,
            /^leaf1 +leaf +root@10\.10\.0\.21:22 +DRIFT +1 to delete, 1 to add$/m,
        );
        assert.match(
            r.stdout,
            /^ {2}Lines To Delete\n {4}router bgp 65101\n {5}no neighbor swp1 shutdown\n {2}Lines To Add\n {4}no ip prefix-list HAND-EDIT seq 5 permit 192\.0\.2\.0\/24$/m,
        );
        for (const d of up.plan.devices.filter(
            (x) => x.role !== "external" && x.name !== "leaf1",
        )) {
            assert.match(
                r.stdout,
                new RegExp(`^${d.name} +${d.role} +\\S+ +in sync$`, "m"),
                `${d.name} is not reported in sync`,
            );
        }
        assert.match(r.stdout, /^drift: 14 device\(s\) checked: 13 in sync, 1 drift \(leaf1\)$/m);
    });

    it("gives the same verdict over plain SSH (no --lab) with --identity, from inside the management namespace", async function () {
        const info = labSshConfig(LOC);
        const r = await driftCli(
            [
                "--stack",
                "dev",
                "--identity",
                info.privateKeyPath,
                "--known-hosts",
                info.knownHostsPath,
                "--json",
            ],
            info.netns,
        );
        assert.strictEqual(r.code, DRIFT_EXIT.DRIFT, r.stderr + r.stdout);
        const json = JSON.parse(r.stdout);
        assert.strictEqual(json.mode, "ssh");
        const drifted = json.devices.filter((d: { status: string }) => d.status !== "in-sync");
        assert.deepStrictEqual(
            drifted.map((d: { device: string; toDelete: string[] }) => [d.device, d.toDelete]),
            [["leaf1", ["router bgp 65101\n no neighbor swp1 shutdown"]]],
        );
    });

    it("--restore re-runs the drifted device's safe-apply script (what its Pulumi command runs): it reloads, and drift finds it in sync (exit 0)", async function () {
        const r = await driftCli([...labArgs, "--restore"]);
        console.log(r.stdout.replace(/^/gm, "      | "));
        assert.strictEqual(r.code, DRIFT_EXIT.IN_SYNC, r.stderr + r.stdout);
        // The script saw the running config differ from the intended one, so it reloaded (no "unchanged" shortcut).
        assert.match(
            r.stdout,
            /^restore: re-applying leaf1 with the safe-apply script their Pulumi command runs$/m,
        );
        assert.match(
            r.stdout,
            /^ {2}leaf1: reload: .*Executed "router bgp 65101 {2}no neighbor swp1 shutdown"$/m,
        );
        assert.match(r.stdout, /^ {2}leaf1: applied; all 5 BGP sessions Established$/m);
        assert.match(
            r.stdout,
            /^leaf1 +leaf +\S+ +in sync\n\ndrift: 1 device\(s\) checked: 1 in sync\n/m,
        );
        assert.doesNotMatch(
            await labExec("leaf1", ["vtysh", "-c", "show running-config"], LOC).then(
                (x) => x.stdout,
            ),
            /HAND-EDIT|neighbor swp1 shutdown/,
        );
        const all = await driftInLab(undefined, undefined, LOC);
        assert.deepStrictEqual(
            all.results.filter((x) => x.status !== "in-sync").map((x) => x.device),
            [],
        );
    });

    it("tells an unreachable device (its sshd stopped) from a drifted one (a node's router edited by hand): exit 3, each named", async function () {
        const edit = await labExec(
            "k8s1",
            [
                "vtysh",
                "-c",
                "conf t",
                "-c",
                "router bgp 4200000000",
                "-c",
                "neighbor eth2 shutdown",
            ],
            LOC,
        );
        assert.strictEqual(edit.code, 0, edit.stderr + edit.stdout);
        const st = readState(labLocation(LOC))!;
        const sshd = st.processes.find((p) => p.device === "leaf3" && p.what === "sshd")!;
        assert.ok(sshd && isAlive(sshd), "leaf3's sshd is recorded and running");
        process.kill(sshd.pid, "SIGTERM");
        for (let i = 0; i < 100 && procStart(sshd.pid) === sshd.start; i++)
            await new Promise((r) => setTimeout(r, 50));
        const r = await driftCli(labArgs);
        console.log(r.stdout.replace(/^/gm, "      | "));
        assert.strictEqual(r.code, DRIFT_EXIT.UNCHECKED, r.stderr);
        assert.match(
            r.stdout,
            /^leaf3 +leaf +root@10\.10\.0\.23:22 +UNREACHABLE +ssh: connect to host 10\.10\.0\.23 port 22: Connection refused$/m,
        );
        assert.match(r.stdout, /^k8s1 +node +\S+ +DRIFT +1 to delete, 0 to add$/m);
        assert.match(r.stdout, /^ {4}router bgp 4200000000\n {5}no neighbor eth2 shutdown$/m);
        assert.match(
            r.stdout,
            /^drift: 14 device\(s\) checked: 12 in sync, 1 drift \(k8s1\), 1 unreachable \(leaf3\)$/m,
        );
    });
});
