// The rollout of this update (plan/rollout.ts) for `apply.rollout: auto`: the
// stack reads its own last outputs through a StackReference to itself. The
// reference reads the state the last update left (an update in progress
// writes its outputs only when it ends), so a first `up` — or one after
// `destroy` — finds no `appliedSwitches` and applies every switch at once.

import * as pulumi from "@pulumi/pulumi";
import { APPLIED_SWITCHES_OUTPUT, RolloutMode, rolloutMode } from "../plan/rollout";
import { Rollout } from "../plan/types";

export function stackRollout(setting: Rollout): pulumi.Output<RolloutMode> {
    if (setting !== "auto") return pulumi.output(rolloutMode(setting, undefined));
    const self = new pulumi.StackReference(
        `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    );
    return self
        .getOutput(APPLIED_SWITCHES_OUTPUT)
        .apply((recorded) => rolloutMode(setting, recorded));
}
