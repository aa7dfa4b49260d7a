# shellcheck shell=bash
## The confirm script (after render/scripts/common.sh): run over a NEW SSH connection after the
## apply script exited 0 or 5, it confirms the pending change, so the device's own timer
## (render/scripts/apply.sh, section confirm) does not restore the previous configuration.
## That the connection could be opened at all is the proof that the change left the device
## reachable. CONFIRM_SHA (the sha256 of the frr.conf this confirm is for) is written by
## render/apply-script.ts renderConfirmScript:
# shellcheck disable=SC2154

# @section run
CONFIRM_DIR="$STATE_DIR/confirm"
now=$(date +%s)
if mv "$CONFIRM_DIR/armed" "$CONFIRM_DIR/confirming" 2>/dev/null; then
  read -r sha deadline < "$CONFIRM_DIR/confirming"
  if [ "$sha" != "$CONFIRM_SHA" ]; then
    mv "$CONFIRM_DIR/confirming" "$CONFIRM_DIR/armed"
    fail "$EXIT_NOT_CONFIRMED" "not confirmed: the change pending here is another one (frr.conf sha256 ${sha:0:12}, this one is ${CONFIRM_SHA:0:12}); it stays pending"
  fi
  pid=$(cat "$CONFIRM_DIR/timer.pid" 2>/dev/null) && stop_timer "$pid"
  printf 'confirmed %s %s\n' "$sha" "$(date -u +%FT%TZ)" > "$CONFIRM_DIR/result"
  rm -f "$CONFIRM_DIR/confirming" "$CONFIRM_DIR/timer.pid"
  say "confirmed over a new SSH connection, $((deadline - now))s before the device would have restored its previous configuration"
  exit 0
fi
[ -e "$CONFIRM_DIR/firing" ] && fail "$EXIT_NOT_CONFIRMED" "not confirmed: the window has ended and the device is restoring its previous configuration right now"
read -r outcome sha when < "$CONFIRM_DIR/result" 2>/dev/null || outcome=""
if [ "${outcome:-}" != confirmed ] && [ "${sha:-}" = "$CONFIRM_SHA" ]; then
  fail "$EXIT_NOT_CONFIRMED" "not confirmed: no confirmation came within the window, so at $when the device restored its previous configuration by itself ($outcome); this change is not on the device. If it cuts the management path, fix it; then re-apply (pulumi up --replace on this device's -config command, or change it)"
fi
installed=$(sha256sum < "$FRR_CONF" 2>/dev/null | cut -d' ' -f1)
[ "$installed" = "$CONFIRM_SHA" ] || fail "$EXIT_NOT_CONFIRMED" "not confirmed: nothing is pending and the device runs another configuration (frr.conf sha256 ${installed:0:12}, this one is ${CONFIRM_SHA:0:12})"
say "confirmed: nothing was pending (the device runs this configuration)"
