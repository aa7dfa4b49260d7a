// The policy pack as the Pulumi CLI runs it, without the CLI: the nodejs
// runtime starts `@pulumi/pulumi/cmd/run-policy-pack <engine> .` in the
// pack's directory (ts-node, type-checked), with the stack's config in
// PULUMI_CONFIG and the stack's names in PULUMI_NODEJS_*; the pack prints the
// port of its Analyzer gRPC server. This client then plays the engine's
// part: Configure, GetAnalyzerInfo, and per resource Remediate then
// Analyze (inputs), and AnalyzeStack (outputs) at the end, every property
// sent in the engine's wire form (secrets and unknowns as the engine's
// markers), which is what the recorded stacks hold.

import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { ROOT } from "../support/fixtures";
import { Recorded, RecordedStack } from "./harness";

const analyzerpb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

export const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

export interface Diagnostic {
    policy: string;
    level: (typeof LEVELS)[number];
    message: string;
    urn: string;
}

export class PackProcess {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
        readonly stderr: () => string,
    ) {}

    /** Start the pack with this stack config; resolves once it listens. */
    static async start(config: Record<string, string>, stack = "dev"): Promise<PackProcess> {
        const child = spawn(
            process.execPath,
            [
                path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"),
                "127.0.0.1:0",
                ".",
            ],
            {
                cwd: path.join(ROOT, "policy"),
                env: {
                    ...process.env,
                    PULUMI_CONFIG: JSON.stringify(config),
                    PULUMI_NODEJS_ORGANIZATION: "organization",
                    PULUMI_NODEJS_PROJECT: "bgp-fabric",
                    PULUMI_NODEJS_STACK: stack,
                    PULUMI_NODEJS_DRY_RUN: "true",
                },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let err = "";
        child.stderr!.on("data", (d) => (err += d));
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            child.stdout!.on("data", (d) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(m[1]);
            });
            child.on("exit", (code) =>
                reject(new Error(`the policy pack exited (${code}) before listening:\n${err}`)),
            );
        });
        const client = new analyzerrpc.AnalyzerClient(
            `127.0.0.1:${port}`,
            grpc.credentials.createInsecure(),
        );
        return new PackProcess(child, client, () => err);
    }

    stop(): void {
        if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, "SIGTERM");
        this.client.close();
    }

    private call<T>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) =>
            this.client[method](req, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))),
        );
    }

    async info(): Promise<{
        name: string;
        version: string;
        policies: { name: string; level: string; schema?: object }[];
    }> {
        const r: any = await this.call("getAnalyzerInfo", new Empty());
        return {
            name: r.getName(),
            version: r.getVersion(),
            policies: r.getPoliciesList().map((p: any) => ({
                name: p.getName(),
                level: LEVELS[p.getEnforcementlevel()],
                schema: p.getConfigschema()?.getProperties()?.toJavaScript(),
            })),
        };
    }

    /** `--policy-pack-config`: the engine sends every policy's level and properties. */
    async configure(
        config: Record<string, { level: (typeof LEVELS)[number]; properties?: object }>,
    ): Promise<void> {
        const req = new analyzerpb.ConfigureAnalyzerRequest();
        for (const [name, c] of Object.entries(config)) {
            const pc = new analyzerpb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS.indexOf(c.level));
            pc.setProperties(Struct.fromJavaScript(c.properties ?? {}));
            req.getPolicyconfigMap().set(name, pc);
        }
        await this.call("configure", req);
    }

    private options(r: Recorded): any {
        const o = new analyzerpb.AnalyzerResourceOptions();
        o.setProtect(false);
        o.setIgnorechangesList([]);
        o.setAliasesList([]);
        o.setAdditionalsecretoutputsList([]);
        o.setCustomtimeouts(new analyzerpb.AnalyzerResourceOptions.CustomTimeouts());
        if (r.parent) o.setParent(r.parent);
        return o;
    }

    private request(r: Recorded): any {
        const req = new analyzerpb.AnalyzeRequest();
        req.setType(r.type);
        req.setName(r.name);
        req.setUrn(r.urn);
        req.setProperties(Struct.fromJavaScript(r.inputs));
        req.setOptions(this.options(r));
        return req;
    }

    /** A preview as the engine runs the pack: per resource Remediate then Analyze, then AnalyzeStack. */
    async preview(
        stack: RecordedStack,
    ): Promise<{ diagnostics: Diagnostic[]; remediated: string[] }> {
        const diagnostics: Diagnostic[] = [];
        const remediated: string[] = [];
        // A resource policy's diagnostic has no URN: the engine pins it on the resource it analyzed.
        const collect = (resp: any, urn = "") => {
            for (const d of resp.getDiagnosticsList()) {
                diagnostics.push({
                    policy: d.getPolicyname(),
                    level: LEVELS[d.getEnforcementlevel()],
                    message: d.getMessage(),
                    urn: d.getUrn() || urn,
                });
            }
        };
        for (const r of stack.resources) {
            const rem: any = await this.call("remediate", this.request(r));
            for (const x of rem.getRemediationsList())
                remediated.push(`${x.getPolicyname()} ${r.urn}`);
            collect(await this.call("analyze", this.request(r)), r.urn);
        }
        const req = new analyzerpb.AnalyzeStackRequest();
        req.setResourcesList(
            stack.resources.map((r) => {
                const a = new analyzerpb.AnalyzerResource();
                a.setType(r.type);
                a.setName(r.name);
                a.setUrn(r.urn);
                a.setProperties(Struct.fromJavaScript(r.outputs));
                a.setOptions(this.options(r));
                if (r.parent) a.setParent(r.parent);
                a.setDependenciesList([]);
                return a;
            }),
        );
        collect(await this.call("analyzeStack", req));
        return { diagnostics, remediated };
    }
}
