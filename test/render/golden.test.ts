// Golden files: everything bgp-fabric renders for the dev stack and for every
// reference design in examples/, byte for byte. UPDATE_GOLDEN=1 rewrites them
// (test/golden/<fabric>/<device>/…), removing files no device renders any more.

import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { FabricPlan } from "../../plan";
import { renderDevice, switchScripts } from "../../render/device";
import { renderNodeFrr } from "../../render/frr-node";
import { renderMermaid } from "../../render/mermaid";
import { fabricsUnderTest } from "../support/frr";
import { ROOT } from "../support/fixtures";
import { assertGolden } from "../support/golden";

/** Every rendered text of a fabric, by path relative to its golden directory. */
export function renderAll(plan: FabricPlan): Map<string, string> {
    const files = new Map<string, string>();
    for (const d of plan.devices) {
        const r = renderDevice(plan, d.name);
        if (r.frr) files.set(`${d.name}/frr.conf`, r.frr);
        if (r.interfaces) files.set(`${d.name}/interfaces`, r.interfaces);
        if (r.setup) files.set(`${d.name}/setup.sh`, r.setup);
        // The router DaemonSet also runs on nodes bgp-fabric does not reach over SSH.
        if (d.role === "node" && !d.managed) {
            const frr = renderNodeFrr(plan, d.name);
            if (frr) files.set(`${d.name}/frr.conf`, frr);
        }
    }
    files.set("topology.mmd", renderMermaid(plan));
    // The apply protocol once per fabric: on its first managed leaf (else spine).
    const sw =
        plan.devices.find((d) => d.managed && d.role === "leaf") ??
        plan.devices.find((d) => d.managed && d.role === "spine");
    const scripts = sw && switchScripts(plan, sw.name);
    if (sw && scripts) {
        files.set(`${sw.name}/apply.sh`, scripts.apply);
        files.set(`${sw.name}/destroy.sh`, scripts.destroy);
    }
    return files;
}

function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) =>
            e.isDirectory()
                ? listFiles(path.join(dir, e.name)).map((f) => `${e.name}/${f}`)
                : [e.name],
        );
}

describe("render: golden files", () => {
    for (const { name, plan } of fabricsUnderTest()) {
        it(`${name}: every rendered file matches test/golden/${name}/`, () => {
            const files = renderAll(plan);
            const dir = path.join(ROOT, "test/golden", name);
            if (process.env.UPDATE_GOLDEN === "1") fs.rmSync(dir, { recursive: true, force: true });
            for (const [rel, text] of files) assertGolden(`${name}/${rel}`, text);
            assert.deepStrictEqual(
                listFiles(dir).sort(),
                [...files.keys()].sort(),
                `test/golden/${name}/ holds files no device renders (UPDATE_GOLDEN=1 removes them)`,
            );
        });
    }

    it("rendering is deterministic: the same plan renders byte-identical files twice", () => {
        for (const { plan } of fabricsUnderTest())
            assert.deepStrictEqual(renderAll(plan), renderAll(JSON.parse(JSON.stringify(plan))));
    });
});
