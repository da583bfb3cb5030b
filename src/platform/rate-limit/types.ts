/**
 * The rate limiter's vocabulary: the result of a decision, the limits an
 * algorithm is configured with, and the typed error thrown for programmer
 * errors (bad limits, bad costs, empty keys). Being over the limit is never
 * an error: it is a result with `allowed: false`.
 */

/** The outcome of `consume`, `peek` or `refund`. All durations are whole milliseconds. */
export interface RateLimitResult {
  /** Whether the request was admitted (consume), would be admitted (peek), or true (refund). */
  allowed: boolean
  /** Units that could still be consumed right now, after this decision. */
  remaining: number
  /** The capacity: `limit` for the window algorithms, `burst` for the bucket algorithms. */
  limit: number
  /** Milliseconds until the full capacity is available again if nothing more is consumed (0: it is). */
  resetMs: number
  /** 0 when allowed; otherwise milliseconds until a request of the same cost would be admitted. */
  retryAfterMs: number
}

/** The six algorithms, by the names used in config, Redis keys and Lua file names. */
export const ALGORITHMS = [
  'fixed-window',
  'sliding-window-log',
  'sliding-window-counter',
  'token-bucket',
  'leaky-bucket',
  'gcra',
] as const
export type AlgorithmName = (typeof ALGORITHMS)[number]

/** The bucket algorithms accept a `burst` (capacity) distinct from the sustained rate. */
export const BUCKET_ALGORITHMS: readonly AlgorithmName[] = ['token-bucket', 'leaky-bucket', 'gcra']

/** Validated, integer limits shared by every algorithm. */
export interface Limits {
  /** Units per period: the window size, or the sustained rate of a bucket (limit / periodMs). */
  readonly limit: number
  readonly periodMs: number
  /** Capacity of a bucket; equal to `limit` for the window algorithms. */
  readonly burst: number
}

/** What a limiter can be asked to do with a key. */
export type Op = 'consume' | 'peek' | 'refund'

export type RateLimitInputErrorCode =
  | 'RATE_LIMIT_INVALID_CONFIG'
  | 'RATE_LIMIT_INVALID_COST'
  | 'RATE_LIMIT_INVALID_KEY'

/** A programmer error (bad config, cost or key): thrown by the constructor, rejected by a call; never "over the limit". */
export class RateLimitInputError extends RangeError {
  override name = 'RateLimitInputError'
  constructor(
    readonly code: RateLimitInputErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** Where limiter state lives: the port both stores implement. Inputs are validated before they get here. */
export interface RateLimitStore {
  /** Apply one operation to one key atomically. */
  apply(key: string, op: Op, cost: number): Promise<RateLimitResult>
  /** Forget a key: its next request sees a fresh limiter. */
  reset(key: string): Promise<void>
}
