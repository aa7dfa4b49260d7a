import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policy/policies";
import { ROOT } from "../support/fixtures";
import { DOC_EXAMPLES } from "./cases";
import { messages, runPolicies } from "./harness";

describe("docs/policy.md", function () {
    this.timeout(60000);
    const doc = fs.readFileSync(path.join(ROOT, "docs/policy.md"), "utf8");

    it("lists every policy with its enforcement level", () => {
        for (const p of policies) {
            const row = doc.split("\n").find((l) => l.startsWith(`| \`${p.name}\` |`));
            assert.ok(row, `${p.name} is not in the table`);
            assert.match(
                row!.split("|")[3],
                new RegExp(`\\b${p.enforcementLevel}\\b`),
                `${p.name}: the table does not say ${p.enforcementLevel}`,
            );
        }
    });

    for (const ex of DOC_EXAMPLES) {
        it(`quotes ${ex.policy}'s violation as the policy prints it`, async () => {
            const policy = policies.find((p) => p.name === ex.policy)!;
            const [first] = messages(await runPolicies([policy], await ex.stack()), ex.policy);
            assert.ok(
                doc.includes(`${policy.description}\n${first}\n`),
                `docs/policy.md does not quote:\n${policy.description}\n${first}`,
            );
        });
    }
});
