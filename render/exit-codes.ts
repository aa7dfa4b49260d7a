// Exit statuses, one definition for the scripts bgp-fabric renders and the
// TypeScript that reads them (lab/, drift/, the tests).
//
// The bash sources (render/scripts/*.sh) write a status as "$EXIT_<NAME>"
// (`exit "$EXIT_REJECTED"`, `fail "$EXIT_PRECONDITION" …`); the assembler
// (render/script-source.ts) writes the number in its place at render time, so
// the script a device runs says `exit 3` and needs no header of its own.

/** The safe-apply script (render/apply-script.ts, docs/safe-apply.md) and its destroy. */
export const APPLY_EXIT = {
    /**
     * Applied (or unchanged, or nothing to restore): every session expected is Established or
     * waiting for its node.
     */
    OK: 0,
    /** Not bash, or an unknown mode (neither apply nor destroy). */
    USAGE: 2,
    /** FRR's parser (or ifupdown2's) rejected the candidate; nothing was changed. */
    REJECTED: 3,
    /** A session that was up broke, or the reload failed: the backup was restored. */
    ROLLED_BACK: 4,
    /**
     * Kept: only sessions that were already down are still down (or the device is unchanged and
     * some are down).
     */
    SESSIONS_DOWN: 5,
    /**
     * Could not start safely (state directory, lock, backup, the platform's own preconditions);
     * nothing was changed.
     */
    PRECONDITION: 6,
    /** The rollback itself failed: the device needs hands. */
    ROLLBACK_FAILED: 7,
    /** destroy could not put back the configuration found before bgp-fabric's first apply. */
    RESTORE_FAILED: 8,
    /**
     * confirm: the change is not confirmed. The device restored its previous configuration by itself
     * (no confirmation within apply.confirmWindow), or another apply is pending, or the device runs
     * another configuration.
     */
    NOT_CONFIRMED: 9,
} as const;

export type ApplyExitName = keyof typeof APPLY_EXIT;

/** Statuses of the remote side that are not the script's own. */
export const REMOTE_EXIT = {
    /** The drift check could not write its temp file on the device (drift/targets.ts). */
    DRIFT_TEMP_FILE: 90,
    /** The shell found no such command (e.g. no frr-reload.py on the device). */
    NOT_FOUND: 127,
    /**
     * ssh's own failure (no connection, refused, authentication): the remote command's status
     * otherwise.
     */
    SSH_FAILED: 255,
} as const;

/** `npm run drift`'s own exit status (drift/report.ts driftExitCode). */
export const DRIFT_EXIT = {
    IN_SYNC: 0,
    /** Usage or config error. */
    USAGE: 1,
    DRIFT: 2,
    /** Some device could not be checked (unreachable, or its check failed). */
    UNCHECKED: 3,
} as const;

/** The number an `"$EXIT_<NAME>"` of the bash sources stands for. */
export function applyExitCode(name: string): number {
    if (!Object.prototype.hasOwnProperty.call(APPLY_EXIT, name)) {
        throw new Error(`EXIT_${name} is not an exit status of render/exit-codes.ts APPLY_EXIT`);
    }
    return APPLY_EXIT[name as ApplyExitName];
}
