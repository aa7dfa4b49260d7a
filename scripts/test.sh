#!/usr/bin/env bash
# The whole test suite (README's test command; .ci/run runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f scripts/env.sh ] && source scripts/env.sh
echo "typecheck: tsc --noEmit"
npx tsc --noEmit -p .
bash scripts/lint.sh
npx mocha "$@"
