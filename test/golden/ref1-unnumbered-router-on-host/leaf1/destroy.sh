#!/bin/bash
# bgp-fabric destroy: leaf1 (cumulus). Restores the config found before the first bgp-fabric apply.
if [ -z "${BASH_VERSION:-}" ]; then echo "bgp-fabric: this script needs bash" >&2; exit 2; fi
set -uo pipefail
DEVICE=leaf1
# Paths and tools (override from the environment, e.g. for a lab namespace).
FRR_CONF="${FRR_CONF:-/etc/frr/frr.conf}"
VTYSH="${VTYSH:-vtysh}"
RELOAD="${RELOAD:-/usr/lib/frr/frr-reload.py}"
PYTHON="${PYTHON:-python3}"
STATE_DIR="${STATE_DIR:-/var/lib/bgp-fabric}"
HOST_FRR_DIR="${HOST_FRR_DIR:-}"
DAEMON_FRR_DIR="${DAEMON_FRR_DIR:-}"
IFACES="${IFACES:-/etc/network/interfaces}"
IFUP="${IFUP:-ifup}"
IFQUERY="${IFQUERY:-ifquery}"
IFRELOAD="${IFRELOAD:-ifreload}"
LOCK_FILE="${LOCK_FILE:-/run/lock/bgp-fabric.lock}"
LOCK_WAIT="${LOCK_WAIT:-600}"
POLL_INTERVAL="${POLL_INTERVAL:-1}"
# sha256 of the frr.conf this resource installed: destroy leaves any other config alone.
APPLIED_SHA256=dd7811b6357da21e7d82ccbf935e43fb05393b2b2fd4612e05b13a3bc13c066b

fail() { local code=$1; shift; printf '%s: %s\n' "$DEVICE" "$*" >&2; exit "$code"; }
# FRR's text as the script prints it: BGP passwords masked.
redact() { sed -E 's/(password)[[:space:]]+[^[:space:]]+/\1 <redacted>/g'; }
quote() { redact | sed "s/^/$DEVICE: | /" >&2; }
say() { printf '%s: %s\n' "$DEVICE" "$*"; }
# A host path as the FRR daemons see it (SONiC: inside the bgp container).
daemon_path() { if [ -n "$HOST_FRR_DIR" ]; then printf '%s' "$DAEMON_FRR_DIR${1#"$HOST_FRR_DIR"}"; else printf '%s' "$1"; fi; }
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
# End the confirm timer of render/scripts/apply.sh, if that PID still is one.
stop_timer() { grep -qa bgp-fabric-confirm-timer "/proc/$1/cmdline" 2>/dev/null && kill "$1" 2>/dev/null; return 0; }

mkdir -p "$STATE_DIR" "$(dirname "$LOCK_FILE")" || fail 6 "cannot create $STATE_DIR"
exec 9>"$LOCK_FILE" || fail 6 "cannot open the lock file $LOCK_FILE"
flock -w "$LOCK_WAIT" 9 || fail 6 "another bgp-fabric run holds $LOCK_FILE (waited $LOCK_WAIT s)"

PRE="$FRR_CONF.pre-bgp-fabric"
if [ ! -e "$PRE" ]; then say "bgp-fabric never applied a configuration here; nothing to restore"; exit 0; fi
if [ -n "$APPLIED_SHA256" ] && [ "$(sha256sum < "$FRR_CONF" 2>/dev/null | cut -d' ' -f1)" != "$APPLIED_SHA256" ]; then
  say "the installed configuration is not the one this resource applied (a newer apply or a replacement installed another, or it was edited by hand): left in place"
  exit 0
fi
# frr-reload.py refuses an empty file; an empty snapshot means 'no configuration'.
[ -s "$PRE" ] || echo '!' > "$PRE"
if [ -e "$IFACES.pre-bgp-fabric" ]; then
  install_file "$IFACES.pre-bgp-fabric" "$IFACES" 644 "" || fail 8 "cannot restore $IFACES"
  out=$($IFRELOAD -a 2>&1 </dev/null) || { printf '%s\n' "$out" | quote; fail 8 "ifreload -a failed restoring $IFACES"; }
  rm -f "$IFACES.pre-bgp-fabric"
fi
install_file "$PRE" "$FRR_CONF" 640 "$(frr_owner)" || fail 8 "cannot restore $FRR_CONF"
out=$(run_reload "$FRR_CONF" 2>&1) || { printf '%s\n' "$out" | quote; fail 8 "frr-reload.py failed restoring the configuration from before bgp-fabric"; }
rm -f "$PRE"; rm -rf "$STATE_DIR/candidate" "$STATE_DIR/backup"
say "restored the configuration found before bgp-fabric's first apply"
