// Unknown keys are refused: a typo (`asnn`, `hots`, `routng`) must never let
// a default silently deploy to live switches. Every object of the config
// contract has its keys in the settings table (plan/settings-table.ts); anything else is reported with the nearest
// known key. Maps of user-chosen names (a pool's `vips`) and secrets
// (`{ secure }`) are not judged.

import { Problems } from "./problems";
import { keysOf } from "./settings-table";

/** The top-level `fabric:*` keys, from the settings table. */
export const TOP_LEVEL_KEYS: readonly string[] = keysOf("");

/** The keys of each object of the contract, by what it is (from the settings table). */
export const KNOWN_KEYS = {
    asn: keysOf("asn"),
    addressing: keysOf("addressing"),
    spine: keysOf("spines[]"),
    leaf: keysOf("leafs[]"),
    node: keysOf("nodes[]"),
    bond: keysOf("nodes[].bond"),
    external: keysOf("externalRouters[]"),
    mgmt: keysOf("leafs[].mgmt"),
    kubernetes: keysOf("kubernetes"),
    pool: keysOf("loadBalancerPools[]"),
    bgp: keysOf("bgp"),
    apply: keysOf("apply"),
    ssh: keysOf("ssh"),
    numbering: keysOf("numbering"),
};

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Report every key of `obj` (at `field`) that is not in `known`, with the nearest known key. */
export function checkKeys(
    p: Problems,
    field: string,
    obj: unknown,
    known: readonly string[],
    context?: { elsewhere?: Record<string, string> },
): void {
    if (!isObject(obj)) return;
    for (const key of Object.keys(obj)) {
        if (known.includes(key)) continue;
        const where = field ? `${field}.${key}` : key;
        const other = context?.elsewhere?.[key];
        if (other) {
            p.add(where, `unknown key; ${other}`);
            continue;
        }
        const near = nearestKey(key, known);
        p.add(
            where,
            near
                ? `unknown key; did you mean '${near}'?`
                : `unknown key (known keys: ${[...known].sort().join(", ")})`,
        );
    }
}

/** The known key closest to a mistyped one (case, a transposition, a letter or two), if any is close enough. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
    const k = key.toLowerCase();
    const limit = Math.max(1, Math.min(3, Math.floor(k.length / 3)));
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const c = candidate.toLowerCase();
        const d = c === k ? 0 : distance(k, c);
        if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
            best = candidate;
            bestDistance = d;
        }
    }
    return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function distance(a: string, b: string): number {
    const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            rows[i][j] = Math.min(
                rows[i - 1][j] + 1,
                rows[i][j - 1] + 1,
                rows[i - 1][j - 1] + cost,
            );
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
                rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
        }
    }
    return rows[a.length][b.length];
}

const LEAF_ONLY: Record<string, string> = {
    rackSubnet: "only a leaf has a rack subnet (rackSubnet, address, gateway are leaf keys)",
    address:
        "only a leaf has an address in a rack subnet (rackSubnet, address, gateway are leaf keys)",
    gateway: "only a leaf pair's rack has a gateway (rackSubnet, address, gateway are leaf keys)",
};

/** Judge every object of the config for unknown keys: top level, devices, their mgmt and bond, and the fabric-wide blocks. */
export function checkConfigKeys(p: Problems, c: Record<string, unknown>): void {
    checkKeys(p, "", c, TOP_LEVEL_KEYS);
    for (const block of [
        "asn",
        "addressing",
        "kubernetes",
        "bgp",
        "apply",
        "ssh",
        "numbering",
    ] as const)
        checkKeys(p, block, c[block], KNOWN_KEYS[block]);
    const list = (key: string, each: (field: string, item: unknown) => void) => {
        const l = c[key];
        if (Array.isArray(l)) l.forEach((item, i) => each(`${key}[${i}]`, item));
    };
    const device =
        (known: string[], elsewhere?: Record<string, string>) => (field: string, d: unknown) => {
            checkKeys(p, field, d, known, { elsewhere });
            if (isObject(d)) checkKeys(p, `${field}.mgmt`, d.mgmt, KNOWN_KEYS.mgmt);
        };
    list("spines", device(KNOWN_KEYS.spine, LEAF_ONLY));
    list("leafs", device(KNOWN_KEYS.leaf));
    list("nodes", (field, d) => {
        checkKeys(p, field, d, KNOWN_KEYS.node, {
            elsewhere: {
                gateway: "a node's gateway is its rack's: set gateway on its leafs",
                platform: "a node has no platform (it runs the router DaemonSet or Calico)",
            },
        });
        if (isObject(d)) {
            checkKeys(p, `${field}.mgmt`, d.mgmt, KNOWN_KEYS.mgmt);
            checkKeys(p, `${field}.bond`, d.bond, KNOWN_KEYS.bond);
        }
    });
    list("externalRouters", (field, d) =>
        checkKeys(p, field, d, KNOWN_KEYS.external, {
            elsewhere: {
                managed: "an external router is never managed by bgp-fabric",
                mgmt: "an external router is never configured by bgp-fabric, so it has no mgmt",
            },
        }),
    );
    list("loadBalancerPools", (field, pool) => checkKeys(p, field, pool, KNOWN_KEYS.pool));
}
