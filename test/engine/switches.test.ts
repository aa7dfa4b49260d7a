// The switch half through the real Pulumi engine, against a lab brought up
// empty (`lab up --empty`): cli/engine.ts runs the dev stack from the lab's
// management namespace, with what `lab stack-config` hands it (the lab's SSH
// key as a secret, every host key pinned, the render directory), and the lab
// plays the router DaemonSet from what `pulumi up` rendered.
//
//   from empty   `up` applies every switch (day one: server sessions wait for
//                the node routers), the DaemonSet delivers each node's key,
//                every planned session is Established
//   no-op        a second `up` changes nothing and reloads no device
//   one leaf     a one-leaf ASN change previews as exactly that device, each
//                changed line once
//   rejected     FRR's parser refuses leaf1's candidate: `up` fails naming
//                leaf1 with FRR's text first; the other switches apply; the
//                re-run (parser fixed) applies leaf1 alone
//   unreachable  leaf3's sshd stopped: only leaf3 fails; after recovery the
//                re-run updates leaf3 alone
//   killed       the engine SIGKILLed mid-apply (its process group), then a
//                re-run converges
//   destroy      every switch back to the config found before bgp-fabric
//
// Needs the command 1.2.1 plugin (one line and a skip without it, see
// test/lab/engine-lab.ts) and the kubernetes plugin (test/support/engine.ts).

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    labDaemonSet,
    labDown,
    labExec,
    labStackConfig,
    labStatus,
    labUp,
    missingSessions,
    waitEstablished,
} from "../../lab";
import { labLocation } from "../../lab/env";
import { startSshd } from "../../lab/sshd";
import { isAlive, procStart, readState, writeState } from "../../lab/state";
import { processLocation, sweepStale } from "../../lab/teardown";
import { ROOT } from "../support/fixtures";
import { engineMissing } from "../support/engine";
import { isRoot, requireCapability } from "../support/skip";
import {
    LabEngineRun,
    pulumiStackCli,
    runEngineInLab,
    skipWithoutCommandPlugin,
    staleLocks,
} from "../lab/engine-lab";

const LOC = processLocation("l13");
const SWITCHES = ["spine1", "spine2", "leaf1", "leaf2", "leaf3", "leaf4"];
const CONVERGE = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Print real output for docs/lab.md. */
const show = (what: string, text: string) =>
    process.env.SHOW_OUTPUT && console.log(`\n----- ${what}\n${text}`);

describe("engine: the switch half against the lab (pulumi up from the management namespace)", function () {
    this.timeout(20 * 60_000);
    let base: LabEngineRun;
    let labUpNow = false;

    const running = async (d: string) =>
        (await labExec(d, ["vtysh", "-c", "show running-config"], LOC)).stdout;
    const engine = (op: "up" | "preview" | "destroy", extra: Partial<LabEngineRun> = {}) =>
        runEngineInLab(labLocation(LOC), op, {
            ...base,
            ...extra,
            set: { ...base.set, ...(extra.set ?? {}) },
        });
    const changed = (r: { report?: { steps: { op: string; name: string }[] } }) =>
        (r.report?.steps ?? [])
            .filter((s) => s.op !== "same")
            .map((s) => `${s.op} ${s.name}`)
            .sort();
    /** When each switch last took a backup: the safe-apply script writes one before every reload, never otherwise. */
    const backups = async () =>
        Object.fromEntries(
            await Promise.all(
                SWITCHES.map(async (s) => [
                    s,
                    (
                        await labExec(
                            s,
                            ["stat", "-c", "%Y.%Z", "/var/lib/bgp-fabric/backup/running.conf"],
                            LOC,
                        )
                    ).stdout.trim(),
                ]),
            ),
        );

    before(async function () {
        requireCapability(this, isRoot, "the lab needs root");
        skipWithoutCommandPlugin(this);
        const missing = engineMissing();
        requireCapability(this, missing === undefined, `the real engine needs ${missing}`);
        await sweepStale("l13");
        const t0 = Date.now();
        await labUp({ ...LOC, stack: "dev", empty: true });
        labUpNow = true;
        console.log(`      lab up --empty: ${Date.now() - t0} ms`);
        const sc = labStackConfig(LOC);
        const work = path.join(LOC.dir, "engine");
        base = {
            config: path.join(ROOT, "Pulumi.dev.yaml"),
            work,
            set: {
                ...sc.set,
                "fabric:apply.convergeTimeout": CONVERGE,
                "fabric:apply.confirmWindow": 2 * CONVERGE + 10,
            },
            secretFiles: sc.secretFiles,
        };
    });

    after(async function () {
        this.timeout(120_000);
        if (labUpNow) await labDown(LOC);
    });

    it("starts empty: every switch and node router runs no BGP at all", async () => {
        for (const d of [...SWITCHES, "k8s1", "k8s8"])
            assert.doesNotMatch(await running(d), /^router bgp/m, d);
    });

    it("up from empty converges: the switches apply (server sessions wait), the DaemonSet delivers every node's key, every session Established", async () => {
        const r = await engine("up");
        show("first up", r.report?.stdout ?? r.stdout);
        assert.ok(r.report?.ok, r.report?.error ?? r.stderr);
        console.log(
            `      up from empty: ${r.report!.seconds} s, ${JSON.stringify(r.report!.summary)}`,
        );
        for (const s of SWITCHES)
            for (const step of [`create dev-${s}-config`, `create dev-${s}-confirm`])
                assert.ok(changed(r).includes(step), `${s}: ${changed(r)}`);
        // Day one (apply.rollout auto, no switch recorded yet): every switch at once — each
        // config is being created before the first one is done — not wave after wave.
        const out = r.report!.stdout.split("\n");
        const firstCreated = out.findIndex((l) => /dev-\w+-config created/.test(l));
        for (const s of SWITCHES) {
            const creating = out.findIndex((l) => l.includes(`dev-${s}-config creating`));
            assert.ok(
                creating >= 0 && creating < firstCreated,
                `${s}: started before any switch was done`,
            );
        }
        assert.match(
            r.report!.stdout,
            /spine1: applied; (all 5|\d of 5) BGP sessions Established/,
            "whether spine1's leafs are up by then depends on timing: at once, nobody waits for them",
        );
        assert.match(r.report!.stdout, /spine1: confirmed over a new SSH connection/);
        // What the next up reads: every switch applied, so from now on the waves.
        assert.deepStrictEqual(r.report!.outputs.appliedSwitches, [...SWITCHES].sort());
        // Day one on a leaf: the fabric is up, the nodes' sessions wait for their routers.
        assert.match(
            r.report!.stdout,
            /leaf1: applied; 2 of 5 BGP sessions Established, 3 waiting for their node's router \(not a failure\): swp1 \(k8s1\), swp2 \(k8s2\), swp3 \(k8s3\)/,
        );
        const t0 = Date.now();
        const ds = await labDaemonSet(LOC);
        assert.deepStrictEqual(ds.started.sort(), [
            "k8s1",
            "k8s2",
            "k8s3",
            "k8s4",
            "k8s5",
            "k8s6",
            "k8s7",
            "k8s8",
        ]);
        assert.match(ds.init.k8s1, /k8s1\.conf/);
        await waitEstablished(60_000, { ...LOC, speakers: false });
        console.log(
            `      DaemonSet delivered, every session Established in ${Date.now() - t0} ms`,
        );
        assert.deepStrictEqual(missingSessions(await labStatus(LOC)), []);
        // What runs on a node is exactly its key of the rendered ConfigMap.
        const key = fs.readFileSync(path.join(LOC.dir, "daemonset", "config", "k8s5.conf"), "utf8");
        assert.strictEqual((await labExec("k8s5", ["cat", "/etc/frr/frr.conf"], LOC)).stdout, key);
        assert.match(await running("k8s5"), /^router bgp 4200000004$/m);
    });

    it("a second up changes nothing and reloads no device", async () => {
        const before = await backups();
        const r = await engine("up");
        assert.ok(r.report?.ok, r.report?.error);
        assert.deepStrictEqual(changed(r), []);
        // "read": the stack's reference to its own last outputs (apply.rollout auto).
        assert.deepStrictEqual(
            Object.keys(r.report!.summary).filter((k) => k !== "same" && k !== "read"),
            [],
        );
        console.log(`      no-op up: ${r.report!.seconds} s, ${JSON.stringify(r.report!.summary)}`);
        assert.deepStrictEqual(
            await backups(),
            before,
            "no device took a backup, so none was reloaded",
        );
    });

    it("a stack written before devices were named <fabric>-<device> previews with no change (aliases)", async () => {
        // The state as the earlier naming wrote it: `leaf2`, `leaf2-config`, `k8s3-setup`, … with no `dev-` prefix.
        const { stack } = pulumiStackCli(base.work);
        const exported = stack(["export"]);
        const old = exported.replace(/::dev-((?:spine|leaf|k8s)\d+(?:-config|-setup)?)"/g, '::$1"');
        assert.notStrictEqual(old, exported);
        const file = path.join(base.work, "old-names.json");
        fs.writeFileSync(file, old);
        stack(["import", "--file", file]);
        const r = await engine("preview");
        assert.ok(r.report?.ok, r.report?.error);
        assert.deepStrictEqual(
            changed(r),
            [],
            "nothing is created, replaced or deleted: every old URN is an alias of its new one",
        );
    });

    it("a one-leaf ASN change previews as exactly that device, each changed line once", async () => {
        const r = await engine("preview", { diff: true, set: { "fabric:leafs[1].asn": 65202 } });
        assert.ok(r.report?.ok, r.report?.error);
        show("one-leaf preview --diff", r.report!.stdout);
        console.log(`      one-leaf preview: ${r.report!.seconds} s`);
        const switchSteps = changed(r).filter((s) => /-(config|confirm)$/.test(s));
        assert.deepStrictEqual(switchSteps, [
            "update dev-leaf2-config",
            "update dev-leaf2-confirm",
        ]);
        const out = r.report!.stdout;
        assert.strictEqual(
            out
                .split("\n")
                .filter(
                    (l) =>
                        /^\s*[-~]\s*router bgp 65102\s*$/.test(l) ||
                        /^\s*-\s+router bgp 65102/.test(l),
                ).length,
            1,
            out,
        );
        assert.strictEqual(
            out.split("\n").filter((l) => /^\s*\+\s+router bgp 65202/.test(l)).length,
            1,
            out,
        );
        assert.doesNotMatch(out, /bash -s apply/, "the command lines did not change");
    });

    it("FRR rejects leaf1's config: up fails naming leaf1 with FRR's text first, the earlier waves apply, the later waves are untouched; fixed, the re-run applies the rest", async () => {
        // leaf1's sessions get a vtysh whose dry run sees one line FRR's parser refuses (the real parser, the real message).
        const loc = labLocation(LOC);
        const wrapper = path.join(LOC.dir, "dev", "leaf1", "reject-vtysh");
        fs.writeFileSync(
            wrapper,
            '#!/bin/bash\nif [ "$1" = --dryrun ] && [ "$2" = -f ]; then t=$(mktemp); sed \'/^router bgp /a\\ neighbor swp51 frobnicate\' "$3" > "$t"; vtysh --dryrun -f "$t"; rc=$?; rm -f "$t"; exit $rc; fi\nexec vtysh "$@"\n',
            { mode: 0o755 },
        );
        await restartSshd(loc, "leaf1", [`SetEnv VTYSH=${wrapper}`]);
        const before = await running("leaf1");
        const later = {
            leaf2: await running("leaf2"),
            leaf3: await running("leaf3"),
            leaf4: await running("leaf4"),
        };
        let r;
        try {
            r = await engine("up", { set: { "fabric:bgp.maximumPaths": 32 } });
        } finally {
            await restartSshd(loc, "leaf1", []);
        }
        show("up with leaf1 rejected", r.report?.error ?? r.stderr);
        assert.strictEqual(r.report?.ok, false);
        const err = r.report!.error;
        assert.deepStrictEqual(failedResources(err), ["dev-leaf1-config"], "only leaf1 failed");
        assert.match(
            err,
            /dev-leaf1-config[\s\S]*Process exited with status 3: running "bash -s apply":\n\s*leaf1: FRR rejected the new configuration; nothing was changed:\n\s*leaf1: \| line \d+: % Unknown command\[\d+\]:\s+neighbor swp51 frobnicate/,
        );
        assert.doesNotMatch(
            err,
            /BGP_FABRIC_FRR_CONF|#!\/bin\/bash/,
            "the script is not in the error",
        );
        assert.strictEqual(await running("leaf1"), before, "leaf1 unchanged");
        // Waves (apply.waveSize 1): spine1, spine2, leaf1, leaf2, leaf3, leaf4 (plan/waves.ts).
        for (const s of ["spine1", "spine2"])
            assert.match(await running(s), /^ {2}maximum-paths 32$/m, s);
        for (const [s, text] of Object.entries(later))
            assert.strictEqual(await running(s), text, `${s} (a later wave) was not touched`);

        const again = await engine("up", { set: { "fabric:bgp.maximumPaths": 32 } });
        assert.ok(again.report?.ok, again.report?.error);
        assert.deepStrictEqual(
            changed(again).filter((s) => /-config$/.test(s)),
            [
                "update dev-leaf1-config",
                "update dev-leaf2-config",
                "update dev-leaf3-config",
                "update dev-leaf4-config",
            ],
        );
        for (const s of SWITCHES) assert.match(await running(s), /^ {2}maximum-paths 32$/m, s);
    });

    it("an unreachable leaf fails alone and stops the rollout before the next wave; after recovery the re-run updates it and the later wave", async () => {
        const loc = labLocation(LOC);
        const st = readState(loc)!;
        const sshd = st.processes.find(
            (p) => p.device === "leaf3" && p.what === "sshd" && isAlive(p),
        )!;
        process.kill(sshd.pid, "SIGTERM");
        for (let i = 0; i < 100 && procStart(sshd.pid) === sshd.start; i++) await sleep(50);
        const set = { "fabric:bgp.maximumPaths": 16 };
        const later = { leaf4: await running("leaf4") };
        let r;
        try {
            r = await engine("up", { set });
        } finally {
            await restartSshd(loc, "leaf3", []);
        }
        show("up with leaf3 unreachable", r.report?.error ?? r.stderr);
        assert.strictEqual(r.report?.ok, false);
        assert.match(
            r.report!.error,
            /dev-leaf3-config[\s\S]*dial tcp 10\.10\.0\.23:22: connect: connection refused/,
        );
        assert.deepStrictEqual(
            failedResources(r.report!.error),
            ["dev-leaf3-config"],
            "only leaf3 failed",
        );
        for (const s of ["spine1", "spine2", "leaf1", "leaf2"])
            assert.match(await running(s), /^ {2}maximum-paths 16$/m, s);
        for (const [s, text] of Object.entries(later))
            assert.strictEqual(await running(s), text, `${s} (a later wave) was not touched`);
        const again = await engine("up", { set });
        assert.ok(again.report?.ok, again.report?.error);
        assert.deepStrictEqual(
            changed(again).filter((s) => /-config$/.test(s)),
            ["update dev-leaf3-config", "update dev-leaf4-config"],
        );
        for (const s of SWITCHES) assert.match(await running(s), /^ {2}maximum-paths 16$/m, s);
    });

    it("an up killed mid-apply (the engine's process group, SIGKILL), then a re-run, converges", async () => {
        const set = { "fabric:bgp.maximumPaths": 8 };
        // Killed once leaf1 has reloaded the new config, while the scripts wait for convergence.
        const r = await engine("up", {
            set,
            killWhen: async () => /^ {2}maximum-paths 8$/m.test(await running("leaf1")),
        });
        assert.ok(r.killed, "the engine was killed mid-apply");
        // A killed engine leaves the file backend locked, as `pulumi up` then says; remove the lock as a user would.
        for (const f of staleLocks(base.work)) fs.rmSync(f);
        const again = await engine("up", { set });
        show("re-run after the kill", again.report?.stdout ?? again.stderr);
        assert.ok(again.report?.ok, again.report?.error);
        for (const s of SWITCHES) assert.match(await running(s), /^ {2}maximum-paths 8$/m, s);
        await waitEstablished(60_000, { ...LOC, speakers: false });
        const noop = await engine("up", { set });
        assert.ok(noop.report?.ok, noop.report?.error);
        assert.deepStrictEqual(changed(noop), [], "converged: nothing left to do");
    });

    it("destroy hands every switch back as it was found (empty)", async () => {
        const r = await engine("destroy", { set: { "fabric:bgp.maximumPaths": 8 } });
        assert.ok(r.report?.ok, r.report?.error);
        console.log(`      destroy: ${r.report!.seconds} s, ${JSON.stringify(r.report!.summary)}`);
        for (const s of SWITCHES) {
            assert.doesNotMatch(await running(s), /^router bgp/m, s);
            assert.strictEqual(
                (await labExec(s, ["test", "-e", "/etc/frr/frr.conf.pre-bgp-fabric"], LOC)).code,
                1,
                `${s}: snapshot removed`,
            );
        }
    });
});

/** The resources the engine reports as failed (`**updating failed**`, `**creating failed**`). */
function failedResources(text: string): string[] {
    return [
        ...new Set(
            [
                ...text.matchAll(
                    /command:remote:Command (\S+) \*\*(?:updating|creating) failed\*\*/g,
                ),
            ].map((m) => m[1]),
        ),
    ].sort();
}

async function restartSshd(
    loc: ReturnType<typeof labLocation>,
    device: string,
    extra: string[],
): Promise<void> {
    const st = readState(loc)!;
    const old = st.processes.find((p) => p.device === device && p.what === "sshd" && isAlive(p));
    if (old) {
        process.kill(old.pid, "SIGTERM");
        for (let i = 0; i < 100 && procStart(old.pid) === old.start; i++) await sleep(50);
    }
    const { labInfo } = await import("../../lab");
    const d = labInfo(LOC).plan.devices.find((x) => x.name === device)!;
    const p = await startSshd(loc, st.devices[device].holder!.pid, d, extra);
    const st2 = readState(loc)!;
    st2.processes.push(p);
    writeState(loc, st2);
}
