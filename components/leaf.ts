import * as pulumi from "@pulumi/pulumi";
import { FabricSwitch, SwitchArgs } from "./fabric-switch";
import { COMPONENT_TYPES } from "./types";

export type LeafArgs = SwitchArgs;

/** A leaf switch: its FRR configuration (fabric uplinks and server ports), applied safely over SSH. */
export class Leaf extends FabricSwitch {
    constructor(name: string, args: LeafArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COMPONENT_TYPES.leaf, name, args, opts);
    }
}
