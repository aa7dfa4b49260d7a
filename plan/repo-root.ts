// The repository's root directory, found from this module wherever it runs:
// from its TypeScript source (ts-node) or from its compiled JavaScript under
// bin/ (the engine's program), where `__dirname/..` would be bin/.

import * as fs from "fs";
import * as path from "path";

let cached: string | undefined;

/** The nearest directory above this module holding package.json. */
export function repoRoot(): string {
    if (cached) return cached;
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json"))) return (cached = dir);
        if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
    }
}
