// How far the engine's process lets its heap grow between full collections.
// The inline program holds every resource's Outputs at once: ~200 MB live at
// 1,000 devices. After a full collection V8 lets the heap grow up to 4× what
// it kept before the next one (its limit for a process allowed 4 GB), so the
// peak depended on when the collections happened to fall: 530–790 MB over
// repeated runs of the same preview. 60 % over what was kept bounds it to
// 410–540 MB at no measurable cost in time (BENCHMARKS.md §6).

import * as v8 from "v8";

export const HEAP_GROWING_PERCENT = 60;

/** Sets V8's heap growing factor, unless the process was started with one of its own (NODE_OPTIONS, flags). */
export function capHeapGrowth(): boolean {
    const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
    if (/--heap[-_]growing[-_]percent/.test(given)) return false;
    v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    return true;
}
