// Synthetic fabrics for benchmarks: S spines, L leafs in pairs, N nodes each
// dual-attached to one leaf pair. Sized ranges so the planner never runs out.

import { FabricConfig } from "../plan";

export function syntheticFabric(spines: number, leafs: number, nodes: number): FabricConfig {
    const perPair = Math.ceil(nodes / (leafs / 2));
    return {
        name: `bench-${nodes}`,
        asn: { spine: 65000, leafBase: 4200000000, nodeBase: 4210000000 },
        addressing: {
            loopbacks: "172.16.0.0/20",
            leafLoopbackOffset: 128,
            nodeLoopbacks: "10.128.0.0/14",
        },
        spines: range(spines).map((i) => ({ name: `spine${i}`, mgmt: { host: `spine${i}.mgmt` } })),
        leafs: range(leafs).map((i) => ({ name: `leaf${i}`, mgmt: { host: `leaf${i}.mgmt` } })),
        nodes: range(nodes).map((i) => {
            const pair = Math.floor((i - 1) / perPair);
            // Server ports count from swp1 and skip the spine uplinks (swp51 … swp50+S).
            const k = ((i - 1) % perPair) + 1;
            const port = `swp${k <= 50 ? k : k + spines}`;
            return {
                name: `node${i}`,
                uplinks: [`leaf${2 * pair + 1}:${port}`, `leaf${2 * pair + 2}:${port}`],
                mgmt: { host: `node${i}.mgmt` },
            };
        }),
        kubernetes: { podCidr: "10.64.0.0/11", serviceCidr: "10.96.0.0/16", blockSize: 26 },
        loadBalancerPools: [
            { name: "default", cidr: "172.29.0.0/16", vips: { ingress: "172.29.0.6" } },
        ],
    };
}

function range(n: number): number[] {
    return Array.from({ length: n }, (_, i) => i + 1);
}
