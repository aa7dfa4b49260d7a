// No secret in plain text in any command input: a private key or a BGP
// session password may travel in a command (the device needs it), but only
// as a Pulumi secret, so the engine encrypts it in state and masks it in
// previews, diffs and logs (a PR comment is a log).
//
// How it can tell. CrossGuard hands `validateResource` every input with its
// secrets already unwrapped: a validation cannot see whether a value was
// secret. Only a remediation sees the secret markers (@pulumi/policy gives
// remediateResource its inputs with secrets kept as `Secret` values), and the
// engine runs a resource's remediations before its validations, in the same
// policy-pack process. So the policy's enforcement level is `remediate`: its
// remediateResource changes nothing, it notes what it found under the
// resource's URN; its validateResource then reports those findings, which
// CrossGuard reports as mandatory (a `remediate` policy that still finds a
// violation is mandatory). If the level is set to anything else the
// remediation does not run, and the policy says so about every command that
// carries secret material rather than guess.

import { ResourceValidationArgs, ResourceValidationPolicy, Secret } from "@pulumi/policy";
import { TYPES } from "../stack-view";

const COMMAND_TYPES: string[] = [TYPES.command, TYPES.localCommand, TYPES.copyToRemote];
const SCRIPT_FIELDS = ["create", "update", "delete", "stdin"];
const CONNECTION_SECRETS = ["password", "privateKey", "privateKeyPassword"];

const PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;
const BGP_PASSWORD = /^[ \t]*neighbor (\S+) password \S/m;

/** One piece of secret material found in an input, described without the secret itself. */
export interface Finding {
    /** `create`, `connection.privateKey`, `environment.TOKEN`. */
    field: string;
    what: string;
    secret: boolean;
}

/** What a value holds, redacted. */
function material(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || !value) return undefined;
    if (/^connection\.(proxy\.)?(password|privateKeyPassword)$/.test(field)) return "a password";
    if (/^connection\.(proxy\.)?privateKey$/.test(field)) return "a private key";
    if (PRIVATE_KEY.test(value)) return `a private key (${PRIVATE_KEY.exec(value)![0]})`;
    const m = BGP_PASSWORD.exec(value);
    if (m) return `a BGP session password ('neighbor ${m[1]} password …')`;
    return undefined;
}

/**
 * Secret material in a command's raw inputs. `raw` is the inputs as
 * @pulumi/policy keeps them for a remediation: secrets as `Secret` values.
 * Read through property descriptors, which pass the SDK's proxies and
 * return the stored values, markers included; with plain inputs every value
 * simply counts as not secret.
 */
export function findSecretMaterial(type: string, raw: Record<string, unknown>): Finding[] {
    if (!COMMAND_TYPES.includes(type)) return [];
    const out: Finding[] = [];
    const stored = (o: unknown, key: string): unknown =>
        o !== null && typeof o === "object"
            ? Object.getOwnPropertyDescriptor(o, key)?.value
            : undefined;
    const open = (v: unknown): { value: unknown; secret: boolean } =>
        v instanceof Secret ? { value: v.value, secret: true } : { value: v, secret: false };
    const visit = (field: string, v: unknown, secretAbove: boolean) => {
        const { value, secret } = open(v);
        const what = material(field, value);
        if (what) out.push({ field, what, secret: secret || secretAbove });
    };
    for (const f of SCRIPT_FIELDS) visit(f, stored(raw, f), false);
    const env = open(stored(raw, "environment"));
    if (env.value && typeof env.value === "object")
        for (const k of Object.keys(env.value))
            visit(`environment.${k}`, stored(env.value, k), env.secret);
    const conn = open(stored(raw, "connection"));
    if (conn.value && typeof conn.value === "object") {
        for (const k of CONNECTION_SECRETS)
            visit(`connection.${k}`, stored(conn.value, k), conn.secret);
        const proxy = open(stored(conn.value, "proxy"));
        if (proxy.value && typeof proxy.value === "object") {
            for (const k of CONNECTION_SECRETS)
                visit(`connection.proxy.${k}`, stored(proxy.value, k), conn.secret || proxy.secret);
        }
    }
    return out;
}

/** Findings of the same material in several fields (create and update carry one script): `create and update` → what. */
function grouped(findings: Finding[]): [string, string][] {
    const by = new Map<string, string[]>();
    for (const f of findings) by.set(f.what, [...(by.get(f.what) ?? []), f.field]);
    return [...by].map(([what, fields]) => [
        fields.length > 1
            ? `${fields.slice(0, -1).join(", ")} and ${fields[fields.length - 1]}`
            : fields[0],
        what,
    ]);
}

function hold(fields: string): string {
    return fields.includes(" and ") ? "hold" : "holds";
}

/** Findings of this process's remediation pass, by URN, until the validation of that resource reads them. */
const seen = new Map<string, Finding[]>();

export const noPlaintextSecrets: ResourceValidationPolicy = {
    name: "fabric-no-plaintext-secrets",
    description:
        "No secret in plain text in any command input (keys, passwords, BGP session passwords are Pulumi secrets).",
    enforcementLevel: "remediate",
    severity: "critical",
    remediateResource: (args) => {
        if (!COMMAND_TYPES.includes(args.type)) return undefined;
        seen.set(args.urn, findSecretMaterial(args.type, args.props));
        return undefined;
    },
    validateResource: (args: ResourceValidationArgs, report) => {
        if (!COMMAND_TYPES.includes(args.type)) return;
        const found = seen.get(args.urn);
        seen.delete(args.urn);
        if (found) {
            for (const [fields, what] of grouped(found.filter((x) => !x.secret))) {
                report(
                    `${args.name}: ${fields} ${hold(fields)} ${what} in plain text; make it a Pulumi secret (pulumi.secret) so the engine encrypts it in state and masks it in previews and logs`,
                );
            }
            return;
        }
        // No remediation pass: the policy runs at another level and cannot see which inputs are secret.
        for (const [fields, what] of grouped(findSecretMaterial(args.type, args.props))) {
            report(
                `${args.name}: ${fields} ${hold(fields)} ${what}, and this policy cannot tell whether it is a secret: run fabric-no-plaintext-secrets at enforcement level 'remediate' (its default), the only level at which CrossGuard shows a policy which inputs are secret`,
            );
        }
    },
};
