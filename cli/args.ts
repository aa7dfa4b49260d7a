// Tiny argument parsing shared by the CLI tools: `--flag value`, `--flag`, positionals.

export interface Args {
    flags: Record<string, string | true>;
    positional: string[];
    /** Everything after a bare `--`. */
    rest: string[];
}

export function parseArgs(argv: string[]): Args {
    const out: Args = { flags: {}, positional: [], rest: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") {
            out.rest = argv.slice(i + 1);
            break;
        }
        if (a.startsWith("--")) {
            const [k, v] = a.slice(2).split("=", 2);
            if (v !== undefined) out.flags[k] = v;
            else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out.flags[k] = argv[++i];
            else out.flags[k] = true;
        } else out.positional.push(a);
    }
    return out;
}

/** Print a config error list (one `fabric:field: message` per line) or any other failure, and exit 1. */
export function fail(err: unknown): never {
    const errors = (err as { errors?: { field: string; message: string }[] }).errors;
    if (Array.isArray(errors)) for (const e of errors) console.error(`${e.field}: ${e.message}`);
    else console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
}

export function flag(args: Args, name: string): string | undefined {
    const v = args.flags[name];
    return typeof v === "string" ? v : undefined;
}
