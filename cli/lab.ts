// npm run lab -- <command>
//
//   up [--stack NAME | --config FILE] [--apply | --empty] [--replace] [--no-wait] [--keep]
//   stack-config [--json] [--config FILE]   what `npm run engine` needs to drive this lab
//   daemonset [--from DIR]       play the router DaemonSet from what `pulumi up` rendered
//   deploy [--config FILE]       `pulumi up` of the lab's stack from the management namespace,
//                                then the DaemonSet, the outputs and the session table
//   toolchain                    is the engine path's toolchain here? (exit 0) or what is missing (exit 1)
//   down
//   status [--json]
//   exec DEVICE -- CMD…          (DEVICE may be `mgmt`, the management namespace)
//   ssh DEVICE -- CMD…           (over SSH from the management namespace)
//   ssh-config [--format json|ssh]
//
// Every command takes --dir DIR and --prefix PREFIX (default
// $BGP_FABRIC_LAB_DIR or /run/bgp-fabric-lab, $BGP_FABRIC_LAB_PREFIX or bgpf-).

import * as path from "path";
import { Args, fail, flag, parseArgs } from "./args";
import { labEngine, toolchainMissing } from "../lab/engine";
import { labLocation } from "../lab/env";
import {
    formatStatus,
    labDaemonSet,
    labDaemonSetDuring,
    labDown,
    labExec,
    labSsh,
    labSshConfig,
    labStackConfig,
    labStatus,
    labUp,
    missingSessions,
    sshConfigText,
    waitEstablished,
} from "../lab";

const USAGE = `usage: npm run lab -- <command>
  up [--stack NAME | --config FILE] [--apply | --empty] [--replace] [--no-wait] [--timeout SEC] [--keep]
        bring the lab up from the stack's plan (default stack dev) and wait for every session
        --apply    start FRR empty and push each config over SSH with the device-apply script
        --empty    start every switch and node router with an empty FRR config, push nothing:
                   ready for 'pulumi up' (see stack-config, daemonset; docs/lab.md)
        --replace  tear down a lab that is already up first (otherwise up refuses)
        --keep     leave a half-built lab in place if up fails (debugging)
  down                      end every lab process and remove every lab namespace
  status [--json]           sessions Established / expected per device
  exec DEVICE -- CMD...     run CMD inside DEVICE's namespaces (DEVICE 'mgmt': the management namespace)
  ssh DEVICE -- CMD...      run CMD on DEVICE over SSH from the management namespace
  ssh-config [--format json|ssh]   what an SSH (Pulumi) connection to each device needs
  stack-config [--json] [--config FILE]
                            the flags 'npm run engine' needs to drive this lab: the SSH key as a
                            secret, every device's host key pinned, the render directory
  daemonset [--from DIR]    play the router DaemonSet: each node's router gets its key of the
                            router ConfigMap that 'pulumi up' rendered (default: the lab's render dir)
  deploy [--config FILE] [--timeout SEC]
                            'pulumi up' of the lab's stack (npm run engine) from the management
                            namespace with stack-config's flags, then daemonset, then the sessions
  toolchain                 exit 0 if the engine path can run here, else say what is missing
common: --dir DIR (lab directory), --prefix PREFIX (namespace prefix)`;

async function main(args: Args): Promise<number> {
    const [cmd, device] = args.positional;
    const loc = { dir: flag(args, "dir"), prefix: flag(args, "prefix") };
    const log = (s: string) => console.error(`lab: ${s}`);
    switch (cmd) {
        case "up": {
            const timeout = Number(flag(args, "timeout") ?? 60) * 1000;
            // Interrupted half-way: leave nothing behind (unless --keep).
            const interrupted = (sig: NodeJS.Signals) => {
                log(
                    `${sig}: ${args.flags.keep === true ? "leaving the half-built lab (--keep)" : "tearing the lab down"}`,
                );
                const done = () => process.exit(130);
                if (args.flags.keep === true) done();
                else labDown({ ...loc, log }).then(done, done);
            };
            process.once("SIGINT", interrupted).once("SIGTERM", interrupted);
            const r = await labUp({
                ...loc,
                stack: flag(args, "stack"),
                config: flag(args, "config"),
                apply: args.flags.apply === true,
                empty: args.flags.empty === true,
                replace: args.flags.replace === true,
                keepOnFailure: args.flags.keep === true,
                log,
            });
            process.removeListener("SIGINT", interrupted).removeListener("SIGTERM", interrupted);
            console.log(
                `lab '${r.plan.name}' up: ${Object.keys(r.state.devices).length} devices, ${r.state.namespaces.length} namespaces, ${r.state.processes.length} processes`,
            );
            console.log(
                `management namespace: ${r.state.mgmt.ns} (${r.state.mgmt.bridge} ${r.state.mgmt.address}/${r.state.mgmt.prefixLength}); configs: ${r.state.configSource}${r.state.mode === "apply" ? ", pushed over SSH" : ""}`,
            );
            let code = 0;
            if (r.state.mode === "empty") {
                console.log(
                    "every switch and node router runs an empty FRR config; drive it with 'pulumi up' (npm run lab -- stack-config)",
                );
            } else if (args.flags["no-wait"] !== true) {
                const t0 = Date.now();
                try {
                    await waitEstablished(timeout, { ...loc, speakers: false });
                    r.timings.established = r.timings.total + (Date.now() - t0);
                } catch (e) {
                    console.error(`lab: ${(e as Error).message}`);
                    code = 1;
                }
                const status = await labStatus(loc);
                console.log(formatStatus(status));
                if (code)
                    console.log(
                        "the lab stays up: look at it with 'status' / 'exec', remove it with 'down'",
                    );
            }
            console.log(
                `timings (ms): ${Object.entries(r.timings)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}`,
            );
            return code;
        }
        case "down": {
            const r = await labDown({ ...loc, log });
            console.log(
                `lab down: ended ${r.killed} processes${r.forced ? ` (${r.forced} with SIGKILL)` : ""}, removed ${r.namespaces.length} namespaces${r.removedDir ? " and the lab directory" : ""}`,
            );
            return 0;
        }
        case "status": {
            const s = await labStatus(loc);
            if (args.flags.json === true) console.log(JSON.stringify(s, null, 1));
            else {
                console.log(formatStatus(s));
                const missing = missingSessions(s);
                if (missing.length) console.log(`not Established: ${missing.length}`);
            }
            return 0;
        }
        case "exec":
        case "ssh": {
            if (!device || args.rest.length === 0)
                throw new Error(`usage: npm run lab -- ${cmd} DEVICE -- CMD...`);
            const r =
                cmd === "exec"
                    ? await labExec(device, args.rest, loc)
                    : await labSsh(device, args.rest.join(" "), loc);
            process.stdout.write(r.stdout);
            process.stderr.write(r.stderr);
            return r.code;
        }
        case "ssh-config": {
            const info = labSshConfig(loc);
            const format = flag(args, "format") ?? "json";
            if (format === "ssh") process.stdout.write(sshConfigText(info));
            else if (format === "json") console.log(JSON.stringify(info, null, 1));
            else throw new Error("--format is json or ssh");
            return 0;
        }
        case "stack-config": {
            const c = labStackConfig({ ...loc, configFile: flag(args, "config") });
            if (args.flags.json === true) {
                console.log(JSON.stringify(c, null, 1));
                return 0;
            }
            const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
            const flags = [
                ...Object.entries(c.secretFiles).map(([k, f]) => `--secret ${q(`${k}=@${f}`)}`),
                ...Object.entries(c.set).map(([k, v]) => `--set ${q(`${k}=${JSON.stringify(v)}`)}`),
            ];
            console.log(
                `# run the engine inside the lab's management namespace: ip netns exec ${c.netns} npm run engine -- up --config FILE \\`,
            );
            console.log(flags.join(" \\\n"));
            return 0;
        }
        case "daemonset": {
            const r = await labDaemonSet({ ...loc, renderDir: flag(args, "from"), log });
            console.log(
                `router DaemonSet: ${r.configMaps.join(", ")}; ${r.changed.length} key(s) changed; pods started on ${r.started.length ? r.started.join(", ") : "no new node"}`,
            );
            return 0;
        }
        case "toolchain": {
            const missing = toolchainMissing();
            console.log(
                missing
                    ? `missing: ${missing}`
                    : "the Pulumi CLI and the command and kubernetes plugins are installed",
            );
            return missing ? 1 : 0;
        }
        case "deploy": {
            const c = labStackConfig({ ...loc, configFile: flag(args, "config") });
            const { st } = (await import("../lab")).labInfo(loc);
            const l = labLocation(loc);
            const t0 = Date.now();
            const up = labEngine(l, "up", {
                configFile: path.resolve(flag(args, "config") ?? st.configFile!),
                workDir: path.join(l.dir, "engine"),
                set: c.set,
                secretFiles: c.secretFiles,
            });
            // The DaemonSet's pods start when `up` creates it, while the switches still apply.
            const { result: r, daemonSet } = await labDaemonSetDuring(up, (x) => x.code === 0, {
                ...loc,
                log,
            });
            const upMs = Date.now() - t0;
            if (r.code !== 0 || !daemonSet) {
                console.error(
                    `lab: pulumi up failed (exit ${r.code}); the lab stays up ('status', 'down')`,
                );
                return 1;
            }
            const ds = daemonSet;
            log(
                `router DaemonSet: ${ds.configMaps.join(", ")}; pods started on ${ds.started.length ? ds.started.join(", ") : "no new node"}`,
            );
            let code = 0;
            try {
                await waitEstablished(Number(flag(args, "timeout") ?? 60) * 1000, {
                    ...loc,
                    speakers: false,
                });
            } catch (e) {
                console.error(`lab: ${(e as Error).message}`);
                code = 1;
            }
            console.log(formatStatus(await labStatus(loc)));
            console.log(`timings (ms): pulumi up=${upMs} established=${Date.now() - t0}`);
            return code;
        }
        case undefined:
        case "help":
            console.log(USAGE);
            return cmd ? 0 : 2;
        default:
            throw new Error(`unknown command '${cmd}'\n${USAGE}`);
    }
}

// parseArgs treats `--flag value`; `exec DEVICE -- CMD` keeps CMD in args.rest.
main(parseArgs(process.argv.slice(2))).then((code) => process.exit(code), fail);
