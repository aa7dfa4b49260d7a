// Where a lab lives and what its namespaces are called.
//
// Every lab owns one directory (state file, keys, per-device files) and one
// name prefix: every network namespace it creates is `<prefix><device>` (plus
// `<prefix>mgmt`), so leftovers of a crashed run are found by prefix alone.
// Two labs with different prefixes and directories can run side by side
// (e.g. the dev lab and the test suite's lab).

import * as path from "path";

export const DEFAULT_LAB_DIR = "/run/bgp-fabric-lab";
export const DEFAULT_PREFIX = "bgpf-";

/** Binaries the lab runs (Debian paths; FRR 8.4, BIRD 2, OpenSSH). */
export const BIN = {
    ip: "ip",
    nsenter: "nsenter",
    unshare: "unshare",
    frrDir: "/usr/lib/frr",
    vtysh: "vtysh",
    frrReload: "/usr/lib/frr/frr-reload.py",
    bird: "/usr/sbin/bird",
    birdc: "/usr/sbin/birdc",
    sshd: "/usr/sbin/sshd",
    ssh: "ssh",
    sshKeygen: "ssh-keygen",
    socat: "socat",
} as const;

/** FRR daemons every switch and node runs (no watchfrr: the lab supervises nothing, it is rebuilt instead). */
export const FRR_DAEMONS = ["zebra", "bgpd", "bfdd", "staticd"] as const;

/** Port the VIP responders listen on. */
export const VIP_PORT = 8080;

export interface LabLocation {
    /** Directory holding the state file, keys and per-device files. */
    dir: string;
    /** Name prefix of every network namespace (and of nothing else). */
    prefix: string;
}

export interface LabLocationOptions {
    dir?: string;
    prefix?: string;
}

export function labLocation(opts: LabLocationOptions = {}): LabLocation {
    const dir = path.resolve(opts.dir ?? process.env.BGP_FABRIC_LAB_DIR ?? DEFAULT_LAB_DIR);
    const prefix = opts.prefix ?? process.env.BGP_FABRIC_LAB_PREFIX ?? DEFAULT_PREFIX;
    if (!/^[a-z][a-z0-9]{1,10}-$/.test(prefix)) {
        throw new Error(
            `lab prefix '${prefix}' must be 2-11 lowercase letters/digits followed by '-' (e.g. bgpf-)`,
        );
    }
    if (dir === "/" || dir.split("/").filter(Boolean).length < 2) {
        throw new Error(`lab directory '${dir}' is too close to / (use e.g. ${DEFAULT_LAB_DIR})`);
    }
    return { dir, prefix };
}

export function nsName(loc: LabLocation, device: string): string {
    return `${loc.prefix}${device}`;
}

export function mgmtNsName(loc: LabLocation): string {
    return `${loc.prefix}mgmt`;
}

export function deviceDir(loc: LabLocation, device: string): string {
    return path.join(loc.dir, "dev", device);
}

export function sshDir(loc: LabLocation): string {
    return path.join(loc.dir, "ssh");
}

export function statePath(loc: LabLocation): string {
    return path.join(loc.dir, "state.json");
}

export function isLabNs(loc: LabLocation, ns: string): boolean {
    return ns.startsWith(loc.prefix) && ns.length > loc.prefix.length;
}
