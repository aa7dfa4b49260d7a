// Cumulus Linux: FRR on the host as on plain FRR, plus the ifupdown2
// interfaces file, which travels with frr.conf, is validated (`ifup
// --syntax-check`, and the interface of this SSH session must stay
// configured), installed with `ifreload -a` before FRR reloads, and put back
// on rollback and destroy (render/scripts/cumulus.sh).

import { IFACES_EOF } from "../heredoc";
import { Driver, FRR_CONF_FILE, SWP_PORTS, frrHeredocText } from "./driver";
import { HOST_DRIFT_COMMAND, HOST_FRR_PATHS } from "./frr";

export const cumulus: Driver = {
    platform: "cumulus",
    description:
        "Cumulus Linux: frr.conf and /etc/network/interfaces (ifupdown2, ifreload -a), frr-reload.py",
    ports: SWP_PORTS,
    files: [FRR_CONF_FILE, { source: "interfaces", stage: "interfaces", eof: IFACES_EOF }],
    paths: HOST_FRR_PATHS,
    fragments: "cumulus.sh",
    driftCommand: () => HOST_DRIFT_COMMAND,
    frrText: frrHeredocText,
};
