import assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { UnknownValueError } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { effectiveRemoteAs, frrConfOf, parseFrrBgp } from "../../policy/frr-text";
import { fabricViews } from "../../policy/stack-view";
import { planFabric, readStackFile } from "../../plan";
import { expectedSessions } from "../../render/apply-script";
import { switchScripts } from "../../render/device";
import { renderNodeFrr } from "../../render/frr-node";
import { renderSwitchFrr } from "../../render/frr-switch";
import { ROOT, exampleFiles } from "../support/fixtures";
import { DEV, devStack, passwordCommandStack, planOf } from "./cases";
import { UNKNOWN, programStack, runPolicies, stackArgs, stackConfigOf } from "./harness";

const STACK_POLICIES = policies.filter((p) => "validateStack" in p).map((p) => p.name);
const FILES = [DEV, ...exampleFiles().map((f) => path.relative(ROOT, f))];

describe("policy pack: reading the deployed FRR text", () => {
    for (const file of FILES) {
        it(`finds every rendered frr.conf of ${file} in its apply script, and parses its router bgp`, () => {
            const plan = planFabric(
                readStackFile({ config: path.join(ROOT, file), root: ROOT }).config,
            );
            for (const d of plan.devices.filter((x) => x.managed && x.role !== "external")) {
                const text =
                    d.role === "node"
                        ? renderNodeFrr(plan, d.name)
                        : frrConfOf(switchScripts(plan, d.name)!.apply);
                if (d.role !== "node")
                    assert.strictEqual(text, renderSwitchFrr(plan, d.name), d.name);
                if (text === undefined) continue; // a calico-bgp node has no router
                const bgp = parseFrrBgp(text)!;
                assert.strictEqual(bgp.asn, d.asn, d.name);
                assert.strictEqual(bgp.routerId, d.loopback, d.name);
                assert.ok(bgp.multipathRelax, d.name);
                const keys =
                    d.role === "node"
                        ? d.neighbors.map((n) => n.interface!)
                        : expectedSessions(plan, d.name).map((s) => s.key);
                for (const key of keys) {
                    const n = bgp.neighbors.get(key);
                    assert.ok(n, `${d.name}: neighbor ${key}`);
                    assert.ok(effectiveRemoteAs(bgp, n!), `${d.name}: remote-as of ${key}`);
                }
            }
        });
    }

    it("finds no frr.conf in a script without one", () => {
        assert.strictEqual(frrConfOf("#!/bin/bash\necho hello\n"), undefined);
        assert.strictEqual(parseFrrBgp("hostname x\n"), undefined);
    });
});

describe("policy pack: where the stack policies get the plan", function () {
    this.timeout(60000);

    it("re-plans from the stack's fabric:* config (the program's own reader and planner): the Fabric registers no plan output", async () => {
        const stack = await devStack();
        assert.strictEqual(
            stack.find((r) => r.type === "bgp-fabric:index:Fabric").outputs.plan,
            undefined,
        );
        pulumi.runtime.setAllConfig(stack.config);
        try {
            const [view] = fabricViews(stackArgs(stack, {}).resources);
            assert.strictEqual(view.planSource, "the stack's fabric:* config");
            assert.deepStrictEqual(view.plan, planOf(DEV));
            assert.strictEqual(view.frr.size, 14);
            assert.deepStrictEqual(
                view.asns,
                Object.fromEntries(planOf(DEV).devices.map((d) => [d.name, d.asn])),
            );
        } finally {
            pulumi.runtime.setAllConfig({});
        }
    });

    it("reports one violation per stack policy when there is no plan to judge by", async () => {
        const stack = (await devStack()).clone();
        for (const k of Object.keys(stack.config)) delete stack.config[k];
        const run = await runPolicies(policies, stack);
        const noPlan = run.violations.filter((v) => v.message.startsWith("cannot plan"));
        assert.deepStrictEqual(
            noPlan.map((v) => v.policy),
            STACK_POLICIES,
        );
        assert.strictEqual(
            noPlan[0].message,
            "cannot plan the stack's fabric:* config to check Fabric 'dev' against: fabric:leafs: at least one leaf is required",
        );
    });

    it("does not apply to a stack without a Fabric", async () => {
        const stack = await passwordCommandStack();
        const bare = stack.clone();
        bare.resources.splice(
            0,
            bare.resources.length,
            ...stack.resources.filter((r) => r.name === "border-backup"),
        );
        const run = await runPolicies(policies, bare);
        assert.deepStrictEqual(
            run.notApplicable,
            STACK_POLICIES.map((policy) => ({
                policy,
                reason: "the stack has no bgp-fabric Fabric component",
            })),
        );
    });

    it("touches no value a preview leaves unknown (the provider's outputs), and judges an update the same", async () => {
        const preview = await devStack();
        const cmd = preview.byName("dev-leaf1-config");
        assert.strictEqual(cmd.outputs.stdout, UNKNOWN);
        const [r] = stackArgs(preview, {}).resources.filter((x) => x.name === "dev-leaf1-config");
        assert.throws(
            () => r.props.stdout,
            (e: unknown) =>
                e instanceof UnknownValueError &&
                /string value at .stdout can't be known during preview/.test(
                    String((e as Error).message),
                ),
        );
        const update = await programStack(stackConfigOf(DEV), { preview: false });
        for (const stack of [preview, update]) {
            const run = await runPolicies(policies, stack);
            assert.deepStrictEqual(
                run.violations.filter((v) => v.level === "mandatory"),
                [],
            );
            assert.deepStrictEqual(run.notApplicable, []);
        }
    });
});
