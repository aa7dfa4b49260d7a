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
import { remote, types } from "@pulumi/command";

/** The command lines: the script is on stdin. */
export const APPLY_COMMAND = "bash -s apply";
export const DESTROY_COMMAND = "bash -s destroy";

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
    aliases?: pulumi.Input<pulumi.Alias>[];
}

export function deviceApplyCommand(
    name: string,
    args: DeviceApplyArgs,
    parent: pulumi.Resource,
): remote.Command {
    const command = args.command ?? APPLY_COMMAND;
    return new remote.Command(
        name,
        {
            connection: args.connection,
            create: command,
            update: command,
            delete: args.deleteCommand ?? DESTROY_COMMAND,
            stdin: args.containsSecrets ? pulumi.secret(args.script) : args.script,
            addPreviousOutputInEnv: false,
            logging: args.containsSecrets ? "none" : "stdoutAndStderr",
        },
        {
            parent,
            aliases: args.aliases,
            additionalSecretOutputs: args.containsSecrets ? ["stdout", "stderr"] : [],
        },
    );
}
