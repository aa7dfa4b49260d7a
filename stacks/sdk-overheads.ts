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
//
// And one cost per process: loading `@pulumi/pulumi` loads TypeScript's
// compiler and npm's @npmcli/arborist, for function serialization
// (`runtime.serializeFunction`), which bgp-fabric never calls: 0.35 s of the
// SDK's 0.47 s load and 54 MB. The engine's entry defers both until first use.

import Module, { createRequire } from "module";
import * as path from "path";

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

/**
 * Before the SDK is first loaded (cli/engine.ts): the SDK's TypeScript shim and
 * @npmcli/arborist become modules that load the real one on first use. False
 * when the SDK is loaded already (too late) or they cannot be found.
 */
export function deferUnusedSdkModules(): boolean {
    let files: string[];
    try {
        const root = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
        if (require.cache[require.resolve("@pulumi/pulumi")]) return false;
        files = [sdk.resolve("./typescript-shim"), sdk.resolve("@npmcli/arborist")];
        if (!files[0].startsWith(root)) return false;
    } catch {
        return false;
    }
    for (const file of files) {
        if (require.cache[file]) continue;
        let real: Record<PropertyKey, unknown> | undefined;
        const load = (): Record<PropertyKey, unknown> => {
            if (!real) {
                delete require.cache[file];
                real = require(file) as Record<PropertyKey, unknown>;
            }
            return real;
        };
        const stub = new Module(file);
        stub.filename = file;
        stub.loaded = true;
        // `__esModule` keeps TypeScript's `__importStar` from copying (and so loading) it.
        stub.exports = new Proxy(
            {},
            {
                get: (_, key) => (key === "__esModule" ? true : load()[key]),
                has: (_, key) => key in load(),
                ownKeys: () => Reflect.ownKeys(load()),
                getOwnPropertyDescriptor: (_, key) => Object.getOwnPropertyDescriptor(load(), key),
            },
        );
        require.cache[file] = stub;
    }
    return true;
}

/** The per-resource ones (stacks/program.ts, before the first resource). */
export function skipSdkOverheads(): void {
    skipUnusedPromiseTraces();
    skipSdkDebugLogs();
}
