// The emulated fabric, end to end (verification ladder step 4): the dev stack
// brought up in network namespaces with the rendered configs, every planned
// session Established, ECMP as planned, node-to-node reachability, what the
// external BIRD router learns, a TCP connection to every VIP, a link failure,
// and a teardown that leaves nothing behind. Root only. Each run uses a
// namespace prefix and directory of its own (bt<pid>-, ba<pid>-), so it never
// touches a dev lab that is up or another test run; labs of killed runs are
// swept first.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { FabricPlan } from "../../plan";
import {
    LabUpResult,
    labDown,
    labExec,
    labSsh,
    labStatus,
    labUp,
    missingSessions,
    planVips,
    waitEstablished,
} from "../../lab";
import { birdInstance } from "../../lab/bird";
import { listLabNamespaces } from "../../lab/netns";
import {
    nodeMesh,
    plannedSpinePaths,
    routeNexthops,
    tcpProbe,
    failLink,
    restoreLink,
} from "../../lab/probes";
import { isAlive, readState } from "../../lab/state";
import { labLocation } from "../../lab/env";
import { processLocation, sweepStale } from "../../lab/teardown";
import { isRoot, requireCapability } from "../support/skip";

const LOC = processLocation("bt");
const APPLY = processLocation("ba");
const TOOLS = [
    "/usr/lib/frr/zebra",
    "/usr/lib/frr/bgpd",
    "/usr/lib/frr/bfdd",
    "/usr/lib/frr/staticd",
    "/usr/sbin/bird",
    "/usr/sbin/sshd",
];
const haveTools = TOOLS.every((f) => fs.existsSync(f));
const WHY = "the lab needs root and FRR 8.4, BIRD 2 and sshd (scripts/install-system-deps.sh)";

/** Poll until fn() is true (bounded), for convergence after a change. */
async function eventually(
    what: string,
    timeoutMs: number,
    fn: () => Promise<boolean>,
): Promise<number> {
    const t0 = Date.now();
    for (;;) {
        if (await fn()) return Date.now() - t0;
        if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

async function assertNothingLeft(): Promise<void> {
    const loc = labLocation(LOC);
    assert.deepStrictEqual(await listLabNamespaces(loc), [], "lab namespaces left behind");
    assert.ok(!fs.existsSync(loc.dir), `lab directory ${loc.dir} left behind`);
}

describe("lab: the dev fabric in network namespaces", function () {
    this.timeout(240_000);
    let up: LabUpResult;
    let plan: FabricPlan;
    let recorded: ReturnType<typeof readState>;

    before(async function () {
        requireCapability(this, isRoot && haveTools, WHY);
        await sweepStale("bt");
        up = await labUp({ ...LOC, stack: "dev", replace: true });
        plan = up.plan;
        recorded = readState(labLocation(LOC));
    });

    after(async function () {
        if (!isRoot) return;
        await labDown(LOC); // idempotent: also after the teardown test, also after a failure
        await assertNothingLeft();
    });

    it("brings the dev lab up well under a minute, every device with its own namespaces and daemons", async function () {
        assert.ok(up.timings.total < 30_000, `lab up took ${up.timings.total} ms`);
        const namespaces = await listLabNamespaces(labLocation(LOC));
        assert.strictEqual(
            namespaces.length,
            plan.devices.length + 1,
            `namespaces: ${namespaces.join(" ")}`,
        );
        for (const p of up.state.processes)
            assert.ok(isAlive(p), `${p.device} ${p.what} (pid ${p.pid}) is not running`);
        const hostname = await labExec("leaf1", ["hostname"], LOC);
        assert.strictEqual(hostname.stdout.trim(), "leaf1");
        const conf = await labExec("spine1", ["cat", "/etc/frr/frr.conf"], LOC);
        assert.match(conf.stdout, /^router bgp 65000$/m, "spine1 has its own /etc/frr");
    });

    it("refuses to bring a second lab up over a running one", async function () {
        await assert.rejects(labUp({ ...LOC, stack: "dev" }), /already up/);
    });

    it("establishes every planned session (both ends, bounded wait)", async function () {
        const ms = await waitEstablished(90_000, { ...LOC, speakers: false });
        const status = await labStatus(LOC);
        const ends = status.reduce((n, s) => n + s.established, 0);
        assert.strictEqual(ends, plan.sessions.length * 2, missingSessions(status).join("\n"));
        console.log(
            `      ${plan.sessions.length} sessions (${ends} ends) Established ${up.timings.total + ms} ms after lab up started`,
        );
    });

    it("answers over SSH from the management namespace on every switch and node, with pinned host keys", async function () {
        const targets = plan.devices.filter((d) => d.role !== "external");
        const names = await Promise.all(
            targets.map(async (d) =>
                (await labSsh(d.name, "hostname", { ...LOC, timeoutMs: 20_000 })).stdout.trim(),
            ),
        );
        assert.deepStrictEqual(
            names,
            targets.map((d) => d.name),
        );
    });

    it("gives every spine ECMP routes to every leaf and node loopback, as many next hops as the plan has paths", async function () {
        const spines = plan.devices.filter((d) => d.role === "spine");
        const targets = plan.devices.filter((d) => d.role === "leaf" || d.role === "node");
        const wrong: string[] = [];
        let multipath = 0;
        for (const s of spines) {
            for (const t of targets) {
                const want = plannedSpinePaths(plan, s.name, t.name);
                const got = (await routeNexthops(s.name, `${t.loopback}/32`, LOC)).length;
                if (got !== want)
                    wrong.push(
                        `${s.name} -> ${t.name} ${t.loopback}: ${got} next hops, plan has ${want}`,
                    );
                if (want >= 2) multipath++;
            }
        }
        assert.deepStrictEqual(wrong, []);
        assert.ok(
            multipath > 0,
            "the dev plan has dual-attached nodes, so some routes must be multipath",
        );
    });

    it("lets every node reach every other node's loopback, sourced from its own", async function () {
        assert.deepStrictEqual(await nodeMesh(LOC), []);
    });

    it("establishes every node's MetalLB speaker session to its router over loopback (127.0.0.2 → 127.0.0.1)", async function () {
        await waitEstablished(30_000, { ...LOC, speakers: true });
    });

    it("shows the external BIRD router every VIP /32 with one next hop per spine that announces it", async function () {
        const border = plan.devices.find((d) => d.role === "external")!;
        const paths = border.neighbors.length;
        const vips = planVips(plan);
        assert.ok(vips.length > 0);
        for (const vip of vips) {
            await eventually(
                `${border.name} has ${paths} next hops for ${vip}/32`,
                30_000,
                async () => (await routeNexthops(border.name, `${vip}/32`, LOC)).length === paths,
            );
            const hops = await routeNexthops(border.name, `${vip}/32`, LOC);
            const spineAddrs = border.neighbors.map((n) => n.address).sort();
            assert.deepStrictEqual(
                hops.map((h) => h.via).sort(),
                spineAddrs,
                `${vip}: next hops ${JSON.stringify(hops)}`,
            );
            const bird = await labExec(
                border.name,
                [
                    "birdc",
                    "-s",
                    birdInstance(labLocation(LOC), border.name, "bird").ctl,
                    "show",
                    "route",
                    `${vip}/32`,
                ],
                LOC,
            );
            assert.strictEqual((bird.stdout.match(/unicast \[/g) ?? []).length, paths, bird.stdout);
        }
    });

    it("opens a TCP connection from the external router to every VIP, answered by the nodes (ECMP spreads them)", async function () {
        const nodes = new Set(plan.devices.filter((d) => d.role === "node").map((d) => d.name));
        const border = plan.devices.find((d) => d.role === "external")!.name;
        for (const vip of planVips(plan)) {
            const answers = new Set<string>();
            for (let i = 0; i < 16; i++) {
                const who = await tcpProbe(border, vip, undefined, LOC);
                assert.ok(nodes.has(who), `${vip} answered '${who}'`);
                answers.add(who);
            }
            assert.ok(
                answers.size >= 2,
                `16 connections to ${vip} all went to ${[...answers].join(",")}: no ECMP`,
            );
        }
    });

    it("keeps node-to-node reachability with one leaf-spine link down, and restores ECMP when it comes back", async function () {
        const end = { device: "leaf1", port: "swp51" }; // leaf1 <-> spine1:swp1
        const k8s1 = plan.devices.find((d) => d.name === "k8s1")!; // dual-attached to leaf1 and leaf2
        assert.strictEqual(plannedSpinePaths(plan, "spine1", "k8s1"), 2);
        try {
            await failLink(end, "down", LOC);
            await eventually(
                "spine1 drops the path via leaf1",
                15_000,
                async () =>
                    (await routeNexthops("spine1", `${k8s1.loopback}/32`, LOC)).length === 1,
            );
            // Bounded: the other leafs drop their paths through spine1 within a moment (withdrawals, no timers).
            let last: string[] = [];
            const ms = await eventually(
                "every node reaches every other node with leaf1-spine1 down",
                10_000,
                async () => (last = await nodeMesh(LOC)).length === 0,
            ).catch((e) => {
                throw new Error(`${(e as Error).message}; unreachable: ${last.join(", ")}`);
            });
            console.log(
                `      full node-to-node reachability within ${ms} ms of spine1 dropping the path`,
            );
        } finally {
            await restoreLink(end, LOC);
        }
        const ms = await eventually(
            "spine1 has ECMP to k8s1 again",
            30_000,
            async () => (await routeNexthops("spine1", `${k8s1.loopback}/32`, LOC)).length === 2,
        );
        await waitEstablished(30_000, { ...LOC, speakers: false });
        console.log(`      ECMP restored ${ms} ms after the link came back`);
    });

    it("lab down ends every process and removes every namespace, even without its state file (crash)", async function () {
        const loc = labLocation(LOC);
        const processes = recorded!.processes;
        // A crashed run may leave no usable state: down must still find everything by prefix.
        fs.renameSync(path.join(loc.dir, "state.json"), path.join(loc.dir, "state.json.lost"));
        const r = await labDown(LOC);
        assert.ok(
            r.killed >= processes.length,
            `ended ${r.killed} processes, ${processes.length} were recorded`,
        );
        for (const p of processes)
            assert.ok(!isAlive(p), `${p.device} ${p.what} (pid ${p.pid}) survived lab down`);
        await assertNothingLeft();
    });
});

describe("lab: configs pushed over SSH with the device-apply script (lab up --apply)", function () {
    this.timeout(240_000);
    let up: LabUpResult;

    before(async function () {
        requireCapability(this, isRoot && haveTools, WHY);
        await sweepStale("ba");
        up = await labUp({ ...APPLY, stack: "dev", apply: true, replace: true });
    });

    after(async function () {
        if (!isRoot) return;
        await labDown(APPLY);
        assert.deepStrictEqual(await listLabNamespaces(labLocation(APPLY)), []);
    });

    it("applies every switch and node config over SSH and brings every planned session up", async function () {
        await waitEstablished(60_000, { ...APPLY, speakers: false });
        const status = await labStatus(APPLY);
        assert.strictEqual(
            status.reduce((n, s) => n + s.established, 0),
            up.plan.sessions.length * 2,
            missingSessions(status).join("\n"),
        );
        console.log(
            `      applied over SSH in ${up.timings.apply} ms; lab up ${up.timings.total} ms`,
        );
    });

    it("left the apply script's backup and the installed config on the device, not on the host", async function () {
        const r = await labSsh(
            "leaf2",
            "ls /var/lib/bgp-fabric/backup && grep -c '^router bgp 65102$' /etc/frr/frr.conf",
            APPLY,
        );
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /running\.conf/);
        assert.ok(
            !fs.existsSync("/var/lib/bgp-fabric"),
            "the apply script wrote to the host's /var/lib",
        );
    });
});
