// docs/config-errors.md: every class of invalid config the planner refuses,
// with the exact line it prints. Generated from test/plan/invalid-configs.ts.

import { INVALID_CONFIGS, errorsOf } from "../plan/invalid-configs";

export function errorCatalogue(): string {
    const rows = INVALID_CONFIGS.map(([what, mutate, field, message]) => {
        const line =
            errorsOf(mutate).find((e) => e.startsWith(`${field}: `) && message.test(e)) ??
            "(not refused!)";
        return `| ${what} | \`${field}\` | ${line.slice(field.length + 2).replace(/\|/g, "\\|")} |`;
    });
    return [
        "# Config errors",
        "",
        "Every class of bad `fabric:*` config the planner refuses, before any device is touched",
        "(`npm run plan`, `npm run render`, `npm run lab` and the Pulumi program all plan first).",
        "All problems of a config are reported together, one line each: `field: message`.",
        "Each row is a test in `test/plan/validation.test.ts`, which also checks this table is current.",
        "",
        "| mistake | field named | message |",
        "| --- | --- | --- |",
        ...rows,
        "",
    ].join("\n");
}
