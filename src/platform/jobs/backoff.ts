/** Retry delays: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
import type { Backoff } from './types.js'

/**
 * The delay before retrying after failed attempt `attempt` (1-based): a
 * uniform random time in [0, min(max, base x 2^(attempt-1))]. Full jitter
 * spreads the retries of jobs that failed together (a downstream outage),
 * so they do not come back as one thundering herd.
 */
export function retryDelayMs(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52))
  return Math.floor(random() * ceiling)
}
