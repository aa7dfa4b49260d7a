// Reads the `fabric:*` stack config through the Pulumi engine. Secret values
// (SSH key, BGP passwords, kubeconfig) are kept apart as Outputs so the plan,
// which is plain data, never holds them.

import * as pulumi from "@pulumi/pulumi";
import { FabricConfig } from "../plan";

export interface StackSecrets {
    sshPrivateKey?: pulumi.Output<string>;
    kubeconfig?: pulumi.Output<string>;
    /** Switch name → BGP password. */
    bgpPasswords: Record<string, pulumi.Output<string>>;
}

export function readFabricConfig(): { config: FabricConfig; secrets: StackSecrets } {
    const cfg = new pulumi.Config("fabric");
    // Every fabric:* key, structured values parsed: the planner judges them all,
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
    const config = raw as unknown as FabricConfig;

    // Secrets: pull them out of the plain config and re-read them as secret Outputs.
    const secrets: StackSecrets = { bgpPasswords: {} };
    const ssh = cfg.getSecretObject<{ privateKey?: string }>("ssh");
    if (config.ssh?.privateKey !== undefined) {
        secrets.sshPrivateKey = ssh!.apply((s) => s.privateKey!);
        config.ssh = { ...config.ssh, privateKey: undefined };
    }
    const kube = cfg.getSecretObject<{ kubeconfig?: string }>("kubernetes");
    if (config.kubernetes?.kubeconfig !== undefined) {
        secrets.kubeconfig = kube!.apply((k) => k.kubeconfig!);
        config.kubernetes = { ...config.kubernetes, kubeconfig: undefined };
    }
    // A switch's password protects its sessions with our other switches; an external router's
    // (`externalRouters[].bgpPassword`) its sessions with our spines (render/frr-switch.ts).
    for (const key of ["spines", "leafs", "externalRouters"] as const) {
        const list = config[key] as { name: string; bgpPassword?: unknown }[] | undefined;
        if (!Array.isArray(list) || !list.some((s) => s?.bgpPassword !== undefined)) continue;
        const secretList = cfg.getSecretObject<{ name: string; bgpPassword?: string }[]>(key)!;
        list.forEach((s, i) => {
            if (s?.bgpPassword === undefined) return;
            secrets.bgpPasswords[s.name] = secretList.apply((l) => l[i].bgpPassword!);
            list[i] = { ...s, bgpPassword: undefined };
        });
    }
    return { config, secrets };
}
