#!/usr/bin/env bash
# The main job on the embedded default (the dev stack): print its plan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
npx ts-node --transpile-only cli/plan.ts --stack dev
