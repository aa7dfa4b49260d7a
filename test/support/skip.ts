// A test may skip only when a capability is truly absent, and says why.
// Under CI=true nothing skips: a missing capability fails the test instead.

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
