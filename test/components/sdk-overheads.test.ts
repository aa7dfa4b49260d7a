// stacks/sdk-overheads.ts: the SDK's promise wrapper without the stack trace
// it formats for every promise, which only PULUMI_DEBUG_PROMISE_LEAKS reads.
// The leak bookkeeping stays: a promise is a leak candidate until it settles.
// And the SDK's function-serialization modules, deferred until first use.

import assert from "assert";
import { execFileSync } from "child_process";
import { createRequire } from "module";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { skipSdkDebugLogs, skipUnusedPromiseTraces } from "../../stacks/sdk-overheads";
import { buildEngine } from "../../engine/build";
import { ROOT } from "../support/fixtures";

const sdk = createRequire(require.resolve("@pulumi/pulumi"));
const debuggable = sdk("./runtime/debuggable");
const state = sdk("./runtime/state");

describe("stacks/sdk-overheads: the SDK's per-promise stack traces and debug messages, kept only when asked for; its unused modules deferred", () => {
    it("a wrapped promise carries no formatted stack, is a leak candidate until it settles, and passes values and errors through", async () => {
        assert.strictEqual(skipUnusedPromiseTraces(), true);
        debuggable.debuggablePromise(Promise.resolve(0), "first"); // the SDK's own (schedules the leak check)
        let resolve!: (v: number) => void;
        const p = new Promise<number>((r) => (resolve = r));
        const wrapped = debuggable.debuggablePromise(p, "test");
        assert.strictEqual(
            (p as unknown as { _debugStackTrace?: string })._debugStackTrace,
            undefined,
        );
        assert.ok(state.getStore().leakCandidates.has(p), "pending: a leak candidate");
        resolve(42);
        assert.strictEqual(await wrapped, 42);
        assert.ok(!state.getStore().leakCandidates.has(p), "settled: no longer one");

        const failing = Promise.reject(new Error("boom"));
        const err = await debuggable.debuggablePromise(failing, "test").catch((e: unknown) => e);
        assert.strictEqual((err as Error).message, "boom");
        assert.strictEqual((err as { promise?: unknown }).promise, failing);
        assert.ok(!state.getStore().leakCandidates.has(failing));
    });

    it("with PULUMI_DEBUG_PROMISE_LEAKS set it changes nothing: the SDK keeps its traces", () => {
        const script = [
            `const { skipUnusedPromiseTraces } = require(${JSON.stringify(path.join(ROOT, "stacks/sdk-overheads"))});`,
            `const sdk = require("module").createRequire(require.resolve("@pulumi/pulumi"));`,
            `const d = sdk("./runtime/debuggable");`,
            `const installed = skipUnusedPromiseTraces();`,
            `const p = Promise.resolve(1); d.debuggablePromise(p, "x");`,
            `console.log(JSON.stringify({ installed, trace: typeof p._debugStackTrace }));`,
        ].join("\n");
        const out = execFileSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", "-e", script],
            {
                cwd: ROOT,
                env: { ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: "1" },
                encoding: "utf8",
            },
        );
        assert.deepStrictEqual(JSON.parse(out.trim().split("\n").pop()!), {
            installed: false,
            trace: "string",
        });
    });

    it("drops the SDK's debug messages to the engine (the engine is never called), and nothing else", async () => {
        const settings = sdk("./runtime/settings");
        const sent: string[] = [];
        const engine = {
            log: (req: { getMessage(): string }, cb: () => void) => {
                sent.push(req.getMessage());
                cb();
            },
        };
        const getEngine = settings.getEngine;
        settings.getEngine = () => engine;
        try {
            assert.strictEqual(skipSdkDebugLogs(), true);
            await pulumi.log.debug("Registering resource: t=x, name=y");
            await pulumi.log.info("kept");
            assert.deepStrictEqual(sent, ["kept"]);
        } finally {
            settings.getEngine = getEngine;
        }
    });

    it("with BGP_FABRIC_SDK_DEBUG set the debug messages stay", () => {
        const script = [
            `const { skipSdkDebugLogs } = require(${JSON.stringify(path.join(ROOT, "stacks/sdk-overheads"))});`,
            `console.log(JSON.stringify({ installed: skipSdkDebugLogs() }));`,
        ].join("\n");
        const out = execFileSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", "-e", script],
            { cwd: ROOT, env: { ...process.env, BGP_FABRIC_SDK_DEBUG: "1" }, encoding: "utf8" },
        );
        assert.deepStrictEqual(JSON.parse(out.trim().split("\n").pop()!), { installed: false });
    });

    it("defers TypeScript and @npmcli/arborist until first used: loading the SDK skips them, serializeFunction still works", () => {
        const script = [
            `const o = require(${JSON.stringify(path.join(path.dirname(buildEngine()), "..", "stacks", "sdk-overheads"))});`,
            `const deferred = o.deferUnusedSdkModules();`,
            `const pulumi = require("@pulumi/pulumi"); require("@pulumi/pulumi/automation");`,
            `const typescript = () => Object.keys(require.cache).some((k) => k.endsWith("/node_modules/typescript/lib/typescript.js"));`,
            `const arborist = () => Object.keys(require.cache).some((k) => /@npmcli\\/arborist\\/lib\\/arborist\\//.test(k));`,
            `const before = { typescript: typescript(), arborist: arborist() };`,
            `const late = o.deferUnusedSdkModules();`,
            `pulumi.runtime.serializeFunction(() => 40 + 2).then((f) => {`,
            `    const arb = require("@npmcli/arborist");`,
            `    console.log(JSON.stringify({ deferred, late, before, text: f.text.includes("40 + 2"), after: typescript(), arborist: typeof arb.Arborist }));`,
            `});`,
        ].join("\n");
        // Its own process, compiled as the engine runs (ts-node would load TypeScript itself).
        const out = execFileSync(process.execPath, ["-e", script], {
            cwd: ROOT,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"], // TypeScript's and arborist's own warnings, once loaded
        });
        assert.deepStrictEqual(JSON.parse(out.trim().split("\n").pop()!), {
            deferred: true,
            late: false,
            before: { typescript: false, arborist: false },
            text: true,
            after: true,
            arborist: "function",
        });
    });
});
