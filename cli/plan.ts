// npm run plan -- [--stack NAME | --config FILE] [--json]
// Prints the fabric plan of a stack: a table, or the whole plan as JSON.

import { planFabric, readStackFile } from "../plan";
import { formatPlanTable } from "../plan/table";
import { fail, flag, parseArgs } from "./args";

const args = parseArgs(process.argv.slice(2));
try {
    const { config } = readStackFile({ stack: flag(args, "stack"), config: flag(args, "config") });
    const plan = planFabric(config);
    process.stdout.write(
        args.flags.json ? JSON.stringify(plan, null, 2) + "\n" : formatPlanTable(plan),
    );
} catch (err) {
    fail(err);
}
