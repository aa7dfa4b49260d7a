// Fabric-wide settings: the config's top-level knobs, checked against the
// settings table (plan/settings-table.ts: type, range) and with its defaults
// (RFC 7938) filled in where absent or refused. Address ranges stay parsed for
// allocation.

import { FabricConfig, KubernetesConfig } from "./config";
import { DEFAULTS, UPSTREAM_MANIFESTS } from "./defaults";
import { checkAsn, checkCidr, checkInt } from "./fields";
import { Cidr, formatCidr, parseAddress, toCidr } from "./ipv4";
import { Problems } from "./problems";
import {
    ENCAPSULATION_VALUES,
    NUMBERING_VALUES,
    PATTERNS,
    ROLLOUT_VALUES,
    ROUTING_VALUES,
    defaultOf,
    keysOf,
    rangeOf,
    setting,
} from "./settings-table";
import { CalicoOverlay, PlannedKubernetes, Rollout, Routing } from "./types";

export interface Settings {
    name: string;
    spineAsn: number | "unique";
    spineBase: number;
    leafBase: number;
    nodeBase: number;
    loopbacks?: Cidr;
    nodeLoopbacks?: Cidr;
    /** undefined: unnumbered. */
    links?: Cidr;
    rackSubnets?: Cidr;
    /** Where carving rack subnets starts: `10.0.100.0/17` starts at 10.0.100.0 inside 10.0.0.0/17 (DESIGN.md's own example). */
    rackStart?: number;
    rackPrefixLength: number;
    /** Per role: true when its slots count from 0 (`fabric:numbering`); a device's ordinal is then slot + 1. */
    zeroBased: Record<"spine" | "leaf" | "node" | "external", boolean>;
    leafLoopbackOffset: number;
    linkSlotsPerLeaf: number;
    externalLinks?: Cidr;
    routing: Routing;
    podCidr?: Cidr;
    serviceCidr?: Cidr;
    kubernetes: PlannedKubernetes;
    bgp: {
        bfd: boolean;
        bfdInterval: number;
        bfdMultiplier: number;
        maximumPaths: number;
        keepalive: number;
        holdtime: number;
        maximumPrefixHeadroom: number;
        maximumPrefixMinimum: number;
        maximumPrefixRestart: number;
        gracefulRestart: boolean;
        gracefulRestartTime: number;
        ttlSecurity: boolean;
    };
    convergeTimeout: number;
    confirmWindow: number;
    waveSize: number;
    rollout: Rollout;
    /** The config text of each range, for the plan and for messages. */
    text: Record<string, string>;
}

type Block = Record<string, unknown>;

/** The value at a dotted path of the config (`bgp.maximumPaths`); a block that is no object has none. */
function valueAt(c: FabricConfig, key: string): unknown {
    let v: unknown = c;
    for (const part of key.split(".")) v = isObject(v) ? v[part] : undefined;
    return v;
}

function isObject(v: unknown): v is Block {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An integer setting: its value within the table's range, else the table's default (the problem recorded). */
function intSetting(p: Problems, c: FabricConfig, key: string): number {
    const v = valueAt(c, key);
    const fallback = defaultOf<number>(key);
    if (v === undefined) return fallback;
    const [min, max] = rangeOf(key);
    return checkInt(p, key, v, min, max) ?? fallback;
}

/** A boolean setting, else the table's default. */
function boolSetting(p: Problems, c: FabricConfig, key: string): boolean {
    const v = valueAt(c, key);
    if (v === undefined) return defaultOf<boolean>(key);
    if (typeof v !== "boolean") {
        p.add(key, "must be true or false");
        return defaultOf<boolean>(key);
    }
    return v;
}

/** A string setting (a version, an image, a path), else the table's default if it has one. */
function stringSetting(p: Problems, c: FabricConfig, key: string): string | undefined {
    const v = valueAt(c, key);
    if (v === undefined) return setting(key).default as string | undefined;
    if (typeof v !== "string") {
        p.add(key, `${JSON.stringify(v)} must be a string`);
        return setting(key).default as string | undefined;
    }
    return v;
}

/** One of a setting's values, else the table's default. */
function enumSetting<T extends string>(
    p: Problems,
    c: FabricConfig,
    key: string,
    values: readonly T[],
): T {
    const v = valueAt(c, key);
    if (v === undefined) return defaultOf<T>(key);
    if (!(values as readonly unknown[]).includes(v)) {
        p.add(key, `${JSON.stringify(v)} must be ${oneOf(values)}`);
        return defaultOf<T>(key);
    }
    return v as T;
}

/** An ASN setting, else the table's default. */
function asnSetting(p: Problems, c: FabricConfig, key: string): number {
    const v = valueAt(c, key);
    return v === undefined
        ? defaultOf<number>(key)
        : (checkAsn(p, key, v) ?? defaultOf<number>(key));
}

/** The fabric-wide blocks that must be objects when present. */
const BLOCKS = ["asn", "addressing", "kubernetes", "bgp", "apply", "ssh"] as const;

export function resolveSettings(p: Problems, c: FabricConfig): Settings {
    for (const block of BLOCKS) {
        const v = (c as unknown as Block)[block];
        if (v !== undefined && !isObject(v))
            p.add(block, `must be an object of keys (${keysOf(block).join(", ")})`);
    }
    if (typeof c.name !== "string" || !new RegExp(PATTERNS.fabricName).test(c.name)) {
        p.add(
            "name",
            `${JSON.stringify(c.name)} must be a short lower-case name (letters, digits, '-')`,
        );
    }
    const text = rangeTexts(c);
    const range = (key: string) =>
        text[key] === undefined ? undefined : checkCidr(p, key, text[key]);
    const kubernetes = resolveKubernetes(p, c, text, range);
    const racks = resolveRacks(p, c, text);
    boolSetting(p, c, "apply.devices"); // read by the program (stacks/program.ts), checked here
    return {
        name: c.name,
        ...resolveAsns(p, c),
        loopbacks: range("addressing.loopbacks"),
        nodeLoopbacks: range("addressing.nodeLoopbacks"),
        links: text["addressing.links"] === "unnumbered" ? undefined : range("addressing.links"),
        ...racks,
        zeroBased: resolveNumbering(p, c.numbering),
        leafLoopbackOffset: intSetting(p, c, "addressing.leafLoopbackOffset"),
        linkSlotsPerLeaf: intSetting(p, c, "addressing.linkSlotsPerLeaf"),
        externalLinks: (c.externalRouters ?? []).length
            ? range("addressing.externalLinks")
            : undefined,
        routing: kubernetes.routing,
        podCidr: kubernetes.podCidr,
        serviceCidr: range("kubernetes.serviceCidr"),
        kubernetes: kubernetes.planned,
        bgp: resolveBgp(p, c),
        convergeTimeout: intSetting(p, c, "apply.convergeTimeout"),
        confirmWindow: confirmWindow(p, c),
        waveSize: intSetting(p, c, "apply.waveSize"),
        rollout: enumSetting(p, c, "apply.rollout", ROLLOUT_VALUES),
        text,
    };
}

/** The config text of every range (the table's default where absent), for the plan and for messages. */
function rangeTexts(c: FabricConfig): Record<string, string> {
    const text: Record<string, string> = {};
    const keys = [
        "addressing.loopbacks",
        "addressing.nodeLoopbacks",
        "addressing.links",
        "addressing.externalLinks",
    ];
    for (const key of [...keys, "kubernetes.podCidr", "kubernetes.serviceCidr"]) {
        text[key] = (valueAt(c, key) as string | undefined) ?? defaultOf<string>(key);
    }
    const racks = valueAt(c, "addressing.rackSubnets") as string | undefined;
    if (racks !== undefined) text["addressing.rackSubnets"] = racks;
    return text;
}

function resolveAsns(
    p: Problems,
    c: FabricConfig,
): Pick<Settings, "spineAsn" | "spineBase" | "leafBase" | "nodeBase"> {
    const spine = valueAt(c, "asn.spine");
    const spineAsn: number | "unique" =
        spine === "unique" ? "unique" : asnSetting(p, c, "asn.spine");
    return {
        spineAsn,
        spineBase: asnSetting(p, c, "asn.spineBase"),
        leafBase: asnSetting(p, c, "asn.leafBase"),
        nodeBase: asnSetting(p, c, "asn.nodeBase"),
    };
}

function resolveKubernetes(
    p: Problems,
    c: FabricConfig,
    text: Record<string, string>,
    range: (key: string) => Cidr | undefined,
): { routing: Routing; podCidr?: Cidr; planned: PlannedKubernetes } {
    const k: KubernetesConfig = isObject(c.kubernetes) ? c.kubernetes : {};
    const routing = k.routing ?? DEFAULTS.kubernetes.routing;
    if (!(ROUTING_VALUES as readonly unknown[]).includes(routing)) {
        p.add("kubernetes.routing", `${JSON.stringify(routing)} must be ${oneOf(ROUTING_VALUES)}`);
    }
    const mode: Routing =
        routing === "calico-bgp" || routing === "metallb-bgp" ? routing : "router-on-host";
    const encapsulation = resolveEncapsulation(p, k, mode);
    const podCidr = range("kubernetes.podCidr");
    const before = p.errors.length;
    const blockSize = intSetting(p, c, "kubernetes.blockSize");
    if (podCidr && p.errors.length === before && blockSize < podCidr.length) {
        p.add(
            "kubernetes.blockSize",
            `${blockSize} is larger than the pod CIDR ${text["kubernetes.podCidr"]} itself`,
        );
    }
    const calicoVersion = stringSetting(p, c, "kubernetes.calicoVersion")!;
    const metallbVersion = stringSetting(p, c, "kubernetes.metallbVersion")!;
    const planned: PlannedKubernetes = {
        routing: mode,
        podCidr: text["kubernetes.podCidr"],
        serviceCidr: text["kubernetes.serviceCidr"],
        blockSize,
        calicoVersion,
        metallbVersion,
        routerImage: stringSetting(p, c, "kubernetes.routerImage")!,
        calicoManifest:
            stringSetting(p, c, "kubernetes.calicoManifest") ??
            UPSTREAM_MANIFESTS.calico(calicoVersion),
        metallbManifest:
            stringSetting(p, c, "kubernetes.metallbManifest") ??
            UPSTREAM_MANIFESTS.metallb(metallbVersion),
        installUpstream: boolSetting(p, c, "kubernetes.installUpstream"),
        speakerAsn: asnSetting(p, c, "kubernetes.speakerAsn"),
        calicoListenPort: routing === "calico-bgp" ? 179 : 1179,
        ...(encapsulation ? { calicoEncapsulation: encapsulation } : {}),
    };
    return { routing: mode, podCidr, planned };
}

/** metallb-bgp: MetalLB owns the BGP sessions, so Calico runs without BGP and needs an overlay (IPIP needs BGP). */
function resolveEncapsulation(
    p: Problems,
    k: KubernetesConfig,
    mode: Routing,
): CalicoOverlay | undefined {
    if (mode !== "metallb-bgp") {
        if (k.encapsulation !== undefined) {
            p.add(
                "kubernetes.encapsulation",
                `is only for kubernetes.routing: metallb-bgp (in ${mode} Calico's pod routes travel in BGP, unencapsulated)`,
            );
        }
        return undefined;
    }
    const e = k.encapsulation ?? DEFAULTS.kubernetes.encapsulation;
    if ((ENCAPSULATION_VALUES as readonly unknown[]).includes(e)) return e;
    const why = "(metallb-bgp: Calico runs without BGP; IPIP and None need it)";
    p.add(
        "kubernetes.encapsulation",
        `${JSON.stringify(e)} must be ${oneOf(ENCAPSULATION_VALUES)} ${why}`,
    );
    return undefined;
}

/** The rack pool, where carving starts inside it, and the length of each rack. */
function resolveRacks(
    p: Problems,
    c: FabricConfig,
    text: Record<string, string>,
): Pick<Settings, "rackSubnets" | "rackStart" | "rackPrefixLength"> {
    const rackPrefixLength = intSetting(p, c, "addressing.rackPrefixLength");
    const rackText = text["addressing.rackSubnets"];
    // rackSubnets may name a start address inside its prefix: carving begins there.
    const rackSubnets =
        rackText === undefined
            ? undefined
            : checkCidr(p, "addressing.rackSubnets", alignedText(rackText));
    const rackStart = rackSubnets ? parseAddress(rackText!.split("/")[0]) : undefined;
    if (rackSubnets && rackStart !== undefined && rackStart % 2 ** (32 - rackPrefixLength) !== 0) {
        p.add(
            "addressing.rackSubnets",
            `${rackText} must start on a /${rackPrefixLength} boundary (addressing.rackPrefixLength)`,
        );
    }
    if (rackSubnets && rackSubnets.length > rackPrefixLength) {
        p.add(
            "addressing.rackSubnets",
            `${rackText} is smaller than one rack subnet (/${rackPrefixLength}); set addressing.rackPrefixLength, ` +
                "or pin rackSubnet on the leafs and leave addressing.rackSubnets out",
        );
    }
    return { rackSubnets, rackStart, rackPrefixLength };
}

/** The commit-confirm window must hold the apply's own waits (sessions, then a rollback's). */
function confirmWindow(p: Problems, c: FabricConfig): number {
    const window = intSetting(p, c, "apply.confirmWindow");
    const timeout = intSetting(p, c, "apply.convergeTimeout");
    if (window < 2 * timeout + 10)
        p.add(
            "apply.confirmWindow",
            `${window} must be at least 2 × apply.convergeTimeout + 10 (${2 * timeout + 10}): the device would restore itself while the apply still waits for its sessions`,
        );
    return window;
}

function resolveBgp(p: Problems, c: FabricConfig): Settings["bgp"] {
    const keepalive = intSetting(p, c, "bgp.keepalive");
    const holdtime = intSetting(p, c, "bgp.holdtime");
    if (holdtime < 3 * keepalive)
        p.add("bgp.holdtime", `${holdtime} must be at least 3 × keepalive (${keepalive})`);
    return {
        bfd: boolSetting(p, c, "bgp.bfd"),
        bfdInterval: intSetting(p, c, "bgp.bfdInterval"),
        bfdMultiplier: intSetting(p, c, "bgp.bfdMultiplier"),
        maximumPaths: intSetting(p, c, "bgp.maximumPaths"),
        keepalive,
        holdtime,
        // Session protections (plan/protections.ts).
        maximumPrefixHeadroom: intSetting(p, c, "bgp.maximumPrefixHeadroom"),
        maximumPrefixMinimum: intSetting(p, c, "bgp.maximumPrefixMinimum"),
        maximumPrefixRestart: intSetting(p, c, "bgp.maximumPrefixRestart"),
        gracefulRestart: boolSetting(p, c, "bgp.gracefulRestart"),
        gracefulRestartTime: intSetting(p, c, "bgp.gracefulRestartTime"),
        ttlSecurity: boolSetting(p, c, "bgp.ttlSecurity"),
    };
}

/** `a, b or c`: the values an enum takes, for messages. */
export function oneOf(values: readonly string[]): string {
    return values.length < 2
        ? values.join("")
        : `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
}

/** `10.0.100.0/17` → `10.0.0.0/17`; anything malformed is returned as is for checkCidr to report. */
function alignedText(text: string): string {
    const [addr, len] = String(text).split("/");
    const a = parseAddress(addr);
    return a === undefined || !/^\d{1,2}$/.test(len ?? "") || +len > 32
        ? text
        : formatCidr(toCidr(a, +len));
}

const NUMBERING_ROLES = {
    spines: "spine",
    leafs: "leaf",
    nodes: "node",
    externalRouters: "external",
} as const;

/** `fabric:numbering`: `one-based` (default), `zero-based`, or per device list (`{ spines: zero-based }`). */
function resolveNumbering(p: Problems, n: FabricConfig["numbering"]): Settings["zeroBased"] {
    const out = { spine: false, leaf: false, node: false, external: false };
    const mode = (field: string, v: unknown): boolean => {
        if (v === undefined || v === "one-based") return false;
        if (v === "zero-based") return true;
        p.add(field, `${JSON.stringify(v)} must be ${oneOf(NUMBERING_VALUES)}`);
        return false;
    };
    if (n === undefined) return out;
    if (typeof n === "object" && n !== null && !Array.isArray(n)) {
        for (const [key, value] of Object.entries(n)) {
            const role = NUMBERING_ROLES[key as keyof typeof NUMBERING_ROLES];
            if (role) out[role] = mode(`numbering.${key}`, value);
        }
        return out;
    }
    const all = mode("numbering", n);
    return { spine: all, leaf: all, node: all, external: all };
}
