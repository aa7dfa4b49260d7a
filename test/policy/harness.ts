// Runs the real program (stacks/index.ts) or the real components under
// Pulumi mocks, records every resource the way the engine would hand it to a
// policy pack, and runs the policies on it.
//
// - What is recorded is the wire form: each RegisterResource request's
//   properties and each RegisterResourceOutputs request's outputs as the SDK
//   serialized them (secrets as the engine's secret objects, preview
//   unknowns as the engine's unknown sentinels), with the parent URN.
// - Every Kubernetes object is a resource of its own type (a DaemonSet is a
//   kubernetes:apps/v1:DaemonSet, components/kube-object.ts), so the program
//   registers exactly what the engine hands the pack.
// - Policy arguments are built with @pulumi/policy's own deserializer and
//   proxy, exactly as its gRPC server builds them (server.js): validations
//   get secrets unwrapped, remediations get them as `Secret` values; touching
//   an unknown value throws the SDK's UnknownValueError.
// - `runPolicies` drives them the way the engine and the SDK do: per
//   resource the remediation (only at level `remediate`), then the
//   validation (level `remediate` reported as mandatory); stack policies
//   last, on outputs.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    EnforcementLevel,
    Policies,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { Fabric, FabricArgs } from "../../components";
import { FabricPlan } from "../../plan";
import { ROOT } from "../support/fixtures";
import { settle } from "../support/pulumi-mocks";
import YAML from "yaml";
import * as fs from "fs";

// The SDK's internal deserializer: what its gRPC server applies to every request (no public export).
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: unknown, proxySecrets: boolean): Record<string, any>;
};
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
    Struct: { fromJavaScript(o: object): unknown };
};

export { SECRET_SIG, SECRET_VALUE } from "../support/pulumi-mocks";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Recorded {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    /** Wire form of the inputs. */
    inputs: Record<string, any>;
    /** Wire form of the outputs (components: what registerOutputs sent). */
    outputs: Record<string, any>;
}

/** A stack as the engine would show it to a policy pack. */
export class RecordedStack {
    constructor(
        readonly resources: Recorded[],
        /** The stack config (`fabric:*` keys, values as the engine passes them: strings). */
        readonly config: Record<string, string>,
        readonly secretKeys: string[] = [],
    ) {}

    find(pred: (r: Recorded) => boolean): Recorded {
        const r = this.resources.find(pred);
        if (!r) throw new Error("no such resource in the recorded stack");
        return r;
    }

    byName(name: string, type?: string): Recorded {
        return this.find((r) => r.name === name && (type === undefined || r.type === type));
    }

    /** A deep copy to tamper with. */
    clone(): RecordedStack {
        return new RecordedStack(JSON.parse(JSON.stringify(this.resources)), { ...this.config }, [
            ...this.secretKeys,
        ]);
    }
}

/** `fabric:*` stack config as the engine passes it to a program or a policy pack: objects as JSON text. */
export function stackConfigOf(file: string): Record<string, string> {
    const doc = YAML.parse(fs.readFileSync(path.resolve(ROOT, file), "utf8")) as {
        config: Record<string, unknown>;
    };
    const c = Object.fromEntries(
        Object.entries(doc.config).map(([k, v]) => [
            k,
            typeof v === "string" ? v : JSON.stringify(v),
        ]),
    );
    // The pack judges bgp-fabric's own objects: the upstream installs are taken as
    // present (installUpstream: false), so no local tigera-operator manifest is needed.
    const k = c["fabric:kubernetes"] ? JSON.parse(c["fabric:kubernetes"]) : {};
    c["fabric:kubernetes"] = JSON.stringify({ ...k, installUpstream: false });
    return c;
}

/** Install the mocks and a recorder on the mock monitor. */
function record(preview: boolean, stack: string): { resources: Recorded[] } {
    const resources: Recorded[] = [];
    pulumi.runtime.setMocks(
        {
            newResource: (args) =>
                // The program's reference to its own last outputs (stacks/rollout.ts): none yet.
                args.type === "pulumi:pulumi:StackReference"
                    ? { id: args.id, state: { name: args.id, outputs: {} } }
                    : {
                          id: preview || !args.custom ? undefined : `${args.name}-id`,
                          state: preview ? {} : args.inputs,
                      },
            call: (args) => args.inputs,
        },
        "bgp-fabric",
        stack,
        preview,
        "organization",
    );
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: (err: unknown, resp: any) => void) =>
        register(req, (err: unknown, resp: any) => {
            if (!err) {
                const custom = req.getCustom();
                const inputs = req.getObject()?.toJavaScript() ?? {};
                resources.push({
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom,
                    parent: req.getParent() || undefined,
                    inputs,
                    // A custom resource's outputs: its inputs, plus what the provider computes (unknown in a preview).
                    outputs: custom
                        ? { ...inputs, ...(preview ? computedUnknowns(req.getType()) : {}) }
                        : {},
                });
            }
            cb(err, resp);
        });
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, cb: (err: unknown, resp: any) => void) => {
        const r = resources.find((x) => x.urn === req.getUrn());
        if (r) r.outputs = req.getOutputs()?.toJavaScript() ?? {};
        return registerOutputs(req, cb);
    };
    return { resources };
}

/** Outputs a provider only knows after the operation. */
function computedUnknowns(type: string): Record<string, string> {
    return type.startsWith("command:") ? { stdout: UNKNOWN, stderr: UNKNOWN } : {};
}

export interface StackOptions {
    preview?: boolean;
    stack?: string;
}

/** The real program (stacks/index.ts) under mocks with this stack config: what `pulumi preview` registers. */
export async function programStack(
    config: Record<string, string>,
    opts: StackOptions & { secretKeys?: string[] } = {},
): Promise<RecordedStack> {
    const { resources } = record(opts.preview ?? true, opts.stack ?? "dev");
    pulumi.runtime.setAllConfig(config, opts.secretKeys ?? []);
    const program = require.resolve("../../stacks/index.ts");
    delete require.cache[program];
    const exports = require(program) as Record<string, pulumi.Output<unknown>>;
    // In a preview an output can stay unknown (appliedSwitches: the confirms' ids): wait for the
    // value or the unknown.
    await Promise.all(
        Object.values(exports).map((o) =>
            (o as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true),
        ),
    );
    await settle();
    pulumi.runtime.setAllConfig({});
    return new RecordedStack(resources, config, opts.secretKeys ?? []);
}

/**
 * The components built from a given plan (possibly one a program got wrong:
 * the planner would have refused it), with the stack config the policy pack
 * re-plans from. What a program that bypasses the planner registers.
 */
export async function componentStack(
    plan: FabricPlan,
    config: Record<string, string>,
    args: Partial<FabricArgs> = {},
    opts: StackOptions = {},
    /** More resources of the program, registered after the Fabric. */
    extra?: (fabric: Fabric) => void,
): Promise<RecordedStack> {
    const { resources } = record(opts.preview ?? true, opts.stack ?? "dev");
    const fabric = new Fabric(plan.name, {
        plan,
        ssh: { user: "root" },
        kubernetes: { renderDirectory: "/tmp/bgp-fabric-policy-test" },
        ...args,
    });
    extra?.(fabric);
    await settle([fabric]);
    return new RecordedStack(resources, config);
}

// ---------------------------------------------------------------------------
// Policy arguments, as @pulumi/policy's server builds them.

function props(wire: Record<string, any>, proxySecrets: boolean): Record<string, any> {
    return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(wire), proxySecrets));
}

const OPTS = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason);
    }
}

const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

export function resourceArgs(
    r: Recorded,
    config: object,
    proxySecrets = false,
): ResourceValidationArgs {
    const p = props(r.inputs, proxySecrets);
    return {
        type: r.type,
        props: p,
        urn: r.urn,
        name: r.name,
        opts: { ...OPTS, parent: r.parent },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
}

export function stackArgs(stack: RecordedStack, config: object): StackValidationArgs {
    const byUrn = new Map<string, PolicyResource>();
    const resources = stack.resources.map((r) => {
        const res: PolicyResource = {
            type: r.type,
            props: props(r.outputs, false),
            urn: r.urn,
            name: r.name,
            opts: { ...OPTS, parent: r.parent },
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        };
        byUrn.set(r.urn, res);
        return res;
    });
    stack.resources.forEach((r, i) => {
        if (r.parent && byUrn.has(r.parent)) resources[i].parent = byUrn.get(r.parent);
    });
    return {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
}

// ---------------------------------------------------------------------------

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    urn?: string;
}

export interface PolicyRun {
    violations: Violation[];
    notApplicable: { policy: string; reason?: string }[];
}

/** Policy name → enforcement level or `{ enforcementLevel?, ...config }`, as --policy-pack-config. */
export type PackConfig = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

/** Run policies on a recorded stack the way CrossGuard does, with the stack config in place for re-planning. */
export async function runPolicies(
    policies: Policies,
    stack: RecordedStack,
    packConfig: PackConfig = {},
): Promise<PolicyRun> {
    const run: PolicyRun = { violations: [], notApplicable: [] };
    pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
    try {
        const levelOf = (p: {
            name: string;
            enforcementLevel?: EnforcementLevel;
        }): EnforcementLevel => {
            const c = packConfig[p.name];
            return (
                (typeof c === "string" ? c : c?.enforcementLevel) ??
                p.enforcementLevel ??
                "mandatory"
            );
        };
        const configOf = (name: string): object => {
            const c = packConfig[name];
            if (typeof c !== "object") return {};
            const { enforcementLevel: _, ...rest } = c;
            return rest;
        };
        const reporter =
            (policy: string, level: EnforcementLevel, urn?: string): ReportViolation =>
            (message, u) =>
                run.violations.push({
                    policy,
                    level: level === "remediate" ? "mandatory" : level,
                    message,
                    urn: u ?? urn,
                });
        const attempt = async (policy: string, f: () => unknown) => {
            try {
                await f();
            } catch (err) {
                if (err instanceof NotApplicable)
                    run.notApplicable.push({ policy, reason: err.reason });
                else throw err;
            }
        };
        for (const r of stack.resources) {
            for (const p of policies.filter(
                (x): x is ResourceValidationPolicy =>
                    "validateResource" in x || "remediateResource" in x,
            )) {
                const level = levelOf(p);
                if (level === "disabled") continue;
                if (level === "remediate" && p.remediateResource)
                    await attempt(p.name, () =>
                        p.remediateResource!(resourceArgs(r, configOf(p.name), true)),
                    );
                const validations =
                    p.validateResource === undefined
                        ? []
                        : Array.isArray(p.validateResource)
                          ? p.validateResource
                          : [p.validateResource];
                for (const v of validations)
                    await attempt(p.name, () =>
                        v(resourceArgs(r, configOf(p.name)), reporter(p.name, level, r.urn)),
                    );
            }
        }
        for (const p of policies.filter((x): x is StackValidationPolicy => "validateStack" in x)) {
            const level = levelOf(p);
            if (level === "disabled") continue;
            await attempt(p.name, () =>
                p.validateStack(stackArgs(stack, configOf(p.name)), reporter(p.name, level)),
            );
        }
    } finally {
        pulumi.runtime.setAllConfig({});
    }
    return run;
}

/** Messages of one policy, in order. */
export function messages(run: PolicyRun, policy: string): string[] {
    return run.violations.filter((v) => v.policy === policy).map((v) => v.message);
}
