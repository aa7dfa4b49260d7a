// Probes the tests and benchmarks run against a lab: routes and their next
// hops as a device's kernel has them, what the plan says they should be,
// pings between node loopbacks, TCP to a VIP, and link failures (carrier
// down, or silent: the link stays up but drops everything, which only BFD or
// the hold timer notices).

import { FabricPlan, PlannedDevice } from "../plan";
import { LabLocationOptions, VIP_PORT } from "./env";
import { RunResult, sq } from "./exec";
import { labExec, labInfo } from "./index";

export interface Nexthop {
    via?: string;
    dev: string;
    flags: string[];
}

interface IpRoute {
    dst: string;
    gateway?: string;
    via?: { host: string };
    dev?: string;
    flags?: string[];
    nexthops?: { gateway?: string; via?: { host: string }; dev: string; flags?: string[] }[];
}

function ok(r: RunResult, what: string): string {
    if (r.code !== 0)
        throw new Error(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
}

/** Next hops of `prefix` in a device's main table (empty when there is no route). */
export async function routeNexthops(
    device: string,
    prefix: string,
    loc: LabLocationOptions = {},
): Promise<Nexthop[]> {
    const out = ok(
        await labExec(device, ["ip", "-j", "-4", "route", "show", "exact", prefix], loc),
        `${device}: ip route show ${prefix}`,
    );
    const routes = JSON.parse(out || "[]") as IpRoute[];
    const hops: Nexthop[] = [];
    for (const r of routes) {
        if (r.nexthops)
            for (const n of r.nexthops)
                hops.push({ via: n.gateway ?? n.via?.host, dev: n.dev, flags: n.flags ?? [] });
        else if (r.dev)
            hops.push({ via: r.gateway ?? r.via?.host, dev: r.dev, flags: r.flags ?? [] });
    }
    // `linkdown` next hops are still in the FIB (ignore_routes_with_linkdown is 0, the kernel default): they count until FRR removes them.
    return hops.filter((h) => !h.flags.includes("dead"));
}

function device(plan: FabricPlan, name: string): PlannedDevice {
    const d = plan.devices.find((x) => x.name === name);
    if (!d) throw new Error(`no device ${name} in the plan`);
    return d;
}

/**
 * Equal-cost paths the plan gives a spine to a leaf's or a node's loopback:
 * one per cable to the leaf; for a node, one per cable to each leaf the node
 * is cabled to (nodes are never transit, spines never reach a leaf through
 * another spine: they share an ASN or the path is longer).
 */
export function plannedSpinePaths(plan: FabricPlan, spine: string, target: string): number {
    const s = device(plan, spine);
    const t = device(plan, target);
    const cablesTo = (leaf: string) => s.interfaces.filter((i) => i.peer.device === leaf).length;
    if (t.role === "leaf") return cablesTo(t.name);
    if (t.role === "node") {
        const leafs = [...new Set(t.interfaces.map((i) => i.peer.device))];
        return leafs.reduce((n, l) => n + cablesTo(l), 0);
    }
    throw new Error(`${target} is a ${t.role}`);
}

/** Ping every target from a node, sourced from its loopback; returns the targets that did not answer. */
export async function pingFrom(
    node: string,
    src: string,
    targets: string[],
    loc: LabLocationOptions = {},
): Promise<string[]> {
    const script = `fail=""; for t in ${targets.map(sq).join(" ")}; do ping -n -q -c 1 -W 2 -I ${sq(src)} "$t" >/dev/null 2>&1 || fail="$fail $t"; done; echo "$fail"`;
    const out = ok(
        await labExec(node, ["bash", "-c", script], { ...loc, timeoutMs: 60_000 }),
        `${node}: ping`,
    );
    return out.trim().split(/\s+/).filter(Boolean);
}

/** Every node pings every other node's loopback; returns `from -> to` for each failure. */
export async function nodeMesh(loc: LabLocationOptions = {}): Promise<string[]> {
    const { plan } = labInfo(loc);
    const nodes = plan.devices.filter((d) => d.role === "node");
    const failures = await Promise.all(
        nodes.map(async (n) => {
            const targets = nodes.filter((m) => m !== n).map((m) => m.loopback);
            return (await pingFrom(n.name, n.loopback, targets, loc)).map(
                (t) => `${n.name} -> ${t}`,
            );
        }),
    );
    return failures.flat();
}

/** Open a TCP connection from a device to VIP:port and return what the responder said (its node's name). */
export async function tcpProbe(
    from: string,
    vip: string,
    port = VIP_PORT,
    loc: LabLocationOptions = {},
): Promise<string> {
    const script = `exec 3<>/dev/tcp/${vip}/${port} && timeout 3 cat <&3`;
    const r = await labExec(from, ["timeout", "5", "bash", "-c", script], {
        ...loc,
        timeoutMs: 10_000,
    });
    return ok(r, `${from}: TCP to ${vip}:${port}`).trim();
}

/** Carrier down (`ip link set down`: the far end sees it at once) or silent (blackhole qdisc: the link stays up). */
export type FailureMode = "down" | "silent";

export interface LinkEnd {
    device: string;
    port: string;
}

/** The far end of a port, from the plan. */
export function peerOf(plan: FabricPlan, end: LinkEnd): LinkEnd {
    const i = device(plan, end.device).interfaces.find((x) => x.name === end.port);
    if (!i) throw new Error(`${end.device} has no port ${end.port}`);
    return { device: i.peer.device, port: i.peer.port };
}

function failCmd(mode: FailureMode, port: string): string[] {
    return mode === "down"
        ? ["ip", "link", "set", port, "down"]
        : ["tc", "qdisc", "replace", "dev", port, "root", "blackhole"];
}

/** Break a cable: `down` on one end; `silent` drops everything both ways while both ends stay up. */
export async function failLink(
    end: LinkEnd,
    mode: FailureMode,
    loc: LabLocationOptions = {},
): Promise<void> {
    const { plan } = labInfo(loc);
    ok(await labExec(end.device, failCmd(mode, end.port), loc), `${end.device}: fail ${end.port}`);
    if (mode === "silent") {
        const far = peerOf(plan, end);
        ok(
            await labExec(far.device, failCmd(mode, far.port), loc),
            `${far.device}: fail ${far.port}`,
        );
    }
}

/** Undo failLink (either mode). */
export async function restoreLink(end: LinkEnd, loc: LabLocationOptions = {}): Promise<void> {
    const { plan } = labInfo(loc);
    for (const e of [end, peerOf(plan, end)]) {
        await labExec(e.device, ["tc", "qdisc", "del", "dev", e.port, "root"], loc); // absent qdisc: harmless error
        ok(
            await labExec(e.device, ["ip", "link", "set", e.port, "up"], loc),
            `${e.device}: ${e.port} up`,
        );
    }
}

/**
 * Failover time: break a cable and measure, on `observer`, how long until the
 * kernel route to `prefix` no longer goes out of `observerPort`. One script in
 * the observer's namespaces injects the failure on both ends (the far end
 * through nsenter into its holder) and then polls the FIB every `pollMs`.
 */
export async function measureWithdrawal(
    end: LinkEnd,
    mode: FailureMode,
    observer: { device: string; port: string; prefix: string },
    loc: LabLocationOptions & { pollMs?: number; timeoutMs?: number } = {},
): Promise<number> {
    const { plan, st } = labInfo(loc);
    const far = peerOf(plan, end);
    const holder = (d: string) => {
        const h = st.devices[d]?.holder;
        if (!h) throw new Error(`${d} is not in the lab`);
        return h.pid;
    };
    const inject = (e: LinkEnd) =>
        `nsenter --target ${holder(e.device)} --net -- ${failCmd(mode, e.port).map(sq).join(" ")}`;
    const poll = (loc.pollMs ?? 10) / 1000;
    const timeout = Math.ceil((loc.timeoutMs ?? 20_000) / 1000);
    const script = [
        "set -e",
        `uses() { ip -4 route show exact ${sq(observer.prefix)} | grep -qw ${sq(observer.port)}; }`,
        `uses || { echo "no route to ${observer.prefix} via ${observer.port} before the failure" >&2; exit 3; }`,
        "t0=$(date +%s%N)",
        inject(end),
        ...(mode === "silent" ? [inject(far)] : []),
        `deadline=$(( $(date +%s) + ${timeout} ))`,
        `while uses; do [ $(date +%s) -lt $deadline ] || { echo timeout >&2; exit 4; }; sleep ${poll}; done`,
        "t1=$(date +%s%N)",
        "echo $(( (t1 - t0) / 1000 ))",
    ].join("\n");
    const r = await labExec(observer.device, ["bash", "-c", script], {
        ...loc,
        timeoutMs: (timeout + 10) * 1000,
    });
    const out = ok(r, `${observer.device}: failover measurement`);
    return Number(out.trim()) / 1000;
}
