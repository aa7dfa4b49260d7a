// One remote command per device configuration. Its create/update script
// carries the rendered text, so `pulumi preview --diff` shows the changed
// lines and a device whose text did not change is not touched at all. The
// script itself (render/apply-script.ts) implements the safe-apply protocol.

import * as pulumi from "@pulumi/pulumi";
import { remote, types } from "@pulumi/command";

export interface DeviceApplyArgs {
    connection: types.input.remote.ConnectionArgs;
    /** The safe-apply script with the device's configuration inline. */
    script: pulumi.Input<string>;
    /** What `pulumi destroy` runs on the device. */
    deleteScript: pulumi.Input<string>;
    /** The script embeds secrets (BGP passwords): keep it and its output out of logs. */
    containsSecrets: boolean;
}

export function deviceApplyCommand(name: string, args: DeviceApplyArgs, parent: pulumi.Resource): remote.Command {
    const script = args.containsSecrets ? pulumi.secret(args.script) : args.script;
    const deleteScript = args.containsSecrets ? pulumi.secret(args.deleteScript) : args.deleteScript;
    return new remote.Command(
        name,
        {
            connection: args.connection,
            create: script,
            update: script,
            delete: deleteScript,
            addPreviousOutputInEnv: false,
            logging: args.containsSecrets ? "none" : "stdoutAndStderr",
        },
        { parent, additionalSecretOutputs: args.containsSecrets ? ["stdout", "stderr"] : [] },
    );
}
