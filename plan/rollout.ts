// Whether a `pulumi up` rolls the switches out in waves (plan/waves.ts) or
// applies them all at once. Pure: the setting (`apply.rollout`) and what the
// stack recorded after its last update (its `appliedSwitches` output, read by
// stacks/rollout.ts).
//
// Day one — a stack that has never applied a switch — has nothing to
// protect: no session is up, no node routes through the fabric. Rolling the
// switches out one wave at a time there only makes the first deploy several
// times slower (each wave is a reload, its sessions and a confirm). Once a
// switch has been applied, every later `up` uses the waves, a new switch
// included.

import { Rollout } from "./types";

/** The stack output naming the switches this stack has applied and confirmed (sorted). */
export const APPLIED_SWITCHES_OUTPUT = "appliedSwitches";

export type RolloutMode = Exclude<Rollout, "auto">;

/** The rollout of this update: `recorded` is the stack's last `appliedSwitches` (undefined on day one). */
export function rolloutMode(setting: Rollout, recorded: unknown): RolloutMode {
    if (setting !== "auto") return setting;
    return Array.isArray(recorded) && recorded.length > 0 ? "waves" : "at-once";
}
