// Fabric-wide settings: the config's top-level knobs, checked and with
// RFC 7938 defaults filled in. Address ranges stay parsed for allocation.

import { FabricConfig } from "./config";
import { DEFAULTS, UPSTREAM_MANIFESTS } from "./defaults";
import { checkAsn, checkCidr, checkInt } from "./fields";
import { Cidr, formatCidr, parseAddress, toCidr } from "./ipv4";
import { Problems } from "./problems";
import { CalicoOverlay, PlannedKubernetes, Routing } from "./types";

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
    bgp: { bfd: boolean; bfdInterval: number; bfdMultiplier: number; maximumPaths: number; keepalive: number; holdtime: number };
    convergeTimeout: number;
    /** The config text of each range, for the plan and for messages. */
    text: Record<string, string>;
}

export function resolveSettings(p: Problems, c: FabricConfig): Settings {
    const asn = c.asn ?? {};
    const a = c.addressing ?? {};
    const k = c.kubernetes ?? {};
    const b = c.bgp ?? {};
    if (typeof c.name !== "string" || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(c.name)) {
        p.add("name", `${JSON.stringify(c.name)} must be a short lower-case name (letters, digits, '-')`);
    }

    let spineAsn: number | "unique" = DEFAULTS.asn.spine;
    if (asn.spine === "unique") spineAsn = "unique";
    else if (asn.spine !== undefined) spineAsn = checkAsn(p, "asn.spine", asn.spine) ?? DEFAULTS.asn.spine;
    const base = (key: "spineBase" | "leafBase" | "nodeBase") =>
        asn[key] === undefined ? DEFAULTS.asn[key] : checkAsn(p, `asn.${key}`, asn[key]) ?? DEFAULTS.asn[key];

    const text: Record<string, string> = {
        "addressing.loopbacks": a.loopbacks ?? DEFAULTS.addressing.loopbacks,
        "addressing.nodeLoopbacks": a.nodeLoopbacks ?? DEFAULTS.addressing.nodeLoopbacks,
        "addressing.links": a.links ?? DEFAULTS.addressing.links,
        "addressing.externalLinks": a.externalLinks ?? DEFAULTS.addressing.externalLinks,
        "kubernetes.podCidr": k.podCidr ?? DEFAULTS.kubernetes.podCidr,
        "kubernetes.serviceCidr": k.serviceCidr ?? DEFAULTS.kubernetes.serviceCidr,
    };
    if (a.rackSubnets !== undefined) text["addressing.rackSubnets"] = a.rackSubnets;
    const range = (key: string) => (text[key] === undefined ? undefined : checkCidr(p, key, text[key]));

    const routing = k.routing ?? DEFAULTS.kubernetes.routing;
    if (routing !== "router-on-host" && routing !== "calico-bgp" && routing !== "metallb-bgp") {
        p.add("kubernetes.routing", `${JSON.stringify(routing)} must be router-on-host, calico-bgp or metallb-bgp`);
    }
    const mode: Routing = routing === "calico-bgp" || routing === "metallb-bgp" ? routing : "router-on-host";
    // metallb-bgp: MetalLB owns the BGP sessions, so Calico runs without BGP and needs an overlay (IPIP needs BGP).
    let encapsulation: CalicoOverlay | undefined;
    if (mode === "metallb-bgp") {
        const e = k.encapsulation ?? "VXLAN";
        if (e !== "VXLAN" && e !== "VXLANCrossSubnet") p.add("kubernetes.encapsulation", `${JSON.stringify(e)} must be VXLAN or VXLANCrossSubnet (metallb-bgp: Calico runs without BGP; IPIP and None need it)`);
        else encapsulation = e;
    } else if (k.encapsulation !== undefined) {
        p.add("kubernetes.encapsulation", `is only for kubernetes.routing: metallb-bgp (in ${mode} Calico's pod routes travel in BGP, unencapsulated)`);
    }
    const podCidr = range("kubernetes.podCidr");
    const blockSize = k.blockSize === undefined ? DEFAULTS.kubernetes.blockSize : checkInt(p, "kubernetes.blockSize", k.blockSize, 20, 32);
    if (podCidr && blockSize !== undefined && blockSize < podCidr.length) {
        p.add("kubernetes.blockSize", `${blockSize} is larger than the pod CIDR ${text["kubernetes.podCidr"]} itself`);
    }

    const links = text["addressing.links"] === "unnumbered" ? undefined : range("addressing.links");
    const rackPrefixLength =
        a.rackPrefixLength === undefined ? DEFAULTS.addressing.rackPrefixLength : checkInt(p, "addressing.rackPrefixLength", a.rackPrefixLength, 16, 29) ?? 24;
    const rackText = text["addressing.rackSubnets"];
    // rackSubnets may name a start address inside its prefix: carving begins there.
    const rackSubnets = rackText === undefined ? undefined : checkCidr(p, "addressing.rackSubnets", alignedText(rackText));
    const rackStart = rackSubnets ? parseAddress(rackText!.split("/")[0]) : undefined;
    if (rackSubnets && rackStart !== undefined && rackStart % 2 ** (32 - rackPrefixLength) !== 0) {
        p.add("addressing.rackSubnets", `${rackText} must start on a /${rackPrefixLength} boundary (addressing.rackPrefixLength)`);
    }
    if (rackSubnets && rackSubnets.length > rackPrefixLength) {
        p.add(
            "addressing.rackSubnets",
            `${text["addressing.rackSubnets"]} is smaller than one rack subnet (/${rackPrefixLength}); set addressing.rackPrefixLength, or pin rackSubnet on the leafs and leave addressing.rackSubnets out`,
        );
    }

    const keepalive = b.keepalive === undefined ? DEFAULTS.bgp.keepalive : checkInt(p, "bgp.keepalive", b.keepalive, 1, 3600) ?? 1;
    const holdtime = b.holdtime === undefined ? DEFAULTS.bgp.holdtime : checkInt(p, "bgp.holdtime", b.holdtime, 3, 65535) ?? 3;
    if (holdtime < 3 * keepalive) p.add("bgp.holdtime", `${holdtime} must be at least 3 × keepalive (${keepalive})`);
    if (b.bfd !== undefined && typeof b.bfd !== "boolean") p.add("bgp.bfd", "must be true or false");

    const spineBase = base("spineBase");
    const leafBase = base("leafBase");
    const nodeBase = base("nodeBase");
    return {
        name: c.name,
        spineAsn,
        spineBase,
        leafBase,
        nodeBase,
        loopbacks: range("addressing.loopbacks"),
        nodeLoopbacks: range("addressing.nodeLoopbacks"),
        links,
        rackSubnets,
        rackStart,
        rackPrefixLength,
        zeroBased: resolveNumbering(p, c.numbering),
        leafLoopbackOffset:
            a.leafLoopbackOffset === undefined
                ? DEFAULTS.addressing.leafLoopbackOffset
                : checkInt(p, "addressing.leafLoopbackOffset", a.leafLoopbackOffset, 1, 1 << 24) ?? 100,
        linkSlotsPerLeaf:
            a.linkSlotsPerLeaf === undefined ? DEFAULTS.addressing.linkSlotsPerLeaf : checkInt(p, "addressing.linkSlotsPerLeaf", a.linkSlotsPerLeaf, 1, 1024) ?? 16,
        externalLinks: (c.externalRouters ?? []).length ? range("addressing.externalLinks") : undefined,
        routing: mode,
        podCidr,
        serviceCidr: range("kubernetes.serviceCidr"),
        kubernetes: {
            routing: mode,
            podCidr: text["kubernetes.podCidr"],
            serviceCidr: text["kubernetes.serviceCidr"],
            blockSize: blockSize ?? DEFAULTS.kubernetes.blockSize,
            calicoVersion: k.calicoVersion ?? DEFAULTS.kubernetes.calicoVersion,
            metallbVersion: k.metallbVersion ?? DEFAULTS.kubernetes.metallbVersion,
            routerImage: k.routerImage ?? DEFAULTS.kubernetes.routerImage,
            calicoManifest: k.calicoManifest ?? UPSTREAM_MANIFESTS.calico(k.calicoVersion ?? DEFAULTS.kubernetes.calicoVersion),
            metallbManifest: k.metallbManifest ?? UPSTREAM_MANIFESTS.metallb(k.metallbVersion ?? DEFAULTS.kubernetes.metallbVersion),
            installUpstream: k.installUpstream ?? true,
            speakerAsn: k.speakerAsn === undefined ? DEFAULTS.kubernetes.speakerAsn : checkAsn(p, "kubernetes.speakerAsn", k.speakerAsn) ?? DEFAULTS.kubernetes.speakerAsn,
            calicoListenPort: routing === "calico-bgp" ? 179 : 1179,
            ...(encapsulation ? { calicoEncapsulation: encapsulation } : {}),
        },
        bgp: {
            bfd: b.bfd ?? DEFAULTS.bgp.bfd,
            bfdInterval: b.bfdInterval === undefined ? DEFAULTS.bgp.bfdInterval : checkInt(p, "bgp.bfdInterval", b.bfdInterval, 10, 60000) ?? 100,
            bfdMultiplier: b.bfdMultiplier === undefined ? DEFAULTS.bgp.bfdMultiplier : checkInt(p, "bgp.bfdMultiplier", b.bfdMultiplier, 2, 255) ?? 3,
            maximumPaths: b.maximumPaths === undefined ? DEFAULTS.bgp.maximumPaths : checkInt(p, "bgp.maximumPaths", b.maximumPaths, 1, 256) ?? 64,
            keepalive,
            holdtime,
        },
        convergeTimeout:
            c.apply?.convergeTimeout === undefined
                ? DEFAULTS.apply.convergeTimeout
                : checkInt(p, "apply.convergeTimeout", c.apply.convergeTimeout, 1, 3600) ?? 60,
        text,
    };
}

/** `10.0.100.0/17` → `10.0.0.0/17`; anything malformed is returned as is for checkCidr to report. */
function alignedText(text: string): string {
    const [addr, len] = String(text).split("/");
    const a = parseAddress(addr);
    return a === undefined || !/^\d{1,2}$/.test(len ?? "") || +len > 32 ? text : formatCidr(toCidr(a, +len));
}

const NUMBERING_ROLES = { spines: "spine", leafs: "leaf", nodes: "node", externalRouters: "external" } as const;

/** `fabric:numbering`: `one-based` (default), `zero-based`, or per device list (`{ spines: zero-based }`). */
function resolveNumbering(p: Problems, n: FabricConfig["numbering"]): Settings["zeroBased"] {
    const out = { spine: false, leaf: false, node: false, external: false };
    const mode = (field: string, v: unknown): boolean => {
        if (v === undefined || v === "one-based") return false;
        if (v === "zero-based") return true;
        p.add(field, `${JSON.stringify(v)} must be one-based or zero-based`);
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
