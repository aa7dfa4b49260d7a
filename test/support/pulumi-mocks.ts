// Runs Pulumi component code under pulumi.runtime.setMocks and records every
// resource registered: type, name, inputs and URN (whose type chain shows the parent).

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";

export interface Registered {
    type: string;
    name: string;
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, any>;
    /** Top-level input names that arrived as secrets. */
    secretInputs: string[];
    /** The provider reference (`urn::id`) the resource was registered with, if any. */
    provider?: string;
    /** Set for a read of an existing object (`Resource.get`): its ID. */
    readId?: string;
}

/** The engine's marker for a secret value on the wire: `{ [SECRET_SIG]: SECRET_VALUE, value }`. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function unwrap(inputs: Record<string, any>): { inputs: Record<string, any>; secret: string[] } {
    const out: Record<string, any> = {};
    const secret: string[] = [];
    for (const [k, v] of Object.entries(inputs)) {
        if (v && typeof v === "object" && v[SECRET_SIG] === SECRET_VALUE) {
            out[k] = v.value;
            secret.push(k);
        } else out[k] = v;
    }
    return { inputs: out, secret };
}

export class MockRecorder {
    readonly resources: Registered[] = [];

    /** Install the mocks; `preview` = a dry run in which outputs the engine computes are unknown. */
    install(preview = false, stack = "dev"): void {
        this.resources.length = 0;
        pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    const { inputs, secret } = unwrap(args.inputs);
                    this.resources.push({
                        type: args.type,
                        name: args.name,
                        inputs,
                        secretInputs: secret,
                        provider: args.provider,
                        readId: args.id || undefined,
                    });
                    // A stack's reference to itself (stacks/rollout.ts): a stack with no outputs yet.
                    if (args.type === "pulumi:pulumi:StackReference")
                        return { id: args.id, state: { name: args.id, outputs: {} } };
                    // In a preview a provider knows nothing yet: return only the inputs back.
                    return {
                        id: preview ? undefined : `${args.name}-id`,
                        state: preview ? {} : args.inputs,
                    };
                },
                call: (args) => args.inputs,
            },
            "bgp-fabric",
            stack,
            preview,
            "organization", // a DIY backend's: the stack program's self-reference (stacks/rollout.ts) names it
        );
    }

    ofType(type: string): Registered[] {
        return this.resources.filter((r) => r.type === type);
    }
}

/** Resolve an Output in a test (undefined while unknown). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Wait until every resource created so far has been registered with the (mock) engine. */
export async function settle(resources: pulumi.Resource[] = []): Promise<void> {
    await Promise.all(resources.map((r) => valueOf(r.urn)));
    // The SDK's own queue of outstanding registrations (what `pulumi up` waits for before exiting).
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
}

/**
 * The stack program (stacks/index.ts) on Pulumi.dev.yaml's config (plus `extra` keys), under the
 * mocks installed: its exports once every resource is registered.
 */
export async function runDevStackProgram(
    extra: Record<string, unknown> = {},
): Promise<Record<string, pulumi.Output<unknown>>> {
    const root = path.resolve(__dirname, "../..");
    const doc = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8"))
        .config as Record<string, unknown>;
    pulumi.runtime.setAllConfig(
        Object.fromEntries(
            Object.entries({ ...doc, ...extra }).map(([k, v]) => [
                k,
                typeof v === "string" ? v : JSON.stringify(v),
            ]),
        ),
    );
    const program = path.join(root, "stacks/index.ts");
    delete require.cache[require.resolve(program)];
    const outputs = require(program);
    await settle();
    return outputs;
}
