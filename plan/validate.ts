// Stage 1 of the planner, validate: the config judged field by field against
// the settings table (plan/settings-table.ts) — unknown keys, types, ranges,
// the syntax of every name, ASN, address, CIDR and port — and the
// fabric-wide settings resolved. Its output holds parsed, typed values only; a
// device with any problem is left out of every later stage (its name kept in
// `broken`, so nothing that refers to it is reported again).

import { BondConfig, FabricConfig, MgmtConfig, Platform } from "./config";
import { DEFAULTS } from "./defaults";
import {
    checkAddress,
    checkAsn,
    checkCidr,
    checkInt,
    checkName,
    checkPortRef,
    trailingNumber,
} from "./fields";
import { Cidr } from "./ipv4";
import { checkConfigKeys } from "./keys";
import { Problems } from "./problems";
import { PATTERNS, PLATFORM_VALUES, NODE_ROLE_VALUES, rangeOf } from "./settings-table";
import { Settings, oneOf, resolveSettings } from "./settings";
import { DeviceRole, PlannedBond, PlannedDevice, rackRouting } from "./types";

export interface PortRef {
    device: string;
    port: string;
    /** `nodes[0].uplinks[1]`: the config path for messages. */
    field: string;
}

/**
 * A device whose every field passed: pinned values parsed, defaults of its own fields filled in.
 */
export interface ValidDevice {
    name: string;
    role: DeviceRole;
    /** `leafs[2]`: the config path for messages. */
    field: string;
    /** Its `id`, or the number its name ends with. */
    slot?: number;
    /** Whether the slot is a pinned `id` (messages name the field it came from). */
    pinnedId: boolean;
    managed: boolean;
    /** `maintenance: true` (drained); false when absent. */
    maintenance: boolean;
    platform: Platform;
    nodeRole?: "control-plane" | "worker";
    mgmt?: NonNullable<PlannedDevice["mgmt"]>;
    asn?: number;
    loopback?: number;
    rackSubnet?: Cidr;
    address?: number;
    gateway?: number;
    /** The config text of each pinned value, for messages (`loopback`, `rackSubnet`, …). */
    text: Record<string, string>;
    /** Nodes: the bond, its members filled in by topology. */
    bond?: PlannedBond;
    /** Nodes: `leaf:port` per uplink; external routers: `switch:port` per link. */
    ports: PortRef[];
}

export interface ValidConfig {
    settings: Settings;
    /** Spines, leafs, nodes, external routers, each in config order. */
    devices: ValidDevice[];
    /** Names of devices left out for their problems. */
    broken: Set<string>;
    /** `fabric:links` as given (undefined: default cabling), each pair's ends parsed. */
    links?: { field: string; ends: [PortRef, PortRef] }[];
    config: FabricConfig;
}

const LISTS: [DeviceRole, "spines" | "leafs" | "nodes" | "externalRouters"][] = [
    ["spine", "spines"],
    ["leaf", "leafs"],
    ["node", "nodes"],
    ["external", "externalRouters"],
];

export function validate(p: Problems, config: unknown): ValidConfig {
    if (typeof config !== "object" || config === null) {
        p.add("", "the fabric config is missing");
        p.throwIfAny();
    }
    const c = config as FabricConfig;
    checkConfigKeys(p, c as unknown as Record<string, unknown>);
    const settings = resolveSettings(p, c);
    const devices: ValidDevice[] = [];
    const broken = new Set<string>();
    for (const [role, key] of LISTS) {
        const list: unknown = c[key] ?? [];
        if (!Array.isArray(list)) {
            p.add(key, "must be a list");
            continue;
        }
        if (role === "leaf" && list.length === 0) p.add(key, "at least one leaf is required");
        list.forEach((d: unknown, i: number) => {
            const before = p.errors.length;
            const device = validDevice(p, c, settings, role, `${key}[${i}]`, d);
            if (device && p.errors.length === before) devices.push(device);
            else if (device) broken.add(device.name);
        });
    }
    return { settings, devices, broken, links: validLinks(p, c), config: c };
}

/** One device's fields; undefined when it has no usable name. */
function validDevice(
    p: Problems,
    c: FabricConfig,
    s: Settings,
    role: DeviceRole,
    field: string,
    raw: unknown,
): ValidDevice | undefined {
    if (typeof raw !== "object" || raw === null) {
        p.add(field, "must be an object with at least a name");
        return undefined;
    }
    const d = raw as Record<string, any>;
    if (!checkName(p, `${field}.name`, d.name)) return undefined;
    const [minId, maxId] = rangeOf(`${LISTS.find(([r]) => r === role)![1]}[].id`);
    const slot =
        d.id !== undefined
            ? checkInt(p, `${field}.id`, d.id, minId, maxId)
            : trailingNumber(d.name);
    const managed = role === "external" ? false : (d.managed ?? true);
    if (typeof managed !== "boolean") p.add(`${field}.managed`, "must be true or false");
    const maintenance = role === "external" ? false : (d.maintenance ?? false);
    if (typeof maintenance !== "boolean") p.add(`${field}.maintenance`, "must be true or false");
    const platform = d.platform ?? "frr";
    if (!PLATFORM_VALUES.includes(platform)) {
        p.add(
            `${field}.platform`,
            `${JSON.stringify(platform)} must be one of ${PLATFORM_VALUES.join(", ")}`,
        );
    }
    if (role === "node" && d.role !== undefined && !NODE_ROLE_VALUES.includes(d.role)) {
        p.add(`${field}.role`, `${JSON.stringify(d.role)} must be ${oneOf(NODE_ROLE_VALUES)}`);
    }
    const device: ValidDevice = {
        name: d.name,
        role,
        field,
        slot,
        pinnedId: d.id !== undefined,
        managed: managed === true,
        maintenance: maintenance === true,
        platform,
        nodeRole: role === "node" ? (d.role ?? "worker") : undefined,
        mgmt: role === "external" ? undefined : checkMgmt(p, `${field}.mgmt`, d.mgmt, managed, c),
        text: {},
        ports: [],
    };
    pinnedValues(p, device, d);
    if (role === "node") {
        device.ports = portRefs(
            p,
            `${field}.uplinks`,
            d.uplinks,
            `node '${d.name}' needs at least one uplink ('leaf:port')`,
        );
        device.bond = checkBond(p, s, field, d.bond);
    }
    if (role === "external") {
        if (d.asn === undefined) p.add(`${field}.asn`, "is required for an external router");
        if (d.loopback === undefined)
            p.add(`${field}.loopback`, "is required for an external router (its router-id)");
        device.ports = portRefs(
            p,
            `${field}.links`,
            d.links,
            "an external router needs at least one link ('spine:port')",
        );
    }
    return device;
}

/**
 * The values a device may pin, parsed: asn, loopback and (leafs, nodes) its rack subnet, address,
 * gateway.
 */
function pinnedValues(p: Problems, device: ValidDevice, d: Record<string, any>): void {
    const { field } = device;
    if (d.asn !== undefined) device.asn = checkAsn(p, `${field}.asn`, d.asn);
    const address = (key: "loopback" | "address" | "gateway") => {
        if (d[key] === undefined) return;
        device.text[key] = String(d[key]);
        device[key] = checkAddress(p, `${field}.${key}`, d[key]);
    };
    address("loopback");
    if (device.role === "leaf" || device.role === "node") address("address");
    if (device.role === "leaf") address("gateway");
    if (device.role === "leaf" && d.rackSubnet !== undefined) {
        device.text.rackSubnet = String(d.rackSubnet);
        device.rackSubnet = checkCidr(p, `${field}.rackSubnet`, d.rackSubnet);
    }
}

/**
 * `leaf:port` references (uplinks, an external router's links): a non-empty list of well-formed
 * ones.
 */
function portRefs(p: Problems, field: string, refs: unknown, missing: string): PortRef[] {
    if (!Array.isArray(refs) || refs.length === 0) {
        p.add(field, missing);
        return [];
    }
    const out: PortRef[] = [];
    refs.forEach((ref, i) => {
        const r = checkPortRef(p, `${field}[${i}]`, ref);
        if (r) out.push({ ...r, field: `${field}[${i}]` });
    });
    return out;
}

/**
 * `fabric:links`: pairs of well-formed port references; a malformed pair is reported and left out.
 */
function validLinks(p: Problems, c: FabricConfig): ValidConfig["links"] {
    if (c.links === undefined) return undefined;
    if (!Array.isArray(c.links)) {
        p.add("links", 'must be a list of ["spine:port", "leaf:port"] pairs');
        return [];
    }
    const out: NonNullable<ValidConfig["links"]> = [];
    c.links.forEach((link, i) => {
        const field = `links[${i}]`;
        if (!Array.isArray(link) || link.length !== 2)
            return p.add(field, 'must be a pair ["spine:port", "leaf:port"]');
        const ends = link.map((ref, j) => {
            const r = checkPortRef(p, `${field}[${j}]`, ref);
            return r && { ...r, field: `${field}[${j}]` };
        });
        if (ends[0] && ends[1]) out.push({ field, ends: [ends[0], ends[1]] });
    });
    return out;
}

const HOST = new RegExp(PATTERNS.host);

function checkMgmt(
    p: Problems,
    field: string,
    m: MgmtConfig | undefined,
    managed: unknown,
    c: FabricConfig,
): ValidDevice["mgmt"] {
    if (m === undefined) {
        if (managed)
            p.add(
                `${field}.host`,
                "is required for a managed device (where its configuration is pushed over SSH)",
            );
        return undefined;
    }
    if (typeof m.host !== "string" || !HOST.test(m.host)) {
        p.add(`${field}.host`, `${JSON.stringify(m.host)} is not an address or host name`);
        return undefined;
    }
    const [min, max] = rangeOf("leafs[].mgmt.port");
    const port =
        m.port === undefined
            ? (c.ssh?.port ?? DEFAULTS.sshPort)
            : (checkInt(p, `${field}.port`, m.port, min, max) ?? DEFAULTS.sshPort);
    return {
        host: m.host,
        port,
        user: m.user ?? c.ssh?.user,
        hostKey: m.hostKey,
        bastion: m.bastion ?? c.ssh?.bastion,
    };
}

/**
 * A node's bond (`bond: { name: bond0, vlan: 1500 }`): rack modes only, Linux names, VLAN 1–4094.
 * Members come from topology.
 */
function checkBond(
    p: Problems,
    s: Settings,
    node: string,
    bond: BondConfig | undefined,
): PlannedBond | undefined {
    if (bond === undefined) return undefined;
    const field = `${node}.bond`;
    if (typeof bond !== "object" || bond === null || Array.isArray(bond)) {
        p.add(field, "must be an object such as { name: bond0, vlan: 1500 }");
        return undefined;
    }
    if (!rackRouting(s.routing)) {
        p.add(
            field,
            "a bond carries the node's address in its rack subnet (kubernetes.routing: calico-bgp or metallb-bgp); " +
                "with router-on-host every uplink is its own unnumbered session",
        );
        return undefined;
    }
    const name = bond.name ?? "bond0";
    const [min, max] = rangeOf("nodes[].bond.vlan");
    const vlan =
        bond.vlan === undefined ? undefined : checkInt(p, `${field}.vlan`, bond.vlan, min, max);
    if (bond.vlan !== undefined && vlan === undefined) return undefined;
    const iface = vlan === undefined ? name : `${name}.${vlan}`;
    if (typeof name !== "string" || !/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(iface)) {
        p.add(
            `${field}.name`,
            `${JSON.stringify(iface)} is not a Linux interface name ` +
                "(a letter, then up to 14 letters, digits, '_', '.', '-', VLAN suffix included)",
        );
        return undefined;
    }
    if (/^eth\d+$/.test(name)) {
        p.add(
            `${field}.name`,
            `'${name}' is the name of an uplink (eth1, eth2, … in uplink order); name the bond e.g. bond0`,
        );
        return undefined;
    }
    return { name, members: [], ...(vlan !== undefined ? { vlan } : {}), interface: iface };
}

/**
 * The validate stage alone, for a config read from somewhere untyped (the
 * Pulumi engine's `fabric:*` keys): the config as a FabricConfig, or a
 * FabricConfigError naming every offending field (`fabric:leafs[2].asn: …`).
 */
export function checkFabricConfig(raw: unknown): FabricConfig {
    const p = new Problems();
    validate(p, raw);
    p.throwIfAny();
    return raw as FabricConfig;
}
