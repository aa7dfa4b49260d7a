// The real Pulumi engine from a test: cli/engine.ts (Automation API, inline
// program) run as its own process inside a network namespace, so that the
// CLI, the providers and the API server it talks to all live there; its run
// report (engine/run.ts) comes back as JSON.

import * as fs from "fs";
import * as path from "path";
import { kindPlural } from "../../components/kube-object";
import { buildEngine } from "../../engine/build";
import { RunReport } from "../../engine/run";
import { listPlugins, pulumiCli } from "../../engine/stack";
import { KubeObject } from "../../render/kubernetes";
import { KubeControlPlane } from "./kube-control-plane";

export const KUBERNETES_PROVIDER_VERSION: string =
    require("@pulumi/kubernetes/package.json").version;

/** The cluster runs the operators already, and the stack pushes nothing to devices: the Kubernetes half alone. */
export const KUBERNETES_ONLY = {
    "fabric:apply.devices": false,
    "fabric:kubernetes.installUpstream": false,
};

export type EngineOperation = "up" | "preview" | "destroy";

/** The resource plugins the CLI of scripts/install-pulumi.sh lists (`pulumi plugin ls`), none without it. */
export function installedPlugins(): { kind: string; name: string; version: string }[] {
    const cli = pulumiCli();
    return cli.ok ? listPlugins(cli.path) : [];
}

/** What the engine suites need that is not here, or undefined. */
export function engineMissing(): string | undefined {
    const cli = pulumiCli();
    if (!cli.ok) return cli.missing;
    if (
        !installedPlugins().some(
            (p) =>
                p.kind === "resource" &&
                p.name === "kubernetes" &&
                p.version === KUBERNETES_PROVIDER_VERSION,
        )
    ) {
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

/** `node bin/cli/engine.js <operation> … --json` (compiled first: engine/build.ts); secrets are given as files (never on a command line). */
export function engineArgs(
    operation: EngineOperation,
    run: Omit<EngineRun, "secrets">,
    secretFiles: Record<string, string> = {},
): string[] {
    const args = [buildEngine(), operation, "--config", run.config, "--work", run.work, "--json"];
    if (run.diff) args.push("--diff");
    for (const [k, v] of Object.entries(run.set ?? {}))
        args.push("--set", `${k}=${JSON.stringify(v)}`);
    for (const [k, f] of Object.entries(secretFiles)) args.push("--secret", `${k}=@${f}`);
    return args;
}

/** The report cli/engine.ts prints as its last line, or undefined. */
export function parseReport(stdout: string): RunReport | undefined {
    try {
        return JSON.parse(stdout.trim().split("\n").pop() ?? "") as RunReport;
    } catch {
        return undefined;
    }
}

/** One operation through the real engine inside the control plane's namespace. */
export async function runEngine(
    cp: KubeControlPlane,
    operation: EngineOperation,
    run: EngineRun,
): Promise<RunReport> {
    const secretFiles: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.secrets ?? {})) {
        const file = path.join(run.work, `.secret-${Object.keys(secretFiles).length}`);
        fs.mkdirSync(run.work, { recursive: true });
        fs.writeFileSync(file, v, { mode: 0o600 });
        secretFiles[k] = file;
    }
    try {
        const r = await cp.exec(process.execPath, engineArgs(operation, run, secretFiles), {
            check: false,
            timeoutMs: 15 * 60_000,
        });
        const report = parseReport(r.stdout);
        if (!report)
            throw new Error(
                `engine ${operation} printed no report (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
            );
        return report;
    } finally {
        for (const f of Object.values(secretFiles)) fs.rmSync(f, { force: true });
    }
}

/** The API path of an object. */
export function objectPath(o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
    const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : "";
    return `${base}${ns}/${kindPlural(o.kind)}/${o.metadata.name}`;
}

/** Where `expected` differs from `actual`, each field of expected being required (live objects carry more: defaults, status). */
export function notIn(expected: unknown, actual: unknown, at = ""): string[] {
    if (expected !== null && typeof expected === "object") {
        if (Array.isArray(expected)) {
            if (!Array.isArray(actual) || actual.length !== expected.length)
                return [
                    `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
                ];
            return expected.flatMap((e, i) => notIn(e, actual[i], `${at}[${i}]`));
        }
        if (actual === null || typeof actual !== "object")
            return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
        return Object.entries(expected).flatMap(([k, v]) =>
            notIn(v, (actual as Record<string, unknown>)[k], `${at}.${k}`),
        );
    }
    return expected === actual
        ? []
        : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}
