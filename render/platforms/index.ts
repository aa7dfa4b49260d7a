// The platform drivers, one per Platform (plan/config.ts PLATFORMS). A Record
// over the Platform union: a platform added to PLATFORMS without a driver here
// is a compile error. How a driver is built and what each field does:
// docs/platforms.md.

import { PLATFORMS, Platform } from "../../plan";
import { cumulus } from "./cumulus";
import { Driver } from "./driver";
import { frr } from "./frr";
import { sonic } from "./sonic";

export { ConfigFile, Driver, FRR_RELOAD, PortNaming, ScriptPaths } from "./driver";

export const DRIVERS: Readonly<Record<Platform, Driver>> = { frr, cumulus, sonic };

/**
 * The driver of a platform; an error naming the known ones for anything else (e.g. a plan read from
 * JSON).
 */
export function driverFor(platform: Platform): Driver {
    switch (platform) {
        case "frr":
        case "cumulus":
        case "sonic":
            return DRIVERS[platform];
        default:
            return unknownPlatform(platform);
    }
}

// `never`: every Platform is handled above, so adding one to PLATFORMS fails to compile here
// (and in DRIVERS) until it has a driver.
function unknownPlatform(platform: never): never {
    throw new Error(
        `no driver for platform ${JSON.stringify(platform)} (known: ${PLATFORMS.join(", ")})`,
    );
}
