// What a switch platform is to bgp-fabric: one Driver per platform
// (render/platforms/<name>.ts), looked up in DRIVERS (index.ts). Everything that
// differs between plain FRR, Cumulus Linux and SONiC is a field here; nothing
// outside render/platforms/ and render/scripts/<name>.sh asks which platform a
// device is. How to add one: docs/platforms.md.

import { Platform } from "../../plan";
import { DEFAULTS } from "../../plan/defaults";
import { REMOTE_EXIT } from "../exit-codes";
import { FRR_EOF, heredocText } from "../heredoc";

/** Names of the ports bgp-fabric configures on a switch of the platform. */
export interface PortNaming {
    /**
     * A spine's port to the leaf of this ordinal in the default cabling (every leaf to every
     * spine).
     */
    spineToLeaf(leafOrdinal: number): string;
    /** A leaf's port to the spine of this ordinal in the default cabling. */
    leafToSpine(spineOrdinal: number): string;
}

/**
 * A file the apply script carries to the device, as a quoted heredoc into its staging directory.
 */
export interface ConfigFile {
    /** Which rendered text it is (render/device.ts RenderedDevice). */
    source: "frr" | "interfaces";
    /** Its name in the staging directory and the backup ($STAGE/<stage>). */
    stage: string;
    /** The heredoc delimiter (render/heredoc.ts). */
    eof: string;
}

/** Default paths and tools of the scripts, each overridable from the environment on the device. */
export interface ScriptPaths {
    frrConf: string;
    vtysh: string;
    /** frr-reload.py, as the host runs it. */
    reload: string;
    /** Where the candidate, the backup and the lock's state live. */
    stateDir: string;
    /**
     * FRR in a container: the host directory the daemons see as daemonFrrDir ("" when FRR runs on
     * the host).
     */
    hostFrrDir: string;
    daemonFrrDir: string;
}

export interface Driver {
    readonly platform: Platform;
    /** One line: what the platform is and how a config reaches FRR there. */
    readonly description: string;
    readonly ports: PortNaming;
    /** What the apply script carries, frr.conf first. */
    readonly files: readonly ConfigFile[];
    readonly paths: ScriptPaths;
    /**
     * The file of render/scripts/ holding the platform's bash: one section per hook it fills
     * (HOOKS, render/platforms/assemble.ts). Undefined: the common script as it is.
     */
    readonly fragments?: string;
    /** Lines of per-device variables the fragments read, after TIMEOUT and SETTLE (SONiC: ASN). */
    scriptVariables?(frr: string): string[];
    /**
     * drift: the POSIX sh command run on the device (the SSH user's login shell) that compares
     * the intended frr.conf, arriving on stdin, with the running config (frr-reload.py --test).
     */
    driftCommand(): string;
    /** The policy pack: the frr.conf a rendered apply script of this platform carries. */
    frrText(script: string): string | undefined;
}

/** frr-reload.py where FRR's packages install it (on the host, or inside SONiC's bgp container). */
export const FRR_RELOAD = "/usr/lib/frr/frr-reload.py";

/** The file every platform carries: frr.conf. */
export const FRR_CONF_FILE: ConfigFile = { source: "frr", stage: "frr.conf", eof: FRR_EOF };

/**
 * Cumulus port names (swpN), which the plan's default cabling uses on every platform today:
 * a spine's port to leaf N is swpN, a leaf's port to spine M is swp(leafUplinkBase + M).
 */
export const SWP_PORTS: PortNaming = {
    spineToLeaf: (leaf) => `swp${leaf}`,
    leafToSpine: (spine) => `swp${DEFAULTS.ports.leafUplinkBase + spine}`,
};

/** Where the frr.conf is in a script that carries it as render/apply-script.ts writes it. */
export function frrHeredocText(script: string): string | undefined {
    return heredocText(script, FRR_CONF_FILE.eof);
}

/**
 * The drift check (driftCommand): the intended text into a temp file in `tmpDir`, FRR's own
 * frr-reload.py compares it with the running config (`--test`: nothing is changed), the file is
 * removed. Exit status: frr-reload.py's (0 = compared), REMOTE_EXIT.DRIFT_TEMP_FILE when the temp
 * file cannot be written. `reloadTest` is the command that tests "$t" (the temp file on the host).
 */
export function reloadTestCommand(tmpDir: string, reloadTest: string): string {
    const noTemp = REMOTE_EXIT.DRIFT_TEMP_FILE;
    return [
        `t=$(mktemp "${tmpDir}/bgp-fabric-drift.XXXXXX") || exit ${noTemp}`,
        `trap 'rm -f "$t"' EXIT`,
        `cat > "$t" || exit ${noTemp}`,
        `${reloadTest} --log-level error`,
    ].join("; ");
}
