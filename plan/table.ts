// The plan as a person reads it: device table, sessions, pools.

import { FabricPlan, SessionEnd } from "./types";

export function formatPlanTable(plan: FabricPlan): string {
    const count = (role: string) => plan.devices.filter((d) => d.role === role).length;
    const lines = [
        `Fabric ${plan.name}: ${count("spine")} spines, ${count("leaf")} leafs, ${count("node")} nodes, ${count("external")} external` +
            ` · routing ${plan.kubernetes.routing} · links ${plan.addressing.links}`,
        "",
    ];
    const rows = plan.devices.map((d) => [
        d.name,
        d.role + (d.managed ? "" : " (unmanaged)"),
        String(d.asn),
        d.loopback,
        (d.address ? `${d.address} in ${d.rackSubnet}` : (d.rackSubnet ?? "")) +
            (d.gateway ? ` gw ${d.gateway}` : ""),
        bonded(
            d,
            d.interfaces
                .filter((i) =>
                    d.role === "leaf"
                        ? i.kind === "fabric"
                        : d.role === "node" || d.role === "external",
                )
                .map((i) => `${i.name}→${i.peer.device}:${i.peer.port}`)
                .join(" "),
        ),
    ]);
    lines.push(...columns([["DEVICE", "ROLE", "ASN", "LOOPBACK", "RACK", "UPLINKS"], ...rows]), "");
    lines.push(`SESSIONS (${plan.sessions.length})`);
    const end = (e: SessionEnd) => `${e.device} ${e.address ?? e.interface} AS${e.asn}`;
    lines.push(
        ...columns(plan.sessions.map((s) => [end(s.a), "↔", end(s.b), s.kind, s.bfd ? "bfd" : ""])),
        "",
    );
    lines.push(`POOLS (${plan.pools.length})`);
    for (const p of plan.pools) {
        const vips = Object.entries(p.vips)
            .map(([n, v]) => `${n}=${v}`)
            .join(" ");
        lines.push(`${p.name} ${p.cidr}${vips ? "  " + vips : ""}`);
    }
    lines.push(
        "",
        `kubernetes: pods ${plan.kubernetes.podCidr} (/${plan.kubernetes.blockSize} blocks) · services ${plan.kubernetes.serviceCidr}`,
    );
    return lines.join("\n") + "\n";
}

/** A bonded node's uplinks as `bond0.1500[eth1→… eth2→…]`. */
function bonded(d: FabricPlan["devices"][number], uplinks: string): string {
    return d.bond ? `${d.bond.interface}[${uplinks}]` : uplinks;
}

function columns(rows: string[][]): string[] {
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
    return rows.map((r) =>
        r
            .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
            .join("  ")
            .trimEnd(),
    );
}
