import assert from "assert";
import { prefixesDisjoint } from "../../policy/policies";
import { DEV, REF3, REF4, overlappingRef4, planOf, withConfig } from "./cases";
import { componentStack, messages, programStack, runPolicies, stackConfigOf } from "./harness";

describe("policy fabric-prefixes-disjoint", function () {
    this.timeout(60000);

    for (const file of [DEV, REF3, REF4]) {
        it(`passes ${file}`, async () => {
            assert.deepStrictEqual(
                messages(
                    await runPolicies([prefixesDisjoint], await programStack(stackConfigOf(file))),
                    prefixesDisjoint.name,
                ),
                [],
            );
        });
    }

    it("refuses ref4 with the vendor leafs' rack inside the pod CIDR and the vendor spine's loopback inside the service CIDR (pinned values the planner does not check)", async () => {
        const run = await runPolicies([prefixesDisjoint], await overlappingRef4());
        assert.deepStrictEqual(messages(run, prefixesDisjoint.name), [
            "kubernetes.podCidr 172.27.0.0/16 overlaps the rack subnet 172.27.0.0/24 of leaf1+leaf2 (172.27.0.0/24 lies inside 172.27.0.0/16)",
            "the loopback 172.28.0.1/32 of spine1 overlaps kubernetes.serviceCidr 172.28.0.0/16 (172.28.0.1/32 lies inside 172.28.0.0/16)",
        ]);
    });

    it("refuses a LoadBalancer pool inside the node loopbacks (as the planner does, on the registered pools)", async () => {
        // The planner refuses this config; a stack that registers it anyway is what the policy sees.
        const plan = planOf(DEV);
        plan.pools[0] = { ...plan.pools[0], cidr: "10.1.3.128/25", vips: {} };
        const run = await runPolicies(
            [prefixesDisjoint],
            await componentStack(plan, stackConfigOf(DEV)),
        );
        assert.deepStrictEqual(messages(run, prefixesDisjoint.name), [
            "pool 'default' 10.1.3.128/25 overlaps addressing.nodeLoopbacks 10.1.3.0/24 (10.1.3.128/25 lies inside 10.1.3.0/24)",
        ]);
    });

    it("lets the two leafs of a rack pair share their rack subnet, inside addressing.rackSubnets", async () => {
        const config = withConfig(REF3, {
            "fabric:leafs": [
                { name: "leaf1", rackSubnet: "10.0.101.0/24", mgmt: { host: "192.168.200.21" } },
                { name: "leaf2", rackSubnet: "10.0.101.0/24", mgmt: { host: "192.168.200.22" } },
            ],
        });
        assert.deepStrictEqual(
            messages(
                await runPolicies([prefixesDisjoint], await programStack(config)),
                prefixesDisjoint.name,
            ),
            [],
        );
    });
});
