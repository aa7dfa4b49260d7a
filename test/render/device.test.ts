// renderDevice (every text of one device), the Mermaid topology and the
// render CLI.

import assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planFabric } from "../../plan";
import { renderDevice, switchScripts } from "../../render/device";
import { renderMermaid } from "../../render/mermaid";
import { ROOT, devConfig, exampleConfig } from "../support/fixtures";

describe("render: devices, topology and the render CLI", () => {
    const plan = planFabric(devConfig());

    it("renderDevice gives each kind of device its parts, and nothing to someone else's", () => {
        const parts = (name: string) => Object.keys(renderDevice(plan, name)).sort();
        assert.deepStrictEqual(parts("spine1"), ["frr", "interfaces"]);
        assert.deepStrictEqual(parts("leaf1"), ["frr", "interfaces"]);
        assert.deepStrictEqual(parts("k8s1"), ["frr", "setup"]);
        assert.deepStrictEqual(parts("border1"), []);
        const ref3 = planFabric(exampleConfig("ref3"));
        assert.deepStrictEqual(Object.keys(renderDevice(ref3, "node1")), ["setup"]);
        const ref4 = planFabric(exampleConfig("ref4"));
        for (const d of ["leaf1", "leaf2"]) assert.deepStrictEqual(renderDevice(ref4, d), {});
        assert.deepStrictEqual(
            renderDevice(planFabric(exampleConfig("ref4-reinterpreted")), "spine1"),
            {},
        );
        assert.strictEqual(switchScripts(ref4, "leaf1"), undefined);
        assert.throws(() => renderDevice(plan, "nope"), /no device 'nope'/);
    });

    it("switchScripts: the apply script carries the device's frr.conf and sessions; the timeout is the plan's", () => {
        const s = switchScripts(plan, "spine1")!;
        assert.ok(s.apply.includes(renderDevice(plan, "spine1").frr!));
        assert.deepStrictEqual(
            s.sessions.map((x) => `${x.key}=${x.peer}`),
            ["swp1=leaf1", "swp2=leaf2", "swp3=leaf3", "swp4=leaf4", "172.16.254.1=border1"],
        );
        assert.match(s.apply, /^TIMEOUT="\$\{TIMEOUT:-60\}"$/m);
        assert.match(s.destroy, /pre-bgp-fabric/);
    });

    it("the Mermaid graph lists every device with its ASN, tiers top-down, one edge per cable", () => {
        const m = renderMermaid(plan);
        assert.ok(m.startsWith("graph TD\n"));
        for (const d of plan.devices)
            assert.ok(m.includes(`${d.name}<br/>AS ${d.asn}<br/>${d.loopback}`), d.name);
        const order = ["tier_external", "tier_spine", "tier_leaf", "tier_node"].map((t) =>
            m.indexOf(`subgraph ${t}[`),
        );
        assert.deepStrictEqual(
            [...order].sort((a, b) => a - b),
            order,
        );
        assert.ok(order.every((i) => i >= 0));
        assert.strictEqual(
            m.split("\n").filter((l) => / ---\|/.test(l)).length,
            plan.sessions.length,
        );
        assert.ok(
            m.includes('  d_border1 ---|"eth1 – swp31"| d_spine1\n'),
            "the external router above its spine",
        );
        assert.ok(m.includes('  d_leaf1 ---|"swp1 – eth1"| d_k8s1\n'));
        assert.match(m, /^ {2}class d_border1 unmanaged$/m);
    });

    it("npm run render writes every device's files, the topology and the Kubernetes objects", () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
        try {
            const r = spawnSync(
                process.execPath,
                [
                    "-r",
                    "ts-node/register/transpile-only",
                    "cli/render.ts",
                    "--stack",
                    "dev",
                    "--out",
                    out,
                ],
                { cwd: ROOT, encoding: "utf8" },
            );
            assert.strictEqual(r.status, 0, r.stderr);
            const expected = [
                "topology.mmd",
                "kubernetes/calico.yaml",
                "kubernetes/metallb.yaml",
                "kubernetes/router.yaml",
            ];
            for (const d of plan.devices) {
                if (d.role === "spine" || d.role === "leaf")
                    expected.push(`${d.name}/frr.conf`, `${d.name}/interfaces`);
                if (d.role === "node") expected.push(`${d.name}/frr.conf`, `${d.name}/setup.sh`);
            }
            for (const f of expected) assert.ok(fs.existsSync(path.join(out, f)), `missing ${f}`);
            assert.strictEqual(
                fs.readFileSync(path.join(out, "leaf1/frr.conf"), "utf8"),
                renderDevice(plan, "leaf1").frr,
            );
            assert.ok(
                fs
                    .readFileSync(path.join(out, "kubernetes/router.yaml"), "utf8")
                    .includes("router bgp 4200000000"),
                "the router ConfigMap carries the node configs",
            );
            assert.match(
                fs.readFileSync(path.join(out, "kubernetes/calico.yaml"), "utf8"),
                /^---\n/,
            );
            assert.match(r.stdout, /^rendered \d+ files for fabric dev into /);
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });

    it("npm run render on a bad config: one `fabric:field: message` per line on stderr, exit 1", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-bad-"));
        try {
            const file = path.join(dir, "bad.yaml");
            fs.writeFileSync(
                file,
                [
                    "config:",
                    "  fabric:name: bad",
                    "  fabric:spines: [{ name: spine1, mgmt: { host: 10.0.0.1 } }]",
                    "  fabric:leafs: [{ name: leaf1, asn: 23456, mgmt: { host: 10.0.0.2 } }]",
                    "  fabric:nodes: []",
                ].join("\n"),
            );
            const r = spawnSync(
                process.execPath,
                [
                    "-r",
                    "ts-node/register/transpile-only",
                    "cli/render.ts",
                    "--config",
                    file,
                    "--out",
                    path.join(dir, "out"),
                ],
                { cwd: ROOT, encoding: "utf8" },
            );
            assert.strictEqual(r.status, 1);
            assert.deepStrictEqual(r.stderr.trim().split("\n"), [
                "fabric:leafs[0].asn: ASN 23456 is AS_TRANS (RFC 6793)",
            ]);
            assert.ok(!fs.existsSync(path.join(dir, "out")), "nothing written");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
