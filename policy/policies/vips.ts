// VIPs inside their pools: every named VIP the Fabric registers lies in its
// pool's CIDR; every MetalLB IPAddressPool of a fabric pool hands out only
// addresses of that pool; every LoadBalancer Service of the stack that pins
// an address (metallb.io/loadBalancerIPs, spec.loadBalancerIP) pins one of a
// fabric pool — the pool it names, if it names one.

import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { Cidr, contains, formatAddress, parseAddress, parseCidr } from "../../plan/ipv4";
import { PlannedPool } from "../../plan";
import {
    ADDRESS_POOL_ANNOTATION,
    LOAD_BALANCER_IPS_ANNOTATION,
    vipPoolName,
} from "../../render/kubernetes/metallb";
import { fabricStackPolicy, list } from "../common";
import { TYPES, plain } from "../stack-view";

const POOL_LABEL = "bgp-fabric/pool";

interface KubeMeta {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

/** The MetalLB pool holding a fabric pool's named VIPs (render/kubernetes/metallb.ts). */
function reservedPool(pool: string): string {
    return vipPoolName({ name: pool } as PlannedPool);
}

/** `a.b.c.d/len` or `first-last` (MetalLB address syntax) as [first, last]. */
function addressRange(text: string): [number, number] | undefined {
    const dash = /^(\S+?)\s*-\s*(\S+)$/.exec(text);
    if (dash) {
        const [a, b] = [parseAddress(dash[1]), parseAddress(dash[2])];
        return a === undefined || b === undefined ? undefined : [a, b];
    }
    const [addr, len] = text.split("/");
    if (parseAddress(addr) === undefined || !/^\d{1,2}$/.test(len ?? "")) return undefined;
    const c = parseCidr(text);
    return [c.base, c.base + c.size - 1];
}

export const vipsInPools: StackValidationPolicy = {
    name: "fabric-vips-in-pools",
    description:
        "VIPs, MetalLB address pools and the addresses LoadBalancer Services pin lie inside the fabric's pools.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: fabricStackPolicy((view, args, report) => {
        const pools = new Map<string, Cidr>(
            Object.entries(view.pools).map(([name, p]) => [name, parseCidr(p.cidr)]),
        );
        const poolNames = () =>
            list(Object.entries(view.pools).map(([n, p]) => `'${n}' ${p.cidr}`)) || "none";
        for (const [name, pool] of Object.entries(view.pools)) {
            for (const [vip, address] of Object.entries(pool.vips)) {
                const a = parseAddress(address);
                if (a === undefined || !contains(pools.get(name)!, a)) {
                    report(
                        `pool '${name}': the VIP '${vip}' ${address} is outside the pool's ${pool.cidr}`,
                        view.fabric.urn,
                    );
                }
            }
        }
        // The pool a MetalLB pool or a Service belongs to: the fabric pool itself or its reserved-VIP pool `<pool>-vips`.
        const fabricPool = (metallbName: string | undefined) =>
            metallbName === undefined
                ? undefined
                : [...pools.keys()].find(
                      (p) => p === metallbName || reservedPool(p) === metallbName,
                  );
        for (const r of args.resources) {
            if (r.type === TYPES.addressPool) checkAddressPool(r, pools, fabricPool, report);
            else if (r.type === TYPES.service)
                checkService(r, view.pools, pools, fabricPool, poolNames, report);
        }
    }),
};

function checkAddressPool(
    r: PolicyResource,
    pools: Map<string, Cidr>,
    fabricPool: (n?: string) => string | undefined,
    report: (m: string, urn?: string) => void,
): void {
    const md = plain(r.props.metadata ?? {}) as KubeMeta;
    const owner = md.labels?.[POOL_LABEL] ?? fabricPool(md.name);
    if (owner === undefined || !pools.has(owner)) return; // not one of the fabric's pools
    const cidr = pools.get(owner)!;
    const addresses = (plain(r.props.spec ?? {}) as { addresses?: string[] }).addresses ?? [];
    for (const text of addresses) {
        const range = addressRange(text);
        if (!range || !contains(cidr, range[0]) || !contains(cidr, range[1])) {
            report(
                `MetalLB IPAddressPool '${md.name}' of pool '${owner}' hands out ${text}, outside the pool's ${formatAddress(cidr.base)}/${cidr.length}`,
                r.urn,
            );
        }
    }
}

function checkService(
    r: PolicyResource,
    registered: Record<string, { cidr: string; vips: Record<string, string> }>,
    pools: Map<string, Cidr>,
    fabricPool: (n?: string) => string | undefined,
    poolNames: () => string,
    report: (m: string, urn?: string) => void,
): void {
    const md = plain(r.props.metadata ?? {}) as KubeMeta;
    const spec = plain(r.props.spec ?? {}) as { type?: string; loadBalancerIP?: string };
    if (spec.type !== "LoadBalancer") return;
    const pinned = [
        ...(md.annotations?.[LOAD_BALANCER_IPS_ANNOTATION] ?? "")
            .split(",")
            .map((x) => x.trim())
            .filter(Boolean),
        ...(spec.loadBalancerIP ? [spec.loadBalancerIP] : []),
    ].filter((x) => x.includes("."));
    if (!pinned.length) return;
    const service = `Service ${md.namespace ?? "default"}/${md.name}`;
    const named = md.annotations?.[ADDRESS_POOL_ANNOTATION];
    const own = fabricPool(named);
    if (named !== undefined && own === undefined) return; // a MetalLB pool that is not the fabric's: not ours to judge
    for (const ip of pinned) {
        const a = parseAddress(ip);
        if (a === undefined) {
            report(`${service} pins '${ip}', which is not an IPv4 address`, r.urn);
        } else if (own !== undefined) {
            const vips = registered[own].vips;
            const vipName = Object.keys(vips).find((n) => vips[n] === ip);
            if (!contains(pools.get(own)!, a))
                report(
                    `${service} pins ${ip}, outside the pool it names ('${named}' of pool '${own}', ${registered[own].cidr})`,
                    r.urn,
                );
            else if (named !== own && vipName === undefined) {
                report(
                    `${service} pins ${ip} from '${named}', which holds only the named VIPs of pool '${own}' (${list(Object.values(vips).sort((x, y) => parseAddress(x)! - parseAddress(y)!)) || "none"})`,
                    r.urn,
                );
            } else if (named === own && vipName !== undefined) {
                report(
                    `${service} pins the named VIP '${vipName}' ${ip} from '${named}', which excludes its named VIPs; name '${reservedPool(own)}'`,
                    r.urn,
                );
            }
        } else if (![...pools.values()].some((c) => contains(c, a))) {
            report(
                `${service} pins ${ip}, which is in none of the fabric's LoadBalancer pools (${poolNames()}); the fabric would not announce it`,
                r.urn,
            );
        }
    }
}
