#!/usr/bin/env bash
# The main job on the embedded default: the dev stack's fabric, emulated.
# Plans the dev stack and brings up the lab (a namespace per device running
# FRR and sshd, plus an upstream BIRD router), then configures it one of two
# ways, and says which ran and why:
#   engine   where the Pulumi CLI and the command and kubernetes resource
#            plugins are installed (`npm run lab -- toolchain`): the lab starts
#            empty, `pulumi up` of the dev stack runs from the management
#            namespace (npm run engine, with `lab stack-config`'s key and host
#            keys), the lab plays the router DaemonSet from what the engine
#            rendered, then the outputs and the session table;
#   applier  otherwise: every device's configuration pushed over SSH with the
#            same safe-apply script the Pulumi components run.
# The lab stays up for you to explore; `npm run lab -- down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "npm start builds network namespaces and needs root (try: sudo npm start)." >&2
    exit 1
fi
bash scripts/setup.sh >/dev/null
run() { npx --no-install ts-node --transpile-only "$@"; }
run cli/plan.ts --stack dev
if why=$(run cli/lab.ts toolchain 2>&1); then
    echo "npm start: the real Pulumi engine path ($why): lab up --empty, then pulumi up of the dev stack from the management namespace"
    run cli/lab.ts up --stack dev --empty --replace
    run cli/lab.ts deploy
else
    echo "npm start: the applier path (the lab pushes every config with the safe-apply script), because the engine path needs what is not here: ${why#missing: }"
    run cli/lab.ts up --stack dev --apply --replace
fi
cat <<'TXT'

The lab is up. Try:
  npm run lab -- exec spine1 -- vtysh -c 'show bgp summary'
  npm run lab -- exec border1 -- ip route show 172.29.0.6
  npm run lab -- ssh-config
  npm run lab -- down
TXT
