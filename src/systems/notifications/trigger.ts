/**
 * Accepting triggers: `POST /events/trigger` (and its bulk form, and Bus events). A trigger is
 * checked whole (workflow, recipients, templates against the payload), then written with one
 * step job per recipient in one transaction: the trigger exists, and will run, if and only if
 * that commits. With an Idempotency-Key the transactions row is unique by key, so a retry (or a
 * concurrent duplicate, which waits on the first one's uncommitted row) finds the first trigger
 * and gets its transactionId back: one trigger is processed once whatever the retries.
 */
import type { Db, Queryable } from '../../platform/db/port.js'
import type { SystemJobs } from '../../platform/jobs/declaration.js'
import { NotificationErrors } from './errors.js'
import { newTransactionId, requestHash } from './ids.js'
import { RUN_TASK, RUNS_QUEUE, type RunPayload } from './queues.js'
import type { SubscriberStore, TopicStore } from './subscribers.js'
import { checkPayload } from './views.js'
import type { WorkflowStore } from './workflows.js'

export type Recipients = string | string[] | { topic: string }

export interface TriggerInput {
  name: string
  to: Recipients
  payload?: Record<string, unknown>
}

export interface TriggerResult {
  transactionId: string
  /** False when the Idempotency-Key named an earlier trigger (nothing new was done). */
  created: boolean
  recipients: number
}

export interface TriggerOptions {
  db: Db
  jobs: SystemJobs
  workflows: WorkflowStore
  subscribers: SubscriberStore
  topics: TopicStore
  maxRecipients: number
  maxPayloadBytes: number
  onAccepted?: (recipients: number) => void
}

interface ExistingRow {
  id: string
  request_hash: string
  recipients: number
}

export class Triggers {
  constructor(private readonly o: TriggerOptions) {}

  /** Accept one trigger (see the file comment); `source` records where it came from (api, bus). */
  async trigger(input: TriggerInput, idempotencyKey?: string, source = 'api'): Promise<TriggerResult> {
    const payload = input.payload ?? {}
    const size = Buffer.byteLength(JSON.stringify(payload))
    if (size > this.o.maxPayloadBytes) throw NotificationErrors.payloadTooLarge(size, this.o.maxPayloadBytes)
    const hash = requestHash({ name: input.name, to: input.to, payload })
    if (idempotencyKey) {
      const seen = await this.existing(this.o.db, idempotencyKey, hash)
      if (seen) return seen
    }
    const workflow = await this.o.workflows.get(this.o.db, input.name)
    if (!workflow) throw NotificationErrors.unknownWorkflow(input.name)
    checkPayload(workflow.steps, payload)
    return this.o.db.tx(async (tx) => {
      const recipients = await this.resolve(tx, input.to)
      const id = newTransactionId()
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO transactions (id, idempotency_key, request_hash, workflow_id, steps, critical, payload, recipients, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
        [
          id,
          idempotencyKey ?? null,
          hash,
          workflow.id,
          JSON.stringify(workflow.steps),
          workflow.critical,
          JSON.stringify(payload),
          recipients.length,
          source,
        ],
      )
      if (rows.length === 0) {
        // A concurrent request with this key committed first (we waited on its row): its trigger is the one.
        const seen = await this.existing(tx, idempotencyKey!, hash)
        if (!seen) throw new Error('idempotency key conflict without a row')
        return seen
      }
      if (recipients.length > 0)
        await this.o.jobs.addJobs(
          tx,
          RUNS_QUEUE,
          recipients.map((s) => ({
            task: RUN_TASK,
            payload: { t: id, s, i: 0 } satisfies RunPayload,
            // One subscriber's runs never starve another's.
            groupKey: s,
          })),
        )
      this.o.onAccepted?.(recipients.length)
      return { transactionId: id, created: true, recipients: recipients.length }
    })
  }

  private async existing(db: Queryable, key: string, hash: string): Promise<TriggerResult | undefined> {
    const { rows } = await db.query<ExistingRow>(
      'SELECT id, request_hash, recipients FROM transactions WHERE idempotency_key = $1',
      [key],
    )
    const row = rows[0]
    if (!row) return undefined
    if (row.request_hash !== hash) throw NotificationErrors.idempotencyMismatch(key)
    return { transactionId: row.id, created: false, recipients: row.recipients }
  }

  /** The subscriber ids a trigger reaches (deduplicated), all existing; 422 otherwise. */
  private async resolve(tx: Queryable, to: Recipients): Promise<string[]> {
    if (typeof to === 'object' && !Array.isArray(to)) {
      if (!(await this.o.topics.exists(tx, to.topic)))
        throw NotificationErrors.invalid('to.topic', `${to.topic} does not exist`)
      const members = await this.o.topics.members(tx, to.topic, this.o.maxRecipients + 1)
      if (members.length > this.o.maxRecipients)
        throw NotificationErrors.tooManyRecipients(members.length, this.o.maxRecipients)
      return members
    }
    const ids = [...new Set(Array.isArray(to) ? to : [to])]
    if (ids.length > this.o.maxRecipients)
      throw NotificationErrors.tooManyRecipients(ids.length, this.o.maxRecipients)
    const missing = await this.o.subscribers.missing(tx, ids)
    if (missing.length > 0) throw NotificationErrors.subscribersNotFound(missing)
    return ids
  }

  /** Cancel a trigger: steps and deliveries not yet done are not done. Returns the deliveries stopped. */
  async cancel(id: string): Promise<{ cancelled: boolean; deliveriesStopped: number }> {
    return this.o.db.tx(async (tx) => {
      const { rows } = await tx.query<{ state: string }>(
        'SELECT state FROM transactions WHERE id = $1 FOR UPDATE',
        [id],
      )
      if (!rows[0]) throw NotificationErrors.transactionNotFound(id)
      if (rows[0].state === 'cancelled') return { cancelled: false, deliveriesStopped: 0 }
      await tx.query(`UPDATE transactions SET state = 'cancelled' WHERE id = $1`, [id])
      const { rowCount } = await tx.query(
        `UPDATE deliveries SET status = 'cancelled', updated_at = now()
          WHERE transaction_id = $1 AND status IN ('queued', 'deferred')`,
        [id],
      )
      return { cancelled: true, deliveriesStopped: rowCount }
    })
  }
}
