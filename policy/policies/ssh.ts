// SSH to the devices: keys only, never a password; and the device's host key
// pinned, so the configuration goes to the device and nowhere else. Two
// policies because CrossGuard gives each policy one enforcement level: keys
// are mandatory; pinned host keys are advisory by default (the lab and a
// first bring-up have none yet) and are made mandatory per stack or
// organisation with policy config `{ "fabric-ssh-host-key-pinned": "mandatory" }`.

import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS } from "../../plan/defaults";
import { TYPES } from "../stack-view";

/** Resources that open SSH connections (@pulumi/command). */
export const SSH_TYPES: string[] = [TYPES.command, TYPES.copyToRemote];

interface Connection {
    host?: string;
    port?: number;
    user?: string;
    password?: string;
    privateKey?: string;
    agentSocketPath?: string;
    hostKey?: string;
    proxy?: Connection;
}

function connections(args: ResourceValidationArgs): { label: string; c: Connection }[] {
    if (!SSH_TYPES.includes(args.type)) return [];
    const c = args.props.connection as Connection | undefined;
    if (!c) return [];
    const out = [{ label: "", c }];
    if (c.proxy) out.push({ label: " (bastion)", c: c.proxy });
    return out;
}

function target(c: Connection): string {
    return `${c.user ?? DEFAULTS.sshUser}@${c.host ?? "?"}:${c.port ?? DEFAULTS.sshPort}`;
}

export const sshKeysOnly: ResourceValidationPolicy = {
    name: "fabric-ssh-keys-only",
    description: "Device connections authenticate with SSH keys, never with a password.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, report) => {
        for (const { label, c } of connections(args)) {
            if (typeof c.password === "string" && c.password.length) {
                report(
                    `${args.name} connects to ${target(c)}${label} with a password; bgp-fabric devices take SSH keys only (fabric:ssh.privateKey as a secret, or an SSH agent)`,
                );
            }
        }
    },
};

export interface HostKeyConfig {
    /** Hosts allowed without a pinned host key (a lab's management addresses, say). */
    exemptHosts?: string[];
}

export const sshHostKeyPinned: ResourceValidationPolicy = {
    name: "fabric-ssh-host-key-pinned",
    description: "Device connections pin the device's SSH host key (mgmt.hostKey).",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: {
        properties: {
            exemptHosts: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Hosts that may be reached without a pinned host key.",
            },
        },
    },
    validateResource: (args, report) => {
        const exempt = new Set(args.getConfig<HostKeyConfig>().exemptHosts ?? []);
        for (const { label, c } of connections(args)) {
            if (c.host !== undefined && exempt.has(c.host)) continue;
            if (typeof c.hostKey !== "string" || !c.hostKey.trim()) {
                report(
                    `${args.name} connects to ${target(c)}${label} without a pinned host key (mgmt.hostKey): any machine answering on that address would be trusted with the device's configuration`,
                );
            }
        }
    },
};
