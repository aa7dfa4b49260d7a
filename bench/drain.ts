// Maintenance / drain on the dev lab (root only): a leaf is drained
// (`maintenance: true`, pushed with the safe-apply script, render/drain.ts),
// worked on (its fabric and server links set down inside its namespace, then
// up), and undrained, while a TCP stream runs from the external router to a
// VIP. Printed: the drain time (push start → no spine has a best or
// multipath path through the leaf where another path exists), the push time,
// and what the stream lost (messages and bytes not echoed back, the longest
// gap between echoes, a reset).
//
// The stream: every node runs an echo server on VIP:STREAM_PORT (each node
// holds every VIP, lab/nodes.ts); border1 sends a 64-byte numbered message
// every 5 ms and checks the echoes come back in order. Its leaf and source
// port are picked by a rehearsal (drainWithStream): hash-threshold ECMP
// may move an anycast VIP flow to another node when a leaf leaves the set.
//
//   BENCH_ONLY=drain npm run bench
//   npx ts-node --transpile-only bench/drain.ts   (this file alone)
//
// runDrainScenario is what test/lab/drain.test.ts asserts on.

import { ChildProcess, spawn } from "child_process";
import * as readline from "readline";
import { labApply, labDown, labExec, labInfo, labUp } from "../lab";
import { LabLocationOptions } from "../lab/env";
import { BIN } from "../lab/env";
import { nsenterArgs } from "../lab/exec";
import { planVips } from "../lab/nodes";
import { processLocation, sweepStale } from "../lab/teardown";
import { FabricPlan, PlannedDevice } from "../plan";
import { drainWait } from "../render/drain";
import { fmt } from "./measure";

export const STREAM_PORT = 9079;

/** The plan with `maintenance` set on one device (what a stack edit gives). */
export function withMaintenance(plan: FabricPlan, device: string, on: boolean): FabricPlan {
    return {
        ...plan,
        devices: plan.devices.map((d) => {
            if (d.name !== device) return d;
            const { maintenance: _, ...rest } = d;
            return on ? { ...rest, maintenance: true } : rest;
        }),
    };
}

const ECHO_PY = `
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
while True:
    c, _ = s.accept()
    if os.fork() == 0:
        c.sendall(os.uname().nodename.encode().ljust(32))
        while True:
            b = c.recv(65536)
            if not b:
                break
            c.sendall(b)
        os._exit(0)
    c.close()
`;

const CLIENT_PY = `
import json, os, select, socket, struct, sys, time
vip, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = socket.create_connection((vip, port), timeout=5, source_address=("", sport))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
hello = b""
while len(hello) < 32:
    hello += c.recv(32 - len(hello))
node = hello.decode().strip()
print(json.dumps({"connected": node}), flush=True)
c.setblocking(False)
sent = echoed = 0
buf = b""
gap = 0.0
err = None
last = t0 = nxt = time.time()
stop = False
try:
    while True:
        now = time.time()
        if not stop and select.select([sys.stdin], [], [], 0)[0]:
            if sys.stdin.readline().startswith("status"):
                print(json.dumps({"alive": True, "echoed": echoed}), flush=True)
            else:
                stop = True
                deadline = now + 5
        if stop and (echoed >= sent or now > deadline):
            break
        if not stop and now >= nxt:
            c.send(struct.pack("!Q", sent) * 8)
            sent += 1
            nxt = now + 0.005
        if select.select([c], [], [], 0.002)[0]:
            b = c.recv(65536)
            if not b:
                raise ConnectionError("closed by the far end")
            buf += b
            while len(buf) >= 64:
                seq = struct.unpack("!Q", buf[:8])[0]
                if seq != echoed:
                    raise ConnectionError("echo %d where %d was due" % (seq, echoed))
                echoed += 1
                buf = buf[64:]
                t = time.time()
                gap = max(gap, t - last)
                last = t
except Exception as e:
    err = repr(e)
print(json.dumps({"node": node, "sent": sent, "echoed": echoed, "maxGapMs": round(gap * 1000), "seconds": round(time.time() - t0, 1), "error": err}), flush=True)
`;

export interface StreamResult {
    /** The node whose echo server the stream reached. */
    node: string;
    sent: number;
    echoed: number;
    lostMessages: number;
    lostBytes: number;
    maxGapMs: number;
    seconds: number;
    error: string | null;
}

function inLab(loc: LabLocationOptions, device: string, argv: string[]): ChildProcess {
    const holder = labInfo(loc).st.devices[device]?.holder?.pid;
    if (!holder) throw new Error(`${device} is not in the lab`);
    return spawn(BIN.nsenter, [...nsenterArgs(holder), ...argv], {
        stdio: ["pipe", "pipe", "pipe"],
    });
}

export interface Stream {
    node: string;
    sport: number;
    /** Still echoing (a status request answered); false once it broke. */
    alive: () => Promise<boolean>;
    stop: () => Promise<StreamResult>;
}

/** A stream from `from` to VIP:STREAM_PORT, with an echo server on every node. */
export async function startStream(
    loc: LabLocationOptions,
    from: string,
    vip: string,
    sport: number,
): Promise<Stream> {
    const { plan } = labInfo(loc);
    const servers = plan.devices
        .filter((d) => d.role === "node")
        .map((d) => inLab(loc, d.name, ["python3", "-c", ECHO_PY, vip, String(STREAM_PORT)]));
    const killAll = () => {
        for (const s of servers) if (s.pid && s.exitCode === null && !s.killed) s.kill("SIGTERM");
    };
    try {
        await new Promise((r) => setTimeout(r, 500));
        const client = inLab(loc, from, [
            "python3",
            "-c",
            CLIENT_PY,
            vip,
            String(STREAM_PORT),
            String(sport),
        ]);
        let stderr = "";
        client.stderr!.on("data", (b) => (stderr += String(b)));
        const lines = readline.createInterface({ input: client.stdout! });
        const it = lines[Symbol.asyncIterator]();
        const first = await it.next();
        if (first.done) throw new Error(`the stream did not connect: ${stderr.trim()}`);
        const node = (JSON.parse(first.value) as { connected: string }).connected;
        let final: string | undefined;
        const alive = async (): Promise<boolean> => {
            if (final) return false;
            client.stdin!.write("status\n");
            const l = await it.next();
            if (l.done) return false;
            if (/"alive": true/.test(l.value)) return true;
            final = l.value;
            return false;
        };
        const stop = async (): Promise<StreamResult> => {
            let line = final;
            if (!line) {
                client.stdin!.end("stop\n");
                const last = await it.next();
                line = last.done ? undefined : last.value;
            }
            killAll();
            if (!line) throw new Error(`the stream client died: ${stderr.trim()}`);
            const r = JSON.parse(line) as Omit<StreamResult, "lostMessages" | "lostBytes">;
            const lost = r.sent - r.echoed;
            return { ...r, lostMessages: lost, lostBytes: 64 * lost };
        };
        return { stop, alive, node, sport };
    } catch (e) {
        killAll();
        throw e;
    }
}

/**
 * The drain wait (render/drain.ts) run in the device with the apply script's
 * helpers, for as long as render/device.ts does not pass it to the apply
 * script itself (the apply output then already says so and this is skipped).
 */
export async function runDrainWait(
    loc: LabLocationOptions,
    plan: FabricPlan,
    device: string,
    timeoutSeconds: number,
): Promise<{ code: number; output: string }> {
    const body = drainWait(plan, device);
    if (!body) throw new Error(`${device} is not drained in this plan`);
    const script = [
        `DEVICE=${device}; PYTHON=python3; TIMEOUT=${timeoutSeconds}; POLL_INTERVAL=1`,
        'say() { printf \'%s: %s\\n\' "$DEVICE" "$*"; }',
        'run_vtysh() { vtysh "$@" </dev/null; }',
        "after_converge() {",
        body,
        "}",
        "after_converge",
    ].join("\n");
    const r = await labExec(device, ["bash", "-c", script], {
        ...loc,
        timeoutMs: (timeoutSeconds + 30) * 1000,
    });
    return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

interface BgpPath {
    peerId?: string;
    bestpath?: boolean;
    multipath?: boolean;
    path?: string;
    locPrf?: number;
}

/** Per spine: prefixes with a path around `device` whose best or multipath still goes through it, and how many prefixes have such an alternative. */
export async function spinesThrough(
    loc: LabLocationOptions,
    plan: FabricPlan,
    device: string,
): Promise<Record<string, { through: string[]; withAlternative: number; prefixes: number }>> {
    const spines = plan.devices.filter((d) => d.role === "spine");
    const out: Record<string, { through: string[]; withAlternative: number; prefixes: number }> =
        {};
    await Promise.all(
        spines.map(async (s) => {
            const show = async (cmd: string) => {
                const r = await labExec(s.name, ["vtysh", "-c", cmd], loc);
                if (r.code !== 0) throw new Error(`${s.name}: ${cmd}: ${r.stderr}`);
                return JSON.parse(r.stdout) as Record<string, unknown>;
            };
            const nbrs = (await show("show bgp vrf default neighbors json")) as Record<
                string,
                { bgpNeighborAddr?: string }
            >;
            const routes = (await show("show bgp vrf default ipv4 unicast json")).routes as Record<
                string,
                BgpPath[]
            >;
            // The peer addresses of the sessions with `device` (the interface's link-local, unnumbered).
            const keys = new Set(
                s.neighbors
                    .filter((n) => n.device === device)
                    .flatMap((n) => {
                        const k = n.interface && !n.address ? n.interface : n.address!;
                        return [k, nbrs[k]?.bgpNeighborAddr].filter((x): x is string => !!x);
                    }),
            );
            const through: string[] = [];
            let withAlternative = 0;
            for (const [prefix, paths] of Object.entries(routes)) {
                const via = paths.filter((p) => keys.has(p.peerId ?? ""));
                if (!via.length || via.length === paths.length) continue;
                withAlternative++;
                if (via.some((p) => p.bestpath || p.multipath)) through.push(prefix);
            }
            out[s.name] = {
                through: through.sort(),
                withAlternative,
                prefixes: Object.keys(routes).length,
            };
        }),
    );
    return out;
}

export interface DrainResult {
    device: string;
    stream: StreamResult;
    vip: string;
    /** Push start → no spine prefers the device where it has another path (ms). */
    drainMs: number;
    drainPushMs: number;
    undrainPushMs: number;
    drainOutput: string;
    waitOutput: string;
    undrainOutput: string;
    /** Spines right after the drain push (and wait) returned. */
    drained: Awaited<ReturnType<typeof spinesThrough>>;
    /** Before the drain, and after the undrain (the device carries traffic again). */
    before: Awaited<ReturnType<typeof spinesThrough>>;
    after: Awaited<ReturnType<typeof spinesThrough>>;
    /** The ports set down for the work. */
    workPorts: string[];
    /** The drained device's running config: its `bgp graceful-shutdown` line (undefined: none). */
    gshutLine?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Drain a leaf with a stream running whose flow the drain does not move. Draining a leaf takes it
 * out of the spines' ECMP set for the VIP and Linux' hash-threshold multipath may then move a
 * flow to another next hop, landing it on another node (a reset). So, with the stream running,
 * each candidate leaf (not cabled to the stream's node) is first drained by hand (the community
 * set with vtysh, then taken off again); the first leaf the stream survives is drained for real,
 * with the same stream (same 5-tuple, same next hops as in the rehearsal). A stream that breaks
 * in a rehearsal is replaced by a new one (another source port).
 */
export async function drainWithStream(
    loc: LabLocationOptions,
    plan: FabricPlan,
    log: (s: string) => void,
    attempts = 6,
): Promise<DrainResult> {
    const vip = planVips(plan)[0];
    for (let a = 0; a < attempts; a++) {
        const sport = 41000 + ((process.pid * 16 + a) % 20000);
        const stream = await startStream(loc, "border1", vip, sport);
        const node = plan.devices.find((d) => d.name === stream.node)!;
        log(`stream from border1 (sport ${sport}) to ${vip}:${STREAM_PORT} reached ${node.name}`);
        let chosen: string | undefined;
        for (const leaf of plan.devices.filter(
            (d) => d.role === "leaf" && !node.interfaces.some((i) => i.peer.device === d.name),
        )) {
            await setGshut(loc, leaf, true);
            let survived: boolean;
            try {
                await untilSpines(loc, plan, leaf.name, false);
                await sleep(1000);
                survived = await stream.alive();
            } finally {
                await setGshut(loc, leaf, false);
                await untilSpines(loc, plan, leaf.name, true);
            }
            await sleep(1000);
            survived &&= await stream.alive();
            log(
                `rehearsal: ${leaf.name} drained by hand: the stream ${survived ? "survived" : "broke"}`,
            );
            if (survived) chosen = leaf.name;
            if (chosen || !(await stream.alive())) break;
        }
        if (chosen) return runDrainScenario(loc, chosen, { stream, log });
        await stream.stop().catch(() => undefined);
    }
    throw new Error(`no stream survived a rehearsal drain in ${attempts} attempts`);
}

async function setGshut(loc: LabLocationOptions, leaf: PlannedDevice, on: boolean): Promise<void> {
    const cmd = `${on ? "" : "no "}bgp graceful-shutdown`;
    const r = await labExec(
        leaf.name,
        ["vtysh", "-c", "conf t", "-c", `router bgp ${leaf.asn}`, "-c", cmd],
        loc,
    );
    if (r.code !== 0) throw new Error(`${leaf.name}: ${cmd}: ${r.stderr || r.stdout}`);
}

async function untilSpines(
    loc: LabLocationOptions,
    plan: FabricPlan,
    leaf: string,
    through: boolean,
): Promise<void> {
    for (let i = 0; i < 100; i++) {
        const s = Object.values(await spinesThrough(loc, plan, leaf));
        if (through ? s.some((x) => x.through.length) : s.every((x) => !x.through.length)) return;
        await sleep(200);
    }
    throw new Error(`the spines did not ${through ? "take" : "leave"} ${leaf} within 20 s`);
}

/**
 * Drain a leaf (`device`, or the one `device` picks once the stream's node is known), work on it
 * (its links down, then up), undrain it, with a stream from border1 to the first VIP running.
 */
export async function runDrainScenario(
    loc: LabLocationOptions,
    device: string | ((streamNode: string) => string),
    opts: { workMs?: number; sport?: number; stream?: Stream; log?: (s: string) => void } = {},
): Promise<DrainResult> {
    const log = opts.log ?? (() => undefined);
    const base = labInfo(loc).plan;
    const vip = planVips(base)[0];
    const stream =
        opts.stream ??
        (await startStream(loc, "border1", vip, opts.sport ?? 40000 + (process.pid % 20000)));
    log(`stream from border1 to ${vip}:${STREAM_PORT} reached ${stream.node}`);
    let result: StreamResult | undefined;
    try {
        const name = typeof device === "string" ? device : device(stream.node);
        return await drainWork(loc, base, name, stream, opts, log, (r) => (result = r));
    } finally {
        if (!result) await stream.stop().catch(() => undefined);
    }
}

async function drainWork(
    loc: LabLocationOptions,
    base: FabricPlan,
    device: string,
    stream: Stream,
    opts: { workMs?: number },
    log: (s: string) => void,
    stopped: (r: StreamResult) => void,
): Promise<DrainResult> {
    const leaf = base.devices.find((d) => d.name === device) as PlannedDevice;
    const vip = planVips(base)[0];
    const drained = withMaintenance(base, device, true);
    const undrained = withMaintenance(base, device, false);
    const timeout = base.apply.convergeTimeout;
    const before = await spinesThrough(loc, base, device);
    log(`draining ${device}`);
    // Drain: push, and meanwhile watch the spines.
    const t0 = Date.now();
    let drainMs = -1;
    let pushing = true;
    const watch = (async () => {
        while (pushing || drainMs < 0) {
            const s = await spinesThrough(loc, base, device);
            if (Object.values(s).every((x) => x.through.length === 0)) {
                drainMs = Date.now() - t0;
                return;
            }
            if (Date.now() - t0 > (timeout + 30) * 1000) return;
            await sleep(100);
        }
    })();
    const [push] = await labApply({ ...loc, plan: drained, devices: [device] });
    const drainPushMs = Date.now() - t0;
    if (!push.ok) throw new Error(push.error);
    let waitOutput = "(run by the apply script)";
    if (!/maintenance: its neighbours route around it/.test(push.output)) {
        const w = await runDrainWait(loc, drained, device, timeout);
        waitOutput = w.output;
        if (w.code !== 0) throw new Error(`the drain wait failed: ${w.output}`);
    }
    const drainedNow = await spinesThrough(loc, base, device);
    const running = (await labExec(device, ["vtysh", "-c", "show running-config"], loc)).stdout;
    const gshutLine = running.split("\n").find((l) => /^ bgp graceful-shutdown$/.test(l));
    pushing = false;
    await watch;
    log(`drained in ${drainMs} ms (push ${drainPushMs} ms)`);

    // Work: the drained leaf's fabric and server links down inside its namespace, then up.
    const workPorts = leaf.interfaces
        .filter((i) => i.kind === "fabric" || i.kind === "server")
        .map((i) => i.name);
    for (const p of workPorts) await labExec(device, ["ip", "link", "set", p, "down"], loc);
    log(`work: ${workPorts.join(" ")} down on ${device}`);
    await sleep(opts.workMs ?? 5000);
    for (const p of workPorts) await labExec(device, ["ip", "link", "set", p, "up"], loc);
    log(`work done: ${workPorts.join(" ")} up`);

    // Undrain: the push waits for every session to be Established again.
    const t1 = Date.now();
    const [back] = await labApply({ ...loc, plan: undrained, devices: [device] });
    const undrainPushMs = Date.now() - t1;
    if (!back.ok) throw new Error(back.error);
    await sleep(2000);
    const after = await spinesThrough(loc, base, device);
    const result = await stream.stop();
    stopped(result);
    return {
        device,
        gshutLine,
        stream: result,
        vip,
        drainMs,
        drainPushMs,
        undrainPushMs,
        drainOutput: push.output.trim(),
        waitOutput,
        undrainOutput: back.output.trim(),
        drained: drainedNow,
        before,
        after,
        workPorts,
    };
}

/** Print a DrainResult the way the bench and the test show it. */
export function formatDrain(r: DrainResult): string {
    const spines = (s: DrainResult["drained"]) =>
        Object.entries(s)
            .map(
                ([n, x]) =>
                    `${n}: ${x.withAlternative} prefixes with a path around ${r.device}, ${x.through.length} still through it${x.through.length ? ` (${x.through.slice(0, 4).join(", ")})` : ""}`,
            )
            .join("; ");
    const st = r.stream;
    return [
        `drain ${r.device}: ${fmt(r.drainMs)} until no spine prefers it (push ${fmt(r.drainPushMs)}); undrain push ${fmt(r.undrainPushMs)}`,
        `spines before: ${spines(r.before)}`,
        `spines drained: ${spines(r.drained)}`,
        `spines after undrain: ${spines(r.after)}`,
        `stream border1 -> ${r.vip}:${STREAM_PORT} (${st.node}) over ${st.seconds} s: ${st.sent} messages sent, ${st.echoed} echoed, lost ${st.lostMessages} messages / ${st.lostBytes} bytes, longest gap ${st.maxGapMs} ms, error ${st.error ?? "none"}`,
    ].join("\n");
}

/** BENCH_ONLY=drain: a dev lab of its own (prefix dr), the scenario on leaf1, torn down. */
export async function benchDrain(): Promise<void> {
    const loc = processLocation("dr");
    await sweepStale("dr");
    try {
        await labUp({ ...loc, stack: "dev", apply: true, replace: true, wait: 90_000 });
        const r = await drainWithStream(loc, labInfo(loc).plan, (s) => console.log(`  ${s}`));
        console.log(formatDrain(r).replace(/^/gm, "drain: "));
    } finally {
        await labDown(loc);
    }
}

if (require.main === module) {
    benchDrain().catch((e) => {
        console.error(String(e));
        process.exit(1);
    });
}
