// Route checks after the sessions (render/route-checks.ts, render/scripts/routes.py): what a
// switch asks of its BGP table, that the text is stable when another device changes, and, run
// with bash against the stand-ins, that a change whose sessions come up but whose routes do not
// is rolled back. The lab proof (a policy that drops the loopbacks stops the rollout at the
// first spine) is test/lab/route-checks.test.ts.

import assert from "assert";
import { planFabric } from "../../plan";
import { renderApplyScript } from "../../render/apply-script";
import { switchScripts } from "../../render/device";
import { APPLY_EXIT } from "../../render/exit-codes";
import { routeChecks } from "../../render/route-checks";
import { Device, removeDevice, runScript, scratchDevice } from "../support/apply-device";
import { devConfig } from "../support/fixtures";

const plan = planFabric(devConfig());
const OLD = "frr version 8.4\nhostname spine1\n! before\n";
const NEW = "frr version 8.4\nhostname spine1\n! after\n";
const LEAFS = ["swp1", "swp2"];
const LOOPBACKS = "172.16.255.0/24";

/** `show bgp vrf default summary json`: the leafs Established with their ASNs. */
const summary = JSON.stringify({
    ipv4Unicast: {
        peers: {
            swp1: { state: "Established", remoteAs: 65101 },
            swp2: { state: "Established", remoteAs: 65102 },
        },
    },
});
/** `show bgp vrf default ipv4 unicast json`: each prefix with the AS paths of its valid paths. */
const table = (routes: Record<string, string[]>) =>
    JSON.stringify({
        routes: Object.fromEntries(
            Object.entries(routes).map(([p, paths]) => [
                p,
                paths.map((path) => ({ valid: true, path })),
            ]),
        ),
    });
const HEALTHY = {
    "172.16.255.11/32": ["65101"],
    "172.16.255.12/32": ["65102"],
    "10.1.3.5/32": ["65101 4200000004", "65102 4200000004"],
};
const script = () =>
    renderApplyScript({
        device: "spine1",
        platform: "frr",
        frr: NEW,
        sessions: LEAFS.map((key, i) => ({ key, peer: `leaf${i + 1}` })),
        timeoutSeconds: 2,
        confirmWindowSeconds: 20,
        routeChecks: { from: LEAFS, loopbacks: LOOPBACKS, ranges: [LOOPBACKS, "10.1.3.0/24"] },
    });

describe("render: route checks after the sessions", () => {
    const made: Device[] = [];
    const device = (after: Record<string, string[]>) => {
        const d = scratchDevice(OLD, {
            "bgp.json": summary,
            "routes.json": table(HEALTHY),
            "routes-after-1.json": table(after),
        });
        made.push(d);
        return d;
    };
    after(() => made.forEach(removeDevice));

    it("a switch checks its fabric neighbours and the fabric's ranges; nodes check nothing", () => {
        const spine = routeChecks(plan, "spine1");
        assert.deepStrictEqual(spine.from, ["swp1", "swp2", "swp3", "swp4"]);
        assert.deepStrictEqual(
            spine.ranges,
            [
                plan.addressing.loopbacks,
                plan.addressing.nodeLoopbacks,
                ...(plan.addressing.rackSubnets ? [plan.addressing.rackSubnets] : []),
            ].filter((r, i, a) => a.indexOf(r) === i),
        );
        assert.deepStrictEqual(routeChecks(plan, "leaf1").from, ["swp51", "swp52"]);
        assert.deepStrictEqual(routeChecks(plan, "k8s1").from, []);
    });

    it("the checks name no device's prefix or ASN: another leaf's ASN change leaves spine1's script as it was", () => {
        const other = planFabric({
            ...devConfig(),
            leafs: devConfig().leafs!.map((l, i) => (i === 1 ? { ...l, asn: 65202 } : l)),
        });
        assert.strictEqual(
            switchScripts(other, "spine1")!.apply,
            switchScripts(plan, "spine1")!.apply,
        );
    });

    it("routes as before: applied", () => {
        const r = runScript(script(), device(HEALTHY));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^spine1: applied; all 2 BGP sessions Established$/m);
    });

    it("sessions up but a leaf's own loopback missing: rolled back, naming the neighbour", () => {
        const { "172.16.255.12/32": _dropped, ...rest } = HEALTHY;
        void _dropped;
        const r = runScript(script(), device(rest));
        assert.strictEqual(r.status, APPLY_EXIT.ROLLED_BACK, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /^spine1: the sessions are up, but routes are missing after 2s \(does a policy drop them\?\): no loopback originated by swp2 \(AS 65102\); 172\.16\.255\.12\/32: 0 of 1 paths$/m,
        );
    });

    it("a prefix with fewer paths than before: rolled back (a change may not take redundancy away)", () => {
        const r = runScript(script(), device({ ...HEALTHY, "10.1.3.5/32": ["65101 4200000004"] }));
        assert.strictEqual(r.status, APPLY_EXIT.ROLLED_BACK, r.stdout + r.stderr);
        assert.match(r.stderr, /routes are missing after 2s .*: 10\.1\.3\.5\/32: 1 of 2 paths$/m);
    });

    it("a prefix that was not there before is not asked for (day one, a later wave)", () => {
        const r = runScript(script(), device({ ...HEALTHY, "10.1.3.9/32": ["65101 4200000008"] }));
        assert.strictEqual(r.status, 0, r.stderr);
    });
});
