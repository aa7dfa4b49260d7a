// components/device-command.ts: a device's command registers, on the wire,
// exactly what @pulumi/command's own remote.Command registers for the same
// arguments (type, inputs, secrets, provider version, options), so a stack
// written with either previews as no change; only the SDK's Outputs differ.

import assert from "assert";
import { createRequire } from "module";
import * as pulumi from "@pulumi/pulumi";
import { remote } from "@pulumi/command";
import { COMMAND_VERSION, DeviceCommand } from "../../components/device-command";
import { COMMAND_TYPE } from "../../components/types";
import { MockRecorder, settle } from "../support/pulumi-mocks";

const settings = createRequire(require.resolve("@pulumi/pulumi"))("./runtime/settings");

interface Request {
    getName(): string;
    toObject(): Record<string, unknown>;
}

/** Every RegisterResource request the mock monitor gets, as the engine would. */
function recordRequests(): Request[] {
    const requests: Request[] = [];
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: Request, cb: unknown) => {
        requests.push(req);
        return register(req, cb);
    };
    return requests;
}

/** A request without what names the resource or where it was constructed. */
function wire(req: Request): Record<string, unknown> {
    const rest = { ...req.toObject() };
    for (const k of ["name", "sourceposition", "stacktrace"]) delete rest[k];
    return rest;
}

describe("components/device-command: the lean command registers what remote.Command registers", () => {
    const key = () => pulumi.secret("PRIVATE-KEY");
    const cases: {
        title: string;
        args: ConstructorParameters<typeof DeviceCommand>[1];
        opts?: pulumi.CustomResourceOptions;
    }[] = [
        {
            title: "an apply with plain text, a host key and no user or dial settings (defaults)",
            args: {
                connection: { host: "10.10.0.21", hostKey: "ssh-ed25519 AAAA", privateKey: key() },
                create: "bash -s apply",
                update: "bash -s apply",
                delete: "bash -s destroy",
                stdin: "#!/bin/bash\necho hi\n",
                logging: "stdoutAndStderr",
            },
        },
        {
            title: "a script with secrets, its outputs secret too, behind a bastion",
            args: {
                connection: {
                    host: "10.10.0.22",
                    port: 2222,
                    user: "admin",
                    perDialTimeout: 15,
                    dialErrorLimit: 3,
                    privateKey: key(),
                    proxy: { host: "192.0.2.1", user: "jump", privateKey: key() },
                },
                create: "bash -s apply",
                update: "bash -s apply",
                delete: "bash -s destroy",
                stdin: pulumi.secret("password S3cret"),
                logging: "none",
            },
            opts: { additionalSecretOutputs: ["stdout", "stderr"] },
        },
        {
            title: "a confirm (no delete)",
            args: {
                connection: { host: "10.10.0.23", user: "root", privateKey: key() },
                create: "bash -s confirm",
                update: "bash -s confirm",
                stdin: "CONFIRM_SHA=abc\n",
                logging: "stdoutAndStderr",
            },
        },
    ];

    for (const c of cases) {
        it(c.title, async () => {
            const mocks = new MockRecorder();
            mocks.install();
            const requests = recordRequests();
            const ours = new DeviceCommand("ours", c.args, c.opts);
            const theirs = new remote.Command(
                "theirs",
                { ...c.args, addPreviousOutputInEnv: false },
                c.opts,
            );
            await settle([ours, theirs]);
            const [a, b] = ["ours", "theirs"].map((n) => requests.find((r) => r.getName() === n)!);
            assert.ok(a && b, "both registered");
            assert.deepStrictEqual(wire(a), wire(b));
            assert.strictEqual(wire(a).type, COMMAND_TYPE);
            assert.strictEqual(wire(a).version, COMMAND_VERSION);
            assert.deepStrictEqual(
                mocks.ofType(COMMAND_TYPE).map((r) => r.secretInputs.includes("connection")),
                [true, true],
            );
        });
    }
});
