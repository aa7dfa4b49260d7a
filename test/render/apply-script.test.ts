// The safe-apply script: it carries the config verbatim, and run with bash
// against stand-ins for vtysh and frr-reload.py (through its path variables)
// it keeps the promise "never worse than before": a rejected config changes
// nothing, a change that breaks a working session is rolled back, one that
// only fails to bring up sessions that were already down is kept but
// reported. Where root can unshare, the same script also runs against live
// FRR daemons with the real vtysh and frr-reload.py.

import assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { planFabric } from "../../plan";
import {
    expectedSessions,
    renderApplyScript,
    renderConfirmScript,
    renderDeleteScript,
} from "../../render/apply-script";
import { switchScripts } from "../../render/device";
import { renderSwitchFrr } from "../../render/frr-switch";
import { devConfig, exampleConfig } from "../support/fixtures";
import { canUnshare, frrSandbox, haveVtysh } from "../support/frr";
import { requireCapability } from "../support/skip";
import {
    Device,
    bgpJson as bgpJson2,
    removeDevice,
    runScript,
    scratchDevice,
} from "../support/apply-device";
import { APPLY_EXIT } from "../../render/exit-codes";

const plan = planFabric(devConfig());
const NEW = renderSwitchFrr(plan, "leaf1");
const OLD = "frr version 8.4\nhostname leaf1\n! the configuration before\n";
const SESSIONS = expectedSessions(plan, "leaf1");

const bgpJson = (established: string[]) =>
    bgpJson2(
        SESSIONS.map((s) => s.key),
        established,
    );
const ALL = SESSIONS.map((s) => s.key);
const device = (files: Record<string, string> = {}): Device => scratchDevice(OLD, files);
const run = (script: string, dev: Device, extraEnv: Record<string, string> = {}) =>
    runScript(script, dev, extraEnv);

const confirmScript = (frr = NEW) => renderConfirmScript({ device: "leaf1", platform: "frr", frr });
const applyScript = (frr = NEW, platform: "frr" | "cumulus" = "frr") =>
    renderApplyScript({
        device: "leaf1",
        platform,
        frr,
        sessions: SESSIONS,
        timeoutSeconds: 60,
        confirmWindowSeconds: 120,
        interfaces: platform === "cumulus" ? "auto lo\n" : undefined,
    });

describe("render: apply script (safe apply)", () => {
    const made: Device[] = [];
    const fresh = (files?: Record<string, string>) => {
        const d = device(files);
        made.push(d);
        return d;
    };
    after(() => made.forEach(removeDevice));

    it("carries the rendered frr.conf verbatim in a quoted heredoc, and the expected sessions", () => {
        const s = applyScript();
        assert.ok(
            s.includes(
                `cat > "$STAGE/frr.conf" <<'BGP_FABRIC_FRR_CONF'\n${NEW}BGP_FABRIC_FRR_CONF\n`,
            ),
        );
        for (const x of SESSIONS)
            assert.ok(s.includes(`  "${x.key} ${x.peer}${x.server ? " server" : ""}"\n`));
        assert.deepStrictEqual(
            SESSIONS.filter((x) => x.server).map((x) => x.key),
            ["swp1", "swp2", "swp3"],
            "a leaf's sessions with nodes are server sessions",
        );
        assert.match(s, /^FRR_CONF="\$\{FRR_CONF:-\/etc\/frr\/frr.conf\}"$/m);
        assert.match(s, /^VTYSH="\$\{VTYSH:-vtysh\}"$/m);
        assert.match(s, /^RELOAD="\$\{RELOAD:-\/usr\/lib\/frr\/frr-reload.py\}"$/m);
        assert.match(s, /^TIMEOUT="\$\{TIMEOUT:-60\}"$/m);
        assert.strictEqual(spawnSync("bash", ["-n"], { input: s }).status, 0, "bash can parse it");
        const cumulus = switchScripts(planFabric(exampleConfig("ref1")), "leaf1")!.apply;
        assert.match(cumulus, /<<'BGP_FABRIC_INTERFACES'\n# leaf1: \/etc\/network\/interfaces/);
        assert.throws(() => applyScript(`${NEW}BGP_FABRIC_FRR_CONF\n`), /heredoc delimiter/);
    });

    it("BGP passwords per session: a switch's own never reaches a router that is not ours; an external router's is declared on it", () => {
        const pw = (frr: string) =>
            frr
                .split("\n")
                .filter((l) => / password /.test(l))
                .map((l) => l.trim());
        // spine1's password: its four leaf sessions (both ends), not its session with border1.
        const spine = pw(
            switchScripts(plan, "spine1", { passwords: { spine1: "fabric-pw" } })!.apply,
        );
        assert.deepStrictEqual(spine, [
            "neighbor swp1 password fabric-pw",
            "neighbor swp2 password fabric-pw",
            "neighbor swp3 password fabric-pw",
            "neighbor swp4 password fabric-pw",
        ]);
        assert.deepStrictEqual(
            pw(switchScripts(plan, "leaf1", { passwords: { spine1: "fabric-pw" } })!.apply),
            ["neighbor swp51 password fabric-pw"],
        );
        // border1's password (externalRouters[].bgpPassword): exactly its sessions, on both spines.
        for (const s of ["spine1", "spine2"]) {
            const lines = pw(
                switchScripts(plan, s, { passwords: { border1: "upstream-pw" } })!.apply,
            );
            assert.strictEqual(lines.length, 1, `${s}: ${lines}`);
            assert.match(lines[0], /^neighbor 172\.16\.254\.\d+ password upstream-pw$/);
        }
        // A managed: false leaf keeps its own sessions unprotected unless its entry declares a password.
        const c = devConfig();
        c.leafs[3] = { name: "leaf4", managed: false, asn: 65199 };
        const p2 = planFabric(c);
        assert.ok(
            !pw(switchScripts(p2, "spine1", { passwords: { spine1: "fabric-pw" } })!.apply).some(
                (l) => l.startsWith("neighbor swp4 "),
            ),
            "spine1's password does not extend to the unmanaged leaf4",
        );
        assert.ok(
            pw(switchScripts(p2, "spine1", { passwords: { leaf4: "theirs" } })!.apply).includes(
                "neighbor swp4 password theirs",
            ),
        );
    });

    it("a config FRR's parser rejects: exit 3, FRR's own words prefixed with the device, nothing changed", function () {
        requireCapability(this, haveVtysh(), "vtysh (FRR 8.4) is not installed");
        const dev = fresh({ "bgp.json": bgpJson(ALL) });
        const bad = NEW.replace(
            " bgp bestpath as-path multipath-relax",
            " bgp bestpath as-path multipath-relaxed",
        );
        // The real vtysh does the dry run: no daemon is needed for it.
        const r = run(applyScript(bad), dev, { VTYSH: "vtysh" });
        assert.strictEqual(r.status, APPLY_EXIT.REJECTED, r.stderr);
        assert.match(
            r.stderr,
            /^leaf1: FRR rejected the new configuration; nothing was changed:$/m,
        );
        const line = bad.split("\n").indexOf(" bgp bestpath as-path multipath-relaxed") + 1;
        assert.match(
            r.stderr,
            new RegExp(
                `^leaf1: \\| line ${line}: % Unknown command\\[\\d+\\]:\\s+bgp bestpath as-path multipath-relaxed$`,
                "m",
            ),
        );
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD, "FRR_CONF untouched");
        assert.strictEqual(dev.read("stub/reload.log"), undefined, "no reload");
        assert.strictEqual(
            dev.read("etc/frr.conf.pre-bgp-fabric"),
            undefined,
            "no snapshot either",
        );
    });

    it("the same with the stand-in vtysh: exit 3, the message quoted, FRR_CONF untouched", () => {
        const dev = fresh();
        const r = run(applyScript(`${NEW}BAD LINE\n`), dev);
        assert.strictEqual(r.status, APPLY_EXIT.REJECTED);
        assert.match(
            r.stderr,
            new RegExp(
                `^leaf1: \\| line ${NEW.split("\n").length}: % Unknown command\\[25\\]: BAD LINE$`,
                "m",
            ),
        );
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD);
        assert.strictEqual(dev.read("stub/reload.log"), undefined);
    });

    it("all sessions up after the reload: exit 0, config installed, backup and first-apply snapshot kept", () => {
        const dev = fresh({ "bgp.json": bgpJson(ALL) });
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^leaf1: applied; all 5 BGP sessions Established$/m);
        assert.match(r.stdout, /^leaf1: reload: Executed "stub change 1"$/m);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW);
        assert.strictEqual(dev.read("etc/frr.conf.pre-bgp-fabric"), OLD);
        assert.strictEqual(dev.read("state/backup/frr.conf"), OLD);
        assert.strictEqual(
            dev.read("state/backup/running.conf"),
            OLD,
            "show running-config without vtysh's banner",
        );
        assert.strictEqual(dev.read("stub/reload.log"), `--reload --stdout ${dev.conf}\n`);
        // A second apply keeps the first snapshot: destroy goes back to before bgp-fabric, not to the last apply.
        const again = run(applyScript(NEW.replace("maximum-paths 64", "maximum-paths 32")), dev);
        assert.strictEqual(again.status, 0, again.stderr);
        assert.strictEqual(dev.read("etc/frr.conf.pre-bgp-fabric"), OLD);
        assert.strictEqual(dev.read("state/backup/frr.conf"), NEW);
    });

    it("a session that was up goes down: rollback to the backup, exit 4 naming the device and the broken sessions", () => {
        const dev = fresh({
            "bgp.json": bgpJson(["swp51", "swp52", "swp1"]),
            "bgp-after-1.json": bgpJson(["swp52", "swp1"]),
            "bgp-after-2.json": bgpJson(["swp51", "swp52", "swp1"]),
        });
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, APPLY_EXIT.ROLLED_BACK, r.stderr);
        assert.match(
            r.stderr,
            /^leaf1: sessions Established before the change are down after 2s: swp51 \(spine1\)$/m,
        );
        assert.match(
            r.stderr,
            /^leaf1: rolled back to the previous configuration \(the sessions that were up are up again\)$/m,
        );
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD, "the file is back");
        const reloads = dev.read("stub/reload.log")!.trim().split("\n");
        assert.deepStrictEqual(reloads, [
            `--reload --stdout ${dev.conf}`,
            `--reload --stdout ${path.join(dev.dir, "state/backup/running.conf")}`,
        ]);
        assert.strictEqual(
            dev.read("stub/running.conf"),
            OLD,
            "FRR runs the saved running config again",
        );
    });

    it("only sessions that were already down stay down: the config is kept, exit 5 says so and names them", () => {
        const dev = fresh({
            "bgp.json": bgpJson(["swp52", "swp1"]),
            "bgp-after-1.json": bgpJson(["swp52", "swp1"]),
        });
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, APPLY_EXIT.SESSIONS_DOWN, r.stderr);
        assert.match(
            r.stderr,
            /^leaf1: the new configuration was kept \(no session that was up went down\), but these sessions did not come up within 2s: swp51 \(spine1\)$/m,
        );
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW);
        assert.strictEqual(
            dev.read("stub/reload.log")!.trim().split("\n").length,
            1,
            "no rollback",
        );
    });

    it("day one: server sessions whose node has no router yet are waiting, not failed (exit 0 once the fabric is up)", () => {
        // Empty device: nothing up before; after the reload both spines answer, no node does.
        const dev = fresh({ "bgp-after-1.json": bgpJson(["swp51", "swp52", "swp2"]) });
        const t0 = Date.now();
        const r = run(applyScript(), dev, { TIMEOUT: "20" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(
            r.stdout,
            /^leaf1: applied; 3 of 5 BGP sessions Established, 2 waiting for their node's router \(not a failure\): swp1 \(k8s1\), swp3 \(k8s3\)$/m,
        );
        assert.ok(Date.now() - t0 < 10_000, "it does not wait the convergeTimeout for the nodes");
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW);
        // Unchanged re-run: the same, without a reload.
        const again = run(applyScript(), dev, { TIMEOUT: "20" });
        assert.strictEqual(again.status, 0, again.stderr);
        assert.match(
            again.stdout,
            /^leaf1: unchanged: the running configuration already is the intended one; 3 of 5 BGP sessions Established, 2 waiting for their node's router \(not a failure\): swp1 \(k8s1\), swp3 \(k8s3\)$/m,
        );
        assert.strictEqual(
            dev.read("stub/reload.log")!.trim().split("\n").length,
            1,
            "no second reload",
        );
    });

    it("day one does not excuse the fabric: a fabric session that never comes up is still exit 5", () => {
        const dev = fresh({ "bgp-after-1.json": bgpJson(["swp51"]) });
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, APPLY_EXIT.SESSIONS_DOWN, r.stderr);
        assert.match(r.stderr, /did not come up within 2s: swp52 \(spine2\)$/m);
        assert.doesNotMatch(
            r.stderr,
            /k8s/,
            "server sessions that were never up are not what failed",
        );
    });

    it("a server session that was up and breaks still rolls back (exit 4)", () => {
        const dev = fresh({
            "bgp.json": bgpJson(ALL),
            "bgp-after-1.json": bgpJson(["swp51", "swp52", "swp1", "swp3"]),
            "bgp-after-2.json": bgpJson(ALL),
        });
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, APPLY_EXIT.ROLLED_BACK, r.stderr);
        assert.match(
            r.stderr,
            /^leaf1: sessions Established before the change are down after 2s: swp2 \(k8s2\)$/m,
        );
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD);
    });

    it("one script for create, update and delete: `bash -s apply` applies it, `bash -s destroy` undoes only its own apply", () => {
        const dev = fresh({ "bgp.json": bgpJson(ALL) });
        const runArg = (script: string, arg: string) => {
            const r = spawnSync("bash", ["-s", arg], {
                input: script,
                env: dev.env,
                encoding: "utf8",
                timeout: 30_000,
            });
            return { status: r.status, stdout: r.stdout, stderr: r.stderr };
        };
        assert.strictEqual(runArg(applyScript(), "nonsense").status, APPLY_EXIT.USAGE);
        const a = runArg(applyScript(), "apply");
        assert.strictEqual(a.status, 0, a.stderr);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW);
        assert.strictEqual(runArg(confirmScript(), "").status, 0, "confirmed");
        // The delete of a resource whose config is no longer the installed one (a replacement) leaves it.
        const stale = runArg(
            applyScript(NEW.replace("maximum-paths 64", "maximum-paths 32")),
            "destroy",
        );
        assert.strictEqual(stale.status, 0, stale.stderr);
        assert.match(stale.stdout, /not the one this resource applied .*: left in place/);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW);
        const own = runArg(applyScript(), "destroy");
        assert.strictEqual(own.status, 0, own.stderr);
        assert.match(
            own.stdout,
            /^leaf1: restored the configuration found before bgp-fabric's first apply$/m,
        );
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD);
        assert.strictEqual(dev.read("state/candidate"), undefined, "nothing staged is left behind");
    });

    it("a reload that fails is rolled back too (FRR may be half-way)", () => {
        const dev = fresh({ "bgp.json": bgpJson(ALL), "fail-1": "" });
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, APPLY_EXIT.ROLLED_BACK, r.stderr);
        assert.match(r.stderr, /^leaf1: frr-reload.py failed to apply the new configuration$/m);
        assert.match(r.stderr, /^leaf1: \| frr-reload: vtysh failed to apply$/m);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD);
    });

    it("a failed restore says the device needs hands (exit 7)", () => {
        const dev = fresh({ "bgp.json": bgpJson(ALL), "fail-1": "", "fail-2": "" });
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, APPLY_EXIT.ROLLBACK_FAILED, r.stderr);
        assert.match(r.stderr, /^leaf1: ROLLBACK FAILED/m);
    });

    it("concurrent applies to one device are serialised with flock", async () => {
        const dev = fresh({ "bgp.json": bgpJson(ALL) });
        // Its own process group, so flock and its sleep are ended together, by that group's id.
        const holder = spawn("flock", [dev.env.LOCK_FILE!, "sleep", "20"], {
            stdio: "ignore",
            detached: true,
        });
        try {
            await new Promise((r) => setTimeout(r, 300));
            const r = run(applyScript(), dev, { LOCK_WAIT: "1" });
            assert.strictEqual(r.status, APPLY_EXIT.PRECONDITION);
            assert.match(r.stderr, /^leaf1: another bgp-fabric run holds .*lock \(waited 1 s\)$/m);
            assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD);
        } finally {
            process.kill(-holder.pid!, "SIGTERM");
            await new Promise((r) => holder.once("exit", r));
        }
        const r = run(applyScript(), dev);
        assert.strictEqual(r.status, 0, r.stderr);
    });

    it("destroy restores the config from before the first apply; a device never applied to is left alone", () => {
        const untouched = fresh();
        const none = run(renderDeleteScript({ device: "leaf1", platform: "frr" }), untouched);
        assert.strictEqual(none.status, 0);
        assert.match(none.stdout, /never applied a configuration here; nothing to restore/);
        assert.strictEqual(untouched.read("stub/reload.log"), undefined);

        const dev = fresh({ "bgp.json": bgpJson(ALL) });
        assert.strictEqual(run(applyScript(), dev).status, 0);
        const r = run(renderDeleteScript({ device: "leaf1", platform: "frr" }), dev);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD);
        assert.strictEqual(dev.read("stub/running.conf"), OLD);
        assert.strictEqual(dev.read("etc/frr.conf.pre-bgp-fabric"), undefined);
    });

    it("destroy undoes only its own apply: a config installed since (a replacement, a newer apply) is left in place", () => {
        const dev = fresh({ "bgp.json": bgpJson(ALL) });
        assert.strictEqual(run(applyScript(), dev).status, 0);
        // The resource being replaced applied another config than the one installed now.
        const stale = run(
            renderDeleteScript({ device: "leaf1", platform: "frr", appliedFrr: OLD }),
            dev,
        );
        assert.strictEqual(stale.status, 0, stale.stderr);
        assert.match(stale.stdout, /not the one this resource applied .*: left in place/);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), NEW);
        // The resource that installed what runs now restores the config from before bgp-fabric.
        const own = run(
            renderDeleteScript({ device: "leaf1", platform: "frr", appliedFrr: NEW }),
            dev,
        );
        assert.strictEqual(own.status, 0, own.stderr);
        assert.strictEqual(fs.readFileSync(dev.conf, "utf8"), OLD);
    });

    describe("against live FRR daemons (real vtysh and frr-reload.py)", function () {
        before(function () {
            requireCapability(
                this,
                canUnshare(),
                "root with unshare(1) is needed to run FRR daemons in a private namespace",
            );
        });

        it("apply (sessions cannot come up: kept, exit 5), a rejected config (exit 3), a reload FRR refuses (rolled back, exit 4), destroy", async function () {
            this.timeout(60_000);
            const ifaces = plan.devices
                .find((d) => d.name === "leaf1")!
                .interfaces.map((i) => i.name);
            const before =
                "frr version 8.4\nfrr defaults traditional\nhostname leaf1\nservice integrated-vtysh-config\n!\nip prefix-list BEFORE seq 5 permit 192.0.2.0/24\n!\n";
            const bad = NEW.replace(
                " bgp bestpath as-path multipath-relax",
                " bgp bestpath as-path multipath-relaxed",
            );
            // Parses (the dry run passes) but bgpd refuses it: frr-reload.py fails half-way.
            const refused = NEW.replace(
                " neighbor swp51 interface peer-group fabric",
                " neighbor swp51 interface peer-group no-such-group",
            ).replace("maximum-paths 64", "maximum-paths 32");
            const env =
                "export FRR_CONF=/etc/frr/frr.conf STATE_DIR=$W/state LOCK_FILE=$W/lock TIMEOUT=2 SETTLE=0 POLL_INTERVAL=0.5";
            const r = await frrSandbox({
                hostname: "leaf1",
                interfaces: ifaces,
                files: {
                    "etc/frr.conf": before,
                    "apply.sh": applyScript(),
                    "confirm.sh": confirmScript(),
                    "bad.sh": applyScript(bad),
                    "refused.sh": applyScript(refused),
                    "destroy.sh": renderDeleteScript({ device: "leaf1", platform: "frr" }),
                },
                script: [
                    env,
                    "bash apply.sh > apply.out 2> apply.err; echo $? > apply.status",
                    "bash confirm.sh > confirm.out 2>&1; echo $? > confirm.status",
                    "vtysh -c 'show running-config' > running-1.conf",
                    "bash bad.sh > bad.out 2> bad.err; echo $? > bad.status",
                    "vtysh -c 'show running-config' > running-2.conf",
                    "bash refused.sh > refused.out 2> refused.err; echo $? > refused.status",
                    "vtysh -c 'show running-config' > running-2b.conf",
                    "cp /etc/frr/frr.conf frr-2b.conf",
                    "bash destroy.sh > destroy.out 2> destroy.err; echo $? > destroy.status",
                    "vtysh -c 'show running-config' > running-3.conf",
                ].join("\n"),
            });
            assert.strictEqual(
                r.read("apply.status").trim(),
                String(APPLY_EXIT.SESSIONS_DOWN),
                r.read("apply.err") + r.read("apply.out"),
            );
            assert.strictEqual(r.read("confirm.status").trim(), "0", r.read("confirm.out"));
            assert.match(r.read("confirm.out"), /^leaf1: confirmed over a new SSH connection/m);
            // Day one: the nodes' sessions are not what fails; the spines' are.
            assert.match(
                r.read("apply.err"),
                /the new configuration was kept .* swp51 \(spine1\), swp52 \(spine2\)$/m,
            );
            const running1 = r.read("running-1.conf");
            for (const l of [
                "router bgp 65101",
                " neighbor swp51 interface peer-group fabric",
                "route-map FROM-k8s1 permit 10",
            ])
                assert.ok(running1.split("\n").includes(l), `running config lacks '${l}'`);
            assert.ok(!running1.includes("prefix-list BEFORE"), "the old config is gone");
            assert.strictEqual(
                r.read("etc/frr.conf.pre-bgp-fabric"),
                "",
                "destroy removed the snapshot",
            );

            assert.strictEqual(r.read("bad.status").trim(), String(APPLY_EXIT.REJECTED));
            assert.match(
                r.read("bad.err"),
                /^leaf1: \| line \d+: % Unknown command\[\d+\]:\s+bgp bestpath as-path multipath-relaxed$/m,
            );
            assert.strictEqual(
                r.read("running-2.conf"),
                running1,
                "a rejected config changes nothing",
            );

            assert.strictEqual(
                r.read("refused.status").trim(),
                String(APPLY_EXIT.ROLLED_BACK),
                r.read("refused.err"),
            );
            assert.match(
                r.read("refused.err"),
                /^leaf1: frr-reload.py failed to apply the new configuration$/m,
            );
            assert.match(
                r.read("refused.err"),
                /^leaf1: rolled back to the previous configuration/m,
            );
            assert.strictEqual(
                r.read("running-2b.conf"),
                running1,
                "the running config is back to the applied one",
            );
            assert.strictEqual(r.read("frr-2b.conf"), NEW, "and so is frr.conf");

            assert.strictEqual(r.read("destroy.status").trim(), "0", r.read("destroy.err"));
            const running3 = r.read("running-3.conf");
            assert.ok(
                running3.includes("ip prefix-list BEFORE seq 5 permit 192.0.2.0/24"),
                running3,
            );
            assert.ok(!running3.includes("router bgp"), "bgp-fabric's configuration is gone");
            assert.strictEqual(r.read("etc/frr.conf"), before, "frr.conf is the one from before");
        });
    });
});
