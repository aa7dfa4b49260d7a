// Fault e, the parts without a lab: a stack with a BGP password on a switch
// and an SSH private key. The plaintext appears nowhere in `npm run plan --
// --json`, nor in any Pulumi resource input that is not marked secret (the
// stack program under mocks, config set as `pulumi config set --secret`
// would). The lab half (the apply logs) is in apply-faults.test.ts.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { ROOT } from "../support/fixtures";
import { MockRecorder, Registered, SECRET_SIG, settle } from "../support/pulumi-mocks";

const BGP_PASSWORD = "Fault-e-s3cret-9f2c";
const SSH_KEY = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBmYXVsdC1l",
    "-----END OPENSSH PRIVATE KEY-----",
].join("\n");
const KEY_BODY =
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBmYXVsdC1l";

/** The dev stack file's `config:` with leaf1's BGP password and the SSH key in plain text (what the engine decrypts). */
function devStackWithSecrets(): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, any>;
    };
    const c = doc.config;
    c["fabric:leafs"] = c["fabric:leafs"].map((l: { name: string }) =>
        l.name === "leaf1" ? { ...l, bgpPassword: BGP_PASSWORD } : l,
    );
    c["fabric:ssh"] = { ...c["fabric:ssh"], privateKey: SSH_KEY };
    return c;
}

/** Every string reachable in a value, except inside values the engine marks secret. */
function plainStrings(v: unknown, at: string, out: { at: string; s: string }[]): void {
    if (typeof v === "string") out.push({ at, s: v });
    else if (Array.isArray(v)) v.forEach((x, i) => plainStrings(x, `${at}[${i}]`, out));
    else if (v && typeof v === "object") {
        if ((v as Record<string, unknown>)[SECRET_SIG] !== undefined) return;
        for (const [k, x] of Object.entries(v)) plainStrings(x, `${at}.${k}`, out);
    }
}

function leaks(text: string): string[] {
    return [BGP_PASSWORD, KEY_BODY].filter((s) => text.includes(s));
}

describe("fault e: secrets stay secret (plan output, Pulumi inputs)", function () {
    this.timeout(120_000);
    const mocks = new MockRecorder();
    let resources: Registered[] = [];

    before(async function () {
        // The stack program as the engine runs it, its secret config as `pulumi config set --secret` leaves it.
        mocks.install(false, "dev");
        const config = Object.fromEntries(
            Object.entries(devStackWithSecrets()).map(([k, v]) => [
                k,
                typeof v === "string" ? v : JSON.stringify(v),
            ]),
        );
        pulumi.runtime.setAllConfig(config, ["fabric:leafs", "fabric:ssh"]);
        try {
            const program = require.resolve("../../stacks/index.ts");
            delete require.cache[program];
            const exports = require(program) as Record<string, pulumi.Output<unknown>>;
            await Promise.all(
                Object.values(exports).map((o) => new Promise((resolve) => o.apply(resolve))),
            );
            await settle();
        } finally {
            pulumi.runtime.setAllConfig({});
        }
        resources = [...mocks.resources];
    });

    it("npm run plan -- --config FILE --json prints neither the BGP password nor the private key", function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgp-fabric-secrets-"));
        try {
            const file = path.join(dir, "Pulumi.secrets.yaml");
            fs.writeFileSync(file, YAML.stringify({ config: devStackWithSecrets() }), {
                mode: 0o600,
            });
            const r = spawnSync("npm", ["run", "-s", "plan", "--", "--config", file, "--json"], {
                cwd: ROOT,
                encoding: "utf8",
                timeout: 60_000,
            });
            assert.strictEqual(r.status, 0, r.stderr);
            const plan = JSON.parse(r.stdout);
            assert.strictEqual(
                plan.devices.find((d: { name: string }) => d.name === "leaf1").asn,
                65101,
                "the plan of that very stack",
            );
            assert.deepStrictEqual(leaks(r.stdout + r.stderr), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the password really travels: in leaf1's and its spines' scripts, which are secret, with logging off", function () {
        const byName = (n: string) => resources.find((r) => r.name === n)!;
        for (const name of ["dev-leaf1-config", "dev-spine1-config", "dev-spine2-config"]) {
            const r = byName(name);
            assert.ok(
                String(r.inputs.stdin).includes(`password ${BGP_PASSWORD}`),
                `${name} does not carry the password`,
            );
            assert.deepStrictEqual(
                ["stdin", "connection"].filter((k) => !r.secretInputs.includes(k)),
                [],
                `${name}: not secret`,
            );
            assert.deepStrictEqual(
                [r.inputs.create, r.inputs.update, r.inputs.delete],
                ["bash -s apply", "bash -s apply", "bash -s destroy"],
                `${name}: the command lines are short and plain`,
            );
            assert.strictEqual(
                r.inputs.logging,
                "none",
                `${name}: the provider would log the script's output`,
            );
        }
        // A switch that has no session with leaf1 keeps a plain, diffable script.
        assert.ok(!byName("dev-leaf2-config").secretInputs.includes("stdin"));
        assert.strictEqual(byName("dev-leaf2-config").inputs.logging, "stdoutAndStderr");
    });

    it("no resource input that is not marked secret holds the BGP password or the private key", function () {
        assert.ok(resources.length > 20, `only ${resources.length} resources registered`);
        const found: string[] = [];
        for (const r of resources) {
            const strings: { at: string; s: string }[] = [];
            for (const [k, v] of Object.entries(r.inputs))
                if (!r.secretInputs.includes(k)) plainStrings(v, k, strings);
            for (const { at, s } of strings)
                for (const l of leaks(s))
                    found.push(
                        `${r.type} ${r.name} ${at}: ${l === BGP_PASSWORD ? "BGP password" : "private key"}`,
                    );
        }
        assert.deepStrictEqual(found, []);
        // The same walk over every input, secret ones included, does find both: the check can see a leak.
        const all: { at: string; s: string }[] = [];
        for (const r of resources)
            for (const [k, v] of Object.entries(r.inputs)) plainStrings(v, k, all);
        assert.deepStrictEqual([...new Set(all.flatMap(({ s }) => leaks(s)))].length, 2);
        console.log(`      ${resources.length} resources, none with a plain-text secret input`);
    });
});
