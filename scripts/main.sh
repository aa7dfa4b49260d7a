#!/usr/bin/env bash
# The main job on the embedded default: the dev stack's fabric, emulated.
# Plans the dev stack, brings up the lab (a namespace per device running FRR
# and sshd, plus an upstream BIRD router), pushes every device's configuration
# over SSH with the same safe-apply script the Pulumi components run, and
# prints the plan's outputs and the lab's session table. The lab stays up for
# you to explore; `npm run lab -- down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "npm start builds network namespaces and needs root (try: sudo npm start)." >&2
    exit 1
fi
bash scripts/setup.sh >/dev/null
run() { npx --no-install ts-node --transpile-only "$@"; }
run cli/plan.ts --stack dev
run cli/lab.ts up --stack dev --apply --replace
cat <<'TXT'

The lab is up. Try:
  npm run lab -- exec spine1 -- vtysh -c 'show bgp summary'
  npm run lab -- exec border1 -- ip route show 172.29.0.6
  npm run lab -- ssh-config
  npm run lab -- down
TXT
