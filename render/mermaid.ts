// The fabric as a Mermaid `graph TD`: external routers on top, then spines,
// leafs and nodes, each box with its name and ASN, one edge per cable
// labelled with the ports at both ends. Unmanaged devices are dashed.

import { FabricPlan, PlannedDevice, SessionEnd } from "../plan";

const TIERS: [PlannedDevice["role"], string][] = [
    ["external", "External routers"],
    ["spine", "Spines"],
    ["leaf", "Leafs"],
    ["node", "Kubernetes nodes"],
];

/** Device names are [a-z0-9-]; Mermaid ids must avoid '-' and keywords such as `end`. */
function id(name: string): string {
    return `d_${name.replace(/-/g, "_")}`;
}

/** The port a session runs on (numbered sessions name only addresses: find the cable). */
function port(plan: FabricPlan, end: SessionEnd, peer: string): string {
    if (end.interface) return end.interface;
    const cable = plan.devices
        .find((d) => d.name === end.device)
        ?.interfaces.find((i) => i.peer.device === peer);
    return cable?.name ?? end.address ?? "?";
}

export function renderMermaid(plan: FabricPlan): string {
    const out = ["graph TD", `  %% fabric ${plan.name}, rendered by bgp-fabric`];
    for (const [role, title] of TIERS) {
        const devices = plan.devices.filter((d) => d.role === role);
        if (!devices.length) continue;
        out.push(`  subgraph tier_${role}["${title}"]`);
        for (const d of devices) {
            const label = [d.name, `AS ${d.asn}`, d.loopback].join("<br/>");
            out.push(
                role === "external"
                    ? `    ${id(d.name)}(["${label}"])`
                    : `    ${id(d.name)}["${label}"]`,
            );
        }
        out.push("  end");
    }
    const rank = (name: string) =>
        TIERS.findIndex(([r]) => r === plan.devices.find((d) => d.name === name)?.role);
    for (const s of plan.sessions) {
        // The upper tier first, so the layout runs top to bottom.
        const [up, down] = rank(s.a.device) <= rank(s.b.device) ? [s.a, s.b] : [s.b, s.a];
        const ports = `${port(plan, up, down.device)} – ${port(plan, down, up.device)}`;
        out.push(`  ${id(up.device)} ---|"${ports}"| ${id(down.device)}`);
    }
    const unmanaged = plan.devices.filter((d) => !d.managed).map((d) => id(d.name));
    out.push("  classDef unmanaged stroke-dasharray: 5 5");
    if (unmanaged.length) out.push(`  class ${unmanaged.join(",")} unmanaged`);
    return out.join("\n") + "\n";
}
