// The stack program as a function: config → plan → Fabric → outputs. The
// Pulumi CLI runs it through stacks/index.ts (Pulumi.yaml `main`); the
// Automation API runs the same function as an inline program (engine/).
// A config with problems stops here, every problem listed, before any
// resource is registered: nothing is half-applied.

import * as pulumi from "@pulumi/pulumi";
import { Fabric } from "../components";
import { FabricConfigError, FabricPlan, planFabric } from "../plan";
import { APPLIED_SWITCHES_OUTPUT } from "../plan/rollout";
import { readFabricConfig } from "./config";
import { skipSdkOverheads } from "./sdk-overheads";
import { stackRollout } from "./rollout";

export interface StackOutputs {
    asns: pulumi.Output<Record<string, number>>;
    loopbacks: pulumi.Output<Record<string, string>>;
    vips: pulumi.Output<Record<string, { cidr: string; vips: Record<string, string> }>>;
    bgpSessions: Fabric["bgpSessions"];
    [APPLIED_SWITCHES_OUTPUT]: Fabric["appliedSwitches"];
}

export function fabricProgram(): StackOutputs {
    skipSdkOverheads();
    let read: ReturnType<typeof readFabricConfig>;
    let fabricPlan: FabricPlan;
    try {
        read = readFabricConfig();
        fabricPlan = planFabric(read.config);
    } catch (err) {
        if (!(err instanceof FabricConfigError)) throw err;
        const problems = err.errors.map((e) => `  ${e.field}: ${e.message}`);
        throw new pulumi.RunError(
            `the fabric config has ${problems.length} problem(s):\n${problems.join("\n")}`,
        );
    }
    const { config, secrets } = read;
    const fabric = new Fabric(fabricPlan.name, {
        plan: fabricPlan,
        ssh: { user: config.ssh?.user, privateKey: secrets.sshPrivateKey },
        bgpPasswords: secrets.bgpPasswords,
        kubernetes: {
            kubeconfig: secrets.kubeconfig,
            renderDirectory: config.kubernetes?.renderDirectory,
        },
        devices: config.apply?.devices ?? true,
        rollout: stackRollout(fabricPlan.apply.rollout),
    });
    return {
        asns: fabric.asns,
        loopbacks: fabric.loopbacks,
        vips: fabric.vips,
        bgpSessions: fabric.bgpSessions,
        [APPLIED_SWITCHES_OUTPUT]: fabric.appliedSwitches,
    };
}
