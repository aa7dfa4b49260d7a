// Timing helpers for benchmarks: median of several runs, peak heap.

export function medianMs(runs: number, fn: () => void): number {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const t = process.hrtime.bigint();
        fn();
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
}

export function fmt(ms: number): string {
    return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
