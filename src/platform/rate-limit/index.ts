/** Rate limiting for every system: six algorithms, each on a memory and a Redis store. */
export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './limiter.js'
export { createMemoryState, type MemoryState } from './store.memory.js'
export {
  ALGORITHMS,
  type AlgorithmName,
  BUCKET_ALGORITHMS,
  type Limits,
  RateLimitInputError,
  type RateLimitInputErrorCode,
  type RateLimitResult,
} from './types.js'
