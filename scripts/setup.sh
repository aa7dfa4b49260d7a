#!/usr/bin/env bash
# Installs everything the tests and the lab need, idempotently and without
# prompts: npm packages, Debian packages (FRR, BIRD, sshd, iproute2), the
# Kubernetes control plane (kube-apiserver, kube-controller-manager, etcd),
# the Pulumi CLI and its kubernetes provider (all built from the Go module
# proxy) and the upstream schemas and installs the Kubernetes tests use.
# Caches live outside the repo (~/.npm, ~/.cache/bgp-fabric, Go's caches).
# A cold machine builds for about 35 minutes on 2 cores; a warm one checks
# stamps in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.bgp-fabric-lock
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$lock_hash" > "$stamp"
else
    echo "setup: npm packages cached"
fi

if [ "$(id -u)" = 0 ]; then
    bash scripts/install-system-deps.sh
    bash scripts/install-kube.sh
else
    echo "setup: not root, Debian packages not installed (the lab and FRR tests need root)"
fi
bash scripts/install-pulumi.sh
bash scripts/fetch-schemas.sh >/dev/null
echo "setup: done"
