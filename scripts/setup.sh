#!/usr/bin/env bash
# Installs everything the tests and the lab need, idempotently and without
# prompts: npm packages, Debian packages (FRR, BIRD, sshd, iproute2) and the
# upstream schemas the Kubernetes tests validate against. Caches live outside
# the repo (~/.npm, ~/.cache/bgp-fabric, Go's caches).
# The Pulumi toolchain (scripts/install-pulumi.sh) is not installed here: its
# language host and providers cannot be built from this machine's registries
# (see README, "The real Pulumi engine"), so no test depends on it.
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
else
    echo "setup: not root, Debian packages not installed (the lab and FRR tests need root)"
fi
bash scripts/fetch-schemas.sh >/dev/null
echo "setup: done"
