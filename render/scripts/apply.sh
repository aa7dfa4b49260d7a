# shellcheck shell=bash
## The safe-apply script's own sections (after render/scripts/common.sh): the mode, the
## staging directory, the destroy mode and the protocol itself. The format of these
## files is in render/scripts/common.sh and docs/platforms.md; the protocol in
## render/apply-script.ts and docs/safe-apply.md.
## Set by the parts render/apply-script.ts writes itself (the device's expected sessions)
## and by common.sh; never set here:
# shellcheck disable=SC2154
## APPLIED_SHA256 (destroy mode) is read by destroy.sh's run, which render/apply-script.ts puts
## where @@DESTROY_RUN@@ stands:
# shellcheck disable=SC2034

## The apply script also is the resource's delete: the remote Command runs `bash -s apply`
## (create, update) and `bash -s destroy` (delete) with this one script on stdin.
# @section mode
MODE="${1:-apply}"
case "$MODE" in apply|destroy) ;; *) printf '%s: unknown mode %s (apply or destroy)\n' "$DEVICE" "$MODE" >&2; exit "$EXIT_USAGE" ;; esac

# @section prepare
KEYS=(); FIXED=(); SERVERS=(); declare -A PEER=()
for e in "${EXPECTED[@]}"; do
  read -r k p kind <<<"$e"
  KEYS+=("$k"); PEER["$k"]="$p"
  if [ "${kind:-}" = server ]; then SERVERS+=("$k"); else FIXED+=("$k"); fi
done
STAGE="$STATE_DIR/candidate"; BACKUP="$STATE_DIR/backup"
# shellcheck disable=SC2015 # rm or mkdir failing: either fails the run, as meant
rm -rf "$STAGE" && mkdir -p "$STAGE" "$BACKUP" || fail "$EXIT_PRECONDITION" "cannot create $STAGE"

## destroy: what this script installs is what it may hand back (render/scripts/destroy.sh).
# @section destroy-mode
if [ "$MODE" = destroy ]; then
  APPLIED_SHA256=$(sha256sum < "$STAGE/frr.conf" | cut -d' ' -f1)
  rm -rf "$STAGE"
  destroy_main() {
@@DESTROY_RUN@@
  }
  destroy_main
  exit 0
fi

# @section run
# Which of KEYS are Established now, one per line (none when bgpd does not answer).
established() {
  local json
  json=$(run_vtysh -c 'show bgp vrf default summary json' 2>/dev/null) || return 0
  printf '%s' "$json" | $PYTHON -c '@@ESTABLISHED_PY@@' "${KEYS[@]}"
}
contains() { local x=$1; shift; local y; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }
describe() { local k s=""; for k in "$@"; do s+="${s:+, }$k (${PEER[$k]})"; done; printf '%s' "$s"; }
# Day one: server sessions (with nodes) not in the list given are not waited for; those not
# Established after the wait are WAITING for their node's router, which is not a failure.
waiting() { local k; WAITING=(); for k in "${SERVERS[@]}"; do contains "$k" "$@" "${UP[@]}" || WAITING+=("$k"); done; }
# The success line: every session Established, or those up and the server sessions still waiting.
done_line() { # prefix
  if [ ${#WAITING[@]} -eq 0 ]; then say "$1; all ${#KEYS[@]} BGP sessions Established"
  else say "$1; $((${#KEYS[@]} - ${#WAITING[@]})) of ${#KEYS[@]} BGP sessions Established, ${#WAITING[@]} waiting for their node's router (not a failure): $(describe "${WAITING[@]}")"; fi
}
# Wait until every key given is Established (and SETTLE seconds have passed) or the time is up; sets MISSING.
wait_for() {
  local deadline=$((SECONDS + TIMEOUT)) settled=$((SECONDS + SETTLE)) k
  while :; do
    mapfile -t UP < <(established)
    MISSING=()
    for k in "$@"; do contains "$k" "${UP[@]}" || MISSING+=("$k"); done
    if [ ${#MISSING[@]} -eq 0 ] && [ $SECONDS -ge $settled ]; then return 0; fi
    if [ $SECONDS -ge $deadline ]; then return 0; fi
    sleep "$POLL_INTERVAL"
  done
}

# 1. Validate: FRR's own parser, before anything changes.
if ! out=$(run_vtysh --dryrun -f "$(daemon_path "$STAGE/frr.conf")" 2>&1); then
  printf '%s: FRR rejected the new configuration; nothing was changed:\n' "$DEVICE" >&2
  printf '%s\n' "$out" | quote
  exit "$EXIT_REJECTED"
fi
# @hook validate

# Unchanged: the installed files are the candidate and frr-reload.py --test finds nothing to change
# (its only line then is the version FRR writes itself). Then nothing is reloaded; the sessions are checked.
unchanged() {
  cmp -s "$STAGE/frr.conf" "$FRR_CONF" || return 1
  # @hook unchanged
  local delta
  delta=$($RELOAD --test "$(daemon_path "$FRR_CONF")" 2>/dev/null </dev/null) || return 1
  ! printf '%s\n' "$delta" | grep -v -x -E 'Lines To (Delete|Add)|=*|frr version .*' | grep -q .
}
if unchanged; then
  [ ${#KEYS[@]} -eq 0 ] && { say "unchanged: the running configuration already is the intended one; nothing to do"; exit 0; }
  SETTLE=0 wait_for "${FIXED[@]}"
  waiting "${MISSING[@]}"
  [ ${#MISSING[@]} -eq 0 ] && { done_line "unchanged: the running configuration already is the intended one"; exit 0; }
  fail "$EXIT_SESSIONS_DOWN" "unchanged: the running configuration already is the intended one (nothing reloaded), but these sessions are not Established after ${TIMEOUT}s: $(describe "${MISSING[@]}")"
fi

# 2. Before: the sessions that are up, the running config, the installed files.
mapfile -t BEFORE < <(established)
running=$(run_vtysh -c 'show running-config' 2>&1) || { printf '%s\n' "$running" | quote; fail "$EXIT_PRECONDITION" "cannot read the running config (is FRR running?); nothing was changed"; }
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
snapshot "$FRR_CONF" frr.conf || fail "$EXIT_PRECONDITION" "cannot back up $FRR_CONF; nothing was changed"
# @hook snapshot

restore_file() { # file name
  if [ -f "$BACKUP/$2" ]; then install_file "$BACKUP/$2" "$1" "$(stat -c %a "$BACKUP/$2")" "$(stat -c %U:%G "$BACKUP/$2")"; else rm -f "$1"; fi
}
# Put everything back as it was; exit "$EXIT_ROLLED_BACK" (restored) or "$EXIT_ROLLBACK_FAILED" (the restore failed too).
rollback() {
  local why=$1 detail=${2:-}
  printf '%s: %s\n' "$DEVICE" "$why" >&2
  [ -z "$detail" ] || printf '%s\n' "$detail" | quote
  local ok=1 out=""
  # @hook rollback
  # frr-reload.py writes the running config to frr.conf after reloading another file, so the file comes back last.
  out=$(run_reload "$BACKUP/running.conf" 2>&1) || { ok=0; printf '%s\n' "$out" | quote; }
  restore_file "$FRR_CONF" frr.conf || ok=0
  [ $ok = 1 ] || fail "$EXIT_ROLLBACK_FAILED" "ROLLBACK FAILED: the previous configuration could not be fully restored; the device needs attention"
  if [ ${#BEFORE[@]} -gt 0 ]; then
    wait_for "${BEFORE[@]}"
    [ ${#MISSING[@]} -eq 0 ] && why2="the sessions that were up are up again" || why2="still down after the restore: $(describe "${MISSING[@]}")"
  else why2="no session was up before"; fi
  fail "$EXIT_ROLLED_BACK" "rolled back to the previous configuration ($why2)"
}

# 3. Apply.
# @hook install
install_file "$STAGE/frr.conf" "$FRR_CONF" 640 "$(frr_owner)" || rollback "cannot install $FRR_CONF"
out=$(run_reload "$FRR_CONF" 2>&1) || rollback "frr-reload.py failed to apply the new configuration" "$out"
printf '%s\n' "$out" | grep -E 'Executed|Failed|ERROR|WARNING' | redact | sed "s/^/$DEVICE: reload: /" || true

# 4. Converge, or undo what broke.
[ ${#KEYS[@]} -eq 0 ] && { say "applied; no BGP session to wait for"; exit 0; }
# Must be up: every fabric and external session, and every server session that was up before.
REQUIRED=("${FIXED[@]}"); for k in "${SERVERS[@]}"; do contains "$k" "${BEFORE[@]}" && REQUIRED+=("$k"); done
wait_for "${REQUIRED[@]}"
waiting "${MISSING[@]}"
if [ ${#MISSING[@]} -eq 0 ]; then done_line "applied"; exit 0; fi
BROKEN=(); for k in "${MISSING[@]}"; do contains "$k" "${BEFORE[@]}" && BROKEN+=("$k"); done
if [ ${#BROKEN[@]} -gt 0 ]; then
  rollback "sessions Established before the change are down after ${TIMEOUT}s: $(describe "${BROKEN[@]}")"
fi
fail "$EXIT_SESSIONS_DOWN" "the new configuration was kept (no session that was up went down), but these sessions did not come up within ${TIMEOUT}s: $(describe "${MISSING[@]}")"
