// The bash (and Python) of the rendered scripts lives in real files under
// render/scripts/, checked by shellcheck as they are; this module reads them at
// render time and fills them in. The format (docs/platforms.md):
//   - lines above the first `# @section NAME` are the file's own header
//     (shellcheck directives, notes for the reader): never emitted;
//   - `# @section NAME` starts a section, which runs to the next one; its
//     trailing blank lines are dropped, and so is every line starting with `##`
//     (a note for the reader of the source);
//   - a line `# @hook NAME` is replaced by the text given for that hook (a
//     platform driver's fragment), or dropped when there is none;
//   - `@@NAME@@` is replaced by the value given for it (device, paths, the
//     Python program);
//   - `"$EXIT_NAME"` is replaced by the number APPLY_EXIT.NAME
//     (render/exit-codes.ts).
// Anything left unfilled is an error, at render time, naming the file.

import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../plan/repo-root";
import { applyExitCode } from "./exit-codes";

/**
 * Where the sources are. From the repository root, not from __dirname: this
 * module also runs compiled, as bin/render/script-source.js (tsconfig outDir
 * `bin`), and tsc copies no .sh files there, so `__dirname/scripts` would name
 * bin/render/scripts, which does not exist.
 */
export function scriptsDir(): string {
    return path.join(repoRoot(), "render", "scripts");
}

const files = new Map<string, string>();

/** A file of render/scripts/, read once per process. */
export function scriptFile(name: string): string {
    let text = files.get(name);
    if (text === undefined) {
        text = fs.readFileSync(path.join(scriptsDir(), name), "utf8");
        files.set(name, text);
    }
    return text;
}

const parsed = new Map<string, Map<string, string>>();

/** The sections of a file of render/scripts/, by name, as they are emitted (before filling). */
export function scriptSections(name: string): Map<string, string> {
    let sections = parsed.get(name);
    if (sections) return sections;
    sections = new Map();
    let current: string | undefined;
    let lines: string[] = [];
    const close = () => {
        if (current === undefined) return;
        while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
        sections!.set(current, lines.join("\n"));
    };
    for (const line of scriptFile(name).split("\n")) {
        const m = /^# @section (\S+)\s*$/.exec(line);
        if (m) {
            close();
            if (sections.has(m[1]))
                throw new Error(`render/scripts/${name}: section ${m[1]} twice`);
            current = m[1];
            lines = [];
        } else if (current !== undefined && !/^\s*##/.test(line)) lines.push(line);
    }
    close();
    parsed.set(name, sections);
    return sections;
}

/** One section of a file of render/scripts/ (an error when there is none of that name). */
export function scriptSection(file: string, section: string): string {
    const text = scriptSections(file).get(section);
    if (text === undefined) throw new Error(`render/scripts/${file} has no section ${section}`);
    return text;
}

export interface FillValues {
    /** Hook name → the text put in place of its `# @hook NAME` line (none: the line goes). */
    hooks?: Record<string, string | undefined>;
    /** `@@NAME@@` → its value. */
    tokens?: Record<string, string>;
}

/**
 * A section's text with its hooks, tokens and exit statuses filled in. `where` names it in errors.
 */
export function fill(text: string, values: FillValues, where: string): string {
    const hooked = text
        .split("\n")
        .flatMap((line) => {
            const m = /^\s*# @hook (\S+)\s*$/.exec(line);
            if (!m) return [line];
            if (!(values.hooks && m[1] in values.hooks))
                throw new Error(`${where}: no value for the hook ${m[1]}`);
            const fragment = values.hooks[m[1]];
            return fragment ? [fragment] : [];
        })
        .join("\n");
    const tokens = values.tokens ?? {};
    const out = hooked
        .replace(/@@([A-Z0-9_]+)@@/g, (_, name: string) => {
            if (!(name in tokens)) throw new Error(`${where}: no value for @@${name}@@`);
            return tokens[name];
        })
        .replace(/"\$EXIT_([A-Z_]+)"/g, (_, name: string) => String(applyExitCode(name)));
    return out;
}

/** A file of render/scripts/ without its first comment lines (the Python program's header). */
export function withoutHeader(text: string): string {
    const lines = text.split("\n");
    let i = 0;
    while (i < lines.length && lines[i].startsWith("#")) i++;
    return lines.slice(i).join("\n");
}
