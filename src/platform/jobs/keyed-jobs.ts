/**
 * Remove or reschedule a pending job by its key (graphile-worker's
 * remove_job() and reschedule_jobs()): the engine API over the SQL functions
 * of sql/0004, so it runs on a Db or in the caller's transaction, from any
 * schema. A key names at most one pending job of a queue (waiting,
 * scheduled, blocked, or failed awaiting its retry); a running or finished
 * job no longer holds its key and is left alone.
 */
import { type Queryable, quoteIdent } from '../db/port.js'
import { reportedState } from './enqueue.js'
import { mapDbError } from './errors.js'
import type { JobState, StoredState } from './types.js'

export interface KeyedOptions {
  /** The jobs schema (default: the Db's own, else `jobs`). */
  schema?: string
}

export interface RemovedJob {
  id: string
  /** The state it had when removed. */
  state: JobState
  task: string
}

export interface Reschedule {
  runAt?: Date
  priority?: number
  maxAttempts?: number
}

export interface RescheduledJob {
  id: string
  state: JobState
  runAt: string
  priority: number
  maxAttempts: number
}

function schemaOf(db: Queryable, opts: KeyedOptions): string {
  return quoteIdent(opts.schema ?? (db as { schema?: string }).schema ?? 'jobs')
}

/**
 * Delete the pending job of `queue` with `key`; undefined when none has it.
 * A job others depend on is refused (409 JOBS_HAS_DEPENDENTS): cancel it instead.
 */
export async function removeJob(
  db: Queryable,
  queue: string,
  key: string,
  opts: KeyedOptions = {},
): Promise<RemovedJob | undefined> {
  try {
    const { rows } = await db.query<{ id: string; state: StoredState; task: string; run_at: Date }>(
      `SELECT id::text AS id, state, task, run_at FROM ${schemaOf(db, opts)}.remove_job($1, $2)`,
      [queue, key],
    )
    const r = rows[0]
    return r && { id: r.id, state: reportedState(r.state, r.run_at), task: r.task }
  } catch (err) {
    return mapDbError(err, queue)
  }
}

/** Change the run time, priority or attempts of the pending job of `queue` with `key`; undefined when none has it. */
export async function rescheduleJob(
  db: Queryable,
  queue: string,
  key: string,
  changes: Reschedule,
  opts: KeyedOptions = {},
): Promise<RescheduledJob | undefined> {
  try {
    const { rows } = await db.query<{
      id: string
      state: StoredState
      run_at: Date
      priority: number
      max_attempts: number
    }>(
      `SELECT id::text AS id, state, new_run_at AS run_at, new_priority AS priority, new_max_attempts AS max_attempts
         FROM ${schemaOf(db, opts)}.reschedule_job($1, $2, $3::timestamptz, $4, $5)`,
      [queue, key, changes.runAt ?? null, changes.priority ?? null, changes.maxAttempts ?? null],
    )
    const r = rows[0]
    if (!r) return undefined
    return {
      id: r.id,
      state: reportedState(r.state, r.run_at),
      runAt: r.run_at.toISOString(),
      priority: r.priority,
      maxAttempts: r.max_attempts,
    }
  } catch (err) {
    return mapDbError(err, queue)
  }
}
