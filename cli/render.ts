// npm run render -- [--stack NAME | --config FILE] --out DIR
// Writes every text bgp-fabric renders for a stack, for review or GitOps:
//   DIR/<switch>/frr.conf, DIR/<switch>/interfaces   every managed spine and leaf
//   DIR/<node>/frr.conf                               every node (router-on-host)
//   DIR/<node>/setup.sh                               every managed node
//   DIR/topology.mmd                                  Mermaid diagram
//   DIR/kubernetes/*.yaml                             Calico, MetalLB, router DaemonSet
// A bad config prints one `fabric:field: message` per line and exits 1.

import * as fs from "fs";
import * as path from "path";
import { FabricConfig, planFabric, readStackFile } from "../plan";
import { renderDevice } from "../render/device";
import { renderNodeFrr } from "../render/frr-node";
import { renderKubernetesYaml } from "../render/kubernetes";
import { renderMermaid } from "../render/mermaid";
import { fail, flag, parseArgs } from "./args";

const args = parseArgs(process.argv.slice(2));
try {
    const out = flag(args, "out");
    if (!out) throw new Error("usage: npm run render -- [--stack NAME | --config FILE] --out DIR");
    const { config } = readStackFile({ stack: flag(args, "stack"), config: flag(args, "config") });
    const plan = planFabric(config);
    const files = new Map<string, string>();
    const passwords = plainPasswords(config);
    // The router DaemonSet runs on every node, managed (SSH) or not.
    const nodeFrr: Record<string, string> = {};
    for (const d of plan.devices) {
        const r = renderDevice(plan, d.name, { passwords });
        const frr = r.frr ?? (d.role === "node" ? renderNodeFrr(plan, d.name) : undefined);
        if (frr) files.set(`${d.name}/frr.conf`, frr);
        if (frr && d.role === "node") nodeFrr[d.name] = frr;
        if (r.interfaces) files.set(`${d.name}/interfaces`, r.interfaces);
        if (r.setup) files.set(`${d.name}/setup.sh`, r.setup);
    }
    files.set("topology.mmd", renderMermaid(plan));
    for (const [file, text] of Object.entries(renderKubernetesYaml(plan, { nodeFrr })))
        files.set(`kubernetes/${file}`, text);
    for (const [rel, text] of files) {
        const file = path.join(out, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
    }
    console.log(`rendered ${files.size} files for fabric ${plan.name} into ${out}`);
} catch (err) {
    fail(err);
}

/** BGP passwords given in clear in the file; an encrypted one (`secure:`) only the Pulumi engine can read. */
function plainPasswords(config: FabricConfig): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of [...(config.spines ?? []), ...(config.leafs ?? [])]) {
        if (typeof s?.bgpPassword === "string") out[s.name] = s.bgpPassword;
        else if (s?.bgpPassword)
            console.error(
                `warning: ${s.name}: bgpPassword is encrypted; rendered without it (pulumi up applies it)`,
            );
    }
    return out;
}
