import assert from "assert";
import { oneSpeakerPerRouter } from "../../policy/policies";
import { DEV, REF3, REF5, editResource, twoSpeakersStack } from "./cases";
import { messages, programStack, runPolicies, stackConfigOf } from "./harness";

describe("policy fabric-one-speaker-per-router", function () {
    this.timeout(120000);

    for (const file of [DEV, REF3, REF5, "examples/ref4-calico-metallb-vendor.yaml"]) {
        it(`passes ${file} as the program renders it`, async () => {
            const run = await runPolicies(
                [oneSpeakerPerRouter],
                await programStack(stackConfigOf(file)),
            );
            assert.deepStrictEqual(messages(run, oneSpeakerPerRouter.name), []);
        });
    }

    it("refuses calico-bgp with a MetalLB BGPPeer to the leaf Calico already peers with", async () => {
        const run = await runPolicies([oneSpeakerPerRouter], await twoSpeakersStack());
        assert.deepStrictEqual(messages(run, oneSpeakerPerRouter.name), [
            "node1 would open 2 BGP sessions to leaf1: Calico BGPPeer 'node1-leaf1' and MetalLB BGPPeer 'leaf1'; a node has one session per router (calico-bgp: MetalLB only allocates; metallb-bgp: Calico runs without BGP)",
        ]);
    });

    it("refuses metallb-bgp whose Installation turns Calico's BGP back on while Calico peers with the router", async () => {
        const base = await programStack(stackConfigOf(REF5));
        const stack = editResource(
            base,
            (r) => r.type === "kubernetes:operator.tigera.io/v1:Installation",
            (props) => (props.spec.calicoNetwork.bgp = "Enabled"),
        );
        const inst = stack.find((r) => r.type === "kubernetes:operator.tigera.io/v1:Installation");
        const type = "kubernetes:projectcalico.org/v3:BGPPeer";
        const body = {
            apiVersion: "projectcalico.org/v3",
            kind: "BGPPeer",
            metadata: { name: "router1" },
            spec: { peerIP: "10.192.0.7", asNumber: 64512 },
        };
        stack.resources.push({
            ...inst,
            urn: inst.urn.replace(
                /kubernetes:operator\.tigera\.io\/v1:Installation::[^:]+$/,
                `${type}::calico-bgppeer-router1`,
            ),
            type,
            name: "calico-bgppeer-router1",
            inputs: structuredClone(body),
            outputs: structuredClone(body),
        });
        const found = messages(
            await runPolicies([oneSpeakerPerRouter], stack),
            oneSpeakerPerRouter.name,
        );
        assert.deepStrictEqual(
            found,
            ["node1", "node2", "node3"].map(
                (n) =>
                    `${n} would open 2 BGP sessions to router1: Calico BGPPeer 'router1' and MetalLB BGPPeer 'router1'; a node has one session per router (calico-bgp: MetalLB only allocates; metallb-bgp: Calico runs without BGP)`,
            ),
        );
        // With Calico's BGP off (as rendered), the same Calico BGPPeer speaks to no one.
        const off = editResource(
            stack,
            (r) => r.type === "kubernetes:operator.tigera.io/v1:Installation",
            (props) => (props.spec.calicoNetwork.bgp = "Disabled"),
        );
        assert.deepStrictEqual(
            messages(await runPolicies([oneSpeakerPerRouter], off), oneSpeakerPerRouter.name),
            [],
        );
    });
});
