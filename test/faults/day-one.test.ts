// Day one on the lab, from empty (`lab up --empty`), without the engine: the
// path `pulumi up` takes, step by step, with the component's own scripts.
//
//   1  every switch and node router starts with an empty FRR config
//   2  each node's host setup over SSH (what the K8sNode command runs: `bash -s`)
//   3  every switch's safe-apply script over SSH, all at once: each succeeds
//      once its fabric and external sessions are up; a leaf's sessions with
//      nodes, whose routers do not run yet, are reported as waiting (exit 0)
//   4  the lab plays the router DaemonSet from the rendered ConfigMap: the
//      init container's and the FRR container's own scripts deliver each
//      node's key; every planned session comes up
//   5  a re-run is `unchanged` on every switch, all sessions Established
//   6  a server session that was up and that a change breaks still rolls back
//
// Own prefix and directory (d1<pid>-); `after` tears the lab down even when a
// test fails.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    LabUpResult,
    PushOutcome,
    labApply,
    labDaemonSet,
    labDown,
    labExec,
    labSsh,
    labStatus,
    labUp,
    missingSessions,
    waitEstablished,
} from "../../lab";
import { processLocation, sweepStale } from "../../lab/teardown";
import { renderDevice } from "../../render/device";
import { APPLY_EXIT } from "../../render/exit-codes";
import { renderNodeFrr } from "../../render/frr-node";
import { renderKubernetesYaml } from "../../render/kubernetes";
import { isRoot, requireCapability } from "../support/skip";

const LOC = processLocation("d1");
const SWITCHES = ["spine1", "spine2", "leaf1", "leaf2", "leaf3", "leaf4"];
const NODES = ["k8s1", "k8s2", "k8s3", "k8s4", "k8s5", "k8s6", "k8s7", "k8s8"];
const TOOLS = [
    "/usr/lib/frr/zebra",
    "/usr/lib/frr/bgpd",
    "/usr/lib/frr/frr-reload.py",
    "/usr/sbin/bird",
    "/usr/sbin/sshd",
];
const byDevice = (out: PushOutcome[]) => Object.fromEntries(out.map((o) => [o.device, o]));
const show = (what: string, text: string) =>
    process.env.SHOW_OUTPUT && console.log(`\n----- ${what}\n${text}`);

describe("faults: day one, from an empty lab", function () {
    this.timeout(10 * 60_000);
    let up: LabUpResult | undefined;
    const running = async (d: string) =>
        (await labExec(d, ["vtysh", "-c", "show running-config"], LOC)).stdout;
    const withTimeout = () => ({ ...up!.plan, apply: { ...up!.plan.apply, convergeTimeout: 15 } });

    before(async function () {
        requireCapability(
            this,
            isRoot && TOOLS.every((f) => fs.existsSync(f)),
            "the lab needs root and FRR 8.4, BIRD 2 and sshd (scripts/install-system-deps.sh)",
        );
        await sweepStale("d1");
        up = await labUp({ ...LOC, stack: "dev", empty: true });
    });

    after(async function () {
        this.timeout(120_000);
        if (up) await labDown(LOC);
    });

    it("1: every switch and node router starts empty", async () => {
        for (const d of [...SWITCHES, ...NODES])
            assert.doesNotMatch(await running(d), /^router bgp/m, d);
    });

    it("2, 3: host setup on the nodes, then every switch applies at once; the leafs' server sessions are waiting, not failed", async () => {
        await Promise.all(
            NODES.map(async (n) => {
                const r = await labSsh(n, "bash -s", {
                    ...LOC,
                    input: renderDevice(up!.plan, n).setup,
                    timeoutMs: 60_000,
                });
                assert.strictEqual(r.code, 0, `${n}: ${r.stderr}`);
            }),
        );
        const t0 = Date.now();
        const out = byDevice(await labApply({ ...LOC, plan: withTimeout(), devices: SWITCHES }));
        const ms = Date.now() - t0;
        for (const s of SWITCHES) assert.ok(out[s].ok, `${s}: ${out[s].error}`);
        show("day one, leaf1 and spine1", `${out.leaf1.output}\n${out.spine1.output}`);
        assert.match(
            out.leaf1.output,
            /^leaf1: applied; 2 of 5 BGP sessions Established, 3 waiting for their node's router \(not a failure\): swp1 \(k8s1\), swp2 \(k8s2\), swp3 \(k8s3\)$/m,
        );
        assert.match(
            out.leaf4.output,
            /^leaf4: applied; 2 of 5 BGP sessions Established, 3 waiting for their node's router \(not a failure\): swp1 \(k8s5\), swp2 \(k8s6\), swp3 \(k8s8\)$/m,
        );
        assert.match(out.spine1.output, /^spine1: applied; all 5 BGP sessions Established$/m);
        console.log(
            `      all six switches applied from empty in ${ms} ms (convergeTimeout 15 s not waited out)`,
        );
        assert.ok(ms < 15_000, `${ms} ms: a leaf waited for its nodes`);
    });

    it("4: the lab plays the router DaemonSet from the rendered ConfigMap; every planned session comes up", async () => {
        const dir = path.join(LOC.dir, "rendered-kubernetes");
        fs.mkdirSync(dir, { recursive: true });
        // What `npm run render` writes (cli/render.ts): every node's frr.conf in the router ConfigMap.
        const nodeFrr = Object.fromEntries(
            up!.plan.devices
                .filter((d) => d.role === "node")
                .map((d) => [d.name, renderNodeFrr(up!.plan, d.name)!]),
        );
        for (const [file, text] of Object.entries(renderKubernetesYaml(up!.plan, { nodeFrr })))
            fs.writeFileSync(path.join(dir, file), text);
        const t0 = Date.now();
        const ds = await labDaemonSet({ ...LOC, renderDir: dir });
        assert.deepStrictEqual(ds.started.sort(), NODES);
        assert.match(ds.configMaps.join(" "), /^bgp-fabric-router /);
        for (const n of NODES)
            assert.strictEqual(ds.init[n], `bgp-fabric-router: /etc/frr/frr.conf is ${n}.conf`);
        await waitEstablished(60_000, { ...LOC, speakers: false });
        console.log(
            `      DaemonSet delivered; every planned session Established ${Date.now() - t0} ms later`,
        );
        assert.deepStrictEqual(missingSessions(await labStatus(LOC)), []);
        for (const n of ["k8s1", "k8s8"]) {
            const key = fs.readFileSync(
                path.join(LOC.dir, "daemonset", "config", `${n}.conf`),
                "utf8",
            );
            assert.strictEqual(
                (await labExec(n, ["cat", "/etc/frr/frr.conf"], LOC)).stdout,
                key,
                `${n} runs its key`,
            );
        }
        // A new version of a key reaches the node through the FRR container's own loop.
        const f = path.join(LOC.dir, "daemonset", "config", "k8s2.conf");
        fs.writeFileSync(
            `${f}.tmp`,
            fs.readFileSync(f, "utf8") + "ip prefix-list DAY-ONE seq 5 permit 192.0.2.0/24\n!\n",
        );
        fs.renameSync(`${f}.tmp`, f);
        let seen = false;
        for (let i = 0; i < 40 && !seen; i++) {
            seen = /^ip prefix-list DAY-ONE /m.test(await running("k8s2"));
            if (!seen) await new Promise((r) => setTimeout(r, 500));
        }
        assert.ok(seen, "the DaemonSet's loop applied the new k8s2.conf");
    });

    it("5: a re-run is unchanged everywhere, with every session Established", async () => {
        const out = byDevice(await labApply({ ...LOC, plan: withTimeout(), devices: SWITCHES }));
        for (const s of SWITCHES)
            assert.match(
                out[s].output,
                /: unchanged: the running configuration already is the intended one; all 5 BGP sessions Established$/m,
                `${s}: ${out[s].output}${out[s].error ?? ""}`,
            );
    });

    it("6: a change that breaks a server session that was up still rolls back", async () => {
        const before = await running("leaf1");
        const out = byDevice(
            await labApply({
                ...LOC,
                plan: withTimeout(),
                devices: ["leaf1"],
                transformConfig: (d, r) =>
                    r.frr ? { ...r, frr: r.frr.replace(/^(\s+neighbor )swp1 /gm, "$1swp61 ") } : r,
            }),
        );
        show("broken server session", out.leaf1.error ?? "");
        assert.strictEqual(out.leaf1.code, APPLY_EXIT.ROLLED_BACK, out.leaf1.error);
        assert.match(
            out.leaf1.error!,
            /^leaf1: sessions Established before the change are down after 15s: swp1 \(k8s1\)$/m,
        );
        assert.strictEqual(await running("leaf1"), before, "leaf1 runs its previous config");
        await waitEstablished(60_000, { ...LOC, speakers: false });
    });
});
