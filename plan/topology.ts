// Stage 3 of the planner, topology: the cabling. Fabric links (spine ↔ leaf,
// default or listed), external links (switch ↔ external router) and server
// links (leaf ↔ node), each port claimed once. No ASN or address is needed
// here; a cable becomes interfaces and a session in the sessions stage.

import { DEFAULTS } from "./defaults";
import { checkLinuxPort, naturalCompare } from "./fields";
import { Problems } from "./problems";
import { SlottedDevice } from "./slots";
import { LinkKind } from "./types";
import { PortRef, ValidConfig } from "./validate";

export interface CableEnd {
    device: SlottedDevice;
    port: string;
}

export interface Cable {
    a: CableEnd;
    b: CableEnd;
    kind: LinkKind;
    /** External links: the config path of the link and its index in the router's list. */
    field?: string;
    index?: number;
}

export interface Topology {
    devices: SlottedDevice[];
    /**
     * Fabric cables (by spine slot, name, port), then external ones, then server ones (by node,
     * uplink order).
     */
    cables: Cable[];
    /** Each node's leafs, in uplink order. */
    uplinks: Map<SlottedDevice, SlottedDevice[]>;
}

interface Context {
    p: Problems;
    v: ValidConfig;
    byName: Map<string, SlottedDevice>;
    ports: PortRegistry;
    /**
     * Devices whose missing fabric links are not reported (no slot for default cabling, or a peer
     * left out).
     */
    quiet: Set<SlottedDevice>;
}

export function buildTopology(p: Problems, v: ValidConfig, devices: SlottedDevice[]): Topology {
    const ctx: Context = {
        p,
        v,
        byName: new Map(devices.map((d) => [d.name, d])),
        ports: new PortRegistry(p),
        quiet: new Set(),
    };
    const fabric = fabricCables(ctx, devices);
    const external = externalCables(ctx, devices);
    const uplinks = new Map<SlottedDevice, SlottedDevice[]>();
    const server = serverCables(ctx, devices, uplinks);
    reportUncabled(ctx, devices, fabric);
    return { devices, cables: [...fabric, ...external, ...server], uplinks };
}

/** Claims each device port once, naming where it was first used. */
class PortRegistry {
    private used = new Map<string, string>();
    constructor(private p: Problems) {}
    claim(field: string, device: string, port: string): boolean {
        const key = `${device}:${port}`;
        const other = this.used.get(key);
        if (other) {
            this.p.add(field, `port ${key} is already used by ${other}`);
            return false;
        }
        this.used.set(key, field);
        return true;
    }
}

/**
 * The device a port reference names, if it has one of `roles`; a device left
 * out for its own problems is skipped without another message.
 */
function resolve(
    ctx: Context,
    ref: PortRef,
    roles: string[],
    what: string,
): SlottedDevice | undefined | null {
    const device = ctx.byName.get(ref.device);
    if (device && roles.includes(device.role)) {
        return device.managed && !checkLinuxPort(ctx.p, ref.field, device.name, ref.port)
            ? undefined
            : device;
    }
    if (!device && ctx.v.broken.has(ref.device)) return null;
    ctx.p.add(ref.field, `'${ref.device}' is not ${what} of this fabric`);
    return undefined;
}

function fabricCables(ctx: Context, devices: SlottedDevice[]): Cable[] {
    const cables = ctx.v.links === undefined ? defaultCabling(ctx, devices) : listedCabling(ctx);
    cables.sort(
        (x, y) =>
            (x.a.device.slot ?? 0) - (y.a.device.slot ?? 0) ||
            naturalCompare(x.a.device.name, y.a.device.name) ||
            naturalCompare(x.a.port, y.a.port),
    );
    return cables;
}

/**
 * Every leaf to every spine, Cumulus port names by ordinal (a zero-based leaf0
 * is on swp1). A device without a slot is left out, and said so once.
 */
function defaultCabling(ctx: Context, devices: SlottedDevice[]): Cable[] {
    const cabled = (d: SlottedDevice) => {
        if (d.ordinal !== undefined) return true;
        ctx.quiet.add(d);
        ctx.p.add(
            `${d.field}.name`,
            `'${d.name}' ends with no number to derive its port names from; pin ${d.field}.id or list fabric:links`,
        );
        return false;
    };
    const spines = devices.filter((d) => d.role === "spine").filter(cabled);
    const cables: Cable[] = [];
    for (const leaf of devices.filter((d) => d.role === "leaf").filter(cabled)) {
        for (const spine of spines) {
            const spinePort = `swp${leaf.ordinal}`;
            const leafPort = `swp${DEFAULTS.ports.leafUplinkBase + spine.ordinal!}`;
            if (
                !ctx.ports.claim(`${spine.field}`, spine.name, spinePort) ||
                !ctx.ports.claim(`${leaf.field}`, leaf.name, leafPort)
            )
                continue;
            cables.push({
                a: { device: spine, port: spinePort },
                b: { device: leaf, port: leafPort },
                kind: "fabric",
            });
        }
    }
    return cables;
}

/** `fabric:links`: each pair joins one spine and one leaf of this fabric. */
function listedCabling(ctx: Context): Cable[] {
    const cables: Cable[] = [];
    for (const { field, ends } of ctx.v.links!) {
        const found = ends.map((e) => resolve(ctx, e, ["spine", "leaf"], "a spine or leaf"));
        if (found.includes(null)) {
            // A device left out for its own problems: its peer's missing links are not reported
            // either.
            for (const d of found) if (d) ctx.quiet.add(d);
            continue;
        }
        if (!found[0] || !found[1]) continue;
        const spine = found.findIndex((d) => d!.role === "spine");
        const leaf = found.findIndex((d) => d!.role === "leaf");
        if (spine < 0 || leaf < 0) {
            ctx.p.add(field, "a fabric link joins one spine and one leaf");
            continue;
        }
        const [s, l] = [ends[spine], ends[leaf]];
        if (
            !ctx.ports.claim(s.field, s.device, s.port) ||
            !ctx.ports.claim(l.field, l.device, l.port)
        )
            continue;
        cables.push({
            a: { device: found[spine]!, port: s.port },
            b: { device: found[leaf]!, port: l.port },
            kind: "fabric",
        });
    }
    return cables;
}

/** Each external router's links, its side eth1, eth2, … in list order. */
function externalCables(ctx: Context, devices: SlottedDevice[]): Cable[] {
    const cables: Cable[] = [];
    for (const ext of devices.filter((d) => d.role === "external")) {
        ext.ports.forEach((ref, i) => {
            const sw = resolve(ctx, ref, ["spine", "leaf"], "a spine or leaf");
            if (!sw) return;
            const extPort = `eth${i + 1}`;
            if (
                !ctx.ports.claim(ref.field, sw.name, ref.port) ||
                !ctx.ports.claim(ref.field, ext.name, extPort)
            )
                return;
            cables.push({
                a: { device: sw, port: ref.port },
                b: { device: ext, port: extPort },
                kind: "external",
                field: ref.field,
                index: i,
            });
        });
    }
    return cables;
}

/** Each node's uplinks, its side eth1, eth2, … in uplink order; a bond takes them all. */
function serverCables(
    ctx: Context,
    devices: SlottedDevice[],
    uplinks: Topology["uplinks"],
): Cable[] {
    const cables: Cable[] = [];
    for (const node of devices.filter((d) => d.role === "node")) {
        const mine: Cable[] = [];
        node.ports.forEach((ref, i) => {
            const leaf = resolve(ctx, ref, ["leaf"], "a leaf");
            if (!leaf || !ctx.ports.claim(ref.field, leaf.name, ref.port)) return;
            mine.push({
                a: { device: leaf, port: ref.port },
                b: { device: node, port: `eth${i + 1}` },
                kind: "server",
            });
        });
        uplinks.set(
            node,
            mine.map((c) => c.a.device),
        );
        if (node.bond) node.bond = { ...node.bond, members: mine.map((c) => c.b.port) };
        cables.push(...mine);
    }
    return cables;
}

/**
 * A fabric with no spine of ours (leafs only, or leafs and external routers) has no fabric links to
 * miss.
 */
function reportUncabled(ctx: Context, devices: SlottedDevice[], fabric: Cable[]): void {
    const linked = new Set(fabric.flatMap((c) => [c.a.device, c.b.device]));
    const hasSpines = devices.some((d) => d.role === "spine" && !ctx.quiet.has(d));
    const hasLeafs = devices.some((d) => d.role === "leaf" && !ctx.quiet.has(d));
    for (const d of devices) {
        if (!d.managed || ctx.quiet.has(d) || linked.has(d)) continue; // someone else's switch: cabled as they say
        if (d.role === "leaf" && hasSpines)
            ctx.p.add(`${d.field}`, `leaf '${d.name}' has no link to any spine`);
        if (d.role === "spine" && hasLeafs)
            ctx.p.add(`${d.field}`, `spine '${d.name}' has no link to any leaf`);
    }
}
