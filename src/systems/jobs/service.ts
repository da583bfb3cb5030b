/**
 * The domain service behind the REST API: checks a request against the task
 * registry, enqueues (one job, or a batch that may form a DAG by local
 * names), and honours Stripe-style Idempotency-Keys.
 */
import { createHash } from 'node:crypto'
import type { Db, Queryable } from '../../platform/db/port.js'
import { AppError, type InvalidParam, invalidParams } from '../../platform/errors.js'
import { addJob, addJobs, reportedState } from '../../platform/jobs/enqueue.js'
import { JobsErrors } from '../../platform/jobs/errors.js'
import { QueueOwnership } from '../../platform/jobs/system-tasks.js'
import type { AddedJob, JobSpec, StoredState, TaskRegistry } from '../../platform/jobs/types.js'
import { checkSpec, isJobId } from '../../platform/jobs/validate.js'

/** A job as the REST API receives it (JSON). */
export interface EnqueueInput {
  task: string
  payload?: unknown
  priority?: number
  runAt?: string
  maxAttempts?: number
  key?: string
  keyMode?: 'replace' | 'keep' | 'preserve_run_at'
  groupKey?: string
  timeoutMs?: number
  dependsOn?: string[]
  onParentFailure?: 'fail' | 'release'
}

/** A batch item may be named, and depend on earlier or later items by name. */
export interface BatchItem extends EnqueueInput {
  ref?: string
}

class IdempotencyRace extends Error {}

export class JobsService {
  private readonly ownership: QueueOwnership

  constructor(
    private readonly db: Db,
    private readonly tasks: TaskRegistry,
    private readonly maxPayloadBytes: number,
  ) {
    this.ownership = new QueueOwnership(db)
  }

  /** Task names this process knows. */
  taskNames(): string[] {
    return [...this.tasks.keys()].sort()
  }

  /** Tasks with their descriptions (GET /jobs/tasks). */
  taskList(): { name: string; description: string }[] {
    return this.taskNames().map((name) => ({ name, description: this.tasks.get(name)!.description ?? '' }))
  }

  /** Whether `queue` is a pull queue (its tasks are external workers', any name is accepted). */
  private async isPullQueue(queue: string): Promise<boolean> {
    const { rows } = await this.db.query<{ pull: boolean }>('SELECT pull FROM queues WHERE name = $1', [
      queue,
    ])
    return rows[0]?.pull === true
  }

  /**
   * Check the task exists and accepts the payload; then build the spec. In a
   * queue a system owns the task must be one of that system's (recorded at its
   * boot, sql/0012), wherever it runs. In a pull queue (`queue` given and pull)
   * a task this process does not run is accepted unchecked: external workers run it.
   */
  async toSpec(
    input: EnqueueInput,
    traceparent: string | undefined,
    dependsOn = input.dependsOn,
    queue?: string,
  ): Promise<JobSpec> {
    // A queue another system owns is fetched only by that system's processes: the task must be one of
    // its own, whether or not this process runs it (its payload is then checked only where it runs).
    const target = queue === undefined ? undefined : await this.ownership.of(queue)
    if (target?.owner && target.tasks && !target.tasks.includes(input.task))
      throw JobsErrors.notOwnersTask(input.task, queue!, target.owner, target.tasks)
    const def = this.tasks.get(input.task)
    if (!def && !target?.owner && !(queue !== undefined && (await this.isPullQueue(queue))))
      throw JobsErrors.unknownTask(input.task, this.taskNames())
    let runAt: Date | undefined
    if (input.runAt !== undefined) {
      runAt = new Date(input.runAt)
      if (Number.isNaN(runAt.getTime())) throw JobsErrors.invalidRunAt('is not an RFC 3339 date-time')
    }
    await def?.validate?.(input.payload)
    return {
      task: input.task,
      payload: input.payload ?? {},
      priority: input.priority,
      runAt,
      maxAttempts: input.maxAttempts,
      key: input.key,
      keyMode: input.keyMode,
      groupKey: input.groupKey,
      timeoutMs: input.timeoutMs,
      dependsOn,
      onParentFailure: input.onParentFailure,
      traceparent,
    }
  }

  /** Enqueue one job; with an Idempotency-Key, a repeat of the same request answers the same job. */
  async enqueue(
    queue: string,
    input: EnqueueInput,
    opts: { idempotencyKey?: string; traceparent?: string } = {},
  ): Promise<AddedJob & { replayed: boolean }> {
    const spec = await this.toSpec(input, opts.traceparent, input.dependsOn, queue)
    const o = { schema: this.db.schema, maxPayloadBytes: this.maxPayloadBytes }
    const idem = opts.idempotencyKey
    if (idem === undefined) return { ...(await addJob(this.db, queue, spec, o)), replayed: false }
    const hash = createHash('sha256')
      .update(JSON.stringify([queue, input]))
      .digest('hex')
    for (let tries = 0; ; tries++) {
      try {
        return await this.db.tx(async (tx) => {
          const prior = await this.replay(tx, idem, hash)
          if (prior) return prior
          const added = await addJob(tx, queue, spec, o)
          const ins = await tx.query(
            'INSERT INTO idempotency_keys (key, request_hash, job_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [idem, hash, added.id],
          )
          // Another request with this key committed first: undo ours and answer with theirs.
          if (ins.rowCount === 0) throw new IdempotencyRace()
          return { ...added, replayed: false }
        })
      } catch (err) {
        if (!(err instanceof IdempotencyRace) || tries >= 2) throw err
      }
    }
  }

  private async replay(
    tx: Queryable,
    key: string,
    hash: string,
  ): Promise<(AddedJob & { replayed: boolean }) | undefined> {
    const { rows } = await tx.query<{
      request_hash: string
      job_id: string
      state: StoredState | null
      run_at: Date
    }>(
      `SELECT k.request_hash, k.job_id::text AS job_id, j.state, j.run_at
         FROM idempotency_keys k LEFT JOIN jobs j ON j.id = k.job_id WHERE k.key = $1`,
      [key],
    )
    const row = rows[0]
    if (!row) return undefined
    if (row.request_hash !== hash) throw JobsErrors.idempotencyReused()
    return {
      id: row.job_id,
      state: row.state ? reportedState(row.state, row.run_at) : 'completed',
      deduplicated: false,
      replayed: true,
    }
  }

  /**
   * Enqueue a batch in one transaction. Items name each other with `ref` in
   * `dependsOn` (besides ids of existing jobs); a cycle is refused before
   * anything is written. Results come back in the order given.
   */
  async enqueueBatch(queue: string, items: BatchItem[], traceparent?: string): Promise<AddedJob[]> {
    const refs = new Map<string, number>()
    items.forEach((it, i) => {
      if (it.ref === undefined) return
      if (refs.has(it.ref))
        throw JobsErrors.invalid(
          `jobs[${i}].ref`,
          `${JSON.stringify(it.ref)} is the ref of an earlier item too`,
        )
      refs.set(it.ref, i)
    })
    const edges = items.map((it) => (it.dependsOn ?? []).filter((d) => refs.has(d)).map((d) => refs.get(d)!))
    for (const [i, it] of items.entries())
      for (const d of it.dependsOn ?? [])
        if (!refs.has(d) && !isJobId(d))
          throw JobsErrors.invalid(
            `jobs[${i}].dependsOn`,
            `${JSON.stringify(d)} is neither a job id nor a ref in this batch`,
          )
    const order = topoOrder(items, edges)
    const o = { schema: this.db.schema, maxPayloadBytes: this.maxPayloadBytes }
    const spec = (it: BatchItem, i: number, deps: string[] | undefined) =>
      atItem(i, async () => {
        const s = await this.toSpec(it, traceparent, deps, queue)
        checkSpec(s)
        return s
      })
    if (
      edges.every((e) => e.length === 0) &&
      items.every((it) => !it.dependsOn?.length && it.key === undefined)
    ) {
      const specs = await Promise.all(items.map((it, i) => spec(it, i, undefined)))
      return addJobs(this.db, queue, specs, o)
    }
    // Specs are checked before the transaction opens (validation may resolve DNS).
    const specs = await Promise.all(items.map((it, i) => spec(it, i, [])))
    return this.db.tx(async (tx) => {
      const out = new Array<AddedJob>(items.length)
      for (const i of order) {
        const deps = (items[i]!.dependsOn ?? []).map((d) => (refs.has(d) ? out[refs.get(d)!]!.id : d))
        out[i] = await addJob(tx, queue, { ...specs[i]!, dependsOn: deps }, o)
      }
      return out
    })
  }
}

/** Run `fn` for batch item `i`; a field it refuses is named within the batch (`task` -> `jobs[2].task`). */
async function atItem<T>(i: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const params =
      err instanceof AppError ? (err.extensions.invalidParams as InvalidParam[] | undefined) : undefined
    if (!params?.length) throw err
    const e = err as AppError
    throw invalidParams(
      e.code,
      e.status,
      params.map((p) => ({ name: `jobs[${i}].${p.name}`, reason: p.reason })),
      `jobs[${i}]: ${e.message}`,
    )
  }
}

/** Items in an order where every item comes after those it depends on; a cycle is a 422 naming it. */
export function topoOrder(items: { ref?: string }[], edges: number[][]): number[] {
  const state = new Array<0 | 1 | 2>(items.length).fill(0)
  const order: number[] = []
  const stack: number[] = []
  const visit = (i: number): void => {
    if (state[i] === 2) return
    if (state[i] === 1) {
      const cycle = stack.slice(stack.indexOf(i)).concat(i)
      throw JobsErrors.cycle(cycle.map((k) => items[k]!.ref ?? `#${k}`))
    }
    state[i] = 1
    stack.push(i)
    for (const d of edges[i]!) visit(d)
    stack.pop()
    state[i] = 2
    order.push(i)
  }
  for (let i = 0; i < items.length; i++) visit(i)
  return order
}
