# shellcheck shell=bash
## What every safe-apply and destroy script of every platform starts with. Not a script
## to run: render/apply-script.ts assembles the scripts from the sections of these files
## at render time (render/script-source.ts reads them; the format is in docs/platforms.md):
##   # @section NAME   starts a section; lines starting with ## (like this one) and the
##                     lines above the first section are never emitted
##   # @hook NAME      the platform driver's fragment of that name goes here (or nothing)
##   @@NAME@@          a value of the device or the platform, filled in at render time
##   "$EXIT_NAME"      an exit status of render/exit-codes.ts, written as its number
## The protocol is documented in render/apply-script.ts and docs/safe-apply.md.

# @section settings
if [ -z "${BASH_VERSION:-}" ]; then echo "bgp-fabric: this script needs bash" >&2; exit "$EXIT_USAGE"; fi
set -uo pipefail
DEVICE=@@DEVICE@@
# Paths and tools (override from the environment, e.g. for a lab namespace).
FRR_CONF="${FRR_CONF:-@@FRR_CONF@@}"
VTYSH="${VTYSH:-@@VTYSH@@}"
RELOAD="${RELOAD:-@@RELOAD@@}"
PYTHON="${PYTHON:-python3}"
STATE_DIR="${STATE_DIR:-@@STATE_DIR@@}"
# @hook paths
HOST_FRR_DIR="${HOST_FRR_DIR:-@@HOST_FRR_DIR@@}"
DAEMON_FRR_DIR="${DAEMON_FRR_DIR:-@@DAEMON_FRR_DIR@@}"
# @hook settings
LOCK_FILE="${LOCK_FILE:-/run/lock/bgp-fabric.lock}"
LOCK_WAIT="${LOCK_WAIT:-600}"
POLL_INTERVAL="${POLL_INTERVAL:-1}"

## Helpers both scripts share. $VTYSH and $RELOAD are split into words on purpose (SONiC's
## are `docker exec …`); stdin is closed so `docker exec -i` cannot read anything.
# @section helpers
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

mkdir -p "$STATE_DIR" "$(dirname "$LOCK_FILE")" || fail "$EXIT_PRECONDITION" "cannot create $STATE_DIR"
exec 9>"$LOCK_FILE" || fail "$EXIT_PRECONDITION" "cannot open the lock file $LOCK_FILE"
flock -w "$LOCK_WAIT" 9 || fail "$EXIT_PRECONDITION" "another bgp-fabric run holds $LOCK_FILE (waited $LOCK_WAIT s)"
# @hook preflight
