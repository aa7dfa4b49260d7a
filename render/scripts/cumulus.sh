# shellcheck shell=bash
## Cumulus Linux's fragments of the safe-apply and destroy scripts (render/platforms/cumulus.ts):
## besides frr.conf the script carries /etc/network/interfaces (ifupdown2), validates it, keeps
## the interface of this SSH session configured, installs it with `ifreload -a` before FRR
## reloads, and puts it back on rollback and destroy. Each section fills the hook of its name
## in render/scripts/{common,apply,destroy}.sh; the format is in docs/platforms.md.
## Fragments set and read variables of the script they are put in (out, ok):
# shellcheck disable=SC2034,SC2154

# @section settings
IFACES="${IFACES:-/etc/network/interfaces}"
IFUP="${IFUP:-ifup}"
IFQUERY="${IFQUERY:-ifquery}"
IFRELOAD="${IFRELOAD:-ifreload}"

# @section validate
if ! out=$($IFUP -a --syntax-check -i "$STAGE/interfaces" 2>&1 </dev/null); then
  printf '%s: ifupdown2 rejected the new interfaces file; nothing was changed:\n' "$DEVICE" >&2
  printf '%s\n' "$out" | quote
  exit "$EXIT_REJECTED"
fi
# The interface this SSH session arrived on must stay configured, or ifreload would cut us off.
server_ip=$(printf '%s' "${SSH_CONNECTION:-}" | awk '{print $3}')
if [ -n "$server_ip" ]; then
  mgmt_if=$(ip -o addr show 2>/dev/null | awk -v a="$server_ip" '{split($4, p, "/"); if (p[1] == a) print $2}' | head -n1)
  if [ -n "$mgmt_if" ] && ! $IFQUERY --list -a -i "$STAGE/interfaces" 2>/dev/null </dev/null | grep -qx "$mgmt_if"; then
    fail "$EXIT_PRECONDITION" "the new interfaces file does not configure $mgmt_if, which carries this SSH session; put it in /etc/network/interfaces.d/*.intf. Nothing was changed."
  fi
fi

## Inside unchanged(): the installed interfaces file must be the candidate too.
# @section unchanged
  cmp -s "$STAGE/interfaces" "$IFACES" || return 1

# @section snapshot
snapshot "$IFACES" interfaces || fail "$EXIT_PRECONDITION" "cannot back up $IFACES; nothing was changed"

## Inside rollback(), before FRR's restore: the interfaces file first.
# @section rollback
  if ! restore_file "$IFACES" interfaces || ! out=$($IFRELOAD -a 2>&1 </dev/null); then ok=0; printf '%s\n' "$out" | quote; fi

# @section install
install_file "$STAGE/interfaces" "$IFACES" 644 "" || rollback "cannot install $IFACES"
out=$($IFRELOAD -a 2>&1 </dev/null) || rollback "ifreload -a failed" "$out"

# @section restore
if [ -e "$IFACES.pre-bgp-fabric" ]; then
  install_file "$IFACES.pre-bgp-fabric" "$IFACES" 644 "" || fail "$EXIT_RESTORE_FAILED" "cannot restore $IFACES"
  out=$($IFRELOAD -a 2>&1 </dev/null) || { printf '%s\n' "$out" | quote; fail "$EXIT_RESTORE_FAILED" "ifreload -a failed restoring $IFACES"; }
  rm -f "$IFACES.pre-bgp-fabric"
fi
