// Session status: every planned session of every device, read from the device
// itself (FRR: `show bgp vrf default summary json`; BIRD: `birdc show
// protocols`) and compared with the plan's neighbors.

import { FabricPlan, PlannedDevice } from "../plan";
import { expectedSessions } from "../render/apply-script";
import { LabLocation } from "./env";
import { pool, sleep } from "./exec";
import { SPEAKER_ADDRESS, birdBgpStates, birdInstance, birdProtocolName } from "./bird";
import { bgpPeers } from "./frr";
import { birdRouter } from "./lab-plan";
import { LabState } from "./state";

export interface SessionStatus {
    neighbor: string;
    /** Interface (unnumbered) or address (numbered) of the session on this device. */
    via: string;
    state: string;
}

export interface DeviceStatus {
    device: string;
    role: string;
    asn: number;
    established: number;
    expected: number;
    sessions: SessionStatus[];
    /** Nodes: the MetalLB speaker stand-in's session to the node router (not a plan neighbor). */
    speaker?: string;
    error?: string;
}

function holderOf(st: LabState, device: string): number {
    const h = st.devices[device]?.holder;
    if (!h) throw new Error(`${device}: not part of the running lab`);
    return h.pid;
}

export async function deviceStatus(
    loc: LabLocation,
    st: LabState,
    plan: FabricPlan,
    d: PlannedDevice,
): Promise<DeviceStatus> {
    const base: DeviceStatus = {
        device: d.name,
        role: d.role,
        asn: d.asn,
        established: 0,
        expected: d.neighbors.length,
        sessions: [],
    };
    try {
        const holder = holderOf(st, d.name);
        if (d.role === "external" || birdRouter(plan, d)) {
            const states = await birdBgpStates(holder, birdInstance(loc, d.name, "bird"));
            base.sessions = d.neighbors.map((n) => ({
                neighbor: n.device,
                via: n.address ?? n.interface ?? "",
                state: states[birdProtocolName(n.device)] ?? "absent",
            }));
        } else {
            const peers = await bgpPeers(holder);
            // Keyed as FRR keys them (and as the apply script waits for them): interface or address, one per peer.
            base.sessions = expectedSessions(plan, d.name).map((x) => ({
                neighbor: x.peer,
                via: x.key,
                state: peers[x.key]?.state ?? "absent",
            }));
            // The speaker is a dynamic neighbor (bgp listen range) keyed by its address.
            if (d.role === "node" && plan.kubernetes.routing === "router-on-host")
                base.speaker = peers[SPEAKER_ADDRESS]?.state ?? "absent";
        }
        base.expected = base.sessions.length;
        base.established = base.sessions.filter((s) => s.state === "Established").length;
    } catch (e) {
        base.error = (e as Error).message.split("\n")[0];
    }
    return base;
}

export async function collectStatus(
    loc: LabLocation,
    st: LabState,
    plan: FabricPlan,
): Promise<DeviceStatus[]> {
    const devices = plan.devices.filter((d) => st.devices[d.name]);
    return pool(devices, 6, (d) => deviceStatus(loc, st, plan, d));
}

export function allEstablished(list: DeviceStatus[], withSpeakers = true): boolean {
    return list.every(
        (s) =>
            !s.error &&
            s.established === s.expected &&
            (!withSpeakers || s.speaker === undefined || s.speaker === "Established"),
    );
}

export function missingSessions(list: DeviceStatus[]): string[] {
    const out: string[] = [];
    for (const s of list) {
        if (s.error) out.push(`${s.device}: ${s.error}`);
        for (const x of s.sessions)
            if (x.state !== "Established")
                out.push(`${s.device} ${x.via} -> ${x.neighbor}: ${x.state}`);
        if (s.speaker !== undefined && s.speaker !== "Established")
            out.push(`${s.device} ${SPEAKER_ADDRESS} -> speaker: ${s.speaker}`);
    }
    return out;
}

/** Poll until every planned session (and every node's speaker session) is Established; returns the ms it took. */
export async function waitAllEstablished(
    loc: LabLocation,
    st: LabState,
    plan: FabricPlan,
    timeoutMs: number,
    withSpeakers = true,
): Promise<number> {
    const t0 = Date.now();
    let last: DeviceStatus[] = [];
    while (Date.now() - t0 < timeoutMs) {
        last = await collectStatus(loc, st, plan);
        if (allEstablished(last, withSpeakers)) return Date.now() - t0;
        await sleep(200);
    }
    const missing = missingSessions(last);
    throw new Error(
        `sessions not Established after ${timeoutMs} ms (${missing.length}):\n  ${missing.join("\n  ")}`,
    );
}

export function formatStatus(list: DeviceStatus[]): string {
    const rows = [["DEVICE", "ROLE", "ASN", "SESSIONS", "SPEAKER", "NOT ESTABLISHED"]];
    for (const s of list) {
        const down = s.error
            ? `error: ${s.error}`
            : s.sessions
                  .filter((x) => x.state !== "Established")
                  .map((x) => `${x.via}(${x.state})`)
                  .join(" ");
        rows.push([
            s.device,
            s.role,
            String(s.asn),
            `${s.established}/${s.expected}`,
            s.speaker ?? "-",
            down,
        ]);
    }
    const total = list.reduce((a, s) => a + s.established, 0);
    const expected = list.reduce((a, s) => a + s.expected, 0);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const lines = rows.map((r) =>
        r
            .map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c])))
            .join("  ")
            .trimEnd(),
    );
    lines.push(
        `session ends Established: ${total}/${expected} (each planned session counted at both ends)`,
    );
    return lines.join("\n");
}
