// The lab plays the router DaemonSet (render/kubernetes/router-daemonset.ts)
// on the `pulumi up` path, so what the engine deploys is what each node's
// router runs, and nothing else configures node routers:
//
//   ConfigMap   the router ConfigMap(s) `bgp-fabric-router` (+ `-1`, `-2`…
//               shards) are read from the directory the Kubernetes provider
//               rendered them to (`fabric:kubernetes.renderDirectory`), their
//               keys merged the way the DaemonSet's projected volume merges
//               them, and written, each file atomically, to one directory
//               that stands for the pod's `/config` (the kubelet's part).
//   init        per node, the init container's own script (SELECT_CONFIG_SCRIPT)
//               runs inside the node's namespaces with NODE_NAME set: it picks
//               `<node>.conf` and installs it as /etc/frr/frr.conf (plus
//               `daemons`, `vtysh.conf`); the lab's FRR, already running with
//               an empty config, then loads it (frr-reload.py), which is what
//               the FRR container's start does with that file.
//   frr         the FRR container's own loop (RUN_FRR_SCRIPT) then runs in the
//               node as a lab process: a new version of the key is checked
//               with FRR's parser and reloaded, a rejected one is kept out.
//
// The scripts are the DaemonSet's, byte for byte, but for what the lab's
// process model needs: `/config/` is the lab's directory; FRR is already
// running under the lab (no frrinit.sh start/stop/restart, so nothing is
// started that the lab would not know by PID), and the loop lives as long as
// the node's bgpd instead of watchfrr (the lab runs none).

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { FabricPlan } from "../plan";
import {
    RUN_FRR_SCRIPT,
    SELECT_CONFIG_SCRIPT,
    nodeConfigKey,
} from "../render/kubernetes/router-daemonset";
import { BIN, LabLocation, deviceDir } from "./env";
import { bashInDevice, nsenterArgs, pool, sleep, writeFileAtomic } from "./exec";
import { LabProcess, LabState, describeProcess, writeState } from "./state";

/** The router ConfigMap's name, and its shards' (`bgp-fabric-router-1`, …). */
const ROUTER_CONFIGMAP = /^bgp-fabric-router(-\d+)?$/;

/** The directory standing for the DaemonSet pods' `/config` volume. */
export function daemonSetConfigDir(loc: LabLocation): string {
    return path.join(loc.dir, "daemonset", "config");
}

function yamlFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(e.name) ? [p] : [];
    });
}

/** Has `pulumi up` rendered the router DaemonSet under `dir` since `sinceMs` (its pods would start now)? */
export function routerDaemonSetRendered(dir: string, sinceMs: number): boolean {
    return yamlFiles(dir).some((f) => {
        if (fs.statSync(f).mtimeMs < sinceMs) return false;
        const text = fs.readFileSync(f, "utf8");
        return /^kind: DaemonSet$/m.test(text) && /bgp-fabric-router/.test(text);
    });
}

/** The keys of every router ConfigMap rendered under `dir`, merged (the pod's projected volume). */
export function readRouterConfigMaps(dir: string): {
    keys: Record<string, string>;
    configMaps: string[];
} {
    const keys: Record<string, string> = {};
    const configMaps: string[] = [];
    for (const file of yamlFiles(dir).sort()) {
        for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
            const o = doc.toJSON() as {
                kind?: string;
                metadata?: { name?: string };
                data?: Record<string, string>;
            } | null;
            if (!o || o.kind !== "ConfigMap" || !ROUTER_CONFIGMAP.test(o.metadata?.name ?? ""))
                continue;
            configMaps.push(`${o.metadata!.name} (${path.relative(dir, file)})`);
            for (const [k, v] of Object.entries(o.data ?? {})) keys[k] = v;
        }
    }
    if (!configMaps.length)
        throw new Error(
            `no router ConfigMap (bgp-fabric-router) under ${dir}: has 'pulumi up' rendered the cluster networking there (fabric:kubernetes.renderDirectory)?`,
        );
    return { keys, configMaps };
}

/** The kubelet's part: the pod's /config holds exactly the ConfigMaps' keys. Returns the keys that changed. */
export function syncConfigDir(loc: LabLocation, keys: Record<string, string>): string[] {
    const dir = daemonSetConfigDir(loc);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const changed: string[] = [];
    for (const [k, v] of Object.entries(keys)) {
        if (!/^[A-Za-z0-9._-]+$/.test(k))
            throw new Error(`router ConfigMap key '${k}' is not a file name`);
        const f = path.join(dir, k);
        if (fs.existsSync(f) && fs.readFileSync(f, "utf8") === v) continue;
        writeFileAtomic(f, v, 0o644);
        changed.push(k);
    }
    for (const f of fs.readdirSync(dir)) {
        if (!(f in keys) && !f.endsWith(".tmp")) {
            fs.rmSync(path.join(dir, f), { force: true });
            changed.push(f);
        }
    }
    return changed;
}

/** A DaemonSet script as the lab runs it (see the header). */
export function labScript(script: string, configDir: string): string {
    const out = script
        .split("/config/")
        .join(`${configDir}/`)
        .replace("ls /config ", `ls ${configDir} `)
        .replace("/usr/lib/frr/frrinit.sh start", ": FRR runs already, started by the lab")
        .replace("trap '/usr/lib/frr/frrinit.sh stop; exit 0' TERM INT", "trap 'exit 0' TERM INT")
        .split("/usr/lib/frr/frrinit.sh restart")
        .join("echo 'lab: frr-reload.py failed (the DaemonSet would restart FRR)' >&2")
        .split("/var/run/frr/watchfrr.pid")
        .join("/var/run/frr/bgpd.pid");
    if (out.includes("frrinit.sh") || out.includes(" /config"))
        throw new Error(
            "the router DaemonSet's script changed shape: lab/daemonset.ts must be adapted",
        );
    return out;
}

export interface DaemonSetReport {
    configMaps: string[];
    /** ConfigMap keys that changed in the pods' /config. */
    changed: string[];
    /** Nodes whose pod was started now (init container + FRR load + loop). */
    started: string[];
    /** Per started node: the init container's own output line. */
    init: Record<string, string>;
}

/**
 * Deliver what `pulumi up` rendered to the node routers, the way the router
 * DaemonSet does: sync the pods' /config from the rendered ConfigMap(s); on
 * the first call per node, run the init container's script and load the
 * config, then start the FRR container's watch loop (later calls only sync:
 * the loop applies a changed key within its 5 s poll).
 */
export async function runRouterDaemonSet(
    loc: LabLocation,
    st: LabState,
    plan: FabricPlan,
    renderDir: string,
    log: (s: string) => void = () => undefined,
): Promise<DaemonSetReport> {
    const { keys, configMaps } = readRouterConfigMaps(renderDir);
    const changed = syncConfigDir(loc, keys);
    const dir = daemonSetConfigDir(loc);
    const running = new Set(
        st.processes.filter((p) => p.what === "router-daemonset frr").map((p) => p.device),
    );
    const nodes = plan.devices.filter(
        (d) =>
            d.role === "node" &&
            st.devices[d.name] &&
            keys[nodeConfigKey(d.name)] !== undefined &&
            !running.has(d.name),
    );
    const init: Record<string, string> = {};
    const procs: LabProcess[] = [];
    await pool(nodes, 4, async (d) => {
        const holder = st.devices[d.name].holder!.pid;
        // The init container: its own script, with this node's name.
        const r = await bashInDevice(
            holder,
            `export NODE_NAME=${d.name}\n${labScript(SELECT_CONFIG_SCRIPT, dir)}`,
            { check: false, timeoutMs: 30_000 },
        );
        if (r.code !== 0)
            throw new Error(
                `${d.name}: the router DaemonSet's init container failed (exit ${r.code}): ${(r.stderr + r.stdout).trim()}`,
            );
        init[d.name] = r.stdout.trim();
        // The FRR container starts FRR with that file; the lab's FRR runs already: load it.
        const load = await bashInDevice(
            holder,
            `${BIN.frrReload} --reload --stdout /etc/frr/frr.conf`,
            { check: false, timeoutMs: 60_000 },
        );
        if (load.code !== 0)
            throw new Error(
                `${d.name}: FRR did not load ${nodeConfigKey(d.name)}: ${(load.stderr + load.stdout).trim().split("\n").slice(-5).join("\n")}`,
            );
        // The FRR container's loop, a lab process from now on (ended by PID at lab down).
        const logFile = path.join(deviceDir(loc, d.name), "var-log", "router-daemonset.log");
        const fd = fs.openSync(logFile, "a");
        const child = spawn(
            BIN.nsenter,
            [
                ...nsenterArgs(holder),
                "env",
                `NODE_NAME=${d.name}`,
                "/bin/sh",
                "-c",
                labScript(RUN_FRR_SCRIPT, dir),
            ],
            { detached: true, stdio: ["ignore", fd, fd] },
        );
        fs.closeSync(fd);
        child.on("error", () => undefined);
        child.unref();
        if (!child.pid) throw new Error(`${d.name}: cannot start the router DaemonSet's loop`);
        await sleep(20);
        procs.push(describeProcess(child.pid, d.name, "router-daemonset frr"));
        log(`${d.name}: router DaemonSet: ${init[d.name]}`);
    });
    if (procs.length) {
        st.processes.push(...procs);
        writeState(loc, st);
    }
    return { configMaps, changed, started: nodes.map((d) => d.name), init };
}
