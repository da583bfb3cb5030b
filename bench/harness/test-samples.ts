/** Test fixtures shared by the harness's tests. */
import type { RoundSample } from './stats.js'

/** One round's sample at `opsPerSec` (every request ok, 1 s long), with `extra` laid over it. */
export const sample = (opsPerSec: number, extra: Partial<RoundSample> = {}): RoundSample => ({
  total: opsPerSec,
  ok: opsPerSec,
  errors: 0,
  durationSec: 1,
  opsPerSec,
  p50Ms: 1,
  p99Ms: 2,
  ...extra,
})
