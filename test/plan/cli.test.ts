import assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../support/fixtures";

function runPlan(...args: string[]) {
    const r = spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "cli/plan.ts", ...args],
        { cwd: ROOT, encoding: "utf8" },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run plan", () => {
    it("prints the dev stack as a table of devices, sessions and pools", () => {
        const r = runPlan("--stack", "dev");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Fabric dev: 2 spines, 4 leafs, 8 nodes, 1 external/);
        assert.match(
            r.stdout,
            /^leaf3\s+leaf\s+65103\s+172\.16\.255\.103\s+swp51→spine1:swp3 swp52→spine2:swp3$/m,
        );
        assert.match(r.stdout, /^SESSIONS \(22\)$/m);
        assert.match(
            r.stdout,
            /^default 172\.29\.0\.0\/24 {2}ingress=172\.29\.0\.6 dashboard=172\.29\.0\.7$/m,
        );
    });

    it("prints JSON with devices, sessions and pools", () => {
        const r = runPlan("--stack", "dev", "--json");
        assert.strictEqual(r.code, 0, r.stderr);
        const plan = JSON.parse(r.stdout);
        assert.deepStrictEqual(Object.keys(plan.devices[0]).slice(0, 5), [
            "name",
            "role",
            "slot",
            "asn",
            "loopback",
        ]);
        assert.strictEqual(plan.sessions.length, 22);
        assert.deepStrictEqual(plan.pools[0].vips, {
            ingress: "172.29.0.6",
            dashboard: "172.29.0.7",
        });
    });

    it("exits non-zero with one error per line, naming the field, and nothing on stdout", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-")), "bad.yaml");
        fs.writeFileSync(
            file,
            [
                "config:",
                "  fabric:name: bad",
                "  fabric:spines: [{ name: spine1, mgmt: { host: 10.0.0.1 } }]",
                "  fabric:leafs: [{ name: leaf1, asn: 23456, mgmt: { host: 10.0.0.2 } }]",
                '  fabric:nodes: [{ name: k8s1, uplinks: ["leaf2:swp1"], mgmt: { host: 10.0.0.3 } }]',
                "  fabric:kubernetes: { serviceCidr: 10.233.64.0/20 }",
            ].join("\n"),
        );
        const r = runPlan("--config", file);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stdout, "");
        assert.deepStrictEqual(
            r.stderr
                .trim()
                .split("\n")
                .filter((l) => l.startsWith("fabric:")),
            [
                "fabric:leafs[0].asn: ASN 23456 is AS_TRANS (RFC 6793)",
                "fabric:nodes[0].uplinks[0]: 'leaf2' is not a leaf of this fabric",
                "fabric:kubernetes.serviceCidr: 10.233.64.0/20 overlaps kubernetes.podCidr 10.233.64.0/18",
            ],
        );
    });
});
