import assert from "assert";
import { asnRanges, asnRouterIdUnique, policies } from "../../policy/policies";
import { DEV, REF4, REF5, devStack, duplicateIdentityStack, reservedAsnStack } from "./cases";
import { messages, programStack, runPolicies, stackConfigOf } from "./harness";

describe("policy fabric-asn-router-id-unique", function () {
    this.timeout(60000);

    it("passes the dev stack (spines share AS 65000, every leaf and node its own)", async () => {
        assert.deepStrictEqual(
            messages(
                await runPolicies([asnRouterIdUnique], await devStack()),
                asnRouterIdUnique.name,
            ),
            [],
        );
    });

    it("passes ref5 (metallb-bgp): the nodes share MetalLB's AS 64512 with each other and with the router (iBGP)", async () => {
        assert.deepStrictEqual(
            messages(
                await runPolicies([asnRouterIdUnique], await programStack(stackConfigOf(REF5))),
                asnRouterIdUnique.name,
            ),
            [],
        );
    });

    it("passes ref4, whose two leafs of one rack pair share AS 63500", async () => {
        assert.deepStrictEqual(
            messages(
                await runPolicies([asnRouterIdUnique], await programStack(stackConfigOf(REF4))),
                asnRouterIdUnique.name,
            ),
            [],
        );
    });

    it("refuses a stack where two leafs of different racks share an ASN and two switches a router-id", async () => {
        const run = await runPolicies(policies, await duplicateIdentityStack());
        assert.deepStrictEqual(messages(run, asnRouterIdUnique.name), [
            "leaf2.asn: 65101 is already the ASN of 'leaf1' (leaf); every leaf needs its own ASN (only the two leafs of one rack pair may share)",
            "leaf3.loopback: 172.16.255.101 is already the loopback of 'leaf1'",
        ]);
        const v = run.violations.find((x) => x.policy === asnRouterIdUnique.name)!;
        assert.strictEqual(v.level, "mandatory");
        assert.match(v.urn!, /\$bgp-fabric:index:Leaf::dev-leaf2$/);
    });
});

describe("policy fabric-asn-ranges", function () {
    this.timeout(60000);
    const VENDOR = { allowedRanges: [{ from: 63400, to: 63599 }] };

    it("passes the dev stack: every ASN is private (RFC 6996)", async () => {
        assert.deepStrictEqual(
            messages(await runPolicies([asnRanges], await devStack()), asnRanges.name),
            [],
        );
    });

    it("passes ref4's vendor fabric once its range is allowed in the policy config", async () => {
        const run = await runPolicies([asnRanges], await programStack(stackConfigOf(REF4)), {
            [asnRanges.name]: VENDOR,
        });
        assert.deepStrictEqual(messages(run, asnRanges.name), []);
    });

    it("refuses ref4's public ASNs under the default config", async () => {
        const run = await runPolicies([asnRanges], await programStack(stackConfigOf(REF4)));
        const tail =
            "outside the allowed ASNs (64512–65534 and 4200000000–4294967294); if the fabric really uses it, allow it in this policy's config (allowedRanges or allowedAsns)";
        assert.deepStrictEqual(messages(run, asnRanges.name), [
            `spine1 (spine, unmanaged) has ASN 63400, ${tail}`,
            `leaf1 (leaf, unmanaged) has ASN 63500, ${tail}`,
            `leaf2 (leaf, unmanaged) has ASN 63500, ${tail}`,
            `k8s1 (node) has ASN 63551, ${tail}`,
            `k8s2 (node) has ASN 63552, ${tail}`,
            `k8s3 (node) has ASN 63553, ${tail}`,
        ]);
    });

    it("allows single ASNs and can switch the private ranges off", async () => {
        const stack = await programStack(stackConfigOf(REF4));
        const run = await runPolicies([asnRanges], stack, {
            [asnRanges.name]: { privateRanges: false, allowedAsns: [63400, 63500, 63551, 63552] },
        });
        assert.deepStrictEqual(messages(run, asnRanges.name), [
            "k8s3 (node) has ASN 63553, outside the allowed ASNs (63400, 63500, 63551 and 63552); if the fabric really uses it, allow it in this policy's config (allowedRanges or allowedAsns)",
        ]);
    });

    it("refuses a reserved ASN whatever the config allows", async () => {
        const run = await runPolicies([asnRanges], await reservedAsnStack(), {
            [asnRanges.name]: { allowedRanges: [{ from: 1, to: 4294967294 }] },
        });
        assert.deepStrictEqual(messages(run, asnRanges.name), [
            "spine1 (spine): ASN 23456 is AS_TRANS (RFC 6793); no device may use it",
            "spine2 (spine): ASN 23456 is AS_TRANS (RFC 6793); no device may use it",
        ]);
    });

    it("checks the MetalLB speaker's ASN too (router-on-host)", async () => {
        const config = stackConfigOf(DEV);
        config["fabric:kubernetes"] = JSON.stringify({
            ...JSON.parse(config["fabric:kubernetes"]),
            speakerAsn: 64000,
        });
        const run = await runPolicies([asnRanges], await programStack(config));
        assert.deepStrictEqual(messages(run, asnRanges.name), [
            "the MetalLB speaker (kubernetes.speakerAsn) has ASN 64000, outside the allowed ASNs (64512–65534 and 4200000000–4294967294); if the fabric really uses it, allow it in this policy's config (allowedRanges or allowedAsns)",
        ]);
    });
});
