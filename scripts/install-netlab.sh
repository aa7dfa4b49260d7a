#!/usr/bin/env bash
# Install netlab (PyPI package `networklab`, CLI `netlab`) into a virtualenv
# cached outside the repository, for the side-by-side benchmark in
# bench/netlab.ts:
#
#   ${BGP_FABRIC_CACHE:-$HOME/.cache/bgp-fabric}/netlab-venv/bin/netlab
#
# netlab is only used to turn a topology into addressing and FRR
# configurations (`netlab create` + `netlab initial -o`): no VM or container is
# ever started, so neither containerlab nor libvirt is needed.
#
# Idempotent: an existing venv with the pinned version is left alone.
# Non-interactive (CI=true, no stdin). Needs python3 (>= 3.9) with venv + pip
# and PyPI.
#
# Usage: scripts/install-netlab.sh [--force]
#   BGP_FABRIC_NETLAB_VERSION=26.10   the networklab version (default below)
set -euo pipefail

log()  { printf 'install-netlab: %s\n' "$*"; }
die()  { printf 'install-netlab: ERROR: %s\n' "$*" >&2; exit 1; }

VERSION=${BGP_FABRIC_NETLAB_VERSION:-26.10}
FORCE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (usage: $0 [--force])" ;;
  esac
done

CACHE=${BGP_FABRIC_CACHE:-$HOME/.cache/bgp-fabric}
VENV=$CACHE/netlab-venv
STAMP=$VENV/.bgp-fabric-netlab
mkdir -p "$CACHE"

# One installer at a time (parallel setup runs share the cache).
exec 9>"$CACHE/.install-netlab.lock"
flock 9

if [ "$FORCE" = 0 ] && [ -x "$VENV/bin/netlab" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; then
  log "networklab $VERSION already installed in $VENV"
  exit 0
fi

PYTHON=${PYTHON:-$(command -v python3 || true)}
[ -n "$PYTHON" ] || die "python3 not found"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' || die "$PYTHON is older than 3.9"

if [ "$FORCE" = 1 ] || [ ! -x "$VENV/bin/python" ]; then
  rm -rf "$VENV"
  log "creating $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
log "pip install networklab==$VERSION"
"$VENV/bin/python" -m pip install --quiet "networklab==$VERSION"
"$VENV/bin/netlab" version >/dev/null 2>&1 || "$VENV/bin/netlab" --help >/dev/null || die "netlab does not run from $VENV"
echo "$VERSION" > "$STAMP"
log "installed: $VENV/bin/netlab ($("$VENV/bin/python" -m pip show networklab 2>/dev/null | sed -n 's/^Version: //p'))"
