// npm run bench: every performance figure of the project, printed.
// Timing lives here, never in tests.

import { benchComponents } from "./components";
import { benchPlan } from "./plan";

async function main(): Promise<void> {
    benchPlan();
    await benchComponents();
}

main().catch((err) => {
    console.error(String(err).split("\n").slice(0, 5).join("\n"));
    process.exit(1);
});
