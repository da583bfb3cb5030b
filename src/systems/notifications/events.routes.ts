/** `/notifications/v1/workflows` and `/events`: what to send, and triggering it (one, bulk, cancel, status). */
import { Type } from '@sinclair/typebox'
import type { Db } from '../../platform/db/port.js'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import { NotificationErrors } from './errors.js'
import { IdParams, TAGS, TriggerBody, WorkflowBody } from './schemas.js'
import type { Triggers } from './trigger.js'
import type { Step, WorkflowStore } from './workflows.js'

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})

export function eventRoutes(app: TypedApp, d: { db: Db; workflows: WorkflowStore; triggers: Triggers }) {
  app.put(
    '/v1/workflows/:id',
    { schema: { tags: TAGS, summary: 'Create or replace a workflow', params: IdParams, body: WorkflowBody } },
    async (req, reply) => {
      const b = req.body
      const { workflow, created } = await d.workflows.put({
        id: req.params.id,
        name: b.name ?? null,
        steps: b.steps as Step[],
        critical: b.critical ?? false,
        defaults: b.preferences ?? {},
      })
      return reply.code(created ? 201 : 200).send(workflow)
    },
  )
  app.get('/v1/workflows', { schema: { tags: TAGS, summary: 'List workflows' } }, async () => ({
    workflows: await d.workflows.list(),
  }))
  app.get(
    '/v1/workflows/:id',
    { schema: { tags: TAGS, summary: 'Get a workflow', params: IdParams } },
    async (req) => {
      const w = await d.workflows.get(d.db, req.params.id)
      if (!w) throw NotificationErrors.workflowNotFound(req.params.id)
      return w
    },
  )
  app.delete(
    '/v1/workflows/:id',
    { schema: { tags: TAGS, summary: 'Delete a workflow', params: IdParams } },
    async (req, reply) => {
      if (!(await d.workflows.delete(req.params.id))) throw NotificationErrors.workflowNotFound(req.params.id)
      return reply.code(204).send()
    },
  )

  app.post(
    '/v1/events/trigger',
    {
      schema: {
        tags: TAGS,
        summary:
          'Trigger a workflow for a subscriber, a list, or a topic; with Idempotency-Key, once whatever the retries',
        headers: IdempotencyHeaders,
        body: TriggerBody,
      },
    },
    async (req, reply) => {
      const r = await d.triggers.trigger(req.body, req.headers['idempotency-key'])
      if (!r.created) reply.header('idempotent-replayed', 'true')
      return reply
        .code(201)
        .send({ transactionId: r.transactionId, acknowledged: true, recipients: r.recipients })
    },
  )
  app.post(
    '/v1/events/trigger/bulk',
    {
      schema: {
        tags: TAGS,
        summary:
          'Trigger up to 100 events; each succeeds or fails alone (Idempotency-Key: event i uses <key>:<i>)',
        headers: IdempotencyHeaders,
        body: Type.Object(
          { events: Type.Array(TriggerBody, { minItems: 1, maxItems: 100 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key']
      const results = []
      for (const [i, e] of req.body.events.entries()) {
        try {
          const r = await d.triggers.trigger(e, key === undefined ? undefined : `${key}:${i}`)
          results.push({
            status: 201,
            transactionId: r.transactionId,
            recipients: r.recipients,
            replayed: !r.created,
          })
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err
          results.push({
            status: err.status,
            error: { code: err.code, detail: err.message, ...err.extensions },
          })
        }
      }
      return reply.code(207).send({ results })
    },
  )
  const TxParams = Type.Object({ transactionId: Type.String({ pattern: '^txn_[A-Za-z0-9_-]{1,40}$' }) })
  app.delete(
    '/v1/events/trigger/:transactionId',
    {
      schema: {
        tags: TAGS,
        summary: 'Cancel a trigger: steps and deliveries not yet done are not done',
        params: TxParams,
      },
    },
    async (req) => d.triggers.cancel(req.params.transactionId),
  )
  app.get(
    '/v1/events/:transactionId',
    {
      schema: {
        tags: TAGS,
        summary: "A trigger's state, each delivery's status and attempts",
        params: TxParams,
      },
    },
    async (req) => {
      const id = req.params.transactionId
      const { rows } = await d.db.query<Record<string, unknown>>(
        `SELECT id AS "transactionId", workflow_id AS "workflowId", state, recipients, source, payload, created_at AS "createdAt"
           FROM transactions WHERE id = $1`,
        [id],
      )
      if (!rows[0]) throw NotificationErrors.transactionNotFound(id)
      const { rows: deliveries } = await d.db.query(
        `SELECT d.id, d.subscriber_id AS "subscriberId", d.step, d.channel, d.status, d.reason, d.attempts,
                d.created_at AS "createdAt", d.updated_at AS "updatedAt",
                COALESCE((SELECT json_agg(json_build_object('n', a.n, 'status', a.status, 'detail', a.detail, 'at', a.at) ORDER BY a.n)
                            FROM attempts a WHERE a.delivery_id = d.id), '[]') AS "attemptLog"
           FROM deliveries d WHERE d.transaction_id = $1 ORDER BY d.subscriber_id, d.step LIMIT 1000`,
        [id],
      )
      return { ...rows[0], deliveries }
    },
  )
}
