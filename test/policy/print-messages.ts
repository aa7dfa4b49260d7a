// Prints one violation of every policy exactly as the policy pack reports it
// to the Pulumi CLI: the pack is started as the CLI starts it and driven over
// gRPC as the engine drives it during a preview (test/policy/pack-process.ts).
// docs/policy.md quotes this output.
//
//   npx ts-node --transpile-only test/policy/print-messages.ts

import { DOC_EXAMPLES } from "./cases";
import { PackProcess } from "./pack-process";

async function main(): Promise<void> {
    const packs = new Map<string, PackProcess>();
    try {
        for (const ex of DOC_EXAMPLES) {
            const config = ex.config();
            const key = JSON.stringify(config);
            if (!packs.has(key)) packs.set(key, await PackProcess.start(config));
            const { diagnostics } = await packs.get(key)!.preview(await ex.stack());
            const d = diagnostics.find((x) => x.policy === ex.policy);
            if (!d) throw new Error(`${ex.policy}: no violation`);
            const more = diagnostics.filter((x) => x.policy === ex.policy).length - 1;
            console.log(`### ${ex.policy}`);
            console.log(`[${d.level}] ${d.policy} on ${d.urn}${more ? ` (and ${more} more)` : ""}`);
            console.log(d.message);
            console.log();
        }
    } finally {
        for (const p of packs.values()) p.stop();
    }
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
