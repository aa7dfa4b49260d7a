// The stack program (Pulumi.yaml `main`): config → plan → Fabric.
// A config with problems stops here, every problem listed, before any
// resource is registered: nothing is half-applied.

import * as pulumi from "@pulumi/pulumi";
import { Fabric } from "../components";
import { FabricConfigError, planFabric } from "../plan";
import { readFabricConfig } from "./config";

const { config, secrets } = readFabricConfig();

function plan() {
    try {
        return planFabric(config);
    } catch (err) {
        if (err instanceof FabricConfigError) {
            throw new pulumi.RunError(`the fabric config has ${err.errors.length} problem(s):\n` + err.errors.map((e) => `  ${e.field}: ${e.message}`).join("\n"));
        }
        throw err;
    }
}

const fabricPlan = plan();
const fabric = new Fabric(fabricPlan.name, {
    plan: fabricPlan,
    ssh: { user: config.ssh?.user, privateKey: secrets.sshPrivateKey },
    bgpPasswords: secrets.bgpPasswords,
    kubernetes: { kubeconfig: secrets.kubeconfig, renderDirectory: config.kubernetes?.renderDirectory },
});

export const asns = fabric.asns;
export const loopbacks = fabric.loopbacks;
export const vips = fabric.vips;
export const bgpSessions = fabric.bgpSessions;
