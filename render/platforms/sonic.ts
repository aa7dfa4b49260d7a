// SONiC: FRR runs in the `bgp` container, whose /etc/frr is the host's
// /etc/sonic/frr. Requires docker_routing_config_mode split-unified (or
// unified) in CONFIG_DB DEVICE_METADATA, so frr.conf is FRR's one config file,
// and the device's bgp_asn there equal to the plan's (bgpcfgd would fight
// otherwise); both are checked before anything changes
// (render/scripts/sonic.sh). The staging files live under /etc/sonic/frr so
// the container sees them; vtysh and frr-reload.py run via `docker exec bgp`.
// Untested against a real SONiC image.

import {
    Driver,
    FRR_CONF_FILE,
    FRR_RELOAD,
    SWP_PORTS,
    frrHeredocText,
    reloadTestCommand,
} from "./driver";

/** The container FRR runs in. */
export const SONIC_BGP_CONTAINER = "bgp";
/** The host's directory of FRR's configuration… */
export const SONIC_HOST_FRR_DIR = "/etc/sonic/frr";
/** …which the container sees as this. */
export const SONIC_DAEMON_FRR_DIR = "/etc/frr";

// `-i` where the script pipes into vtysh; the drift check reads its stdin first and passes none on.
const inBgp = (interactive: boolean) =>
    `docker exec ${interactive ? "-i " : ""}${SONIC_BGP_CONTAINER}`;

export const sonic: Driver = {
    platform: "sonic",
    description:
        "SONiC: FRR in the bgp container (/etc/sonic/frr on the host), split-unified config mode",
    ports: SWP_PORTS,
    files: [FRR_CONF_FILE],
    paths: {
        frrConf: `${SONIC_HOST_FRR_DIR}/frr.conf`,
        vtysh: `${inBgp(true)} vtysh`,
        reload: `${inBgp(true)} ${FRR_RELOAD}`,
        stateDir: `${SONIC_HOST_FRR_DIR}/bgp-fabric`,
        hostFrrDir: SONIC_HOST_FRR_DIR,
        daemonFrrDir: SONIC_DAEMON_FRR_DIR,
    },
    fragments: "sonic.sh",
    // bgpcfgd undoes a config whose ASN is not CONFIG_DB's: the fragment compares them.
    scriptVariables: (frr) => [`ASN=${/^router bgp (\d+)$/m.exec(frr)?.[1] ?? ""}`],
    driftCommand: () =>
        reloadTestCommand(
            SONIC_HOST_FRR_DIR,
            `${inBgp(false)} ${FRR_RELOAD} --test "${SONIC_DAEMON_FRR_DIR}/\${t##*/}"`,
        ),
    frrText: frrHeredocText,
};
