# shellcheck shell=bash
# Source me: puts the Pulumi toolchain built by scripts/install-pulumi.sh first
# on PATH and points Pulumi at a local, passphrase-encrypted state backend.
# Everything lives outside the repository, under $BGP_FABRIC_CACHE.
export BGP_FABRIC_CACHE="${BGP_FABRIC_CACHE:-$HOME/.cache/bgp-fabric}"
case ":$PATH:" in
  ":$BGP_FABRIC_CACHE/bin:"*) ;;  # already first
  *) export PATH="$BGP_FABRIC_CACHE/bin:$PATH" ;;
esac
export PULUMI_HOME="$BGP_FABRIC_CACHE/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
# Only the locally built plugins exist here: never try to download one.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE=bgp-fabric-dev
fi
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  export PULUMI_BACKEND_URL="file://$BGP_FABRIC_CACHE/state"
  mkdir -p "$BGP_FABRIC_CACHE/state"
fi
