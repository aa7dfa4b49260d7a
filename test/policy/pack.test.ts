// The policy pack end to end as far as this machine allows: the pack started
// the way the Pulumi CLI's nodejs runtime starts it (run-policy-pack, ts-node
// type-checking policy/ and the plan/render code it shares), driven over gRPC
// the way the engine drives it during a preview. Only the engine itself is
// played by the test (see docs/policy.md, "What cannot run here").

import assert from "assert";
import { policies } from "../../policy/policies";
import {
    DEV,
    REF4,
    devStack,
    duplicateIdentityStack,
    plaintextSecretsStack,
    secretsStack,
} from "./cases";
import { programStack, stackConfigOf } from "./harness";
import { PackProcess } from "./pack-process";

/** A violation as the CLI prints it: @pulumi/policy puts the policy's description on the line before the message. */
function printed(policy: string, message: string): string {
    return `${policies.find((p) => p.name === policy)!.description}\n${message}`;
}

describe("policy pack: the real pack over gRPC (run-policy-pack, as the Pulumi CLI starts it)", function () {
    this.timeout(120000);
    let dev: PackProcess | undefined;
    let ref4: PackProcess | undefined;

    before(async () => {
        [dev, ref4] = await Promise.all([
            PackProcess.start(stackConfigOf(DEV)),
            PackProcess.start(stackConfigOf(REF4)),
        ]);
    });
    after(() => {
        dev?.stop();
        ref4?.stop();
    });

    it("loads, type-checked, and describes every policy with its level and config schema", async () => {
        const info = await dev!.info();
        assert.strictEqual(info.name, "bgp-fabric");
        assert.strictEqual(info.version, "0.1.0");
        assert.deepStrictEqual(
            info.policies.map((p) => [p.name, p.level]),
            policies.map((p) => [p.name, p.enforcementLevel]),
        );
        assert.deepStrictEqual(
            Object.keys(info.policies.find((p) => p.name === "fabric-asn-ranges")!.schema!).sort(),
            ["allowedAsns", "allowedRanges", "privateRanges"],
        );
    });

    it("previews the dev stack with nothing but the advisory host-key warnings, and remediates nothing", async () => {
        const { diagnostics, remediated } = await dev!.preview(await devStack());
        assert.deepStrictEqual(
            [...new Set(diagnostics.map((d) => `${d.policy} ${d.level}`))],
            ["fabric-ssh-host-key-pinned advisory"],
        );
        assert.strictEqual(diagnostics.length, 20, "6 switch configs, 6 confirms, 8 node setups");
        assert.deepStrictEqual(remediated, []);
    });

    it("refuses duplicate identities (stack policy, mandatory), re-planning from the stack config it was given", async () => {
        const { diagnostics } = await dev!.preview(await duplicateIdentityStack());
        const d0 = "fabric-asn-router-id-unique";
        const unique = diagnostics.filter((d) => d.policy === d0);
        assert.deepStrictEqual(
            unique.map((d) => [d.level, d.message]),
            [
                [
                    "mandatory",
                    printed(
                        d0,
                        "leaf2.asn: 65101 is already the ASN of 'leaf1' (leaf); every leaf needs its own ASN (only the two leafs of one rack pair may share)",
                    ),
                ],
                [
                    "mandatory",
                    printed(
                        d0,
                        "leaf3.loopback: 172.16.255.101 is already the loopback of 'leaf1'",
                    ),
                ],
            ],
        );
        assert.match(unique[0].urn, /bgp-fabric:index:Leaf::dev-leaf2$/);
    });

    it("sees which inputs are secret through its remediation: real secrets pass, plain-text ones are mandatory violations", async () => {
        const NPS = "fabric-no-plaintext-secrets";
        const secret = await dev!.preview(await secretsStack());
        assert.deepStrictEqual(
            secret.diagnostics.filter((d) => d.policy === "fabric-no-plaintext-secrets"),
            [],
        );
        const plain = await dev!.preview(await plaintextSecretsStack());
        assert.deepStrictEqual(
            plain.diagnostics
                .filter((d) => d.policy === "fabric-no-plaintext-secrets")
                .map((d) => [d.level, d.message]),
            [
                [
                    "mandatory",
                    printed(
                        NPS,
                        "leaf1-unmarked: stdin holds a BGP session password ('neighbor swp51 password …') in plain text; make it a Pulumi secret (pulumi.secret) so the engine encrypts it in state and masks it in previews and logs",
                    ),
                ],
                [
                    "mandatory",
                    printed(
                        NPS,
                        "push-key: create holds a private key (-----BEGIN OPENSSH PRIVATE KEY-----) in plain text; make it a Pulumi secret (pulumi.secret) so the engine encrypts it in state and masks it in previews and logs",
                    ),
                ],
            ],
        );
    });

    it("takes its config like --policy-pack-config: ref4's vendor ASNs refused by default, allowed when configured", async () => {
        const stack = await programStack(stackConfigOf(REF4));
        const before = await ref4!.preview(stack);
        assert.strictEqual(
            before.diagnostics.filter(
                (d) => d.policy === "fabric-asn-ranges" && d.level === "mandatory",
            ).length,
            6,
        );
        await ref4!.configure({
            "fabric-asn-ranges": {
                level: "mandatory",
                properties: { allowedRanges: [{ from: 63400, to: 63599 }] },
            },
        });
        const after = await ref4!.preview(stack);
        assert.deepStrictEqual(
            after.diagnostics.filter((d) => d.policy === "fabric-asn-ranges"),
            [],
        );
    });
});
