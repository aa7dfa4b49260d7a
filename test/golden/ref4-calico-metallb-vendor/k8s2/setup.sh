#!/bin/bash
# bgp-fabric host setup: k8s2 (calico-bgp, fabric ref4). Idempotent: safe to run again.
if [ -z "${BASH_VERSION:-}" ]; then echo "bgp-fabric: this script needs bash" >&2; exit 2; fi
set -euo pipefail
NODE=k8s2
# Paths and tools (override from the environment, e.g. ROOT for a lab node).
ROOT="${ROOT:-}"
IP="${IP:-ip}"
SYSCTL="${SYSCTL:-sysctl}"
SYSTEMCTL="${SYSTEMCTL:-systemctl}"
SYSCTL_FILE="${SYSCTL_FILE:-$ROOT/etc/sysctl.d/90-bgp-fabric.conf}"
NET_SCRIPT="${NET_SCRIPT:-$ROOT/usr/local/sbin/bgp-fabric-network}"
NET_UNIT="${NET_UNIT:-$ROOT/etc/systemd/system/bgp-fabric-network.service}"
KUBELET_DROPIN="${KUBELET_DROPIN:-$ROOT/etc/systemd/system/kubelet.service.d/20-bgp-fabric.conf}"
KUBELET_DEFAULTS="${KUBELET_DEFAULTS:-$ROOT/etc/default/kubelet}"
# systemd units are only managed where systemd runs (not in a lab namespace or a container).
if [ -z "${HAVE_SYSTEMD:-}" ]; then if [ -d /run/systemd/system ]; then HAVE_SYSTEMD=yes; else HAVE_SYSTEMD=no; fi; fi
CHANGED=()
# Write stdin to a file unless it already holds exactly that; records what changed.
write_if_changed() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -f "$file" ] && cmp -s "$tmp" "$file"; then rm -f "$tmp"; return 0; fi
  mkdir -p "$(dirname "$file")"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$file"
  CHANGED+=("$file")
}
was_changed() { local c; for c in "${CHANGED[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }

# 1. Addresses and uplinks: a script that runs now and at every boot.
write_if_changed "$NET_SCRIPT" 755 <<'BGP_FABRIC_NETWORK'
#!/bin/bash
# bgp-fabric: k8s2's addresses and uplinks (calico-bgp). Rendered by bgp-fabric; do not edit.
set -eu
IP="${IP:-ip}"
has_addr() { $IP -4 -o addr show dev "$1" | grep -q " inet $2 "; }
$IP link set dev lo up
for dev in eth1 eth2; do
  $IP link show dev "$dev" >/dev/null 2>&1 || { echo "uplink $dev does not exist" >&2; exit 1; }
  $IP link set dev "$dev" up
done
# Bonded uplinks: eth1 + eth2 in bond0 (LACP, 802.3ad) towards the rack pair; the rack address on bond0.1500.
if ! $IP link show dev bond0 >/dev/null 2>&1; then
  $IP link add bond0 type bond mode 802.3ad miimon 100 lacp_rate fast xmit_hash_policy layer3+4
  echo "created bond bond0 (802.3ad)"
fi
[ "$(cat /sys/class/net/bond0/bonding/mode 2>/dev/null | cut -d' ' -f1)" = 802.3ad ] || { echo "bond0 exists but is not an 802.3ad bond" >&2; exit 1; }
for dev in eth1 eth2; do
  master=$(readlink "/sys/class/net/$dev/master" 2>/dev/null || true)
  if [ "${master##*/}" != bond0 ]; then
    $IP -4 addr flush dev "$dev"
    $IP link set dev "$dev" down
    $IP link set dev "$dev" master bond0
    echo "enslaved $dev to bond0"
  fi
  $IP link set dev "$dev" up
done
$IP link set dev bond0 up
if ! $IP link show dev bond0.1500 >/dev/null 2>&1; then
  $IP link add link bond0 name bond0.1500 type vlan id 1500
  echo "created VLAN 1500 on bond0 (bond0.1500)"
fi
$IP link set dev bond0.1500 up
has_addr bond0.1500 192.168.9.194/28 || { $IP addr add 192.168.9.194/28 dev bond0.1500; echo "added 192.168.9.194/28 to bond0.1500"; }
# Non-BGP traffic leaves via the rack's gateway 192.168.9.206; BGP sessions stay with each leaf's own address.
$IP -4 route show default | grep -q "^default via 192.168.9.206 dev bond0.1500 " || { $IP route replace default via 192.168.9.206 dev bond0.1500 src 192.168.9.194; echo "default route via 192.168.9.206 on bond0.1500"; }
BGP_FABRIC_NETWORK

# 2. Kernel settings for a routed, multipath host.
write_if_changed "$SYSCTL_FILE" 644 <<'BGP_FABRIC_SYSCTL'
# bgp-fabric: a routed, multipath host. Rendered by bgp-fabric; do not edit.
net.ipv4.ip_forward = 1
net.ipv6.conf.all.forwarding = 1
# Loose reverse-path filtering: with ECMP a reply may arrive on another uplink.
net.ipv4.conf.all.rp_filter = 2
net.ipv4.conf.default.rp_filter = 2
# Hash flows on L4 ports too, so ECMP spreads them.
net.ipv4.fib_multipath_hash_policy = 1
net.ipv6.fib_multipath_hash_policy = 1
net.ipv4.conf.eth1.rp_filter = 2
net.ipv4.conf.eth2.rp_filter = 2
BGP_FABRIC_SYSCTL

# 3. The kubelet listens on, and registers, the node's own address.
write_if_changed "$KUBELET_DROPIN" 644 <<'BGP_FABRIC_KUBELET'
# bgp-fabric: the kubelet listens on and registers the node's fabric address. Rendered; do not edit.
# kubeadm's unit passes $KUBELET_EXTRA_ARGS to the kubelet.
[Service]
Environment="KUBELET_EXTRA_ARGS=--node-ip=192.168.9.194 --address=192.168.9.194"
BGP_FABRIC_KUBELET
if [ -f "$KUBELET_DEFAULTS" ] && grep -Eq '^KUBELET_EXTRA_ARGS=.+' "$KUBELET_DEFAULTS"; then
  echo "$NODE: warning: $KUBELET_DEFAULTS sets KUBELET_EXTRA_ARGS, which overrides $KUBELET_DROPIN; move those flags into the drop-in" >&2
fi
write_if_changed "$NET_UNIT" 644 <<'BGP_FABRIC_UNIT'
# bgp-fabric: the node's fabric addresses, before the kubelet starts. Rendered; do not edit.
[Unit]
Description=bgp-fabric node addresses and uplinks
After=network.target
Before=kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/bgp-fabric-network

[Install]
WantedBy=multi-user.target
BGP_FABRIC_UNIT

# 4. Apply now.
IP="$IP" bash "$NET_SCRIPT"
$SYSCTL -q -p "$SYSCTL_FILE" >/dev/null
if [ "$HAVE_SYSTEMD" = yes ]; then
  if was_changed "$NET_UNIT" || was_changed "$KUBELET_DROPIN"; then $SYSTEMCTL daemon-reload; fi
  $SYSTEMCTL is-enabled --quiet bgp-fabric-network.service || { $SYSTEMCTL enable --quiet bgp-fabric-network.service; CHANGED+=("bgp-fabric-network.service enabled"); }
  if was_changed "$KUBELET_DROPIN" && $SYSTEMCTL is-active --quiet kubelet.service; then $SYSTEMCTL restart kubelet.service; CHANGED+=("kubelet restarted"); fi
fi
if [ ${#CHANGED[@]} -eq 0 ]; then echo "$NODE: host setup: nothing to change"; else echo "$NODE: host setup: changed ${CHANGED[*]}"; fi
