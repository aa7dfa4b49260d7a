// The lab driven by the real Pulumi engine (`npm run lab -- deploy`, npm
// start's engine path): cli/engine.ts inside the lab's management namespace,
// with what labStackConfig hands the stack, then the lab plays the router
// DaemonSet from what the engine rendered.
//
// toolchainMissing() says what is absent for that path: the Pulumi CLI
// (scripts/install-pulumi.sh), the kubernetes resource plugin it builds, and
// the command resource plugin, which no registry reachable here serves. They
// are found the ordinary way (`pulumi plugin ls`); nothing here installs one.

import { spawn } from "child_process";
import { buildEngine } from "../engine/build";
import { listPlugins, pulumiCli } from "../engine/stack";
import { repoRoot } from "../plan/repo-root";
import { mgmtNsName } from "./env";
import { LabLocation } from "./env";

const ROOT = repoRoot();

/** Undefined when the engine path can run; otherwise what is missing, in words. */
export function toolchainMissing(): string | undefined {
    const cli = pulumiCli();
    if (!cli.ok) return cli.missing;
    let plugins: ReturnType<typeof listPlugins> = [];
    try {
        plugins = listPlugins(cli.path);
    } catch (e) {
        return `a working Pulumi CLI (${cli.path} plugin ls failed: ${(e as Error).message.split("\n")[0]})`;
    }
    const want = [
        [
            "command",
            require("@pulumi/command/package.json").version as string,
            "no package registry reachable here serves it; `pulumi plugin install resource command <version>` does on a machine with internet",
        ],
        [
            "kubernetes",
            require("@pulumi/kubernetes/package.json").version as string,
            "scripts/install-pulumi.sh builds it",
        ],
    ];
    const missing = want.filter(
        ([name, version]) =>
            !plugins.some((p) => p.kind === "resource" && p.name === name && p.version === version),
    );
    if (!missing.length) return undefined;
    return missing
        .map(
            ([name, version, how]) =>
                `the ${name} ${version} resource plugin (\`pulumi plugin ls\` lists none; ${how})`,
        )
        .join(" and ");
}

export interface LabEngineOptions {
    configFile: string;
    workDir: string;
    set: Record<string, unknown>;
    secretFiles: Record<string, string>;
    /** Print the engine's output as it comes (default true). */
    stream?: boolean;
}

/** `npm run engine -- <op>` inside the management namespace; resolves to its exit code and output. */
export function labEngine(
    loc: LabLocation,
    operation: "up" | "preview" | "destroy",
    opts: LabEngineOptions,
): Promise<{ code: number | null; stdout: string }> {
    const args = [
        "netns",
        "exec",
        mgmtNsName(loc),
        process.execPath,
        buildEngine(),
        operation,
        "--config",
        opts.configFile,
        "--work",
        opts.workDir,
    ];
    for (const [k, v] of Object.entries(opts.set)) args.push("--set", `${k}=${JSON.stringify(v)}`);
    for (const [k, f] of Object.entries(opts.secretFiles)) args.push("--secret", `${k}=@${f}`);
    return new Promise((resolve, reject) => {
        const child = spawn("ip", args, { stdio: ["ignore", "pipe", "inherit"], cwd: ROOT });
        let stdout = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
            stdout += d;
            if (opts.stream !== false) process.stdout.write(d);
        });
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code, stdout }));
    });
}
