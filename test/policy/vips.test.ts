import assert from "assert";
import { vipsInPools } from "../../policy/policies";
import { servicesStack, vipOutsidePoolStack } from "./cases";
import { messages, runPolicies } from "./harness";

describe("policy fabric-vips-in-pools", function () {
    this.timeout(60000);

    it("passes the dev fabric with a Service pinned to a named VIP (LoadBalancerPool.serviceFor)", async () => {
        const stack = await servicesStack();
        assert.ok(
            stack.resources.some(
                (r) =>
                    r.type === "kubernetes:core/v1:Service" &&
                    r.inputs.metadata.annotations["metallb.io/loadBalancerIPs"] === "172.29.0.6",
            ),
        );
        assert.deepStrictEqual(
            messages(await runPolicies([vipsInPools], stack), vipsInPools.name),
            [],
        );
    });

    it("passes a Service pinning an unreserved address of a pool", async () => {
        const run = await runPolicies(
            [vipsInPools],
            await servicesStack({ name: "shop", ip: "172.29.0.77", pool: "default" }),
        );
        assert.deepStrictEqual(messages(run, vipsInPools.name), []);
    });

    it("refuses a named VIP outside its pool, and the MetalLB pools built from it", async () => {
        const run = await runPolicies([vipsInPools], await vipOutsidePoolStack());
        assert.deepStrictEqual(messages(run, vipsInPools.name), [
            "pool 'default': the VIP 'ingress' 172.29.1.6 is outside the pool's 172.29.0.0/24",
            "MetalLB IPAddressPool 'default' of pool 'default' hands out 172.29.0.8-172.29.1.5, outside the pool's 172.29.0.0/24",
            "MetalLB IPAddressPool 'default-vips' of pool 'default' hands out 172.29.1.6/32, outside the pool's 172.29.0.0/24",
        ]);
    });

    it("refuses a Service pinning an address in no fabric pool", async () => {
        const run = await runPolicies(
            [vipsInPools],
            await servicesStack({ name: "shop", ip: "172.30.0.9" }),
        );
        assert.deepStrictEqual(messages(run, vipsInPools.name), [
            "Service shop/shop pins 172.30.0.9, which is in none of the fabric's LoadBalancer pools ('default' 172.29.0.0/24); the fabric would not announce it",
        ]);
    });

    it("refuses a Service taking a non-VIP from the reserved-VIP pool, or a named VIP from the pool proper", async () => {
        const fromVips = await runPolicies(
            [vipsInPools],
            await servicesStack({ name: "shop", ip: "172.29.0.77", pool: "default-vips" }),
        );
        assert.deepStrictEqual(messages(fromVips, vipsInPools.name), [
            "Service shop/shop pins 172.29.0.77 from 'default-vips', which holds only the named VIPs of pool 'default' (172.29.0.6 and 172.29.0.7)",
        ]);
        const fromPool = await runPolicies(
            [vipsInPools],
            await servicesStack({ name: "shop", ip: "172.29.0.7", pool: "default" }),
        );
        assert.deepStrictEqual(messages(fromPool, vipsInPools.name), [
            "Service shop/shop pins the named VIP 'dashboard' 172.29.0.7 from 'default', which excludes its named VIPs; name 'default-vips'",
        ]);
    });
});
