// The platform drivers (render/platforms/): one per platform, each script
// assembled for its platform at render time (no branch on the platform left
// in what a device runs), one golden apply and destroy script per platform,
// every emitted script and every bash source accepted by `bash -n` and
// shellcheck, and the fragments of Cumulus and SONiC run against stand-ins.

import assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FabricConfig, PLATFORMS, Platform, planFabric } from "../../plan";
import { frrConfOf } from "../../policy/frr-text";
import { remoteCheckCommand } from "../../drift";
import { HOOKS, renderApplyScript, renderDeleteScript } from "../../render/apply-script";
import { renderDevice, switchScripts } from "../../render/device";
import { APPLY_EXIT } from "../../render/exit-codes";
import { DRIVERS, driverFor } from "../../render/platforms";
import { fill, scriptSections, scriptsDir } from "../../render/script-source";
import {
    Device,
    bgpJson,
    ownLoopbacks,
    removeDevice,
    runScript,
    scratchDevice,
} from "../support/apply-device";
import { assertGolden } from "../support/golden";
import { requireCapability } from "../support/skip";

/** A small fabric whose switches all run `platform`: one spine, two leafs, a node on leaf1. */
function platformConfig(platform: Platform): FabricConfig {
    return {
        name: "platforms",
        spines: [{ name: "spine1", platform, mgmt: { host: "10.10.0.11" } }],
        leafs: [
            { name: "leaf1", platform, mgmt: { host: "10.10.0.21" } },
            { name: "leaf2", platform, mgmt: { host: "10.10.0.22" } },
        ],
        nodes: [{ name: "k8s1", uplinks: ["leaf1:swp1"], mgmt: { host: "10.10.0.101" } }],
    } as FabricConfig;
}

const scripts = (platform: Platform) =>
    switchScripts(planFabric(platformConfig(platform)), "leaf1")!;

const haveShellcheck = () =>
    spawnSync("shellcheck", ["--version"], { encoding: "utf8" }).status === 0;
const shellcheck = (args: string[], input?: string) =>
    spawnSync("shellcheck", args, { input, encoding: "utf8" });

describe("render: platform drivers", () => {
    it("one driver per platform, under its own name; anything else is refused by name", () => {
        assert.deepStrictEqual(Object.keys(DRIVERS).sort(), [...PLATFORMS].sort());
        for (const p of PLATFORMS) assert.strictEqual(driverFor(p).platform, p);
        assert.throws(
            () => driverFor("eos" as Platform),
            /no driver for platform "eos" \(known: frr, cumulus, sonic\)/,
        );
    });

    it("each platform's fragments fill only hooks the common scripts have, and each hook is in one of them", () => {
        const common = ["common.sh", "apply.sh", "destroy.sh"]
            .map((f) => fs.readFileSync(path.join(scriptsDir(), f), "utf8"))
            .join("\n");
        const hooks = [...common.matchAll(/^\s*# @hook (\S+)$/gm)].map((m) => m[1]);
        assert.deepStrictEqual(
            [...hooks].sort(),
            [...HOOKS].sort(),
            "HOOKS names every hook of the common scripts, once",
        );
        for (const d of Object.values(DRIVERS)) {
            if (!d.fragments) continue;
            for (const name of scriptSections(d.fragments).keys())
                assert.ok((HOOKS as readonly string[]).includes(name), `${d.fragments}: ${name}`);
        }
    });

    it("the plan's default cabling names ports as each switch's driver does", () => {
        for (const p of PLATFORMS) {
            const plan = planFabric(platformConfig(p));
            const ports = driverFor(p).ports;
            for (const s of plan.sessions.filter((x) => x.kind === "fabric")) {
                const [spine, leaf] = s.a.device.startsWith("spine") ? [s.a, s.b] : [s.b, s.a];
                const ordinal = (name: string) => Number(/(\d+)$/.exec(name)![1]);
                assert.strictEqual(
                    spine.interface,
                    ports.spineToLeaf(ordinal(leaf.device)),
                    `${p}: ${spine.device} to ${leaf.device}`,
                );
                assert.strictEqual(
                    leaf.interface,
                    ports.leafToSpine(ordinal(spine.device)),
                    `${p}: ${leaf.device} to ${spine.device}`,
                );
            }
        }
    });

    for (const p of PLATFORMS) {
        describe(p, () => {
            it(`the apply and destroy scripts match test/golden/platforms/${p}.{apply,destroy}.sh`, () => {
                const s = scripts(p);
                assertGolden(`platforms/${p}.apply.sh`, s.apply);
                assertGolden(`platforms/${p}.destroy.sh`, s.destroy);
            });

            it("no branch on the platform is left in what the device runs, and no placeholder", () => {
                const s = scripts(p);
                for (const text of [s.apply, s.destroy]) {
                    assert.doesNotMatch(text, /PLATFORM/);
                    assert.doesNotMatch(text, /@@|# @hook|# @section|^##|\$EXIT_/m);
                }
                const cumulusOnly = /IFACES|IFRELOAD|IFUP|IFQUERY/;
                const sonicOnly = /SONIC_DB_CLI|docker_routing_config_mode|bgp_asn/;
                assert.strictEqual(
                    cumulusOnly.test(s.apply),
                    p === "cumulus",
                    "the interfaces file is Cumulus's alone",
                );
                assert.strictEqual(
                    sonicOnly.test(s.apply),
                    p === "sonic",
                    "CONFIG_DB is SONiC's alone",
                );
                assert.strictEqual(cumulusOnly.test(s.destroy), p === "cumulus");
                assert.strictEqual(sonicOnly.test(s.destroy), p === "sonic");
            });

            it("bash -n and shellcheck accept the apply and destroy scripts", function () {
                const s = scripts(p);
                for (const text of [s.apply, s.destroy])
                    assert.strictEqual(
                        spawnSync("bash", ["-n"], { input: text }).status,
                        0,
                        "bash can parse it",
                    );
                requireCapability(
                    this,
                    haveShellcheck(),
                    "shellcheck is not installed (scripts/install-system-deps.sh)",
                );
                for (const text of [s.apply, s.destroy]) {
                    const r = shellcheck(["-s", "bash", "-"], text);
                    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
                }
            });

            it("exits only with the statuses of render/exit-codes.ts", () => {
                const known = new Set<number>(Object.values(APPLY_EXIT));
                const s = scripts(p);
                const used = [
                    ...`${s.apply}\n${s.destroy}`.matchAll(/\b(?:exit|fail) (\d+)\b/g),
                ].map((m) => Number(m[1]));
                assert.ok(used.length > 10);
                for (const n of used) assert.ok(known.has(n), `exit ${n}`);
            });

            it("the policy pack reads the frr.conf back from the script, through the driver", () => {
                const plan = planFabric(platformConfig(p));
                assert.strictEqual(frrConfOf(scripts(p).apply, p), renderDevice(plan, "leaf1").frr);
            });
        });
    }

    it("every bash source under render/scripts/ passes shellcheck as it is", function () {
        requireCapability(
            this,
            haveShellcheck(),
            "shellcheck is not installed (scripts/install-system-deps.sh)",
        );
        const files = fs
            .readdirSync(scriptsDir())
            .filter((f) => f.endsWith(".sh"))
            .map((f) => path.join(scriptsDir(), f));
        assert.ok(files.length >= 5, files.join(" "));
        const r = shellcheck(["-s", "bash", ...files]);
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });

    it("the frr scripts are the common ones as they are: no fragment, the paths of FRR on the host", () => {
        assert.strictEqual(DRIVERS.frr.fragments, undefined);
        const s = scripts("frr").apply;
        assert.match(s, /^FRR_CONF="\$\{FRR_CONF:-\/etc\/frr\/frr.conf\}"$/m);
        assert.match(s, /^HOST_FRR_DIR="\$\{HOST_FRR_DIR:-\}"$/m);
    });

    it("drift reads the running config as the driver says: on SONiC inside the bgp container", () => {
        assert.strictEqual(
            remoteCheckCommand("frr"),
            `t=$(mktemp "\${TMPDIR:-/tmp}/bgp-fabric-drift.XXXXXX") || exit 90; trap 'rm -f "$t"' EXIT; cat > "$t" || exit 90; /usr/lib/frr/frr-reload.py --test "$t" --log-level error`,
        );
        assert.strictEqual(remoteCheckCommand("cumulus"), remoteCheckCommand("frr"));
        assert.strictEqual(
            remoteCheckCommand("sonic"),
            `t=$(mktemp "/etc/sonic/frr/bgp-fabric-drift.XXXXXX") || exit 90; trap 'rm -f "$t"' EXIT; cat > "$t" || exit 90; docker exec bgp /usr/lib/frr/frr-reload.py --test "/etc/frr/\${t##*/}" --log-level error`,
        );
    });

    it("a hole in the sources is an error at render time, naming it", () => {
        assert.throws(
            () => fill('exit "$EXIT_NO_SUCH"', {}, "x"),
            /EXIT_NO_SUCH is not an exit status/,
        );
        assert.throws(() => fill("a @@NOPE@@ b", {}, "here"), /here: no value for @@NOPE@@/);
        assert.throws(
            () => fill("  # @hook nowhere", { hooks: {} }, "there"),
            /there: no value for the hook nowhere/,
        );
        assert.strictEqual(
            fill('a\n  # @hook h\nexit "$EXIT_REJECTED"', { hooks: { h: "  b" } }, "x"),
            "a\n  b\nexit 3",
        );
        assert.strictEqual(fill("a\n# @hook h\nc", { hooks: { h: undefined } }, "x"), "a\nc");
    });
});

// The fragments at work: bash runs each platform's script against stand-ins for
// vtysh and frr-reload.py, and for ifupdown2 (Cumulus) or sonic-db-cli (SONiC).
describe("render: platform fragments against stand-ins", () => {
    const OLD = "frr version 8.4\nhostname leaf1\n! before\n";
    const OLD_IFACES = "auto lo\niface lo inet loopback\n";
    const plan = (p: Platform) => planFabric(platformConfig(p));
    const frr = (p: Platform) => renderDevice(plan(p), "leaf1").frr!;
    const keys = (p: Platform) => switchScripts(plan(p), "leaf1")!.sessions.map((s) => s.key);
    const made: Device[] = [];
    after(() => made.forEach(removeDevice));

    // ifupdown2: `ifup --syntax-check` refuses BAD IFACE, ifquery lists the `auto` names, ifreload
    // logs.
    const IFUPDOWN = {
        ifup: '#!/bin/bash\necho "ifup $*" >> "$STUB/if.log"\nif grep -q "BAD IFACE" "${@: -1}"; then echo "error: BAD IFACE" >&2; exit 1; fi\n',
        ifquery: '#!/bin/bash\nsed -n "s/^auto //p" "${@: -1}"\n',
        ifreload:
            '#!/bin/bash\necho "ifreload $* $(md5sum < "$IFACES" | cut -c1-8)" >> "$STUB/if.log"\n',
    };
    const cumulusDevice = (files: Record<string, string> = {}) => {
        const d = scratchDevice(OLD, files, IFUPDOWN);
        fs.writeFileSync(path.join(d.dir, "etc/interfaces"), OLD_IFACES);
        Object.assign(d.env, {
            IFACES: path.join(d.dir, "etc/interfaces"),
            IFUP: path.join(d.dir, "ifup"),
            IFQUERY: path.join(d.dir, "ifquery"),
            IFRELOAD: path.join(d.dir, "ifreload"),
        });
        made.push(d);
        return d;
    };

    it("cumulus: the interfaces file is checked, installed with ifreload before FRR reloads, and put back on rollback and destroy", () => {
        const p: Platform = "cumulus";
        const interfaces = renderDevice(plan(p), "leaf1").interfaces!;
        const apply = (ifaces: string) =>
            renderApplyScript({
                device: "leaf1",
                platform: p,
                frr: frr(p),
                interfaces: ifaces,
                sessions: switchScripts(plan(p), "leaf1")!.sessions,
                timeoutSeconds: 60,
                confirmWindowSeconds: 120,
            });

        const rejected = cumulusDevice();
        const r1 = runScript(apply(`${interfaces}BAD IFACE\n`), rejected);
        assert.strictEqual(r1.status, APPLY_EXIT.REJECTED, r1.stderr);
        assert.match(
            r1.stderr,
            /^leaf1: ifupdown2 rejected the new interfaces file; nothing was changed:$/m,
        );
        assert.strictEqual(rejected.read("etc/interfaces"), OLD_IFACES);

        const ok = cumulusDevice({ "bgp.json": bgpJson(keys(p), keys(p)) });
        const r2 = runScript(apply(interfaces), ok);
        assert.strictEqual(r2.status, APPLY_EXIT.OK, r2.stderr);
        assert.strictEqual(ok.read("etc/interfaces"), interfaces);
        assert.strictEqual(ok.read("etc/interfaces.pre-bgp-fabric"), OLD_IFACES);
        assert.match(ok.read("stub/if.log")!, /^ifreload -a /m);
        const destroy = runScript(renderDeleteScript({ device: "leaf1", platform: p }), ok);
        assert.strictEqual(destroy.status, APPLY_EXIT.OK, destroy.stderr);
        assert.strictEqual(
            ok.read("etc/interfaces"),
            OLD_IFACES,
            "destroy put the interfaces file back",
        );
        assert.strictEqual(ok.read("etc/frr.conf"), OLD);

        const broken = cumulusDevice({
            "bgp.json": bgpJson(keys(p), keys(p)),
            "bgp-after-1.json": bgpJson(keys(p), []),
            "bgp-after-2.json": bgpJson(keys(p), keys(p)),
        });
        const r3 = runScript(apply(interfaces), broken);
        assert.strictEqual(r3.status, APPLY_EXIT.ROLLED_BACK, r3.stderr);
        assert.strictEqual(
            broken.read("etc/interfaces"),
            OLD_IFACES,
            "rollback put the interfaces file back",
        );
        assert.strictEqual(
            broken.read("stub/if.log")!.match(/^ifreload/gm)!.length,
            2,
            "ifreload for the new file and for the old one",
        );
    });

    it("sonic: CONFIG_DB's config mode and ASN are checked before anything changes; paths map into the bgp container", () => {
        const p: Platform = "sonic";
        const db =
            '#!/bin/bash\ncase "$4" in docker_routing_config_mode) cat "$STUB/mode" ;; bgp_asn) cat "$STUB/asn" ;; esac\n';
        const sonicDevice = (mode: string, asn: string) => {
            const d = scratchDevice(
                OLD,
                {
                    mode,
                    asn,
                    "bgp.json": bgpJson(keys(p), keys(p)),
                    "routes.json": ownLoopbacks(keys(p), plan(p).addressing.loopbacks),
                },
                { "sonic-db-cli": db },
            );
            // The host's directory and the container's view of it: one directory under two names.
            const host = path.join(d.dir, "etc");
            fs.symlinkSync(host, path.join(d.dir, "daemon"));
            Object.assign(d.env, {
                SONIC_DB_CLI: path.join(d.dir, "sonic-db-cli"),
                HOST_FRR_DIR: host,
                DAEMON_FRR_DIR: path.join(d.dir, "daemon"),
                STATE_DIR: path.join(host, "bgp-fabric"),
            });
            made.push(d);
            return d;
        };
        const script = scripts(p).apply;
        const separated = sonicDevice("separated", "65101");
        const r1 = runScript(script, separated);
        assert.strictEqual(r1.status, APPLY_EXIT.PRECONDITION, r1.stderr);
        assert.match(
            r1.stderr,
            /^leaf1: docker_routing_config_mode is 'separated': set it to split-unified/m,
        );
        assert.strictEqual(separated.read("etc/frr.conf"), OLD);

        const otherAsn = sonicDevice("split-unified", "65999");
        const r2 = runScript(script, otherAsn);
        assert.strictEqual(r2.status, APPLY_EXIT.PRECONDITION, r2.stderr);
        assert.match(r2.stderr, /DEVICE_METADATA bgp_asn is 65999 but the plan says 65101/);
        assert.strictEqual(otherAsn.read("etc/frr.conf"), OLD);

        const ok = sonicDevice("split-unified", "65101");
        const r3 = runScript(script, ok);
        assert.strictEqual(r3.status, APPLY_EXIT.OK, r3.stderr);
        assert.strictEqual(ok.read("etc/frr.conf"), frr(p));
        // vtysh and frr-reload.py were handed the container's path of the candidate and of
        // frr.conf.
        assert.match(
            ok.read("stub/vtysh.log")!,
            new RegExp(`--dryrun -f ${path.join(ok.dir, "daemon/bgp-fabric/candidate/frr.conf")}`),
        );
        assert.strictEqual(
            ok.read("stub/reload.log"),
            `--reload --stdout ${path.join(ok.dir, "daemon/frr.conf")}\n`,
        );
    });
});
