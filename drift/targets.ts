// What drift compares and where it goes: the intended (rendered) FRR config
// of every managed device, the SSH command line that reaches it, and the
// command run there. Pure: plan and config in, data and argv out.

import { FabricConfig, FabricPlan, Platform } from "../plan";
import {
    confirmScript,
    frrApplyScript,
    peersPasswords,
    renderDevice,
    switchScripts,
} from "../render/device";
import { DEFAULTS } from "../plan/defaults";
import { ROUTER_NAMESPACE } from "../render/kubernetes/common";
import { driverFor } from "../render/platforms";
import { DiffEntry } from "./reload-diff";

export interface DriftDevice {
    name: string;
    role: string;
    platform: Platform;
    /** The rendered frr.conf: what the device should run. */
    intended: string;
    /** Where SSH goes (the plan's mgmt block; user as the component picks it). */
    ssh?: { host: string; port: number; user: string; hostKey?: string; bastion?: string };
    /** Password lines are not compared: the stack keeps a BGP password this tool cannot read. */
    passwordsUnknown: boolean;
    /**
     * What re-applies the intended config (--restore): for a switch the very safe-apply script its
     * Pulumi command runs (switchScripts); for a node the same protocol around its router's frr.conf,
     * as `lab up --apply` delivers it (in production the router DaemonSet does). Absent when the
     * script cannot be rendered here (a BGP password the stack keeps encrypted).
     */
    applyScript?: string;
    /** What confirms applyScript's change, over a second connection (render/device.ts confirmScript). */
    confirmScript?: string;
}

/** Which switches' BGP passwords the config holds in plain text (usable) and which only encrypted (`{ secure }`). */
export function configPasswords(config?: FabricConfig): {
    known: Record<string, string>;
    encrypted: string[];
} {
    const known: Record<string, string> = {};
    const encrypted: string[] = [];
    for (const s of [...(config?.spines ?? []), ...(config?.leafs ?? [])]) {
        if (typeof s?.bgpPassword === "string") known[s.name] = s.bgpPassword;
        else if (s?.bgpPassword !== undefined) encrypted.push(s.name);
    }
    return { known, encrypted };
}

/**
 * Every device whose FRR config bgp-fabric renders: managed spines and leafs,
 * and nodes with a router (router-on-host; in production the router DaemonSet
 * runs it, here its FRR is checked over SSH like a switch). Unmanaged
 * switches, external routers and calico-bgp nodes have no intended FRR text.
 */
export function driftDevices(
    plan: FabricPlan,
    config?: FabricConfig,
    only?: string[],
): DriftDevice[] {
    const { known, encrypted } = configPasswords(config);
    if (only) {
        const unknown = only.filter((n) => !plan.devices.some((d) => d.name === n));
        if (unknown.length)
            throw new Error(`no device ${unknown.join(", ")} in fabric ${plan.name}`);
    }
    const out: DriftDevice[] = [];
    for (const d of plan.devices) {
        if (only && !only.includes(d.name)) continue;
        if (!d.managed || d.role === "external") continue;
        const isSwitch = d.role === "spine" || d.role === "leaf";
        // A switch's sessions use its own password or its peer's: only those two matter for its text.
        const relevant = [d.name, ...d.neighbors.map((n) => n.device)];
        const passwords = peersPasswords(d, known);
        const opts = isSwitch && Object.keys(passwords).length ? { passwords } : {};
        const frr = renderDevice(plan, d.name, opts).frr;
        if (frr === undefined) continue;
        const passwordsUnknown = isSwitch && relevant.some((n) => encrypted.includes(n));
        const applyScript = passwordsUnknown
            ? undefined
            : isSwitch
              ? switchScripts(plan, d.name, opts)!.apply
              : frrApplyScript(plan, d.name, frr);
        out.push({
            name: d.name,
            role: d.role,
            platform: d.platform,
            intended: frr,
            ssh: d.mgmt && {
                host: d.mgmt.host,
                port: d.mgmt.port ?? DEFAULTS.sshPort,
                user: d.mgmt.user ?? config?.ssh?.user ?? DEFAULTS.sshUser,
                ...(d.mgmt.hostKey ? { hostKey: d.mgmt.hostKey } : {}),
                ...(d.mgmt.bastion ? { bastion: d.mgmt.bastion } : {}),
            },
            passwordsUnknown,
            ...(applyScript
                ? { applyScript, confirmScript: confirmScript(plan, d.name, frr) }
                : {}),
        });
    }
    return out;
}

/** The entries left out when a device's passwords are unknown. */
export const passwordEntry = (e: DiffEntry) => /\bpassword\b/.test(e.command);
export const PASSWORDS_UNKNOWN =
    "BGP password lines: the stack keeps the password encrypted ({ secure }) and drift renders without it; put the plaintext in a --config file kept off disk, or check them on the device";

/**
 * The command run on the device (POSIX sh, the SSH user's login shell), as the
 * platform's driver reads the running config: the intended text arrives on
 * stdin into a temp file, FRR's own frr-reload.py compares it with the running
 * config (`--test`: nothing is changed), the file is removed. Exit status:
 * frr-reload.py's (0 = compared), REMOTE_EXIT.DRIFT_TEMP_FILE when the temp
 * file cannot be written (render/platforms/driver.ts reloadTestCommand).
 */
export function remoteCheckCommand(platform: Platform): string {
    return driverFor(platform).driftCommand();
}

export interface SshOptions {
    /** --identity: the private key file. */
    identity?: string;
    /** --known-hosts: a known_hosts file to check host keys against (StrictHostKeyChecking yes). */
    knownHosts?: string;
    /** Seconds for one connection attempt. */
    connectTimeout?: number;
}

/**
 * `ssh` argv (without the program) for a device, plain mode: the user's ssh
 * config still applies (ProxyJump, agent), no prompt ever (BatchMode), a
 * pinned host key (mgmt.hostKey) is enforced through a known_hosts file the
 * caller writes (`pinnedHostsFile`).
 */
export function sshArgs(
    d: DriftDevice,
    opts: SshOptions,
    pinnedHostsFile?: string,
    remoteCommand = remoteCheckCommand(d.platform),
): string[] {
    if (!d.ssh) throw new Error(`${d.name}: no management address (mgmt.host) to connect to`);
    const args = [
        "-o",
        "BatchMode=yes",
        "-o",
        `ConnectTimeout=${opts.connectTimeout ?? 10}`,
        "-o",
        "LogLevel=ERROR",
    ];
    if (opts.identity) args.push("-i", opts.identity, "-o", "IdentitiesOnly=yes");
    const hosts = pinnedHostsFile ?? opts.knownHosts;
    if (hosts) args.push("-o", `UserKnownHostsFile=${hosts}`, "-o", "StrictHostKeyChecking=yes");
    if (d.ssh.bastion) args.push("-J", d.ssh.bastion);
    args.push("-p", String(d.ssh.port), `${d.ssh.user}@${d.ssh.host}`, remoteCommand);
    return args;
}

/** known_hosts lines for the devices that pin a host key. */
export function pinnedKnownHosts(devices: DriftDevice[]): string {
    return devices
        .filter((d) => d.ssh?.hostKey)
        .map(
            (d) =>
                `${d.ssh!.port === 22 ? d.ssh!.host : `[${d.ssh!.host}]:${d.ssh!.port}`} ${d.ssh!.hostKey}`,
        )
        .join("\n");
}

export function targetName(d: DriftDevice): string {
    return d.ssh ? `${d.ssh.user}@${d.ssh.host}:${d.ssh.port}` : "(no mgmt address)";
}

/** The remote command that runs a safe-apply script arriving on stdin. */
export const RUN_APPLY_SCRIPT = "bash -s";

/** How a node's router config is restored in production, where the router DaemonSet delivers it. */
export function nodeRestoreHint(node: string): string {
    return `kubectl -n ${ROUTER_NAMESPACE} delete pod --field-selector spec.nodeName=${node} (the router pod's init container copies the node's config from the ConfigMap)`;
}
