import * as pulumi from "@pulumi/pulumi";
import { FabricSwitch, SwitchArgs } from "./fabric-switch";
import { COMPONENT_TYPES } from "./types";

export type SpineArgs = SwitchArgs;

/** A spine switch: its FRR configuration, applied safely over SSH. */
export class Spine extends FabricSwitch {
    constructor(name: string, args: SpineArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COMPONENT_TYPES.spine, name, args, opts);
    }
}
