// A test may skip only when a capability is truly absent, and says why.
// Under CI=true nothing skips: a missing capability fails the test instead.

export function requireCapability(ctx: Mocha.Context, present: boolean, why: string): void {
    if (present) return;
    if (process.env.CI === "true") throw new Error(`CI must not skip: ${why}`);
    console.log(`      skipped: ${why}`);
    ctx.skip();
}

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
