#!/bin/bash
# bgp-fabric destroy: leaf1 (sonic). Restores the config found before the first bgp-fabric apply.
if [ -z "${BASH_VERSION:-}" ]; then echo "bgp-fabric: this script needs bash" >&2; exit 2; fi
set -uo pipefail
DEVICE=leaf1
# Paths and tools (override from the environment, e.g. for a lab namespace).
FRR_CONF="${FRR_CONF:-/etc/sonic/frr/frr.conf}"
VTYSH="${VTYSH:-docker exec -i bgp vtysh}"
RELOAD="${RELOAD:-docker exec -i bgp /usr/lib/frr/frr-reload.py}"
PYTHON="${PYTHON:-python3}"
STATE_DIR="${STATE_DIR:-/etc/sonic/frr/bgp-fabric}"
# The bgp container sees the host's /etc/sonic/frr as /etc/frr.
HOST_FRR_DIR="${HOST_FRR_DIR:-/etc/sonic/frr}"
DAEMON_FRR_DIR="${DAEMON_FRR_DIR:-/etc/frr}"
SONIC_DB_CLI="${SONIC_DB_CLI:-sonic-db-cli}"
LOCK_FILE="${LOCK_FILE:-/run/lock/bgp-fabric.lock}"
LOCK_WAIT="${LOCK_WAIT:-600}"
POLL_INTERVAL="${POLL_INTERVAL:-1}"
# sha256 of the frr.conf this resource installed: destroy leaves any other config alone.
APPLIED_SHA256=32473423cc76b0f27192d0f01b20b34c086ab2300c29841167f4c61c5f1f5ee5

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
mode=$($SONIC_DB_CLI CONFIG_DB hget 'DEVICE_METADATA|localhost' docker_routing_config_mode </dev/null 2>/dev/null)
case "$mode" in
  split-unified|unified) ;;
  *) fail 6 "docker_routing_config_mode is '$mode': set it to split-unified (config save; config reload) so $FRR_CONF is FRR's only config" ;;
esac

PRE="$FRR_CONF.pre-bgp-fabric"
if [ ! -e "$PRE" ]; then say "bgp-fabric never applied a configuration here; nothing to restore"; exit 0; fi
if [ -n "$APPLIED_SHA256" ] && [ "$(sha256sum < "$FRR_CONF" 2>/dev/null | cut -d' ' -f1)" != "$APPLIED_SHA256" ]; then
  say "the installed configuration is not the one this resource applied (a newer apply or a replacement installed another, or it was edited by hand): left in place"
  exit 0
fi
# frr-reload.py refuses an empty file; an empty snapshot means 'no configuration'.
[ -s "$PRE" ] || echo '!' > "$PRE"
install_file "$PRE" "$FRR_CONF" 640 "$(frr_owner)" || fail 8 "cannot restore $FRR_CONF"
out=$(run_reload "$FRR_CONF" 2>&1) || { printf '%s\n' "$out" | quote; fail 8 "frr-reload.py failed restoring the configuration from before bgp-fabric"; }
rm -f "$PRE"; rm -rf "$STATE_DIR/candidate" "$STATE_DIR/backup"
say "restored the configuration found before bgp-fabric's first apply"
