#!/usr/bin/env bash
# Build the Pulumi toolchain from Go modules (Go module proxy only) into a cache
# outside the repository, at the versions package.json pins:
#
#   $BGP_FABRIC_CACHE/bin/pulumi                         github.com/pulumi/pulumi/pkg/v3 (+ sdk/v3)   = @pulumi/pulumi
#   $BGP_FABRIC_CACHE/bin/pulumi-resource-pulumi-nodejs  dynamic-provider launcher from sdk/v3         = @pulumi/pulumi
#   resource plugin "kubernetes" (PULUMI_HOME)           github.com/pulumi/pulumi-kubernetes/provider/v4 = @pulumi/kubernetes
#
# The Kubernetes provider module has no release tag of its own: it is asked for
# at the pseudo-version of the v4.25.0 release commit (KUBERNETES_PROVIDER_QUERY).
# The tests drive the engine through the Automation API with inline programs,
# which need no Node.js language host. Neither that host nor the command
# provider is served by the registries reachable here, and nothing here builds
# them: tests that need the command provider find an installed plugin with
# `pulumi plugin ls` and otherwise skip, saying so.
#
# Idempotent: a component already installed at its version is not rebuilt.
# Non-interactive (CI=true, no stdin). Source scripts/env.sh to use the result.
#
# Usage: scripts/install-pulumi.sh [--force]
set -euo pipefail

log()  { printf 'install-pulumi: %s\n' "$*"; }
warn() { printf 'install-pulumi: WARNING: %s\n' "$*" >&2; }
die()  { printf 'install-pulumi: ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (usage: $0 [--force])" ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
CACHE=$BGP_FABRIC_CACHE
BIN=$CACHE/bin
PROVIDERS=$CACHE/providers   # provider binaries, kept off PATH; installed into PULUMI_HOME
mkdir -p "$BIN" "$PROVIDERS" "$PULUMI_HOME"

# --- one installer at a time (parallel setup runs share the cache) ----------
exec 9>"$CACHE/.install-pulumi.lock"
if ! flock -n 9; then
  log "another install-pulumi is running; waiting for it"
  flock 9
fi

# --- wanted versions, from package.json -------------------------------------
command -v node >/dev/null || die "node is needed to read $ROOT/package.json"
pinned() {
  local v
  v=$(node -e 'const p=require(process.argv[1]); const d={...p.devDependencies,...p.dependencies};
               process.stdout.write(d[process.argv[2]]||"")' "$ROOT/package.json" "$1") \
    || die "cannot read $ROOT/package.json"
  [[ -n $v ]] || die "$1 is not a dependency in $ROOT/package.json"
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] \
    || die "$1 is pinned as '$v' in package.json; an exact version (x.y.z) is needed to pick the matching plugin"
  printf '%s' "$v"
}
PULUMI_VERSION=$(pinned @pulumi/pulumi)
KUBERNETES_VERSION=$(pinned @pulumi/kubernetes)

# --- Go, restricted to the module proxy --------------------------------------
GO=$(command -v go || true)
[[ -z $GO && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
GO_READY=0
setup_go() { # only when something has to be downloaded or built
  ((GO_READY)) && return 0
  [[ -n $GO ]] || die "the go command is needed (not on PATH, not at /usr/local/go/bin/go)"
  local proxy p
  proxy=$("$GO" env GOPROXY)
  # Never fall back to fetching from the VCS hosts directly ("direct").
  GOPROXY=$(tr ',|' '\n' <<<"$proxy" | grep -v -x -e direct -e off -e '' | paste -sd, - || true)
  export GOPROXY=${GOPROXY:-https://proxy.golang.org}
  export GOTOOLCHAIN=local GO111MODULE=on GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
  # The checksum database has no entry for some Pulumi release modules
  # (e.g. pkg/v3@v3.248.0), so they are not verified against it.
  p=${GONOSUMDB:-}
  export GONOSUMDB=${p:+$p,}github.com/pulumi
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/bgp-fabric-pulumi.XXXXXX")
  trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
  GO_READY=1
}

# mod_download MODULE@QUERY -> sets DL_DIR, DL_VERSION; returns 1 (DL_ERR) if unavailable
mod_download() {
  local json
  DL_DIR='' DL_VERSION='' DL_ERR=''
  if ! json=$(cd "$WORK" && "$GO" mod download -json "$1" </dev/null 2>&1); then
    DL_ERR=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
    DL_ERR=${DL_ERR:-$(printf '%s' "$json" | tail -n1)}
    DL_ERR=${DL_ERR//\\n\\t/ }   # the JSON error text has escaped newlines
    return 1
  fi
  field() { printf '%s\n' "$json" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" | head -n1; }
  DL_DIR=$(field Dir) DL_VERSION=$(field Version)
  [[ -d $DL_DIR ]] || { DL_ERR="no module directory in: $json"; return 1; }
}

# copy_module SRC DEST: a writable copy of a (read-only) module cache directory
copy_module() { mkdir -p "$2"; cp -R "$1/." "$2/"; chmod -R u+w "$2"; }

# go_deps DIR: download the dependencies of the module in DIR; returns 1 (DL_ERR) if one is unavailable
go_deps() {
  local logf=$WORK/deps.log
  (cd "$1" && "$GO" mod download </dev/null) >"$logf" 2>&1 && return 0
  DL_ERR=$(grep -m1 -E 'Forbidden|Not Found|Gone|not available|unknown revision|invalid version' "$logf" || tail -n1 "$logf")
  DL_ERR="a dependency: $DL_ERR"
  return 1
}

# go_build DIR PACKAGE OUTPUT LDFLAGS... : nice'd, -trimpath, atomic install of the binary
go_build() {
  local dir=$1 pkg=$2 out=$3; shift 3
  local ldflags="-s -w $*" logf
  logf=$WORK/build-$(basename "$out").log
  ( cd "$dir" && nice -n 10 "$GO" build -trimpath -ldflags "$ldflags" -o "$out.new" "$pkg" </dev/null ) >"$logf" 2>&1 \
    || { tail -n 40 "$logf" >&2; die "go build of $pkg in $dir failed (see above)"; }
  mv -f "$out.new" "$out"
}

elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

UNAVAILABLE=()
unavailable() { # COMPONENT VERSION REASON
  UNAVAILABLE+=("$1")
  warn "$1 $2: UNAVAILABLE -- $3"
}

plugin_installed() { # KIND NAME VERSION
  "$BIN/pulumi" plugin ls --json 2>/dev/null | node -e '
    let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{
      const [k,n,v]=process.argv.slice(1); let l=[]; try{l=JSON.parse(s)||[]}catch(e){}
      process.exit(l.some(p=>p.kind===k&&p.name===n&&p.version===v)?0:1)})' "$@"
}

SRC=
prepare_pulumi_sources() { # the pulumi repo layout pkg/ + sdk/ that the go.mod replace directives expect
  [[ -n $SRC ]] && return 0
  setup_go
  mod_download "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" \
    || die "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION is not on the Go module proxy ($GOPROXY): $DL_ERR"
  local pkg_dir=$DL_DIR sdk_dir
  mod_download "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" \
    || die "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION is not on the Go module proxy ($GOPROXY): $DL_ERR"
  sdk_dir=$DL_DIR
  SRC=$WORK/pulumi
  copy_module "$pkg_dir" "$SRC/pkg"
  copy_module "$sdk_dir" "$SRC/sdk"
}

VERSION_X=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

# --- 1. the pulumi CLI ---------------------------------------------------------
have=$("$BIN/pulumi" version 2>/dev/null || true)
if ((!FORCE)) && [[ $have == "v$PULUMI_VERSION" ]]; then
  log "pulumi v$PULUMI_VERSION: cached"
else
  prepare_pulumi_sources
  t=$SECONDS
  log "pulumi v$PULUMI_VERSION: building from github.com/pulumi/pulumi/pkg/v3 (a few minutes)"
  go_deps "$SRC/pkg" || die "pulumi v$PULUMI_VERSION cannot be built: $DL_ERR"
  go_build "$SRC/pkg" ./cmd/pulumi "$BIN/pulumi" "-X $VERSION_X=v$PULUMI_VERSION"
  have=$("$BIN/pulumi" version) || die "the new pulumi binary does not run"
  [[ $have == "v$PULUMI_VERSION" ]] || die "built pulumi reports '$have', wanted v$PULUMI_VERSION"
  log "pulumi v$PULUMI_VERSION: built in $(elapsed $t)"
fi

# --- 2. the dynamic-provider launcher (pulumi.dynamic.Resource) --------------
# Shipped with the CLI upstream; the same file is in the sdk/v3 module.
shim=$BIN/pulumi-resource-pulumi-nodejs
stamp=$BIN/.pulumi-resource-pulumi-nodejs.version
if ((!FORCE)) && [[ -x $shim && -f $stamp && $(<"$stamp") == "$PULUMI_VERSION" ]]; then
  log "pulumi-resource-pulumi-nodejs v$PULUMI_VERSION: cached"
else
  prepare_pulumi_sources
  install -m 0755 "$SRC/sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$shim"
  printf '%s\n' "$PULUMI_VERSION" >"$stamp"
  log "pulumi-resource-pulumi-nodejs v$PULUMI_VERSION: installed"
fi

# --- 3. the Kubernetes resource provider --------------------------------------------------
# Both provider modules live in a provider/ directory of their repository and
# are laid out the same way here, so that a `replace X => ../sdk` in their
# go.mod finds the sibling module it names (given as DIR=MODULE@VERSION).
#
# install_provider NAME VERSION MODULE QUERY... -- PACKAGE VERSION_VARIABLE [DIR=MODULE@VERSION...]
# (the caller has checked that the plugin is not installed yet)
install_provider() {
  local name=$1 version=$2 mod=$3; shift 3
  local queries=() q found=0 t out repo sib sib_dir
  while [[ $1 != -- ]]; do queries+=("$1"); shift; done
  shift
  local pkg=$1 var=$2; shift 2
  setup_go
  for q in "${queries[@]}"; do
    [[ -n $q ]] || continue
    if mod_download "$mod@$q"; then found=1; break; fi
  done
  if ((!found)); then
    unavailable "pulumi-resource-$name" "v$version" "$mod is not on the Go module proxy ($DL_ERR)"
    return 0
  fi
  t=$SECONDS
  log "pulumi-resource-$name v$version: building from $mod@$DL_VERSION (may take several minutes)"
  repo=$WORK/$name
  copy_module "$DL_DIR" "$repo/provider"
  for sib in "$@"; do
    sib_dir=${sib%%=*}
    mod_download "${sib#*=}" \
      || { unavailable "pulumi-resource-$name" "v$version" "${sib#*=} (needed by its go.mod) is not on the Go module proxy ($DL_ERR)"; return 0; }
    copy_module "$DL_DIR" "$repo/$sib_dir"
  done
  while read -r q; do
    [[ -d $repo/provider/$q ]] || die "$mod@$DL_VERSION: go.mod replaces a module with $q, which is not provided"
  done < <(sed -n 's/.*=>[[:space:]]*\(\.\.\{0,1\}\/[^[:space:]]*\).*/\1/p' "$repo/provider/go.mod")
  if ! go_deps "$repo/provider"; then
    unavailable "pulumi-resource-$name" "v$version" "$DL_ERR"
    return 0
  fi
  # pulumi-kubernetes embeds files made by `go generate` (schema-embed.json from schema.json).
  if grep -qs '^//go:generate' "$repo/provider/$pkg"/*.go; then
    (cd "$repo/provider" && VERSION=$version "$GO" generate "$pkg") </dev/null \
      >"$WORK/generate-$name.log" 2>&1 \
      || { tail -n 40 "$WORK/generate-$name.log" >&2; die "go generate $pkg of $mod@$DL_VERSION failed"; }
  fi
  out=$PROVIDERS/pulumi-resource-$name
  go_build "$repo/provider" "$pkg" "$out" "-X $var=v$version"
  "$BIN/pulumi" plugin install resource "$name" "$version" --file "$out" </dev/null >"$WORK/plugin-install.log" 2>&1 \
    || { cat "$WORK/plugin-install.log" >&2; die "pulumi plugin install resource $name $version --file $out failed"; }
  plugin_installed resource "$name" "$version" || die "plugin $name $version not listed after install"
  log "pulumi-resource-$name v$version: built in $(elapsed $t)"
}

# The provider module has no release tags of its own (the repository tags its
# root): this pseudo-version is the v4.25.0 release commit.
KUBERNETES_PROVIDER_QUERY=v4.0.0-20260115033456-f47bc2d6f199
[[ $KUBERNETES_VERSION == 4.25.0 ]] \
  || die "@pulumi/kubernetes $KUBERNETES_VERSION: KUBERNETES_PROVIDER_QUERY names the 4.25.0 release commit; update both together"
if ((FORCE)) || ! plugin_installed resource kubernetes "$KUBERNETES_VERSION"; then
  setup_go
  install_provider kubernetes "$KUBERNETES_VERSION" github.com/pulumi/pulumi-kubernetes/provider/v4 \
    "$KUBERNETES_PROVIDER_QUERY" -- \
    ./cmd/pulumi-resource-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version \
    "sdk=github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_VERSION"
else
  log "pulumi-resource-kubernetes v$KUBERNETES_VERSION: cached"
fi

if ((${#UNAVAILABLE[@]})); then
  die "not installed: ${UNAVAILABLE[*]} (their Go modules cannot be fetched here; see above)"
fi
exit 0
