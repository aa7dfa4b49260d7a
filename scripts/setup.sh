#!/usr/bin/env bash
# Installs everything the project needs, idempotently and without prompts:
# npm packages, Debian packages (FRR, BIRD, sshd, iproute2), the Pulumi
# toolchain built from Go modules, and the upstream schemas the tests use.
# Caches live outside the repo (~/.npm, ~/.cache/bgp-fabric, Go's caches).
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
[ -f scripts/install-pulumi.sh ] && bash scripts/install-pulumi.sh
[ -f scripts/fetch-schemas.sh ] && bash scripts/fetch-schemas.sh
echo "setup: done"
