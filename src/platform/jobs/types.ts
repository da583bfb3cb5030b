/** The job queue's vocabulary: job specs, stored rows, reported states, task handlers. */
import type { Queryable } from '../db/port.js'

/** States a client sees (the REST API, the console). */
export const STATES = ['waiting', 'scheduled', 'active', 'completed', 'failed', 'dead', 'cancelled'] as const
export type JobState = (typeof STATES)[number]

/** States stored in the `state` column (see sql/0001_init.sql). */
export type StoredState = 'waiting' | 'blocked' | 'active' | 'failed' | 'completed' | 'dead' | 'cancelled'

/** What a caller asks to enqueue. */
export interface JobSpec {
  task: string
  payload?: unknown
  /** Higher runs first; default 0. */
  priority?: number
  /** Not before this time (a delay). */
  runAt?: Date
  maxAttempts?: number
  /** Dedupe / debounce key: a pending job of the queue with this key is replaced (or kept). */
  key?: string
  keyMode?: 'replace' | 'keep' | 'preserve_run_at'
  /** Rate-limit group (a tenant): the queue's per-group limit applies to it. */
  groupKey?: string
  timeoutMs?: number
  /** Ids of jobs that must complete before this one runs. */
  dependsOn?: readonly string[]
  /** What a failed (dead or cancelled) parent does: fail this job too, or release it. */
  onParentFailure?: 'fail' | 'release'
  /** W3C traceparent to continue when the job runs. */
  traceparent?: string
}

export interface AddedJob {
  id: string
  state: JobState
  /** True when an existing pending job with the same key was matched. */
  deduplicated: boolean
}

/** A job as a worker receives it. */
export interface FetchedJob {
  id: string
  queue: string
  task: string
  payload: unknown
  attempts: number
  maxAttempts: number
  lease: string
  timeoutMs: number | null
  groupKey: string | null
  traceparent: string | null
  hasChildren: boolean
  startedAt: Date
  /** When it became runnable (its wait is startedAt - runAt). */
  runAt: Date
}

/** What a handler gets besides the payload. */
export interface TaskContext {
  readonly job: FetchedJob
  /** Aborted when the attempt times out, the lease is lost, or shutdown hands the job back. */
  readonly signal: AbortSignal
  /** Record progress (any JSON, e.g. a percentage); readable at GET /jobs/jobs/{id}. */
  progress(value: unknown): Promise<void>
  /**
   * Exactly-once effects: run `fn` in a transaction that also completes the
   * job under this attempt's lease. If the lease was lost (the job was taken
   * back and given to another worker) the transaction rolls back and this
   * throws a LeaseLostError: the effect and the completion commit together
   * or not at all. What `fn` returns is stored as the job's result.
   */
  completeWith<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
}

export interface Backoff {
  baseMs: number
  maxMs: number
}

/** A task type: its handler and its defaults. */
export interface TaskDefinition {
  /** Returns the job's result (JSON, stored) or throws to fail the attempt. */
  handler(payload: unknown, ctx: TaskContext): Promise<unknown> | unknown
  /** Checks a payload at enqueue; throws an AppError (4xx) when it is not acceptable. */
  validate?(payload: unknown): void | Promise<void>
  timeoutMs?: number
  backoff?: Partial<Backoff>
  description?: string
}

export type TaskRegistry = ReadonlyMap<string, TaskDefinition>
