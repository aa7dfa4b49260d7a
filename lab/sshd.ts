// sshd in every switch and node, listening on the device's management
// address only; per-lab keys generated with ssh-keygen into the lab directory:
// one ed25519 client key (authorized for root on every device) and one
// ed25519 host key per device (pinned in a known_hosts file). Everything that
// connects runs inside the management namespace.

import * as fs from "fs";
import * as path from "path";
import { FabricPlan, PlannedDevice } from "../plan";
import { DEFAULTS } from "../plan/defaults";
import { BIN, LabLocation, deviceDir, mgmtNsName, sshDir } from "./env";
import { RunOptions, RunResult, inDevice, run, sleep, writeFileAtomic } from "./exec";
import { LabProcess, LabState, describeProcess } from "./state";

export function clientKeyPath(loc: LabLocation): string {
    return path.join(sshDir(loc), "id_ed25519");
}

export function knownHostsPath(loc: LabLocation): string {
    return path.join(sshDir(loc), "known_hosts");
}

export function authorizedKeysPath(loc: LabLocation): string {
    return path.join(sshDir(loc), "authorized_keys");
}

function hostKeyPath(loc: LabLocation, device: string): string {
    return path.join(deviceDir(loc, device), "ssh", "ssh_host_ed25519_key");
}

async function keygen(file: string, comment: string): Promise<string> {
    await run(BIN.sshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
    return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

/** Generate the client key and one host key per SSH device; write authorized_keys and known_hosts. */
export async function generateKeys(
    loc: LabLocation,
    plan: FabricPlan,
    devices: PlannedDevice[],
): Promise<Record<string, string>> {
    const dir = sshDir(loc);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const clientPub = await keygen(clientKeyPath(loc), `bgp-fabric-lab@${plan.name}`);
    writeFileAtomic(authorizedKeysPath(loc), clientPub + "\n", 0o600);
    const hostKeys: Record<string, string> = {};
    await Promise.all(
        devices.map(async (d) => {
            const pub = await keygen(hostKeyPath(loc, d.name), `${d.name}@bgp-fabric-lab`);
            hostKeys[d.name] = pub.split(" ").slice(0, 2).join(" ");
        }),
    );
    const known = devices.map((d) => `${knownHostsName(d)} ${hostKeys[d.name]}`).join("\n") + "\n";
    writeFileAtomic(knownHostsPath(loc), known, 0o644);
    writeFileAtomic(
        path.join(dir, "host-keys.json"),
        JSON.stringify(hostKeys, null, 1) + "\n",
        0o644,
    );
    return hostKeys;
}

function knownHostsName(d: PlannedDevice): string {
    const port = d.mgmt!.port ?? DEFAULTS.sshPort;
    return port === 22 ? d.mgmt!.host : `[${d.mgmt!.host}]:${port}`;
}

export function readHostKeys(loc: LabLocation): Record<string, string> {
    const f = path.join(sshDir(loc), "host-keys.json");
    return fs.existsSync(f)
        ? (JSON.parse(fs.readFileSync(f, "utf8")) as Record<string, string>)
        : {};
}

function sshdConfig(loc: LabLocation, d: PlannedDevice, extra: string[] = []): string {
    const dir = deviceDir(loc, d.name);
    return [
        "# bgp-fabric lab sshd: management address only, key authentication for root",
        `ListenAddress ${d.mgmt!.host}`,
        `Port ${d.mgmt!.port ?? DEFAULTS.sshPort}`,
        `HostKey ${hostKeyPath(loc, d.name)}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeysPath(loc)}`,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "MaxStartups 64:30:128",
        "MaxSessions 32",
        "LogLevel ERROR",
        "Subsystem sftp internal-sftp",
        ...extra,
        "",
    ].join("\n");
}

/** Start sshd inside the device (it daemonizes); returns its process. */
/** `extra`: sshd_config lines on top (a fault test's `SetEnv VTYSH=…` for that device's sessions). */
export async function startSshd(
    loc: LabLocation,
    holderPid: number,
    d: PlannedDevice,
    extra: string[] = [],
): Promise<LabProcess> {
    const dir = deviceDir(loc, d.name);
    const cfg = path.join(dir, "sshd_config");
    const pidFile = path.join(dir, "sshd.pid");
    writeFileAtomic(cfg, sshdConfig(loc, d, extra), 0o600);
    fs.rmSync(pidFile, { force: true });
    await inDevice(holderPid, [BIN.sshd, "-f", cfg, "-E", path.join(dir, "var-log", "sshd.log")], {
        timeoutMs: 10_000,
    });
    for (let i = 0; i < 200; i++) {
        if (fs.existsSync(pidFile)) {
            const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
            if (pid > 0) return describeProcess(pid, d.name, "sshd");
        }
        await sleep(10);
    }
    throw new Error(`${d.name}: sshd wrote no pid file`);
}

/** ssh options that pin the lab's key and host keys (no agent, no user config, no prompts). */
export function sshOptions(loc: LabLocation): string[] {
    return [
        "-F",
        "/dev/null",
        "-i",
        clientKeyPath(loc),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        `UserKnownHostsFile=${knownHostsPath(loc)}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "LogLevel=ERROR",
    ];
}

/** The arguments of `ip` that run `remoteCmd` on a device over SSH, from the management namespace. */
export function sshArgv(loc: LabLocation, d: PlannedDevice, remoteCmd: string): string[] {
    if (!d.mgmt) throw new Error(`${d.name} has no management address`);
    const user = "root";
    return [
        "netns",
        "exec",
        mgmtNsName(loc),
        BIN.ssh,
        ...sshOptions(loc),
        "-p",
        String(d.mgmt.port ?? DEFAULTS.sshPort),
        `${user}@${d.mgmt.host}`,
        remoteCmd,
    ];
}

/** Run a command on a device over SSH, from the management namespace. */
export function sshRun(
    loc: LabLocation,
    d: PlannedDevice,
    remoteCmd: string,
    opts?: RunOptions,
): Promise<RunResult> {
    return run(BIN.ip, sshArgv(loc, d, remoteCmd), opts);
}

export interface SshConnectionInfo {
    host: string;
    port: number;
    user: string;
    /** `ssh-ed25519 AAAA…` (what a Pulumi connection's hostKey takes). */
    hostKey: string;
}

export interface SshConfigInfo {
    /** Every SSH client must run inside this network namespace (`ip netns exec <ns> …`). */
    netns: string;
    privateKeyPath: string;
    publicKey: string;
    knownHostsPath: string;
    devices: Record<string, SshConnectionInfo>;
}

export function sshConfigInfo(loc: LabLocation, st: LabState, plan: FabricPlan): SshConfigInfo {
    const hostKeys = readHostKeys(loc);
    const devices: Record<string, SshConnectionInfo> = {};
    for (const d of plan.devices) {
        if (!d.mgmt || !hostKeys[d.name]) continue;
        devices[d.name] = {
            host: d.mgmt.host,
            port: d.mgmt.port ?? DEFAULTS.sshPort,
            user: "root",
            hostKey: hostKeys[d.name],
        };
    }
    return {
        netns: st.mgmt.ns,
        privateKeyPath: clientKeyPath(loc),
        publicKey: fs.readFileSync(`${clientKeyPath(loc)}.pub`, "utf8").trim(),
        knownHostsPath: knownHostsPath(loc),
        devices,
    };
}

/** The same as an OpenSSH client config (use with `ip netns exec <ns> ssh -F FILE spine1`). */
export function sshConfigText(info: SshConfigInfo): string {
    const out = [
        `# bgp-fabric lab: run ssh inside the management namespace: ip netns exec ${info.netns} ssh -F <this file> <device>`,
    ];
    for (const [name, d] of Object.entries(info.devices)) {
        out.push(
            `Host ${name}`,
            `  HostName ${d.host}`,
            `  Port ${d.port}`,
            `  User ${d.user}`,
            `  IdentityFile ${info.privateKeyPath}`,
            "  IdentitiesOnly yes",
            `  UserKnownHostsFile ${info.knownHostsPath}`,
            "  StrictHostKeyChecking yes",
            "",
        );
    }
    return out.join("\n");
}
