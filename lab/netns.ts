// Namespaces and links: one network namespace per device, a holder process per
// device that owns the device's mount and UTS namespaces (its own /etc/frr,
// /var/log, /var/tmp and /run, and its hostname), veth cables with the planned
// port names created directly between lab namespaces, and the management
// bridge in its own namespace. Nothing here touches the root namespace: every
// `ip` call goes through the guard in exec.ts.

import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FabricPlan, PlannedDevice } from "../plan";
import { BIN, LabLocation, deviceDir, isLabNs, mgmtNsName, nsName } from "./env";
import { bashInDevice, ipn, run, sq } from "./exec";
import { LabProcess, describeProcess, netnsInode } from "./state";

/** Lab namespaces that exist right now (by prefix). */
export async function listLabNamespaces(loc: LabLocation): Promise<string[]> {
    const r = await run(BIN.ip, ["netns", "list"], { check: false });
    return r.stdout
        .split("\n")
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((n) => n && isLabNs(loc, n))
        .sort();
}

export async function addNamespace(ns: string): Promise<void> {
    await run(BIN.ip, ["netns", "add", ns]);
    await ipn(ns, ["link", "set", "lo", "up"]);
}

/** PIDs of every process whose network namespace is `ns` (they all belong to the lab). */
export async function namespacePids(ns: string): Promise<number[]> {
    const r = await run(BIN.ip, ["netns", "pids", ns], { check: false });
    return r.stdout
        .split(/\s+/)
        .filter(Boolean)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
}

// The holder: runs in the device's network namespace (ip netns exec), unshares
// a private mount and a UTS namespace, sets the namespace's sysctls, gives the
// device a copy-on-write view of /etc, /var/lib, /usr/local and /root
// (overlays whose upper layer is the device's directory: whatever a script or
// a login shell on the device writes there stays in the lab), its own
// /etc/frr, /var/log, /tmp, /var/tmp and /run, sets the hostname, then sleeps.
// It works from the lab directory as its cwd with relative, uncanonicalized
// paths (mount -c), so covering /run or /tmp never hides what is still to be
// mounted; at the end the lab directory is bound back onto its own path.
const HOLDER_SCRIPT = String.raw`
set -e
H=$1; LAB=$2
cd "$LAB"
D="dev/$H"
sysctl -e -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
  net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
  net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
  net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
  net.ipv4.fib_multipath_hash_policy=1 >/dev/null
# Copies of every network namespace handle (this lab's and any other's) came along with the mount
# namespace; drop them, or they would keep deleted namespaces alive until this device goes away.
for m in $(awk '$5 ~ "^/run/netns/" {print $5}' /proc/self/mountinfo); do umount -n -l "$m" 2>/dev/null || true; done
for p in etc var/lib usr/local root; do
  o="$LAB/$D/overlay/$(echo "$p" | tr / -)"
  mkdir -p "$o/upper" "$o/work"
  mount -n -t overlay bgpf-overlay -o "lowerdir=/$p,upperdir=$o/upper,workdir=$o/work" "/$p"
done
mount -n -c --bind "$D/etc-frr" /etc/frr
mount -n -c --bind "$D/var-log" /var/log
mount -n -c --bind "$D/var-tmp" /var/tmp
mount -n -c --bind "$D/tmp" /tmp
mount -n -c -t tmpfs -o mode=0755,size=16m bgpf-run "$D/run"
mkdir -p "$D/run/frr" "$D/run/sshd" "$D/run/lock"
chown frr:frr "$D/run/frr"; chmod 0755 "$D/run/frr" "$D/run/sshd"
mount -n -c --move "$D/run" /run
mkdir -p "$LAB"
mount -n -c --bind . "$LAB"
hostname "$H"
echo ready
exec sleep infinity
`;

/** Directories of one device (created before its holder starts). */
export function prepareDeviceDir(loc: LabLocation, device: string): string {
    const d = deviceDir(loc, device);
    for (const sub of ["etc-frr", "var-log/frr", "var-tmp/frr", "tmp", "run", "ssh"])
        fs.mkdirSync(path.join(d, sub), { recursive: true });
    fs.chmodSync(path.join(d, "var-tmp"), 0o1777);
    fs.chmodSync(path.join(d, "tmp"), 0o1777);
    const frr = frrIds();
    for (const sub of ["etc-frr", "var-log/frr", "var-tmp/frr"])
        fs.chownSync(path.join(d, sub), frr.uid, frr.gid);
    fs.chmodSync(path.join(d, "etc-frr"), 0o750);
    return d;
}

let frrIdCache: { uid: number; gid: number } | undefined;
export function frrIds(): { uid: number; gid: number } {
    if (frrIdCache) return frrIdCache;
    const line = fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("frr:"));
    if (!line) throw new Error("no 'frr' user: install FRR (scripts/install-system-deps.sh)");
    const f = line.split(":");
    frrIdCache = { uid: Number(f[2]), gid: Number(f[3]) };
    return frrIdCache;
}

/** Start a device's holder process inside `ns`; resolves once its mounts are in place. */
export function startHolder(loc: LabLocation, device: string, ns: string): Promise<LabProcess> {
    if (!isLabNs(loc, ns)) throw new Error(`internal: ${ns} is not a lab namespace`);
    const d = deviceDir(loc, device);
    const log = fs.openSync(path.join(d, "holder.log"), "w");
    const child = spawn(
        BIN.ip,
        [
            "netns",
            "exec",
            ns,
            BIN.unshare,
            "--mount",
            "--uts",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            HOLDER_SCRIPT,
            "holder",
            device,
            loc.dir,
        ],
        { detached: true, stdio: ["ignore", "pipe", log] },
    );
    fs.closeSync(log);
    return new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(
            () => fail(new Error(`${device}: holder did not start within 10 s`)),
            10_000,
        );
        const fail = (e: Error) => {
            clearTimeout(timer);
            if (child.pid) {
                try {
                    process.kill(child.pid, "SIGKILL");
                } catch {
                    /* gone */
                }
            }
            reject(e);
        };
        child.on("error", (e) => fail(new Error(`${device}: cannot start holder: ${e.message}`)));
        child.on("exit", (code) => {
            if (!out.includes("ready")) {
                const why = fs.existsSync(path.join(d, "holder.log"))
                    ? fs.readFileSync(path.join(d, "holder.log"), "utf8").trim()
                    : "";
                fail(new Error(`${device}: holder exited (${code}) during start: ${why}`));
            }
        });
        child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
            out += chunk;
            if (!out.includes("ready")) return;
            clearTimeout(timer);
            child.stdout!.destroy();
            child.unref();
            try {
                const p = describeProcess(child.pid!, device, "holder");
                // The holder must be in the namespace we created for it.
                if (netnsInode(`/proc/${p.pid}/ns/net`) !== netnsInode(`/run/netns/${ns}`))
                    throw new Error(`${device}: holder is not in ${ns}`);
                resolve(p);
            } catch (e) {
                reject(e);
            }
        });
    });
}

export interface Cable {
    a: { device: string; port: string };
    b: { device: string; port: string };
}

/** Every cable of the plan once (from the interface lists of both ends). */
export function planCables(plan: FabricPlan): Cable[] {
    const seen = new Set<string>();
    const cables: Cable[] = [];
    const index = new Map(plan.devices.map((d, i) => [d.name, i]));
    for (const d of plan.devices) {
        for (const i of d.interfaces) {
            const a = { device: d.name, port: i.name };
            const b = { device: i.peer.device, port: i.peer.port };
            if (!index.has(b.device))
                throw new Error(`${d.name}:${i.name} is cabled to unknown device ${b.device}`);
            const key = [`${a.device}:${a.port}`, `${b.device}:${b.port}`].sort().join("|");
            if (seen.has(key)) continue;
            seen.add(key);
            cables.push(index.get(a.device)! <= index.get(b.device)! ? { a, b } : { a: b, b: a });
        }
    }
    for (const c of cables)
        for (const e of [c.a, c.b])
            if (e.port.length > 15)
                throw new Error(
                    `${e.device}:${e.port}: interface names are limited to 15 characters`,
                );
    return cables;
}

export async function createCable(loc: LabLocation, c: Cable): Promise<void> {
    await ipn(nsName(loc, c.a.device), [
        "link",
        "add",
        c.a.port,
        "type",
        "veth",
        "peer",
        "name",
        c.b.port,
        "netns",
        nsName(loc, c.b.device),
    ]);
}

/** Management bridge: its own namespace, bridge br0 with the first address of the management /24. */
export interface MgmtNet {
    ns: string;
    bridge: string;
    address: string;
    prefixLength: number;
}

export function planMgmt(loc: LabLocation, plan: FabricPlan): MgmtNet {
    const hosts = plan.devices
        .filter((d) => d.mgmt)
        .map((d) => ({ name: d.name, host: d.mgmt!.host }));
    if (hosts.length === 0) throw new Error("no device has a management address (mgmt.host)");
    const octets = (h: string) => {
        const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
        if (!m) throw new Error(`management address '${h}' must be an IPv4 address in the lab`);
        return m.slice(1).map(Number);
    };
    const net = octets(hosts[0].host).slice(0, 3).join(".");
    const address = `${net}.1`;
    for (const h of hosts) {
        if (octets(h.host).slice(0, 3).join(".") !== net)
            throw new Error(
                `${h.name}: management address ${h.host} is not in ${net}.0/24 like the others`,
            );
        if (h.host === address)
            throw new Error(
                `${h.name}: management address ${h.host} is the lab's management bridge address`,
            );
    }
    if (plan.devices.some((d) => d.name === "mgmt"))
        throw new Error("a device named 'mgmt' collides with the lab's management namespace");
    return { ns: mgmtNsName(loc), bridge: "br0", address, prefixLength: 24 };
}

export async function createMgmtBridge(m: MgmtNet): Promise<void> {
    await ipn(m.ns, [
        "link",
        "add",
        m.bridge,
        "type",
        "bridge",
        "stp_state",
        "0",
        "forward_delay",
        "0",
    ]);
    await ipn(m.ns, ["addr", "add", `${m.address}/${m.prefixLength}`, "dev", m.bridge]);
    await ipn(m.ns, ["link", "set", m.bridge, "up"]);
}

export function mgmtPortName(device: PlannedDevice, index: number): string {
    const n = `m-${device.name}`;
    return n.length <= 15 ? n : `m-${index}`;
}

/** The device's `mgmt0`, its far end on the bridge. */
export async function attachMgmt(
    loc: LabLocation,
    m: MgmtNet,
    device: PlannedDevice,
    index: number,
): Promise<void> {
    const port = mgmtPortName(device, index);
    await ipn(nsName(loc, device.name), [
        "link",
        "add",
        "mgmt0",
        "type",
        "veth",
        "peer",
        "name",
        port,
        "netns",
        m.ns,
    ]);
    await ipn(m.ns, ["link", "set", port, "master", m.bridge, "up"]);
}

/** Addresses and link state inside one device (run through its holder). */
export function deviceLinkScript(
    device: PlannedDevice,
    m: MgmtNet | undefined,
    loopback = true,
): string {
    const lines = ["set -e"];
    if (loopback) lines.push(`ip addr add ${device.loopback}/32 dev lo`);
    for (const i of device.interfaces) {
        lines.push(`ip link set ${sq(i.name)} up`);
        if (i.address) lines.push(`ip addr add ${sq(i.address)} dev ${sq(i.name)}`);
    }
    if (device.mgmt && m) {
        lines.push(
            `ip addr add ${device.mgmt.host}/${m.prefixLength} dev mgmt0`,
            "ip link set mgmt0 up",
        );
    }
    return lines.join("\n") + "\n";
}

/** Links up, numbered addresses, management address; the loopback too unless the device's own setup script adds it. */
export async function configureDeviceLinks(
    holderPid: number,
    device: PlannedDevice,
    m: MgmtNet | undefined,
    loopback = true,
): Promise<void> {
    await bashInDevice(holderPid, deviceLinkScript(device, m, loopback));
}
