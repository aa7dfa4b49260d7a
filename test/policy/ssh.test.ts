import assert from "assert";
import { sshHostKeyPinned, sshKeysOnly } from "../../policy/policies";
import { devStack, passwordCommandStack, pinnedHostKeysConfig } from "./cases";
import { messages, programStack, runPolicies } from "./harness";

describe("policy fabric-ssh-keys-only", function () {
    this.timeout(60000);

    it("passes the dev stack: every device connection is key-based", async () => {
        assert.deepStrictEqual(
            messages(await runPolicies([sshKeysOnly], await devStack()), sshKeysOnly.name),
            [],
        );
    });

    it("refuses a command that logs in with a password", async () => {
        const run = await runPolicies([sshKeysOnly], await passwordCommandStack());
        assert.deepStrictEqual(messages(run, sshKeysOnly.name), [
            "border-backup connects to admin@10.10.0.50:22 with a password; bgp-fabric devices take SSH keys only (fabric:ssh.privateKey as a secret, or an SSH agent)",
        ]);
        assert.strictEqual(run.violations[0].level, "mandatory");
    });
});

describe("policy fabric-ssh-host-key-pinned", function () {
    this.timeout(60000);

    it("passes a stack whose devices all pin their host keys (mgmt.hostKey)", async () => {
        assert.deepStrictEqual(
            messages(
                await runPolicies([sshHostKeyPinned], await programStack(pinnedHostKeysConfig())),
                sshHostKeyPinned.name,
            ),
            [],
        );
    });

    it("warns (advisory) about every device connection of the dev stack, which pins none", async () => {
        const run = await runPolicies([sshHostKeyPinned], await devStack());
        const msgs = messages(run, sshHostKeyPinned.name);
        assert.strictEqual(msgs.length, 20, "6 switch configs, 6 confirms, 8 node setups");
        assert.strictEqual(
            msgs[0],
            "dev-spine1-config connects to root@10.10.0.11:22 without a pinned host key (mgmt.hostKey): any machine answering on that address would be trusted with the device's configuration",
        );
        assert.ok(run.violations.every((v) => v.level === "advisory"));
    });

    it("is made mandatory, and hosts exempted, by the policy config", async () => {
        const hosts = [
            "10.10.0.11",
            "10.10.0.12",
            "10.10.0.21",
            "10.10.0.22",
            "10.10.0.23",
            "10.10.0.24",
            "10.10.0.101",
            "10.10.0.102",
            "10.10.0.103",
            "10.10.0.104",
            "10.10.0.105",
            "10.10.0.106",
            "10.10.0.107",
        ];
        const run = await runPolicies([sshHostKeyPinned], await devStack(), {
            [sshHostKeyPinned.name]: { enforcementLevel: "mandatory", exemptHosts: hosts },
        });
        assert.deepStrictEqual(
            run.violations.map((v) => [v.level, v.message]),
            [
                [
                    "mandatory",
                    "dev-k8s8-setup connects to root@10.10.0.108:22 without a pinned host key (mgmt.hostKey): any machine answering on that address would be trusted with the device's configuration",
                ],
            ],
        );
    });
});
