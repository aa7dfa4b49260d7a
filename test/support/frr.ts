// FRR's own parser as a test oracle.
//
// frrDryRun: `vtysh --dryrun -f FILE` parses a config without daemons. It
// reports every line it cannot parse as `line N: % Unknown command…` on
// stderr and exits 2, but it executes nothing, so it cannot see semantic
// errors (a neighbor put in a peer-group that does not exist, say).
//
// frrLoad: the stronger check. It starts zebra, bgpd, bfdd and staticd in a
// private network and mount namespace (unshare; root only), creates the
// config's interfaces as veth pairs, loads the config with `vtysh -f` the way
// an operator would, and asks `frr-reload.py --test` what it would still
// change: a config FRR fully accepted and that round-trips leaves no delta.
// The daemons are stopped by their PIDs before the namespace goes away.
// frrSandbox runs any script next to such daemons (the apply script tests).

import { execFile, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FabricPlan, planFabric, readStackFile } from "../../plan";
import { parseAddress } from "../../plan/ipv4";
import { ROOT, devConfig, exampleFiles } from "./fixtures";

export const VTYSH = "vtysh";
export const FRR_DIR = "/usr/lib/frr";

export function haveVtysh(): boolean {
    return spawnSync(VTYSH, ["--help"], { encoding: "utf8" }).status === 0;
}

export interface DryRun {
    ok: boolean;
    status: number | null;
    /** FRR's own messages (`line N: % Unknown command…`), one per line. */
    messages: string;
}

export function frrDryRun(text: string): DryRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "frr-dryrun-"));
    try {
        const file = path.join(dir, "frr.conf");
        fs.writeFileSync(file, text);
        const r = spawnSync(VTYSH, ["--dryrun", "-f", file], { encoding: "utf8", timeout: 30_000 });
        const messages = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim();
        // Exit status is the verdict; a `%` message with status 0 would still be a problem worth failing on.
        return { ok: r.status === 0 && !/%/.test(messages), status: r.status, messages };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Assertion message quoting FRR: which config, which lines FRR refused. */
export function dryRunFailure(label: string, text: string, r: DryRun): string {
    const numbered = r.messages.replace(
        /^line (\d+):/gm,
        (_m, n) => `line ${n} (${JSON.stringify(text.split("\n")[+n - 1] ?? "")}):`,
    );
    return `FRR rejected ${label} (vtysh --dryrun exit ${r.status}):\n${numbered}`;
}

/** The fabrics whose rendering is checked: the dev stack and every reference design in examples/. */
export function fabricsUnderTest(): { name: string; plan: FabricPlan }[] {
    const out = [{ name: "dev", plan: planFabric(devConfig()) }];
    for (const file of exampleFiles())
        out.push({
            name: path.basename(file, ".yaml"),
            plan: planFabric(readStackFile({ config: file, root: ROOT }).config),
        });
    return out;
}

export function canUnshare(): boolean {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) return false;
    return (
        spawnSync("unshare", ["-n", "-m", "true"], { encoding: "utf8" }).status === 0 &&
        fs.existsSync(path.join(FRR_DIR, "bgpd"))
    );
}

export interface LoadResult {
    /** Output of `vtysh -f` (FRR's complaints, if any). */
    loadOutput: string;
    loadStatus: number;
    /** `show running-config` after the load. */
    running: string;
    /** `frr-reload.py --test` lines that would still change: empty when the config round-trips. */
    delta: string[];
}

// Inside `unshare -n -m -u`: the config's interfaces (veth pairs; a bridge
// for the rack bridge), a private /run/frr and /etc/frr (the work dir's etc/),
// forwarding on as on a router, and zebra/bgpd/bfdd/staticd with the
// `traditional` defaults profile, as in the lab. The caller's script runs
// after them, in $W; the daemons are stopped by PID on the way out.
const SANDBOX = String.raw`
set -u
W=$1; H=$2; shift 2
cleanup() { for p in /run/frr/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done; sleep 0.2; }
trap cleanup EXIT
trap 'exit 143' INT TERM HUP
hostname "$H"
sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
ip link set lo up
i=0
for ifname in "$@"; do
  i=$((i+1))
  if [ "$ifname" = "br-rack" ]; then ip link add "$ifname" type bridge; else ip link add "$ifname" type veth peer name "peer$i"; ip link set "peer$i" up; fi
  ip link set "$ifname" up
done
mount -t tmpfs tmpfs /run/frr && chown frr:frr /run/frr
mkdir -p "$W/etc" && cp /etc/frr/daemons "$W/etc/" && echo 'service integrated-vtysh-config' > "$W/etc/vtysh.conf"
[ -f "$W/etc/frr.conf" ] || : > "$W/etc/frr.conf"
chown -R frr:frr "$W/etc"; mount --bind "$W/etc" /etc/frr
for d in zebra bgpd bfdd staticd; do /usr/lib/frr/$d -d -F traditional -A 127.0.0.1 --log file:$W/$d.log || exit 90; done
for t in $(seq 50); do vtysh -c 'show version' >/dev/null 2>&1 && break; sleep 0.1; done
vtysh -b >/dev/null 2>&1
cd "$W"
source "$W/test.sh"
`;

export interface SandboxRun {
    status: number | null;
    stdout: string;
    stderr: string;
    /** Files the script left in the work dir, by name (read before the dir is removed). */
    read(file: string): string;
}

/**
 * Run `script` (bash, in the work dir $W) next to live FRR daemons in a
 * throwaway namespace. `files` are written to $W first (etc/frr.conf is the
 * config FRR boots with). Needs root and unshare (canUnshare).
 */
export async function frrSandbox(opts: {
    hostname: string;
    interfaces: string[];
    files?: Record<string, string>;
    script: string;
    timeoutMs?: number;
}): Promise<SandboxRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "frr-sandbox-"));
    try {
        fs.chmodSync(dir, 0o755);
        for (const [name, text] of Object.entries(opts.files ?? {})) {
            fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
            fs.writeFileSync(path.join(dir, name), text);
        }
        fs.writeFileSync(path.join(dir, "test.sh"), opts.script);
        const args = [
            "-n",
            "-m",
            "-u",
            "--propagation",
            "private",
            "bash",
            "-c",
            SANDBOX,
            "sandbox",
            dir,
            opts.hostname,
            ...opts.interfaces,
        ];
        const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
            (resolve) => {
                execFile(
                    "unshare",
                    args,
                    { encoding: "utf8", timeout: opts.timeoutMs ?? 60_000 },
                    (err, stdout, stderr) =>
                        resolve({
                            status: err ? (typeof err.code === "number" ? err.code : null) : 0,
                            stdout,
                            stderr,
                        }),
                );
            },
        );
        const snapshot = new Map<string, string>();
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const f = path.join(d, e.name);
                if (e.isDirectory()) walk(f);
                else if (e.isFile())
                    snapshot.set(path.relative(dir, f), fs.readFileSync(f, "utf8"));
            }
        };
        walk(dir);
        return { ...r, read: (f) => snapshot.get(f) ?? "" };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Load `text` into live FRR daemons in a throwaway namespace (needs root and unshare: see canUnshare). */
export async function frrLoad(text: string, interfaces: string[]): Promise<LoadResult> {
    const hostname = /^hostname (\S+)$/m.exec(text)?.[1] ?? "frr";
    const r = await frrSandbox({
        hostname,
        interfaces,
        files: { "candidate.conf": text },
        script: [
            'vtysh -f "$W/candidate.conf" > "$W/load.out" 2>&1; echo $? > "$W/load.status"',
            "vtysh -c 'show running-config' > \"$W/running.conf\" 2>&1",
            'python3 /usr/lib/frr/frr-reload.py --test "$W/candidate.conf" > "$W/delta.out" 2>&1 || true',
        ].join("\n"),
    });
    if (!r.read("load.status"))
        throw new Error(`FRR did not start (exit ${r.status}): ${r.stderr} ${r.read("zebra.log")}`);
    return {
        loadOutput: r.read("load.out").trim(),
        loadStatus: Number(r.read("load.status").trim()),
        running: r.read("running.conf"),
        delta: reloadDelta(r.read("delta.out")),
    };
}

/** Run `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(
    items: T[],
    limit: number,
    fn: (item: T) => Promise<R>,
): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** The `Lines To Delete` / `Lines To Add` sections of `frr-reload.py --test`. */
function reloadDelta(out: string): string[] {
    const lines = out.split("\n");
    const delta: string[] = [];
    let section = "";
    for (const l of lines) {
        if (/^Lines To (Delete|Add)/.test(l)) section = l;
        else if (/^=+$/.test(l.trim()) || !l.trim()) continue;
        else if (section) delta.push(`${section.startsWith("Lines To Delete") ? "-" : "+"} ${l}`);
    }
    return delta;
}

// ---------------------------------------------------------------------------
// FRR's routing-policy semantics over a rendered config, for direct unit
// assertions ("this route-map permits X and denies Y") independent of golden
// text: prefix-lists (first matching entry; ge/le), AS-path access-lists
// (`_` as FRR's delimiter) and route-maps (entries in order, every match
// clause must hold, no match = deny).

interface PrefixEntry {
    action: string;
    base: number;
    len: number;
    ge?: number;
    le?: number;
}

function addr(a: string): number {
    const n = parseAddress(a);
    if (n === undefined) throw new Error(`'${a}' is not an IPv4 address`);
    return n;
}

function prefixLists(text: string): Map<string, PrefixEntry[]> {
    const lists = new Map<string, PrefixEntry[]>();
    for (const m of text.matchAll(
        /^ip prefix-list (\S+) seq \d+ (permit|deny) (\S+)\/(\d+)(?: ge (\d+))?(?: le (\d+))?$/gm,
    )) {
        const e: PrefixEntry = {
            action: m[2],
            base: addr(m[3]),
            len: +m[4],
            ge: m[5] ? +m[5] : undefined,
            le: m[6] ? +m[6] : undefined,
        };
        lists.set(m[1], [...(lists.get(m[1]) ?? []), e]);
    }
    return lists;
}

function prefixMatches(e: PrefixEntry, prefix: string): boolean {
    const [a, l] = prefix.split("/");
    const len = +l;
    const block = 2 ** (32 - e.len);
    if (len < e.len || Math.floor(addr(a) / block) !== Math.floor(e.base / block)) return false;
    if (e.ge === undefined && e.le === undefined) return len === e.len;
    return len >= (e.ge ?? e.len) && len <= (e.le ?? 32);
}

/** FRR's verdict of prefix-list `name` on `prefix` (no list or no match: deny). */
export function prefixListPermits(text: string, name: string, prefix: string): boolean {
    const entries = prefixLists(text).get(name);
    if (!entries) throw new Error(`no prefix-list ${name}`);
    const hit = entries.find((e) => prefixMatches(e, prefix));
    return hit?.action === "permit";
}

function asPathPermits(text: string, name: string, path: string): boolean {
    const regexes = [
        ...text.matchAll(
            new RegExp(`^bgp as-path access-list ${name} seq \\d+ (permit|deny) (.+)$`, "gm"),
        ),
    ];
    if (!regexes.length) throw new Error(`no as-path access-list ${name}`);
    for (const [, action, re] of regexes) {
        if (new RegExp(re.replace(/_/g, "(^|[ ,{}()]|$)")).test(path)) return action === "permit";
    }
    return false;
}

/** A route as a route-map sees it: prefix and AS path (space-separated ASNs; "" for local). */
export interface Route {
    prefix: string;
    asPath?: string;
}

/** FRR's verdict of route-map `name` on a route. */
export function routeMapPermits(text: string, name: string, route: Route): boolean {
    const lines = text.split("\n");
    const entries: { action: string; matches: string[] }[] = [];
    for (let i = 0; i < lines.length; i++) {
        const m = new RegExp(`^route-map ${name} (permit|deny) \\d+$`).exec(lines[i]);
        if (!m) continue;
        const matches: string[] = [];
        for (let j = i + 1; j < lines.length && lines[j].startsWith(" "); j++)
            matches.push(lines[j].trim());
        entries.push({ action: m[1], matches });
    }
    if (!entries.length) throw new Error(`no route-map ${name}`);
    for (const e of entries) {
        const all = e.matches.every((clause) => {
            let m = /^match ip address prefix-list (\S+)$/.exec(clause);
            if (m) return prefixListPermits(text, m[1], route.prefix);
            m = /^match as-path (\S+)$/.exec(clause);
            if (m) return asPathPermits(text, m[1], route.asPath ?? "");
            throw new Error(`route-map ${name}: unsupported clause '${clause}'`);
        });
        if (all) return e.action === "permit";
    }
    return false;
}
