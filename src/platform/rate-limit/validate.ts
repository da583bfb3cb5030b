/**
 * Input checks. A bad limit, cost or key is a bug in the caller, so it throws
 * a `RateLimitInputError` (a RangeError) at construction or at the call; it is
 * never confused with "over the limit", which is a result.
 *
 * Cost 0 is refused rather than treated as a peek: `peek()` says what it
 * does, and a computed cost that came out as 0 is more likely a bug than a
 * wish to look. A cost above the capacity could never be admitted, so it is
 * refused too rather than denied forever.
 */
import {
  ALGORITHMS,
  type AlgorithmName,
  BUCKET_ALGORITHMS,
  type Limits,
  RateLimitInputError,
} from './types.js'

/** Keys longer than this are refused: a key is an identifier, not a payload. */
export const MAX_KEY_LENGTH = 1024
/** The log keeps up to one entry per admitted millisecond; past this it is the wrong algorithm. */
export const MAX_LOG_LIMIT = 10_000
// Every intermediate product stays below 2^53 when capacity x periodMs is below this.
const MAX_SCALED = Math.floor(Number.MAX_SAFE_INTEGER / 4)

export interface LimitsInput {
  algorithm: AlgorithmName
  limit: number
  periodMs: number
  burst?: number
}

function configError(message: string): RateLimitInputError {
  return new RateLimitInputError('RATE_LIMIT_INVALID_CONFIG', message)
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw configError(`${name} must be a positive integer, got ${String(value)}`)
  return value
}

/** Check the configuration and return the integer limits the algorithms run on. */
export function validateLimits(input: LimitsInput): Limits {
  if (!ALGORITHMS.includes(input.algorithm))
    throw configError(`algorithm must be one of ${ALGORITHMS.join(', ')}, got ${String(input.algorithm)}`)
  const limit = positiveInteger('limit', input.limit)
  const periodMs = positiveInteger('periodMs', input.periodMs)
  let burst = limit
  if (input.burst !== undefined) {
    if (!BUCKET_ALGORITHMS.includes(input.algorithm))
      throw configError(`burst applies to ${BUCKET_ALGORITHMS.join(', ')} only, not to ${input.algorithm}`)
    burst = positiveInteger('burst', input.burst)
  }
  if (Math.max(limit, burst) * periodMs > MAX_SCALED)
    throw configError(`limit (or burst) x periodMs must not exceed ${MAX_SCALED}`)
  if (input.algorithm === 'sliding-window-log' && limit > MAX_LOG_LIMIT)
    throw configError(
      `sliding-window-log keeps an entry per admission and accepts a limit up to ${MAX_LOG_LIMIT}; ` +
        'use sliding-window-counter for larger limits',
    )
  return Object.freeze({ limit, periodMs, burst })
}

/** Check a cost: a whole number from 1 to the capacity. */
export function validateCost(cost: unknown, limits: Limits): number {
  if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1)
    throw new RateLimitInputError(
      'RATE_LIMIT_INVALID_COST',
      `cost must be a positive integer (use peek() to look without consuming), got ${String(cost)}`,
    )
  if (cost > limits.burst)
    throw new RateLimitInputError(
      'RATE_LIMIT_INVALID_COST',
      `cost ${cost} exceeds the capacity ${limits.burst}: it could never be admitted`,
    )
  return cost
}

/** Check a key: a non-empty string of at most MAX_KEY_LENGTH characters. */
export function validateKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)
    throw new RateLimitInputError(
      'RATE_LIMIT_INVALID_KEY',
      `key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`,
    )
  return key
}
