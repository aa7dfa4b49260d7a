// Text carried inside a rendered bash script as a quoted heredoc: written by
// the apply script (render/apply-script.ts) and read back by whoever needs the
// text a script carries (the policy pack, through the platform driver). One
// definition of the delimiters and of both directions.

/** The delimiter frr.conf travels under. */
export const FRR_EOF = "BGP_FABRIC_FRR_CONF";
/** The delimiter /etc/network/interfaces travels under (Cumulus). */
export const IFACES_EOF = "BGP_FABRIC_INTERFACES";

/** A quoted heredoc: the text arrives byte for byte, nothing in it is expanded. */
export function heredoc(target: string, eof: string, text: string): string {
    if (text.split("\n").includes(eof))
        throw new Error(`the text contains the heredoc delimiter ${eof}`);
    return `cat > ${target} <<'${eof}'\n${heredocBody(text)}${eof}`;
}

/** The bytes a heredoc writes: the text, ending in a newline. */
export function heredocBody(text: string): string {
    return text.endsWith("\n") ? text : `${text}\n`;
}

/** The text of the first quoted heredoc under `eof` in a script, or undefined when it has none. */
export function heredocText(script: string, eof: string): string | undefined {
    const open = `<<'${eof}'\n`;
    const start = script.indexOf(open);
    if (start < 0) return undefined;
    const body = script.slice(start + open.length);
    const end = body.search(new RegExp(`^${eof}$`, "m"));
    return end < 0 ? undefined : body.slice(0, end);
}
