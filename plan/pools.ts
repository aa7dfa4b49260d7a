// Load-balancer pools and their named VIPs, and the rule that no two address
// ranges of the fabric overlap.

import { FabricConfig } from "./config";
import { checkAddress, checkCidr } from "./fields";
import { Cidr, contains, formatAddress, formatCidr, overlaps } from "./ipv4";
import { Problems } from "./problems";
import { Settings } from "./settings";
import { PlannedPool } from "./types";

const VIP_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function planPools(
    p: Problems,
    c: FabricConfig,
): { pools: PlannedPool[]; ranges: [string, Cidr][] } {
    const pools: PlannedPool[] = [];
    const ranges: [string, Cidr][] = [];
    const list = c.loadBalancerPools ?? [];
    if (!Array.isArray(list)) {
        p.add("loadBalancerPools", "must be a list");
        return { pools, ranges };
    }
    const names = new Set<string>();
    const vipOwner = new Map<number, string>();
    list.forEach((pool, i) => {
        const field = `loadBalancerPools[${i}]`;
        if (typeof pool?.name !== "string" || !VIP_NAME.test(pool.name))
            return p.add(`${field}.name`, `${JSON.stringify(pool?.name)} is not a valid pool name`);
        if (names.has(pool.name)) p.add(`${field}.name`, `pool '${pool.name}' is declared twice`);
        names.add(pool.name);
        const cidr = checkCidr(p, `${field}.cidr`, pool.cidr);
        if (!cidr) return;
        ranges.push([`${field}.cidr`, cidr]);
        const avoidBuggyIps = pool.avoidBuggyIps ?? true;
        const vips: Record<string, string> = {};
        for (const [vipName, vip] of Object.entries(pool.vips ?? {})) {
            const vf = `${field}.vips.${vipName}`;
            if (!VIP_NAME.test(vipName))
                p.add(vf, `'${vipName}' is not a valid VIP name (lower-case letters, digits, '-')`);
            const a = checkAddress(p, vf, vip);
            if (a === undefined) continue;
            if (!contains(cidr, a)) p.add(vf, `${vip} is outside its pool ${pool.cidr}`);
            else if (avoidBuggyIps && ((a & 255) === 0 || (a & 255) === 255))
                p.add(vf, `${vip} ends in .0 or .255, which avoidBuggyIps excludes`);
            const owner = vipOwner.get(a);
            if (owner) p.add(vf, `${vip} is already the VIP ${owner}`);
            vipOwner.set(a, `${pool.name}/${vipName}`);
            vips[vipName] = formatAddress(a);
        }
        pools.push({
            name: pool.name,
            cidr: pool.cidr,
            vips,
            avoidBuggyIps,
            autoAssign: pool.autoAssign ?? true,
        });
    });
    return { pools, ranges };
}

/** Every pair of fabric ranges must be disjoint: loopbacks, links, racks, pods, services, pools. */
export function checkOverlaps(p: Problems, s: Settings, poolRanges: [string, Cidr][]): void {
    const ranges: [string, Cidr | undefined][] = [
        ["addressing.loopbacks", s.loopbacks],
        ["addressing.nodeLoopbacks", s.routing === "router-on-host" ? s.nodeLoopbacks : undefined],
        ["addressing.links", s.links],
        ["addressing.rackSubnets", s.rackSubnets],
        ["addressing.externalLinks", s.externalLinks],
        ["kubernetes.podCidr", s.podCidr],
        ["kubernetes.serviceCidr", s.serviceCidr],
        ...poolRanges,
    ];
    const present = ranges.filter((r): r is [string, Cidr] => r[1] !== undefined);
    for (let i = 0; i < present.length; i++) {
        for (let j = 0; j < i; j++) {
            if (overlaps(present[i][1], present[j][1])) {
                p.add(
                    present[i][0],
                    `${show(s, present[i])} overlaps ${present[j][0]} ${show(s, present[j])}`,
                );
            }
        }
    }
}

function show(s: Settings, [key, c]: [string, Cidr]): string {
    return s.text[key] ?? formatCidr(c);
}
