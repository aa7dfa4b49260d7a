// setup.sh of one Kubernetes node: the host side of the fabric, run over SSH
// (or by the lab inside the node's namespace). Idempotent: every step checks
// before it changes anything, and a second run reports nothing changed.
//
// router-on-host: lo carries the node's /32 loopback; uplinks are up with no
//   IPv4 address (BGP unnumbered over IPv6 link-local; the kernel accepts
//   router advertisements but takes no default route from them).
// calico-bgp: the node's address in its rack subnet, on its one uplink; a
//   node cabled to both leafs of a rack pair carries it as a /32 on lo with a
//   host route to each leaf's address over the uplink to that leaf. A bonded
//   node (plan `bond`) enslaves its uplinks to an LACP (802.3ad) bond and
//   carries `<address>/<rack length>` on the bond or its VLAN interface
//   (`bond0.1500`): both leafs' SVIs are on-link there. Where the rack has a
//   gateway, the default route (non-BGP traffic) goes via it on the interface
//   that holds the rack address; BGP peers stay the leafs' own addresses.
// Both: forwarding on, loose reverse-path filtering (ECMP makes the return
//   path differ from the way in), L4 multipath hashing, and a kubelet drop-in
//   binding the kubelet to that address. The addresses are also written as a
//   small script a systemd unit runs at boot, before the kubelet.

import { FabricPlan, PlannedDevice, rackRouting } from "../plan";
import { parseCidr } from "../plan/ipv4";
import { findDevice } from "./frr-common";

export function renderHostSetup(plan: FabricPlan, name: string): string {
    const d = findDevice(plan, name);
    if (d.role !== "node")
        throw new Error(`${name} is a ${d.role}: host setup is for Kubernetes nodes`);
    const calico = rackRouting(plan.kubernetes.routing);
    const uplinks = d.interfaces.filter((i) => i.kind === "server").map((i) => i.name);
    const address = calico ? d.address : d.loopback;
    if (!address)
        throw new Error(`${name}: no address in its rack subnet (${plan.kubernetes.routing})`);
    return (
        [
            "#!/bin/bash",
            `# bgp-fabric host setup: ${d.name} (${plan.kubernetes.routing}, fabric ${plan.name}). Idempotent: safe to run again.`,
            'if [ -z "${BASH_VERSION:-}" ]; then echo "bgp-fabric: this script needs bash" >&2; exit 2; fi',
            "set -euo pipefail",
            `NODE=${d.name}`,
            "# Paths and tools (override from the environment, e.g. ROOT for a lab node).",
            'ROOT="${ROOT:-}"',
            'IP="${IP:-ip}"',
            'SYSCTL="${SYSCTL:-sysctl}"',
            'SYSTEMCTL="${SYSTEMCTL:-systemctl}"',
            'SYSCTL_FILE="${SYSCTL_FILE:-$ROOT/etc/sysctl.d/90-bgp-fabric.conf}"',
            'NET_SCRIPT="${NET_SCRIPT:-$ROOT/usr/local/sbin/bgp-fabric-network}"',
            'NET_UNIT="${NET_UNIT:-$ROOT/etc/systemd/system/bgp-fabric-network.service}"',
            'KUBELET_DROPIN="${KUBELET_DROPIN:-$ROOT/etc/systemd/system/kubelet.service.d/20-bgp-fabric.conf}"',
            'KUBELET_DEFAULTS="${KUBELET_DEFAULTS:-$ROOT/etc/default/kubelet}"',
            "# systemd units are only managed where systemd runs (not in a lab namespace or a container).",
            'if [ -z "${HAVE_SYSTEMD:-}" ]; then if [ -d /run/systemd/system ]; then HAVE_SYSTEMD=yes; else HAVE_SYSTEMD=no; fi; fi',
            HELPERS,
            "",
            "# 1. Addresses and uplinks: a script that runs now and at every boot.",
            heredoc(
                'write_if_changed "$NET_SCRIPT" 755',
                "BGP_FABRIC_NETWORK",
                netScript(plan, d, uplinks),
            ),
            "",
            "# 2. Kernel settings for a routed, multipath host.",
            heredoc(
                'write_if_changed "$SYSCTL_FILE" 644',
                "BGP_FABRIC_SYSCTL",
                sysctls(calico, uplinks),
            ),
            "",
            "# 3. The kubelet listens on, and registers, the node's own address.",
            heredoc(
                'write_if_changed "$KUBELET_DROPIN" 644',
                "BGP_FABRIC_KUBELET",
                kubeletDropIn(address),
            ),
            'if [ -f "$KUBELET_DEFAULTS" ] && grep -Eq \'^KUBELET_EXTRA_ARGS=.+\' "$KUBELET_DEFAULTS"; then',
            '  echo "$NODE: warning: $KUBELET_DEFAULTS sets KUBELET_EXTRA_ARGS, which overrides $KUBELET_DROPIN; move those flags into the drop-in" >&2',
            "fi",
            heredoc('write_if_changed "$NET_UNIT" 644', "BGP_FABRIC_UNIT", bootUnit()),
            APPLY,
        ].join("\n") + "\n"
    );
}

const HELPERS = `CHANGED=()
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
was_changed() { local c; for c in "\${CHANGED[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }`;

const APPLY = `
# 4. Apply now.
IP="$IP" bash "$NET_SCRIPT"
$SYSCTL -q -p "$SYSCTL_FILE" >/dev/null
if [ "$HAVE_SYSTEMD" = yes ]; then
  if was_changed "$NET_UNIT" || was_changed "$KUBELET_DROPIN"; then $SYSTEMCTL daemon-reload; fi
  $SYSTEMCTL is-enabled --quiet bgp-fabric-network.service || { $SYSTEMCTL enable --quiet bgp-fabric-network.service; CHANGED+=("bgp-fabric-network.service enabled"); }
  if was_changed "$KUBELET_DROPIN" && $SYSTEMCTL is-active --quiet kubelet.service; then $SYSTEMCTL restart kubelet.service; CHANGED+=("kubelet restarted"); fi
fi
if [ \${#CHANGED[@]} -eq 0 ]; then echo "$NODE: host setup: nothing to change"; else echo "$NODE: host setup: changed \${CHANGED[*]}"; fi`;

function heredoc(command: string, eof: string, text: string): string {
    if (text.split("\n").includes(eof))
        throw new Error(`the text contains the heredoc delimiter ${eof}`);
    return `${command} <<'${eof}'\n${text.endsWith("\n") ? text : `${text}\n`}${eof}`;
}

/** The boot-time script: addresses and links only, each step checked first. */
function netScript(plan: FabricPlan, d: PlannedDevice, uplinks: string[]): string {
    const calico = rackRouting(plan.kubernetes.routing);
    const lines = [
        "#!/bin/bash",
        `# bgp-fabric: ${d.name}'s addresses and uplinks (${plan.kubernetes.routing}). Rendered by bgp-fabric; do not edit.`,
        "set -eu",
        'IP="${IP:-ip}"',
        'has_addr() { $IP -4 -o addr show dev "$1" | grep -q " inet $2 "; }',
        "$IP link set dev lo up",
        `for dev in ${uplinks.join(" ")}; do`,
        '  $IP link show dev "$dev" >/dev/null 2>&1 || { echo "uplink $dev does not exist" >&2; exit 1; }',
        '  $IP link set dev "$dev" up',
        "done",
    ];
    if (!calico) {
        lines.push(
            "# The node's /32: the kubelet's and the router's address.",
            addAddress("lo", `${d.loopback}/32`),
            "# Uplinks carry no IPv4 address: BGP runs over IPv6 link-local (RFC 5549).",
            `for dev in ${uplinks.join(" ")}; do`,
            '  [ -z "$($IP -4 -o addr show dev "$dev")" ] || { $IP -4 addr flush dev "$dev"; echo "removed the IPv4 addresses of $dev"; }',
            "done",
        );
    } else if (d.bond) {
        lines.push(...bondLines(d));
        lines.push(...gatewayLines(d, d.bond.interface));
    } else if (uplinks.length === 1) {
        const len = parseCidr(d.rackSubnet!).length;
        lines.push(
            "# The node's address in its rack subnet, on its uplink.",
            addAddress(uplinks[0], `${d.address}/${len}`),
        );
        lines.push(...gatewayLines(d, uplinks[0]));
    } else {
        lines.push(
            "# Cabled to both leafs of a rack pair: the address lives on lo, each leaf is reached over its own uplink.",
            addAddress("lo", `${d.address}/32`),
        );
        for (const n of d.neighbors) {
            const iface = d.interfaces.find(
                (i) => i.kind === "server" && i.peer.device === n.device,
            );
            if (n.address && iface)
                lines.push(`$IP route replace ${n.address}/32 dev ${iface.name} src ${d.address}`);
        }
    }
    return lines.join("\n") + "\n";
}

/** The LACP bond of the node's uplinks, its VLAN interface, the rack address on it (each step checked first). */
function bondLines(d: PlannedDevice): string[] {
    const b = d.bond!;
    const len = parseCidr(d.rackSubnet!).length;
    const lines = [
        `# Bonded uplinks: ${b.members.join(" + ")} in ${b.name} (LACP, 802.3ad) towards the rack pair; the rack address on ${b.interface}.`,
        `if ! $IP link show dev ${b.name} >/dev/null 2>&1; then`,
        `  $IP link add ${b.name} type bond mode 802.3ad miimon 100 lacp_rate fast xmit_hash_policy layer3+4`,
        `  echo "created bond ${b.name} (802.3ad)"`,
        "fi",
        `[ "$(cat /sys/class/net/${b.name}/bonding/mode 2>/dev/null | cut -d' ' -f1)" = 802.3ad ] || { echo "${b.name} exists but is not an 802.3ad bond" >&2; exit 1; }`,
        `for dev in ${b.members.join(" ")}; do`,
        '  master=$(readlink "/sys/class/net/$dev/master" 2>/dev/null || true)',
        `  if [ "\${master##*/}" != ${b.name} ]; then`,
        '    $IP -4 addr flush dev "$dev"',
        '    $IP link set dev "$dev" down',
        `    $IP link set dev "$dev" master ${b.name}`,
        `    echo "enslaved $dev to ${b.name}"`,
        "  fi",
        '  $IP link set dev "$dev" up',
        "done",
        `$IP link set dev ${b.name} up`,
    ];
    if (b.vlan !== undefined) {
        lines.push(
            `if ! $IP link show dev ${b.interface} >/dev/null 2>&1; then`,
            `  $IP link add link ${b.name} name ${b.interface} type vlan id ${b.vlan}`,
            `  echo "created VLAN ${b.vlan} on ${b.name} (${b.interface})"`,
            "fi",
            `$IP link set dev ${b.interface} up`,
        );
    }
    lines.push(addAddress(b.interface, `${d.address}/${len}`));
    return lines;
}

/** The default route via the rack's gateway (non-BGP traffic), where the plan has one. */
function gatewayLines(d: PlannedDevice, dev: string): string[] {
    if (!d.gateway) return [];
    return [
        `# Non-BGP traffic leaves via the rack's gateway ${d.gateway}; BGP sessions stay with each leaf's own address.`,
        `$IP -4 route show default | grep -q "^default via ${d.gateway} dev ${dev} " || { $IP route replace default via ${d.gateway} dev ${dev} src ${d.address}; echo "default route via ${d.gateway} on ${dev}"; }`,
    ];
}

function addAddress(dev: string, cidr: string): string {
    return `has_addr ${dev} ${cidr} || { $IP addr add ${cidr} dev ${dev}; echo "added ${cidr} to ${dev}"; }`;
}

function sysctls(calico: boolean, uplinks: string[]): string {
    const lines = [
        "# bgp-fabric: a routed, multipath host. Rendered by bgp-fabric; do not edit.",
        "net.ipv4.ip_forward = 1",
        "net.ipv6.conf.all.forwarding = 1",
        "# Loose reverse-path filtering: with ECMP a reply may arrive on another uplink.",
        "net.ipv4.conf.all.rp_filter = 2",
        "net.ipv4.conf.default.rp_filter = 2",
        "# Hash flows on L4 ports too, so ECMP spreads them.",
        "net.ipv4.fib_multipath_hash_policy = 1",
        "net.ipv6.fib_multipath_hash_policy = 1",
    ];
    for (const dev of uplinks) {
        lines.push(`net.ipv4.conf.${dev}.rp_filter = 2`);
        if (!calico) {
            // The router learns its peer's link-local address from RAs; the kernel must not route by them.
            lines.push(
                `net.ipv6.conf.${dev}.disable_ipv6 = 0`,
                `net.ipv6.conf.${dev}.accept_ra = 2`,
                `net.ipv6.conf.${dev}.accept_ra_defrtr = 0`,
            );
        }
    }
    return lines.join("\n") + "\n";
}

function kubeletDropIn(address: string): string {
    return (
        [
            "# bgp-fabric: the kubelet listens on and registers the node's fabric address. Rendered; do not edit.",
            "# kubeadm's unit passes $KUBELET_EXTRA_ARGS to the kubelet.",
            "[Service]",
            `Environment="KUBELET_EXTRA_ARGS=--node-ip=${address} --address=${address}"`,
        ].join("\n") + "\n"
    );
}

function bootUnit(): string {
    return (
        [
            "# bgp-fabric: the node's fabric addresses, before the kubelet starts. Rendered; do not edit.",
            "[Unit]",
            "Description=bgp-fabric node addresses and uplinks",
            "After=network.target",
            "Before=kubelet.service",
            "",
            "[Service]",
            "Type=oneshot",
            "RemainAfterExit=yes",
            "ExecStart=/usr/local/sbin/bgp-fabric-network",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
        ].join("\n") + "\n"
    );
}
