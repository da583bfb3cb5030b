/**
 * The in-process load of the library scenarios: `concurrency` loops, each
 * awaiting one decision at a time, for a fixed duration. A fixed number of
 * calls in flight (not a fixed rate) is how a server uses a limiter: one
 * decision per request being handled, as many as it has requests open.
 *
 * Every subject goes through this one loop, so the per-call overhead of the
 * measurement (two clock reads, one latency stored) is the same for ours and
 * for the peer. The call's promise is awaited as the subject returns it: no
 * wrapper promise is added to either side (rate-limiter-flexible answers
 * "over the limit" by rejecting, so rejections are classified in the catch).
 */

export interface DriveOptions {
  /** Calls in flight at once. */
  concurrency: number
  durationMs: number
  /** One decision on the i-th call (`i` picks the key). */
  call: (i: number) => Promise<unknown>
  /** A rejection that is a decision (e.g. rate-limiter-flexible's "over the limit"), not a failure. */
  isDecision?: (rejection: unknown) => boolean
}

export interface DriveResult {
  /** Decisions made (admitted or not). */
  ops: number
  latenciesMs: number[]
  /** Calls that failed (store errors). */
  errors: number
}

export async function drive(opts: DriveOptions): Promise<DriveResult> {
  // A plain array of doubles: V8 stores it unboxed, and the harness takes number[] as is.
  const latencies: number[] = []
  const end = performance.now() + opts.durationMs
  let ops = 0
  let errors = 0
  let next = 0
  const loop = async () => {
    for (;;) {
      const t0 = performance.now()
      if (t0 >= end) return
      try {
        await opts.call(next++)
        ops++
      } catch (err) {
        if (opts.isDecision?.(err)) ops++
        else errors++
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, loop))
  return { ops, latenciesMs: latencies, errors }
}

/** `n` distinct keys, built once: building strings in the loop would be measured too. */
export function keySpace(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`)
}

/**
 * Key picker over `keys`: a multiplicative hash of the call number rather than
 * Math.random, so every subject sees the same key sequence and no RNG cost.
 */
export function pickKey(keys: readonly string[]): (i: number) => string {
  const n = keys.length
  return (i) => keys[(Math.imul(i, 2_654_435_761) >>> 0) % n]!
}
