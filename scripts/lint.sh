#!/usr/bin/env bash
# The house rules (issue 16), part of `npm test`: eslint (typescript-eslint's
# recommended set) and prettier (width 100) over the TypeScript, shellcheck
# over every shell script in the repository. Zero warnings.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install eslint . --max-warnings 0
npx --no-install prettier --check --log-level warn .
mapfile -t sh < <(find . -path ./node_modules -prune -o -path ./bin -prune -o -path ./policy/node_modules -prune \
    -o \( -name '*.sh' -o -path ./.ci/run \) -type f -print | sort)
shellcheck -x "${sh[@]}"
echo "lint: eslint, prettier and shellcheck (${#sh[@]} scripts) clean"
