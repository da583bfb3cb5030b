/**
 * The worker's SQL: fetch with FOR UPDATE SKIP LOCKED, complete, fail,
 * heartbeat, hand back. Every write after the fetch names the job's lease
 * (a fencing token: +1 on every fetch, never reset), so a worker whose lease
 * expired and whose job was taken again changes nothing: its completion
 * matches no row and is refused.
 */
import { outboxChannel } from '../bus/outbox.js'
import type { Db, Queryable } from '../db/port.js'
import type { FetchedJob, StoredState } from './types.js'

interface FetchedRow {
  id: string
  task: string
  payload: unknown
  attempts: number
  max_attempts: number
  lease: string
  timeout_ms: number | null
  group_key: string | null
  traceparent: string | null
  has_children: boolean
  /** From fetch_limited(): timestamps as the driver parses them. */
  started_at?: Date
  run_at?: Date
  /** From FETCH: the same as epoch milliseconds (float8), which the driver turns into a number. */
  started_ms?: number
  run_ms?: number
}

/** A finished attempt waiting to be written. */
export interface Completion {
  id: string
  lease: string
  result: string | null
}

export interface Failure {
  id: string
  lease: string
  attempt: number
  worker: string
  error: string
  stack: string | null
  startedAt: Date
  /** Delay before the retry, when an attempt is left. */
  retryInMs: number
}

/**
 * The worker's own writes commit without waiting for the WAL flush
 * (synchronous_commit = off for that one transaction; set_config(..., true)
 * is transaction-local, so the pooled connection keeps its setting). A
 * PostgreSQL crash can then forget the last few hundred milliseconds of
 * them, and every such loss is one the queue already survives: a lost fetch
 * leaves the job waiting, a lost completion or failure leaves it active
 * until its lease expires and the sweeper gives it back: at-least-once
 * holds. Enqueues, cancels, redrives and completeWith() stay durable. On a
 * disk where a flush takes ~5 ms this is the difference between ~200 and
 * thousands of fetches per second per connection.
 */
const ASYNC_COMMIT = "(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"

// The fetch, the heartbeat, progress and hand-backs name `jobs_open`, the partition of the jobs not
// completed (sql/0010): their rows are there, and a statement on the partition skips the lifecycle-event
// trigger of `jobs` (none of them makes an event).
const FETCH = `
WITH next AS (
  SELECT id FROM jobs_open
   WHERE queue = $1 AND state IN ('waiting', 'failed') AND run_at <= now()
     -- Checked here, not only in the worker's copy: once a pause commits, no fetch takes a job; and a
     -- queue with a global concurrency limit is only fetched by fetch_limited() (sql/0003), which counts.
     AND NOT EXISTS (SELECT 1 FROM queues WHERE name = $1 AND (paused OR global_concurrency IS NOT NULL))
   ORDER BY priority DESC, run_at, id
   LIMIT $2
   FOR UPDATE SKIP LOCKED
)
UPDATE jobs_open j
   SET state = 'active', attempts = j.attempts + 1, lease = j.lease + 1, locked_by = $3,
       locked_until = now() + $4 * interval '1 millisecond', started_at = now()
  FROM ${ASYNC_COMMIT}
 -- By primary key, not joined to next: the statement is prepared, and a generic plan joining
 -- the two hashed a scan of the whole partition (fine when it is small, not with a backlog).
 WHERE j.id = ANY (ARRAY(SELECT id FROM next))
RETURNING j.id::text AS id, j.task, j.payload, j.attempts, j.max_attempts, j.lease::text AS lease,
          j.timeout_ms, j.group_key, j.traceparent, j.has_children,
          -- Epoch milliseconds, not timestamptz: node-postgres parses a timestamptz with a regular
          -- expression (~0.6 µs each, two per job), a float8 with parseFloat (~0.15 µs). Truncated to the
          -- millisecond in numeric (exact), as that parser does, so a Date is the same either way.
          floor(extract(epoch FROM j.started_at) * 1000)::float8 AS started_ms,
          floor(extract(epoch FROM j.run_at) * 1000)::float8 AS run_ms`

/** The columns a completion carries from `jobs_open` to `jobs_done` unchanged. */
const KEPT = `queue, task, payload, priority, run_at, attempts, max_attempts, timeout_ms, key, group_key, lease,
  stalls, pending_parents, on_parent_failure, has_children, progress, last_error, traceparent, schedule, tick,
  created_at, started_at, dead_letter_of`

// A completion moves the job out of the hot partition (sql/0010): its active row is deleted from
// `jobs_open` and the completed one inserted into `jobs_done`, in one statement, which also writes the
// jobs.job.completed events (when JOBS_EVENTS has them, as one batch outbox row, sql/0011; the trigger on
// `jobs` does not see a statement on its partitions) and unblocks the children of the jobs that have some
// (complete_children(), sql/0010).
// A statement waiting on a row deleted here (a heartbeat, a cancel, the sweep) finds it gone and skips it.
const completeSql = (async: boolean) => `
WITH gone AS (
  DELETE FROM jobs_open j${
    async
      ? `
   USING ${ASYNC_COMMIT}`
      : ''
  }
   -- $2 maps each id to its lease and result: {"<id>": {"l": <lease>, "r": <result>}}. Looked up per
   -- row, not joined: the statement is prepared, and a generic plan joining an unnest() of arrays
   -- (estimated at 10 rows) went quadratic, and one led by the state index scanned every active job.
   -- The state is compared inside the lease's comparison, which no index serves: the primary key
   -- lookup of $1 is the only plan left.
   WHERE j.id = ANY ($1::bigint[])
     AND j.lease = CASE j.state WHEN 'active' THEN ($2::jsonb -> (j.id::text) ->> 'l')::bigint END
  RETURNING j.*, $2::jsonb -> (j.id::text) -> 'r' AS r
), done AS (
  INSERT INTO jobs_done (id, state, result, finished_at, ${KEPT})
  SELECT id, 'completed', r, now(), ${KEPT} FROM gone
  RETURNING id, queue, task, attempts, max_attempts, key, group_key, run_at, finished_at, result, has_children
), events AS (
  -- One outbox row for the statement's events: a batch row (one message per element) unless one job completed.
  INSERT INTO outbox (subject, payload, msg_id, batch)
  SELECT 'jobs.job.completed',
         CASE WHEN count(*) = 1 THEN to_jsonb((array_agg(e.doc))[1]) ELSE to_jsonb(array_agg(e.doc ORDER BY e.id)) END,
         gen_random_uuid()::text,
         count(*) > 1
    FROM (SELECT d.id, job_event_record(d.id, d.queue, d.task, 'completed', d.attempts, d.max_attempts, d.key,
                                        d.group_key, d.run_at, d.finished_at, NULL, d.result) AS doc
            FROM done d) e
   WHERE (SELECT 'completed' = ANY (l.events) FROM limits l WHERE l.id = 1)
  HAVING count(*) > 0
  RETURNING 1
), kids AS (
  SELECT complete_children(array_agg(d.id), $3) AS woken FROM done d WHERE d.has_children HAVING count(*) > 0
)
SELECT d.id::text AS id,
       (SELECT woken FROM kids) AS woken,
       (SELECT pg_notify($4, NULL) FROM events LIMIT 1) IS NULL AS told
  FROM done d`
const COMPLETE = completeSql(true)
/** For completeWith(): the handler's effect commits with it, durably. */
const COMPLETE_DURABLE = completeSql(false)

const FAIL = `
UPDATE jobs
   SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
       run_at = now() + $3 * interval '1 millisecond',
       last_error = $4, locked_by = NULL, locked_until = NULL,
       finished_at = CASE WHEN attempts >= max_attempts THEN now() END
  FROM ${ASYNC_COMMIT}
 WHERE id = $1 AND lease = $2 AND state = 'active'
RETURNING state, has_children,
          (state = 'dead' AND EXISTS (SELECT 1 FROM queues q WHERE q.name = jobs.queue AND q.dead_letter IS NOT NULL))
            AS dead_letter`

// A lease past its expiry is not renewed: its slot of a limited queue may already be another job's
// (pull_fetch() counts live leases only), so the holder is told it lost the job, as after a sweep.
const HEARTBEAT = `
UPDATE jobs_open j SET locked_until = now() + $3 * interval '1 millisecond'
  FROM unnest($1::bigint[], $2::bigint[]) AS u(id, lease), ${ASYNC_COMMIT}
 WHERE j.id = u.id AND j.lease = u.lease AND j.state = 'active' AND j.locked_until > now()
RETURNING j.id::text AS id`

// Handing back is not an attempt: the counter goes back down.
const RELEASE = `
UPDATE jobs_open j
   SET state = 'waiting', attempts = greatest(j.attempts - 1, 0), locked_by = NULL, locked_until = NULL,
       run_at = now() + $3 * interval '1 millisecond'
  FROM unnest($1::bigint[], $2::bigint[]) AS u(id, lease)
 WHERE j.id = u.id AND j.lease = u.lease AND j.state = 'active'
RETURNING j.id::text AS id, (SELECT pg_notify($4, j.queue)) IS NULL AS woke`

/** The largest bigint, in decimal. */
const MAX_BIGINT = '9223372036854775807'

/** Whether `s` is a bigint in decimal (what a job id and a lease are). */
function isBigint(s: string): boolean {
  if (s.length === 0 || s.length > 19) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return s.length < 19 || s <= MAX_BIGINT
}

function toJob(queue: string, r: FetchedRow): FetchedJob {
  return {
    id: r.id,
    queue,
    task: r.task,
    payload: r.payload,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    lease: r.lease,
    timeoutMs: r.timeout_ms,
    groupKey: r.group_key,
    traceparent: r.traceparent,
    hasChildren: r.has_children,
    startedAt: r.started_ms === undefined ? r.started_at! : new Date(r.started_ms),
    runAt: r.run_ms === undefined ? r.run_at! : new Date(r.run_ms),
  }
}

/**
 * What a dead or cancelled job does to its children, level by level inside
 * the caller's transaction: children with on_parent_failure = 'fail' die too
 * (and pass it on), 'release' children stop waiting for it.
 */
export async function propagateFailure(tx: Queryable, parents: string[], channel: string): Promise<void> {
  let level = parents
  for (let depth = 0; level.length > 0 && depth < 1000; depth++) {
    const { rows } = await tx.query<{ id: string; state: StoredState; has_children: boolean }>(
      `WITH kids AS (
         SELECT d.child_id, count(*)::int AS n, min(d.parent_id) AS parent
           FROM job_deps d WHERE d.parent_id = ANY ($1::bigint[]) GROUP BY d.child_id
       ), changed AS (
         UPDATE jobs c
            SET pending_parents = c.pending_parents - kids.n,
                state = CASE
                  WHEN c.on_parent_failure = 'fail' THEN 'dead'
                  WHEN c.pending_parents - kids.n <= 0 THEN 'waiting'
                  ELSE c.state END,
                last_error = CASE WHEN c.on_parent_failure = 'fail'
                  THEN 'dependency ' || kids.parent || ' failed' ELSE c.last_error END,
                finished_at = CASE WHEN c.on_parent_failure = 'fail' THEN now() ELSE c.finished_at END
           FROM kids
          WHERE c.id = kids.child_id AND c.state = 'blocked'
         RETURNING c.id, c.state, c.has_children, c.queue
       )
       SELECT id::text AS id, state, has_children,
              CASE WHEN state = 'waiting' THEN pg_notify($2, queue) END AS woke
         FROM changed`,
      [level, channel],
    )
    level = rows.filter((r) => r.state === 'dead' && r.has_children).map((r) => r.id)
  }
}

/** Copy dead jobs into their queue's dead-letter queue, in the transaction that made them dead (sql/0003). */
export async function deadLetter(tx: Queryable, ids: string[], channel: string): Promise<void> {
  await tx.query('SELECT dead_letter($1::bigint[], $2)', [ids, channel])
}

/** The worker's queries on one schema. */
export class WorkerStore {
  readonly channel: string
  private readonly outboxChannel: string

  constructor(private readonly db: Db) {
    this.channel = `${db.schema}_jobs`
    this.outboxChannel = outboxChannel(db.schema)
  }

  /** Take up to `n` runnable jobs of `queue`, highest priority first, leased for `leaseMs` (on `on`, else the pool). */
  async fetch(
    queue: string,
    n: number,
    worker: string,
    leaseMs: number,
    on?: Queryable,
  ): Promise<FetchedJob[]> {
    const { rows } = await (on ?? this.db).query<FetchedRow>(FETCH, [queue, n, worker, leaseMs])
    const out = new Array<FetchedJob>(rows.length)
    for (let i = 0; i < rows.length; i++) out[i] = toJob(queue, rows[i]!)
    return out
  }

  /**
   * Take up to `n` runnable jobs of a queue with a global concurrency limit (fetch_limited() in
   * sql/0003: the fetches of the queue serialised on its row, active jobs counted).
   */
  async fetchLimited(
    queue: string,
    n: number,
    worker: string,
    leaseMs: number,
    on?: Queryable,
  ): Promise<FetchedJob[]> {
    const { rows } = await (on ?? this.db).query<FetchedRow>('SELECT * FROM fetch_limited($1, $2, $3, $4)', [
      queue,
      n,
      worker,
      leaseMs,
    ])
    return rows.map((r) => toJob(queue, r))
  }

  /**
   * Mark attempts completed; returns the ids accepted. Durably in `tx` when given (the handler's
   * transaction, completeWith()); otherwise asynchronously on `conn` (the worker's own connection,
   * where the statement is prepared once) or the pool.
   */
  async complete(batch: readonly Completion[], tx?: Queryable, conn?: Queryable): Promise<Set<string>> {
    const ids: string[] = []
    // The leases and results as one JSON object by id (see completeSql), written as text: the ids and
    // leases are bigints in decimal (anything else is refused here), the results JSON already.
    let map = '{'
    for (const c of batch) {
      if (!isBigint(c.id) || !isBigint(c.lease)) continue
      map += `${ids.length === 0 ? '' : ','}"${c.id}":{"l":${c.lease},"r":${c.result ?? 'null'}}`
      ids.push(c.id)
    }
    map += '}'
    const accepted = new Set<string>()
    if (ids.length === 0) return accepted
    const sql = tx ? COMPLETE_DURABLE : COMPLETE
    const { rows } = await (tx ?? conn ?? this.db).query<{ id: string }>(sql, [
      ids,
      map,
      this.channel,
      this.outboxChannel,
    ])
    for (const r of rows) accepted.add(r.id)
    return accepted
  }

  /** Record a failed attempt; returns the job's new state, or undefined when the lease was lost. */
  async fail(f: Failure): Promise<StoredState | undefined> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ state: StoredState; has_children: boolean; dead_letter: boolean }>(
        FAIL,
        [f.id, f.lease, f.retryInMs, f.error],
      )
      const row = rows[0]
      if (!row) return undefined
      await tx.query(
        'INSERT INTO job_errors (job_id, attempt, worker, error, stack, started_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [f.id, f.attempt, f.worker, f.error, f.stack, f.startedAt],
      )
      if (row.state === 'dead' && row.has_children) await propagateFailure(tx, [f.id], this.channel)
      if (row.dead_letter) await deadLetter(tx, [f.id], this.channel)
      return row.state
    })
  }

  /** Extend the leases of running jobs; returns the ids still held. */
  async heartbeat(ids: string[], leases: string[], leaseMs: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const { rows } = await this.db.query<{ id: string }>(HEARTBEAT, [ids, leases, leaseMs])
    return new Set(rows.map((r) => r.id))
  }

  /** Hand jobs back without counting the attempt (shutdown, rate limited), runnable after `delayMs`. */
  async release(ids: string[], leases: string[], delayMs = 0): Promise<number> {
    if (ids.length === 0) return 0
    const { rowCount } = await this.db.query(RELEASE, [ids, leases, delayMs, this.channel])
    return rowCount
  }

  /** Store a progress value for a running job (refused without the lease). */
  async progress(id: string, lease: string, value: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      "UPDATE jobs_open SET progress = $3::jsonb WHERE id = $1 AND lease = $2 AND state = 'active'",
      [id, lease, value],
    )
    return rowCount > 0
  }
}
