#!/bin/bash
# bgp-fabric apply: leaf1 (frr). The protocol is documented in render/apply-script.ts.
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
LOCK_FILE="${LOCK_FILE:-/run/lock/bgp-fabric.lock}"
LOCK_WAIT="${LOCK_WAIT:-600}"
POLL_INTERVAL="${POLL_INTERVAL:-1}"
TIMEOUT="${TIMEOUT:-60}"
SETTLE="${SETTLE:-3}"
CONFIRM_WINDOW="${CONFIRM_WINDOW:-300}"
CONFIRM_DIR="$STATE_DIR/confirm"
# Expected sessions: FRR's neighbor key, the peer, and `server` for a session with a node
# (day one: it may wait for the node's router; see docs/safe-apply.md).
EXPECTED=(
  "swp51 spine1"
  "swp52 spine2"
  "swp1 k8s1 server"
  "swp2 k8s2 server"
  "swp3 k8s3 server"
)
# Route checks after the sessions (render/route-checks.ts): the fabric neighbours that must each
# send a loopback of their own, and the ranges whose prefixes may not lose paths.
ROUTE_FROM=(swp51 swp52)
LOOPBACK_RANGE=172.16.255.0/24
ROUTE_RANGES=(172.16.255.0/24 10.1.3.0/24)
ROUTE_SETTLE="${ROUTE_SETTLE:-6}"
# A check once every required session is up (e.g. a drain's wait): false rolls the change back.
after_converge() {
  return 0
}

MODE="${1:-apply}"
case "$MODE" in apply|destroy) ;; *) printf '%s: unknown mode %s (apply or destroy)\n' "$DEVICE" "$MODE" >&2; exit 2 ;; esac

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

KEYS=(); FIXED=(); SERVERS=(); declare -A PEER=() KIND=()
for e in "${EXPECTED[@]}"; do
  read -r k p kind <<<"$e"
  KEYS+=("$k"); PEER["$k"]="$p"; KIND["$k"]="${kind:-}"
  case "${kind:-}" in server|later) SERVERS+=("$k") ;; *) FIXED+=("$k") ;; esac
done
STAGE="$STATE_DIR/candidate"; BACKUP="$STATE_DIR/backup"
# shellcheck disable=SC2015 # rm or mkdir failing: either fails the run, as meant
rm -rf "$STAGE" && mkdir -p "$STAGE" "$BACKUP" || fail 6 "cannot create $STAGE"
cat > "$STAGE/frr.conf" <<'BGP_FABRIC_FRR_CONF'
! leaf1: leaf AS 65101 of fabric dev. Rendered by bgp-fabric: edit the stack, not this file.
frr version 8.4
frr defaults datacenter
hostname leaf1
log syslog informational
service integrated-vtysh-config
no zebra nexthop kernel enable
!
bfd
 profile fabric
  receive-interval 100
  transmit-interval 100
 exit
exit
!
interface lo
 ip address 172.16.255.101/32
exit
!
interface swp1
 description k8s1:eth1
 ipv6 nd ra-interval 3
 no ipv6 nd suppress-ra
exit
!
interface swp2
 description k8s2:eth1
 ipv6 nd ra-interval 3
 no ipv6 nd suppress-ra
exit
!
interface swp3
 description k8s3:eth1
 ipv6 nd ra-interval 3
 no ipv6 nd suppress-ra
exit
!
interface swp51
 description spine1:swp1
 ipv6 nd ra-interval 3
 no ipv6 nd suppress-ra
exit
!
interface swp52
 description spine2:swp1
 ipv6 nd ra-interval 3
 no ipv6 nd suppress-ra
exit
!
! What this switch originates.
ip prefix-list ORIGINATE seq 10 permit 172.16.255.101/32
!
! What the fabric carries and shows the outside: loopbacks, racks, external links, pod blocks, VIPs.
ip prefix-list FABRIC seq 10 permit 172.16.255.0/24 ge 32
ip prefix-list FABRIC seq 20 permit 10.1.3.0/24 ge 32
ip prefix-list FABRIC seq 30 permit 172.16.254.0/31
ip prefix-list FABRIC seq 40 permit 172.16.254.2/31
ip prefix-list FABRIC seq 50 permit 10.233.64.0/18 ge 26 le 26
ip prefix-list FABRIC seq 60 permit 172.29.0.0/24 ge 32
!
! Routes learned from an external router: its ASN is in the path.
bgp as-path access-list EXTERNAL seq 10 permit _64512_
!
! What any node may announce besides its own loopback: pod blocks and VIPs.
ip prefix-list SERVER-ROUTES seq 10 permit 10.233.64.0/18 ge 26 le 26
ip prefix-list SERVER-ROUTES seq 20 permit 172.29.0.0/24 ge 32
!
! Each node's own loopback.
ip prefix-list NODE-k8s1 seq 10 permit 10.1.3.1/32
ip prefix-list NODE-k8s2 seq 10 permit 10.1.3.2/32
ip prefix-list NODE-k8s3 seq 10 permit 10.1.3.3/32
!
route-map ORIGINATE permit 10
 match ip address prefix-list ORIGINATE
exit
!
route-map FABRIC permit 10
 match ip address prefix-list FABRIC
exit
route-map FABRIC permit 20
 match as-path EXTERNAL
exit
!
route-map FROM-k8s1 permit 10
 match ip address prefix-list NODE-k8s1
exit
route-map FROM-k8s1 permit 20
 match ip address prefix-list SERVER-ROUTES
exit
!
route-map FROM-k8s2 permit 10
 match ip address prefix-list NODE-k8s2
exit
route-map FROM-k8s2 permit 20
 match ip address prefix-list SERVER-ROUTES
exit
!
route-map FROM-k8s3 permit 10
 match ip address prefix-list NODE-k8s3
exit
route-map FROM-k8s3 permit 20
 match ip address prefix-list SERVER-ROUTES
exit
!
router bgp 65101
 bgp router-id 172.16.255.101
 bgp bestpath as-path multipath-relax
 bgp graceful-restart
 neighbor fabric peer-group
 neighbor fabric remote-as external
 neighbor fabric bfd
 neighbor fabric bfd profile fabric
 neighbor fabric capability extended-nexthop
 neighbor fabric timers 1 3
 neighbor fabric advertisement-interval 0
 neighbor swp51 interface peer-group fabric
 neighbor swp51 description spine1:swp1
 neighbor swp52 interface peer-group fabric
 neighbor swp52 description spine2:swp1
 neighbor servers peer-group
 neighbor servers remote-as external
 neighbor servers bfd
 neighbor servers bfd profile fabric
 neighbor servers capability extended-nexthop
 neighbor servers timers 1 3
 neighbor servers advertisement-interval 0
 neighbor swp1 interface peer-group servers
 neighbor swp1 description k8s1:eth1
 neighbor swp2 interface peer-group servers
 neighbor swp2 description k8s2:eth1
 neighbor swp3 interface peer-group servers
 neighbor swp3 description k8s3:eth1
 neighbor servers ttl-security hops 1
 !
 address-family ipv4 unicast
  redistribute connected route-map ORIGINATE
  neighbor fabric route-map FABRIC in
  neighbor fabric route-map FABRIC out
  neighbor servers route-map FABRIC out
  neighbor swp1 route-map FROM-k8s1 in
  neighbor swp2 route-map FROM-k8s2 in
  neighbor swp3 route-map FROM-k8s3 in
  neighbor servers soft-reconfiguration inbound
  neighbor swp1 maximum-prefix 434 restart 5 force
  neighbor swp2 maximum-prefix 434 restart 5 force
  neighbor swp3 maximum-prefix 434 restart 5 force
  maximum-paths 64
 exit-address-family
exit
!
BGP_FABRIC_FRR_CONF

# Put the backup back (files, then the saved running config); false when some of it failed.
restore_backup() {
  local ok=1 out=""
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
  vars=$(declare -p DEVICE FRR_CONF VTYSH RELOAD PYTHON STATE_DIR HOST_FRR_DIR DAEMON_FRR_DIR LOCK_FILE LOCK_WAIT BACKUP CONFIRM_DIR CONFIRM_WINDOW )
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
      mv "$CONFIRM_DIR/armed" "$CONFIRM_DIR/firing" 2>/dev/null && { flock -w "$LOCK_WAIT" 9 || fail 6 "cannot take $LOCK_FILE"; say "its timer is gone (the device restarted?): restoring the configuration from before it"; restore_unconfirmed; flock -u 9; }
    fi
    [ "$(date +%s)" -gt $((deadline + LOCK_WAIT)) ] && fail 6 "the earlier apply is still pending after $LOCK_WAIT s; nothing was changed"
    sleep "$POLL_INTERVAL"
  done
  flock -w "$LOCK_WAIT" 9 || fail 6 "another bgp-fabric run holds $LOCK_FILE (waited $LOCK_WAIT s)"
  say "the earlier apply was $(cut -d' ' -f1 "$CONFIRM_DIR/result" 2>/dev/null || echo settled); going on"
}
CANDIDATE_SHA=$(sha256sum < "$STAGE/frr.conf" | cut -d' ' -f1)
wait_pending

if [ "$MODE" = destroy ]; then
  APPLIED_SHA256=$(sha256sum < "$STAGE/frr.conf" | cut -d' ' -f1)
  rm -rf "$STAGE"
  destroy_main() {

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
  }
  destroy_main
  exit 0
fi

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
' "${KEYS[@]}"
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
    mapfile -t ROUTES_MISSING < <(bgp_table | $PYTHON -c '
import ipaddress, json, sys
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
def inside(prefix, ranges):
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
    return any(net.version == r.version and net.subnet_of(r) for r in ranges)
def table(data, ranges):
    out = {}
    routes = data.get("routes") if isinstance(data, dict) else None
    for prefix, entries in (routes or {}).items():
        if not inside(prefix, ranges):
            continue
        out[prefix] = [str(e.get("path") or "") for e in (entries if isinstance(entries, list) else []) if isinstance(e, dict) and e.get("valid")]
    return out
try:
    data = json.load(sys.stdin)
except ValueError:
    data = {}
mode = sys.argv[1]
if mode == "snapshot":
    print(json.dumps(table(data, [ipaddress.ip_network(r) for r in sys.argv[2:]])))
    sys.exit(0)
before, summary = load(sys.argv[2]), load(sys.argv[3])
loopbacks = [ipaddress.ip_network(sys.argv[4])]
ranges = [ipaddress.ip_network(r) for r in sys.argv[6:]]
now = table(data, ranges + loopbacks)
peers = {}
for af in summary.values() if isinstance(summary, dict) else []:
    if isinstance(af, dict):
        peers.update(af.get("peers") or {})
originated = set(p for prefix, ps in now.items() if inside(prefix, loopbacks) for p in ps)
for key in [k for k in sys.argv[5].split(",") if k]:
    peer = peers.get(key) or {}
    if peer.get("state") != "Established":
        continue
    asn = str(peer.get("remoteAs", ""))
    if asn not in originated:
        print("no loopback originated by %s (AS %s)" % (key, asn))
for prefix in sorted(before):
    if len(now.get(prefix, [])) < len(before[prefix]):
        print("%s: %d of %d paths" % (prefix, len(now.get(prefix, [])), len(before[prefix])))
' check "$BACKUP/routes.json" "$STAGE/summary.json" "$LOOPBACK_RANGE" "$from" "${ROUTE_RANGES[@]}")
    [ ${#ROUTES_MISSING[@]} -eq 0 ] && [ $SECONDS -ge $settled ] && return 0
    [ $SECONDS -ge $deadline ] && [ $SECONDS -ge $settled ] && return 1
    sleep "$POLL_INTERVAL"
  done
}

# 1. Validate: FRR's own parser, before anything changes.
if ! out=$(run_vtysh --dryrun -f "$(daemon_path "$STAGE/frr.conf")" 2>&1); then
  printf '%s: FRR rejected the new configuration; nothing was changed:\n' "$DEVICE" >&2
  printf '%s\n' "$out" | quote
  exit 3
fi

# Unchanged: the installed files are the candidate and frr-reload.py --test finds nothing to change
# (its only line then is the version FRR writes itself). Then nothing is reloaded; the sessions are checked.
unchanged() {
  cmp -s "$STAGE/frr.conf" "$FRR_CONF" || return 1
  local delta
  delta=$($RELOAD --test "$(daemon_path "$FRR_CONF")" 2>/dev/null </dev/null) || return 1
  ! printf '%s\n' "$delta" | grep -v -x -E 'Lines To (Delete|Add)|=*|frr version .*' | grep -q .
}
if unchanged; then
  [ ${#KEYS[@]} -eq 0 ] && { say "unchanged: the running configuration already is the intended one; nothing to do"; exit 0; }
  SETTLE=0 wait_for "${FIXED[@]}"
  waiting "${MISSING[@]}"
  [ ${#MISSING[@]} -eq 0 ] && { done_line "unchanged: the running configuration already is the intended one"; exit 0; }
  fail 5 "unchanged: the running configuration already is the intended one (nothing reloaded), but these sessions are not Established after ${TIMEOUT}s: $(describe "${MISSING[@]}")"
fi

# 2. Before: the sessions that are up, the routes the checks compare, the running config, the installed files.
mapfile -t BEFORE < <(established)
if [ ${#ROUTE_RANGES[@]} -gt 0 ]; then bgp_table | $PYTHON -c '
import ipaddress, json, sys
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
def inside(prefix, ranges):
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
    return any(net.version == r.version and net.subnet_of(r) for r in ranges)
def table(data, ranges):
    out = {}
    routes = data.get("routes") if isinstance(data, dict) else None
    for prefix, entries in (routes or {}).items():
        if not inside(prefix, ranges):
            continue
        out[prefix] = [str(e.get("path") or "") for e in (entries if isinstance(entries, list) else []) if isinstance(e, dict) and e.get("valid")]
    return out
try:
    data = json.load(sys.stdin)
except ValueError:
    data = {}
mode = sys.argv[1]
if mode == "snapshot":
    print(json.dumps(table(data, [ipaddress.ip_network(r) for r in sys.argv[2:]])))
    sys.exit(0)
before, summary = load(sys.argv[2]), load(sys.argv[3])
loopbacks = [ipaddress.ip_network(sys.argv[4])]
ranges = [ipaddress.ip_network(r) for r in sys.argv[6:]]
now = table(data, ranges + loopbacks)
peers = {}
for af in summary.values() if isinstance(summary, dict) else []:
    if isinstance(af, dict):
        peers.update(af.get("peers") or {})
originated = set(p for prefix, ps in now.items() if inside(prefix, loopbacks) for p in ps)
for key in [k for k in sys.argv[5].split(",") if k]:
    peer = peers.get(key) or {}
    if peer.get("state") != "Established":
        continue
    asn = str(peer.get("remoteAs", ""))
    if asn not in originated:
        print("no loopback originated by %s (AS %s)" % (key, asn))
for prefix in sorted(before):
    if len(now.get(prefix, [])) < len(before[prefix]):
        print("%s: %d of %d paths" % (prefix, len(now.get(prefix, [])), len(before[prefix])))
' snapshot "${ROUTE_RANGES[@]}" > "$BACKUP/routes.json"; fi
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

# Put everything back as it was; exit 4 (restored) or 7 (the restore failed too).
rollback() {
  local why=$1 detail=${2:-}
  printf '%s: %s\n' "$DEVICE" "$why" >&2
  [ -z "$detail" ] || printf '%s\n' "$detail" | quote
  disarm_confirm
  restore_backup || fail 7 "ROLLBACK FAILED: the previous configuration could not be fully restored; the device needs attention"
  if [ ${#BEFORE[@]} -gt 0 ]; then
    wait_for "${BEFORE[@]}"
    [ ${#MISSING[@]} -eq 0 ] && why2="the sessions that were up are up again" || why2="still down after the restore: $(describe "${MISSING[@]}")"
  else why2="no session was up before"; fi
  fail 4 "rolled back to the previous configuration ($why2)"
}

# 3. Arm the device's own rollback, then apply.
arm_confirm || fail 6 "cannot arm the confirm timer in $CONFIRM_DIR; nothing was changed"
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
fail 5 "kept unconfirmed: a controller confirms only an apply that succeeded, so unless confirmed the device restores its previous configuration at $(utc "$CONFIRM_DEADLINE") (apply.confirmWindow ${CONFIRM_WINDOW}s)"
