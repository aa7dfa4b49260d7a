#!/usr/bin/env bash
# Idempotent install of the Debian packages the lab and the tests need.
#
# A re-run with everything present does no apt work at all (< 2 s).
# The lab starts its own FRR / sshd instances inside network namespaces, so the
# system-wide frr and ssh services that the packages may start in the root
# namespace are stopped and disabled again -- but only if this run installed
# them (a service that was already there is left alone).
#
# Usage: scripts/install-system-deps.sh        (needs root, or sudo without a password)
set -euo pipefail

log() { printf 'install-system-deps: %s\n' "$*"; }
die() { printf 'install-system-deps: ERROR: %s\n' "$*" >&2; exit 1; }

PACKAGES=(
  frr frr-pythontools     # zebra/bgpd/staticd + vtysh; frr-reload.py
  bird2                   # second BGP implementation
  openssh-server openssh-client
  iproute2 iputils-ping procps util-linux   # ip, ping, pgrep/sysctl, unshare/nsenter
  ethtool socat netcat-openbsd jq
  shellcheck              # the rendered scripts and render/scripts/*.sh (test/render/platforms.test.ts)
)

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is not installed"
  SUDO=(sudo -n)
fi

is_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

# Services we may have to tidy up afterwards: only those whose package is new.
new_services=()
for p in "${missing[@]}"; do
  case $p in
    frr) new_services+=(frr) ;;
    openssh-server) new_services+=(ssh) ;;
  esac
done

systemd_running() { [[ -d /run/systemd/system ]]; }

quiet_service() { # stop + disable one system-wide service in the root namespace
  local svc=$1
  if systemd_running; then
    if "${SUDO[@]}" systemctl is-active --quiet "$svc" 2>/dev/null; then
      "${SUDO[@]}" systemctl stop "$svc" && log "stopped system-wide $svc service"
    fi
    if "${SUDO[@]}" systemctl is-enabled --quiet "$svc" 2>/dev/null; then
      "${SUDO[@]}" systemctl disable --quiet "$svc" 2>/dev/null && log "disabled system-wide $svc service"
    fi
  else
    # No systemd as PID 1 (container-like): SysV scripts.
    if [[ -x /etc/init.d/$svc ]] && "${SUDO[@]}" service "$svc" status >/dev/null 2>&1; then
      "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 && log "stopped system-wide $svc service"
    fi
    if command -v update-rc.d >/dev/null 2>&1 && [[ -x /etc/init.d/$svc ]]; then
      "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  fi
}

if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Wait (up to 10 min) for another apt/dpkg run instead of failing on its lock.
  lock=(-o DPkg::Lock::Timeout=600)
  apt_opts=("${lock[@]}" -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
            -o Dpkg::Use-Pty=0 --no-install-recommends)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" update -q >/dev/null \
    || die "apt-get update failed"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" \
    </dev/null >/tmp/install-system-deps.apt.log 2>&1 \
    || { tail -n 30 /tmp/install-system-deps.apt.log >&2; die "apt-get install failed (log: /tmp/install-system-deps.apt.log)"; }
  for svc in "${new_services[@]}"; do quiet_service "$svc"; done
else
  log "all ${#PACKAGES[@]} packages already installed"
fi

# --- verification -----------------------------------------------------------
for p in "${PACKAGES[@]}"; do is_installed "$p" || die "package $p is still not installed"; done

# FRR 8.4's vtysh has no --version; its --help says "(version 8.4.4)".
vtysh_ver=$(vtysh --help 2>/dev/null | sed -n 's/.*(version \([0-9][0-9.]*\)).*/\1/p' | head -n1 || true)
bgpd_ver=$(/usr/lib/frr/bgpd --version 2>/dev/null | sed -n 's/^bgpd version //p' | head -n1 || true)
[[ $vtysh_ver == 8.4.* && $bgpd_ver == "$vtysh_ver" ]] \
  || die "expected FRR 8.4.x, got vtysh '${vtysh_ver:-?}' bgpd '${bgpd_ver:-?}'"
[[ -f /usr/lib/frr/frr-reload.py ]] || die "/usr/lib/frr/frr-reload.py missing (frr-pythontools)"
[[ -x /usr/lib/frr/bgpd && -x /usr/lib/frr/zebra && -x /usr/lib/frr/watchfrr ]] || die "FRR daemons missing in /usr/lib/frr"
for c in bird birdc; do command -v "$c" >/dev/null || die "$c not on PATH"; done
[[ -x /usr/sbin/sshd ]] || die "/usr/sbin/sshd missing"
for c in ip ping unshare nsenter ethtool socat nc jq ssh ssh-keygen; do
  command -v "$c" >/dev/null || die "command '$c' not found"
done

log "frr $(dpkg-query -W -f='${Version}' frr) (vtysh/bgpd ${vtysh_ver})"
log "bird2 $(dpkg-query -W -f='${Version}' bird2) ($(bird --version 2>&1 | head -n1))"
log "openssh-server $(dpkg-query -W -f='${Version}' openssh-server) ($(ssh -V 2>&1))"
log "iproute2 $(dpkg-query -W -f='${Version}' iproute2), util-linux $(dpkg-query -W -f='${Version}' util-linux), jq $(dpkg-query -W -f='${Version}' jq)"
