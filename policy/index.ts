// The bgp-fabric policy pack (CrossGuard): refuses an unsafe fabric at
// `pulumi preview` / `pulumi up`, before anything is touched.
//
//   pulumi preview --policy-pack policy [--policy-pack-config policy-config.json]
//
// The policies live in policies.ts; docs/policy.md describes each one, its
// enforcement level, its config and the message it prints.

import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("bgp-fabric", {
    description:
        "Refuses an unsafe bgp-fabric: ASNs and router-ids, address ranges, BGP sessions, VIPs, SSH, the router DaemonSet, secrets.",
    displayName: "bgp-fabric",
    enforcementLevel: "mandatory",
    tags: ["bgp", "network", "kubernetes"],
    policies,
});
