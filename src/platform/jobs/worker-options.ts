/** What a JobWorker is given: its database, tasks, telemetry, limits and the tuning of its pool. */
import type { Db } from '../db/port.js'
import type { Logger } from '../telemetry/logger.js'
import type { Tracing } from '../telemetry/tracing.js'
import type { JobMetrics } from './metrics.js'
import type { QueueOwners } from './queue-slots.js'
import type { RateLimits } from './rate-limits.js'
import type { Backoff, TaskRegistry } from './types.js'

export interface WorkerOptions {
  db: Db
  tasks: TaskRegistry
  log: Logger
  metrics: JobMetrics
  tracing: Tracing
  limits: RateLimits
  concurrency: number
  queueConcurrency: number
  fetchBatch: number
  leaseMs: number
  pollMs: number
  defaultTimeoutMs: number
  backoff: Backoff
  shutdownGraceMs: number
  /**
   * Jobs per queue fetched ahead of free slots and held leased, ready to start
   * (default 0). A fetch round trip then overlaps running jobs instead of
   * following them; the price is that a process holds a few jobs others could run.
   */
  prefetch?: number
  /** Heartbeat period; default leaseMs / 3. 0 turns heartbeats off (tests of lease expiry). */
  heartbeatMs?: number
  /** Only these queues (default: every queue). */
  queues?: readonly string[]
  /** Only the queues of these owners (sql/0009; default: every queue's). */
  owners?: QueueOwners
  id?: string
}
