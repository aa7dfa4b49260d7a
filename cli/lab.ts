// npm run lab -- <command>
//
//   up [--stack NAME | --config FILE] [--apply] [--replace] [--no-wait] [--keep]
//   down
//   status [--json]
//   exec DEVICE -- CMD…          (DEVICE may be `mgmt`, the management namespace)
//   ssh DEVICE -- CMD…           (over SSH from the management namespace)
//   ssh-config [--format json|ssh]
//
// Every command takes --dir DIR and --prefix PREFIX (default
// $BGP_FABRIC_LAB_DIR or /run/bgp-fabric-lab, $BGP_FABRIC_LAB_PREFIX or bgpf-).

import { Args, fail, flag, parseArgs } from "./args";
import { formatStatus, labDown, labExec, labSsh, labSshConfig, labStatus, labUp, missingSessions, sshConfigText, waitEstablished } from "../lab";

const USAGE = `usage: npm run lab -- <command>
  up [--stack NAME | --config FILE] [--apply] [--replace] [--no-wait] [--timeout SEC] [--keep]
        bring the lab up from the stack's plan (default stack dev) and wait for every session
        --apply    start FRR empty and push each config over SSH with the device-apply script
        --replace  tear down a lab that is already up first (otherwise up refuses)
        --keep     leave a half-built lab in place if up fails (debugging)
  down                      end every lab process and remove every lab namespace
  status [--json]           sessions Established / expected per device
  exec DEVICE -- CMD...     run CMD inside DEVICE's namespaces (DEVICE 'mgmt': the management namespace)
  ssh DEVICE -- CMD...      run CMD on DEVICE over SSH from the management namespace
  ssh-config [--format json|ssh]   what an SSH (Pulumi) connection to each device needs
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
                log(`${sig}: ${args.flags.keep === true ? "leaving the half-built lab (--keep)" : "tearing the lab down"}`);
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
                replace: args.flags.replace === true,
                keepOnFailure: args.flags.keep === true,
                log,
            });
            process.removeListener("SIGINT", interrupted).removeListener("SIGTERM", interrupted);
            console.log(`lab '${r.plan.name}' up: ${Object.keys(r.state.devices).length} devices, ${r.state.namespaces.length} namespaces, ${r.state.processes.length} processes`);
            console.log(`management namespace: ${r.state.mgmt.ns} (${r.state.mgmt.bridge} ${r.state.mgmt.address}/${r.state.mgmt.prefixLength}); configs: ${r.state.configSource}${r.state.mode === "apply" ? ", pushed over SSH" : ""}`);
            let code = 0;
            if (args.flags["no-wait"] !== true) {
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
                if (code) console.log("the lab stays up: look at it with 'status' / 'exec', remove it with 'down'");
            }
            console.log(`timings (ms): ${Object.entries(r.timings).map(([k, v]) => `${k}=${v}`).join(" ")}`);
            return code;
        }
        case "down": {
            const r = await labDown({ ...loc, log });
            console.log(`lab down: ended ${r.killed} processes${r.forced ? ` (${r.forced} with SIGKILL)` : ""}, removed ${r.namespaces.length} namespaces${r.removedDir ? " and the lab directory" : ""}`);
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
            if (!device || args.rest.length === 0) throw new Error(`usage: npm run lab -- ${cmd} DEVICE -- CMD...`);
            const r = cmd === "exec" ? await labExec(device, args.rest, loc) : await labSsh(device, args.rest.join(" "), loc);
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
