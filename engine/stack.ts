// The stack program through the real Pulumi engine, with no language host:
// the Automation API runs stacks/program.ts as an inline program, the CLI
// built by scripts/install-pulumi.sh drives it, state lives in a local file
// backend. A stack is described by a stack file (Pulumi.<stack>.yaml format:
// `config:` with `fabric:*` keys) plus secrets given apart, so they are
// encrypted in the stack's config and never written in plain text.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { bgpFabricCacheDir } from "../components/upstream";
import { fabricProgram } from "../stacks/program";

export const PROJECT = "bgp-fabric";

export interface EngineStackOptions {
    /** Stack name (default: the file's `fabric:name`, else "dev"). */
    stack?: string;
    /** The stack file: `config:` with `fabric:*` keys. */
    configFile: string;
    /** Config values set on top, as `fabric:key.path` → value (path syntax; objects and lists allowed). */
    set?: Record<string, unknown>;
    /** Secrets, as `fabric:key.path` → plain text (encrypted with the passphrase). */
    secrets?: Record<string, string>;
    /** Where the workspace (Pulumi.yaml, Pulumi.<stack>.yaml) and, by default, the state live. */
    workDir: string;
    /** State backend (default `file://<workDir>/state`). */
    backendUrl?: string;
}

/** The toolchain of scripts/env.sh: the CLI, its plugins and the non-interactive settings. */
export function engineEnv(workDir: string, backendUrl?: string): Record<string, string> {
    const cache = bgpFabricCacheDir();
    return {
        BGP_FABRIC_CACHE: cache,
        PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(cache, "pulumi-home"),
        PULUMI_BACKEND_URL: backendUrl ?? `file://${path.join(workDir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "bgp-fabric-dev",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PATH: `${path.join(cache, "bin")}:${process.env.PATH ?? ""}`,
    };
}

/** The CLI of scripts/install-pulumi.sh, or why it is not there. */
export function pulumiCli(): { ok: true; path: string } | { ok: false; missing: string } {
    const cache = bgpFabricCacheDir();
    const cli = path.join(cache, "bin", "pulumi");
    return fs.existsSync(cli)
        ? { ok: true, path: cli }
        : { ok: false, missing: `the Pulumi CLI (${cli}; scripts/install-pulumi.sh builds it)` };
}

/** The plugins a CLI lists (`pulumi plugin ls`), with the PULUMI_HOME of engineEnv; throws when the CLI fails. */
export function listPlugins(cliPath: string): { kind: string; name: string; version: string }[] {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bgpf-plugins-"));
    try {
        const env = { ...process.env, ...engineEnv(tmp) };
        return JSON.parse(
            execFileSync(cliPath, ["plugin", "ls", "--json"], { env, encoding: "utf8" }) || "[]",
        );
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** The stack, created or selected, its config written from the stack file. */
export async function engineStack(opts: EngineStackOptions): Promise<Stack> {
    const doc = YAML.parse(fs.readFileSync(opts.configFile, "utf8")) ?? {};
    const config: Record<string, unknown> = { ...(doc.config ?? {}) };
    const stackName =
        opts.stack ??
        (typeof config["fabric:name"] === "string" ? (config["fabric:name"] as string) : "dev");
    fs.mkdirSync(opts.workDir, { recursive: true });
    const envVars = engineEnv(opts.workDir, opts.backendUrl);
    if (envVars.PULUMI_BACKEND_URL.startsWith("file://"))
        fs.mkdirSync(envVars.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
    const cli = pulumiCli();
    if (!cli.ok) throw new Error(`cannot run the engine: ${cli.missing} is missing`);
    const pulumiCommand = await PulumiCommand.get({
        root: path.dirname(path.dirname(cli.path)),
        skipVersionCheck: true,
    });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, projectName: PROJECT, program: async () => fabricProgram() },
        {
            workDir: opts.workDir,
            envVars,
            pulumiCommand,
            projectSettings: { name: PROJECT, runtime: "nodejs" },
        },
    );
    // The stack file's values as they are (structured), keeping the encryption salt `stack init` wrote.
    const file = path.join(opts.workDir, `Pulumi.${stackName}.yaml`);
    const current = fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) : {};
    for (const [key, value] of Object.entries(opts.set ?? {})) setPath(config, key, value);
    fs.writeFileSync(file, YAML.stringify({ ...current, config }));
    for (const [key, value] of Object.entries(opts.secrets ?? {}))
        await stack.setConfig(key, { value, secret: true }, true);
    return stack;
}

/** `fabric:apply.devices` / `fabric:nodes[2].asn` → sets that value inside the structured config. */
export function setPath(config: Record<string, unknown>, key: string, value: unknown): void {
    const m = /^([^.[]+:[^.[]+)(.*)$/.exec(key);
    if (!m) throw new Error(`config key '${key}' must be namespace:name[.path]`);
    const steps = [...m[2].matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((x) =>
        x[2] !== undefined ? Number(x[2]) : x[1],
    );
    if (!steps.length) {
        config[m[1]] = value;
        return;
    }
    let at: any = (config[m[1]] ??= typeof steps[0] === "number" ? [] : {});
    for (let i = 0; i < steps.length - 1; i++)
        at = at[steps[i]] ??= typeof steps[i + 1] === "number" ? [] : {};
    at[steps[steps.length - 1]] = value;
}
