// Session protections on the server-facing ports (plan/protections.ts), on
// one dev lab brought up with `--apply` (every config pushed over SSH with the
// safe-apply script), with the configs bgp-fabric renders:
//
//   ttl  single-hop TTL security (GTSM, RFC 5082) on the unnumbered leaf ↔
//        node-router sessions: up with it at both ends; a node that stops
//        sending TTL 255 is refused by the leaf until it sends it again
//   a    a node announcing a flood of /32s trips only its own session on the
//        leaf (maximum-prefix, Idle (PfxCt)); the leaf's other sessions stay
//        Established; once the flood is gone `clear bgp` brings it back
//   b    a node router's bgpd killed (SIGKILL by PID): with graceful restart
//        (RFC 4724) the leaf keeps the node's routes, marked stale, while the
//        session is down; the restarted bgpd takes them over again
//   c    …but not when the link fails: the next hop goes, the routes at once
//
// The output asserted on is printed (docs/operations.md quotes it). The lab
// has its own prefix (bq<pid>-); `after` tears it down even when a test fails.

import * as assert from "assert";
import { LabUpResult, labExec, labUp, waitEstablished } from "../../lab";
import { labLocation } from "../../lab/env";
import { bashInDevice } from "../../lab/exec";
import { describeProcess, isAlive, procStart, readState, writeState } from "../../lab/state";
import { processLocation, sweepStale } from "../../lab/teardown";
import { FabricPlan, PlannedDevice } from "../../plan";
import { nodeMaximumPrefix } from "../../plan/protections";
import { isRoot, requireLab } from "../support/skip";
import { labDownLeavingNothing } from "../support/lab";

const LOC = processLocation("bq");

/** k8s3 is cabled to leaf1 only (swp3): its session there is the one under test. */
const NODE = "k8s3";
const LEAF = "leaf1";
const PORT = "swp3";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function show(title: string, text: string): void {
    console.log(`      ${title}:\n${text.trimEnd().replace(/^/gm, "      | ")}`);
}

interface PeerJson {
    bgpState: string;
    externalBgpNbrMaxHopsAway?: number;
    lastResetDueTo?: string;
    [k: string]: unknown;
}

describe("session protections on server ports (dev lab, configs pushed over SSH)", function () {
    this.timeout(300_000);
    let up: LabUpResult;
    let plan: FabricPlan;
    let node: PlannedDevice;

    const vtysh = async (device: string, ...cmds: string[]) => {
        const r = await labExec(device, ["vtysh", ...cmds.flatMap((c) => ["-c", c])], LOC);
        assert.strictEqual(r.code, 0, `${device}: ${cmds.join(" / ")}: ${r.stderr}${r.stdout}`);
        return r.stdout;
    };
    const neighbor = async (device: string, key: string): Promise<PeerJson> =>
        (
            JSON.parse(await vtysh(device, `show bgp neighbors ${key} json`)) as Record<
                string,
                PeerJson
            >
        )[key];
    /** The leaf's sessions: neighbor → state, from `show bgp summary json`. */
    const summary = async (device: string): Promise<Record<string, string>> => {
        const j = JSON.parse(await vtysh(device, "show bgp ipv4 unicast summary json")) as {
            peers: Record<string, { state: string }>;
        };
        return Object.fromEntries(Object.entries(j.peers).map(([k, v]) => [k, v.state]));
    };
    const waitFor = async (what: string, ms: number, ok: () => Promise<boolean>) => {
        const t0 = Date.now();
        while (!(await ok())) {
            if (Date.now() - t0 > ms)
                throw new Error(`timed out after ${ms} ms waiting for ${what}`);
            await sleep(250);
        }
        return Date.now() - t0;
    };
    const established = async () => (await neighbor(LEAF, PORT)).bgpState === "Established";
    /** `show bgp summary` lines of the header and of the given neighbors. */
    const summaryLines = async (device: string, keys: string[]) =>
        (await vtysh(device, "show bgp ipv4 unicast summary"))
            .split("\n")
            .filter(
                (l) =>
                    /^Neighbor/.test(l) ||
                    keys.some((k) => l.startsWith(`${k} `) || l.includes(`(${k}) `)),
            )
            .join("\n");

    before(async function () {
        requireLab(this);
        await sweepStale("bq");
        up = await labUp({ ...LOC, stack: "dev", apply: true, replace: true, wait: 90_000 });
        plan = up.plan;
        node = plan.devices.find((d) => d.name === NODE)!;
        assert.deepStrictEqual(
            node.neighbors.map((n) => `${n.device}:${n.interface}`),
            [`${LEAF}:eth1`],
            `${NODE} is cabled to ${LEAF} only`,
        );
        console.log(`      lab up with every config pushed over SSH in ${up.timings.total} ms`);
    });

    after(async function () {
        if (!isRoot) return;
        await labDownLeavingNothing(LOC);
    });

    it("ttl: GTSM at both ends of the unnumbered leaf ↔ node sessions; a node sending TTL 1 is refused by the leaf", async function () {
        const leafSide = await neighbor(LEAF, PORT);
        const nodeSide = await neighbor(NODE, "eth1");
        assert.strictEqual(leafSide.bgpState, "Established");
        assert.strictEqual(nodeSide.bgpState, "Established");
        assert.strictEqual(leafSide.externalBgpNbrMaxHopsAway, 1, JSON.stringify(leafSide));
        assert.strictEqual(nodeSide.externalBgpNbrMaxHopsAway, 1, JSON.stringify(nodeSide));
        const detail = await vtysh(LEAF, `show bgp neighbors ${PORT}`);
        show(
            `${LEAF}: show bgp neighbors ${PORT} (excerpt)`,
            detail
                .split("\n")
                .filter((l) => /BGP neighbor on|BGP state|hops away/.test(l))
                .join("\n"),
        );
        assert.match(detail, /^ {2}External BGP neighbor may be up to 1 hops away\.$/m);

        // The node stops GTSM (its packets leave with TTL 1): the leaf must refuse them.
        await vtysh(
            NODE,
            "configure terminal",
            `router bgp ${node.asn}`,
            "no neighbor fabric ttl-security hops 1",
            "end",
            "clear bgp *",
        );
        await sleep(12_000);
        const refused = await neighbor(LEAF, PORT);
        show(
            `${LEAF} after ${NODE} dropped ttl-security (12 s later)`,
            await summaryLines(LEAF, [PORT]),
        );
        assert.notStrictEqual(refused.bgpState, "Established", JSON.stringify(refused));

        await vtysh(
            NODE,
            "configure terminal",
            `router bgp ${node.asn}`,
            "neighbor fabric ttl-security hops 1",
            "end",
            "clear bgp *",
        );
        const ms = await waitFor(`${LEAF} ${PORT} Established again`, 30_000, established);
        console.log(`      ${NODE} with ttl-security again: Established after ${ms} ms`);
    });

    it("a: a node announcing a flood of /32s trips only its own session on the leaf (Idle (PfxCt)); the leaf stays healthy; clear bgp brings it back once the flood is gone", async function () {
        const limit = nodeMaximumPrefix(plan, node);
        const flood = limit.limit + 100;
        const before = await summary(LEAF);
        assert.ok(
            Object.values(before).every((s) => s === "Established"),
            JSON.stringify(before),
        );
        const leafBgpd = readState(labLocation(LOC))!.processes.find(
            (p) => p.device === LEAF && p.what === "bgpd",
        )!;
        const routes = Array.from(
            { length: flood },
            (_, i) => `10.99.${Math.floor(i / 250)}.${(i % 250) + 1}/32`,
        );
        // A broken node router: every static route redistributed, its outbound policy bypassed.
        const breakIt = [
            ...routes.map((r) => `ip route ${r} blackhole`),
            "route-map FABRIC-OUT permit 5",
            "exit",
            `router bgp ${node.asn}`,
            " address-family ipv4 unicast",
            "  redistribute static",
            " exit-address-family",
            "exit",
        ].join("\n");
        const mendIt = [
            `router bgp ${node.asn}`,
            " address-family ipv4 unicast",
            "  no redistribute static",
            " exit-address-family",
            "exit",
            "no route-map FABRIC-OUT permit 5",
            ...routes.map((r) => `no ip route ${r} blackhole`),
        ].join("\n");
        const load = async (name: string, text: string) => {
            const st = readState(labLocation(LOC))!;
            const r = await bashInDevice(
                st.devices[NODE].holder!.pid,
                `cat >/tmp/${name} && vtysh -f /tmp/${name} && rm -f /tmp/${name}`,
                { input: text, check: false, timeoutMs: 60_000 },
            );
            assert.strictEqual(r.code, 0, r.stderr + r.stdout);
        };
        const config = await vtysh(NODE, "show running-config");
        await load("bq-flood.conf", breakIt);
        const tripped = await waitFor(`${LEAF} ${PORT} tripped`, 30_000, async () =>
            /PfxCt/.test(await summaryLines(LEAF, [PORT])),
        );
        const lines = await summaryLines(LEAF, Object.keys(before));
        show(
            `${LEAF}: show bgp summary, ${flood} /32s from ${NODE} (tripped after ${tripped} ms)`,
            lines,
        );
        const detail = await vtysh(LEAF, `show bgp neighbors ${PORT}`);
        const excerpt = detail
            .split("\n")
            .filter((l) =>
                /BGP state|maximum|max\. no\.|Reduce the no|Last reset|prefixes/i.test(l),
            )
            .join("\n");
        show(`${LEAF}: show bgp neighbors ${PORT} (excerpt)`, excerpt);
        assert.match(detail, new RegExp(`^ {2}Maximum prefixes allowed ${limit.limit}$`, "m"));
        assert.match(
            detail,
            new RegExp(`Threshold for warning message 75%, restart interval ${limit.restart} min`),
        );
        assert.match(
            detail,
            /Notification sent \(Cease\/Maximum Number of Prefixes Reached\/Hard Reset\)/,
        );
        assert.match(detail, /Peer had exceeded the max\. no\. of prefixes configured\./);
        assert.match(detail, /Reduce the no\. of prefix from \S+, will restart in \d+ seconds/);

        const during = await summary(LEAF);
        assert.notStrictEqual(during[PORT], "Established");
        for (const [k, s] of Object.entries(during))
            if (k !== PORT) assert.strictEqual(s, "Established", `${LEAF} ${k} went ${s}`);
        assert.ok(isAlive(leafBgpd), `${LEAF}'s bgpd died`);
        // The flood never reached the rest of the fabric.
        const spine = await labExec("spine1", ["vtysh", "-c", "show ip route 10.99.0.1/32"], LOC);
        assert.doesNotMatch(spine.stdout, /Routing entry for 10\.99\.0\.1\/32/);

        await load("bq-mend.conf", mendIt);
        assert.strictEqual(await vtysh(NODE, "show running-config"), config, `${NODE} mended`);
        // Still down: the restart timer has minutes to go; an operator clears the session.
        assert.notStrictEqual((await summary(LEAF))[PORT], "Established");
        await vtysh(LEAF, `clear bgp ${PORT}`);
        const back = await waitFor(`${LEAF} ${PORT} Established again`, 30_000, established);
        // …with the node's own routes again (its loopback), nothing of the flood.
        await waitFor(`${node.loopback}/32 from ${NODE} on ${LEAF}`, 30_000, async () =>
            /Routing entry for /.test(
                (await labExec(LEAF, ["vtysh", "-c", `show ip route ${node.loopback}/32`], LOC))
                    .stdout,
            ),
        );
        const pfx = (await neighbor(LEAF, PORT)) as PeerJson & {
            addressFamilyInfo?: { ipv4Unicast?: { acceptedPrefixCounter?: number } };
        };
        const accepted = pfx.addressFamilyInfo?.ipv4Unicast?.acceptedPrefixCounter ?? -1;
        assert.ok(accepted > 0 && accepted < limit.limit, `accepted ${accepted}`);
        show(
            `${LEAF} after the flood is gone and clear bgp ${PORT} (${back} ms)`,
            await summaryLines(LEAF, [PORT]),
        );
        await waitEstablished(60_000, LOC);
    });

    it("b: a node router's bgpd killed: the leaf keeps its routes, stale, while it is down (graceful restart); the restarted bgpd takes them over", async function () {
        const loc = labLocation(LOC);
        const st = readState(loc)!;
        const bgpd = st.processes.find(
            (p) => p.device === NODE && p.what === "bgpd" && isAlive(p),
        )!;
        assert.ok(bgpd, `${NODE}'s bgpd is recorded and running`);
        const prefix = `${node.loopback}/32`;
        const route = async () =>
            JSON.parse(await vtysh(LEAF, `show bgp ipv4 unicast ${prefix} json`)) as {
                paths?: { stale?: boolean; peer?: { interface?: string } }[];
            };
        assert.ok((await route()).paths?.length, `${LEAF} has ${prefix}`);
        const grLines = (text: string) =>
            text
                .split("\n")
                .filter((l) =>
                    /BGP state|Graceful Restart Cap|Remote Restart timer|GR Mode|Restart Time|remaining time|Last reset/.test(
                        l,
                    ),
                )
                .join("\n");
        const gr = await vtysh(LEAF, `show bgp neighbors ${PORT}`);
        show(`${LEAF}: show bgp neighbors ${PORT}, graceful restart (before)`, grLines(gr));
        assert.match(gr, /Graceful Restart Capability: advertised and received/);
        assert.match(gr, /Remote GR Mode: Restart$/m);
        assert.match(gr, /Received Restart Time\(sec\): 120$/m);

        process.kill(bgpd.pid, "SIGKILL");
        for (let i = 0; i < 100 && procStart(bgpd.pid) === bgpd.start; i++) await sleep(50);
        const down = await waitFor(
            `${LEAF} ${PORT} down`,
            15_000,
            async () => !(await established()),
        );
        // Longer than hold time and BFD detection: a plain session would have withdrawn by now.
        await sleep(10_000);
        const kept = await route();
        const text = await vtysh(LEAF, `show bgp ipv4 unicast ${prefix}`);
        show(
            `${LEAF} ${Math.round(10 + down / 1000)} s after ${NODE}'s bgpd was killed: show bgp ipv4 unicast ${prefix}`,
            text,
        );
        show(`${LEAF}: show bgp summary`, await summaryLines(LEAF, [PORT]));
        assert.ok(kept.paths?.length, `${LEAF} dropped ${prefix}`);
        assert.ok(
            kept.paths!.every((p) => p.stale === true),
            JSON.stringify(kept),
        );
        assert.match(text, /\(stale\)/);
        assert.match(text, /Time until Graceful Restart stale route deleted: \d+/);
        show(
            `${LEAF}: show bgp neighbors ${PORT}, graceful restart (during)`,
            grLines(await vtysh(LEAF, `show bgp neighbors ${PORT}`)),
        );
        assert.match(
            await vtysh(LEAF, `show ip route ${prefix}`),
            new RegExp(`Routing entry for ${prefix.replace(/\./g, "\\.")}`),
            `${prefix} left ${LEAF}'s FIB`,
        );

        // The fabric still routes to the node: the leaf keeps advertising the stale path.
        const spineRoute = await vtysh("spine1", `show ip route ${prefix}`);
        show(`spine1 meanwhile: show ip route ${prefix}`, spineRoute);
        assert.match(
            spineRoute,
            new RegExp(`Routing entry for ${prefix.replace(/\./g, "\\.")}`),
            `${prefix} left spine1's FIB`,
        );

        // bgpd back, recorded in the lab state so lab down ends it; its config loaded as at boot.
        const holder = st.devices[NODE].holder!.pid;
        const r = await bashInDevice(
            holder,
            "/usr/lib/frr/bgpd -d -F traditional -A 127.0.0.1 --log file:/var/log/frr/bgpd.log && " +
                "vtysh -b >/var/log/frr/vtysh-bq.log 2>&1; cat /run/frr/bgpd.pid",
            { check: false, timeoutMs: 30_000 },
        );
        const pid = Number(r.stdout.trim().split("\n").pop());
        assert.ok(pid > 0, r.stderr + r.stdout);
        const st2 = readState(loc)!;
        st2.processes.push(describeProcess(pid, NODE, "bgpd"));
        writeState(loc, st2);
        const back = await waitFor(`${LEAF} ${PORT} Established again`, 60_000, established);
        await waitFor(`${prefix} fresh on ${LEAF}`, 30_000, async () => {
            const p = (await route()).paths ?? [];
            return p.length > 0 && p.every((x) => !x.stale);
        });
        show(
            `${LEAF} after ${NODE}'s bgpd restarted (${back} ms): show bgp ipv4 unicast ${prefix}`,
            await vtysh(LEAF, `show bgp ipv4 unicast ${prefix}`),
        );
        await waitEstablished(60_000, LOC);
    });

    it("c: graceful restart does not hold a failed link's routes: the node's link down, the leaf and the spines drop its loopback at once", async function () {
        const prefix = `${node.loopback}/32`;
        const routed = async (device: string) =>
            /Routing entry for /.test(
                (await labExec(device, ["vtysh", "-c", `show ip route ${prefix}`], LOC)).stdout,
            );
        assert.ok((await routed(LEAF)) && (await routed("spine1")), `${prefix} is routed`);
        const ip = async (state: "up" | "down") => {
            const r = await labExec(NODE, ["ip", "link", "set", "eth1", state], LOC);
            assert.strictEqual(r.code, 0, r.stderr);
        };
        await ip("down");
        try {
            const gone = await waitFor(
                `${prefix} gone from ${LEAF} and spine1`,
                10_000,
                async () => !(await routed(LEAF)) && !(await routed("spine1")),
            );
            console.log(
                `      ${NODE} eth1 down: ${prefix} gone from ${LEAF} and spine1 after ${gone} ms`,
            );
            show(`${LEAF}: show bgp summary`, await summaryLines(LEAF, [PORT]));
            assert.ok(gone < 5_000, `took ${gone} ms`);
        } finally {
            await ip("up");
        }
        await waitFor(`${LEAF} ${PORT} Established again`, 60_000, established);
        await waitEstablished(60_000, LOC);
    });
});
