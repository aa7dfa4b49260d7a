// Two things the Pulumi SDK (3.248) does for every resource that nobody
// reads on a normal run, and that dominated a 1,000-device preview
// (BENCHMARKS.md §6):
//
// - Promise traces. Every promise the SDK makes — a dozen or more per
//   resource — goes through `debuggablePromise`, which formats
//   `new Error().stack` into a string kept on the promise. Only the leak
//   report printed under PULUMI_DEBUG_PROMISE_LEAKS reads it. Skipped unless
//   that variable is set; the leak bookkeeping itself (a promise is a
//   candidate until it settles, the check at exit) is kept.
// - Debug log messages. `log.debug` sends ~5 messages per resource
//   ("Registering resource …", "RegisterResource RPC prepared/finished …")
//   to the engine, each waiting for the one before it, and the program cannot
//   end before the last is delivered: thousands of sequential round trips.
//   The engine shows them only under `--debug`. Skipped unless
//   BGP_FABRIC_SDK_DEBUG is set; our own messages (info, warn, error) are not
//   touched.
//
// Each is installed only where the SDK's internals are what this expects;
// otherwise the SDK is left as it is.

import { createRequire } from "module";

type Wrap = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;

interface Debuggable {
    debuggablePromise: Wrap;
    debugPromiseLeaks: boolean;
}

interface State {
    getStore(): { leakCandidates: Set<Promise<unknown>> };
}

interface Log {
    debug: (msg: string, ...rest: unknown[]) => Promise<void>;
}

/** Loads the SDK's own internal modules (not in its typings). */
const sdk = createRequire(require.resolve("@pulumi/pulumi"));

let traces = false;
let debugLogs = false;

/** Install once per process; true when the SDK's wrapper was replaced. */
export function skipUnusedPromiseTraces(): boolean {
    if (traces) return true;
    let debuggable: Debuggable;
    let state: State;
    try {
        debuggable = sdk("./runtime/debuggable") as Debuggable;
        state = sdk("./runtime/state") as State;
    } catch {
        return false;
    }
    if (
        debuggable.debugPromiseLeaks ||
        typeof debuggable.debuggablePromise !== "function" ||
        typeof state.getStore !== "function"
    )
        return false;
    const original = debuggable.debuggablePromise;
    let first = true;
    debuggable.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
        // The first call goes through the SDK's own: it schedules the exit-time leak check.
        if (first) {
            first = false;
            return original(p, ctx);
        }
        const candidates = state.getStore().leakCandidates;
        candidates.add(p);
        return p.then(
            (value) => {
                candidates.delete(p);
                return value;
            },
            (err: { promise?: unknown }) => {
                candidates.delete(p);
                if (err && typeof err === "object") err.promise = p;
                throw err;
            },
        );
    };
    return (traces = true);
}

/** Install once per process; true when the SDK's debug messages are dropped. */
export function skipSdkDebugLogs(): boolean {
    if (debugLogs) return true;
    if (process.env.BGP_FABRIC_SDK_DEBUG) return false;
    let log: Log;
    try {
        log = sdk("./log") as Log;
    } catch {
        return false;
    }
    if (typeof log.debug !== "function") return false;
    log.debug = () => Promise.resolve();
    return (debugLogs = true);
}

/** Both of the above (stacks/program.ts, before the first resource). */
export function skipSdkOverheads(): void {
    skipUnusedPromiseTraces();
    skipSdkDebugLogs();
}
