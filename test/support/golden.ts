// Golden files: compare byte for byte; UPDATE_GOLDEN=1 rewrites them.

import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./fixtures";

export function assertGolden(relative: string, actual: string): void {
    const file = path.join(ROOT, "test/golden", relative);
    if (process.env.UPDATE_GOLDEN === "1") {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, actual);
        return;
    }
    assert.ok(
        fs.existsSync(file),
        `missing golden file test/golden/${relative} (run with UPDATE_GOLDEN=1 to create it)`,
    );
    assert.strictEqual(actual, fs.readFileSync(file, "utf8"), `test/golden/${relative} differs`);
}
