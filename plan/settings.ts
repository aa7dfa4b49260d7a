// Fabric-wide settings: the config's top-level knobs, checked and with
// RFC 7938 defaults filled in. Address ranges stay parsed for allocation.

import { FabricConfig } from "./config";
import { DEFAULTS, UPSTREAM_MANIFESTS } from "./defaults";
import { checkAsn, checkCidr, checkInt } from "./fields";
import { Cidr, formatCidr, parseAddress, toCidr } from "./ipv4";
import { Problems } from "./problems";
import { PlannedKubernetes, Routing } from "./types";

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
    if (routing !== "router-on-host" && routing !== "calico-bgp") {
        p.add("kubernetes.routing", `${JSON.stringify(routing)} must be router-on-host or calico-bgp`);
    }
    const podCidr = range("kubernetes.podCidr");
    const blockSize = k.blockSize === undefined ? DEFAULTS.kubernetes.blockSize : checkInt(p, "kubernetes.blockSize", k.blockSize, 20, 32);
    if (podCidr && blockSize !== undefined && blockSize < podCidr.length) {
        p.add("kubernetes.blockSize", `${blockSize} is larger than the pod CIDR ${text["kubernetes.podCidr"]} itself`);
    }

    const links = text["addressing.links"] === "unnumbered" ? undefined : range("addressing.links");
    const rackPrefixLength =
        a.rackPrefixLength === undefined ? DEFAULTS.addressing.rackPrefixLength : checkInt(p, "addressing.rackPrefixLength", a.rackPrefixLength, 16, 28) ?? 24;
    const rackText = text["addressing.rackSubnets"];
    // rackSubnets may name a start address inside its prefix: carving begins there.
    const rackSubnets = rackText === undefined ? undefined : checkCidr(p, "addressing.rackSubnets", alignedText(rackText));
    const rackStart = rackSubnets ? parseAddress(rackText!.split("/")[0]) : undefined;
    if (rackSubnets && rackStart !== undefined && rackStart % 2 ** (32 - rackPrefixLength) !== 0) {
        p.add("addressing.rackSubnets", `${rackText} must start on a /${rackPrefixLength} boundary`);
    }
    if (rackSubnets && rackSubnets.length > rackPrefixLength) {
        p.add("addressing.rackSubnets", `${text["addressing.rackSubnets"]} is smaller than one rack subnet (/${rackPrefixLength})`);
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
        leafLoopbackOffset:
            a.leafLoopbackOffset === undefined
                ? DEFAULTS.addressing.leafLoopbackOffset
                : checkInt(p, "addressing.leafLoopbackOffset", a.leafLoopbackOffset, 1, 1 << 24) ?? 100,
        linkSlotsPerLeaf:
            a.linkSlotsPerLeaf === undefined ? DEFAULTS.addressing.linkSlotsPerLeaf : checkInt(p, "addressing.linkSlotsPerLeaf", a.linkSlotsPerLeaf, 1, 1024) ?? 16,
        externalLinks: (c.externalRouters ?? []).length ? range("addressing.externalLinks") : undefined,
        routing: routing === "calico-bgp" ? "calico-bgp" : "router-on-host",
        podCidr,
        serviceCidr: range("kubernetes.serviceCidr"),
        kubernetes: {
            routing: routing === "calico-bgp" ? "calico-bgp" : "router-on-host",
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
