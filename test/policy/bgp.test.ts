import assert from "assert";
import { bgpMultipathRelax, bgpSessionsAgree } from "../../policy/policies";
import {
    DEV,
    REF3,
    REF4,
    editResource,
    editSwitchConf,
    devStack,
    halfMovedAsnStack,
    internalRemoteAsStack,
    missingNeighborStack,
    noMultipathStack,
    staleCalicoStack,
} from "./cases";
import { exampleFiles } from "../support/fixtures";
import { messages, programStack, runPolicies, stackConfigOf } from "./harness";
import * as path from "path";

describe("policy fabric-bgp-sessions-agree", function () {
    this.timeout(60000);

    for (const file of [
        DEV,
        ...exampleFiles().map((f) => path.relative(path.resolve(__dirname, "../.."), f)),
    ]) {
        it(`passes ${file} (every session, both ends, as deployed)`, async () => {
            const run = await runPolicies(
                [bgpSessionsAgree],
                await programStack(stackConfigOf(file)),
            );
            assert.deepStrictEqual(messages(run, bgpSessionsAgree.name), []);
        });
    }

    it("refuses a half-moved ASN: leaf2 is AS 65202 but its sessions still say 65102", async () => {
        const run = await runPolicies([bgpSessionsAgree], await halfMovedAsnStack());
        assert.deepStrictEqual(messages(run, bgpSessionsAgree.name), [
            "session spine1:swp2--leaf2:swp51: the end on leaf2 says AS 65102, but leaf2 is AS 65202",
            "session spine2:swp2--leaf2:swp52: the end on leaf2 says AS 65102, but leaf2 is AS 65202",
            "session leaf2:swp1--k8s1:eth2: the end on leaf2 says AS 65102, but leaf2 is AS 65202",
            "session leaf2:swp2--k8s2:eth2: the end on leaf2 says AS 65102, but leaf2 is AS 65202",
            "session leaf2:swp3--k8s4:eth1: the end on leaf2 says AS 65102, but leaf2 is AS 65202",
        ]);
    });

    it("refuses a switch config that lost a neighbor (k8s1 on leaf1:swp1)", async () => {
        const run = await runPolicies([bgpSessionsAgree], await missingNeighborStack());
        assert.deepStrictEqual(messages(run, bgpSessionsAgree.name), [
            "session leaf1:swp1--k8s1:eth1: leaf1's frr.conf (stdin) has no neighbor swp1 for k8s1",
        ]);
        assert.match(run.violations[0].urn!, /command:remote:Command::dev-leaf1-config$/);
    });

    it("refuses 'remote-as internal' towards an eBGP peer", async () => {
        const run = await runPolicies([bgpSessionsAgree], await internalRemoteAsStack());
        assert.deepStrictEqual(
            messages(run, bgpSessionsAgree.name),
            [1, 2, 3, 4].map(
                (i) =>
                    `session spine1:swp${i}--leaf${i}:swp51: spine1's frr.conf (stdin) has 'remote-as internal' for neighbor swp${i}, but leaf${i} is AS 6510${i} (eBGP)`,
            ),
        );
    });

    it("refuses a numbered neighbor with the wrong remote-as (ref3: leaf1 towards node1)", async () => {
        const stack = editSwitchConf(
            await programStack(stackConfigOf(REF3)),
            "ref3-leaf1-config",
            (t) => t.replace("remote-as 4200000000", "remote-as 4200000009"),
        );
        const run = await runPolicies([bgpSessionsAgree], stack);
        assert.deepStrictEqual(messages(run, bgpSessionsAgree.name), [
            "session leaf1:swp1--node1:eth1: leaf1's frr.conf (stdin) has 'remote-as 4200000009' for neighbor 10.0.101.10, but node1 is AS 4200000000",
        ]);
    });

    it("reads the node routers' frr.conf from the router ConfigMap (router bgp must be the node's ASN)", async () => {
        const stack = editResource(
            await devStack(),
            (r) =>
                r.type === "kubernetes:core/v1:ConfigMap" &&
                r.inputs.metadata?.name === "bgp-fabric-router",
            (cm) => {
                cm.data["k8s3.conf"] = cm.data["k8s3.conf"].replace(
                    "router bgp 4200000002",
                    "router bgp 4200000099",
                );
            },
        );
        const run = await runPolicies([bgpSessionsAgree], stack);
        assert.deepStrictEqual(messages(run, bgpSessionsAgree.name), [
            `k8s3: its frr.conf (data["k8s3.conf"]) says 'router bgp 4200000099', but k8s3 is AS 4200000002`,
        ]);
        assert.match(
            run.violations[0].urn!,
            /ConfigMap::dev-networking-router-configmap-bgp-fabric-router-bgp-fabric-router$/,
        );
    });

    it("refuses calico-bgp objects that disagree with the sessions (ref4: node ASN annotation, BGPPeer address)", async () => {
        const run = await runPolicies([bgpSessionsAgree], await staleCalicoStack());
        assert.deepStrictEqual(messages(run, bgpSessionsAgree.name), [
            "k8s1: its Node patch says projectcalico.org/ASNumber 63599, but k8s1 is AS 63551",
            "session leaf2:ethernet1--k8s1:eth2: no Calico BGPPeer from k8s1 to leaf2 at 10.20.0.3 (it has peers at 10.20.0.2)",
        ]);
    });
});

describe("policy fabric-bgp-multipath-relax", function () {
    this.timeout(60000);

    it("passes the dev stack: leaf ASNs differ and every switch and node router relaxes multipath", async () => {
        const run = await runPolicies([bgpMultipathRelax], await devStack());
        assert.deepStrictEqual(messages(run, bgpMultipathRelax.name), []);
        assert.deepStrictEqual(run.notApplicable, []);
    });

    it("does not apply where every leaf shares one ASN (ref4's vendor pair)", async () => {
        const run = await runPolicies([bgpMultipathRelax], await programStack(stackConfigOf(REF4)));
        assert.deepStrictEqual(run.notApplicable, [
            { policy: bgpMultipathRelax.name, reason: "every leaf has the same ASN (63500)" },
        ]);
    });

    it("refuses a switch config without multipath-relax", async () => {
        const run = await runPolicies([bgpMultipathRelax], await noMultipathStack());
        assert.deepStrictEqual(messages(run, bgpMultipathRelax.name), [
            "spine1: 'bgp bestpath as-path multipath-relax' is missing from 'router bgp 65000' in its frr.conf (stdin); the leafs have different ASNs (65101, 65102, 65103 and 65104), so without it traffic is not spread over equal-cost paths through different leafs",
        ]);
        assert.match(run.violations[0].urn!, /command:remote:Command::dev-spine1-config$/);
    });
});
