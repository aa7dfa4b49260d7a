// The Kubernetes half through the real Pulumi engine (Automation API, the
// kubernetes 4.25.0 provider) against a real kube-apiserver on loopback in a
// namespace of its own: `up` from empty and a no-op `preview`, for the dev
// stack and for a 1,000-device fabric (4 spines, 96 leafs, 900 dual-attached
// nodes). Devices are left out (`fabric:apply.devices: false`): only the
// cluster objects are measured. Root only; needs the toolchain of
// scripts/setup.sh.
//
//   npx ts-node --transpile-only bench/engine.ts     (this part alone)

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { planFabric, readStackFile } from "../plan";
import { renderKubernetes } from "../render/kubernetes";
import { nodeRouterConfigs } from "../components/cluster-networking";
import { KUBERNETES_ONLY, engineMissing, runEngine } from "../test/support/engine";
import { ROOT } from "../test/support/fixtures";
import { kubeBinaries, startKubeControlPlane } from "../test/support/kube-control-plane";
import { fetchSchemas } from "../test/support/schemas";
import { syntheticFabric } from "./fabric-config";
import { fmt } from "./measure";

export async function benchEngine(): Promise<void> {
    console.log(
        "real engine, Kubernetes half (kube-apiserver v1.36.3 on loopback; devices left out):",
    );
    if (process.getuid?.() !== 0)
        return console.log("  skipped (needs root: network namespace for the API server)");
    const bins = kubeBinaries();
    if (!bins.ok) return console.log(`  skipped (missing ${bins.missing})`);
    const missing = engineMissing();
    if (missing) return console.log(`  skipped (missing ${missing})`);

    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bgpf-bench-engine-"));
    const big = path.join(work, "Pulumi.bench.yaml");
    const bigConfig = { ...syntheticFabric(4, 96, 900), name: "bench" };
    fs.writeFileSync(
        big,
        YAML.stringify({
            config: Object.fromEntries(
                Object.entries(bigConfig).map(([k, v]) => [`fabric:${k}`, v]),
            ),
        }),
    );
    const stacks = [
        {
            name: "dev",
            file: path.join(ROOT, "Pulumi.dev.yaml"),
            plan: planFabric(readStackFile({ stack: "dev", root: ROOT }).config),
        },
        { name: "1,000 devices", file: big, plan: planFabric(bigConfig) },
    ];
    const nodes = [
        ...new Set(
            stacks.flatMap((s) =>
                s.plan.devices.filter((d) => d.role === "node").map((d) => d.name),
            ),
        ),
    ];
    const schemas = fetchSchemas();
    const cp = await startKubeControlPlane({
        prefix: "kcp-be",
        nodes,
        crdDirs: ["calico", "operator", "metallb"].map((d) => path.join(schemas, d)),
    });
    try {
        await cp.post("/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "metallb-system" },
        });
        for (const s of stacks) {
            const objects = Object.values(
                renderKubernetes(s.plan, { nodeFrr: nodeRouterConfigs(s.plan) }),
            ).flat().length;
            const run = {
                config: s.file,
                work: path.join(work, s.name.replace(/\W+/g, "-")),
                set: KUBERNETES_ONLY,
                secrets: { "fabric:kubernetes.kubeconfig": cp.kubeconfig },
            };
            const up = await runEngine(cp, "up", run);
            if (!up.ok) {
                console.log(
                    `  ${s.name}: up FAILED after ${up.seconds} s: ${up.error.split("\n").slice(-3).join(" | ")}`,
                );
                continue;
            }
            const preview = await runEngine(cp, "preview", run);
            const changes = preview.steps.length;
            console.log(
                `  ${s.name} (${s.plan.devices.length} devices, ${objects} objects, ${up.summary.create ?? 0} resources created): ` +
                    `up from empty ${fmt(up.seconds * 1000)}, no-op preview ${fmt(preview.seconds * 1000)}${changes ? ` (${changes} changes!)` : ""}`,
            );
            await runEngine(cp, "destroy", run);
        }
    } finally {
        await cp.stop();
        fs.rmSync(work, { recursive: true, force: true });
    }
}

if (require.main === module) {
    benchEngine().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
