// npm run engine -- up|preview|destroy --config FILE [--stack NAME] [--work DIR]
//                  [--set fabric:key.path=JSON]... [--secret fabric:key.path=@FILE|TEXT]... [--json]
//
// The stack program through the real Pulumi engine (Automation API, inline
// program: no language host needed), with a local file backend in the work
// directory. --json prints the run report (engine/run.ts) as one JSON
// document; otherwise the engine's own output. Exit 1 when the operation fails.
// Secrets: `--secret fabric:kubernetes.kubeconfig=@/path/kubeconfig` reads a file.

// First, before anything loads the SDK: its unused modules deferred
// (stacks/sdk-overheads.ts), the heap's growth bounded (engine/heap.ts).
import { deferUnusedSdkModules } from "../stacks/sdk-overheads";
import { capHeapGrowth } from "../engine/heap";
deferUnusedSdkModules();
capHeapGrowth();

import * as fs from "fs";
import * as path from "path";
import { engineStack } from "../engine/stack";
import { Operation, runOperation } from "../engine/run";
import { fail, flag, parseArgs } from "./args";

function pairs(argv: string[], name: string): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] !== `--${name}`) continue;
        const kv = argv[++i] ?? "";
        const eq = kv.indexOf("=");
        if (eq < 1) fail(new Error(`--${name} wants key=value, got '${kv}'`));
        out.push([kv.slice(0, eq), kv.slice(eq + 1)]);
    }
    return out;
}

async function main() {
    const argv = process.argv.slice(2);
    const args = parseArgs(argv);
    const operation = args.positional[0] as Operation;
    if (!["up", "preview", "destroy"].includes(operation))
        fail(
            new Error(
                "usage: engine up|preview|destroy --config FILE [--stack NAME] [--work DIR] [--set k=JSON] [--secret k=@FILE] [--json] [--diff]",
            ),
        );
    const configFile = flag(args, "config");
    if (!configFile) fail(new Error("--config FILE is required"));
    const work = path.resolve(flag(args, "work") ?? path.join("out", "engine"));
    const set = Object.fromEntries(pairs(argv, "set").map(([k, v]) => [k, JSON.parse(v)]));
    const secrets = Object.fromEntries(
        pairs(argv, "secret").map(([k, v]) => [
            k,
            v.startsWith("@") ? fs.readFileSync(v.slice(1), "utf8") : v,
        ]),
    );
    const stack = await engineStack({
        configFile: path.resolve(configFile),
        stack: flag(args, "stack"),
        workDir: work,
        set,
        secrets,
    });
    const report = await runOperation(stack, operation, {
        diff: args.flags.diff === true,
        expectNoChanges: args.flags["expect-no-changes"] === true,
    });
    const text = args.flags.json
        ? JSON.stringify(report) + "\n"
        : report.stdout + (report.error ? `\n${report.error}\n` : "");
    // Exit only once a large report has reached the pipe.
    process.stdout.write(text, () => process.exit(report.ok ? 0 : 1));
}

main().catch(fail);
