// One FRR 8.4 instance per switch and node: zebra, bgpd, bfdd and staticd,
// started inside the device (its /etc/frr and /run/frr are its own), the
// integrated config loaded with `vtysh -b` the way frrinit.sh does it.

import * as fs from "fs";
import * as path from "path";
import { FRR_VERSION } from "../render/frr-common";
import { BIN, FRR_DAEMONS, LabLocation, deviceDir } from "./env";
import { bashInDevice, inDevice, writeFileAtomic } from "./exec";
import { frrIds } from "./netns";
import { LabProcess, describeProcess } from "./state";

const DAEMON_OPTS: Record<string, string> = {
    zebra: "-A 127.0.0.1 -s 90000000",
    bgpd: "-A 127.0.0.1",
    bfdd: "-A 127.0.0.1",
    staticd: "-A 127.0.0.1",
};

/** /etc/frr/daemons as frrinit.sh and frr-reload.py expect it. */
export function daemonsFile(): string {
    const lines = ["# bgp-fabric lab: the daemons this device runs", "zebra=yes"];
    for (const d of [
        "bgpd",
        "ospfd",
        "ospf6d",
        "ripd",
        "ripngd",
        "isisd",
        "pimd",
        "ldpd",
        "nhrpd",
        "eigrpd",
        "babeld",
        "sharpd",
        "pbrd",
        "bfdd",
        "fabricd",
        "vrrpd",
        "pathd",
    ]) {
        lines.push(`${d}=${(FRR_DAEMONS as readonly string[]).includes(d) ? "yes" : "no"}`);
    }
    lines.push("staticd=yes", "vtysh_enable=yes", "watchfrr_enable=no");
    for (const d of FRR_DAEMONS) lines.push(`${d}_options="${DAEMON_OPTS[d]}"`);
    return lines.join("\n") + "\n";
}

/** The config FRR starts with when the real one is pushed later over SSH (`lab up --apply`). */
export function emptyFrrConfig(hostname: string): string {
    return [
        `frr version ${FRR_VERSION}`,
        "frr defaults datacenter",
        `hostname ${hostname}`,
        "log file /var/log/frr/frr.log informational",
        "service integrated-vtysh-config",
        "!",
        "",
    ].join("\n");
}

/** Write the device's /etc/frr (daemons, vtysh.conf, frr.conf). */
export function writeFrrFiles(loc: LabLocation, device: string, frrConf: string): void {
    const etc = path.join(deviceDir(loc, device), "etc-frr");
    const { uid, gid } = frrIds();
    const files: [string, string, number][] = [
        ["daemons", daemonsFile(), 0o640],
        ["vtysh.conf", "service integrated-vtysh-config\n", 0o640],
        ["frr.conf", frrConf, 0o640],
    ];
    for (const [name, text, mode] of files) {
        const f = path.join(etc, name);
        writeFileAtomic(f, text, mode);
        fs.chownSync(f, uid, gid);
    }
}

/** Start the daemons inside the device and load /etc/frr/frr.conf; returns their processes. */
export async function startFrr(holderPid: number, device: string): Promise<LabProcess[]> {
    const starts = FRR_DAEMONS.map(
        (d) =>
            `${BIN.frrDir}/${d} -d -F traditional ${DAEMON_OPTS[d]} --log file:/var/log/frr/${d}.log`,
    );
    const script = [
        "set -e",
        ...starts,
        // Integrated config, as frrinit.sh loads it; its output is the daemons' own error text.
        `if ! ${BIN.vtysh} -b >/var/log/frr/vtysh-boot.log 2>&1; then echo "vtysh -b failed:" >&2; cat /var/log/frr/vtysh-boot.log >&2; fi`,
        ...FRR_DAEMONS.map((d) => `echo ${d}=$(cat /run/frr/${d}.pid)`),
    ].join("\n");
    const r = await bashInDevice(holderPid, script, { timeoutMs: 30_000, check: false });
    const procs: LabProcess[] = [];
    for (const m of r.stdout.matchAll(/^(\w+)=(\d+)$/gm))
        procs.push(describeProcess(Number(m[2]), device, m[1]));
    if (r.code !== 0 || procs.length !== FRR_DAEMONS.length) {
        const err = new Error(
            `${device}: FRR did not start: ${r.stderr.trim() || r.stdout.trim()}`,
        ) as Error & { procs?: LabProcess[] };
        err.procs = procs;
        throw err;
    }
    if (r.stderr.includes("vtysh -b failed")) {
        const err = new Error(
            `${device}: FRR rejected its config:\n${r.stderr.trim()}`,
        ) as Error & { procs?: LabProcess[] };
        err.procs = procs;
        throw err;
    }
    return procs;
}

/** `vtysh -c CMD` inside a device, parsed as JSON. */
export async function vtyshJson<T = unknown>(
    holderPid: number,
    cmd: string,
    timeoutMs = 10_000,
): Promise<T> {
    const r = await inDevice(holderPid, [BIN.vtysh, "-c", cmd], { timeoutMs });
    try {
        return JSON.parse(r.stdout) as T;
    } catch {
        throw new Error(`vtysh -c '${cmd}': not JSON: ${r.stdout.slice(0, 200)}`);
    }
}

export interface BgpPeerSummary {
    state: string;
    hostname?: string;
    remoteAs?: number;
    pfxRcd?: number;
}

/** Peers from `show bgp vrf default summary json`, keyed by neighbor (interface name or address), merged over address families. */
export async function bgpPeers(holderPid: number): Promise<Record<string, BgpPeerSummary>> {
    const j = await vtyshJson<Record<string, { peers?: Record<string, BgpPeerSummary> }>>(
        holderPid,
        "show bgp vrf default summary json",
    );
    const peers: Record<string, BgpPeerSummary> = {};
    for (const af of Object.values(j ?? {})) {
        if (!af || typeof af !== "object" || !af.peers) continue;
        for (const [k, v] of Object.entries(af.peers)) {
            if (!peers[k] || v.state === "Established") peers[k] = v;
        }
    }
    return peers;
}
