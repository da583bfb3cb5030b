/**
 * Enqueueing: `addJob(db, queue, spec)` and `addJobs(db, queue, specs)`.
 * Both take any Queryable, so a caller passes its own transaction and the
 * job exists exactly when the business write that caused it commits (the
 * NOTIFY that wakes workers is delivered at that commit too).
 *
 * A single job goes through the SQL function `add_job()` (the same code path
 * SQL callers in other languages use); a batch without keys or dependencies
 * is one multi-row INSERT, the fast path.
 */
import type { Db, Queryable } from '../db/port.js'
import { quoteIdent } from '../db/port.js'
import { JobsErrors, mapDbError } from './errors.js'
import type { AddedJob, JobSpec, JobState, StoredState } from './types.js'
import { checkSpec, encodePayload } from './validate.js'

export interface EnqueueOptions {
  /** The job queue's schema (default `jobs`); needed when `db` is another system's transaction. */
  schema?: string
  /** Largest payload in bytes (default 256 KiB; the system passes JOBS_MAX_PAYLOAD_BYTES). */
  maxPayloadBytes?: number
}

const DEFAULT_LIMIT = 262_144

/** A Db runs each statement in its own transaction; a transaction handle has no `tx`. */
function isDb(db: Queryable): boolean {
  return typeof (db as Partial<Db>).tx === 'function'
}

/** One wake-up per channel and queue in flight; requests meanwhile collapse into one more after it. */
class Waker {
  private busy = false
  private again = false

  constructor(
    private readonly db: Db,
    private readonly channel: string,
    private readonly queue: string,
  ) {}

  /**
   * Whether the next enqueue may send its NOTIFY in its own commit: only when no
   * wake-up is in flight (an idle queue). That saves the pickup the round trip of a
   * separate NOTIFY, and nothing waits on the commit's notify lock then; enqueues
   * meanwhile take the coalesced path. `settle()` must follow, whatever happens.
   */
  claim(): boolean {
    if (this.busy) return false
    this.busy = true
    return true
  }

  /** The enqueue that claimed the wake-up answered (its commit carried the NOTIFY, or it failed). */
  readonly settle = (): void => this.done()

  wake(): void {
    if (this.busy) {
      this.again = true
      return
    }
    this.busy = true
    this.db.query('SELECT pg_notify($1, $2)', [this.channel, this.queue]).then(this.done, this.done)
  }

  private readonly done = (): void => {
    this.busy = false
    if (this.again) {
      this.again = false
      this.wake()
    }
  }
}

const wakers = new WeakMap<Db, Map<string, Waker>>()

/**
 * Wake the workers of `queue` after an enqueue that committed on its own.
 * NOTIFY inside the enqueue would make every enqueue commit alone (the
 * notifying transaction holds a database-wide lock until its commit is
 * flushed); sent after the commit, one NOTIFY covers every job committed
 * while the previous one was in flight. A lost wake-up costs one poll
 * interval, never a job.
 */
export function wakeWorkers(db: Db, channel: string, queue: string): void {
  wakerOf(db, channel, queue).wake()
}

function wakerOf(db: Db, channel: string, queue: string): Waker {
  let byQueue = wakers.get(db)
  if (!byQueue) {
    byQueue = new Map()
    wakers.set(db, byQueue)
  }
  const key = `${channel} ${queue}`
  let w = byQueue.get(key)
  if (!w) {
    w = new Waker(db, channel, queue)
    byQueue.set(key, w)
  }
  return w
}

/**
 * A job due at least this much later needs no wake-up: workers poll for delayed jobs
 * (JOBS_POLL_MS), and one woken now would find nothing due. The margin covers a caller's clock
 * running behind the database's.
 */
const DELAYED_MS = 2_000

/**
 * How an enqueue wakes the workers. In the caller's transaction: its NOTIFY goes
 * with that commit. On its own into an idle queue: also in its commit (one round
 * trip less before a worker fetches). On its own while wake-ups are in flight:
 * none in the statement, one coalesced NOTIFY after the commit (`after`). Not at
 * all for jobs due later (`runAt` at least DELAYED_MS ahead): a NOTIFY in a
 * transaction takes a database-wide lock from its commit until the commit is
 * flushed, so every caller enqueueing a delayed job in its own transaction (a
 * hold's expiry, a reminder) would commit one at a time, for a wake-up that finds
 * nothing to run.
 */
function wakePlan(db: Queryable, channel: string, queue: string, runAt: Date | null = null) {
  if (runAt !== null && runAt.getTime() - Date.now() >= DELAYED_MS)
    return { inCommit: false, after: () => {}, settle: () => {} }
  if (!isDb(db)) return { inCommit: true, after: () => {}, settle: () => {} }
  const waker = wakerOf(db as Db, channel, queue)
  const inCommit = waker.claim()
  return {
    inCommit,
    after: inCommit ? () => {} : () => waker.wake(),
    settle: inCommit ? waker.settle : () => {},
  }
}

/** The state a client sees for a stored state and run time. */
export function reportedState(state: StoredState, runAt: Date | null, now = Date.now()): JobState {
  if (state === 'blocked') return 'scheduled'
  if (state === 'waiting' && runAt && runAt.getTime() > now) return 'scheduled'
  return state
}

function rawSchema(db: Queryable, opts: EnqueueOptions): string {
  return opts.schema ?? (db as { schema?: string }).schema ?? 'jobs'
}

function schemaOf(db: Queryable, opts: EnqueueOptions): string {
  return quoteIdent(rawSchema(db, opts))
}

/** The NOTIFY channel workers of the schema listen on (add_job() uses the same name). */
export function channelOf(db: Queryable, opts: EnqueueOptions = {}): string {
  return `${rawSchema(db, opts)}_jobs`
}

const addSql = new Map<string, string>()
function addJobSql(schema: string): string {
  let sql = addSql.get(schema)
  if (!sql) {
    sql =
      `SELECT id::text AS id, state, deduplicated FROM ${schema}.add_job(` +
      '$1, $2, $3::jsonb, $4::timestamptz, $5, $6, $7, $8, $9, $10, $11::bigint[], $12, $13, $14)'
    addSql.set(schema, sql)
  }
  return sql
}

/** Enqueue one job on `db` (a Db or the caller's transaction). Throws a 4xx AppError on bad input. */
export async function addJob(
  db: Queryable,
  queue: string,
  spec: JobSpec,
  opts: EnqueueOptions = {},
): Promise<AddedJob> {
  checkSpec(spec)
  const payload = encodePayload(spec.payload, opts.maxPayloadBytes ?? DEFAULT_LIMIT)
  const runAt = spec.runAt ?? null
  const wake = wakePlan(db, channelOf(db, opts), queue, runAt)
  try {
    const { rows } = await db.query<{ id: string; state: StoredState; deduplicated: boolean }>(
      addJobSql(schemaOf(db, opts)),
      [
        queue,
        spec.task,
        payload,
        runAt,
        spec.priority ?? 0,
        // Null: the queue's default max attempts (PUT /jobs/queues/{queue}), else 25.
        spec.maxAttempts ?? null,
        spec.key ?? null,
        spec.keyMode ?? 'replace',
        spec.groupKey ?? null,
        spec.timeoutMs ?? null,
        spec.dependsOn && spec.dependsOn.length > 0 ? spec.dependsOn : null,
        spec.onParentFailure ?? 'fail',
        spec.traceparent ?? null,
        wake.inCommit,
      ],
    )
    const row = rows[0]!
    if (row.state !== 'blocked') wake.after()
    return { id: row.id, state: reportedState(row.state, runAt), deduplicated: row.deduplicated }
  } catch (err) {
    return mapDbError(err, queue)
  } finally {
    wake.settle()
  }
}

/**
 * Enqueue many jobs of one queue. Without keys or dependencies they are one
 * INSERT; otherwise each goes through `add_job()`. Pass a transaction to make
 * the batch all-or-nothing (a Db runs the fast path in one statement anyway).
 */
export async function addJobs(
  db: Queryable,
  queue: string,
  specs: readonly JobSpec[],
  opts: EnqueueOptions = {},
): Promise<AddedJob[]> {
  if (specs.length === 0) return []
  const simple = specs.every(
    (s) => s.key === undefined && (s.dependsOn === undefined || s.dependsOn.length === 0),
  )
  if (!simple) {
    const out: AddedJob[] = []
    for (const spec of specs) out.push(await addJob(db, queue, spec, opts))
    return out
  }
  const limit = opts.maxPayloadBytes ?? DEFAULT_LIMIT
  const n = specs.length
  const runAts = new Array<Date | null>(n)
  const now = Date.now()
  // The batch travels as one JSON document, each payload spliced in as the text encodePayload()
  // measured: half the client CPU of nine parameter arrays (node-pg escapes every element of
  // an array in JS), and 20-40% more jobs/s in an A/B of 4 callers x 100 jobs.
  let doc = '['
  for (let i = 0; i < n; i++) {
    const s = specs[i]!
    checkSpec(s, now)
    runAts[i] = s.runAt ?? null
    doc += `${i === 0 ? '' : ','}{"t":${JSON.stringify(s.task)},"p":${encodePayload(s.payload, limit)}`
    if (s.priority !== undefined) doc += `,"pr":${s.priority}`
    if (s.runAt) doc += `,"ra":"${s.runAt.toISOString()}"`
    if (s.maxAttempts !== undefined) doc += `,"ma":${s.maxAttempts}`
    if (s.groupKey !== undefined) doc += `,"g":${JSON.stringify(s.groupKey)}`
    if (s.timeoutMs != null) doc += `,"tm":${s.timeoutMs}`
    if (s.traceparent !== undefined) doc += `,"tp":${JSON.stringify(s.traceparent)}`
    doc += '}'
  }
  doc += ']'
  const schema = schemaOf(db, opts)
  // The earliest run time of the batch decides its wake-up (null: one is due now).
  let earliest: Date | null = runAts[0] ?? null
  for (const r of runAts) if (r === null || (earliest !== null && r < earliest)) earliest = r
  const wake = wakePlan(db, channelOf(db, opts), queue, earliest)
  try {
    // One statement, whose NOTIFY (when wakePlan puts it in the commit) is sent once for the batch.
    const { rows } = await db.query<{ id: string }>(
      // The queue is checked and locked once for the batch (sql/0002: no foreign key check per row).
      `WITH q AS (SELECT name, max_attempts FROM ${schema}.queues WHERE name = $1 FOR KEY SHARE),
       ins AS (
         INSERT INTO ${schema}.jobs (queue, task, payload, priority, run_at, max_attempts, group_key, timeout_ms, traceparent)
         SELECT q.name, j.t, j.p, coalesce(j.pr, 0), coalesce(j.ra, now()), coalesce(j.ma, q.max_attempts, 25), j.g, j.tm, j.tp
           FROM q, jsonb_to_recordset($2::jsonb)
             AS j(t text, p jsonb, pr int, ra timestamptz, ma int, g text, tm int, tp text)
         RETURNING id
       )
       -- Evaluated once per statement: one wake-up for the batch.
       SELECT id::text AS id FROM ins, (SELECT CASE WHEN $4::boolean THEN pg_notify($3, $1) END) AS wake`,
      [queue, doc, channelOf(db, opts), wake.inCommit],
    )
    // No row: the queue does not exist (the statement inserted nothing).
    if (rows.length === 0) throw JobsErrors.unknownQueue(queue)
    wake.after()
    return rows.map((r, i) => ({
      id: r.id,
      state: reportedState('waiting', runAts[i] ?? null, now),
      deduplicated: false,
    }))
  } catch (err) {
    return mapDbError(err, queue)
  } finally {
    wake.settle()
  }
}
