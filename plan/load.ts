// Reading a fabric config from a Pulumi stack file (Pulumi.<stack>.yaml) or a
// plain YAML/JSON file, for the CLI tools that run without the Pulumi engine.

import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { FabricConfig } from "./config";
import { repoRoot } from "./repo-root";

/** The `fabric:*` keys of a parsed stack file (or a bare fabric object) as a FabricConfig. */
export function loadStackConfig(doc: unknown): FabricConfig {
    if (typeof doc !== "object" || doc === null)
        throw new Error("the config file is empty or not a mapping");
    const root = (doc as { config?: unknown }).config ?? doc;
    const entries = Object.entries(root as Record<string, unknown>);
    if (!entries.some(([k]) => k.startsWith("fabric:"))) return root as FabricConfig;
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) if (k.startsWith("fabric:")) out[k.slice("fabric:".length)] = v;
    return out as unknown as FabricConfig;
}

/** `--stack NAME` reads Pulumi.NAME.yaml beside Pulumi.yaml; `--config FILE` reads that file. */
export function readStackFile(opts: { stack?: string; config?: string; root?: string }): {
    file: string;
    config: FabricConfig;
} {
    const root = opts.root ?? repoRoot();
    const file = opts.config
        ? path.resolve(opts.config)
        : path.join(root, `Pulumi.${opts.stack ?? "dev"}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no such config file: ${file}`);
    return { file, config: loadStackConfig(YAML.parse(fs.readFileSync(file, "utf8"))) };
}
