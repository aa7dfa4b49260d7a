import * as pulumi from "@pulumi/pulumi";
import { FabricSwitch, SwitchArgs } from "./fabric-switch";

export type SpineArgs = SwitchArgs;

/** A spine switch: its FRR configuration, applied safely over SSH. */
export class Spine extends FabricSwitch {
    constructor(name: string, args: SpineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bgp-fabric:index:Spine", name, args, opts);
    }
}
