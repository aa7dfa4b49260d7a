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
//  5. applies per platform:
//       frr      install frr.conf, `frr-reload.py --reload --stdout`;
//       cumulus  the same after installing the interfaces file and `ifreload -a`;
//       sonic    FRR runs in the `bgp` container, whose /etc/frr is the host's
//                /etc/sonic/frr. Requires docker_routing_config_mode
//                split-unified (or unified) in CONFIG_DB DEVICE_METADATA, so
//                frr.conf is FRR's one config file, and the device's bgp_asn
//                there equal to the plan's (bgpcfgd would fight otherwise).
//                The staging files live under /etc/sonic/frr so the container
//                sees them; vtysh and frr-reload.py run via `docker exec bgp`.
//                Untested against a real SONiC image;
//  6. polls `show bgp vrf default summary json` (keys: interface names for
//     unnumbered peers, addresses for numbered ones) until every expected
//     session is Established, for up to the plan's apply.convergeTimeout.
// The rule: a change never leaves a device worse than before.
//   - a reload that fails, or a session that was Established before and is
//     not at the timeout: the backup is restored (files and frr-reload.py of
//     the saved running config); exit 4 naming the device and the sessions
//     that broke (exit 7 if even the restore failed: the device needs hands);
//   - only sessions that were already down are still down: the new config is
//     kept; exit 5 naming them and saying the config was kept;
//   - all up: exit 0.
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

import { createHash } from "crypto";
import { FabricPlan, Platform } from "../plan";
import { findDevice, neighborKey } from "./frr-common";

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
}

export interface ApplyScriptOptions {
    device: string;
    platform: Platform;
    /** The rendered frr.conf. */
    frr: string;
    /** The rendered /etc/network/interfaces (cumulus only). */
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
    for (const n of d.neighbors) {
        const key = neighborKey(n);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(isSwitch && n.kind === "server" ? { key, peer: n.device, server: true } : { key, peer: n.device });
    }
    return out;
}

const FRR_EOF = "BGP_FABRIC_FRR_CONF";
const IFACES_EOF = "BGP_FABRIC_INTERFACES";

export function renderApplyScript(opts: ApplyScriptOptions): string {
    checkName(opts.device);
    if (opts.platform === "cumulus" && opts.interfaces === undefined) throw new Error(`${opts.device}: a cumulus apply needs the interfaces file`);
    if (!Number.isInteger(opts.timeoutSeconds) || opts.timeoutSeconds < 1) throw new Error(`${opts.device}: timeoutSeconds must be a positive integer`);
    for (const s of opts.sessions) if (!/^[A-Za-z0-9_.:-]+$/.test(s.key)) throw new Error(`${opts.device}: session key '${s.key}' is not an interface or address`);
    const asn = /^router bgp (\d+)$/m.exec(opts.frr)?.[1] ?? "";
    const lines = [
        "#!/bin/bash",
        `# bgp-fabric apply: ${opts.device} (${opts.platform}). The protocol is documented in render/apply-script.ts.`,
        ...settings(opts.device, opts.platform),
        `TIMEOUT="\${TIMEOUT:-${opts.timeoutSeconds}}"`,
        `SETTLE="\${SETTLE:-${opts.settleSeconds ?? 3}}"`,
        `ASN=${asn}`,
        "# Expected sessions: FRR's neighbor key, the peer, and `server` for a session with a node",
        "# (day one: it may wait for the node's router; see docs/safe-apply.md).",
        "EXPECTED=(",
        ...opts.sessions.map((s) => `  "${s.key} ${s.peer}${s.server ? " server" : ""}"`),
        ")",
        MODE_SELECT,
        COMMON,
        APPLY_PREPARE,
        heredoc('"$STAGE/frr.conf"', FRR_EOF, opts.frr),
    ];
    if (opts.platform === "cumulus") lines.push(heredoc('"$STAGE/interfaces"', IFACES_EOF, opts.interfaces!));
    lines.push(destroyFromApply(), APPLY_RUN);
    return lines.join("\n") + "\n";
}

export function renderDeleteScript(opts: DeleteScriptOptions): string {
    checkName(opts.device);
    const applied = opts.appliedFrr === undefined ? "" : createHash("sha256").update(heredocBody(opts.appliedFrr)).digest("hex");
    return [
        "#!/bin/bash",
        `# bgp-fabric destroy: ${opts.device} (${opts.platform}). Restores the config found before the first bgp-fabric apply.`,
        ...settings(opts.device, opts.platform),
        "# sha256 of the frr.conf this resource installed: destroy leaves any other config alone.",
        `APPLIED_SHA256=${applied}`,
        COMMON,
        DELETE_RUN,
    ].join("\n") + "\n";
}

function checkName(device: string): void {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(device)) throw new Error(`'${device}' is not a device name`);
}

/** A quoted heredoc: the text arrives byte for byte, nothing in it is expanded. */
function heredoc(target: string, eof: string, text: string): string {
    if (text.split("\n").includes(eof)) throw new Error(`the text contains the heredoc delimiter ${eof}`);
    return `cat > ${target} <<'${eof}'\n${heredocBody(text)}${eof}`;
}

/** The bytes a heredoc writes: the text, ending in a newline. */
function heredocBody(text: string): string {
    return text.endsWith("\n") ? text : `${text}\n`;
}

/** The variables at the top: platform defaults, each overridable from the environment. */
function settings(device: string, platform: Platform): string[] {
    const sonic = platform === "sonic";
    return [
        'if [ -z "${BASH_VERSION:-}" ]; then echo "bgp-fabric: this script needs bash" >&2; exit 2; fi',
        "set -uo pipefail",
        `DEVICE=${device}`,
        `PLATFORM=${platform}`,
        "# Paths and tools (override from the environment, e.g. for a lab namespace).",
        `FRR_CONF="\${FRR_CONF:-${sonic ? "/etc/sonic/frr/frr.conf" : "/etc/frr/frr.conf"}}"`,
        `VTYSH="\${VTYSH:-${sonic ? "docker exec -i bgp vtysh" : "vtysh"}}"`,
        `RELOAD="\${RELOAD:-${sonic ? "docker exec -i bgp /usr/lib/frr/frr-reload.py" : "/usr/lib/frr/frr-reload.py"}}"`,
        'PYTHON="${PYTHON:-python3}"',
        `STATE_DIR="\${STATE_DIR:-${sonic ? "/etc/sonic/frr/bgp-fabric" : "/var/lib/bgp-fabric"}}"`,
        ...(sonic
            ? ["# The bgp container sees the host's /etc/sonic/frr as /etc/frr.", 'HOST_FRR_DIR="${HOST_FRR_DIR:-/etc/sonic/frr}"', 'DAEMON_FRR_DIR="${DAEMON_FRR_DIR:-/etc/frr}"', 'SONIC_DB_CLI="${SONIC_DB_CLI:-sonic-db-cli}"']
            : ['HOST_FRR_DIR="${HOST_FRR_DIR:-}"', 'DAEMON_FRR_DIR="${DAEMON_FRR_DIR:-}"']),
        ...(platform === "cumulus" ? ['IFACES="${IFACES:-/etc/network/interfaces}"', 'IFUP="${IFUP:-ifup}"', 'IFQUERY="${IFQUERY:-ifquery}"', 'IFRELOAD="${IFRELOAD:-ifreload}"'] : []),
        'LOCK_FILE="${LOCK_FILE:-/run/lock/bgp-fabric.lock}"',
        'LOCK_WAIT="${LOCK_WAIT:-600}"',
        'POLL_INTERVAL="${POLL_INTERVAL:-1}"',
    ];
}

/**
 * Bash source kept verbatim: `\${` stands for `${` (a template literal would
 * expand it), every other backslash is the script's own.
 */
function sh(strings: TemplateStringsArray): string {
    return strings.raw.join("").replace(/\\\$\{/g, "${");
}

// Helpers both scripts share. $VTYSH and $RELOAD are split into words on
// purpose (SONiC's are `docker exec …`); stdin is closed so `docker exec -i`
// cannot read anything.
const COMMON = sh`
fail() { local code=$1; shift; printf '%s: %s\n' "$DEVICE" "$*" >&2; exit "$code"; }
# FRR's text as the script prints it: BGP passwords masked.
redact() { sed -E 's/(password)[[:space:]]+[^[:space:]]+/\1 <redacted>/g'; }
quote() { redact | sed "s/^/$DEVICE: | /" >&2; }
say() { printf '%s: %s\n' "$DEVICE" "$*"; }
# A host path as the FRR daemons see it (SONiC: inside the bgp container).
daemon_path() { if [ -n "$HOST_FRR_DIR" ]; then printf '%s' "$DAEMON_FRR_DIR\${1#"$HOST_FRR_DIR"}"; else printf '%s' "$1"; fi; }
# Named run_*: VTYSH=vtysh must reach the binary, not recurse into a function.
run_vtysh() { $VTYSH "$@" </dev/null; }
run_reload() { $RELOAD --reload --stdout "$(daemon_path "$1")" </dev/null; }
# Install a file atomically: a copy beside the target, then rename.
install_file() {
  local src=$1 dst=$2 mode=$3 owner=$4
  cp "$src" "$dst.bgp-fabric.tmp" && chmod "$mode" "$dst.bgp-fabric.tmp" || return 1
  if [ -n "$owner" ]; then chown "$owner" "$dst.bgp-fabric.tmp" 2>/dev/null || true; fi
  mv -f "$dst.bgp-fabric.tmp" "$dst"
}
frr_owner() { if getent passwd frr >/dev/null 2>&1; then echo frr:frr; fi; }

mkdir -p "$STATE_DIR" "$(dirname "$LOCK_FILE")" || fail 6 "cannot create $STATE_DIR"
exec 9>"$LOCK_FILE" || fail 6 "cannot open the lock file $LOCK_FILE"
flock -w "$LOCK_WAIT" 9 || fail 6 "another bgp-fabric run holds $LOCK_FILE (waited $LOCK_WAIT s)"
if [ "$PLATFORM" = sonic ]; then
  mode=$($SONIC_DB_CLI CONFIG_DB hget 'DEVICE_METADATA|localhost' docker_routing_config_mode </dev/null 2>/dev/null)
  case "$mode" in
    split-unified|unified) ;;
    *) fail 6 "docker_routing_config_mode is '$mode': set it to split-unified (config save; config reload) so /etc/sonic/frr/frr.conf is FRR's only config" ;;
  esac
fi`;

// The apply script also is the resource's delete: the remote Command runs
// `bash -s apply` (create, update) and `bash -s destroy` (delete) with this one
// script on stdin, so a config change is one changed block of the diff.
const MODE_SELECT = sh`
MODE="\${1:-apply}"
case "$MODE" in apply|destroy) ;; *) printf '%s: unknown mode %s (apply or destroy)\n' "$DEVICE" "$MODE" >&2; exit 2 ;; esac`;

// destroy: what this script installs is what it may hand back (see renderDeleteScript).
function destroyFromApply(): string {
    return [
        "",
        'if [ "$MODE" = destroy ]; then',
        "  APPLIED_SHA256=$(sha256sum < \"$STAGE/frr.conf\" | cut -d' ' -f1)",
        '  rm -rf "$STAGE"',
        "  destroy_main() {",
        DELETE_RUN,
        "  }",
        "  destroy_main",
        "  exit 0",
        "fi",
    ].join("\n");
}

const APPLY_PREPARE = sh`
KEYS=(); FIXED=(); SERVERS=(); declare -A PEER=()
for e in "\${EXPECTED[@]}"; do
  read -r k p kind <<<"$e"
  KEYS+=("$k"); PEER["$k"]="$p"
  if [ "\${kind:-}" = server ]; then SERVERS+=("$k"); else FIXED+=("$k"); fi
done
STAGE="$STATE_DIR/candidate"; BACKUP="$STATE_DIR/backup"
rm -rf "$STAGE" && mkdir -p "$STAGE" "$BACKUP" || fail 6 "cannot create $STAGE"`;

const APPLY_RUN = sh`
# Which of KEYS are Established now, one per line (none when bgpd does not answer).
established() {
  local json
  json=$(run_vtysh -c 'show bgp vrf default summary json' 2>/dev/null) || return 0
  printf '%s' "$json" | $PYTHON -c '
import json, sys
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
up = set()
for af in (data.values() if isinstance(data, dict) else []):
    if isinstance(af, dict):
        for key, peer in (af.get("peers") or {}).items():
            if isinstance(peer, dict) and peer.get("state") == "Established":
                up.add(key)
for key in sys.argv[1:]:
    if key in up:
        print(key)
' "\${KEYS[@]}"
}
contains() { local x=$1; shift; local y; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }
describe() { local k s=""; for k in "$@"; do s+="\${s:+, }$k (\${PEER[$k]})"; done; printf '%s' "$s"; }
# Day one: server sessions (with nodes) not in the list given are not waited for; those not
# Established after the wait are WAITING for their node's router, which is not a failure.
waiting() { local k; WAITING=(); for k in "\${SERVERS[@]}"; do contains "$k" "$@" "\${UP[@]}" || WAITING+=("$k"); done; }
# The success line: every session Established, or those up and the server sessions still waiting.
done_line() { # prefix
  if [ \${#WAITING[@]} -eq 0 ]; then say "$1; all \${#KEYS[@]} BGP sessions Established"
  else say "$1; $((\${#KEYS[@]} - \${#WAITING[@]})) of \${#KEYS[@]} BGP sessions Established, \${#WAITING[@]} waiting for their node's router (not a failure): $(describe "\${WAITING[@]}")"; fi
}
# Wait until every key given is Established (and SETTLE seconds have passed) or the time is up; sets MISSING.
wait_for() {
  local deadline=$((SECONDS + TIMEOUT)) settled=$((SECONDS + SETTLE)) k
  while :; do
    mapfile -t UP < <(established)
    MISSING=()
    for k in "$@"; do contains "$k" "\${UP[@]}" || MISSING+=("$k"); done
    if [ \${#MISSING[@]} -eq 0 ] && [ $SECONDS -ge $settled ]; then return 0; fi
    if [ $SECONDS -ge $deadline ]; then return 0; fi
    sleep "$POLL_INTERVAL"
  done
}

# 1. Validate: FRR's own parser, before anything changes.
if ! out=$(run_vtysh --dryrun -f "$(daemon_path "$STAGE/frr.conf")" 2>&1); then
  printf '%s: FRR rejected the new configuration; nothing was changed:\n' "$DEVICE" >&2
  printf '%s\n' "$out" | quote
  exit 3
fi
if [ "$PLATFORM" = cumulus ]; then
  if ! out=$($IFUP -a --syntax-check -i "$STAGE/interfaces" 2>&1 </dev/null); then
    printf '%s: ifupdown2 rejected the new interfaces file; nothing was changed:\n' "$DEVICE" >&2
    printf '%s\n' "$out" | quote
    exit 3
  fi
  # The interface this SSH session arrived on must stay configured, or ifreload would cut us off.
  server_ip=$(printf '%s' "\${SSH_CONNECTION:-}" | awk '{print $3}')
  if [ -n "$server_ip" ]; then
    mgmt_if=$(ip -o addr show 2>/dev/null | awk -v a="$server_ip" '{split($4, p, "/"); if (p[1] == a) print $2}' | head -n1)
    if [ -n "$mgmt_if" ] && ! $IFQUERY --list -a -i "$STAGE/interfaces" 2>/dev/null </dev/null | grep -qx "$mgmt_if"; then
      fail 6 "the new interfaces file does not configure $mgmt_if, which carries this SSH session; put it in /etc/network/interfaces.d/*.intf. Nothing was changed."
    fi
  fi
fi
if [ "$PLATFORM" = sonic ]; then
  device_asn=$($SONIC_DB_CLI CONFIG_DB hget 'DEVICE_METADATA|localhost' bgp_asn </dev/null 2>/dev/null)
  [ -z "$device_asn" ] || [ "$device_asn" = "$ASN" ] || fail 6 "DEVICE_METADATA bgp_asn is $device_asn but the plan says $ASN; bgpcfgd would undo the change. Nothing was changed."
fi

# Unchanged: the installed files are the candidate and frr-reload.py --test finds nothing to change
# (its only line then is the version FRR writes itself). Then nothing is reloaded; the sessions are checked.
unchanged() {
  cmp -s "$STAGE/frr.conf" "$FRR_CONF" || return 1
  if [ "$PLATFORM" = cumulus ]; then cmp -s "$STAGE/interfaces" "$IFACES" || return 1; fi
  local delta
  delta=$($RELOAD --test "$(daemon_path "$FRR_CONF")" 2>/dev/null </dev/null) || return 1
  ! printf '%s\n' "$delta" | grep -v -x -E 'Lines To (Delete|Add)|=*|frr version .*' | grep -q .
}
if unchanged; then
  [ \${#KEYS[@]} -eq 0 ] && { say "unchanged: the running configuration already is the intended one; nothing to do"; exit 0; }
  SETTLE=0 wait_for "\${FIXED[@]}"
  waiting "\${MISSING[@]}"
  [ \${#MISSING[@]} -eq 0 ] && { done_line "unchanged: the running configuration already is the intended one"; exit 0; }
  fail 5 "unchanged: the running configuration already is the intended one (nothing reloaded), but these sessions are not Established after \${TIMEOUT}s: $(describe "\${MISSING[@]}")"
fi

# 2. Before: the sessions that are up, the running config, the installed files.
mapfile -t BEFORE < <(established)
running=$(run_vtysh -c 'show running-config' 2>&1) || { printf '%s\n' "$running" | quote; fail 6 "cannot read the running config (is FRR running?); nothing was changed"; }
# Without vtysh's banner and the blank lines after it.
printf '%s\n' "$running" | grep -v -e '^Building configuration\.\.\.$' -e '^Current configuration:$' | sed '/./,$!d' > "$BACKUP/running.conf"
snapshot() { # file name: back up a file before it changes; the first time ever, also keep it as .pre-bgp-fabric
  local file=$1 name=$2
  rm -f "$BACKUP/$name" "$BACKUP/$name.absent"
  if [ -f "$file" ]; then cp -p "$file" "$BACKUP/$name"; else : > "$BACKUP/$name.absent"; fi
  if [ ! -e "$file.pre-bgp-fabric" ]; then
    if [ -f "$file" ]; then cp -p "$file" "$file.pre-bgp-fabric"; elif [ "$name" = frr.conf ]; then cp "$BACKUP/running.conf" "$file.pre-bgp-fabric"; fi
  fi
}
snapshot "$FRR_CONF" frr.conf || fail 6 "cannot back up $FRR_CONF; nothing was changed"
if [ "$PLATFORM" = cumulus ]; then snapshot "$IFACES" interfaces || fail 6 "cannot back up $IFACES; nothing was changed"; fi

restore_file() { # file name
  if [ -f "$BACKUP/$2" ]; then install_file "$BACKUP/$2" "$1" "$(stat -c %a "$BACKUP/$2")" "$(stat -c %U:%G "$BACKUP/$2")"; else rm -f "$1"; fi
}
# Put everything back as it was; exit 4 (restored) or 7 (the restore failed too).
rollback() {
  local why=$1 detail=\${2:-}
  printf '%s: %s\n' "$DEVICE" "$why" >&2
  [ -z "$detail" ] || printf '%s\n' "$detail" | quote
  local ok=1 out=""
  if [ "$PLATFORM" = cumulus ]; then
    restore_file "$IFACES" interfaces && out=$($IFRELOAD -a 2>&1 </dev/null) || { ok=0; printf '%s\n' "$out" | quote; }
  fi
  # frr-reload.py writes the running config to frr.conf after reloading another file, so the file comes back last.
  out=$(run_reload "$BACKUP/running.conf" 2>&1) || { ok=0; printf '%s\n' "$out" | quote; }
  restore_file "$FRR_CONF" frr.conf || ok=0
  [ $ok = 1 ] || fail 7 "ROLLBACK FAILED: the previous configuration could not be fully restored; the device needs attention"
  if [ \${#BEFORE[@]} -gt 0 ]; then
    wait_for "\${BEFORE[@]}"
    [ \${#MISSING[@]} -eq 0 ] && why2="the sessions that were up are up again" || why2="still down after the restore: $(describe "\${MISSING[@]}")"
  else why2="no session was up before"; fi
  fail 4 "rolled back to the previous configuration ($why2)"
}

# 3. Apply.
if [ "$PLATFORM" = cumulus ]; then
  install_file "$STAGE/interfaces" "$IFACES" 644 "" || rollback "cannot install $IFACES"
  out=$($IFRELOAD -a 2>&1 </dev/null) || rollback "ifreload -a failed" "$out"
fi
install_file "$STAGE/frr.conf" "$FRR_CONF" 640 "$(frr_owner)" || rollback "cannot install $FRR_CONF"
out=$(run_reload "$FRR_CONF" 2>&1) || rollback "frr-reload.py failed to apply the new configuration" "$out"
printf '%s\n' "$out" | grep -E 'Executed|Failed|ERROR|WARNING' | redact | sed "s/^/$DEVICE: reload: /" || true

# 4. Converge, or undo what broke.
[ \${#KEYS[@]} -eq 0 ] && { say "applied; no BGP session to wait for"; exit 0; }
# Must be up: every fabric and external session, and every server session that was up before.
REQUIRED=("\${FIXED[@]}"); for k in "\${SERVERS[@]}"; do contains "$k" "\${BEFORE[@]}" && REQUIRED+=("$k"); done
wait_for "\${REQUIRED[@]}"
waiting "\${MISSING[@]}"
if [ \${#MISSING[@]} -eq 0 ]; then done_line "applied"; exit 0; fi
BROKEN=(); for k in "\${MISSING[@]}"; do contains "$k" "\${BEFORE[@]}" && BROKEN+=("$k"); done
if [ \${#BROKEN[@]} -gt 0 ]; then
  rollback "sessions Established before the change are down after \${TIMEOUT}s: $(describe "\${BROKEN[@]}")"
fi
fail 5 "the new configuration was kept (no session that was up went down), but these sessions did not come up within \${TIMEOUT}s: $(describe "\${MISSING[@]}")"`;

const DELETE_RUN = sh`
PRE="$FRR_CONF.pre-bgp-fabric"
if [ ! -e "$PRE" ]; then say "bgp-fabric never applied a configuration here; nothing to restore"; exit 0; fi
if [ -n "$APPLIED_SHA256" ] && [ "$(sha256sum < "$FRR_CONF" 2>/dev/null | cut -d' ' -f1)" != "$APPLIED_SHA256" ]; then
  say "the installed configuration is not the one this resource applied (a newer apply or a replacement installed another, or it was edited by hand): left in place"
  exit 0
fi
# frr-reload.py refuses an empty file; an empty snapshot means 'no configuration'.
[ -s "$PRE" ] || echo '!' > "$PRE"
if [ "$PLATFORM" = cumulus ] && [ -e "$IFACES.pre-bgp-fabric" ]; then
  install_file "$IFACES.pre-bgp-fabric" "$IFACES" 644 "" || fail 8 "cannot restore $IFACES"
  out=$($IFRELOAD -a 2>&1 </dev/null) || { printf '%s\n' "$out" | quote; fail 8 "ifreload -a failed restoring $IFACES"; }
  rm -f "$IFACES.pre-bgp-fabric"
fi
install_file "$PRE" "$FRR_CONF" 640 "$(frr_owner)" || fail 8 "cannot restore $FRR_CONF"
out=$(run_reload "$FRR_CONF" 2>&1) || { printf '%s\n' "$out" | quote; fail 8 "frr-reload.py failed restoring the configuration from before bgp-fabric"; }
rm -f "$PRE"; rm -rf "$STATE_DIR/candidate" "$STATE_DIR/backup"
say "restored the configuration found before bgp-fabric's first apply"`;
