// Every policy of the bgp-fabric pack, in the order the docs list them.
// index.ts serves them (new PolicyPack); the tests import them from here,
// so importing the list never starts a policy server.

import { Policies } from "@pulumi/policy";
import { bgpMultipathRelax, bgpSessionsAgree } from "./policies/bgp";
import { asnRanges, asnRouterIdUnique } from "./policies/identity";
import { prefixesDisjoint } from "./policies/prefixes";
import { routerDaemonSet } from "./policies/router-daemonset";
import { noPlaintextSecrets } from "./policies/secrets";
import { oneSpeakerPerRouter } from "./policies/speakers";
import { sshHostKeyPinned, sshKeysOnly } from "./policies/ssh";
import { vipsInPools } from "./policies/vips";

export {
    asnRanges,
    asnRouterIdUnique,
    bgpMultipathRelax,
    bgpSessionsAgree,
    noPlaintextSecrets,
    oneSpeakerPerRouter,
    prefixesDisjoint,
    routerDaemonSet,
    sshHostKeyPinned,
    sshKeysOnly,
    vipsInPools,
};

export const policies: Policies = [
    asnRouterIdUnique,
    asnRanges,
    prefixesDisjoint,
    bgpSessionsAgree,
    bgpMultipathRelax,
    oneSpeakerPerRouter,
    vipsInPools,
    sshKeysOnly,
    sshHostKeyPinned,
    routerDaemonSet,
    noPlaintextSecrets,
];
