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
## SERVERS: the sessions that may wait (with a node, or with a switch of a later wave).
KEYS=(); FIXED=(); SERVERS=(); declare -A PEER=() KIND=()
for e in "${EXPECTED[@]}"; do
  read -r k p kind <<<"$e"
  KEYS+=("$k"); PEER["$k"]="$p"; KIND["$k"]="${kind:-}"
  case "${kind:-}" in server|later) SERVERS+=("$k") ;; *) FIXED+=("$k") ;; esac
done
STAGE="$STATE_DIR/candidate"; BACKUP="$STATE_DIR/backup"
# shellcheck disable=SC2015 # rm or mkdir failing: either fails the run, as meant
rm -rf "$STAGE" && mkdir -p "$STAGE" "$BACKUP" || fail "$EXIT_PRECONDITION" "cannot create $STAGE"

# @section confirm
## Commit-confirm (docs/safe-apply.md): before anything changes, the apply arms a timer on the
## device, detached from this SSH session (setsid, without our stdin, stdout or lock), that
## restores the backup after CONFIRM_WINDOW seconds unless a *new* SSH connection confirms the
## change (the confirm script, render/apply-script.ts renderConfirmScript). The state is files:
##   $CONFIRM_DIR/armed    "<sha256 of the candidate frr.conf> <deadline, epoch s>": pending
##   $CONFIRM_DIR/firing   the timer claimed it (rename is atomic: either confirm or the timer wins)
##   $CONFIRM_DIR/result   "confirmed|rolled-back|rollback-failed <sha256> <UTC time>"
##   $CONFIRM_DIR/timer.pid the timer's PID
# Put the backup back (files, then the saved running config); false when some of it failed.
restore_backup() {
  local ok=1 out=""
  # @hook rollback
  # frr-reload.py writes the running config to frr.conf after reloading another file, so the file comes back last.
  out=$(run_reload "$BACKUP/running.conf" 2>&1) || { ok=0; printf '%s\n' "$out" | quote; }
  restore_file "$FRR_CONF" frr.conf || ok=0
  [ $ok = 1 ]
}
restore_file() { # file name
  if [ -f "$BACKUP/$2" ]; then install_file "$BACKUP/$2" "$1" "$(stat -c %a "$BACKUP/$2")" "$(stat -c %U:%G "$BACKUP/$2")"; else rm -f "$1"; fi
}
utc() { date -u -d "@$1" +%H:%M:%SZ; }
# The restore of an unconfirmed change, by the timer (or by an apply finding the timer gone); the caller claimed armed as firing.
restore_unconfirmed() {
  local sha r
  sha=$(cut -d' ' -f1 "$CONFIRM_DIR/firing")
  if restore_backup; then r=rolled-back; else r=rollback-failed; fi
  printf '%s %s %s\n' "$r" "$sha" "$(date -u +%FT%TZ)" > "$CONFIRM_DIR/result"
  rm -f "$CONFIRM_DIR/firing" "$CONFIRM_DIR/timer.pid"
  say "not confirmed within ${CONFIRM_WINDOW}s: $r"
}
# The timer itself (run detached by arm_confirm, with these functions and settings).
# shellcheck disable=SC2317 # run by the detached bash -c of arm_confirm
confirm_timer() {
  local s
  trap 'kill "$s" 2>/dev/null; exit 0' TERM
  printf '%s\n' "$$" > "$CONFIRM_DIR/timer.pid"
  sleep "$CONFIRM_WINDOW" & s=$!
  wait "$s"
  mv "$CONFIRM_DIR/armed" "$CONFIRM_DIR/firing" 2>/dev/null || exit 0 # confirmed (or disarmed) meanwhile
  # An apply waiting for this outcome does not hold the lock; a running one finishes first.
  exec 9>"$LOCK_FILE" && flock -w "$LOCK_WAIT" 9
  restore_unconfirmed
}
arm_confirm() {
  local deadline=$(($(date +%s) + CONFIRM_WINDOW)) vars
  mkdir -p "$CONFIRM_DIR" && rm -f "$CONFIRM_DIR/result" || return 1
  printf '%s %s\n' "$CANDIDATE_SHA" "$deadline" > "$CONFIRM_DIR/armed" || return 1
  # shellcheck disable=SC2153 # RELOAD is common.sh's
  vars=$(declare -p DEVICE FRR_CONF VTYSH RELOAD PYTHON STATE_DIR HOST_FRR_DIR DAEMON_FRR_DIR LOCK_FILE LOCK_WAIT BACKUP CONFIRM_DIR CONFIRM_WINDOW @@PLATFORM_VARIABLES@@)
  setsid bash -c "$vars; $(declare -f); confirm_timer" bgp-fabric-confirm-timer </dev/null >>"$CONFIRM_DIR/timer.log" 2>&1 9>&- &
  CONFIRM_DEADLINE=$deadline
}
# The apply's own rollback takes the change back from the timer (its restore is the apply's).
disarm_confirm() {
  local pid
  mv "$CONFIRM_DIR/armed" "$CONFIRM_DIR/disarmed" 2>/dev/null || return 0
  pid=$(cat "$CONFIRM_DIR/timer.pid" 2>/dev/null) && stop_timer "$pid"
  rm -f "$CONFIRM_DIR/disarmed" "$CONFIRM_DIR/timer.pid"
}
# The timer runs (its PID file is written by the timer itself, within moments of arming).
timer_alive() {
  local pid
  [ $(($(date +%s) - $(stat -c %Y "$CONFIRM_DIR/armed" 2>/dev/null || echo 0))) -lt 5 ] && return 0
  pid=$(cat "$CONFIRM_DIR/timer.pid" 2>/dev/null) && grep -qa bgp-fabric-confirm-timer "/proc/$pid/cmdline" 2>/dev/null
}
# An apply while an earlier one awaits its confirmation waits for the outcome, without the lock
# (the timer takes it to restore). A timer that is gone (the device rebooted) is done here.
wait_pending() {
  [ -e "$CONFIRM_DIR/armed" ] || [ -e "$CONFIRM_DIR/firing" ] || return 0
  local sha deadline
  read -r sha deadline < "$CONFIRM_DIR/armed" 2>/dev/null || deadline=$(($(date +%s)))
  say "an earlier apply (frr.conf sha256 ${sha:0:12}) awaits its confirmation until $(utc "$deadline"): waiting for it to be confirmed or rolled back"
  flock -u 9
  while [ -e "$CONFIRM_DIR/armed" ] || [ -e "$CONFIRM_DIR/firing" ]; do
    if [ -e "$CONFIRM_DIR/armed" ] && ! timer_alive; then
      mv "$CONFIRM_DIR/armed" "$CONFIRM_DIR/firing" 2>/dev/null && { flock -w "$LOCK_WAIT" 9 || fail "$EXIT_PRECONDITION" "cannot take $LOCK_FILE"; say "its timer is gone (the device restarted?): restoring the configuration from before it"; restore_unconfirmed; flock -u 9; }
    fi
    [ "$(date +%s)" -gt $((deadline + LOCK_WAIT)) ] && fail "$EXIT_PRECONDITION" "the earlier apply is still pending after $LOCK_WAIT s; nothing was changed"
    sleep "$POLL_INTERVAL"
  done
  flock -w "$LOCK_WAIT" 9 || fail "$EXIT_PRECONDITION" "another bgp-fabric run holds $LOCK_FILE (waited $LOCK_WAIT s)"
  say "the earlier apply was $(cut -d' ' -f1 "$CONFIRM_DIR/result" 2>/dev/null || echo settled); going on"
}
CANDIDATE_SHA=$(sha256sum < "$STAGE/frr.conf" | cut -d' ' -f1)
wait_pending

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
# Established after the wait are WAITING for their node's router, which is not a failure. So are
# sessions with switches of a later wave of the rollout (render/apply-script.ts expectedSessions).
waiting() { local k; WAITING=(); for k in "${SERVERS[@]}"; do contains "$k" "$@" "${UP[@]}" || WAITING+=("$k"); done; }
# The success line: every session Established, or those up and the server sessions still waiting.
done_line() { # prefix
  if [ ${#WAITING[@]} -eq 0 ]; then say "$1; all ${#KEYS[@]} BGP sessions Established"; return; fi
  local k s nodes=() later=()
  for k in "${WAITING[@]}"; do if [ "${KIND[$k]}" = later ]; then later+=("$k"); else nodes+=("$k"); fi; done
  s="$1; $((${#KEYS[@]} - ${#WAITING[@]})) of ${#KEYS[@]} BGP sessions Established"
  [ ${#nodes[@]} -eq 0 ] || s+=", ${#nodes[@]} waiting for their node's router (not a failure): $(describe "${nodes[@]}")"
  [ ${#later[@]} -eq 0 ] || s+=", ${#later[@]} waiting for switches of a later wave (not a failure): $(describe "${later[@]}")"
  say "$s"
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

# The route checks (render/route-checks.ts): ROUTE_FROM, LOOPBACK_RANGE and ROUTE_RANGES are the script's.
bgp_table() { run_vtysh -c 'show bgp vrf default ipv4 unicast json' 2>/dev/null || echo '{}'; }
# Wait until nothing the checks ask for is missing, or the time is up; sets ROUTES_MISSING. bgpd
# applies a changed route-map or prefix-list only when its route-map delay-timer (5 s by default)
# fires, so routes are not judged before ROUTE_SETTLE seconds after the reload.
wait_routes() {
  local deadline=$((SECONDS + TIMEOUT)) settled=$((RELOADED + ROUTE_SETTLE)) from
  from=$(IFS=,; printf '%s' "${ROUTE_FROM[*]}")
  while :; do
    run_vtysh -c 'show bgp vrf default summary json' > "$STAGE/summary.json" 2>/dev/null
    mapfile -t ROUTES_MISSING < <(bgp_table | $PYTHON -c '@@ROUTES_PY@@' check "$BACKUP/routes.json" "$STAGE/summary.json" "$LOOPBACK_RANGE" "$from" "${ROUTE_RANGES[@]}")
    [ ${#ROUTES_MISSING[@]} -eq 0 ] && [ $SECONDS -ge $settled ] && return 0
    [ $SECONDS -ge $deadline ] && [ $SECONDS -ge $settled ] && return 1
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

# 2. Before: the sessions that are up, the routes the checks compare, the running config, the installed files.
mapfile -t BEFORE < <(established)
if [ ${#ROUTE_RANGES[@]} -gt 0 ]; then bgp_table | $PYTHON -c '@@ROUTES_PY@@' snapshot "${ROUTE_RANGES[@]}" > "$BACKUP/routes.json"; fi
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

# Put everything back as it was; exit "$EXIT_ROLLED_BACK" (restored) or "$EXIT_ROLLBACK_FAILED" (the restore failed too).
rollback() {
  local why=$1 detail=${2:-}
  printf '%s: %s\n' "$DEVICE" "$why" >&2
  [ -z "$detail" ] || printf '%s\n' "$detail" | quote
  disarm_confirm
  restore_backup || fail "$EXIT_ROLLBACK_FAILED" "ROLLBACK FAILED: the previous configuration could not be fully restored; the device needs attention"
  if [ ${#BEFORE[@]} -gt 0 ]; then
    wait_for "${BEFORE[@]}"
    [ ${#MISSING[@]} -eq 0 ] && why2="the sessions that were up are up again" || why2="still down after the restore: $(describe "${MISSING[@]}")"
  else why2="no session was up before"; fi
  fail "$EXIT_ROLLED_BACK" "rolled back to the previous configuration ($why2)"
}

# 3. Arm the device's own rollback, then apply.
arm_confirm || fail "$EXIT_PRECONDITION" "cannot arm the confirm timer in $CONFIRM_DIR; nothing was changed"
# @hook install
install_file "$STAGE/frr.conf" "$FRR_CONF" 640 "$(frr_owner)" || rollback "cannot install $FRR_CONF"
out=$(run_reload "$FRR_CONF" 2>&1) || rollback "frr-reload.py failed to apply the new configuration" "$out"
printf '%s\n' "$out" | grep -E 'Executed|Failed|ERROR|WARNING' | redact | sed "s/^/$DEVICE: reload: /" || true
RELOADED=$SECONDS
say "reloaded; the previous configuration comes back unless this change converges and is confirmed"

# 4. Converge, or undo what broke. What is kept still needs its confirmation.
awaiting() { say "awaiting confirmation over a new SSH connection: without it the device restores its previous configuration at $(utc "$CONFIRM_DEADLINE") (apply.confirmWindow ${CONFIRM_WINDOW}s)"; }
[ ${#KEYS[@]} -eq 0 ] && { say "applied; no BGP session to wait for"; awaiting; exit 0; }
# Must be up: every fabric and external session, and every server session that was up before.
REQUIRED=("${FIXED[@]}"); for k in "${SERVERS[@]}"; do contains "$k" "${BEFORE[@]}" && REQUIRED+=("$k"); done
# Nothing was up before (day one): no session can look up while the change breaks it, and no
# earlier policy is waiting for bgpd's route-map delay-timer, so neither settling wait applies.
if [ ${#BEFORE[@]} -eq 0 ]; then SETTLE=0; ROUTE_SETTLE=0; fi
wait_for "${REQUIRED[@]}"
waiting "${MISSING[@]}"
if [ ${#MISSING[@]} -eq 0 ]; then
  if [ ${#ROUTE_RANGES[@]} -gt 0 ] && ! wait_routes; then
    rollback "the sessions are up, but routes are missing after ${TIMEOUT}s (does a policy drop them?): $(printf '%s; ' "${ROUTES_MISSING[@]}" | sed 's/; $//')"
  fi
  after_converge || rollback "the check after convergence failed (above)"
  done_line "applied"; awaiting; exit 0
fi
BROKEN=(); for k in "${MISSING[@]}"; do contains "$k" "${BEFORE[@]}" && BROKEN+=("$k"); done
if [ ${#BROKEN[@]} -gt 0 ]; then
  rollback "sessions Established before the change are down after ${TIMEOUT}s: $(describe "${BROKEN[@]}")"
fi
printf '%s: %s\n' "$DEVICE" "the new configuration was kept (no session that was up went down), but these sessions did not come up within ${TIMEOUT}s: $(describe "${MISSING[@]}")" >&2
fail "$EXIT_SESSIONS_DOWN" "kept unconfirmed: a controller confirms only an apply that succeeded, so unless confirmed the device restores its previous configuration at $(utc "$CONFIRM_DEADLINE") (apply.confirmWindow ${CONFIRM_WINDOW}s)"
