// Configs the tests start from: the dev stack and the reference designs, as
// fresh deep copies a test may mutate.

import * as fs from "fs";
import * as path from "path";
import { FabricConfig, readStackFile } from "../../plan";

export const ROOT = path.resolve(__dirname, "../..");

export function devConfig(): FabricConfig {
    return readStackFile({ stack: "dev", root: ROOT }).config;
}

export function exampleFiles(): string[] {
    const dir = path.join(ROOT, "examples");
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => path.join(dir, f));
}

export function exampleConfig(name: string): FabricConfig {
    const file = exampleFiles().find((f) => path.basename(f).startsWith(name));
    if (!file) throw new Error(`no example ${name}`);
    return readStackFile({ config: file, root: ROOT }).config;
}
