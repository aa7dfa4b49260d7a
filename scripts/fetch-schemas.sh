#!/usr/bin/env bash
# Fetch the upstream schemas the Kubernetes renderer is validated against, at
# pinned releases, into a cache OUTSIDE the repository (never committed):
#
#   ${BGP_FABRIC_CACHE:-$HOME/.cache/bgp-fabric}/schemas/
#     calico/      projectcalico.org/v3 CRDs (BGPConfiguration, BGPPeer, IPPool, ...)
#     operator/    operator.tigera.io/v1 Installation CRD
#     metallb/     metallb.io CRDs (config/crd/bases)
#     kubernetes/  Kubernetes OpenAPI v3 documents for core/v1 and apps/v1
#     upstream/    the pinned upstream installs `installUpstream` applies where they are
#                  obtainable: metallb-native-<version>.yaml (MetalLB's config/manifests).
#                  tigera-operator.yaml is not: it lives in the Calico repository, whose
#                  modules have no v3.32 version on the proxy (give kubernetes.calicoManifest).
#     STAMP        the pinned module versions; a matching STAMP means "done"
#
# Sources: Go modules through the Go module proxy (`go mod download -json`):
#   github.com/tigera/operator  v1.43.0  pins Calico v3.32.0 (config/calico_versions.yml)
#                                        and embeds Calico's v3 CRDs (pkg/imports/crds/calico)
#                                        and its own Installation CRD (pkg/imports/crds/operator)
#   go.universe.tf/metallb      v0.16.2  config/crd/bases (v0.16.0/.1 are not on the proxy)
#   k8s.io/kubernetes           v1.36.3  api/openapi-spec/v3 (the release the operator's
#                                        k8s.io/api v0.36.3 belongs to)
# The Calico modules themselves (github.com/projectcalico/api, .../calico) have no
# v3.32 versions on the proxy; the operator release carries the same CRD files.
#
# Idempotent, non-interactive (works with CI=true and no stdin). The Go module
# download goes to a throw-away GOMODCACHE and is deleted afterwards; only the
# few schema files are kept (about 3.5 MB).
#
# Usage: scripts/fetch-schemas.sh [--force]     prints the schema directory on stdout
set -euo pipefail

OPERATOR_VERSION=v1.43.0
CALICO_VERSION=v3.32.0       # checked against the operator's config/calico_versions.yml
METALLB_VERSION=v0.16.2
KUBERNETES_VERSION=v1.36.3

CACHE=${BGP_FABRIC_CACHE:-$HOME/.cache/bgp-fabric}
DEST=$CACHE/schemas
STAMP="operator=$OPERATOR_VERSION calico=$CALICO_VERSION metallb=$METALLB_VERSION kubernetes=$KUBERNETES_VERSION upstream=metallb-native"

log() { printf 'fetch-schemas: %s\n' "$*" >&2; }
die() { printf 'fetch-schemas: ERROR: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} != --force && -f $DEST/STAMP && $(cat "$DEST/STAMP") == "$STAMP" ]]; then
  printf '%s\n' "$DEST"
  exit 0
fi

GO=$(command -v go || true)
[[ -z $GO && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
[[ -n $GO ]] || die "the go command is needed to download the pinned modules (Go module proxy)"

mkdir -p "$CACHE"
# One fetch at a time (parallel test runs share the cache); the winner's result serves the others.
exec 9>"$CACHE/.fetch-schemas.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 600 9 || die "timed out waiting for another fetch-schemas.sh ($CACHE/.fetch-schemas.lock)"
  if [[ ${1:-} != --force && -f $DEST/STAMP && $(cat "$DEST/STAMP") == "$STAMP" ]]; then
    printf '%s\n' "$DEST"
    exit 0
  fi
fi
WORK=$(mktemp -d "$CACHE/.fetch.XXXXXX")
cleanup() {
  # The module cache is read-only by design; make it writable before removing it.
  chmod -R u+w "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export GOMODCACHE=$WORK/mod GOFLAGS=-modcacherw GOTOOLCHAIN=local GO111MODULE=on
cd "$WORK"   # outside any module: `go mod download MODULE@VERSION` needs no go.mod

# download MODULE@VERSION -> prints the extracted directory
download() {
  local json dir
  json=$("$GO" mod download -json "$1" </dev/null) || die "go mod download $1 failed: $json"
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n $dir && -d $dir ]] || die "go mod download $1 gave no directory: $json"
  printf '%s\n' "$dir"
}

start=$SECONDS
log "downloading github.com/tigera/operator@$OPERATOR_VERSION, go.universe.tf/metallb@$METALLB_VERSION, k8s.io/kubernetes@$KUBERNETES_VERSION"
op=$(download "github.com/tigera/operator@$OPERATOR_VERSION")
mlb=$(download "go.universe.tf/metallb@$METALLB_VERSION")
k8s=$(download "k8s.io/kubernetes@$KUBERNETES_VERSION")

# The operator release must be the one that ships our Calico release.
grep -q "^title: $CALICO_VERSION\$" "$op/config/calico_versions.yml" \
  || die "tigera/operator $OPERATOR_VERSION does not pin Calico $CALICO_VERSION ($(head -3 "$op/config/calico_versions.yml" | tr '\n' ' '))"

NEW=$WORK/schemas
mkdir -p "$NEW/calico" "$NEW/operator" "$NEW/metallb" "$NEW/kubernetes" "$NEW/upstream"
cp "$op"/pkg/imports/crds/calico/v3.projectcalico.org/projectcalico.org_{bgpconfigurations,bgppeers,ippools,bgpfilters}.yaml "$NEW/calico/"
cp "$op/pkg/imports/crds/operator/operator.tigera.io_installations.yaml" "$NEW/operator/"
cp "$mlb"/config/crd/bases/metallb.io_*.yaml "$NEW/metallb/"
cp "$mlb/config/manifests/metallb-native.yaml" "$NEW/upstream/metallb-native-$METALLB_VERSION.yaml"
cp "$k8s/api/openapi-spec/v3/api__v1_openapi.json" "$k8s/api/openapi-spec/v3/apis__apps__v1_openapi.json" "$NEW/kubernetes/"
chmod -R u+w,go+r "$NEW"
printf '%s\n' "$STAMP" >"$NEW/STAMP"

# Swap in atomically-enough: a concurrent reader sees the old or the new tree.
rm -rf "$DEST.old"
[[ -e $DEST ]] && mv "$DEST" "$DEST.old"
mv "$NEW" "$DEST"
rm -rf "$DEST.old"
log "schemas in $DEST ($(du -sh "$DEST" | cut -f1), $((SECONDS - start)) s)"
printf '%s\n' "$DEST"
