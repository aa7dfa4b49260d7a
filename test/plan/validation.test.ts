import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../support/fixtures";
import { INVALID_CONFIGS, errorsOf } from "./invalid-configs";
import { errorCatalogue } from "../support/error-catalogue";

describe("planner: validation", () => {
    for (const [what, mutate, field, message] of INVALID_CONFIGS) {
        it(`refuses ${what}, naming ${field}`, () => {
            const errors = errorsOf(mutate);
            assert.ok(
                errors.some((e) => e.startsWith(`${field}: `) && message.test(e)),
                `expected an error on ${field} matching ${message}, got:\n  ${errors.join("\n  ") || "(no error)"}`,
            );
        });
    }

    it("reports every problem at once", () => {
        const errors = errorsOf((c) => {
            c.leafs[0].asn = 0;
            c.nodes[0].loopback = "nope";
            c.loadBalancerPools![0].vips!.dashboard = "1.2.3.4";
        });
        assert.deepStrictEqual(
            errors.map((e) => e.split(":").slice(0, 2).join(":")),
            [
                "fabric:leafs[0].asn",
                "fabric:nodes[0].loopback",
                "fabric:loadBalancerPools[0].vips.dashboard",
            ],
        );
    });

    it("accepts the dev stack and every case's unmutated base", () => {
        assert.deepStrictEqual(
            errorsOf(() => undefined),
            [],
        );
    });

    it("has at least 30 distinct classes of bad input, each naming a field", () => {
        assert.ok(INVALID_CONFIGS.length >= 30, `${INVALID_CONFIGS.length} cases`);
        assert.strictEqual(new Set(INVALID_CONFIGS.map((c) => c[0])).size, INVALID_CONFIGS.length);
    });

    it("docs/config-errors.md lists exactly what the planner says (UPDATE_GOLDEN=1 rewrites it)", () => {
        const file = path.join(ROOT, "docs/config-errors.md");
        const text = errorCatalogue();
        if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, text);
        assert.strictEqual(
            fs.readFileSync(file, "utf8"),
            text,
            "docs/config-errors.md is stale: run UPDATE_GOLDEN=1 npm test",
        );
    });
});
