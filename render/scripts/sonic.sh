# shellcheck shell=bash
## SONiC's fragments of the safe-apply and destroy scripts (render/platforms/sonic.ts). FRR runs
## in the `bgp` container, whose /etc/frr is the host's /etc/sonic/frr (the paths themselves are
## the driver's, filled in as @@HOST_FRR_DIR@@ and @@DAEMON_FRR_DIR@@). CONFIG_DB must say
## docker_routing_config_mode split-unified (or unified), so frr.conf is FRR's one config file,
## and its bgp_asn must be the plan's, or bgpcfgd would undo the change. Each section fills the
## hook of its name in render/scripts/{common,apply}.sh; the format is in docs/platforms.md.
## Untested against a real SONiC image.

# @section paths
# The bgp container sees the host's @@HOST_FRR_DIR@@ as @@DAEMON_FRR_DIR@@.

# @section settings
SONIC_DB_CLI="${SONIC_DB_CLI:-sonic-db-cli}"

# @section preflight
mode=$($SONIC_DB_CLI CONFIG_DB hget 'DEVICE_METADATA|localhost' docker_routing_config_mode </dev/null 2>/dev/null)
case "$mode" in
  split-unified|unified) ;;
  *) fail "$EXIT_PRECONDITION" "docker_routing_config_mode is '$mode': set it to split-unified (config save; config reload) so $FRR_CONF is FRR's only config" ;;
esac

## $ASN: the `router bgp` of the rendered frr.conf, which render/platforms/sonic.ts writes at the top.
# @section validate
device_asn=$($SONIC_DB_CLI CONFIG_DB hget 'DEVICE_METADATA|localhost' bgp_asn </dev/null 2>/dev/null)
[ -z "$device_asn" ] || [ "$device_asn" = "$ASN" ] || fail "$EXIT_PRECONDITION" "DEVICE_METADATA bgp_asn is $device_asn but the plan says $ASN; bgpcfgd would undo the change. Nothing was changed."
