/**
 * The API's queries on jobs: read one with its attempts and dependencies,
 * list and filter, count per queue and state, cancel, redrive.
 */
import type { Db, Queryable } from '../../platform/db/port.js'
import { reportedState } from '../../platform/jobs/enqueue.js'
import { mapDbError } from '../../platform/jobs/errors.js'
import type { JobState, StoredState } from '../../platform/jobs/types.js'
import { propagateFailure } from '../../platform/jobs/worker.store.js'

export interface AttemptView {
  attempt: number
  worker: string | null
  error: string
  stack: string | null
  startedAt: string | null
  finishedAt: string
}

export interface JobView {
  id: string
  queue: string
  task: string
  payload: unknown
  state: JobState
  priority: number
  runAt: string
  attemptsMade: number
  maxAttempts: number
  key: string | null
  groupKey: string | null
  timeoutMs: number | null
  progress: unknown
  result: unknown
  lastError: string | null
  stalls: number
  dependsOn: string[]
  pendingDependencies: number
  onParentFailure: 'fail' | 'release'
  schedule: string | null
  tick: string | null
  traceparent: string | null
  lockedBy: string | null
  lockedUntil: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  /** The dead job this one is the dead-letter copy of. */
  deadLetterOf: string | null
  /** Failed attempts, oldest first, each with its error and stack. */
  attempts?: AttemptView[]
}

interface JobRow {
  id: string
  queue: string
  task: string
  payload: unknown
  state: StoredState
  priority: number
  run_at: Date
  attempts: number
  max_attempts: number
  key: string | null
  group_key: string | null
  timeout_ms: number | null
  progress: unknown
  result: unknown
  last_error: string | null
  stalls: number
  pending_parents: number
  on_parent_failure: 'fail' | 'release'
  schedule: string | null
  tick: Date | null
  traceparent: string | null
  locked_by: string | null
  locked_until: Date | null
  created_at: Date
  started_at: Date | null
  finished_at: Date | null
  dead_letter_of: string | null
  depends_on?: string[] | null
}

const COLUMNS = `id::text AS id, queue, task, payload, state, priority, run_at, attempts, max_attempts, key,
  group_key, timeout_ms, progress, result, last_error, stalls, pending_parents, on_parent_failure, schedule,
  tick, traceparent, locked_by, locked_until, created_at, started_at, finished_at,
  dead_letter_of::text AS dead_letter_of`

const iso = (d: Date | null) => (d ? d.toISOString() : null)

function toView(r: JobRow, now: number): JobView {
  return {
    id: r.id,
    queue: r.queue,
    task: r.task,
    payload: r.payload,
    state: reportedState(r.state, r.run_at, now),
    priority: r.priority,
    runAt: r.run_at.toISOString(),
    attemptsMade: r.attempts,
    maxAttempts: r.max_attempts,
    key: r.key,
    groupKey: r.group_key,
    timeoutMs: r.timeout_ms,
    progress: r.progress ?? null,
    result: r.result ?? null,
    lastError: r.last_error,
    stalls: r.stalls,
    dependsOn: r.depends_on ?? [],
    pendingDependencies: r.state === 'blocked' ? r.pending_parents : 0,
    onParentFailure: r.on_parent_failure,
    schedule: r.schedule,
    tick: iso(r.tick),
    traceparent: r.traceparent,
    lockedBy: r.locked_by,
    lockedUntil: iso(r.locked_until),
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    deadLetterOf: r.dead_letter_of,
  }
}

/** SQL condition for a reported state (stored states plus run_at). */
function stateCondition(state: JobState): string {
  switch (state) {
    case 'waiting':
      return "(state = 'waiting' AND run_at <= now())"
    case 'scheduled':
      return "((state = 'waiting' AND run_at > now()) OR state = 'blocked')"
    default:
      return `state = '${state}'`
  }
}

/** The order of a listing: by id, which is the order of creation. */
export type ListOrder = 'newest' | 'oldest'

export interface ListFilter {
  queue?: string
  state?: JobState
  task?: string
  order?: ListOrder
  /** Only ids below this (keyset cursor of a newest-first listing: the `next` of the previous page). */
  before?: string
  /** Only ids above this (keyset cursor of an oldest-first listing). */
  after?: string
  limit: number
}

export type QueueCounts = Record<JobState, number>

export function emptyCounts(): QueueCounts {
  return { waiting: 0, scheduled: 0, active: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 }
}

export interface RedriveFilter {
  queue?: string
  task?: string
  ids?: string[]
}

export class JobsStore {
  constructor(private readonly db: Db) {}

  /** One job with its dependencies and failed attempts, or undefined. */
  async get(id: string): Promise<JobView | undefined> {
    const { rows } = await this.db.query<JobRow>(
      `SELECT ${COLUMNS},
              ARRAY(SELECT parent_id::text FROM job_deps WHERE child_id = jobs.id ORDER BY parent_id) AS depends_on
         FROM jobs WHERE id = $1`,
      [id],
    )
    if (!rows[0]) return undefined
    const view = toView(rows[0], Date.now())
    const errs = await this.db.query<{
      attempt: number
      worker: string | null
      error: string
      stack: string | null
      started_at: Date | null
      finished_at: Date
    }>(
      'SELECT attempt, worker, error, stack, started_at, finished_at FROM job_errors WHERE job_id = $1 ORDER BY id LIMIT 1000',
      [id],
    )
    view.attempts = errs.rows.map((e) => ({
      attempt: e.attempt,
      worker: e.worker,
      error: e.error,
      stack: e.stack,
      startedAt: iso(e.started_at),
      finishedAt: e.finished_at.toISOString(),
    }))
    return view
  }

  /**
   * One page of jobs matching `f` in id order (newest or oldest first), and
   * the cursor of the next page (the last id, when more match). Keyset
   * paging: the cursor is an id bound, so a page never skips or repeats a job
   * however many are added meanwhile. Ids are compared and sorted as numbers
   * (the column, not its text form: as text, 999 sorts after 5271).
   */
  async list(f: ListFilter): Promise<{ jobs: JobView[]; next: string | null }> {
    const where: string[] = []
    const params: unknown[] = []
    const bind = (v: unknown) => {
      params.push(v)
      return `$${params.length}`
    }
    if (f.queue !== undefined) where.push(`j.queue = ${bind(f.queue)}`)
    if (f.task !== undefined) where.push(`j.task = ${bind(f.task)}`)
    if (f.before !== undefined) where.push(`j.id < ${bind(f.before)}::bigint`)
    if (f.after !== undefined) where.push(`j.id > ${bind(f.after)}::bigint`)
    if (f.state !== undefined) where.push(stateCondition(f.state))
    const dir = f.order === 'oldest' ? 'ASC' : 'DESC'
    // One row more than the page: whether a next page exists, without a second query.
    const limit = bind(f.limit + 1)
    const { rows } = await this.db.query<JobRow>(
      `SELECT ${COLUMNS} FROM jobs j ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY j.id ${dir} LIMIT ${limit}`,
      params,
    )
    const more = rows.length > f.limit
    if (more) rows.length = f.limit
    const now = Date.now()
    const jobs = rows.map((r) => toView(r, now))
    return { jobs, next: more ? jobs.at(-1)!.id : null }
  }

  /** Jobs per queue and reported state (every queue listed, zeros included). */
  async counts(queue?: string): Promise<Map<string, QueueCounts>> {
    const { rows } = await this.db.query<{ queue: string; state: JobState | null; n: number }>(
      `SELECT q.name AS queue, c.state, coalesce(c.n, 0)::int AS n
         FROM queues q LEFT JOIN (
           SELECT queue, CASE
                    WHEN state = 'blocked' THEN 'scheduled'
                    WHEN state = 'waiting' AND run_at > now() THEN 'scheduled'
                    ELSE state END AS state,
                  count(*) AS n
             FROM jobs ${queue !== undefined ? 'WHERE queue = $1' : ''}
            GROUP BY 1, 2
         ) c ON c.queue = q.name
        ${queue !== undefined ? 'WHERE q.name = $1' : ''}`,
      queue !== undefined ? [queue] : [],
    )
    const out = new Map<string, QueueCounts>()
    for (const r of rows) {
      let c = out.get(r.queue)
      if (!c) {
        c = emptyCounts()
        out.set(r.queue, c)
      }
      if (r.state) c[r.state] += r.n
    }
    return out
  }

  /**
   * Cancel a job that has not finished. A running job is cancelled too: its
   * lease is bumped, so the worker's next heartbeat sees it lost, aborts the
   * handler, and its completion is refused. Children follow their
   * on_parent_failure policy. Returns the job's stored state before, or undefined.
   */
  async cancel(id: string): Promise<{ before: StoredState; cancelled: boolean } | undefined> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ state: StoredState }>(
        'SELECT state FROM jobs WHERE id = $1 FOR UPDATE',
        [id],
      )
      // No row locked: no such job, or one whose completion committed while we waited for its row (it
      // moved from jobs_open to jobs_done, sql/0010), which this next statement's snapshot sees.
      const before =
        rows[0]?.state ??
        (await tx.query<{ state: StoredState }>('SELECT state FROM jobs WHERE id = $1', [id])).rows[0]?.state
      if (!before) return undefined
      if (before === 'completed' || before === 'dead' || before === 'cancelled')
        return { before, cancelled: false }
      const { rows: upd } = await tx.query<{ has_children: boolean }>(
        `UPDATE jobs SET state = 'cancelled', lease = lease + 1, locked_by = NULL, locked_until = NULL,
                finished_at = now(), last_error = coalesce(last_error, 'cancelled')
          WHERE id = $1 RETURNING has_children`,
        [id],
      )
      if (upd[0]?.has_children) await propagateFailure(tx, [id], `${this.db.schema}_jobs`)
      return { before, cancelled: true }
    })
  }

  /** Put dead or cancelled jobs back in their queue with fresh attempts. Returns the ids redriven. */
  async redrive(f: RedriveFilter): Promise<string[]> {
    try {
      return await this.db.tx((tx) => redriveIn(tx, f, `${this.db.schema}_jobs`))
    } catch (err) {
      // A job with the same key enqueued at this very moment: the redrive is refused, not half-done.
      return mapDbError(err)
    }
  }

  /** The stored state of a job, or undefined. */
  async state(id: string): Promise<StoredState | undefined> {
    const { rows } = await this.db.query<{ state: StoredState }>('SELECT state FROM jobs WHERE id = $1', [id])
    return rows[0]?.state
  }
}

async function redriveIn(tx: Queryable, f: RedriveFilter, channel: string): Promise<string[]> {
  const where = ["j.state IN ('dead', 'cancelled')"]
  const params: unknown[] = []
  if (f.ids !== undefined) {
    params.push(f.ids)
    where.push(`j.id = ANY ($${params.length}::bigint[])`)
  }
  if (f.queue !== undefined) {
    params.push(f.queue)
    where.push(`j.queue = $${params.length}`)
  }
  if (f.task !== undefined) {
    params.push(f.task)
    where.push(`j.task = $${params.length}`)
  }
  // A job whose key is now held by another pending job stays dead (redriving it would break
  // dedupe), and of several dead jobs sharing a key only the newest comes back.
  const { rows } = await tx.query<{ id: string; queue: string }>(
    `WITH cand AS (
       SELECT j.id, j.queue, j.key FROM jobs j
        WHERE ${where.join(' AND ')}
          AND (j.key IS NULL OR NOT EXISTS (
                SELECT 1 FROM jobs o WHERE o.queue = j.queue AND o.key = j.key
                   AND o.state IN ('waiting', 'blocked', 'failed')))
        ORDER BY j.id LIMIT 100000
        FOR UPDATE SKIP LOCKED
     ), picked AS (
       SELECT DISTINCT ON (queue, coalesce(key, id::text)) id FROM cand
        ORDER BY queue, coalesce(key, id::text), id DESC
     )
     UPDATE jobs j
        SET state = CASE WHEN j.pending_parents > 0 THEN 'blocked' ELSE 'waiting' END,
            attempts = 0, run_at = now(), finished_at = NULL, locked_by = NULL, locked_until = NULL
       FROM picked WHERE j.id = picked.id
     RETURNING j.id::text AS id, j.queue`,
    params,
  )
  for (const q of new Set(rows.map((r) => r.queue))) await tx.query('SELECT pg_notify($1, $2)', [channel, q])
  return rows.map((r) => r.id)
}
