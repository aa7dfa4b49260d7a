// A test may skip only when a capability is truly absent, and says why.
// Under CI=true nothing skips: a missing capability fails the test instead.

import * as fs from "fs";

export function requireCapability(ctx: Mocha.Context, present: boolean, why: string): void {
    if (present) return;
    if (process.env.CI === "true") throw new Error(`CI must not skip: ${why}`);
    console.log(`      skipped: ${why}`);
    ctx.skip();
}

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/**
 * A piece no project script can install here (a kernel feature, a plugin no
 * registry serves): skip even under CI, with one line saying what is missing.
 */
export function skipWhereAbsent(ctx: Mocha.Context, present: boolean, why: string): void {
    if (present) return;
    console.log(`      skipped: ${why}`);
    ctx.skip();
}

/** What the lab's devices run (scripts/install-system-deps.sh installs it). */
export const LAB_TOOLS = [
    "/usr/lib/frr/zebra",
    "/usr/lib/frr/bgpd",
    "/usr/lib/frr/frr-reload.py",
    "/usr/sbin/bird",
    "/usr/sbin/sshd",
    "/usr/bin/python3",
];

/** A lab test needs root and the lab's tools. */
export function requireLab(ctx: Mocha.Context): void {
    requireCapability(
        ctx,
        isRoot && LAB_TOOLS.every((f) => fs.existsSync(f)),
        "the lab needs root and FRR 8.4, BIRD 2, sshd and python3 (scripts/install-system-deps.sh)",
    );
}
