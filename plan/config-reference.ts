// docs/config-reference.md, generated from the settings table: every
// `fabric:*` key, its type, range, default and meaning. `npx ts-node
// --transpile-only cli/config-schema.ts` writes it; a test fails when it is stale.

import { SETTINGS, Setting } from "./settings-table";

function cell(text: string): string {
    return text.replace(/\|/g, "\\|");
}

function typeText(s: Setting): string {
    const words =
        s.values?.length && s.type !== "enum"
            ? ` or ${s.values.map((v) => `\`${v}\``).join(", ")}`
            : "";
    return `${s.type}${words}`;
}

function rangeText(s: Setting): string {
    if (s.range) return `${s.range[0]}–${s.range[1]}`;
    if (s.type === "enum") return s.values!.map((v) => `\`${v}\``).join(", ");
    if (s.type === "asn") return "1–4294967294, not reserved";
    return "";
}

function defaultText(s: Setting): string {
    if (s.default !== undefined) return `\`${s.default}\``;
    if (s.derived) return s.derived;
    return s.required ? "required" : "";
}

export function configReference(): string {
    const lines = [
        "# Config reference",
        "",
        "Every `fabric:*` key of a stack config (`Pulumi.<stack>.yaml`), generated from",
        "`plan/settings-table.ts`, the table that also gives the planner its checks and defaults",
        "and `schemas/pulumi-stack.schema.json` its rules. Regenerate both with",
        "`npx ts-node --transpile-only cli/config-schema.ts`; `test/plan/config-schema.test.ts`",
        "fails when either is stale. `leafs[].asn` is the `asn` of each item of `fabric:leafs`;",
        "`vips.*` is any key of `vips`. What a bad value gets as an error: [config-errors.md](config-errors.md).",
    ];
    const top = SETTINGS.filter((s) => !s.key.includes(".") && !s.key.includes("["));
    for (const t of top) {
        const rows = SETTINGS.filter(
            (s) =>
                s.key === t.key || s.key.startsWith(`${t.key}.`) || s.key.startsWith(`${t.key}[`),
        );
        lines.push(
            "",
            `## fabric:${t.key}`,
            "",
            cell(t.doc),
            "",
            "| key | type | range | default | meaning |",
            "| --- | --- | --- | --- | --- |",
        );
        for (const s of rows) {
            const row = [`\`${s.key}\``, typeText(s), rangeText(s), defaultText(s), s.doc];
            lines.push(`| ${row.map(cell).join(" | ")} |`);
        }
    }
    return lines.join("\n") + "\n";
}
