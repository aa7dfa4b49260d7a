// Schema validation of rendered Kubernetes objects against the PINNED
// UPSTREAM schemas that scripts/fetch-schemas.sh caches outside the repo:
// the CRDs of Calico (projectcalico.org/v3), tigera-operator (Installation)
// and MetalLB, and Kubernetes' own OpenAPI v3 documents for core/v1 and apps/v1.
//
// A CRD's openAPIV3Schema becomes a JSON schema the way the API server reads
// it: structural schemas prune unknown fields, so here an unknown field is an
// error (additionalProperties: false wherever properties are listed and
// x-kubernetes-preserve-unknown-fields is not set); int-or-string and
// nullable as the API server means them; metadata is Kubernetes' ObjectMeta;
// apiVersion and kind must be exactly the CRD's. The built-in kinds get the
// same strictness (kubectl's --validate=strict). Not checked: CEL rules
// (x-kubernetes-validations) and the API server's extra name/label rules
// (the tests check names and labels separately).

import { execFileSync } from "child_process";
import * as fs from "fs";
import { isIP, isIPv4, isIPv6 } from "net";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";
import YAML from "yaml";

type Json = any;

const REPO = path.resolve(__dirname, "..", "..");
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const CORE_ID = "k8s-core-v1";

/** Run scripts/fetch-schemas.sh (idempotent, cached) and return the schema directory. */
export function fetchSchemas(): string {
    const out = execFileSync("bash", [path.join(REPO, "scripts", "fetch-schemas.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 10 * 60 * 1000,
    });
    const dir = out.trim().split("\n").pop() ?? "";
    if (!dir || !fs.existsSync(path.join(dir, "STAMP")))
        throw new Error(`fetch-schemas.sh printed no schema directory (${JSON.stringify(out)})`);
    return dir;
}

/** The API server's reading of a (structural) schema node, recursively. */
export function strictify(node: Json): Json {
    if (!node || typeof node !== "object" || Array.isArray(node)) return node;
    const out: Json = { ...node };
    if (out.properties)
        out.properties = Object.fromEntries(
            Object.entries(out.properties).map(([k, v]) => [k, strictify(v)]),
        );
    if (out.items)
        out.items = Array.isArray(out.items) ? out.items.map(strictify) : strictify(out.items);
    if (out.additionalProperties && typeof out.additionalProperties === "object")
        out.additionalProperties = strictify(out.additionalProperties);
    for (const k of ["allOf", "anyOf", "oneOf"])
        if (Array.isArray(out[k])) out[k] = out[k].map(strictify);
    if (out.not) out.not = strictify(out.not);
    if (out["x-kubernetes-int-or-string"] === true && !out.anyOf && !out.oneOf) {
        delete out.type;
        out.anyOf = [{ type: "integer" }, { type: "string" }];
    }
    if (out.nullable === true) {
        if (typeof out.type === "string") out.type = [out.type, "null"];
        delete out.nullable;
    }
    if (
        out.properties &&
        out.additionalProperties === undefined &&
        out["x-kubernetes-preserve-unknown-fields"] !== true
    ) {
        out.additionalProperties = false;
    }
    return out;
}

function formatsIn(node: Json, into: Set<string>): Set<string> {
    if (node && typeof node === "object") {
        if (
            typeof node.format === "string" &&
            (node.type === "string" ||
                node.type === "integer" ||
                node.type === "number" ||
                node.type === undefined)
        )
            into.add(node.format);
        for (const v of Object.values(node)) formatsIn(v, into);
    }
    return into;
}

function isCidr(text: string): boolean {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
    if (!m) return false;
    const family = isIP(m[1]);
    return (family === 4 && +m[2] <= 32) || (family === 6 && +m[2] <= 128);
}

/**
 * Patterns in CRDs are Go RE2 syntax; JavaScript lacks its inline flags.
 * `(?i)` (case-insensitive, as in Calico's logSeverityScreen) becomes the `i` flag.
 */
function re2(source: string, flags: string): RegExp {
    if (source.includes("(?i)"))
        return new RegExp(source.split("(?i)").join(""), flags.includes("i") ? flags : flags + "i");
    return new RegExp(source, flags);
}
re2.code = "re2";

export interface SchemaSet {
    /** `apiVersion|kind` of every kind there is a schema for. */
    kinds(): string[];
    /** Problems of one object: empty when it validates. */
    validate(obj: Json): string[];
    /** Where the schemas came from (the STAMP of fetch-schemas.sh). */
    stamp: string;
}

export function loadSchemas(dir: string): SchemaSet {
    const ajv = new Ajv({
        strict: false,
        allErrors: true,
        validateSchema: false,
        addUsedSchema: false,
        code: { regExp: re2 },
    });
    const sources = new Map<string, () => Json>(); // key → schema (built lazily)
    const compiled = new Map<string, ValidateFunction>();
    const formats = new Set<string>();

    // Kubernetes' own kinds, from the OpenAPI v3 documents of the pinned release.
    const coreDocs: [string, string][] = [
        [CORE_ID, "kubernetes/api__v1_openapi.json"],
        ["k8s-apps-v1", "kubernetes/apis__apps__v1_openapi.json"],
    ];
    for (const [id, file] of coreDocs) {
        const doc = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
        const schemas: Record<string, Json> = {};
        for (const [name, s] of Object.entries<Json>(doc.components.schemas))
            schemas[name] = strictify(s);
        formatsIn(schemas, formats);
        ajv.addSchema({ $id: id, components: { schemas } });
        for (const [name, s] of Object.entries<Json>(doc.components.schemas)) {
            for (const gvk of s["x-kubernetes-group-version-kind"] ?? []) {
                const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
                const key = `${apiVersion}|${gvk.kind}`;
                if (sources.has(key)) continue;
                sources.set(key, () => ({
                    allOf: [{ $ref: `${id}#/components/schemas/${name}` }],
                    properties: {
                        apiVersion: { const: apiVersion },
                        kind: { const: gvk.kind },
                        metadata: { type: "object" },
                    },
                    required: ["apiVersion", "kind", "metadata"],
                }));
            }
        }
    }

    // CustomResourceDefinitions: Calico, tigera-operator, MetalLB.
    for (const sub of ["calico", "operator", "metallb"]) {
        for (const file of fs
            .readdirSync(path.join(dir, sub))
            .filter((f) => f.endsWith(".yaml"))
            .sort()) {
            for (const d of YAML.parseAllDocuments(
                fs.readFileSync(path.join(dir, sub, file), "utf8"),
            )) {
                const crd = d.toJS();
                if (crd?.kind !== "CustomResourceDefinition") continue;
                for (const v of crd.spec.versions) {
                    if (!v.served) continue;
                    const apiVersion = `${crd.spec.group}/${v.name}`;
                    const kind = crd.spec.names.kind;
                    sources.set(`${apiVersion}|${kind}`, () => {
                        const s = strictify(v.schema.openAPIV3Schema);
                        formatsIn(s, formats);
                        s.properties = {
                            ...s.properties,
                            apiVersion: { const: apiVersion },
                            kind: { const: kind },
                            metadata: { $ref: `${CORE_ID}#/components/schemas/${OBJECT_META}` },
                        };
                        s.required = [
                            ...new Set([...(s.required ?? []), "apiVersion", "kind", "metadata"]),
                        ];
                        return s;
                    });
                }
            }
        }
    }

    const known: Record<string, (x: string) => boolean> = {
        cidr: isCidr,
        ipv4: (x) => isIPv4(x),
        ipv6: (x) => isIPv6(x),
    };
    const added = new Set<string>();
    const addFormats = () => {
        for (const f of formats) {
            if (added.has(f)) continue;
            added.add(f);
            // Formats the API server does not enforce (int32, int64, byte, date-time, ...) are accepted as they are.
            if (known[f]) ajv.addFormat(f, { type: "string", validate: known[f] });
            else ajv.addFormat(f, true);
        }
    };
    addFormats();

    return {
        stamp: fs.readFileSync(path.join(dir, "STAMP"), "utf8").trim(),
        kinds: () => [...sources.keys()].sort(),
        validate(obj: Json): string[] {
            if (!obj || typeof obj !== "object") return ["not an object"];
            const key = `${obj.apiVersion}|${obj.kind}`;
            let fn = compiled.get(key);
            if (!fn) {
                const build = sources.get(key);
                if (!build) return [`no schema for apiVersion ${obj.apiVersion}, kind ${obj.kind}`];
                const schema = build();
                addFormats();
                fn = ajv.compile(schema);
                compiled.set(key, fn);
            }
            if (fn(obj)) return [];
            return (fn.errors ?? []).map((e) => {
                const extra =
                    e.keyword === "additionalProperties"
                        ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
                        : "";
                return `${obj.kind}/${obj.metadata?.name}: ${e.instancePath || "/"} ${e.message}${extra}`;
            });
        },
    };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function qualifiedNameProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "more than one '/'";
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
        return `prefix '${prefix}' is not a DNS subdomain`;
    if (!name || name.length > 63 || !LABEL_NAME.test(name))
        return `name '${name}' is not a valid label name`;
    return undefined;
}

/** The API server's rules on names, label keys/values and annotation keys that no schema carries. */
export function metadataProblems(obj: Json): string[] {
    const out: string[] = [];
    const m = obj?.metadata ?? {};
    const where = `${obj?.kind}/${m.name}`;
    const nameRule =
        obj?.kind === "Namespace" || obj?.kind === "Service" ? DNS_LABEL : DNS_SUBDOMAIN;
    const maxName = obj?.kind === "Namespace" || obj?.kind === "Service" ? 63 : 253;
    if (typeof m.name !== "string" || m.name.length > maxName || !nameRule.test(m.name))
        out.push(`${where}: metadata.name is not a valid name`);
    if (m.namespace !== undefined && (m.namespace.length > 63 || !DNS_LABEL.test(m.namespace)))
        out.push(`${where}: metadata.namespace is not a DNS label`);
    for (const [k, v] of Object.entries<Json>(m.labels ?? {})) {
        const p = qualifiedNameProblem(k);
        if (p) out.push(`${where}: label key ${k}: ${p}`);
        if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v))
            out.push(`${where}: label ${k} has an invalid value ${JSON.stringify(v)}`);
    }
    for (const k of Object.keys(m.annotations ?? {})) {
        const p = qualifiedNameProblem(k);
        if (p) out.push(`${where}: annotation key ${k}: ${p}`);
    }
    if (obj?.kind === "ConfigMap") {
        for (const k of Object.keys(obj.data ?? {}))
            if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253)
                out.push(`${where}: ConfigMap key '${k}' is invalid`);
        const size = Buffer.byteLength(JSON.stringify(obj.data ?? {}));
        if (size > 1024 * 1024)
            out.push(`${where}: ConfigMap data is ${size} bytes, over the 1 MiB limit`);
    }
    return out;
}

/**
 * The fabrics the Kubernetes tests render: the dev stack, every
 * examples/*.yaml, and a calico-bgp variant of the dev stack (racks of leaf
 * pairs, numbered rack subnets) so both modes are always covered.
 */
export function fabricConfigs(): {
    name: string;
    file?: string;
    config: import("../../plan").FabricConfig;
}[] {
    // Loaded lazily so this file stays usable without the planner.
    const { readStackFile } = require("../../plan") as typeof import("../../plan");
    const out: { name: string; file?: string; config: import("../../plan").FabricConfig }[] = [];
    const dev = readStackFile({ stack: "dev", root: REPO });
    out.push({ name: "Pulumi.dev.yaml", file: dev.file, config: dev.config });
    const examples = path.join(REPO, "examples");
    if (fs.existsSync(examples)) {
        for (const f of fs
            .readdirSync(examples)
            .filter((x) => /\.ya?ml$/.test(x))
            .sort()) {
            const e = readStackFile({ config: path.join(examples, f) });
            out.push({ name: `examples/${f}`, file: e.file, config: e.config });
        }
    }
    out.push({
        name: "dev as calico-bgp (built in the test)",
        config: calicoVariantOfDev(dev.config),
    });
    return out;
}

export function calicoVariantOfDev(
    dev: import("../../plan").FabricConfig,
): import("../../plan").FabricConfig {
    const c = JSON.parse(JSON.stringify(dev));
    c.name = "devcalico";
    c.kubernetes = { ...c.kubernetes, routing: "calico-bgp" };
    c.addressing = { ...c.addressing, rackSubnets: "10.0.100.0/17" };
    // Two racks, each a pair of leafs sharing one server subnet.
    c.leafs = c.leafs.map((l: Json, i: number) => ({
        ...l,
        rackSubnet: i < 2 ? "10.0.101.0/24" : "10.0.102.0/24",
        address: i < 2 ? `10.0.101.${2 + i}` : `10.0.102.${i}`,
    }));
    return c;
}
