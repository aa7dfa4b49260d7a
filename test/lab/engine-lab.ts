// The real Pulumi engine against a lab: cli/engine.ts run as its own process
// (its own process group, so a test can kill it mid-apply by that group's id)
// inside the lab's management namespace, where every device's SSH address is.
//
// The switch half needs the `command` 1.2.1 resource plugin, which no package
// registry reachable here serves: the suites look for it the ordinary way
// (`pulumi plugin ls`) and, where it is absent, say so in one line and skip.
// That one skip is allowed even under CI=true (CI cannot have that plugin);
// every other missing capability follows test/support/skip.ts.

import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RunReport } from "../../engine/run";
import { engineEnv, pulumiCli } from "../../engine/stack";
import { LabLocation, mgmtNsName } from "../../lab/env";
import { engineArgs, installedPlugins, parseReport } from "../support/engine";
import { ROOT } from "../support/fixtures";
import { skipWhereAbsent } from "../support/skip";

export const COMMAND_PROVIDER_VERSION: string = require("@pulumi/command/package.json").version;

/** Is the command resource plugin the SDK needs installed (`pulumi plugin ls`)? */
export function commandPluginPresent(): boolean {
    return installedPlugins().some(
        (p) =>
            p.kind === "resource" && p.name === "command" && p.version === COMMAND_PROVIDER_VERSION,
    );
}

/** The one skip allowed under CI: without the command plugin the switch half cannot run through the engine. */
export function skipWithoutCommandPlugin(ctx: Mocha.Context): void {
    skipWhereAbsent(
        ctx,
        pulumiCli().ok && commandPluginPresent(),
        `the command ${COMMAND_PROVIDER_VERSION} resource plugin is missing (\`pulumi plugin ls\` lists none; no registry here serves it): this suite did not run`,
    );
}

export interface LabEngineRun {
    /** The stack file. */
    config: string;
    /** Workspace and state (kept across operations). */
    work: string;
    set?: Record<string, unknown>;
    /** `fabric:key.path` → a file holding the secret. */
    secretFiles?: Record<string, string>;
    diff?: boolean;
    /** Polled every 250 ms while the engine runs: true kills the engine's whole process group (SIGKILL). */
    killWhen?: () => Promise<boolean> | boolean;
}

export interface LabEngineResult {
    report?: RunReport;
    killed: boolean;
    code: number | null;
    stdout: string;
    stderr: string;
}

/** One engine operation (cli/engine.ts --json) inside the lab's management namespace. */
export async function runEngineInLab(
    loc: LabLocation,
    operation: "up" | "preview" | "destroy",
    run: LabEngineRun,
): Promise<LabEngineResult> {
    const args = [
        "netns",
        "exec",
        mgmtNsName(loc),
        process.execPath,
        ...engineArgs(operation, run, run.secretFiles),
    ];
    const child = spawn("ip", args, {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        cwd: ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    let killed = false;
    const exited = new Promise<number | null>((resolve) =>
        child.on("exit", (code) => resolve(code)),
    );
    const timer = setTimeout(() => kill(), 15 * 60_000);
    const kill = () => {
        if (killed || !child.pid) return;
        killed = true;
        try {
            process.kill(-child.pid, "SIGKILL"); // the group this test started: ip → node → pulumi → plugins
        } catch {
            /* already gone */
        }
    };
    let done = false;
    const poll = (async () => {
        while (run.killWhen && !done && !killed) {
            if (await run.killWhen()) kill();
            await new Promise((r) => setTimeout(r, 250));
        }
    })();
    const code = await exited;
    done = true;
    clearTimeout(timer);
    await poll;
    const report = parseReport(stdout);
    if (!report && !killed)
        throw new Error(
            `engine ${operation} printed no report (exit ${code}):\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`,
        );
    return { report, killed, code, stdout, stderr };
}

/** `pulumi stack <args>` on the dev stack of a work directory (its file backend), as a user would run it. */
export function pulumiStackCli(
    work: string,
    stackName = "dev",
): { stack: (args: string[]) => string } {
    const cli = pulumiCli();
    if (!cli.ok) throw new Error(cli.missing);
    const env = { ...process.env, ...engineEnv(work) } as Record<string, string>;
    const stack = (args: string[]) =>
        execFileSync(cli.path, ["stack", ...args, "--stack", stackName, "--cwd", work], {
            env,
            encoding: "utf8",
            maxBuffer: 256 << 20,
        });
    return { stack };
}

/** A file backend left locked by a killed engine: its lock files, as a user would remove them. */
export function staleLocks(work: string): string[] {
    const locks = path.join(work, "state", ".pulumi", "locks");
    const out: string[] = [];
    const walk = (d: string) => {
        if (!fs.existsSync(d)) return;
        for (const e of fs.readdirSync(d, { withFileTypes: true }))
            (e.isDirectory() ? walk : (f: string) => out.push(f))(path.join(d, e.name));
    };
    walk(locks);
    return out;
}
