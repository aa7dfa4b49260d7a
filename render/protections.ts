// The FRR lines of the session protections the plan computes (plan/protections.ts).

import { FabricPlan } from "../plan";
import { MaximumPrefix, gracefulRestart } from "../plan/protections";

/** FRR's default Restart Time: bgpd's running config leaves it out, and so must we. */
export const FRR_DEFAULT_RESTART_TIME = 120;

/** The `router bgp` lines of graceful restart (RFC 4724); nothing when bgp.gracefulRestart is false. */
export function gracefulRestartLines(plan: FabricPlan): string[] {
    const gr = gracefulRestart(plan);
    if (!gr) return [];
    return [
        " bgp graceful-restart",
        ...(gr.restartTime === FRR_DEFAULT_RESTART_TIME
            ? []
            : [` bgp graceful-restart restart-time ${gr.restartTime}`]),
    ];
}

/**
 * `  neighbor KEY maximum-prefix N [restart M] force` (address-family ipv4
 * unicast): `force` counts every prefix received, also those the inbound
 * route-map refuses.
 */
export function maximumPrefixLine(key: string, m: MaximumPrefix): string {
    const restart = m.restart ? ` restart ${m.restart}` : "";
    return `  neighbor ${key} maximum-prefix ${m.limit}${restart} force`;
}

/** `neighbor GROUP ttl-security hops 1` (GTSM, RFC 5082): the peer must be directly attached. */
export function ttlSecurityLine(group: string): string {
    return ` neighbor ${group} ttl-security hops 1`;
}
