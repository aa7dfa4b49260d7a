import * as pulumi from "@pulumi/pulumi";
import { FabricSwitch, SwitchArgs } from "./fabric-switch";

export type LeafArgs = SwitchArgs;

/** A leaf switch: its FRR configuration (fabric uplinks and server ports), applied safely over SSH. */
export class Leaf extends FabricSwitch {
    constructor(name: string, args: LeafArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bgp-fabric:index:Leaf", name, args, opts);
    }
}
