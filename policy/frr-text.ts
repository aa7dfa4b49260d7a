// Reading the FRR configuration a stack actually deploys: the frr.conf inside
// a switch's safe-apply script (where its platform's driver says it is:
// render/platforms/<name>.ts frrText) and the `router bgp` block of any
// frr.conf. Only what the policies need: the ASN, the router-id,
// multipath-relax, neighbors and peer-groups.

import { Platform } from "../plan";
import { driverFor } from "../render/platforms";

/** The frr.conf carried by a safe-apply script of the platform; undefined when it has none. */
export function frrConfOf(script: string, platform: Platform = "frr"): string | undefined {
    return driverFor(platform).frrText(script);
}

export interface FrrNeighbor {
    /** Interface (unnumbered, `neighbor swp1 interface …`) or address. */
    key: string;
    unnumbered: boolean;
    peerGroup?: string;
    /** `remote-as` of the neighbor itself, if set on it. */
    remoteAs?: string;
    /** `neighbor KEY password …` is present (the password itself is not kept). */
    password: boolean;
}

export interface FrrBgp {
    asn: number;
    routerId?: string;
    multipathRelax: boolean;
    /** Peer-group name → its `remote-as`, if any. */
    groups: Map<string, { remoteAs?: string }>;
    neighbors: Map<string, FrrNeighbor>;
    /** `bgp listen range PREFIX peer-group GROUP`. */
    listenRanges: { prefix: string; group: string }[];
}

/** The first `router bgp` block of an frr.conf (the default VRF), or undefined. */
export function parseFrrBgp(conf: string): FrrBgp | undefined {
    const lines = conf.split("\n");
    const start = lines.findIndex((l) => /^router bgp \d+\s*$/.test(l));
    if (start < 0) return undefined;
    const bgp: FrrBgp = {
        asn: Number(/^router bgp (\d+)/.exec(lines[start])![1]),
        multipathRelax: false,
        groups: new Map(),
        neighbors: new Map(),
        listenRanges: [],
    };
    const neighbor = (key: string): FrrNeighbor => {
        let n = bgp.neighbors.get(key);
        if (!n) bgp.neighbors.set(key, (n = { key, unnumbered: false, password: false }));
        return n;
    };
    for (const raw of lines.slice(start + 1)) {
        if (/^\S/.test(raw)) break; // `exit` or the next top-level block
        const line = raw.trim();
        if (/^address-family /.test(line)) break; // per-AFI lines carry no session identity
        let m: RegExpExecArray | null;
        if ((m = /^bgp router-id (\S+)$/.exec(line))) bgp.routerId = m[1];
        else if (line === "bgp bestpath as-path multipath-relax") bgp.multipathRelax = true;
        else if ((m = /^bgp listen range (\S+) peer-group (\S+)$/.exec(line)))
            bgp.listenRanges.push({ prefix: m[1], group: m[2] });
        else if ((m = /^neighbor (\S+) peer-group$/.exec(line)))
            bgp.groups.set(m[1], bgp.groups.get(m[1]) ?? {});
        else if (
            (m = /^neighbor (\S+) interface(?: peer-group (\S+)| remote-as (\S+))?$/.exec(line))
        ) {
            const n = neighbor(m[1]);
            n.unnumbered = true;
            if (m[2]) n.peerGroup = m[2];
            if (m[3]) n.remoteAs = m[3];
        } else if ((m = /^neighbor (\S+) peer-group (\S+)$/.exec(line)))
            neighbor(m[1]).peerGroup = m[2];
        else if ((m = /^neighbor (\S+) remote-as (\S+)$/.exec(line))) {
            if (bgp.groups.has(m[1])) bgp.groups.get(m[1])!.remoteAs = m[2];
            else neighbor(m[1]).remoteAs = m[2];
        } else if ((m = /^neighbor (\S+) password \S/.exec(line))) {
            if (!bgp.groups.has(m[1])) neighbor(m[1]).password = true;
        }
    }
    return bgp;
}

/** The remote-as FRR uses for a neighbor: its own, else its peer-group's. */
export function effectiveRemoteAs(bgp: FrrBgp, n: FrrNeighbor): string | undefined {
    return n.remoteAs ?? (n.peerGroup ? bgp.groups.get(n.peerGroup)?.remoteAs : undefined);
}
