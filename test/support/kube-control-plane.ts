// A real Kubernetes control plane for tests (verification rung 5): etcd,
// kube-apiserver and kube-controller-manager as built by
// scripts/install-kube.sh, with no kubelets and no scheduler.
//
// Safety: everything runs inside a network namespace of its own
// (`<prefix>-kube`, only `lo` up), listening on 127.0.0.1 there; nothing is
// added to the root namespace. Whatever talks to the API server runs inside
// that namespace (exec/spawn/wrap below). Only processes this harness started
// are ended, by PID: SIGTERM, then SIGKILL after a grace period.
//
// Stand-ins for the missing kubelets and scheduler (a poll loop): pending
// pods are bound to the node their DaemonSet affinity names (or, for other
// pods, to a registered node their nodeSelector matches), pods on registered
// nodes are reported Running and Ready, and deleted pods on them are removed
// with grace period 0, as a kubelet would.

import { ChildProcess, spawn as spawnChild, spawnSync, SpawnOptions } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { bgpFabricCacheDir } from "../../components/upstream";
import { BIN } from "../../lab/env";
import { run, RunOptions, RunResult, setGuard, sleep, sq } from "../../lab/exec";
import { addNamespace, namespacePids } from "../../lab/netns";
import { netnsInode, procStart } from "../../lab/state";

type Json = any;

export const KUBE_BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager"] as const;
const KUBE_VERSION = "v1.36.3";
const API_PORT = 6443;
const FIELD_MANAGER = "bgpf-kube-harness";
const GRACE_MS = 5_000;

/** Where scripts/install-kube.sh puts the binaries. */
export function kubeBinDir(): string {
    return path.join(bgpFabricCacheDir(), "kube", "bin");
}

/** The binaries, or what is missing (one line, for a skip message). */
export function kubeBinaries(): { ok: true; dir: string } | { ok: false; missing: string } {
    const dir = kubeBinDir();
    const missing = KUBE_BINARIES.filter((b) => {
        try {
            fs.accessSync(path.join(dir, b), fs.constants.X_OK);
            return false;
        } catch {
            return true;
        }
    });
    if (missing.length === 0) return { ok: true, dir };
    return {
        ok: false,
        missing: `no ${missing.join(", ")} in ${dir} (run scripts/install-kube.sh)`,
    };
}

export class KubeApiError extends Error {
    constructor(
        public readonly method: string,
        public readonly apiPath: string,
        public readonly status: number,
        public readonly body: Json,
    ) {
        const msg =
            typeof body === "object" && body?.message ? body.message : String(body).slice(0, 500);
        super(`${method} ${apiPath}: HTTP ${status}: ${msg}`);
        this.name = "KubeApiError";
    }
}

export interface KubeResponse {
    status: number;
    body: Json; // parsed JSON, or the text
}

export interface NodeOptions {
    internalIP?: string;
    labels?: Record<string, string>;
    /** Adds the label node-role.kubernetes.io/control-plane="". */
    controlPlane?: boolean;
    taints?: {
        key: string;
        value?: string;
        effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    }[];
}

export type NodeSpec = string | ({ name: string } & NodeOptions);

export interface KubeControlPlaneOptions {
    /** Namespace prefix of the calling suite: the servers run in `<prefix>-kube`. */
    prefix: string;
    /** Nodes registered once the API server is ready. */
    nodes?: NodeSpec[];
    /** Directories whose CRD files are applied (and awaited Established) at start. */
    crdDirs?: string[];
    serviceClusterIPRange?: string;
    /** Controllers of kube-controller-manager (canonical names). */
    controllers?: string[];
    /** Seconds to wait for /readyz (default 90). */
    readyTimeoutSec?: number;
}

export interface KubeControlPlane {
    /** kubeconfig text (token user, the test CA) for the Pulumi Kubernetes provider. */
    kubeconfig: string;
    kubeconfigPath: string;
    server: string;
    token: string;
    /** PEM of the CA that signed the API server's certificate. */
    caPem: string;
    netns: string;
    dir: string;
    /** PIDs of every process the harness started (alive or not). */
    pids(): number[];
    /** Errors the kubelet stand-in met (it keeps going). */
    loopErrors(): string[];

    request(
        method: string,
        apiPath: string,
        body?: Json,
        contentType?: string,
    ): Promise<KubeResponse>;
    get(apiPath: string): Promise<Json>;
    /** GET, or undefined on 404. */
    tryGet(apiPath: string): Promise<Json | undefined>;
    post(apiPath: string, body: Json): Promise<Json>;
    put(apiPath: string, body: Json): Promise<Json>;
    /** JSON merge patch unless contentType says otherwise. */
    patch(apiPath: string, body: Json, contentType?: string): Promise<Json>;
    /** Server-side apply of one object (force, our field manager). */
    apply(obj: Json): Promise<Json>;
    delete(apiPath: string, body?: Json): Promise<Json>;

    registerNode(name: string, opts?: NodeOptions): Promise<Json>;
    installCrds(dirs: string[]): Promise<string[]>;

    /** Run a command inside the namespace. */
    exec(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
    /** Start a command inside the namespace; stop() ends it if still running. */
    spawn(cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
    /** Path of a script that runs `binary` inside the namespace (for tools that want a binary path). */
    wrap(name: string, binary: string): string;
    /** Last lines of a component's log (etcd, kube-apiserver, kube-controller-manager, forwarder). */
    logTail(component: string, lines?: number): string;
    stop(): Promise<void>;
}

/** Poll until fn returns something other than undefined/false; fails with what and the last error. */
export async function waitFor<T>(
    what: string,
    fn: () => Promise<T | undefined | false>,
    timeoutMs: number,
    intervalMs = 250,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await fn();
            if (v !== undefined && v !== false) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(
                `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message ?? last}` : ""}`,
            );
        }
        await sleep(intervalMs);
    }
}

// Children still running when the test process exits without stop() (a crash,
// mocha --exit): SIGKILL them, drop the namespace and the directory, synchronously.
const live = new Set<{ pids: Set<number>; netns: string; dir: string }>();
let exitHookInstalled = false;
function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.on("exit", () => {
        for (const cp of live) {
            for (const pid of cp.pids) {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    /* gone */
                }
            }
            spawnSync(BIN.ip, ["netns", "del", cp.netns], { stdio: "ignore" });
            if (!process.env.BGP_FABRIC_KEEP_KUBE)
                fs.rmSync(cp.dir, { recursive: true, force: true });
        }
    });
    // A test run stopped by a signal ends through the exit hook too (a signal alone skips it).
    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        process.once(sig, () =>
            process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGHUP" ? 1 : 15)),
        );
    }
}

interface Started {
    name: string;
    child: ChildProcess;
    exited: Promise<void>;
    exitCode?: number | null;
}

// Forwards a Unix socket in the temp dir to 127.0.0.1:PORT, running inside the
// namespace: a file path crosses namespaces without giving the root namespace
// an address or a route, and needs no process per request (unlike curl).
const FORWARDER = String.raw`
const net = require("net"), fs = require("fs");
const [sock, port] = process.argv.slice(1);
try { fs.unlinkSync(sock); } catch {}
net.createServer((c) => {
  const u = net.connect(Number(port), "127.0.0.1");
  c.pipe(u); u.pipe(c);
  c.on("error", () => u.destroy()); u.on("error", () => c.destroy());
  c.on("close", () => u.destroy()); u.on("close", () => c.destroy());
}).listen(sock, () => { fs.chmodSync(sock, 0o600); fs.renameSync(sock, sock + ".ready"); });
`;

const DEFAULT_CONTROLLERS = [
    "namespace-controller",
    "garbage-collector-controller",
    "daemonset-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
    "endpoints-controller",
    "endpointslice-controller",
    "clusterrole-aggregation-controller",
];

function openssl(args: string[], cwd: string): Promise<RunResult> {
    return run("openssl", args, { env: { ...process.env, RANDFILE: path.join(cwd, ".rnd") } });
}

async function makeCerts(dir: string): Promise<void> {
    const f = (n: string) => path.join(dir, n);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await openssl(
        [
            "req",
            "-x509",
            ...ec,
            "-keyout",
            f("ca.key"),
            "-out",
            f("ca.crt"),
            "-days",
            "7",
            "-subj",
            "/CN=bgpf-test-ca",
        ],
        dir,
    );
    await openssl(
        [
            "req",
            "-x509",
            ...ec,
            "-keyout",
            f("apiserver.key"),
            "-out",
            f("apiserver.crt"),
            "-days",
            "7",
            "-subj",
            "/CN=kube-apiserver",
            "-CA",
            f("ca.crt"),
            "-CAkey",
            f("ca.key"),
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ],
        dir,
    );
    const sa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(f("sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }), {
        mode: 0o600,
    });
    fs.writeFileSync(f("sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
}

function kubeconfigText(server: string, caPem: string, token: string): string {
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: "bgpf-test",
                cluster: {
                    server,
                    "certificate-authority-data": Buffer.from(caPem).toString("base64"),
                },
            },
        ],
        users: [{ name: "bgpf-admin", user: { token } }],
        contexts: [
            {
                name: "bgpf-test",
                context: { cluster: "bgpf-test", user: "bgpf-admin", namespace: "default" },
            },
        ],
        "current-context": "bgpf-test",
    });
}

function crdFiles(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...crdFiles(p));
        else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
    return out;
}

/** Node name a DaemonSet pod is pinned to (the controller's matchFields metadata.name In [x]). */
function daemonSetTarget(pod: Json): string | undefined {
    const terms =
        pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
            ?.nodeSelectorTerms ?? [];
    for (const t of terms) {
        for (const m of t.matchFields ?? []) {
            if (m.key === "metadata.name" && m.operator === "In" && m.values?.length === 1)
                return m.values[0];
        }
    }
    return undefined;
}

const isReady = (pod: Json) =>
    pod.status?.phase === "Running" &&
    (pod.status?.conditions ?? []).some((c: Json) => c.type === "Ready" && c.status === "True");

export async function startKubeControlPlane(
    opts: KubeControlPlaneOptions,
): Promise<KubeControlPlane> {
    if (!/^[a-z][a-z0-9-]{1,20}$/.test(opts.prefix))
        throw new Error(
            `namespace prefix '${opts.prefix}' must be 2-21 lowercase letters, digits or '-'`,
        );
    const bins = kubeBinaries();
    if (!bins.ok) throw new Error(bins.missing);
    const netns = `${opts.prefix}-kube`;
    // lab/exec refuses `ip` outside registered prefixes: register `<prefix>-` (our namespace's).
    setGuard({ prefix: `${opts.prefix}-`, dir: "" });

    const dir = fs.mkdtempSync(
        path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), `${netns}.`),
    );
    fs.chmodSync(dir, 0o700);
    const token = crypto.randomBytes(24).toString("hex");
    const server = `https://127.0.0.1:${API_PORT}`;
    const sock = path.join(dir, "api.sock");
    const started: Started[] = [];
    const tracked = { pids: new Set<number>(), netns, dir };
    const registered = new Map<string, { internalIP?: string }>();
    const errors: string[] = [];
    let nsCreated = false;
    let stopping: Promise<void> | undefined;
    let loopStop = false;
    let loopDone: Promise<void> = Promise.resolve();
    let nextPodIP = 2;
    installExitHook();
    live.add(tracked);

    const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
    let caPem = "";

    const logPath = (name: string) => path.join(dir, `${name}.log`);
    const logTail = (name: string, lines = 30): string => {
        try {
            return fs
                .readFileSync(logPath(name), "utf8")
                .trimEnd()
                .split("\n")
                .filter((l) => !l.includes("] FLAG: "))
                .slice(-lines)
                .join("\n");
        } catch {
            return "(no log)";
        }
    };

    const track = (name: string, child: ChildProcess): Started => {
        const s: Started = {
            name,
            child,
            exited: new Promise<void>((r) => child.once("exit", () => r())),
        };
        child.once("exit", (code) => (s.exitCode = code));
        child.once("error", () => (s.exitCode = -1));
        if (child.pid) tracked.pids.add(child.pid);
        started.push(s);
        return s;
    };

    const nsArgs = (cmd: string, args: string[]) => ["netns", "exec", netns, cmd, ...args];

    /** A long-running component inside the namespace, output to its log; checked to be in our namespace. */
    const startComponent = (name: string, cmd: string, args: string[]): Started => {
        const fd = fs.openSync(logPath(name), "a");
        const child = spawnChild(BIN.ip, nsArgs(cmd, args), { stdio: ["ignore", fd, fd] });
        fs.closeSync(fd);
        child.unref();
        const s = track(name, child);
        if (!child.pid) throw new Error(`cannot start ${name}`);
        return s;
    };

    const assertRunning = (s: Started) => {
        if (s.exitCode !== undefined)
            throw new Error(`${s.name} exited (${s.exitCode}) during start:\n${logTail(s.name)}`);
    };

    // Once `ip netns exec` has exec'd the component, it must be in our namespace.
    let ipExe: string | undefined;
    const assertInNamespace = async (s: Started) => {
        ipExe ??= (await run("sh", ["-c", `readlink -f "$(command -v ${BIN.ip})"`])).stdout.trim();
        const exe = () => {
            try {
                return fs.readlinkSync(`/proc/${s.child.pid}/exe`);
            } catch {
                return undefined; // exited
            }
        };
        await waitFor(
            `${s.name} to start`,
            async () => s.exitCode !== undefined || exe() !== ipExe,
            10_000,
            20,
        );
        assertRunning(s);
        if (netnsInode(`/proc/${s.child.pid}/ns/net`) !== netnsInode(`/run/netns/${netns}`)) {
            await sleep(200); // an exit not reported yet?
            assertRunning(s);
            throw new Error(`${s.name} (pid ${s.child.pid}) is not in namespace ${netns}`);
        }
    };

    const endProcess = async (pid: number, exited?: Promise<void>) => {
        const gone = () => procStart(pid) === undefined;
        try {
            process.kill(pid, "SIGTERM");
        } catch {
            return;
        }
        const deadline = Date.now() + GRACE_MS;
        while (!gone() && Date.now() < deadline)
            await Promise.race([exited ?? sleep(100), sleep(100)]);
        if (!gone()) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                /* gone */
            }
            while (!gone() && Date.now() < deadline + GRACE_MS) await sleep(50);
        }
        if (exited) await Promise.race([exited, sleep(1000)]);
    };

    const stop = (): Promise<void> => {
        stopping ??= (async () => {
            loopStop = true;
            await loopDone.catch(() => undefined);
            agent.destroy();
            // Controller manager first (it writes to the API), etcd last.
            // (One that has exited is skipped: its PID may belong to someone else by now.)
            for (const s of [...started].reverse()) {
                if (s.child.pid && s.child.exitCode === null && s.child.signalCode === null)
                    await endProcess(s.child.pid, s.exited);
            }
            if (nsCreated) {
                // Whatever else is in the namespace was started through exec()/spawn() (it is ours).
                for (const pid of await namespacePids(netns)) await endProcess(pid);
                await run(BIN.ip, ["netns", "del", netns], { check: false });
            }
            live.delete(tracked);
            if (!process.env.BGP_FABRIC_KEEP_KUBE) fs.rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
    };

    const request = (
        method: string,
        apiPath: string,
        body?: Json,
        contentType?: string,
    ): Promise<KubeResponse> =>
        new Promise((resolve, reject) => {
            const data =
                body === undefined
                    ? undefined
                    : typeof body === "string"
                      ? body
                      : JSON.stringify(body);
            const req = https.request(
                {
                    socketPath: sock + ".ready",
                    agent,
                    method,
                    path: apiPath,
                    ca: caPem,
                    servername: "localhost",
                    headers: {
                        host: `127.0.0.1:${API_PORT}`,
                        authorization: `Bearer ${token}`,
                        accept: "application/json",
                        ...(data !== undefined
                            ? {
                                  "content-type": contentType ?? "application/json",
                                  "content-length": Buffer.byteLength(data),
                              }
                            : {}),
                    },
                    timeout: 30_000,
                },
                (res) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (d) => (text += d));
                    res.on("end", () => {
                        let parsed: Json = text;
                        if ((res.headers["content-type"] ?? "").includes("json")) {
                            try {
                                parsed = JSON.parse(text);
                            } catch {
                                /* keep the text */
                            }
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed });
                    });
                    res.on("error", reject);
                },
            );
            req.on("timeout", () =>
                req.destroy(new Error(`${method} ${apiPath}: no answer within 30 s`)),
            );
            req.on("error", reject);
            req.end(data);
        });

    const call = async (
        method: string,
        apiPath: string,
        body?: Json,
        contentType?: string,
    ): Promise<Json> => {
        const r = await request(method, apiPath, body, contentType);
        if (r.status >= 400 || r.status === 0)
            throw new KubeApiError(method, apiPath, r.status, r.body);
        return r.body;
    };
    const tryGet = async (apiPath: string): Promise<Json | undefined> => {
        const r = await request("GET", apiPath);
        if (r.status === 404) return undefined;
        if (r.status >= 400) throw new KubeApiError("GET", apiPath, r.status, r.body);
        return r.body;
    };

    /** API path of an object, its resource found through discovery. */
    const objectPath = async (obj: Json): Promise<string> => {
        const gv = String(obj.apiVersion);
        const base = gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`;
        const r = ((await call("GET", base)).resources ?? []).find(
            (x: Json) => x.kind === obj.kind && !x.name.includes("/"),
        );
        if (!r) throw new Error(`the API server serves no ${obj.kind} in ${gv}`);
        const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? "default"}` : "";
        return `${base}${ns}/${r.name}/${obj.metadata.name}`;
    };

    const apply = async (obj: Json): Promise<Json> =>
        call(
            "PATCH",
            `${await objectPath(obj)}?fieldManager=${FIELD_MANAGER}&force=true`,
            JSON.stringify(obj),
            "application/apply-patch+yaml",
        );

    const installCrds = async (dirs: string[]): Promise<string[]> => {
        const names: string[] = [];
        for (const d of dirs) {
            const files = crdFiles(d);
            if (files.length === 0) throw new Error(`installCrds: no YAML file in ${d}`);
            for (const file of files) {
                for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
                    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
                    const obj = doc.toJS();
                    if (
                        obj?.apiVersion !== "apiextensions.k8s.io/v1" ||
                        obj?.kind !== "CustomResourceDefinition"
                    )
                        continue;
                    await apply(obj);
                    names.push(obj.metadata.name);
                }
            }
        }
        for (const name of names) {
            await waitFor(
                `CRD ${name} Established`,
                async () => {
                    const crd = await call(
                        "GET",
                        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
                    );
                    return (crd.status?.conditions ?? []).some(
                        (c: Json) => c.type === "Established" && c.status === "True",
                    );
                },
                60_000,
            );
        }
        return names;
    };

    const registerNode = async (name: string, o: NodeOptions = {}): Promise<Json> => {
        const labels: Record<string, string> = {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
            ...(o.controlPlane ? { "node-role.kubernetes.io/control-plane": "" } : {}),
            ...(o.labels ?? {}),
        };
        await call("POST", "/api/v1/nodes", {
            apiVersion: "v1",
            kind: "Node",
            metadata: { name, labels },
            spec: {},
        });
        registered.set(name, { internalIP: o.internalIP });
        const now = new Date().toISOString();
        const cond = (type: string, status: string, reason: string) => ({
            type,
            status,
            reason,
            message: reason,
            lastHeartbeatTime: now,
            lastTransitionTime: now,
        });
        const resources = { cpu: "2", memory: "4Gi", pods: "110", "ephemeral-storage": "20Gi" };
        await call(
            "PATCH",
            `/api/v1/nodes/${name}/status`,
            {
                status: {
                    conditions: [
                        cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                        cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                        cond("PIDPressure", "False", "KubeletHasSufficientPID"),
                        cond("Ready", "True", "KubeletReady"),
                    ],
                    addresses: [
                        ...(o.internalIP ? [{ type: "InternalIP", address: o.internalIP }] : []),
                        { type: "Hostname", address: name },
                    ],
                    capacity: resources,
                    allocatable: resources,
                    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
                    nodeInfo: {
                        machineID: crypto.createHash("md5").update(name).digest("hex"),
                        systemUUID: crypto.randomUUID(),
                        bootID: crypto.randomUUID(),
                        kernelVersion: os.release(),
                        osImage: "bgp-fabric test node (no kubelet)",
                        containerRuntimeVersion: "containerd://2.0.0",
                        kubeletVersion: KUBE_VERSION,
                        kubeProxyVersion: "",
                        operatingSystem: "linux",
                        architecture: "amd64",
                    },
                },
            },
            "application/merge-patch+json",
        );
        // Admission (TaintNodesByCondition) tainted the new node not-ready; the node
        // lifecycle controller (not run here) would lift that once it is Ready.
        return call(
            "PATCH",
            `/api/v1/nodes/${name}`,
            { spec: { taints: o.taints ?? null } },
            "application/merge-patch+json",
        );
    };

    // --- the kubelet and scheduler stand-in -------------------------------------
    const podPath = (pod: Json, sub = "") =>
        `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}${sub}`;
    const selectorMatches = (pod: Json, node: Json) =>
        Object.entries<string>(pod.spec?.nodeSelector ?? {}).every(
            ([k, v]) => node.metadata?.labels?.[k] === v,
        );

    const markRunning = async (pod: Json, nodeName: string) => {
        const now = new Date().toISOString();
        const hostIP = registered.get(nodeName)?.internalIP;
        let podIP = pod.status?.podIP as string | undefined;
        if (!podIP && pod.spec?.hostNetwork) podIP = hostIP;
        if (!podIP) {
            const n = nextPodIP++; // a pod network is only a config value here: no route, no interface
            podIP = `10.244.${(n >> 8) & 255}.${n & 255}`;
        }
        const cid = () => `containerd://${crypto.randomBytes(32).toString("hex")}`;
        const status: Json = {
            phase: "Running",
            startTime: pod.status?.startTime ?? now,
            conditions: [
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            ].map((type) => ({
                type,
                status: "True",
                lastProbeTime: null,
                lastTransitionTime: now,
            })),
            initContainerStatuses: (pod.spec.initContainers ?? []).map((c: Json) => ({
                name: c.name,
                image: c.image,
                imageID: c.image,
                containerID: cid(),
                ready: true,
                restartCount: 0,
                state: {
                    terminated: {
                        exitCode: 0,
                        reason: "Completed",
                        startedAt: now,
                        finishedAt: now,
                    },
                },
            })),
            containerStatuses: pod.spec.containers.map((c: Json) => ({
                name: c.name,
                image: c.image,
                imageID: c.image,
                containerID: cid(),
                ready: true,
                started: true,
                restartCount: 0,
                state: { running: { startedAt: now } },
            })),
            ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
            ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
        };
        await call("PATCH", podPath(pod, "/status"), { status }, "application/merge-patch+json");
    };

    const tick = async () => {
        const pods: Json[] = (await call("GET", "/api/v1/pods")).items ?? [];
        let nodes: Json[] | undefined;
        for (const pod of pods) {
            const nodeName: string | undefined = pod.spec?.nodeName;
            try {
                if (pod.metadata.deletionTimestamp) {
                    if (nodeName && registered.has(nodeName)) {
                        const r = await request("DELETE", podPath(pod), {
                            apiVersion: "v1",
                            kind: "DeleteOptions",
                            gracePeriodSeconds: 0,
                        });
                        if (r.status >= 400 && r.status !== 404)
                            throw new KubeApiError("DELETE", podPath(pod), r.status, r.body);
                    }
                    continue;
                }
                let target = nodeName;
                if (!target) {
                    target = daemonSetTarget(pod);
                    if (!target) {
                        nodes ??= (await call("GET", "/api/v1/nodes")).items ?? [];
                        target = nodes!.find(
                            (n) => registered.has(n.metadata.name) && selectorMatches(pod, n),
                        )?.metadata.name;
                    }
                    if (!target) continue;
                    const b = {
                        apiVersion: "v1",
                        kind: "Binding",
                        metadata: { name: pod.metadata.name },
                        target: { apiVersion: "v1", kind: "Node", name: target },
                    };
                    const r = await request("POST", podPath(pod, "/binding"), b);
                    if (r.status === 404 || r.status === 409) continue; // gone, or bound meanwhile
                    if (r.status >= 400)
                        throw new KubeApiError("POST", podPath(pod, "/binding"), r.status, r.body);
                }
                if (
                    registered.has(target) &&
                    !isReady(pod) &&
                    !["Succeeded", "Failed"].includes(pod.status?.phase)
                ) {
                    await markRunning(pod, target);
                }
            } catch (e) {
                // Gone or changed meanwhile: the next round sees it again. Others are noted; the round goes on.
                if (!(e instanceof KubeApiError && (e.status === 404 || e.status === 409))) note(e);
            }
        }
    };

    const note = (e: unknown) => {
        if (loopStop) return;
        errors.push(`${new Date().toISOString()} ${(e as Error).message ?? e}`);
        if (errors.length > 100) errors.splice(0, errors.length - 100);
    };
    const loop = async () => {
        while (!loopStop) {
            try {
                await tick();
            } catch (e) {
                note(e);
            }
            if (!loopStop) await sleep(500);
        }
    };

    const cp: KubeControlPlane = {
        kubeconfig: "",
        kubeconfigPath: path.join(dir, "kubeconfig"),
        server,
        token,
        caPem: "",
        netns,
        dir,
        pids: () => [...tracked.pids],
        loopErrors: () => [...errors],
        request,
        get: (p) => call("GET", p),
        tryGet,
        post: (p, b) => call("POST", p, b),
        put: (p, b) => call("PUT", p, b),
        patch: (p, b, ct) => call("PATCH", p, b, ct ?? "application/merge-patch+json"),
        apply,
        delete: (p, b) => call("DELETE", p, b),
        registerNode,
        installCrds,
        exec: (cmd, args, o) => run(BIN.ip, nsArgs(cmd, args), o),
        spawn: (cmd, args, o) => {
            const child = spawnChild(BIN.ip, nsArgs(cmd, args), o ?? {});
            track(path.basename(cmd), child);
            return child;
        },
        wrap: (name, binary) => {
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin, { recursive: true });
            const file = path.join(bin, name);
            fs.writeFileSync(
                file,
                `#!/bin/sh\nexec ${BIN.ip} netns exec ${sq(netns)} ${sq(binary)} "$@"\n`,
                { mode: 0o755 },
            );
            return file;
        },
        logTail,
        stop,
    };

    try {
        // A leftover namespace of a crashed run is removed only when nothing runs in it
        // (its processes are not ours to end).
        const list = await run(BIN.ip, ["netns", "list"], { check: false });
        if (list.stdout.split("\n").some((l) => l.trim().split(/\s+/)[0] === netns)) {
            const pids = await namespacePids(netns);
            if (pids.length)
                throw new Error(
                    `namespace ${netns} exists with processes ${pids.join(" ")} in it: another run with prefix ${opts.prefix} is active`,
                );
            await run(BIN.ip, ["netns", "del", netns]);
        }
        await addNamespace(netns);
        nsCreated = true;

        await makeCerts(dir);
        caPem = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
        cp.caPem = caPem;
        fs.writeFileSync(
            path.join(dir, "tokens.csv"),
            `${token},bgpf-admin,bgpf-admin,"system:masters"\n`,
            { mode: 0o600 },
        );
        cp.kubeconfig = kubeconfigText(server, caPem, token);
        fs.writeFileSync(cp.kubeconfigPath, cp.kubeconfig, { mode: 0o600 });

        const bin = (b: string) => path.join(bins.dir, b);
        const etcd = startComponent("etcd", bin("etcd"), [
            "--name=bgpf-test",
            `--data-dir=${path.join(dir, "etcd")}`,
            "--listen-client-urls=http://127.0.0.1:2379",
            "--advertise-client-urls=http://127.0.0.1:2379",
            "--listen-peer-urls=http://127.0.0.1:2380",
            "--initial-advertise-peer-urls=http://127.0.0.1:2380",
            "--initial-cluster=bgpf-test=http://127.0.0.1:2380",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]);
        const f = (n: string) => path.join(dir, n);
        const apiserver = startComponent("kube-apiserver", bin("kube-apiserver"), [
            "--etcd-servers=http://127.0.0.1:2379",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${API_PORT}`,
            `--tls-cert-file=${f("apiserver.crt")}`,
            `--tls-private-key-file=${f("apiserver.key")}`,
            `--client-ca-file=${f("ca.crt")}`,
            `--token-auth-file=${f("tokens.csv")}`,
            "--authorization-mode=RBAC",
            "--anonymous-auth=false",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            `--service-account-key-file=${f("sa.pub")}`,
            `--service-account-signing-key-file=${f("sa.key")}`,
            `--service-cluster-ip-range=${opts.serviceClusterIPRange ?? "10.96.0.0/16"}`,
            // The fabric's router DaemonSets are privileged and on the host network.
            "--allow-privileged=true",
            "--profiling=false",
        ]);
        // The Node process reaches the API through the forwarder's socket only.
        const forwarder = startComponent("forwarder", process.execPath, [
            "-e",
            FORWARDER,
            sock,
            String(API_PORT),
        ]);
        await waitFor(
            "the API forwarder",
            async () => {
                assertRunning(forwarder);
                return fs.existsSync(sock + ".ready");
            },
            10_000,
            50,
        );
        for (const s of [etcd, apiserver, forwarder]) await assertInNamespace(s);

        const readyMs = (opts.readyTimeoutSec ?? 90) * 1000;
        const t0 = Date.now();
        let lastReady = "";
        for (;;) {
            assertRunning(etcd);
            assertRunning(apiserver);
            try {
                const r = await request("GET", "/readyz");
                lastReady = `HTTP ${r.status}: ${typeof r.body === "string" ? r.body.trim() : JSON.stringify(r.body)}`;
                if (r.status === 200 && String(r.body).trim() === "ok") break;
            } catch (e) {
                lastReady = (e as Error).message;
            }
            if (Date.now() - t0 > readyMs) {
                let verbose = "";
                try {
                    verbose = String((await request("GET", "/readyz?verbose")).body)
                        .split("\n")
                        .filter((l) => !l.includes("ok"))
                        .join("\n");
                } catch {
                    /* nothing more to say */
                }
                throw new Error(
                    `kube-apiserver not ready within ${readyMs / 1000} s (last /readyz: ${lastReady.slice(0, 300)})\n${verbose}\n--- kube-apiserver log:\n${logTail("kube-apiserver")}\n--- etcd log:\n${logTail("etcd", 10)}`,
                );
            }
            await sleep(250);
        }

        fs.writeFileSync(f("kcm.kubeconfig"), kubeconfigText(server, caPem, token), {
            mode: 0o600,
        });
        const kcm = startComponent("kube-controller-manager", bin("kube-controller-manager"), [
            `--kubeconfig=${f("kcm.kubeconfig")}`,
            `--authentication-kubeconfig=${f("kcm.kubeconfig")}`,
            `--authorization-kubeconfig=${f("kcm.kubeconfig")}`,
            "--bind-address=127.0.0.1",
            "--leader-elect=false",
            "--use-service-account-credentials=false",
            `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(",")}`,
            `--service-account-private-key-file=${f("sa.key")}`,
            `--root-ca-file=${f("ca.crt")}`,
            `--service-cluster-ip-range=${opts.serviceClusterIPRange ?? "10.96.0.0/16"}`,
            "--profiling=false",
        ]);
        // The controller manager serves /healthz once its controllers started.
        await waitFor(
            "kube-controller-manager healthy",
            async () => {
                assertRunning(kcm);
                const r = await cp.exec(
                    "curl",
                    ["-sk", "--max-time", "2", "https://127.0.0.1:10257/healthz"],
                    { check: false },
                );
                return r.stdout.trim() === "ok";
            },
            60_000,
            250,
        ).catch((e) => {
            throw new Error(
                `${(e as Error).message}\n--- kube-controller-manager log:\n${logTail("kube-controller-manager")}`,
            );
        });

        loopDone = loop();
        for (const n of opts.nodes ?? []) {
            const spec = typeof n === "string" ? { name: n } : n;
            await registerNode(spec.name, spec);
        }
        if (opts.crdDirs?.length) await installCrds(opts.crdDirs);
        return cp;
    } catch (e) {
        await stop();
        throw e;
    }
}
