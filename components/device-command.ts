// A device's remote command as the engine sees it: `command:remote:Command` of
// @pulumi/command, registered with exactly the inputs and options that
// package's own `remote.Command` would send for bgp-fabric's arguments (the
// same state, the same diff, the same provider), but with an Output only for
// what bgp-fabric sets. `remote.Command` lifts every property it knows
// (environment, triggers, stdout, …) into an Output and wraps the connection
// in three more; at 1,000 devices that was a quarter of the program's memory
// (BENCHMARKS.md §6). The provider still records stdout and stderr in the
// state; nothing here reads them.

import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";
import { COMMAND_TYPE } from "./types";

/** The plugin version `remote.Command` asks for: the installed @pulumi/command's. */
export const COMMAND_VERSION: string = require("@pulumi/command/package.json").version.replace(
    /^v/,
    "",
);

export interface DeviceCommandArgs {
    /** Marked secret as a whole, as `remote.Command` does (it holds the private key). */
    connection: types.input.remote.ConnectionArgs;
    create: string;
    update: string;
    delete?: string;
    stdin: pulumi.Input<string>;
    logging: "stdoutAndStderr" | "none";
}

export class DeviceCommand extends pulumi.CustomResource {
    declare public readonly connection: pulumi.Output<types.output.remote.Connection>;
    declare public readonly create: pulumi.Output<string>;
    declare public readonly update: pulumi.Output<string>;
    declare public readonly delete: pulumi.Output<string | undefined>;
    declare public readonly stdin: pulumi.Output<string>;
    declare public readonly logging: pulumi.Output<string>;
    declare public readonly addPreviousOutputInEnv: pulumi.Output<boolean>;

    constructor(name: string, args: DeviceCommandArgs, opts: pulumi.CustomResourceOptions = {}) {
        // Same defaults as remote.Command (port 22, user root, 15 s per dial, …): the
        // package's own function, so an upgrade that changes them changes both alike.
        const connection = types.input.remote.connectionArgsProvideDefaults(args.connection);
        super(
            COMMAND_TYPE,
            name,
            {
                addPreviousOutputInEnv: false,
                connection: pulumi.secret(connection),
                create: args.create,
                delete: args.delete,
                logging: args.logging,
                stdin: args.stdin,
                update: args.update,
            },
            // Merged in remote.Command's order (mergeOptions appends lists).
            [
                { additionalSecretOutputs: ["connection"] },
                { replaceOnChanges: ["triggers[*]"] },
            ].reduce(pulumi.mergeOptions, pulumi.mergeOptions({ version: COMMAND_VERSION }, opts)),
        );
    }
}
