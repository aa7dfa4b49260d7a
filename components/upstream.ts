// installUpstream: the pinned tigera-operator and MetalLB installs as local
// files. Nothing is fetched at run time: a URL is refused, and the default
// (the pinned release, named in the plan by its upstream URL) is looked up in
// the cache scripts/fetch-schemas.sh fills from the Go module proxy.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FabricPlan } from "../plan";
import { UPSTREAM_MANIFESTS } from "../plan/defaults";

export interface UpstreamManifests {
    calico: string;
    metallb: string;
}

/** The project's cache outside the repo, as scripts/env.sh sets it (`${BGP_FABRIC_CACHE:-~/.cache/bgp-fabric}`). */
export function bgpFabricCacheDir(): string {
    return process.env.BGP_FABRIC_CACHE || path.join(os.homedir(), ".cache", "bgp-fabric");
}

/** Where scripts/fetch-schemas.sh keeps the pinned upstream installs. */
export function upstreamCacheDir(): string {
    return path.join(bgpFabricCacheDir(), "schemas", "upstream");
}

/** The cached file of a pinned release: `<cache>/upstream/<metallb-native|tigera-operator>-<version>.yaml`. */
export function cachedUpstreamFile(which: "calico" | "metallb", version: string): string {
    return path.join(
        upstreamCacheDir(),
        `${which === "calico" ? "tigera-operator" : "metallb-native"}-${version}.yaml`,
    );
}

/**
 * The local files to install, or the problems (`fabric:<field>: message`),
 * each naming its field, when one cannot be had without the network.
 */
export function resolveUpstreamManifests(plan: FabricPlan): {
    files?: UpstreamManifests;
    problems: string[];
} {
    const k = plan.kubernetes;
    const problems: string[] = [];
    const one = (
        which: "calico" | "metallb",
        given: string,
        version: string,
        field: string,
    ): string => {
        if (given === UPSTREAM_MANIFESTS[which](version)) {
            const file = cachedUpstreamFile(which, version);
            if (!fs.existsSync(file)) {
                problems.push(
                    `fabric:kubernetes.${field}: the pinned ${which === "calico" ? "tigera-operator" : "MetalLB"} ${version} install is not in ${upstreamCacheDir()} ` +
                        `(scripts/fetch-schemas.sh fills it where the Go module proxy serves it); set kubernetes.${field} to a local copy of ${path.basename(new URL(given).pathname)}, ` +
                        `or kubernetes.installUpstream: false if it is installed already`,
                );
            }
            return file;
        }
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
            problems.push(
                `fabric:kubernetes.${field}: ${given} is a URL; bgp-fabric fetches nothing at run time: give the path of a local copy`,
            );
        } else if (!fs.existsSync(given)) {
            problems.push(`fabric:kubernetes.${field}: no such file: ${given}`);
        }
        return given;
    };
    const files = {
        calico: one("calico", k.calicoManifest, k.calicoVersion, "calicoManifest"),
        metallb: one("metallb", k.metallbManifest, k.metallbVersion, "metallbManifest"),
    };
    return problems.length ? { problems } : { files, problems };
}
