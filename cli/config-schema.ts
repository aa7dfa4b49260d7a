// npm run config-schema [-- --check]: writes schemas/pulumi-stack.schema.json (the
// JSON Schema editors use for Pulumi.<stack>.yaml) and docs/config-reference.md,
// both generated from plan/settings-table.ts. --check only says whether they are current.

import * as fs from "fs";
import * as path from "path";
import { configReference } from "../plan/config-reference";
import { repoRoot } from "../plan/repo-root";
import { stackSchemaText } from "../plan/schema";

export const GENERATED: Record<string, () => string> = {
    "schemas/pulumi-stack.schema.json": stackSchemaText,
    "docs/config-reference.md": configReference,
};

function main(argv: string[]): number {
    const check = argv.includes("--check");
    let stale = 0;
    for (const [rel, generate] of Object.entries(GENERATED)) {
        const file = path.join(repoRoot(), rel);
        const text = generate();
        const current = fs.existsSync(file) && fs.readFileSync(file, "utf8") === text;
        if (check) {
            if (!current) stale++;
            console.log(`${rel}: ${current ? "current" : "stale"}`);
        } else if (!current) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, text);
            console.log(`${rel}: written`);
        } else console.log(`${rel}: current`);
    }
    return stale ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
