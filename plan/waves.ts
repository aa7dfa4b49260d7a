// The rolling apply: the managed switches in the waves they are applied in,
// so that no wave takes down a device's redundancy. Pure, from the plan.
//
// - Spines first, `apply.waveSize` spines per wave, but never every spine at
//   once: a wave holds at most (spines − 1) of them (one when there is one).
//   Spines go first because a spine change is the one that can break every
//   rack's fabric sessions at once; with all leafs still on their known-good
//   config, one spine out of N is the smallest blast radius, and a bad spine
//   config is caught before any leaf (and thus any rack) is touched.
// - Then the leafs, by rack. A rack is the set of leafs its nodes are attached
//   to (the leafs any node connects to, transitively: a dual-attached node
//   joins its two leafs into one rack); a leaf no node joins to another is a
//   rack of its own. Racks are grouped in plan order, `apply.waveSize` racks
//   per group; a group takes as many waves as its largest rack has leafs, the
//   k-th wave of a group holding the k-th leaf (plan order) of each of its
//   racks. So two leafs of one rack are never in one wave: while one leaf of a
//   rack reloads, its nodes keep their other uplink.
// - Unmanaged devices, nodes and external routers are in no wave.

import { FabricPlan, PlannedDevice } from "./types";

/** The wave size the plan asks for (`apply.waveSize`, at least 1). */
export function planWaveSize(plan: FabricPlan): number {
    const n = plan.apply.waveSize as number | undefined;
    return typeof n === "number" && Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The racks: groups of leafs (plan order within and between groups) joined by the nodes attached to them. */
export function racks(plan: FabricPlan): string[][] {
    const leafs = plan.devices.filter((d) => d.role === "leaf").map((d) => d.name);
    const isLeaf = new Set(leafs);
    const parent = new Map(leafs.map((l) => [l, l]));
    const find = (x: string): string => {
        let r = x;
        while (parent.get(r) !== r) r = parent.get(r)!;
        parent.set(x, r);
        return r;
    };
    const union = (a: string, b: string) => {
        const [ra, rb] = [find(a), find(b)];
        if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
    };
    for (const node of plan.devices.filter((d) => d.role === "node")) {
        const attached = nodeLeafs(node).filter((l) => isLeaf.has(l));
        for (const l of attached.slice(1)) union(attached[0], l);
    }
    const groups = new Map<string, string[]>();
    for (const l of leafs) {
        const r = find(l);
        if (!groups.has(r)) groups.set(r, []);
        groups.get(r)!.push(l);
    }
    // Map iteration follows first insertion: the rack of the earliest leaf first.
    return [...groups.values()];
}

function nodeLeafs(node: PlannedDevice): string[] {
    const names = [
        ...node.interfaces.filter((i) => i.kind === "server").map((i) => i.peer.device),
        ...node.neighbors.filter((n) => n.kind === "server").map((n) => n.device),
    ];
    return [...new Set(names)];
}

const computed = new WeakMap<FabricPlan, string[][]>();

/** The managed spines and leafs in rollout order, wave by wave (no empty wave). */
export function applyWaves(plan: FabricPlan): string[][] {
    // Every switch's script asks (render/apply-script.ts expectedSessions): once per plan object.
    let waves = computed.get(plan);
    if (!waves) computed.set(plan, (waves = computeWaves(plan)));
    return waves;
}

function computeWaves(plan: FabricPlan): string[][] {
    const size = planWaveSize(plan);
    const managed = new Set(plan.devices.filter((d) => d.managed).map((d) => d.name));
    const waves: string[][] = [];

    const spines = plan.devices.filter((d) => d.role === "spine" && d.managed).map((d) => d.name);
    const allSpines = plan.devices.filter((d) => d.role === "spine").length;
    const spineWave = Math.max(1, Math.min(size, allSpines - 1));
    for (let i = 0; i < spines.length; i += spineWave) waves.push(spines.slice(i, i + spineWave));

    const rs = racks(plan);
    for (let g = 0; g < rs.length; g += size) {
        const group = rs.slice(g, g + size);
        const depth = Math.max(...group.map((r) => r.length));
        for (let k = 0; k < depth; k++) {
            const wave = group.map((r) => r[k]).filter((l) => l !== undefined && managed.has(l));
            if (wave.length) waves.push(wave);
        }
    }
    return waves;
}

/** The zero-based wave a device is applied in; undefined for nodes, external routers and unmanaged devices. */
export function waveIndex(plan: FabricPlan, device: string): number | undefined {
    const i = applyWaves(plan).findIndex((w) => w.includes(device));
    return i < 0 ? undefined : i;
}
