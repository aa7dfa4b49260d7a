// The identity rule of a fabric: which ASNs, loopbacks and rack addresses may
// repeat (RFC 7938). The planner applies it in its addresses stage
// (plan/addresses.ts); the policy pack applies it to the values a stack
// registers (policy/policies/identity.ts), building DeviceDraft records.

import { NodeConfig, Platform, SwitchConfig } from "./config";
import { Cidr, formatAddress, formatCidr } from "./ipv4";
import { Problems } from "./problems";
import { Settings } from "./settings";
import { DeviceRole, PlannedBond, PlannedInterface, PlannedNeighbor } from "./types";

/** A device's identity values, as the policy pack rebuilds them from a stack's outputs. */
export interface DeviceDraft {
    name: string;
    role: DeviceRole;
    /** `leafs[2]`: the config path for messages. */
    field: string;
    slot?: number;
    ordinal?: number;
    asn?: number;
    loopback?: number;
    managed: boolean;
    platform: Platform;
    nodeRole?: "control-plane" | "worker";
    mgmt?: { host: string; port: number; user?: string; hostKey?: string; bastion?: string };
    rackSubnet?: Cidr;
    address?: number;
    gateway?: number;
    gatewayField?: string;
    bond?: PlannedBond;
    interfaces: PlannedInterface[];
    neighbors: PlannedNeighbor[];
    config: SwitchConfig | NodeConfig | { name: string; asn: number; loopback?: string };
}

/** What the rule reads of a device; `config.address` set: the address is pinned (else derived). */
export type UniqueCandidate = Pick<
    DeviceDraft,
    "name" | "role" | "field" | "asn" | "loopback" | "address" | "rackSubnet"
> & {
    config: { name: string; address?: unknown };
};

/** ASNs, loopbacks and rack addresses that must not repeat. */
export function checkUnique(
    p: Problems,
    drafts: UniqueCandidate[],
    s?: Pick<Settings, "routing">,
): void {
    const loopbacks = new Map<number, UniqueCandidate>();
    const addresses = new Map<number, UniqueCandidate>();
    const asns = new Map<number, UniqueCandidate>();
    for (const d of drafts) {
        if (d.loopback !== undefined && !(d.role === "node" && d.loopback === d.address)) {
            const other = loopbacks.get(d.loopback);
            if (other)
                p.add(
                    `${d.field}.loopback`,
                    `${formatAddress(d.loopback)} is already the loopback of '${other.name}'`,
                );
            else loopbacks.set(d.loopback, d);
        }
        if (d.address !== undefined) {
            const other = addresses.get(d.address);
            if (other) {
                const pinned = d.config.address !== undefined;
                p.add(
                    `${d.field}.address`,
                    `${formatAddress(d.address)} is already the address of '${other.name}'${pinned ? "" : "; pin address"}`,
                );
            } else addresses.set(d.address, d);
        }
        if (d.asn !== undefined) {
            const other = asns.get(d.asn);
            if (other && !sharingAllowed(d, other, s)) {
                p.add(
                    `${d.field}.asn`,
                    `${d.asn} is already the ASN of '${other.name}' (${other.role}); ${asnRule(d)}`,
                );
            } else if (!other) asns.set(d.asn, d);
        }
    }
}

/**
 * RFC 7938: spines may share an ASN; the leafs of one rack pair may too.
 * metallb-bgp: MetalLB's myASN is the nodes' ASN, typically one for the
 * cluster, and iBGP with the router when it is the router's own (design 5).
 */
function sharingAllowed(
    d: UniqueCandidate,
    other: UniqueCandidate,
    s?: Pick<Settings, "routing">,
): boolean {
    if (s?.routing === "metallb-bgp") {
        const roles = new Set([d.role, other.role]);
        if (roles.size === 1 && d.role === "node") return true;
        if (roles.has("node") && roles.has("leaf")) return true;
    }
    if (d.role !== other.role) return false;
    if (d.role === "spine") return true;
    if (d.role === "leaf")
        return (
            !!d.rackSubnet &&
            !!other.rackSubnet &&
            formatCidr(d.rackSubnet) === formatCidr(other.rackSubnet)
        );
    return false;
}

function asnRule(d: UniqueCandidate): string {
    switch (d.role) {
        case "leaf":
            return "every leaf needs its own ASN (only the two leafs of one rack pair may share)";
        case "node":
            return "every node needs its own ASN";
        default:
            return "devices of different roles may not share an ASN";
    }
}
