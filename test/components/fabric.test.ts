import assert from "assert";
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { Fabric, deviceConnection } from "../../components";
import { FabricConfig, planFabric } from "../../plan";
import { renderDevice } from "../../render/device";
import { devConfig } from "../support/fixtures";
import { MockRecorder, settle, valueOf } from "../support/pulumi-mocks";

const mocks = new MockRecorder();
const COMMAND = "command:remote:Command";

async function build(config: FabricConfig, preview = false): Promise<Fabric> {
    mocks.install(preview);
    const plan = planFabric(config);
    const fabric = new Fabric(plan.name, {
        plan,
        ssh: { user: "root", privateKey: "PRIVATE-KEY-PLAINTEXT" },
        kubernetes: { renderDirectory: "/tmp/x" },
    });
    await settle([fabric]);
    return fabric;
}

/** Command name → its create script. */
function scripts(): Map<string, string> {
    return new Map(mocks.ofType(COMMAND).map((r) => [r.name, r.inputs.stdin]));
}

describe("components under mocks: the dev stack", function () {
    this.timeout(30000);

    it("registers exactly one config command per managed device (a switch's also its confirm), parented to its component", async () => {
        const fabric = await build(devConfig());
        const plan = planFabric(devConfig());
        const managed = plan.devices.filter((d) => d.managed && d.role !== "external");
        assert.deepStrictEqual(
            mocks
                .ofType(COMMAND)
                .map((r) => r.name)
                .sort(),
            managed
                .flatMap((d) =>
                    d.role === "node"
                        ? [`dev-${d.name}-setup`]
                        : [`dev-${d.name}-config`, `dev-${d.name}-confirm`],
                )
                .sort(),
        );
        // A URN's type part names the parent's type: command → component → Fabric.
        assert.match(
            await valueOf(fabric.leafs.leaf2.config.urn),
            /::bgp-fabric:index:Leaf\$command:remote:Command::dev-leaf2-config$/,
        );
        assert.match(
            await valueOf(fabric.leafs.leaf2.urn),
            /::bgp-fabric:index:Fabric\$bgp-fabric:index:Leaf::dev-leaf2$/,
        );
        assert.match(
            await valueOf(fabric.spines.spine1.config.urn),
            /::bgp-fabric:index:Spine\$command:remote:Command::dev-spine1-config$/,
        );
        assert.match(
            await valueOf(fabric.nodes.k8s3.setup.urn),
            /::bgp-fabric:index:K8sNode\$command:remote:Command::dev-k8s3-setup$/,
        );
    });

    it("names each device's children <fabric>-<device>, aliased to the URNs they had before (no replacement on upgrade)", async () => {
        const fabric = await build(devConfig());
        // The SDK's alias URNs of a resource (what the engine matches an existing stack's state against).
        const aliases = (r: pulumi.Resource) =>
            Promise.all(
                ((r as unknown as { __aliases: pulumi.Output<string>[] }).__aliases ?? []).map(
                    valueOf,
                ),
            );
        const before = "urn:pulumi:dev::bgp-fabric::bgp-fabric:index:Fabric$";
        assert.deepStrictEqual(await aliases(fabric.leafs.leaf2), [
            `${before}bgp-fabric:index:Leaf::leaf2`,
        ]);
        assert.ok(
            (await aliases(fabric.leafs.leaf2.config)).includes(
                `${before}bgp-fabric:index:Leaf$command:remote:Command::leaf2-config`,
            ),
        );
        assert.ok(
            (await aliases(fabric.nodes.k8s3.setup)).includes(
                `${before}bgp-fabric:index:K8sNode$command:remote:Command::k8s3-setup`,
            ),
        );
    });

    it("registers none for a managed: false switch, yet peers with it", async () => {
        const c = devConfig();
        c.leafs[3] = { name: "leaf4", managed: false, asn: 65199 };
        const fabric = await build(c);
        assert.ok(!mocks.ofType(COMMAND).some((r) => r.name.startsWith("leaf4")));
        assert.strictEqual(fabric.leafs.leaf4, undefined);
        assert.strictEqual((await valueOf(fabric.asns)).leaf4, 65199);
        assert.match(scripts().get("dev-spine1-config")!, /neighbor swp4 /);
    });

    it("carries each device's rendered FRR config inline in its command, and the SSH connection", async () => {
        await build(devConfig());
        const leaf1 = mocks.ofType(COMMAND).find((r) => r.name === "dev-leaf1-config")!;
        // The script travels on stdin; the command lines are short and fixed (components/device-apply.ts).
        assert.match(leaf1.inputs.stdin, /^router bgp 65101$/m);
        assert.match(leaf1.inputs.stdin, /pre-bgp-fabric/, "the same script is the delete");
        assert.deepStrictEqual(
            [leaf1.inputs.create, leaf1.inputs.update, leaf1.inputs.delete],
            ["bash -s apply", "bash -s apply", "bash -s destroy"],
        );
        assert.deepStrictEqual(
            [
                leaf1.inputs.connection.host,
                leaf1.inputs.connection.port,
                leaf1.inputs.connection.user,
            ],
            ["10.10.0.21", 22, "root"],
        );
    });

    it("keeps the private key secret in every connection", async () => {
        const plan = planFabric(devConfig());
        for (const d of plan.devices.filter((x) => x.managed && x.mgmt)) {
            const conn = deviceConnection(d, { privateKey: "PRIVATE-KEY-PLAINTEXT" });
            assert.ok(await pulumi.isSecret(pulumi.output(conn.privateKey!)), d.name);
        }
        await build(devConfig());
        for (const r of mocks.ofType(COMMAND)) {
            assert.ok(r.secretInputs.includes("connection"), `${r.name}: connection is not secret`);
            assert.strictEqual(r.inputs.connection.privateKey, "PRIVATE-KEY-PLAINTEXT");
            assert.ok(
                !String(r.inputs.stdin).includes("PRIVATE-KEY-PLAINTEXT"),
                `${r.name} script holds the key`,
            );
        }
    });

    it("makes a script carrying a BGP password secret, with logging off, on that switch and its peers only", async () => {
        mocks.install();
        const plan = planFabric(devConfig());
        const fabric = new Fabric(plan.name, {
            plan,
            ssh: {},
            bgpPasswords: { leaf2: pulumi.secret("S3cret-Passw0rd") },
        });
        await settle([fabric]);
        const byName = new Map(mocks.ofType(COMMAND).map((r) => [r.name, r]));
        for (const name of ["dev-leaf2-config", "dev-spine1-config", "dev-spine2-config"]) {
            const r = byName.get(name)!;
            assert.ok(r.secretInputs.includes("stdin"), `${name}: script not secret`);
            assert.match(
                r.inputs.stdin,
                /neighbor swp5[12] password S3cret-Passw0rd|neighbor swp2 password S3cret-Passw0rd/,
            );
            assert.strictEqual(r.inputs.logging, "none", name);
            assert.ok(
                !`${r.inputs.create} ${r.inputs.update} ${r.inputs.delete}`.includes("S3cret"),
                name,
            );
        }
        for (const name of ["dev-leaf1-config", "dev-k8s3-setup"]) {
            const r = byName.get(name)!;
            assert.ok(!r.secretInputs.includes("stdin"), `${name} needlessly secret`);
            assert.ok(!String(r.inputs.stdin).includes("S3cret"), name);
            assert.strictEqual(r.inputs.logging, "stdoutAndStderr");
        }
    });

    it("exports asns, loopbacks, vips and bgpSessions exactly as the plan has them", async () => {
        const fabric = await build(devConfig());
        const plan = planFabric(devConfig());
        assert.deepStrictEqual(
            await valueOf(fabric.asns),
            Object.fromEntries(plan.devices.map((d) => [d.name, d.asn])),
        );
        assert.deepStrictEqual(
            await valueOf(fabric.loopbacks),
            Object.fromEntries(plan.devices.map((d) => [d.name, d.loopback])),
        );
        assert.deepStrictEqual(await valueOf(fabric.vips), {
            default: {
                cidr: "172.29.0.0/24",
                vips: { ingress: "172.29.0.6", dashboard: "172.29.0.7" },
            },
        });
        assert.deepStrictEqual(await valueOf(fabric.bgpSessions), plan.sessions);
    });

    it("confirms each switch's apply with `bash -s confirm` and the sha256 of the frr.conf the apply carries", async () => {
        await build(devConfig());
        const plan = planFabric(devConfig());
        const conf = (n: string) => mocks.ofType(COMMAND).find((r) => r.name === n)!.inputs;
        for (const d of plan.devices.filter((x) => x.role === "spine" || x.role === "leaf")) {
            const confirm = conf(`dev-${d.name}-confirm`);
            assert.strictEqual(confirm.create, "bash -s confirm");
            const frr = renderDevice(plan, d.name).frr!;
            const sha = createHash("sha256").update(frr).digest("hex");
            assert.match(confirm.stdin, new RegExp(`^CONFIRM_SHA=${sha}$`, "m"), d.name);
            assert.ok(conf(`dev-${d.name}-config`).stdin.includes(frr), d.name);
        }
    });

    it("previews with unknown provider outputs", async () => {
        const fabric = await build(devConfig(), true);
        assert.strictEqual(mocks.ofType(COMMAND).length, 20, "8 setups, 6 configs, 6 confirms");
        assert.strictEqual((await valueOf(fabric.asns)).leaf3, 65103);
        // The engine's own outputs are unknown in a preview; the plan's are not.
        assert.strictEqual(
            await (fabric.leafs.leaf3.config.id as unknown as { isKnown: Promise<boolean> })
                .isKnown,
            false,
        );
    });

    it("changing one leaf's pin changes that leaf's command and at most its peers'", async () => {
        await build(devConfig());
        const before = scripts();
        const c = devConfig();
        c.leafs[1].loopback = "172.16.255.202";
        c.leafs[1].asn = 65202;
        await build(c);
        const after = scripts();
        const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
        const peers = new Set(
            planFabric(c)
                .devices.find((d) => d.name === "leaf2")!
                .neighbors.map((n) => n.device),
        );
        assert.ok(changed.includes("dev-leaf2-config"), `changed: ${changed}`);
        for (const name of changed) {
            const device = name.replace(/^dev-/, "").replace(/-(config|confirm|setup)$/, "");
            assert.ok(
                device === "leaf2" || peers.has(device),
                `${name} changed but is not leaf2 or one of its peers (${changed})`,
            );
        }
        for (const untouched of [
            "dev-leaf1-config",
            "dev-leaf3-config",
            "dev-leaf4-config",
            "dev-k8s3-setup",
            "dev-k8s5-setup",
            "dev-k8s8-setup",
        ]) {
            assert.strictEqual(after.get(untouched), before.get(untouched), untouched);
        }
    });

    it("registers at most 3 resources per device", async () => {
        await build(devConfig());
        const plan = planFabric(devConfig());
        const perDevice = new Map<string, number>();
        for (const r of mocks.resources) {
            const device = plan.devices.find(
                (d) => r.name === `dev-${d.name}` || r.name.startsWith(`dev-${d.name}-`),
            );
            if (device) perDevice.set(device.name, (perDevice.get(device.name) ?? 0) + 1);
        }
        assert.strictEqual(perDevice.size, 14);
        for (const [device, n] of perDevice) assert.ok(n <= 3, `${device}: ${n} resources`);
    });
});
