// A device for running a safe-apply script with bash against stand-ins for
// vtysh and frr-reload.py (through the script's path variables): shared by
// test/render/apply-script.test.ts (the protocol) and
// test/render/platforms.test.ts (each platform's fragments).

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderConfirmScript } from "../../render/apply-script";

// vtysh stand-in: the dry run refuses a line containing BAD LINE the way FRR
// words it; `show` commands answer from files the test controls.
export const VTYSH_STUB = String.raw`#!/bin/bash
echo "vtysh $*" >> "$STUB/vtysh.log"
if [ "$1" = --dryrun ]; then
  n=$(grep -n 'BAD LINE' "$3" | head -n1 | cut -d: -f1)
  if [ -n "$n" ]; then echo "line $n: % Unknown command[25]: BAD LINE" >&2; exit 2; fi
  exit 0
fi
case "$2" in
  "show running-config") printf 'Building configuration...\n\nCurrent configuration:\n'; cat "$STUB/running.conf" ;;
  "show bgp vrf default summary json") cat "$STUB/bgp.json" 2>/dev/null || echo '{}' ;;
  "show bgp vrf default ipv4 unicast json") cat "$STUB/routes.json" 2>/dev/null || echo '{}' ;;
  *) echo "stub: unexpected vtysh $*" >&2; exit 1 ;;
esac
`;

// frr-reload.py stand-in: call N loads the file as the running config, then
// the sessions become $STUB/bgp-after-N.json and the BGP table
// $STUB/routes-after-N.json; $STUB/fail-N makes call N fail.
export const RELOAD_STUB = String.raw`#!/bin/bash
# --test: FRR's diff of a file against the running config (nothing to change when they are equal).
if [ "$1" = --test ]; then if cmp -s "$2" "$STUB/running.conf"; then echo "frr version 8.4"; else printf 'Lines To Add\n===\nx\n'; fi; exit 0; fi
n=$(( $(wc -l < "$STUB/reload.log" 2>/dev/null || echo 0) + 1 ))
echo "$*" >> "$STUB/reload.log"
if [ -f "$STUB/fail-$n" ]; then echo "frr-reload: vtysh failed to apply" >&2; exit 1; fi
cp "$3" "$STUB/running.conf"
[ -f "$STUB/bgp-after-$n.json" ] && cp "$STUB/bgp-after-$n.json" "$STUB/bgp.json"
[ -f "$STUB/routes-after-$n.json" ] && cp "$STUB/routes-after-$n.json" "$STUB/routes.json"
echo "Executed \"stub change $n\""
exit 0
`;

/**
 * `show bgp vrf default summary json` with these keys, the `established` ones Established; peer i
 * has AS 64512 + i.
 */
export function bgpJson(keys: string[], established: string[]): string {
    const peers = Object.fromEntries(
        keys.map((k, i) => [
            k,
            { state: established.includes(k) ? "Established" : "Active", remoteAs: 64512 + i },
        ]),
    );
    return JSON.stringify({ ipv4Unicast: { routerId: "172.16.255.101", peers } });
}

/**
 * `show bgp vrf default ipv4 unicast json` in which each of bgpJson's peers sends a loopback of
 * its own from the /24 `range` (what the route checks ask of a fabric neighbour).
 */
export function ownLoopbacks(keys: string[], range: string): string {
    const base = range.split("/")[0].split(".").slice(0, 3).join(".");
    const routes = Object.fromEntries(
        keys.map((_, i) => [`${base}.${i + 1}/32`, [{ valid: true, path: String(64512 + i) }]]),
    );
    return JSON.stringify({ routes });
}

export interface Device {
    dir: string;
    stub: string;
    env: NodeJS.ProcessEnv;
    conf: string;
    read(rel: string): string | undefined;
}

/**
 * A scratch device: etc/frr.conf = `old` (also the running config), stub files, the stand-ins in
 * place.
 */
export function scratchDevice(
    old: string,
    files: Record<string, string> = {},
    tools: Record<string, string> = {},
): Device {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "apply-test-"));
    const stub = path.join(dir, "stub");
    fs.mkdirSync(stub);
    fs.mkdirSync(path.join(dir, "etc"));
    fs.writeFileSync(path.join(dir, "vtysh"), VTYSH_STUB, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "frr-reload"), RELOAD_STUB, { mode: 0o755 });
    for (const [name, text] of Object.entries(tools))
        fs.writeFileSync(path.join(dir, name), text, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "etc/frr.conf"), old);
    fs.writeFileSync(path.join(stub, "running.conf"), old);
    for (const [f, t] of Object.entries(files)) fs.writeFileSync(path.join(stub, f), t);
    const env = {
        ...process.env,
        STUB: stub,
        VTYSH: path.join(dir, "vtysh"),
        RELOAD: path.join(dir, "frr-reload"),
        FRR_CONF: path.join(dir, "etc/frr.conf"),
        STATE_DIR: path.join(dir, "state"),
        LOCK_FILE: path.join(dir, "lock"),
        TIMEOUT: "2",
        SETTLE: "0",
        ROUTE_SETTLE: "0",
        POLL_INTERVAL: "0.2",
    };
    const read = (rel: string) =>
        fs.existsSync(path.join(dir, rel))
            ? fs.readFileSync(path.join(dir, rel), "utf8")
            : undefined;
    return { dir, stub, env, conf: path.join(dir, "etc/frr.conf"), read };
}

/** The script's state directory on the device (a platform's test may move it). */
const stateDir = (dev: Device, extraEnv: Record<string, string> = {}) =>
    extraEnv.STATE_DIR ?? dev.env.STATE_DIR!;

/** The PID of the device's armed confirm timer (render/scripts/apply.sh), if one runs. */
export function confirmTimer(dev: Device): number | undefined {
    const pidFile = path.join(stateDir(dev), "confirm/timer.pid");
    if (!fs.existsSync(pidFile)) return undefined;
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return cmdline.includes("bgp-fabric-confirm-timer") ? pid : undefined;
    } catch {
        return undefined;
    }
}

/** End the device's confirm timer (ours, by PID) and remove the device. */
export function removeDevice(dev: Device): void {
    const pid = confirmTimer(dev);
    if (pid !== undefined) process.kill(pid, "SIGTERM");
    fs.rmSync(dev.dir, { recursive: true, force: true });
}

/**
 * Run a script with bash on the device (`args`: `apply`, `destroy`). An apply that leaves its
 * change pending is then confirmed, as the component's `-confirm` command does, unless
 * `confirm` is false (the confirm's status and output are returned).
 */
export function runScript(
    script: string,
    dev: Device,
    extraEnv: Record<string, string> = {},
    args: string[] = [],
    confirm = true,
) {
    const r = bash(script, dev, extraEnv, args);
    const pending = fs.existsSync(path.join(stateDir(dev, extraEnv), "confirm/armed"));
    const isApply = /^# bgp-fabric apply: /m.test(script);
    if (!confirm || !pending || !isApply || args[0] === "destroy") return r;
    const device = /^DEVICE=(\S+)$/m.exec(script)![1];
    const frr = fs.readFileSync(path.join(stateDir(dev, extraEnv), "candidate/frr.conf"), "utf8");
    const c = bash(renderConfirmScript({ device, platform: "frr", frr }), dev, extraEnv);
    return { ...r, confirm: c };
}

function bash(script: string, dev: Device, extraEnv: Record<string, string>, args: string[] = []) {
    fs.writeFileSync(path.join(dev.dir, "run.sh"), script);
    const r = spawnSync("bash", [path.join(dev.dir, "run.sh"), ...args], {
        env: { ...dev.env, ...extraEnv },
        encoding: "utf8",
        timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
