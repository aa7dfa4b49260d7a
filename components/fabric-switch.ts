// What a Spine and a Leaf are: a component whose children are the remote
// command applying the switch's rendered FRR configuration with the safe-apply
// script (`<name>-config`), and the one confirming it over a second SSH
// connection once it succeeded (`<name>-confirm`; without it the switch
// restores its previous configuration itself: docs/safe-apply.md). The plan
// decides every value; nothing here computes an address or ASN.

import * as pulumi from "@pulumi/pulumi";
import { FabricPlan, PlannedDevice } from "../plan";
import { peersPasswords, switchScripts } from "../render/device";
import { formerName } from "./aliases";
import { SshSettings, deviceConnection } from "./connection";
import { DeviceCommand } from "./device-command";
import { deviceApplyCommand, deviceConfirmCommand } from "./device-apply";
import { COMMAND_TYPE } from "./types";

export interface SwitchArgs {
    plan: FabricPlan;
    /** The device's entry in the plan. */
    device: PlannedDevice;
    ssh: SshSettings;
    /** BGP passwords by switch name (secrets); a switch uses its own and its peers'. */
    bgpPasswords?: Record<string, pulumi.Input<string>>;
    /** What the switch's commands wait for (dependsOn): the previous wave of the rollout (plan/waves.ts), or none (at once). */
    after?: pulumi.Input<pulumi.Resource[]>;
}

export abstract class FabricSwitch extends pulumi.ComponentResource {
    /** The device's name in the plan (the component's own name is `<fabric>-<device>`). */
    public readonly device: string;
    /** The switch's ASN. */
    public readonly asn: number;
    /** Loopback and router-id. */
    public readonly loopback: string;
    /** The remote command that applies the configuration: `<name>-config`. */
    public readonly config: DeviceCommand;
    /** The remote command that confirms it: `<name>-confirm`. */
    public readonly confirm: DeviceCommand;

    protected constructor(
        type: string,
        name: string,
        args: SwitchArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        this.device = args.device.name;
        this.asn = args.device.asn;
        this.loopback = args.device.loopback;
        const { config, confirm } = this.applyConfig(name, args);
        this.config = config;
        this.confirm = confirm;
        this.registerOutputs({ device: this.device, asn: this.asn, loopback: this.loopback });
    }

    private applyConfig(
        name: string,
        args: SwitchArgs,
    ): { config: DeviceCommand; confirm: DeviceCommand } {
        const { plan, device } = args;
        const passwords = Object.entries(peersPasswords(device, args.bgpPasswords));
        const render = (pw: Record<string, string>) => {
            const scripts = switchScripts(
                plan,
                device.name,
                Object.keys(pw).length ? { passwords: pw } : {},
            );
            if (!scripts)
                throw new pulumi.ResourceError(`${device.name}: not a managed switch`, this);
            return scripts;
        };
        // Without passwords the scripts are plain text, so preview --diff shows their lines.
        const plain = passwords.length === 0 ? render({}) : undefined;
        const secret = plain
            ? undefined
            : pulumi.secret(
                  pulumi
                      .all(Object.fromEntries(passwords))
                      .apply((pw) => render(pw as Record<string, string>)),
              );
        const connection = deviceConnection(device, args.ssh, this);
        const config = deviceApplyCommand(
            `${name}-config`,
            {
                connection,
                // One script for create, update and delete (`bash -s apply|destroy`).
                script: plain?.apply ?? secret!.apply((s) => s.apply),
                containsSecrets: !plain,
                aliases: [formerName(this, COMMAND_TYPE, `${device.name}-config`)], // its name before `<fabric>-<device>-config`
                dependsOn: args.after,
            },
            this,
        );
        const confirm = deviceConfirmCommand(
            `${name}-confirm`,
            {
                connection,
                script: plain?.confirm ?? secret!.apply((s) => s.confirm),
                containsSecrets: !plain,
                dependsOn: [config],
            },
            this,
        );
        return { config, confirm };
    }
}
