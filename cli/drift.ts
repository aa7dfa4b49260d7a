// npm run drift -- [--stack NAME | --config FILE] [--lab] [--identity KEYFILE] [--json]
//                  [--known-hosts FILE] [--devices a,b] [--timeout SEC] [--restore] [--dir DIR --prefix PREFIX]
//
// For every device whose FRR config bgp-fabric renders (managed spines and
// leafs, router-on-host nodes): the lines where its running config differs
// from the rendered one, as FRR's own `frr-reload.py --test` on the device
// sees them. Nothing on a device changes, unless --restore: then every
// drifted device gets its safe-apply script (the one its Pulumi command runs)
// over the same SSH path, and is checked again. docs/drift.md.
//
// Exit: 0 every device in sync; 2 drift on at least one device (and every
// device reachable); 3 at least one device unreachable or its check failed;
// 1 bad arguments or config. With --restore, the verdict after the restore.

import { FabricConfig, FabricPlan, planFabric, readStackFile } from "../plan";
import {
    DeviceDrift,
    RestoreOutcome,
    checkDrift,
    driftExitCode,
    formatReport,
    jsonReport,
    labConnector,
    restoreDevices,
    sshConnector,
} from "../drift";
import { DRIFT_EXIT } from "../render/exit-codes";
import { fail, flag, parseArgs } from "./args";

const USAGE = `usage: npm run drift -- [--stack NAME | --config FILE] [--lab] [--identity KEYFILE] [--json]
  --stack NAME        the stack whose rendered configs are intended (Pulumi.NAME.yaml; default dev,
                      or with --lab and neither option: the plan the lab was brought up from)
  --config FILE       or a config file
  --lab               reach the devices through the running lab (its management namespace and keys)
  --identity KEYFILE  SSH private key; required without --lab (drift then connects over this machine's network); the user is the device's mgmt.user, else fabric:ssh.user, else root
  --known-hosts FILE  check host keys against this file (devices with a pinned mgmt.hostKey always are)
  --devices a,b       only these devices
  --timeout SEC       per device (default 60)
  --restore           re-apply every drifted device with its safe-apply script (what its Pulumi command runs), then check again
  --json              machine-readable report
  --dir DIR --prefix PREFIX   the lab's location (with --lab; default as npm run lab)
exit: ${DRIFT_EXIT.IN_SYNC} in sync · ${DRIFT_EXIT.DRIFT} drift · ${DRIFT_EXIT.UNCHECKED} a device unreachable or its check failed · ${DRIFT_EXIT.USAGE} usage or config error`;

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    if (args.flags.help === true || args.positional.length) {
        console.log(USAGE);
        return args.flags.help === true ? 0 : 1;
    }
    for (const f of [
        "stack",
        "config",
        "identity",
        "known-hosts",
        "devices",
        "timeout",
        "dir",
        "prefix",
    ]) {
        if (args.flags[f] === true) throw new Error(`--${f} needs a value\n${USAGE}`);
    }
    const known = new Set([
        "stack",
        "config",
        "lab",
        "identity",
        "known-hosts",
        "devices",
        "timeout",
        "json",
        "dir",
        "prefix",
        "restore",
        "help",
    ]);
    const unknown = Object.keys(args.flags).filter((f) => !known.has(f));
    if (unknown.length)
        throw new Error(`unknown option ${unknown.map((f) => `--${f}`).join(", ")}\n${USAGE}`);
    const lab = args.flags.lab === true;
    // Plain mode sends SSH over this machine's own network: only on purpose, never by default.
    if (!lab && !flag(args, "identity")) {
        throw new Error(
            "without --lab, drift connects over this machine's network to the stack's management addresses: name the SSH key with --identity (for the emulated fabric, use --lab)",
        );
    }
    const stack = flag(args, "stack");
    const configFile = flag(args, "config");
    if (stack && configFile) throw new Error("--stack and --config exclude each other");
    let plan: FabricPlan | undefined;
    let config: FabricConfig | undefined;
    if (stack || configFile || !lab) {
        config = readStackFile({ stack, config: configFile }).config;
        plan = planFabric(config);
    }
    const timeout = flag(args, "timeout");
    if (timeout !== undefined && !(Number(timeout) > 0))
        throw new Error("--timeout takes a number of seconds");
    const opts = {
        identity: flag(args, "identity"),
        knownHosts: flag(args, "known-hosts"),
        devices: flag(args, "devices")?.split(",").filter(Boolean),
        timeoutSeconds: timeout === undefined ? undefined : Number(timeout),
    };
    const conn = lab
        ? labConnector(plan, config, {
              ...opts,
              dir: flag(args, "dir"),
              prefix: flag(args, "prefix"),
          })
        : sshConnector(plan!, config, opts);
    try {
        const first = await checkDrift(conn, opts);
        const json = args.flags.json === true;
        const drifted = first.results.filter((r) => r.status === "drift").map((r) => r.device);
        if (args.flags.restore !== true || drifted.length === 0) {
            process.stdout.write(
                json
                    ? jsonReport(first.fabric, first.mode, first.results)
                    : formatReport(first.fabric, first.results),
            );
            if (!json && drifted.length)
                console.log(
                    `to restore: the same command with --restore (re-runs ${drifted.join(", ")}'s safe-apply script; docs/drift.md)`,
                );
            return driftExitCode(first.results);
        }
        if (!json) {
            process.stdout.write(formatReport(first.fabric, first.results));
            console.log(
                `\nrestore: re-applying ${drifted.join(", ")} with the safe-apply script their Pulumi command runs`,
            );
        }
        const restored = await restoreDevices(conn, drifted);
        const again = await checkDrift(conn, { ...opts, devices: drifted });
        const final: DeviceDrift[] = first.results.map(
            (r) => again.results.find((a) => a.device === r.device) ?? r,
        );
        if (json) {
            const report = JSON.parse(jsonReport(first.fabric, first.mode, final));
            process.stdout.write(
                JSON.stringify(
                    {
                        ...report,
                        before: JSON.parse(jsonReport(first.fabric, first.mode, first.results))
                            .devices,
                        restore: restored,
                    },
                    null,
                    1,
                ) + "\n",
            );
        } else {
            for (const o of restored) console.log(restoreLine(o));
            console.log("");
            process.stdout.write(
                formatReport(first.fabric, again.results).split("\n").slice(2).join("\n"),
            );
        }
        return driftExitCode(final);
    } finally {
        conn.close();
    }
}

function restoreLine(o: RestoreOutcome): string {
    const lines = o.output.split("\n").filter(Boolean);
    const head =
        o.code === -1 ? `${o.device}: ${lines[0]}` : `${o.device}: exit ${o.code} after ${o.ms} ms`;
    return [head, ...(o.code === -1 ? [] : lines.map((l) => `  ${l}`))].join("\n");
}

main().then((code) => process.exit(code), fail);
