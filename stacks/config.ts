// Reads the `fabric:*` stack config through the Pulumi engine and checks it
// against the settings table (plan/settings-table.ts) with the planner's own
// validate stage: a bad value stops the program with the planner's message,
// naming the field (`fabric:leafs[2].asn: …`). Secret values (the table's
// `secret` keys: SSH key, BGP passwords, kubeconfig) are kept apart as Outputs
// so the plan, which is plain data, never holds them.

import * as pulumi from "@pulumi/pulumi";
import { FabricConfig, checkFabricConfig, secretKeys } from "../plan";

export interface StackSecrets {
    sshPrivateKey?: pulumi.Output<string>;
    kubeconfig?: pulumi.Output<string>;
    /** Switch name → BGP password. */
    bgpPasswords: Record<string, pulumi.Output<string>>;
}

/** Where each secret of a fabric-wide block goes. */
const BLOCK_SECRETS: Record<string, "sshPrivateKey" | "kubeconfig"> = {
    "ssh.privateKey": "sshPrivateKey",
    "kubernetes.kubeconfig": "kubeconfig",
};

export function readFabricConfig(): { config: FabricConfig; secrets: StackSecrets } {
    const cfg = new pulumi.Config("fabric");
    // Every fabric:* key, structured values parsed: the validate stage judges them all,
    // unknown ones included (a typo must never deploy a default).
    const raw: Record<string, unknown> = {};
    for (const [full, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (!full.startsWith("fabric:")) continue;
        try {
            raw[full.slice("fabric:".length)] = JSON.parse(text);
        } catch {
            raw[full.slice("fabric:".length)] = text;
        }
    }
    raw.name = cfg.get("name") ?? pulumi.getStack();
    // Throws FabricConfigError listing every problem (stacks/program.ts reports it).
    const config: FabricConfig = checkFabricConfig(raw);

    // Secrets: pull them out of the plain config and re-read them as secret Outputs.
    const secrets: StackSecrets = { bgpPasswords: {} };
    for (const key of secretKeys()) {
        const item = /^(\w+)\[\]\.(\w+)$/.exec(key);
        if (item) listSecret(cfg, config, item[1], item[2], secrets);
        else blockSecret(cfg, config, key, secrets);
    }
    return { config, secrets };
}

/** `ssh.privateKey`, `kubernetes.kubeconfig`: one secret of a block. */
function blockSecret(
    cfg: pulumi.Config,
    config: FabricConfig,
    key: string,
    secrets: StackSecrets,
): void {
    const [block, field] = key.split(".");
    const target = BLOCK_SECRETS[key];
    if (!target) throw new Error(`stacks/config.ts has no place for the secret fabric:${key}`);
    const c = config as unknown as Record<string, Record<string, unknown> | undefined>;
    if (c[block]?.[field] === undefined) return;
    const value = cfg.getSecretObject<Record<string, string>>(block)!;
    secrets[target] = value.apply((v) => v[field]);
    c[block] = { ...c[block], [field]: undefined };
}

/**
 * `<list>[].bgpPassword`: a switch's password protects its sessions with our
 * other switches; an external router's (`externalRouters[].bgpPassword`) its
 * sessions with our spines (render/frr-switch.ts).
 */
function listSecret(
    cfg: pulumi.Config,
    config: FabricConfig,
    key: string,
    field: string,
    secrets: StackSecrets,
): void {
    if (field !== "bgpPassword")
        throw new Error(`stacks/config.ts has no place for the secret fabric:${key}[].${field}`);
    const list = (
        config as unknown as Record<string, { name: string; bgpPassword?: unknown }[] | undefined>
    )[key];
    if (!Array.isArray(list) || !list.some((s) => s?.bgpPassword !== undefined)) return;
    const secretList = cfg.getSecretObject<{ name: string; bgpPassword?: string }[]>(key)!;
    list.forEach((s, i) => {
        if (s?.bgpPassword === undefined) return;
        secrets.bgpPasswords[s.name] = secretList.apply((l) => l[i].bgpPassword!);
        list[i] = { ...s, bgpPassword: undefined };
    });
}
