// What a Spine and a Leaf are: a component whose one child is the remote
// command applying the switch's rendered FRR configuration with the safe-apply
// script. The plan decides every value; nothing here computes an address or ASN.

import * as pulumi from "@pulumi/pulumi";
import { remote } from "@pulumi/command";
import { FabricPlan, PlannedDevice } from "../plan";
import { peersPasswords, switchScripts } from "../render/device";
import { SshSettings, deviceConnection } from "./connection";
import { deviceApplyCommand } from "./device-apply";

export interface SwitchArgs {
    plan: FabricPlan;
    /** The device's entry in the plan. */
    device: PlannedDevice;
    ssh: SshSettings;
    /** BGP passwords by switch name (secrets); a switch uses its own and its peers'. */
    bgpPasswords?: Record<string, pulumi.Input<string>>;
}

export abstract class FabricSwitch extends pulumi.ComponentResource {
    /** The device's name in the plan (the component's own name is `<fabric>-<device>`). */
    public readonly device: pulumi.Output<string>;
    /** The switch's ASN. */
    public readonly asn: pulumi.Output<number>;
    /** Loopback and router-id. */
    public readonly loopback: pulumi.Output<string>;
    /** The remote command that applies the configuration: `<name>-config`. */
    public readonly config: remote.Command;

    protected constructor(
        type: string,
        name: string,
        args: SwitchArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        this.device = pulumi.output(args.device.name);
        this.asn = pulumi.output(args.device.asn);
        this.loopback = pulumi.output(args.device.loopback);
        this.config = this.applyConfig(name, args);
        this.registerOutputs({ device: this.device, asn: this.asn, loopback: this.loopback });
    }

    private applyConfig(name: string, args: SwitchArgs): remote.Command {
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
        return deviceApplyCommand(
            `${name}-config`,
            {
                connection: deviceConnection(device, args.ssh, this),
                // One script for create, update and delete (`bash -s apply|destroy`).
                script: plain?.apply ?? secret!.apply((s) => s.apply),
                containsSecrets: !plain,
                aliases: [{ name: `${device.name}-config` }], // its name before `<fabric>-<device>-config`
            },
            this,
        );
    }
}
