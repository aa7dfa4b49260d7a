// The engine's program runs as compiled JavaScript (bin/, tsconfig.engine.json),
// not under ts-node: ts-node's source-map support rewrites every stack trace,
// and the Pulumi SDK takes one per resource and per promise — it was half the
// time of a 1,000-device preview (BENCHMARKS.md §5). `tsc -b` is incremental:
// about 0.2 s when nothing changed, so every run starts from the current source.

import { execFileSync } from "child_process";
import * as path from "path";
import { repoRoot } from "../plan/repo-root";

let built: string | undefined;

/** Builds the engine's entry point if its sources changed; returns bin/cli/engine.js. */
export function buildEngine(): string {
    if (built) return built;
    const root = repoRoot();
    const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
    execFileSync(process.execPath, [tsc, "-b", path.join(root, "tsconfig.engine.json")], {
        cwd: root,
        stdio: ["ignore", "inherit", "inherit"],
    });
    return (built = path.join(root, "bin", "cli", "engine.js"));
}

if (require.main === module) buildEngine();
