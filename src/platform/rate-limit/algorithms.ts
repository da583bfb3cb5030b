/** The registry: each algorithm's name to its pure implementation (what the memory store runs). */
import type { Algorithm } from './algorithm.js'
import { fixedWindow } from './fixed-window.js'
import { gcra } from './gcra.js'
import { leakyBucket } from './leaky-bucket.js'
import { slidingWindowCounter } from './sliding-window-counter.js'
import { slidingWindowLog } from './sliding-window-log.js'
import { tokenBucket } from './token-bucket.js'
import type { AlgorithmName } from './types.js'

export const algorithms: Record<AlgorithmName, Algorithm<unknown>> = {
  'fixed-window': fixedWindow as Algorithm<unknown>,
  'sliding-window-log': slidingWindowLog as Algorithm<unknown>,
  'sliding-window-counter': slidingWindowCounter as Algorithm<unknown>,
  'token-bucket': tokenBucket as Algorithm<unknown>,
  'leaky-bucket': leakyBucket as Algorithm<unknown>,
  gcra: gcra as Algorithm<unknown>,
}
