// The real Pulumi engine from a test: cli/engine.ts (Automation API, inline
// program) run as its own process inside a network namespace, so that the
// CLI, the providers and the API server it talks to all live there; its run
// report (engine/run.ts) comes back as JSON.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RunReport } from "../../engine/run";
import { engineEnv, pulumiCli } from "../../engine/stack";
import { KubeObject } from "../../render/kubernetes";
import { ROOT } from "./fixtures";
import { KubeControlPlane } from "./kube-control-plane";

export const KUBERNETES_PROVIDER_VERSION: string = require("@pulumi/kubernetes/package.json").version;

/** What the engine suites need that is not here, or undefined. */
export function engineMissing(): string | undefined {
    const cli = pulumiCli();
    if (!cli.ok) return cli.missing;
    const env = { ...process.env, ...engineEnv(fs.mkdtempSync("/tmp/bgpf-plugins-")) };
    const plugins = JSON.parse(execFileSync(cli.path, ["plugin", "ls", "--json"], { env, encoding: "utf8" }) || "[]") as { kind: string; name: string; version: string }[];
    if (!plugins.some((p) => p.kind === "resource" && p.name === "kubernetes" && p.version === KUBERNETES_PROVIDER_VERSION)) {
        return `the kubernetes ${KUBERNETES_PROVIDER_VERSION} resource plugin (\`pulumi plugin ls\` lists none; scripts/install-pulumi.sh builds it)`;
    }
    return undefined;
}

export interface EngineRun {
    /** The stack file. */
    config: string;
    /** Workspace and state of this stack (kept across operations). */
    work: string;
    set?: Record<string, unknown>;
    secrets?: Record<string, string>;
    diff?: boolean;
}

/** One operation through the real engine inside the control plane's namespace. */
export async function runEngine(cp: KubeControlPlane, operation: "up" | "preview" | "destroy", run: EngineRun): Promise<RunReport> {
    const secretFiles: string[] = [];
    const args = [require.resolve("ts-node/register/transpile-only")].flatMap((r) => ["-r", r]);
    args.push(path.join(ROOT, "cli/engine.ts"), operation, "--config", run.config, "--work", run.work, "--json");
    if (run.diff) args.push("--diff");
    for (const [k, v] of Object.entries(run.set ?? {})) args.push("--set", `${k}=${JSON.stringify(v)}`);
    for (const [k, v] of Object.entries(run.secrets ?? {})) {
        // Through a file: a secret never appears on a command line.
        const file = path.join(run.work, `.secret-${secretFiles.length}`);
        fs.mkdirSync(run.work, { recursive: true });
        fs.writeFileSync(file, v, { mode: 0o600 });
        secretFiles.push(file);
        args.push("--secret", `${k}=@${file}`);
    }
    try {
        const r = await cp.exec(process.execPath, args, { check: false, timeoutMs: 15 * 60_000, env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") } });
        const line = r.stdout.trim().split("\n").pop() ?? "";
        try {
            return JSON.parse(line) as RunReport;
        } catch {
            throw new Error(`engine ${operation} printed no report (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
        }
    } finally {
        for (const f of secretFiles) fs.rmSync(f, { force: true });
    }
}

/** The API path of an object (every kind we render pluralises with an `s`). */
export function objectPath(o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
    const plural = `${o.kind.toLowerCase()}s`;
    const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : "";
    return `${base}${ns}/${plural}/${o.metadata.name}`;
}

/** Where `expected` differs from `actual`, each field of expected being required (live objects carry more: defaults, status). */
export function notIn(expected: unknown, actual: unknown, at = ""): string[] {
    if (expected !== null && typeof expected === "object") {
        if (Array.isArray(expected)) {
            if (!Array.isArray(actual) || actual.length !== expected.length) return [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
            return expected.flatMap((e, i) => notIn(e, actual[i], `${at}[${i}]`));
        }
        if (actual === null || typeof actual !== "object") return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
        return Object.entries(expected).flatMap(([k, v]) => notIn(v, (actual as Record<string, unknown>)[k], `${at}.${k}`));
    }
    return expected === actual ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}
