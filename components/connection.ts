// SSH connections to devices: fabric-wide `fabric:ssh` settings, overridden
// per device by its `mgmt` block. The private key is always a secret.

import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";
import { PlannedDevice } from "../plan";
import { DEFAULTS } from "../plan/defaults";

export interface SshSettings {
    user?: string;
    /** Secret: the engine encrypts it in state and masks it in output. */
    privateKey?: pulumi.Input<string>;
    /** Seconds to wait for one SSH dial (default 15) and how many dials before failing (default 3). */
    perDialTimeout?: number;
    dialErrorLimit?: number;
}

/**
 * The private key as one secret per settings object: every device of a fabric shares it (one
 * Output, not one per command: BENCHMARKS.md §6).
 */
const secretKeys = new WeakMap<SshSettings, pulumi.Output<string>>();
function secretKey(ssh: SshSettings): pulumi.Output<string> | undefined {
    if (ssh.privateKey === undefined) return undefined;
    let key = secretKeys.get(ssh);
    if (!key) secretKeys.set(ssh, (key = pulumi.secret(ssh.privateKey)));
    return key;
}

/**
 * The connection of one managed device; fails loudly, as an error of the
 * device's component, when it has no management address.
 */
export function deviceConnection(
    device: PlannedDevice,
    ssh: SshSettings,
    component?: pulumi.Resource,
): types.input.remote.ConnectionArgs {
    const fail = (msg: string) =>
        component ? new pulumi.ResourceError(msg, component) : new Error(msg);
    if (!device.mgmt)
        throw fail(`${device.name}: no management address (fabric mgmt.host) to connect to`);
    const m = device.mgmt;
    const connection: types.input.remote.ConnectionArgs = {
        host: m.host,
        port: m.port,
        user: m.user ?? ssh.user ?? DEFAULTS.sshUser,
        privateKey: secretKey(ssh),
        perDialTimeout: ssh.perDialTimeout ?? 15,
        dialErrorLimit: ssh.dialErrorLimit ?? 3,
    };
    if (m.hostKey) connection.hostKey = m.hostKey;
    if (m.bastion) connection.proxy = parseBastion(device.name, m.bastion, ssh, fail);
    return connection;
}

/** `user@host:port` → a proxy connection using the same key. */
function parseBastion(
    device: string,
    bastion: string,
    ssh: SshSettings,
    fail: (msg: string) => Error,
): types.input.remote.ProxyConnectionArgs {
    const m = /^(?:([^@]+)@)?([^:@]+)(?::(\d+))?$/.exec(bastion);
    if (!m) throw fail(`${device}: bastion '${bastion}' must be user@host[:port]`);
    return {
        host: m[2],
        port: m[3] ? +m[3] : DEFAULTS.sshPort,
        user: m[1] ?? ssh.user ?? DEFAULTS.sshUser,
        privateKey: secretKey(ssh),
    };
}
