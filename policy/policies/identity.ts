// ASNs and router-ids: unique where RFC 7938 says they must be, and inside
// the ASN ranges the organisation allows.
//
// Uniqueness is the planner's own rule (plan/devices.ts checkUnique: spines
// may share one ASN, the two leafs of one rack pair may share, nothing else;
// loopbacks and rack addresses never repeat), run here on the values the
// stack registers. Ranges build on plan/defaults.ts (reservedAsn,
// privateAsnRange): private RFC 6996 ASNs by default, more by config.

import { StackValidationPolicy } from "@pulumi/policy";
import { DeviceDraft, checkUnique } from "../../plan/devices";
import { privateAsnRange, reservedAsn } from "../../plan/defaults";
import { parseAddress, parseCidr } from "../../plan/ipv4";
import { Problems } from "../../plan/problems";
import { describeDevice, deviceUrn, fabricStackPolicy, list } from "../common";

export const asnRouterIdUnique: StackValidationPolicy = {
    name: "fabric-asn-router-id-unique",
    description:
        "ASNs and router-ids are unique where RFC 7938 requires it (spines may share one ASN, so may the two leafs of a rack pair).",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: fabricStackPolicy((view, _args, report) => {
        const p = new Problems();
        const drafts: DeviceDraft[] = view.plan.devices.map((d) => ({
            name: d.name,
            role: d.role,
            // The planner names the config field; here the device is the field.
            field: d.name,
            managed: d.managed,
            platform: d.platform,
            asn: view.asns[d.name] ?? d.asn,
            loopback: parseAddress(view.loopbacks[d.name] ?? d.loopback),
            address: d.address === undefined ? undefined : parseAddress(d.address),
            rackSubnet: d.rackSubnet === undefined ? undefined : parseCidr(d.rackSubnet),
            interfaces: [],
            neighbors: [],
            config: { name: d.name, address: d.address },
        }));
        // metallb-bgp: the nodes may share MetalLB's myASN, and the router's (iBGP), as the planner allows.
        checkUnique(p, drafts, { routing: view.plan.kubernetes.routing });
        for (const e of p.errors) {
            const field = e.field.replace(/^fabric:/, "");
            report(`${field}: ${e.message}`, deviceUrn(view, field.split(".")[0]));
        }
        const k = view.plan.kubernetes;
        if (k.routing === "router-on-host") {
            const clash = view.plan.devices.find(
                (d) => (view.asns[d.name] ?? d.asn) === k.speakerAsn,
            );
            if (clash)
                report(
                    `kubernetes.speakerAsn: ${k.speakerAsn} is already the ASN of '${clash.name}'; the MetalLB speaker needs its own`,
                    view.fabric.urn,
                );
        }
    }),
};

export interface AsnRangesConfig {
    /** Allow the private ranges of RFC 6996 (default true). */
    privateRanges?: boolean;
    /** More ranges to allow, inclusive (a vendor fabric's public ASNs, say). */
    allowedRanges?: { from: number; to: number }[];
    /** Single ASNs to allow (an upstream provider's router). */
    allowedAsns?: number[];
}

const RFC6996 = [privateAsnRange(64512)!, privateAsnRange(4200000000)!];

export const asnRanges: StackValidationPolicy = {
    name: "fabric-asn-ranges",
    description:
        "Every ASN of the fabric is in the allowed ranges (RFC 6996 private ranges unless configured) and none is reserved.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            privateRanges: {
                type: "boolean",
                default: true,
                description: "Allow the private ASN ranges of RFC 6996.",
            },
            allowedRanges: {
                type: "array",
                default: [],
                description:
                    'More ASN ranges to allow, inclusive, e.g. [{ "from": 63500, "to": 63599 }] for a vendor fabric.',
                items: {
                    type: "object",
                    properties: {
                        from: { type: "integer", minimum: 1, maximum: 4294967294 },
                        to: { type: "integer", minimum: 1, maximum: 4294967294 },
                    },
                    required: ["from", "to"],
                },
            },
            allowedAsns: {
                type: "array",
                default: [],
                items: { type: "integer", minimum: 1, maximum: 4294967294 },
                description: "Single ASNs to allow.",
            },
        },
    },
    validateStack: fabricStackPolicy((view, args, report) => {
        const cfg = args.getConfig<AsnRangesConfig>();
        const ranges: [number, number][] = [
            ...(cfg.privateRanges === false ? [] : RFC6996),
            ...(cfg.allowedRanges ?? []).map((r): [number, number] => [r.from, r.to]),
        ];
        const asns = new Set(cfg.allowedAsns ?? []);
        const allowed = (asn: number) =>
            asns.has(asn) || ranges.some(([a, b]) => asn >= a && asn <= b);
        const shown =
            list([...ranges.map(([a, b]) => `${a}–${b}`), ...[...asns].map(String)]) || "none";
        const check = (what: string, asn: number, urn: string) => {
            const reserved = reservedAsn(asn);
            if (reserved) report(`${what}: ASN ${reserved}; no device may use it`, urn);
            else if (!allowed(asn)) {
                report(
                    `${what} has ASN ${asn}, outside the allowed ASNs (${shown}); if the fabric really uses it, allow it in this policy's config (allowedRanges or allowedAsns)`,
                    urn,
                );
            }
        };
        for (const d of view.plan.devices)
            check(describeDevice(d), view.asns[d.name] ?? d.asn, deviceUrn(view, d.name));
        if (view.plan.kubernetes.routing === "router-on-host")
            check(
                "the MetalLB speaker (kubernetes.speakerAsn)",
                view.plan.kubernetes.speakerAsn,
                view.fabric.urn,
            );
    }),
};
