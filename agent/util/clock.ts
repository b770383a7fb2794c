/**
 * Milliseconds on a monotonic clock, for durations. The `performance` global gives the same
 * but loads perf_hooks (ten modules) into an agent that needs nothing else from it.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The wall-clock time (epoch ms) of an earlier `monotonicMs()` reading. */
export function wallTimeOf(monotonic: number): number {
  return Date.now() - (monotonicMs() - monotonic);
}
