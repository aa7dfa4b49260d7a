import assert from "assert";
import { noPlaintextSecrets } from "../../policy/policies";
import { findSecretMaterial } from "../../policy/policies/secrets";
import { SECRET_SIG, messages, resourceArgs, runPolicies } from "./harness";
import { plaintextSecretsStack, secretsStack } from "./cases";

const FALLBACK =
    "and this policy cannot tell whether it is a secret: run fabric-no-plaintext-secrets at enforcement level 'remediate' (its default), the only level at which CrossGuard shows a policy which inputs are secret";

describe("policy fabric-no-plaintext-secrets", function () {
    this.timeout(60000);

    it("passes the real program with an SSH key and BGP passwords from secret config: both travel only as secrets", async () => {
        const stack = await secretsStack();
        const spine1 = stack.byName("dev-spine1-config");
        // The wire form really carries them as secrets, and the script really holds a password.
        assert.strictEqual(spine1.inputs.stdin[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270");
        assert.match(spine1.inputs.stdin.value, /^ neighbor swp1 password s3cret-fabric$/m);
        assert.strictEqual(
            spine1.inputs.connection[SECRET_SIG],
            "1b47061264138c4ac30d75fd1eb44270",
        );
        // What the remediation sees: every finding marked secret.
        const found = findSecretMaterial(spine1.type, resourceArgs(spine1, {}, true).props);
        assert.deepStrictEqual(
            found.map((f) => [f.field, f.secret]),
            [
                ["stdin", true],
                ["connection.privateKey", true],
            ],
        );
        assert.deepStrictEqual(
            messages(await runPolicies([noPlaintextSecrets], stack), noPlaintextSecrets.name),
            [],
        );
    });

    it("refuses a BGP password and a private key in plain-text scripts (reported as mandatory)", async () => {
        const run = await runPolicies([noPlaintextSecrets], await plaintextSecretsStack());
        assert.deepStrictEqual(messages(run, noPlaintextSecrets.name), [
            "leaf1-unmarked: stdin holds a BGP session password ('neighbor swp51 password …') in plain text; make it a Pulumi secret (pulumi.secret) so the engine encrypts it in state and masks it in previews and logs",
            "push-key: create holds a private key (-----BEGIN OPENSSH PRIVATE KEY-----) in plain text; make it a Pulumi secret (pulumi.secret) so the engine encrypts it in state and masks it in previews and logs",
        ]);
        assert.ok(run.violations.every((v) => v.level === "mandatory"));
        assert.ok(
            !run.violations.some(
                (v) =>
                    v.message.includes("s3cret-fabric") ||
                    v.message.includes("b3BlbnNzaC1rZXktdjEA"),
            ),
            "a message leaks the secret",
        );
    });

    it("says it cannot tell, rather than guess, when set to a level other than remediate", async () => {
        const run = await runPolicies([noPlaintextSecrets], await plaintextSecretsStack(), {
            [noPlaintextSecrets.name]: "advisory",
        });
        assert.deepStrictEqual(messages(run, noPlaintextSecrets.name), [
            `leaf1-unmarked: stdin holds a BGP session password ('neighbor swp51 password …'), ${FALLBACK}`,
            `push-key: create holds a private key (-----BEGIN OPENSSH PRIVATE KEY-----), ${FALLBACK}`,
            `push-key: connection.privateKey holds a private key, ${FALLBACK}`,
        ]);
        assert.ok(run.violations.every((v) => v.level === "advisory"));
    });
});
