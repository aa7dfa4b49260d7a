// One remote command per device configuration. The script travels on the
// command's stdin and the command line is short and fixed (`bash -s apply`,
// `bash -s destroy`), so
//  - `pulumi preview --diff` shows a changed configuration line once (the
//    stdin), not once per create, update and delete;
//  - when the device fails, `pulumi up`'s error is `running "bash -s apply"`
//    followed by the device's own text, not the whole script.
// The delete runs with the stdin of the resource being deleted (its own
// script), which is how a replacement's old delete knows what it applied.
// A device whose text did not change is not touched at all. The script itself
// (render/apply-script.ts) implements the safe-apply protocol.

import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";
import { DeviceCommand } from "./device-command";

/** The command lines: the script is on stdin. */
export const APPLY_COMMAND = "bash -s apply";
export const DESTROY_COMMAND = "bash -s destroy";
export const CONFIRM_COMMAND = "bash -s confirm";

export interface DeviceApplyArgs {
    connection: types.input.remote.ConnectionArgs;
    /** The script (stdin of every command line); with the device's configuration inline. */
    script: pulumi.Input<string>;
    /** create and update (default APPLY_COMMAND). */
    command?: string;
    /** delete (default DESTROY_COMMAND). */
    deleteCommand?: string;
    /** The script embeds secrets (BGP passwords): keep it and its output out of logs. */
    containsSecrets: boolean;
    /** Earlier names of this command, so a rename never replaces it on a live device. */
    aliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[];
    /** Resources this command waits for. */
    dependsOn?: pulumi.Input<pulumi.Resource[]>;
}

export function deviceApplyCommand(
    name: string,
    args: DeviceApplyArgs,
    parent: pulumi.Resource,
): DeviceCommand {
    const command = args.command ?? APPLY_COMMAND;
    return new DeviceCommand(
        name,
        {
            connection: args.connection,
            create: command,
            update: command,
            delete: args.deleteCommand ?? DESTROY_COMMAND,
            stdin: args.containsSecrets ? pulumi.secret(args.script) : args.script,
            logging: args.containsSecrets ? "none" : "stdoutAndStderr",
        },
        {
            parent,
            aliases: args.aliases,
            dependsOn: args.dependsOn,
            additionalSecretOutputs: args.containsSecrets ? ["stdout", "stderr"] : [],
        },
    );
}

export interface DeviceConfirmArgs {
    connection: types.input.remote.ConnectionArgs;
    /** The confirm script (render/device.ts confirmScript): stdin. */
    script: pulumi.Input<string>;
    /** It belongs to a script that embeds secrets: keep it out of logs too. */
    containsSecrets: boolean;
    /** The apply it confirms. */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The confirm of a device's apply: its own SSH connection, opened after the apply succeeded, is
 * the proof that the change left the device reachable (commit-confirm, docs/safe-apply.md). It
 * runs again whenever the apply does (its script carries the sha256 of the applied frr.conf);
 * deleting it does nothing on the device.
 */
export function deviceConfirmCommand(
    name: string,
    args: DeviceConfirmArgs,
    parent: pulumi.Resource,
): DeviceCommand {
    return new DeviceCommand(
        name,
        {
            connection: args.connection,
            create: CONFIRM_COMMAND,
            update: CONFIRM_COMMAND,
            stdin: args.containsSecrets ? pulumi.secret(args.script) : args.script,
            logging: args.containsSecrets ? "none" : "stdoutAndStderr",
        },
        { parent, dependsOn: args.dependsOn },
    );
}
