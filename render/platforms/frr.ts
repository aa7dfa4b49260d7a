// Plain FRR on a Linux host (the lab's devices, a whitebox switch running
// FRR's packages): frr.conf in /etc/frr, reloaded with frr-reload.py. The
// common safe-apply script as it is: no fragments of its own.

import {
    Driver,
    FRR_CONF_FILE,
    FRR_RELOAD,
    SWP_PORTS,
    frrHeredocText,
    reloadTestCommand,
} from "./driver";

/** FRR on the host: the paths its Debian packages use. */
export const HOST_FRR_PATHS = {
    frrConf: "/etc/frr/frr.conf",
    vtysh: "vtysh",
    reload: FRR_RELOAD,
    stateDir: "/var/lib/bgp-fabric",
    hostFrrDir: "",
    daemonFrrDir: "",
};

/**
 * The drift check where FRR runs on the host: the temp file in $TMPDIR, frr-reload.py reads it
 * there.
 */
export const HOST_DRIFT_COMMAND = reloadTestCommand("${TMPDIR:-/tmp}", `${FRR_RELOAD} --test "$t"`);

export const frr: Driver = {
    platform: "frr",
    description: "FRR on a Linux host: /etc/frr/frr.conf, frr-reload.py",
    ports: SWP_PORTS,
    files: [FRR_CONF_FILE],
    paths: HOST_FRR_PATHS,
    driftCommand: () => HOST_DRIFT_COMMAND,
    frrText: frrHeredocText,
};
