// The emulated fabric (DESIGN.md, "The emulated fabric (lab)"): programmatic
// API for the CLI (cli/lab.ts), the tests, the benchmarks and the Pulumi
// integration.
//
//   labUp(opts)            bring the lab up from a stack's plan
//   labDown(opts)          end every lab process, remove every lab namespace
//   labStatus(opts)        sessions Established / expected per device
//   labExec(device, argv)  run a command inside a device's namespaces
//   waitEstablished(ms)    wait until every planned session is Established
//   labSshConfig(opts)     what a Pulumi SSH connection to each device needs
//   labApply(opts)         push configs again to a running lab (the --apply path), per-device outcomes

import * as fs from "fs";
import * as path from "path";
import { FabricPlan, PlannedDevice, planFabric, readStackFile } from "../plan";
import { birdInstance, externalRouterConfig, speakerConfig, startBird } from "./bird";
import { RenderedDevice, renderLabConfigs } from "./configs";
import {
    BIN,
    LabLocation,
    LabLocationOptions,
    deviceDir,
    labLocation,
    mgmtNsName,
    nsName,
} from "./env";
import { RunOptions, RunResult, inDevice, pool, run, setGuard, sleep } from "./exec";
import { emptyFrrConfig, startFrr, writeFrrFiles } from "./frr";
import { planVips, programNode, startResponders } from "./nodes";
import { labPlanOf } from "./lab-plan";
import { addNodeStandIns, buildRackBridges, startRackRouters } from "./rack";
import {
    addNamespace,
    attachMgmt,
    configureDeviceLinks,
    createCable,
    createMgmtBridge,
    listLabNamespaces,
    planCables,
    planMgmt,
    prepareDeviceDir,
    startHolder,
} from "./netns";
import { SshConfigInfo, generateKeys, sshConfigInfo, sshRun, startSshd } from "./sshd";
import { LabProcess, LabState, planPath, readLabPlan, readState, writeState } from "./state";
import { DeviceStatus, collectStatus, waitAllEstablished } from "./status";
import { DownReport, teardown } from "./teardown";
import { PushOutcome, applyOverSsh, pushInWaves } from "./apply";
import { DaemonSetReport, routerDaemonSetRendered, runRouterDaemonSet } from "./daemonset";
import { readHostKeys } from "./sshd";

export { LabLocation, labLocation } from "./env";
export { DeviceStatus, formatStatus, missingSessions } from "./status";
export { SshConfigInfo, sshConfigText } from "./sshd";
export { LabState } from "./state";
export { podBlock, planVips } from "./nodes";
export { VIP_PORT } from "./env";
export { RenderedDevice } from "./configs";
export { PushOutcome } from "./apply";
export { DaemonSetReport, daemonSetConfigDir, readRouterConfigMaps } from "./daemonset";

/** Port the MetalLB speaker stand-in's BIRD listens on (127.0.0.2 only; BIRD cannot listen on none). */
export const SPEAKER_LISTEN_PORT = 1790;

export interface LabUpOptions extends LabLocationOptions {
    /** Stack name (Pulumi.<stack>.yaml), default dev. */
    stack?: string;
    /** Or a config file. */
    config?: string;
    /** Or a ready plan (benchmarks use a variant of the dev plan). */
    plan?: FabricPlan;
    /** Push the configs over SSH with the device-apply script instead of writing them before FRR starts. */
    apply?: boolean;
    /**
     * Ready for the Pulumi engine (`lab up --empty`): every switch and node router starts with an
     * empty FRR config, no host setup runs, nothing is pushed. `pulumi up` configures the switches
     * and nodes over SSH, and the lab plays the router DaemonSet (runRouterDaemonSet).
     */
    empty?: boolean;
    /** Tear down a lab that is already up (same prefix/dir) instead of refusing. */
    replace?: boolean;
    /**
     * Wait for every planned session to be Established: true (60 s) or a timeout in ms. A timeout
     * throws but leaves the lab up (see labStatus); any other failure tears the half-built lab down.
     */
    wait?: boolean | number;
    /** Change a device's rendered configs before they are used (experiments; the tests never do). */
    transformConfig?: (device: PlannedDevice, rendered: RenderedDevice) => RenderedDevice;
    /** Leave a half-built lab in place when up fails (for debugging; default: tear it down). */
    keepOnFailure?: boolean;
    log?: (line: string) => void;
}

export interface LabUpResult {
    loc: LabLocation;
    plan: FabricPlan;
    state: LabState;
    /** Milliseconds per phase; `total` from start to lab up; `established` when waited for. */
    timings: Record<string, number>;
}

function requireRoot(): void {
    if (typeof process.getuid !== "function" || process.getuid() !== 0)
        throw new Error("the lab needs root (network namespaces, mounts)");
}

function requireBinaries(): void {
    const missing = [
        `${BIN.frrDir}/zebra`,
        `${BIN.frrDir}/bgpd`,
        `${BIN.frrDir}/bfdd`,
        `${BIN.frrDir}/staticd`,
        BIN.bird,
        BIN.birdc,
        BIN.sshd,
    ].filter((f) => !fs.existsSync(f));
    if (missing.length)
        throw new Error(`missing ${missing.join(", ")}: run scripts/install-system-deps.sh`);
}

export function loadPlan(opts: { stack?: string; config?: string; plan?: FabricPlan }): {
    plan: FabricPlan;
    stack?: string;
    configFile?: string;
} {
    if (opts.plan) return { plan: opts.plan, stack: opts.stack };
    const { file, config } = readStackFile({ stack: opts.stack, config: opts.config });
    return {
        plan: planFabric(config),
        stack: opts.config ? undefined : (opts.stack ?? "dev"),
        configFile: file,
    };
}

/** Is a lab (state or namespaces) present at this location? */
export async function labExists(opts: LabLocationOptions = {}): Promise<boolean> {
    const loc = labLocation(opts);
    setGuard(loc);
    return (
        fs.existsSync(planPath(loc)) ||
        readState(loc) !== undefined ||
        (await listLabNamespaces(loc)).length > 0
    );
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabUpResult> {
    requireRoot();
    requireBinaries();
    const loc = labLocation(opts);
    setGuard(loc);
    const log = opts.log ?? (() => undefined);
    const t0 = Date.now();
    const timings: Record<string, number> = {};
    const mark = (name: string, since: number) => (timings[name] = Date.now() - since);

    if (await labExists(loc)) {
        if (!opts.replace) {
            throw new Error(
                `a lab is already up here (namespaces ${loc.prefix}*, directory ${loc.dir}); run 'npm run lab -- down' first, or 'up --replace'`,
            );
        }
        log("tearing down the existing lab");
        await teardown(loc, log);
    }

    // Everything that can fail without touching the machine comes first.
    const { plan: planned, stack, configFile } = loadPlan(opts);
    // The lab's copy: vendor port names as Linux names, bonds only where the kernel can (lab/lab-plan.ts).
    const { plan, notes } = labPlanOf(planned);
    if (notes.unbonded.length)
        log(
            `bonds of ${notes.unbonded.join(", ")} not built: ${notes.bondWhy}; their uplinks stay unbonded in the lab`,
        );
    const configs = renderLabConfigs(plan);
    if (opts.transformConfig) {
        for (const d of plan.devices)
            if (configs.devices[d.name])
                configs.devices[d.name] = opts.transformConfig(d, configs.devices[d.name]);
        configs.source += " (transformed)";
    }
    const mgmt = planMgmt(loc, plan);
    const cables = planCables(plan);
    const sshDevices = plan.devices.filter((d) => d.role !== "external" && d.mgmt);
    log(
        `plan '${plan.name}': ${plan.devices.length} devices, ${cables.length} cables, ${plan.sessions.length} sessions; configs from ${configs.source}`,
    );

    fs.mkdirSync(loc.dir, { recursive: true, mode: 0o755 });
    fs.writeFileSync(planPath(loc), JSON.stringify(plan, null, 1) + "\n");
    const st: LabState = {
        version: 1,
        prefix: loc.prefix,
        dir: loc.dir,
        phase: "starting",
        createdAt: new Date().toISOString(),
        owner: process.pid,
        ...(stack ? { stack } : {}),
        ...(configFile ? { configFile } : {}),
        mode: opts.empty ? "empty" : opts.apply ? "apply" : "fast",
        configSource: configs.source,
        mgmt,
        namespaces: [],
        devices: {},
        processes: [],
        timings,
    };
    writeState(loc, st);
    const record = (p: LabProcess | LabProcess[]) => {
        st.processes.push(...(Array.isArray(p) ? p : [p]));
    };
    const holder = (name: string) => st.devices[name].holder!.pid;

    try {
        // 1. Namespaces, per-device directories, holders; keys meanwhile.
        let t = Date.now();
        for (const d of plan.devices) prepareDeviceDir(loc, d.name);
        const keys = generateKeys(loc, plan, sshDevices);
        keys.catch(() => undefined); // awaited below; a failure before that must not go unhandled
        for (const ns of [mgmt.ns, ...plan.devices.map((d) => nsName(loc, d.name))]) {
            st.namespaces.push(ns);
            writeState(loc, st);
            await addNamespace(ns);
        }
        await pool(plan.devices, 8, async (d) => {
            const ns = nsName(loc, d.name);
            st.devices[d.name] = { name: d.name, ns, role: d.role };
            const h = await startHolder(loc, d.name, ns);
            st.devices[d.name].holder = h;
            record(h);
        });
        writeState(loc, st);
        await keys;
        mark("namespaces", t);

        // 2. Cables, management bridge, addresses.
        t = Date.now();
        await pool(cables, 8, (c) => createCable(loc, c));
        await createMgmtBridge(mgmt);
        await pool(
            plan.devices.map((d, i) => ({ d, i })).filter(({ d }) => d.mgmt),
            8,
            ({ d, i }) => attachMgmt(loc, mgmt, d, i),
        );
        // A node's loopback is its host setup script's job (run below, or over SSH with --apply).
        const hasSetup = (d: PlannedDevice) => !!configs.devices[d.name]?.setup;
        await pool(plan.devices, 8, (d) =>
            configureDeviceLinks(holder(d.name), d, d.mgmt ? mgmt : undefined, !hasSetup(d)),
        );
        await buildRackBridges(plan, holder); // calico-bgp, metallb-bgp: the leafs' rack bridges (lab/rack.ts)
        const nodes = plan.devices.filter((d) => d.role === "node");
        await pool(nodes, 8, (d) => programNode(holder(d.name), plan, d, nodes.indexOf(d)));
        if (!opts.apply && !opts.empty) {
            await pool(nodes.filter(hasSetup), 4, async (d) => {
                const r = await inDevice(holder(d.name), ["bash", "-s"], {
                    input: configs.devices[d.name].setup,
                    check: false,
                    timeoutMs: 30_000,
                });
                if (r.code !== 0)
                    throw new Error(
                        `${d.name}: host setup script failed (exit ${r.code}):\n${(r.stderr + r.stdout).trim()}`,
                    );
            });
        }
        mark("links", t);

        // 3. FRR and sshd in every switch and node.
        t = Date.now();
        // Every switch, and every node with a router (none in calico-bgp mode: Calico's BIRD would peer there).
        // calico-bgp, metallb-bgp: each node's BGP stand-in, generated from the rendered Calico / MetalLB objects (lab/rack.ts).
        if (!opts.apply && !opts.empty) await addNodeStandIns(plan, configs, holder);
        const frrDevices = plan.devices.filter((d) => configs.devices[d.name]?.frr);
        for (const d of frrDevices)
            writeFrrFiles(
                loc,
                d.name,
                opts.apply || opts.empty ? emptyFrrConfig(d.name) : configs.devices[d.name].frr!,
            );
        await pool(frrDevices, 4, async (d) => {
            try {
                record(await startFrr(holder(d.name), d.name));
            } catch (e) {
                record((e as { procs?: LabProcess[] }).procs ?? []);
                throw e;
            }
        });
        writeState(loc, st);
        mark("frr", t);
        t = Date.now();
        await pool(sshDevices, 8, async (d) => record(await startSshd(loc, holder(d.name), d)));
        writeState(loc, st);
        mark("sshd", t);

        // 4. External routers and node stand-ins.
        t = Date.now();
        for (const d of plan.devices.filter((x) => x.role === "external")) {
            const inst = birdInstance(loc, d.name, "bird");
            record(
                await startBird(holder(d.name), d.name, inst, externalRouterConfig(plan, d, inst)),
            );
        }
        record(await startRackRouters(loc, plan, holder));
        await pool(nodes, 4, async (d) => {
            // MetalLB's native speaker peers with the node's router; without one (calico-bgp) Calico announces the VIPs.
            if (plan.kubernetes.routing === "router-on-host" && configs.devices[d.name]?.frr) {
                const inst = birdInstance(loc, d.name, "speaker");
                record(
                    await startBird(
                        holder(d.name),
                        d.name,
                        inst,
                        speakerConfig(plan, d, inst, SPEAKER_LISTEN_PORT),
                    ),
                );
            }
            record(await startResponders(loc, holder(d.name), plan, d));
        });
        writeState(loc, st);
        await pool(nodes, 8, (d) => checkResponders(holder(d.name), plan, d));
        mark("externalAndNodes", t);

        // 5. --apply: push every config over SSH with the device-apply script.
        if (opts.apply && !opts.empty) {
            t = Date.now();
            await applyOverSsh(loc, plan, configs, frrDevices, log);
            mark("apply", t);
        }

        st.phase = "up";
        timings.total = Date.now() - t0;
        writeState(loc, st);
        log(
            `lab up in ${timings.total} ms (${st.processes.length} processes, ${st.namespaces.length} namespaces)`,
        );
    } catch (e) {
        st.phase = "failed";
        writeState(loc, st);
        if (!opts.keepOnFailure) {
            log(`lab up failed; tearing down: ${(e as Error).message.split("\n")[0]}`);
            try {
                await teardown(loc, log);
            } catch (e2) {
                log(`teardown after failure failed too: ${(e2 as Error).message}`);
            }
        }
        throw e;
    }
    // The lab is up from here on: sessions that do not come up are a config problem to look at, not a reason to tear down.
    if (opts.wait && !opts.empty) {
        const timeout = typeof opts.wait === "number" ? opts.wait : 60_000;
        await waitAllEstablished(loc, st, plan, timeout, false);
        timings.established = Date.now() - t0;
        writeState(loc, st);
        log(
            `all ${plan.sessions.length} planned sessions Established ${timings.established} ms after start`,
        );
    }
    return { loc, plan, state: st, timings };
}

async function checkResponders(
    holderPid: number,
    plan: FabricPlan,
    d: PlannedDevice,
): Promise<void> {
    const want = planVips(plan).map((v) => `${v}:8080`);
    for (let i = 0; i < 100; i++) {
        const r = await inDevice(holderPid, ["ss", "-Hltn"], { check: false });
        if (want.every((w) => r.stdout.includes(w))) return;
        await sleep(20);
    }
    throw new Error(`${d.name}: the VIP responders are not listening (${want.join(", ")})`);
}

export async function labDown(
    opts: LabLocationOptions & { log?: (s: string) => void } = {},
): Promise<DownReport> {
    requireRoot();
    return teardown(labLocation(opts), opts.log);
}

interface Running {
    loc: LabLocation;
    st: LabState;
    plan: FabricPlan;
}

function running(opts: LabLocationOptions = {}): Running {
    const loc = labLocation(opts);
    setGuard(loc);
    const st = readState(loc);
    if (!st)
        throw new Error(
            `no lab is up at ${loc.dir} (prefix ${loc.prefix}); run 'npm run lab -- up'`,
        );
    return { loc, st, plan: readLabPlan(loc) };
}

export async function labStatus(opts: LabLocationOptions = {}): Promise<DeviceStatus[]> {
    const { loc, st, plan } = running(opts);
    return collectStatus(loc, st, plan);
}

/** Wait until every planned session (and every speaker session) is Established; resolves to the ms waited. */
export async function waitEstablished(
    timeoutMs = 60_000,
    opts: LabLocationOptions & { speakers?: boolean } = {},
): Promise<number> {
    const { loc, st, plan } = running(opts);
    return waitAllEstablished(loc, st, plan, timeoutMs, opts.speakers ?? true);
}

/** Run argv inside a device's namespaces (network, mount, UTS); `mgmt` is the management namespace. */
export async function labExec(
    device: string,
    argv: string[],
    opts: LabLocationOptions & RunOptions = {},
): Promise<RunResult> {
    const { loc, st } = running(opts);
    if (argv.length === 0) throw new Error("labExec: no command");
    const runOpts: RunOptions = {
        check: opts.check ?? false,
        timeoutMs: opts.timeoutMs,
        input: opts.input,
    };
    if (device === "mgmt") return run(BIN.ip, ["netns", "exec", mgmtNsName(loc), ...argv], runOpts);
    const h = st.devices[device]?.holder;
    if (!h)
        throw new Error(
            `no device '${device}' in the lab (devices: ${Object.keys(st.devices).join(", ")}, mgmt)`,
        );
    return inDevice(h.pid, argv, runOpts);
}

/** Run a command on a device over SSH from the management namespace (what the Pulumi engine does). */
export async function labSsh(
    device: string,
    remoteCmd: string,
    opts: LabLocationOptions & RunOptions = {},
): Promise<RunResult> {
    const { loc, plan } = running(opts);
    const d = plan.devices.find((x) => x.name === device);
    if (!d) throw new Error(`no device '${device}' in the lab`);
    return sshRun(loc, d, remoteCmd, {
        check: opts.check ?? false,
        timeoutMs: opts.timeoutMs,
        input: opts.input,
    });
}

export interface LabApplyOptions extends LabLocationOptions {
    /** Devices to push (default: every switch and node that has a rendered config). */
    devices?: string[];
    /**
     * Roll the switches out in the waves of plan/waves.ts (lab/apply.ts pushInWaves): a failed
     * wave stops the rollout, later waves are reported not attempted. Default: true when `devices`
     * is not given; a hand-picked `devices` set is pushed all at once.
     */
    waves?: boolean;
    /** The plan to render from (default: the lab's own), e.g. the same fabric with a shorter apply.convergeTimeout. */
    plan?: FabricPlan;
    /** Change a device's rendered configs before they are pushed (fault tests, BGP passwords). */
    transformConfig?: (device: PlannedDevice, rendered: RenderedDevice) => RenderedDevice;
    log?: (line: string) => void;
}

/**
 * Push configurations to a running lab the way `lab up --apply` does (host setup, then the
 * safe-apply script over SSH from the management namespace). Resolves to one outcome per
 * device; a device's failure is reported in its outcome, never thrown.
 */
export async function labApply(opts: LabApplyOptions = {}): Promise<PushOutcome[]> {
    const r = running(opts);
    const plan = opts.plan ?? r.plan;
    const configs = renderLabConfigs(plan);
    const names =
        opts.devices ?? plan.devices.filter((d) => configs.devices[d.name]?.frr).map((d) => d.name);
    const devices = names.map((n) => {
        const d = plan.devices.find((x) => x.name === n);
        if (!d || !r.st.devices[n]) throw new Error(`no device '${n}' in the lab`);
        return d;
    });
    const config = (d: PlannedDevice) => {
        const c = configs.devices[d.name];
        return c && opts.transformConfig ? opts.transformConfig(d, c) : c;
    };
    return pushInWaves(r.loc, plan, devices, config, {
        waves: opts.waves ?? opts.devices === undefined,
        log: opts.log,
    });
}

export function labSshConfig(opts: LabLocationOptions = {}): SshConfigInfo {
    const { loc, st, plan } = running(opts);
    return sshConfigInfo(loc, st, plan);
}

/** The running lab's plan and state (tests and benchmarks). */
export function labInfo(opts: LabLocationOptions = {}): Running {
    return running(opts);
}

export { deviceDir, nsName };

/** Where `lab stack-config` points the stack's Kubernetes provider (render mode), and where `lab daemonset` reads. */
export function labRenderDirectory(opts: LabLocationOptions = {}): string {
    return path.join(labLocation(opts).dir, "kubernetes");
}

export interface LabStackConfig {
    /** `fabric:key.path` → value, for engineStack's `set` (cli/engine.ts `--set`). */
    set: Record<string, unknown>;
    /** `fabric:key.path` → a file holding the secret (cli/engine.ts `--secret k=@FILE`). */
    secretFiles: Record<string, string>;
    /** The management namespace every engine run must run in. */
    netns: string;
}

/**
 * What a stack needs to drive this lab with `pulumi up`: the lab's SSH private key (a secret),
 * every device's host key pinned (`mgmt.hostKey`, by its position in the stack file), the SSH
 * user the lab accepts, and a render directory for the cluster networking that `lab daemonset`
 * reads. The stack file is the one the lab was brought up from, unless another is given.
 */
export function labStackConfig(
    opts: LabLocationOptions & { configFile?: string } = {},
): LabStackConfig {
    const { loc, st, plan } = running(opts);
    const file = opts.configFile ?? st.configFile;
    if (!file)
        throw new Error("the lab was brought up from a plan, not a stack file: give --config FILE");
    const { config } = readStackFile({ config: file });
    const hostKeys = readHostKeys(loc);
    const set: Record<string, unknown> = {
        "fabric:ssh.user": "root",
        "fabric:kubernetes.renderDirectory": labRenderDirectory(opts),
    };
    for (const key of ["spines", "leafs", "nodes"] as const) {
        ((config[key] ?? []) as { name: string; managed?: boolean }[]).forEach((d, i) => {
            const planned = plan.devices.find((x) => x.name === d.name);
            if (!planned?.managed || !planned.mgmt) return;
            if (!hostKeys[d.name]) throw new Error(`${d.name}: the lab has no host key for it`);
            set[`fabric:${key}[${i}].mgmt.hostKey`] = hostKeys[d.name];
        });
    }
    return {
        set,
        secretFiles: { "fabric:ssh.privateKey": sshConfigInfo(loc, st, plan).privateKeyPath },
        netns: st.mgmt.ns,
    };
}

/**
 * Play the router DaemonSet while `pulumi up` runs, as a cluster does: its pods start once the
 * DaemonSet object exists (here: once `up` has rendered it), not when `up` exits — the node
 * routers come up while the switches still apply. After `up` it is played once more, so a key or
 * shard rendered later reaches its node (a pod starts once; a changed key reloads by its own loop).
 */
export async function labDaemonSetDuring<T>(
    run: Promise<T>,
    succeeded: (result: T) => boolean,
    opts: LabLocationOptions & { log?: (s: string) => void } = {},
): Promise<{ result: T; daemonSet?: DaemonSetReport }> {
    const since = Date.now();
    const dir = labRenderDirectory(opts);
    let done = false;
    const finished = run.finally(() => (done = true));
    const started = new Set<string>();
    while (!done) {
        if (routerDaemonSetRendered(dir, since)) {
            try {
                (await labDaemonSet(opts)).started.forEach((n) => started.add(n));
                break;
            } catch {
                /* caught mid-render (a partly written file): try again */
            }
        }
        await Promise.race([finished.catch(() => undefined), sleep(250)]);
    }
    const result = await finished;
    if (!succeeded(result)) return { result };
    const last = await labDaemonSet(opts);
    last.started.forEach((n) => started.add(n));
    return { result, daemonSet: { ...last, started: [...started] } };
}

/** Play the router DaemonSet from what `pulumi up` rendered (lab/daemonset.ts), once `up` is done. */
export async function labDaemonSet(
    opts: LabLocationOptions & { renderDir?: string; log?: (s: string) => void } = {},
): Promise<DaemonSetReport> {
    const { loc, st, plan } = running(opts);
    return runRouterDaemonSet(loc, st, plan, opts.renderDir ?? labRenderDirectory(opts), opts.log);
}
