# shellcheck shell=bash
## Restoring the configuration found before bgp-fabric's first apply: the run of the destroy
## script (after render/scripts/common.sh), and the destroy mode of the apply script. The
## format of these files is in render/scripts/common.sh and docs/platforms.md.

# @section run
PRE="$FRR_CONF.pre-bgp-fabric"
if [ ! -e "$PRE" ]; then say "bgp-fabric never applied a configuration here; nothing to restore"; exit 0; fi
if [ -n "$APPLIED_SHA256" ] && [ "$(sha256sum < "$FRR_CONF" 2>/dev/null | cut -d' ' -f1)" != "$APPLIED_SHA256" ]; then
  say "the installed configuration is not the one this resource applied (a newer apply or a replacement installed another, or it was edited by hand): left in place"
  exit 0
fi
# frr-reload.py refuses an empty file; an empty snapshot means 'no configuration'.
[ -s "$PRE" ] || echo '!' > "$PRE"
# @hook restore
install_file "$PRE" "$FRR_CONF" 640 "$(frr_owner)" || fail "$EXIT_RESTORE_FAILED" "cannot restore $FRR_CONF"
out=$(run_reload "$FRR_CONF" 2>&1) || { printf '%s\n' "$out" | quote; fail "$EXIT_RESTORE_FAILED" "frr-reload.py failed restoring the configuration from before bgp-fabric"; }
rm -f "$PRE"; rm -rf "$STATE_DIR/candidate" "$STATE_DIR/backup"
say "restored the configuration found before bgp-fabric's first apply"
