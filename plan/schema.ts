// The JSON Schema (draft-07) of a Pulumi.<stack>.yaml, generated from the
// settings table: editors use it for completion and checking
// (schemas/pulumi-stack.schema.json, `npx ts-node --transpile-only
// cli/config-schema.ts` writes it). The planner's own checks say more (slots,
// cabling, overlaps); the schema refuses what one field alone shows wrong.

import { PATTERNS, SETTINGS, Setting, childrenOf, setting } from "./settings-table";

type Json = Record<string, unknown>;

/**
 * ASNs: 1–4294967294 without AS_TRANS, the documentation ranges and 65535 (plan/defaults.ts
 * reservedAsn).
 */
const ASN: Json = {
    type: "integer",
    minimum: 1,
    maximum: 4294967294,
    not: {
        anyOf: [
            { enum: [23456, 65535] },
            { minimum: 64496, maximum: 64511 },
            { minimum: 65536, maximum: 65551 },
        ],
    },
};

const SECRET: Json = {
    anyOf: [
        { type: "string" },
        {
            type: "object",
            properties: { secure: { type: "string" } },
            required: ["secure"],
            additionalProperties: false,
        },
    ],
};

/** The schema of one key of the table (and, for containers, of everything below it). */
export function schemaOf(key: string): Json {
    const s = setting(key);
    const out: Json = {
        description: s.doc,
        ...(s.default !== undefined ? { default: s.default } : {}),
    };
    const own = valueSchema(s);
    const below = s.type !== "object" && childrenOf(key).length ? objectSchema(key) : undefined;
    return below ? { ...out, anyOf: [own, below] } : { ...out, ...own };
}

function valueSchema(s: Setting): Json {
    const words = s.values?.length ? [{ enum: [...s.values] }] : [];
    const pattern = (p: string) => ({ type: "string", pattern: p });
    switch (s.type) {
        case "string":
            return s.pattern ? pattern(s.pattern) : { type: "string" };
        case "boolean":
            return { type: "boolean" };
        case "integer":
            return { type: "integer", minimum: s.range![0], maximum: s.range![1] };
        case "asn":
            return words.length ? { anyOf: [ASN, ...words] } : ASN;
        case "cidr":
            return words.length
                ? { anyOf: [pattern(PATTERNS.cidr), ...words] }
                : pattern(PATTERNS.cidr);
        case "address":
            return pattern(PATTERNS.address);
        case "name":
            return pattern(PATTERNS.deviceName);
        case "host":
            return pattern(PATTERNS.host);
        case "portRef":
            return pattern(PATTERNS.portRef);
        case "portPair":
            return { type: "array", items: pattern(PATTERNS.portRef), minItems: 2, maxItems: 2 };
        case "secret":
            return SECRET;
        case "enum":
            return { enum: [...s.values!] };
        case "object":
            return objectSchema(s.key);
        case "list":
            return { type: "array", items: schemaOf(`${s.key}[]`) };
        case "map":
            return { type: "object", additionalProperties: schemaOf(`${s.key}.*`) };
    }
}

/** An object whose keys are the rows below `key`; no other key. */
function objectSchema(key: string): Json {
    const rows = childrenOf(key);
    const name = (r: Setting) => r.key.slice(key.length + 1);
    const required = rows.filter((r) => r.required).map(name);
    return {
        type: "object",
        properties: Object.fromEntries(rows.map((r) => [name(r), schemaOf(r.key)])),
        ...(required.length ? { required } : {}),
        additionalProperties: false,
    };
}

/**
 * The schema of a whole Pulumi.<stack>.yaml: `fabric:*` keys as the table says, other namespaces
 * free.
 */
export function stackSchema(): Json {
    const top = SETTINGS.filter((s) => !s.key.includes(".") && !s.key.includes("["));
    const keys = top.map((s) => `fabric:${s.key}`);
    return {
        $schema: "http://json-schema.org/draft-07/schema#",
        title: "bgp-fabric stack config (Pulumi.<stack>.yaml)",
        description: "Generated from plan/settings-table.ts by cli/config-schema.ts; do not edit.",
        type: "object",
        properties: {
            config: {
                type: "object",
                description:
                    "Stack config; bgp-fabric reads the fabric:* keys (docs/config-reference.md).",
                properties: Object.fromEntries(
                    top.map((s) => [`fabric:${s.key}`, schemaOf(s.key)]),
                ),
                required: top.filter((s) => s.required).map((s) => `fabric:${s.key}`),
                // Keys of other namespaces (pulumi:, kubernetes:, …) are free; an unknown fabric:*
                // key is refused.
                propertyNames: { anyOf: [{ not: { pattern: "^fabric:" } }, { enum: keys }] },
            },
            encryptionsalt: { type: "string" },
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
        },
    };
}

/** The schema file's text, as committed. */
export function stackSchemaText(): string {
    return JSON.stringify(stackSchema(), null, 2) + "\n";
}
