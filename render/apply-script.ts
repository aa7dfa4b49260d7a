// The safe-apply protocol, as the bash script a `@pulumi/command` remote
// Command runs on a switch over SSH (create and update), and what `pulumi
// destroy` runs there (delete).
//
// ## Apply (renderApplyScript)
// The rendered frr.conf (and on Cumulus /etc/network/interfaces) travel inline
// in quoted heredocs, so `pulumi preview --diff` shows exactly the changed
// configuration lines. On the device the script
//  1. takes an exclusive flock: concurrent applies to one device queue up;
//  2. writes the candidate to a staging directory;
//  3. validates it with FRR's parser (`vtysh --dryrun -f`; Cumulus also
//     `ifup --syntax-check` and a check that the interface carrying this SSH
//     session stays configured). On failure it exits 3 quoting FRR's own
//     text, each line prefixed with the device name; nothing was changed.
//     Unchanged: when the installed files already equal the candidate and
//     FRR's own diff (`frr-reload.py --test`) has nothing to change in the
//     running config, nothing is reloaded (a re-run does not redo a device
//     that is done; a hand-edited device is still reloaded): the script only
//     checks the expected sessions (exit 0, or 5 naming those not Established);
//  4. records which expected BGP sessions are Established now, and backs up
//     the running config (`vtysh -c 'show running-config'`) and a copy of the
//     installed files. The first apply ever also keeps the files as
//     `<file>.pre-bgp-fabric` (see destroy);
//  5. applies: installs frr.conf and runs `frr-reload.py --reload --stdout`;
//     what a platform adds (Cumulus: the interfaces file and `ifreload -a`
//     first; SONiC: FRR in the `bgp` container, CONFIG_DB's config mode and
//     ASN checked first) is its driver's (render/platforms/<name>.ts) and its
//     bash fragments' (render/scripts/<name>.sh);
//  6. arms a rollback on the device itself (commit-confirm), detached from the
//     SSH session: unless the confirm script (renderConfirmScript), run over
//     a second connection after the apply succeeded, confirms within
//     apply.confirmWindow, the device restores the backup by itself; an apply
//     while a change is pending waits for its outcome;
//  7. polls `show bgp vrf default summary json` (keys: interface names for
//     unnumbered peers, addresses for numbered ones) until every expected
//     session is Established, for up to the plan's apply.convergeTimeout,
//     then runs the route checks (render/route-checks.ts) and the device's
//     after-convergence check (a drain's wait, render/drain.ts).
// The rule: a change never leaves a device worse than before.
//   - a reload that fails, a session that was Established before and is
//     not at the timeout, missing routes, or a failed after-convergence
//     check: the backup is restored (files and frr-reload.py of
//     the saved running config); exit 4 naming the device and the sessions
//     that broke (exit 7 if even the restore failed: the device needs hands);
//   - only sessions that were already down are still down: the new config is
//     kept for now; exit 5 naming them (unconfirmed, the timer restores it);
//   - all up: exit 0, pending the confirm.
//
// ## Destroy (renderDeleteScript)
// `pulumi destroy` hands a device back as bgp-fabric found it: the
// configuration saved before bgp-fabric's first apply
// (`/etc/frr/frr.conf.pre-bgp-fabric`, on Cumulus also
// `/etc/network/interfaces.pre-bgp-fabric`) is reinstalled and reloaded, then
// the snapshot and bgp-fabric's state directory are removed. Its sessions go
// down on purpose, so there is no convergence check. A device bgp-fabric
// never applied to is left alone (exit 0).
//
// Nothing the scripts print carries a BGP password: `password <word>` in
// FRR's text (a rejected line, frr-reload.py's `Executed "… no neighbor X
// password …"` when a password is removed) is printed as `password <redacted>`.
//
// Every path and tool is a variable at the top, overridable from the
// environment (FRR_CONF, VTYSH, RELOAD, STATE_DIR, LOCK_FILE, TIMEOUT, …), so
// the lab and the tests run the same script against an FRR in a namespace.
//
// ## Assembly
// The scripts are put together per platform at render time, so the script a
// device runs has no branch on its platform: the bash lives in render/scripts/
// (common.sh, apply.sh, destroy.sh, established.py, and <platform>.sh for the
// platform's fragments, one per hook below), read and filled in by
// render/script-source.ts; the exit statuses are render/exit-codes.ts's.

import { createHash } from "crypto";
import { FabricPlan, Platform } from "../plan";
import { findDevice, neighborKey } from "./frr-common";
import { heredoc, heredocBody } from "./heredoc";
import { Driver, driverFor } from "./platforms";
import { RouteChecks } from "./route-checks";
import { applyWaves } from "../plan/waves";
import { fill, scriptFile, scriptSection, scriptSections, withoutHeader } from "./script-source";

export interface ExpectedSession {
    /** How FRR names the neighbor: the interface (unnumbered) or the peer's address (numbered). */
    key: string;
    /** The peer device, for messages. */
    peer: string;
    /**
     * A switch's session with a Kubernetes node (its router, or Calico). Day one:
     * the fabric comes up before any node router runs, so such a session that
     * was not Established before the change does not hold the apply up (it is
     * reported as waiting); one that was Established and breaks still rolls back.
     */
    server?: boolean;
    /**
     * A session with a switch of a later wave of the rollout (plan/waves.ts): that switch is
     * applied after this one, so like a server session it may wait when it was not up before.
     */
    later?: boolean;
}

export interface ApplyScriptOptions {
    device: string;
    platform: Platform;
    /** The rendered frr.conf. */
    frr: string;
    /** The rendered /etc/network/interfaces (for a platform whose driver carries it: cumulus). */
    interfaces?: string;
    /** Sessions that must be Established after the change (expectedSessions). */
    sessions: ExpectedSession[];
    /** Seconds to wait for them (plan.apply.convergeTimeout). */
    timeoutSeconds: number;
    /**
     * Seconds the sessions must have had to fail before success is declared
     * (default 3, the plan's hold time): a session the change breaks may
     * still look Established right after the reload.
     */
    settleSeconds?: number;
    /**
     * Seconds after arming within which the confirm script (renderConfirmScript) must run over a
     * new SSH connection, or the device restores its previous configuration itself
     * (plan.apply.confirmWindow).
     */
    confirmWindowSeconds: number;
    /** What the switch checks in its BGP table once its sessions are up (render/route-checks.ts); none: no check. */
    routeChecks?: RouteChecks;
    /**
     * The body of the bash function `after_converge`, run once every required session is
     * Established (after the route checks): it returns 0 to go on, non-zero (saying why on
     * stderr) to roll the change back. The script's helpers are there (run_vtysh, say, $PYTHON,
     * $TIMEOUT, $POLL_INTERVAL, $DEVICE).
     */
    afterConverge?: string;
}

export interface ConfirmScriptOptions {
    device: string;
    platform: Platform;
    /** The rendered frr.conf of the apply this confirms. */
    frr: string;
}

export interface DeleteScriptOptions {
    device: string;
    platform: Platform;
    /**
     * The frr.conf this resource's apply installs. When given, destroy only
     * restores if that is still what the device runs: a replacement (Pulumi
     * creates the new resource before deleting the old one) or a newer apply
     * must not be undone by the old resource's delete.
     */
    appliedFrr?: string;
}

/** The device's planned sessions, as `show bgp summary json` keys them. */
export function expectedSessions(plan: FabricPlan, name: string): ExpectedSession[] {
    const seen = new Set<string>();
    const out: ExpectedSession[] = [];
    const d = findDevice(plan, name);
    const isSwitch = d.role === "spine" || d.role === "leaf";
    const waves = new Map(
        isSwitch ? applyWaves(plan).flatMap((w, i) => w.map((x): [string, number] => [x, i])) : [],
    );
    const mine = waves.get(name);
    for (const n of d.neighbors) {
        const key = neighborKey(n);
        if (seen.has(key)) continue;
        seen.add(key);
        const theirs = waves.get(n.device);
        if (isSwitch && n.kind === "server") out.push({ key, peer: n.device, server: true });
        else if (mine !== undefined && theirs !== undefined && theirs > mine)
            out.push({ key, peer: n.device, later: true });
        else out.push({ key, peer: n.device });
    }
    return out;
}

/**
 * The hooks of render/scripts/{common,apply,destroy}.sh a platform's fragments
 * may fill, in the order they run:
 *   paths      settings: comment lines before HOST_FRR_DIR
 *   settings   settings: the platform's own paths and tools (after DAEMON_FRR_DIR)
 *   preflight  both scripts, after the lock: the platform's preconditions (exit PRECONDITION)
 *   validate   apply, after FRR's dry run: the platform's own checks of the candidate
 *   unchanged  inside unchanged(): `… || return 1` for each other installed file
 *   snapshot   apply, after frr.conf's backup: back up the platform's other files
 *   rollback   inside rollback(), before FRR's restore: put the other files back (ok=0 on failure)
 *   install    apply, before frr.conf is installed: install the other files
 *   restore    destroy, before frr.conf's snapshot goes back: restore the other files
 */
export const HOOKS = [
    "paths",
    "settings",
    "preflight",
    "validate",
    "unchanged",
    "snapshot",
    "rollback",
    "install",
    "restore",
] as const;

/** A driver's fragments by hook (undefined: none); an unknown section in its file is an error. */
function fragments(driver: Driver): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = Object.fromEntries(
        HOOKS.map((h) => [h, undefined]),
    );
    if (!driver.fragments) return out;
    for (const [name, text] of scriptSections(driver.fragments)) {
        if (!(HOOKS as readonly string[]).includes(name)) {
            throw new Error(
                `render/scripts/${driver.fragments}: section ${name} is no hook (${HOOKS.join(", ")})`,
            );
        }
        out[name] = text;
    }
    return out;
}

/** A section of a file of render/scripts/, filled for this device and platform. */
function section(
    file: string,
    name: string,
    driver: Driver,
    tokens: Record<string, string> = {},
): string {
    const p = driver.paths;
    return fill(
        scriptSection(file, name),
        {
            hooks: fragments(driver),
            tokens: {
                FRR_CONF: p.frrConf,
                VTYSH: p.vtysh,
                RELOAD: p.reload,
                STATE_DIR: p.stateDir,
                HOST_FRR_DIR: p.hostFrrDir,
                DAEMON_FRR_DIR: p.daemonFrrDir,
                ...tokens,
            },
        },
        `render/scripts/${file} section ${name} (${driver.platform})`,
    );
}

/** A Python program of render/scripts/ (established.py, routes.py), inlined between single quotes. */
function inlinePy(file: string): string {
    const py = withoutHeader(scriptFile(file));
    if (py.includes("'"))
        throw new Error(`render/scripts/${file} must hold no single quote (it is inlined in '…')`);
    return `\n${py}`;
}

export function renderApplyScript(opts: ApplyScriptOptions): string {
    checkName(opts.device);
    const driver = driverFor(opts.platform);
    const texts: Record<string, string | undefined> = {
        frr: opts.frr,
        interfaces: opts.interfaces,
    };
    for (const f of driver.files) {
        if (texts[f.source] === undefined)
            throw new Error(`${opts.device}: a ${opts.platform} apply needs the ${f.source} file`);
    }
    if (!Number.isInteger(opts.timeoutSeconds) || opts.timeoutSeconds < 1)
        throw new Error(`${opts.device}: timeoutSeconds must be a positive integer`);
    if (!Number.isInteger(opts.confirmWindowSeconds) || opts.confirmWindowSeconds < 1)
        throw new Error(`${opts.device}: confirmWindowSeconds must be a positive integer`);
    for (const s of opts.sessions)
        if (!/^[A-Za-z0-9_.:-]+$/.test(s.key))
            throw new Error(
                `${opts.device}: session key '${s.key}' is not an interface or address`,
            );
    const destroyRun = section("destroy.sh", "run", driver);
    const routes = opts.routeChecks ?? { from: [], loopbacks: "0.0.0.0/32", ranges: [] };
    for (const x of [...routes.from, routes.loopbacks, ...routes.ranges])
        if (!/^[A-Za-z0-9_.:/-]+$/.test(x))
            throw new Error(`${opts.device}: route check '${x}' is not a session key or range`);
    const lines = [
        "#!/bin/bash",
        `# bgp-fabric apply: ${opts.device} (${opts.platform}). The protocol is documented in render/apply-script.ts.`,
        section("common.sh", "settings", driver, { DEVICE: opts.device }),
        `TIMEOUT="\${TIMEOUT:-${opts.timeoutSeconds}}"`,
        `SETTLE="\${SETTLE:-${opts.settleSeconds ?? 3}}"`,
        `CONFIRM_WINDOW="\${CONFIRM_WINDOW:-${opts.confirmWindowSeconds}}"`,
        'CONFIRM_DIR="$STATE_DIR/confirm"',
        ...(driver.scriptVariables?.(opts.frr) ?? []),
        "# Expected sessions: FRR's neighbor key, the peer, and `server` for a session with a node",
        "# (day one: it may wait for the node's router; see docs/safe-apply.md).",
        "EXPECTED=(",
        ...opts.sessions.map(
            (s) => `  "${s.key} ${s.peer}${s.server ? " server" : s.later ? " later" : ""}"`,
        ),
        ")",
        "# Route checks after the sessions (render/route-checks.ts): the fabric neighbours that must each",
        "# send a loopback of their own, and the ranges whose prefixes may not lose paths.",
        `ROUTE_FROM=(${routes.from.join(" ")})`,
        `LOOPBACK_RANGE=${routes.loopbacks}`,
        `ROUTE_RANGES=(${routes.ranges.join(" ")})`,
        'ROUTE_SETTLE="${ROUTE_SETTLE:-6}"',
        "# A check once every required session is up (e.g. a drain's wait): false rolls the change back.",
        "after_converge() {",
        ...(opts.afterConverge ? [opts.afterConverge.replace(/\n$/, "")] : ["  return 0"]),
        "}",
        "",
        section("apply.sh", "mode", driver),
        "",
        section("common.sh", "helpers", driver),
        "",
        section("apply.sh", "prepare", driver),
        ...driver.files.map((f) => heredoc(`"$STAGE/${f.stage}"`, f.eof, texts[f.source]!)),
        "",
        section("apply.sh", "confirm", driver, { PLATFORM_VARIABLES: platformVariables(driver) }),
        "",
        section("apply.sh", "destroy-mode", driver, { DESTROY_RUN: `\n${destroyRun}` }),
        "",
        section("apply.sh", "run", driver, {
            ESTABLISHED_PY: inlinePy("established.py"),
            ROUTES_PY: inlinePy("routes.py"),
        }),
    ];
    return lines.join("\n") + "\n";
}

/** What confirms an apply: run over a new SSH connection after the apply succeeded (`bash -s`). */
export function renderConfirmScript(opts: ConfirmScriptOptions): string {
    checkName(opts.device);
    const driver = driverFor(opts.platform);
    return (
        [
            "#!/bin/bash",
            `# bgp-fabric confirm: ${opts.device} (${opts.platform}). Confirms the pending apply of this frr.conf (docs/safe-apply.md).`,
            section("common.sh", "settings", driver, { DEVICE: opts.device }),
            `CONFIRM_SHA=${sha256(heredocBody(opts.frr))}`,
            "",
            section("common.sh", "helpers", driver),
            "",
            section("confirm.sh", "run", driver),
        ].join("\n") + "\n"
    );
}

/** The variables the platform's settings fragment sets: the confirm timer needs them to restore. */
function platformVariables(driver: Driver): string {
    const settings = fragments(driver).settings ?? "";
    return [...settings.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]).join(" ");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function renderDeleteScript(opts: DeleteScriptOptions): string {
    checkName(opts.device);
    const driver = driverFor(opts.platform);
    const applied = opts.appliedFrr === undefined ? "" : sha256(heredocBody(opts.appliedFrr));
    return (
        [
            "#!/bin/bash",
            `# bgp-fabric destroy: ${opts.device} (${opts.platform}). Restores the config found before the first bgp-fabric apply.`,
            section("common.sh", "settings", driver, { DEVICE: opts.device }),
            "# sha256 of the frr.conf this resource installed: destroy leaves any other config alone.",
            `APPLIED_SHA256=${applied}`,
            "",
            section("common.sh", "helpers", driver),
            "",
            section("destroy.sh", "run", driver),
        ].join("\n") + "\n"
    );
}

function checkName(device: string): void {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(device)) throw new Error(`'${device}' is not a device name`);
}
