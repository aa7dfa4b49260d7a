// Parsing `frr-reload.py --test` (FRR 8.4): what FRR itself would change to
// turn a device's running configuration into the intended file. Pure: text in,
// entries out; no I/O.
//
// frr-reload.py prints two sections, each only when it has lines:
//
//     Lines To Delete
//     ===============
//     router bgp 65101
//      no neighbor swp1 shutdown
//
//     Lines To Add
//     ============
//     interface swp2
//      ipv6 nd ra-interval 3
//     no ip prefix-list HAND seq 5 permit 10.9.9.0/24
//
// Each entry is the command as frr-reload.py would type it: its context lines
// (indented one space per level, starting at column 0), then the command at the
// next level; an entry without context is one line at column 0. The entries
// are frr-reload.py's commands, not running-config lines: a delete is printed
// in its `no` form (and the `no` form of a default, `no ipv6 nd suppress-ra`,
// as the positive command), and some deletions frr-reload.py moves into the
// add section as `no …` lines. So the report shows them exactly as printed.
//
// Two things are normalised here:
//  - `frr version …` is not compared: FRR writes its full version (8.4.4) into
//    the running config, the rendered file says 8.4, and frr-reload.py never
//    changes it;
//  - a BGP password never leaves the parser: `password <word>` becomes
//    `password <redacted>` in every entry.

export type DiffSection = "delete" | "add";

export interface DiffEntry {
    section: DiffSection;
    /** Context lines, outermost first, without indentation (`router bgp 65101`, `address-family ipv4 unicast`). */
    context: string[];
    /** The command at the innermost level, without indentation (`no neighbor swp1 shutdown`). */
    command: string;
    /** The entry as frr-reload.py printed it (context and command, indented), passwords redacted. */
    text: string;
}

export interface ReloadDiff {
    /** Lines To Delete: what the running config has that the intended one does not. */
    toDelete: DiffEntry[];
    /** Lines To Add: what the intended config has that the running one does not (and `no …` deletions frr-reload.py orders last). */
    toAdd: DiffEntry[];
    /** Entries that are not a difference (`frr version`), or that the caller asked not to compare. */
    ignored: DiffEntry[];
}

const HEADERS: Record<string, DiffSection> = { "Lines To Delete": "delete", "Lines To Add": "add" };

/** Entries never reported as a difference. */
const NOT_COMPARED = [/^(no )?frr version\b/];

/** Mask a BGP password (and any other `password <word>`) in FRR text. */
export function redactPasswords(text: string): string {
    return text.replace(/(\bpassword)[ \t]+\S+/g, "$1 <redacted>");
}

export class ReloadOutputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ReloadOutputError";
    }
}

/**
 * Parse the standard output of `frr-reload.py --test FILE`. Throws
 * ReloadOutputError on text that is not frr-reload.py's report (a line
 * outside a section, a section without its underline).
 */
export function parseReloadTest(stdout: string): ReloadDiff {
    const diff: ReloadDiff = { toDelete: [], toAdd: [], ignored: [] };
    const lines = stdout.replace(/\r\n/g, "\n").split("\n");
    let section: DiffSection | undefined;
    let block: string[] = [];
    const flush = () => {
        if (block.length === 0 || section === undefined) return;
        const entry = toEntry(section, block);
        block = [];
        if (entry.context.length === 0 && NOT_COMPARED.some((re) => re.test(entry.command)))
            diff.ignored.push(entry);
        else (section === "delete" ? diff.toDelete : diff.toAdd).push(entry);
    };
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (HEADERS[line.trim()] !== undefined) {
            flush();
            section = HEADERS[line.trim()];
            if (!/^=+$/.test((lines[i + 1] ?? "").trim()))
                throw new ReloadOutputError(
                    `line ${i + 1}: '${line.trim()}' is not followed by its ===== underline`,
                );
            i++;
            continue;
        }
        if (line.trim() === "") {
            flush();
            continue;
        }
        if (section === undefined)
            throw new ReloadOutputError(
                `line ${i + 1}: not part of frr-reload.py --test output: ${redactPasswords(line).slice(0, 200)}`,
            );
        // A line at column 0 starts a new entry; an indented one continues the current entry.
        if (!/^\s/.test(line)) flush();
        else if (block.length === 0)
            throw new ReloadOutputError(
                `line ${i + 1}: an indented line without its context: ${redactPasswords(line).slice(0, 200)}`,
            );
        block.push(line.replace(/\s+$/, ""));
    }
    flush();
    return diff;
}

function toEntry(section: DiffSection, block: string[]): DiffEntry {
    const clean = block.map(redactPasswords);
    const trimmed = clean.map((l) => l.trim());
    return {
        section,
        context: trimmed.slice(0, -1),
        command: trimmed[trimmed.length - 1],
        text: clean.join("\n"),
    };
}

/** Move entries matching `ignore` (e.g. password lines the caller cannot render) from the differences to `ignored`. */
export function ignoreEntries(diff: ReloadDiff, ignore: (e: DiffEntry) => boolean): ReloadDiff {
    const keep = (list: DiffEntry[]) => list.filter((e) => !ignore(e));
    return {
        toDelete: keep(diff.toDelete),
        toAdd: keep(diff.toAdd),
        ignored: [...diff.ignored, ...diff.toDelete.filter(ignore), ...diff.toAdd.filter(ignore)],
    };
}

/** Does the diff hold any difference? */
export function hasDifferences(diff: ReloadDiff): boolean {
    return diff.toDelete.length + diff.toAdd.length > 0;
}
