#!/usr/bin/env bash
# Build a Kubernetes control plane without kubelets, for the tests of
# verification rung 5, from Go modules (Go module proxy only), into a cache
# outside the repository:
#
#   $BGP_FABRIC_CACHE/kube/bin/kube-apiserver           k8s.io/kubernetes       v1.36.3
#   $BGP_FABRIC_CACHE/kube/bin/kube-controller-manager  k8s.io/kubernetes       v1.36.3
#   $BGP_FABRIC_CACHE/kube/bin/etcd                     go.etcd.io/etcd/server/v3 v3.6.16
#
# Neither module builds as published: k8s.io/kubernetes requires its staging
# modules at v0.0.0 and etcd's server replaces its siblings with ../ paths (a
# dependency's replace directives do not apply). Each is built from a
# throw-away module that requires it and pins those modules to their
# published versions.
#
# Idempotent (a version stamp per binary), non-interactive (CI=true, no stdin),
# one run at a time (flock). Takes ~15 min on 2 cores when nothing is cached.
#
# Usage: scripts/install-kube.sh [--force]
set -euo pipefail

log()  { printf 'install-kube: %s\n' "$*"; }
die()  { printf 'install-kube: ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (usage: $0 [--force])" ;;
  esac
done

KUBE_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KUBE_MODULE=k8s.io/kubernetes
ETCD_MODULE=go.etcd.io/etcd/server/v3

CACHE=${BGP_FABRIC_CACHE:-$HOME/.cache/bgp-fabric}
BIN=$CACHE/kube/bin
mkdir -p "$BIN"
export CI=true

# --- one installer at a time (parallel runs share the cache) -----------------
exec 9>"$CACHE/kube/.install-kube.lock"
if ! flock -n 9; then
  log "another install-kube is running; waiting for it"
  flock 9
fi

cached() { # NAME VERSION
  ((!FORCE)) && [[ -x $BIN/$1 && -f $BIN/.$1.version && $(<"$BIN/.$1.version") == "$2" ]]
}

# --- Go, restricted to the module proxy --------------------------------------
GO=$(command -v go || true)
[[ -z $GO && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
GO_READY=0
setup_go() { # only when something has to be built
  ((GO_READY)) && return 0
  [[ -n $GO ]] || die "the go command is needed (not on PATH, not at /usr/local/go/bin/go)"
  local proxy
  proxy=$("$GO" env GOPROXY)
  # Never fall back to fetching from the VCS hosts directly ("direct").
  GOPROXY=$(tr ',|' '\n' <<<"$proxy" | grep -v -x -e direct -e off -e '' | paste -sd, - || true)
  export GOPROXY=${GOPROXY:-https://proxy.golang.org}
  export GOTOOLCHAIN=local GO111MODULE=on GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/bgp-fabric-kube.XXXXXX")
  trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
  GO_READY=1
}

# mod_download MODULE@VERSION -> sets DL_DIR, DL_TIME; dies naming the module the proxy refused
mod_download() {
  local json err
  if ! json=$(cd "$WORK" && "$GO" mod download -json "$1" </dev/null 2>&1); then
    err=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
    err=${err:-$(printf '%s' "$json" | tail -n1)}
    die "$1 is not available from the Go module proxy ($GOPROXY): ${err//\\n\\t/ }"
  fi
  DL_DIR=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
  [[ -d $DL_DIR ]] || die "$1: no module directory in: $json"
  DL_TIME=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$("$GO" env GOMODCACHE)/cache/download/${1%@*}/@v/${1#*@}.info" 2>/dev/null || true)
}

# new_module DIR MODULE VERSION PIN_VERSION REPLACED...: a go.mod requiring MODULE at
# VERSION, with each REPLACED module pinned to its published PIN_VERSION
new_module() {
  local dir=$1 mod=$2 version=$3 pin=$4 m; shift 4
  mkdir -p "$dir"
  {
    printf 'module bgp-fabric.invalid/build\n\ngo %s\n\nrequire %s %s\n\nreplace (\n' \
      "$("$GO" env GOVERSION | sed 's/^go//')" "$mod" "$version"
    for m in "$@"; do printf '\t%s => %s %s\n' "$m" "$m" "$pin"; done
    printf ')\n'
  } >"$dir/go.mod"
}

# go_build DIR PACKAGE NAME LDFLAGS: nice'd, -trimpath, atomic install of the binary
go_build() {
  local dir=$1 pkg=$2 name=$3 ldflags=$4 logf refused
  logf=$WORK/build-$name.log
  if ! (cd "$dir" && nice -n 10 "$GO" build -trimpath -ldflags "-s -w $ldflags" -o "$BIN/$name.new" "$pkg" </dev/null) >"$logf" 2>&1; then
    # A module the proxy refused: go reports "reading https://PROXY/MODULE/@v/VERSION.mod: 404 Not Found".
    refused=$(grep -m1 -E 'Forbidden|Not Found|Gone|not available|unknown revision|invalid version' "$logf" || true)
    # From "FILE:LINE:COL: MODULE@VERSION: reading URL: 403 Forbidden" keep "MODULE@VERSION: ...".
    [[ $refused =~ [^[:space:]:]+@v[^[:space:]:/]+:\ .* ]] && refused=${BASH_REMATCH[0]}
    [[ -n $refused ]] && die "building $name: the Go module proxy refused $refused"
    tail -n 40 "$logf" >&2
    die "go build of $pkg failed (see above)"
  fi
  mv -f "$BIN/$name.new" "$BIN/$name"
}

elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# check_version NAME VERSION EXPECTED-SUBSTRING: runs NAME --version, writes the stamp
check_version() {
  local out
  out=$("$BIN/$1" --version 2>&1 </dev/null) || die "the new $1 binary does not run: $out"
  [[ $out == *"$3"* ]] || die "built $1 reports '$out', wanted '$3'"
  printf '%s\n' "$2" >"$BIN/.$1.version"
}

# --- 1. etcd -----------------------------------------------------------------
# The server module's root package is etcd's main (a wrapper of etcdmain.Main).
if cached etcd "$ETCD_VERSION"; then
  log "etcd $ETCD_VERSION: cached"
else
  setup_go
  mod_download "$ETCD_MODULE@$ETCD_VERSION"
  mapfile -t siblings < <(sed -n 's/^[[:space:]]*\(go\.etcd\.io\/etcd\/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\.\..*/\1/p' "$DL_DIR/go.mod" | sort -u)
  ((${#siblings[@]})) || die "$ETCD_MODULE@$ETCD_VERSION: no go.etcd.io/etcd/* => ../ replacement in its go.mod"
  new_module "$WORK/etcd" "$ETCD_MODULE" "$ETCD_VERSION" "$ETCD_VERSION" "${siblings[@]}"
  t=$SECONDS
  log "etcd $ETCD_VERSION: building from $ETCD_MODULE (a few minutes)"
  go_build "$WORK/etcd" "$ETCD_MODULE" etcd ""
  check_version etcd "$ETCD_VERSION" "etcd Version: ${ETCD_VERSION#v}"
  log "etcd $ETCD_VERSION: built in $(elapsed "$t")"
fi

# --- 2. kube-apiserver, kube-controller-manager --------------------------------
KUBE_SRC=
prepare_kube() {
  [[ -n $KUBE_SRC ]] && return 0
  setup_go
  mod_download "$KUBE_MODULE@$KUBE_VERSION"
  local staging
  # The staging modules: every k8s.io/* that k8s.io/kubernetes requires at v0.0.0.
  mapfile -t staging < <(sed -n 's/^[[:space:]]*\(k8s\.io\/[^[:space:]]*\)[[:space:]]\{1,\}v0\.0\.0[[:space:]]*\(\/\/.*\)\{0,1\}$/\1/p' "$DL_DIR/go.mod" | sort -u)
  ((${#staging[@]})) || die "$KUBE_MODULE@$KUBE_VERSION: no k8s.io/* v0.0.0 requirement in its go.mod"
  KUBE_SRC=$WORK/kube
  new_module "$KUBE_SRC" "$KUBE_MODULE" "$KUBE_VERSION" "v0.${KUBE_VERSION#v1.}" "${staging[@]}"
  # The variables hack/lib/version.sh sets (no git commit: the module has none).
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local key val
  KUBE_LDFLAGS=
  for key in gitVersion gitMajor gitMinor buildDate; do
    case $key in
      gitVersion) val=$KUBE_VERSION ;;
      gitMajor) val=1 ;;
      gitMinor) val=$minor ;;
      buildDate) val=${DL_TIME:-$(date -u +%Y-%m-%dT%H:%M:%SZ)} ;;
    esac
    KUBE_LDFLAGS+=" -X k8s.io/client-go/pkg/version.$key=$val -X k8s.io/component-base/version.$key=$val"
  done
}

for name in kube-apiserver kube-controller-manager; do
  if cached "$name" "$KUBE_VERSION"; then
    log "$name $KUBE_VERSION: cached"
    continue
  fi
  prepare_kube
  t=$SECONDS
  log "$name $KUBE_VERSION: building from $KUBE_MODULE (~10 min for the first, less after)"
  go_build "$KUBE_SRC" "$KUBE_MODULE/cmd/$name" "$name" "$KUBE_LDFLAGS"
  check_version "$name" "$KUBE_VERSION" "Kubernetes $KUBE_VERSION"
  log "$name $KUBE_VERSION: built in $(elapsed "$t")"
done
exit 0
