/**
 * The step runner: the job that walks a workflow's steps for one subscriber of one trigger. It
 * goes through the steps that need no wait in one transaction, which is also the job's
 * completion (`completeWith`): a delivery row and its job for each allowed channel step, a
 * skipped row for a muted one, then the next job at a delay or a digest's end. A run killed
 * mid-way rolls back whole and runs again; the unique (trigger, subscriber, step) key of
 * deliveries makes a second pass a no-op. Digests: under an advisory lock per (workflow,
 * subscriber, step), an event joins the window that is open at that moment (by the database's
 * clock), or opens one and schedules its end; the job at the end takes the same lock, so the
 * digest holds exactly the events whose append came before the window closed.
 */
import type { Queryable } from '../../platform/db/port.js'
import type { SystemJobs } from '../../platform/jobs/declaration.js'
import type { TaskDefinition } from '../../platform/jobs/types.js'
import { deliveryId } from './ids.js'
import { decideChannel, type PreferenceRow, quietUntil } from './preferences.js'
import {
  DELIVER_TASK,
  DELIVERIES_QUEUE,
  type DeliverPayload,
  RUN_TASK,
  RUNS_QUEUE,
  type RunPayload,
} from './queues.js'
import { inSchema } from './schema-tx.js'
import type { SubscriberRow, SubscriberStore } from './subscribers.js'
import { type Channel, type ChannelStep, isChannelStep, type Step } from './workflows.js'

interface TransactionRow {
  id: string
  workflow_id: string
  steps: Step[]
  critical: boolean
  state: string
}

export interface RunnerOptions {
  /** Our schema (completeWith's transaction starts on the job tables'). */
  schema: string
  jobs: SystemJobs
  subscribers: SubscriberStore
  maxAttempts: number
  /** Workflow defaults, read at run time (the copy in the trigger has the steps only). */
  defaults: (db: Queryable, workflowId: string) => Promise<Partial<Record<Channel, boolean>>>
  onDelivery?: (channel: Channel, status: string) => void
}

/** Channels whose deliveries wait out the subscriber's quiet hours (the inbox is silent anyway; webhooks reach machines). */
const QUIET: ReadonlySet<Channel> = new Set(['email', 'push'])

const lockKey = (workflow: string, subscriber: string, step: number) => `${workflow}\n${subscriber}\n${step}`

export function runTask(o: RunnerOptions): TaskDefinition {
  return {
    description: 'Run the next steps of a workflow for one subscriber of a trigger',
    validate(payload) {
      const p = payload as RunPayload
      if (typeof p?.t !== 'string' || typeof p.s !== 'string' || !Number.isInteger(p.i))
        throw new Error('payload must be {t, s, i}')
    },
    handler: (payload, ctx) =>
      ctx.completeWith((tx) => inSchema(tx, o.schema, (q) => run(o, q, payload as RunPayload))),
  }
}

async function run(o: RunnerOptions, tx: Queryable, p: RunPayload): Promise<unknown> {
  const { rows } = await tx.query<TransactionRow>(
    'SELECT id, workflow_id, steps, critical, state FROM transactions WHERE id = $1',
    [p.t],
  )
  const txn = rows[0]
  if (!txn) return { stopped: 'trigger deleted' }
  if (txn.state === 'cancelled') return { stopped: 'cancelled' }
  const sub = await o.subscribers.get(tx, p.s)
  if (!sub) return { stopped: 'subscriber deleted' }
  let prefs: PreferenceRow[] | undefined
  let defaults: Partial<Record<Channel, boolean>> | undefined
  const decide = async (channel: Channel) => {
    prefs ??= await o.subscribers.preferences(tx, sub.id)
    defaults ??= await o.defaults(tx, txn.workflow_id)
    return decideChannel(prefs, { id: txn.workflow_id, critical: txn.critical, defaults }, channel)
  }
  const digest = p.d
  if (digest !== undefined) {
    const wait = await closeDigest(tx, txn, p, digest)
    if (wait) {
      await o.jobs.addJob(tx, RUNS_QUEUE, { task: RUN_TASK, payload: p, runAt: wait, groupKey: p.s })
      return { waiting: 'digest window' }
    }
  }
  const done: string[] = []
  for (let k = p.i; k < txn.steps.length; k++) {
    const step = txn.steps[k]!
    if (isChannelStep(step)) {
      done.push(await deliver(o, tx, txn, sub, k, step, digest, await decide(step.channel)))
      continue
    }
    if (step.type === 'delay') {
      const next: RunPayload = { ...p, i: k + 1, ...(digest !== undefined && { d: digest }) }
      await o.jobs.addJob(tx, RUNS_QUEUE, {
        task: RUN_TASK,
        payload: next,
        runAt: new Date(Date.now() + step.ms),
        groupKey: p.s,
      })
      return { steps: done, waiting: `delay at step ${k}` }
    }
    if (step.type === 'digest') {
      const joined = await joinDigest(o, tx, txn, p, k, step.ms)
      return { steps: done, digest: joined }
    }
    if (step.type !== 'branch') continue
    const c = step.if
    let holds: boolean
    if ('enabled' in c) holds = (await decide(c.enabled)).allowed
    else {
      const ref = 'read' in c ? c.read : c.unread
      const { rows: m } = await tx.query<{ read: boolean }>(
        'SELECT read_at IS NOT NULL AS read FROM inbox_messages WHERE id = $1',
        [deliveryId(txn.id, sub.id, ref)],
      )
      const read = m[0]?.read ?? false
      holds = 'read' in c ? read : !read
    }
    if (!holds) return { steps: done, stopped: `branch at step ${k}` }
  }
  return { steps: done, finished: true }
}

/** Write the delivery of step `k` (once) and, when allowed, its job (after quiet hours). */
async function deliver(
  o: RunnerOptions,
  tx: Queryable,
  txn: TransactionRow,
  sub: SubscriberRow,
  k: number,
  step: ChannelStep,
  digest: string | undefined,
  decision: { allowed: boolean; reason?: string },
): Promise<string> {
  const id = deliveryId(txn.id, sub.id, k)
  const quiet =
    decision.allowed &&
    !txn.critical &&
    QUIET.has(step.channel) &&
    sub.quiet_start !== null &&
    sub.quiet_end !== null
      ? quietUntil(new Date(), { start: sub.quiet_start, end: sub.quiet_end!, timeZone: sub.timezone })
      : undefined
  const status = !decision.allowed ? 'skipped' : quiet ? 'deferred' : 'queued'
  const reason = !decision.allowed ? decision.reason : quiet ? 'quiet hours' : decision.reason
  const { rows } = await tx.query(
    `INSERT INTO deliveries (id, transaction_id, subscriber_id, step, channel, status, reason, digest_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (transaction_id, subscriber_id, step) DO NOTHING RETURNING id`,
    [id, txn.id, sub.id, k, step.channel, status, reason ?? null, digest ?? null],
  )
  if (rows.length === 0) return `${step.channel}: already`
  o.onDelivery?.(step.channel, status)
  if (decision.allowed)
    await o.jobs.addJob(tx, DELIVERIES_QUEUE, {
      task: DELIVER_TASK,
      payload: { id } satisfies DeliverPayload,
      maxAttempts: o.maxAttempts,
      ...(quiet && { runAt: quiet }),
      groupKey: step.channel === 'webhook' ? `webhook:${sub.id}` : step.channel,
    })
  return `${step.channel}: ${status}`
}

/** Add this trigger's event to the subscriber's open window of step `k`, or open one. */
async function joinDigest(
  o: RunnerOptions,
  tx: Queryable,
  txn: TransactionRow,
  p: RunPayload,
  k: number,
  ms: number,
): Promise<string> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey(txn.workflow_id, p.s, k)])
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id::text FROM digests WHERE workflow_id = $1 AND subscriber_id = $2 AND step = $3
        AND window_end > clock_timestamp() ORDER BY window_end DESC LIMIT 1`,
    [txn.workflow_id, p.s, k],
  )
  let id = rows[0]?.id
  let opened = false
  if (!id) {
    const { rows: made } = await tx.query<{ id: string; window_end: Date }>(
      `INSERT INTO digests (workflow_id, subscriber_id, step, opened_at, window_end, transaction_id)
       VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp() + make_interval(secs => $4::float8 / 1000), $5)
       RETURNING id::text, window_end`,
      [txn.workflow_id, p.s, k, ms, txn.id],
    )
    id = made[0]!.id
    opened = true
    await o.jobs.addJob(tx, RUNS_QUEUE, {
      task: RUN_TASK,
      payload: { t: txn.id, s: p.s, i: k + 1, d: id } satisfies RunPayload,
      runAt: made[0]!.window_end,
      groupKey: p.s,
    })
  }
  await tx.query(
    `INSERT INTO digest_events (digest_id, transaction_id, payload, at)
     SELECT $1, $2, t.payload, clock_timestamp() FROM transactions t WHERE t.id = $2
     ON CONFLICT DO NOTHING`,
    [id, txn.id],
  )
  return opened ? `opened ${id}` : `joined ${id}`
}

/** At a digest's end: take its lock (appends before it are in); a job that woke early is told when to come back. */
async function closeDigest(
  tx: Queryable,
  txn: TransactionRow,
  p: RunPayload,
  digest: string,
): Promise<Date | undefined> {
  const { rows } = await tx.query<{ step: number; window_end: Date; early: boolean }>(
    'SELECT step, window_end, window_end > clock_timestamp() AS early FROM digests WHERE id = $1',
    [digest],
  )
  const d = rows[0]
  if (!d) return undefined
  if (d.early) return d.window_end
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    lockKey(txn.workflow_id, p.s, d.step),
  ])
  return undefined
}
