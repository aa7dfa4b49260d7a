// One engine operation (up, preview, destroy) with what a test or a user
// needs to judge it: the steps by resource (operation and changed
// properties), the summary, the outputs, the engine's own text and its error.

import { EngineEvent, OpType, Stack } from "@pulumi/pulumi/automation";

export type Operation = "up" | "preview" | "destroy";

export interface Step {
    op: OpType;
    type: string;
    /** The resource's name (the last part of its URN). */
    name: string;
    /** Top-level properties that differ (update/replace). */
    diffs: string[];
    /** Property paths that differ, as the engine's detailed diff gives them. */
    paths: string[];
}

export interface RunReport {
    operation: Operation;
    stack: string;
    ok: boolean;
    seconds: number;
    /** Operation → count (`same`, `create`, `update`, `delete`, …) of the engine's summary. */
    summary: Record<string, number>;
    /** Every step that is not `same`. */
    steps: Step[];
    outputs: Record<string, unknown>;
    /** The engine's output text (what `pulumi up` prints). */
    stdout: string;
    /** The error, as the engine says it (empty on success). */
    error: string;
}

export async function runOperation(
    stack: Stack,
    operation: Operation,
    opts: { diff?: boolean; expectNoChanges?: boolean } = {},
): Promise<RunReport> {
    const steps: Step[] = [];
    let stdout = "";
    const onEvent = (e: EngineEvent) => {
        const m = e.resourcePreEvent?.metadata;
        if (!m || m.op === "same" || m.op === "read") return;
        steps.push({
            op: m.op,
            type: m.type,
            name: m.urn.slice(m.urn.lastIndexOf("::") + 2),
            diffs: m.diffs ?? [],
            paths: Object.keys(m.detailedDiff ?? {}),
        });
    };
    const onOutput = (s: string) => (stdout += s);
    const started = Date.now();
    const report: RunReport = {
        operation,
        stack: stack.name,
        ok: false,
        seconds: 0,
        summary: {},
        steps,
        outputs: {},
        stdout: "",
        error: "",
    };
    try {
        if (operation === "up") {
            const r = await stack.up({
                onEvent,
                onOutput,
                diff: opts.diff,
                expectNoChanges: opts.expectNoChanges,
            });
            report.summary = { ...(r.summary.resourceChanges ?? {}) } as Record<string, number>;
            report.outputs = Object.fromEntries(
                Object.entries(r.outputs).map(([k, v]) => [k, v.value]),
            );
        } else if (operation === "preview") {
            const r = await stack.preview({
                onEvent,
                onOutput,
                diff: opts.diff,
                expectNoChanges: opts.expectNoChanges,
            });
            report.summary = { ...r.changeSummary } as Record<string, number>;
        } else {
            const r = await stack.destroy({ onEvent, onOutput });
            report.summary = { ...(r.summary.resourceChanges ?? {}) } as Record<string, number>;
        }
        report.ok = true;
    } catch (err) {
        report.error = errorText(err);
    }
    report.seconds = (Date.now() - started) / 1000;
    report.stdout = stdout;
    return report;
}

/** The engine's own words: CommandError carries the CLI's stderr; keep the diagnostic lines. */
function errorText(err: unknown): string {
    const e = err as { commandResult?: { stderr?: string; stdout?: string }; message?: string };
    return (e.commandResult?.stderr || e.message || String(err)).trim();
}
