// One settings table (plan/settings-table.ts) drives the known keys, the
// defaults, the checks, the Pulumi program's secret keys, the JSON Schema
// editors use for Pulumi.<stack>.yaml and docs/config-reference.md. Here: the
// generated files are current, every valid stack file passes the schema (ajv)
// and the planner, and configs with a wrong field are refused by both, naming it.

import assert from "assert";
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { GENERATED } from "../../cli/config-schema";
import { DEFAULTS } from "../../plan/defaults";
import { KNOWN_KEYS, TOP_LEVEL_KEYS } from "../../plan/keys";
import { loadStackConfig, planFabric } from "../../plan";
import { stackSchema } from "../../plan/schema";
import { SETTINGS, defaultOf, keysOf, secretKeys } from "../../plan/settings-table";
import { ROOT, exampleFiles } from "../support/fixtures";
import { configErrors } from "./invalid-configs";

const STACK_FILES = [
    path.join(ROOT, "Pulumi.dev.yaml"),
    ...exampleFiles(),
    ...fs
        .readdirSync(path.join(ROOT, "test/engine/stacks"))
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => path.join(ROOT, "test/engine/stacks", f)),
];

const ajv = new Ajv({ allErrors: true, strict: false });
const check = ajv.compile(
    JSON.parse(fs.readFileSync(path.join(ROOT, "schemas/pulumi-stack.schema.json"), "utf8")),
);
const read = (file: string) => YAML.parse(fs.readFileSync(file, "utf8"));
/**
 * ajv's complaints as `fabric:leafs/0/asn: message` lines (an unknown or missing key's own path
 * included).
 */
function schemaErrors(doc: unknown): string[] {
    if (check(doc)) return [];
    return (check.errors ?? []).map((e) => {
        const key = e.params as {
            additionalProperty?: string;
            propertyName?: string;
            missingProperty?: string;
        };
        const extra = key.additionalProperty ?? key.propertyName ?? key.missingProperty;
        const where = `${e.instancePath}${extra === undefined ? "" : `/${extra}`}`.replace(
            /^\/config\//,
            "",
        );
        return `${where}: ${e.message}`;
    });
}

describe("config: one settings table", () => {
    for (const [rel, generate] of Object.entries(GENERATED)) {
        it(`${rel} is what the table generates (npx ts-node --transpile-only cli/config-schema.ts)`, () => {
            assert.strictEqual(
                fs.readFileSync(path.join(ROOT, rel), "utf8"),
                generate(),
                `${rel} is stale: run npx ts-node --transpile-only cli/config-schema.ts`,
            );
        });
    }

    it("the committed schema is the generated one, as data too", () => {
        assert.deepStrictEqual(
            JSON.parse(
                fs.readFileSync(path.join(ROOT, "schemas/pulumi-stack.schema.json"), "utf8"),
            ),
            stackSchema(),
        );
    });

    it("gives the unknown-key check its keys, the planner its defaults, the program its secrets", () => {
        assert.deepStrictEqual(TOP_LEVEL_KEYS, keysOf(""));
        assert.deepStrictEqual(KNOWN_KEYS.leaf, keysOf("leafs[]"));
        assert.deepStrictEqual(
            [DEFAULTS.bgp.maximumPaths, DEFAULTS.addressing.leafLoopbackOffset, DEFAULTS.sshPort],
            [64, 100, 22],
        );
        assert.strictEqual(DEFAULTS.kubernetes.blockSize, defaultOf("kubernetes.blockSize"));
        assert.deepStrictEqual(secretKeys().sort(), [
            "externalRouters[].bgpPassword",
            "kubernetes.kubeconfig",
            "leafs[].bgpPassword",
            "spines[].bgpPassword",
            "ssh.privateKey",
        ]);
        for (const s of SETTINGS) assert.ok(s.doc.length > 0, `${s.key} has no doc`);
    });

    it("every row's default passes its own check", () => {
        // (encapsulation's default is metallb-bgp's: elsewhere the key is refused.)
        const rows = SETTINGS.filter(
            (x) =>
                x.default !== undefined &&
                !x.key.includes("[") &&
                x.key !== "kubernetes.encapsulation",
        );
        for (const s of rows) {
            const errors = configErrors(
                setPath(read(path.join(ROOT, "Pulumi.dev.yaml")), s.key, s.default),
            );
            assert.deepStrictEqual(
                errors.filter((e) => e.startsWith(`fabric:${s.key}:`)),
                [],
                s.key,
            );
        }
    });
});

/** The dev stack's fabric config with `key` (dotted, top-level blocks only) set to `value`. */
function setPath(doc: { config: Record<string, unknown> }, key: string, value: unknown) {
    const c = loadStackConfig(doc) as unknown as Record<string, any>;
    const parts = key.split(".");
    let o = c;
    for (const part of parts.slice(0, -1)) o = o[part] = o[part] ?? {};
    o[parts[parts.length - 1]] = value;
    return c as any;
}

describe("config: the JSON Schema of Pulumi.<stack>.yaml", () => {
    for (const file of STACK_FILES) {
        it(`${path.relative(ROOT, file)} passes the schema and the planner`, () => {
            const doc = read(file);
            assert.deepStrictEqual(schemaErrors(doc), []);
            assert.doesNotThrow(() => planFabric(loadStackConfig(doc)));
        });
    }

    // Each: a change to the dev stack file, the field both must name.
    const INVALID: [string, (c: Record<string, any>) => void, string][] = [
        ["reserved ASN", (c) => (c["fabric:leafs"][2].asn = 23456), "fabric:leafs[2].asn"],
        [
            "ASN in the documentation range",
            (c) => (c["fabric:asn"] = { leafBase: 64500 }),
            "fabric:asn.leafBase",
        ],
        [
            "integer out of range",
            (c) => (c["fabric:bgp"] = { maximumPaths: 0 }),
            "fabric:bgp.maximumPaths",
        ],
        ["unknown top-level key", (c) => (c["fabric:bogus"] = 1), "fabric:bogus"],
        [
            "unknown key on a leaf",
            (c) => (c["fabric:leafs"][0].asnn = 65999),
            "fabric:leafs[0].asnn",
        ],
        [
            "unknown routing mode",
            (c) => (c["fabric:kubernetes"].routing = "ospf"),
            "fabric:kubernetes.routing",
        ],
        [
            "malformed CIDR",
            (c) => (c["fabric:kubernetes"].podCidr = "10.233.64.0/33"),
            "fabric:kubernetes.podCidr",
        ],
        [
            "malformed uplink",
            (c) => (c["fabric:nodes"][0].uplinks = ["leaf1"]),
            "fabric:nodes[0].uplinks[0]",
        ],
        ["unknown numbering", (c) => (c["fabric:numbering"] = "two-based"), "fabric:numbering"],
        [
            "malformed VIP",
            (c) => (c["fabric:loadBalancerPools"][0].vips.dashboard = "172.29.0"),
            "fabric:loadBalancerPools[0].vips.dashboard",
        ],
        ["no leafs", (c) => delete c["fabric:leafs"], "fabric:leafs"],
        ["not a boolean", (c) => (c["fabric:leafs"][1].managed = "no"), "fabric:leafs[1].managed"],
        [
            "external router without ASN",
            (c) => delete c["fabric:externalRouters"][0].asn,
            "fabric:externalRouters[0].asn",
        ],
    ];
    for (const [what, mutate, field] of INVALID) {
        it(`refuses ${what}: the schema and the planner both name ${field}`, () => {
            const doc = read(path.join(ROOT, "Pulumi.dev.yaml"));
            mutate(doc.config);
            const pointer = field.replace(/\[(\d+)\]/g, "/$1").replace(/\./g, "/");
            const fromSchema = schemaErrors(doc);
            const at = (e: string) => e.startsWith(`${pointer}:`) || e.startsWith(`${pointer}/`);
            assert.ok(
                fromSchema.some(at),
                `schema: expected an error at ${pointer}, got:\n  ${fromSchema.join("\n  ") || "(none)"}`,
            );
            const fromPlanner = configErrors(loadStackConfig(doc));
            assert.ok(
                fromPlanner.some((e) => e.startsWith(`${field}: `)),
                `planner: expected ${field}, got:\n  ${fromPlanner.join("\n  ")}`,
            );
        });
    }
});
