/**
 * `/jobs/pull/*`: the pull API for workers in any language (pull.ts). Lease
 * jobs of pull queues, extend the leases while working, then complete or
 * fail each job naming its lease token; a token whose lease expired is
 * refused with 409 JOBS_LEASE_LOST.
 */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import type { PullService } from './pull.js'
import { JobId, Name } from './schemas.js'

export interface PullRouteDeps {
  pull: PullService
  defaultLeaseMs: number
}

const TAGS = ['jobs']
const Worker = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'who leases (recorded on the job and on each failed attempt)',
})
const LeaseToken = Type.String({ pattern: '^[0-9]{1,19}$', description: 'the lease token fetch gave' })
const LeaseMs = Type.Integer({
  minimum: 1_000,
  maximum: 3_600_000,
  description: 'lease length (default JOBS_LEASE_MS)',
})
const Lease = Type.Object({ id: JobId, leaseToken: LeaseToken }, { additionalProperties: false })

const PulledJob = Type.Object({
  id: Type.String(),
  queue: Type.String(),
  task: Type.String(),
  payload: Type.Unknown(),
  attempt: Type.Integer({ description: '1 on the first attempt' }),
  maxAttempts: Type.Integer(),
  leaseToken: Type.String(),
  leaseExpiresAt: Type.String(),
  runAt: Type.String(),
  groupKey: Type.Union([Type.String(), Type.Null()]),
  traceparent: Type.Union([Type.String(), Type.Null()]),
})

export function pullRoutes(api: TypedApp, d: PullRouteDeps): void {
  api.post(
    '/pull/fetch',
    {
      schema: {
        tags: TAGS,
        summary: 'Lease jobs of pull queues (long polling with waitMs)',
        description:
          'Leases up to `max` runnable jobs of the pull `queues` (of `tasks` only, when given), highest priority ' +
          'first, for `leaseMs`. With `waitMs`, waits that long for a job when none is runnable. Each job comes ' +
          'with the `leaseToken` that heartbeat, complete and fail must name.',
        body: Type.Object(
          {
            worker: Worker,
            queues: Type.Array(Name, { minItems: 1, maxItems: 50, uniqueItems: true }),
            tasks: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100 }),
            ),
            max: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 1 })),
            leaseMs: Type.Optional(LeaseMs),
            waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ jobs: Type.Array(PulledJob) }) },
      },
    },
    async (req, reply) => {
      // The client gone before the answer (killed while polling): what was fetched for it is handed back.
      const closed = new AbortController()
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) closed.abort()
      })
      const b = req.body
      const jobs = await d.pull.fetch(
        {
          worker: b.worker,
          queues: b.queues,
          tasks: b.tasks,
          max: b.max ?? 1,
          leaseMs: b.leaseMs ?? d.defaultLeaseMs,
          waitMs: b.waitMs ?? 0,
        },
        closed.signal,
      )
      return { jobs }
    },
  )

  api.post(
    '/pull/heartbeat',
    {
      schema: {
        tags: TAGS,
        summary: 'Extend the leases of jobs being worked on',
        description: '`held`: leases extended by `leaseMs`; `lost`: no longer held (stop working on those).',
        body: Type.Object(
          { jobs: Type.Array(Lease, { minItems: 1, maxItems: 1000 }), leaseMs: Type.Optional(LeaseMs) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ held: Type.Array(Type.String()), lost: Type.Array(Type.String()) }) },
      },
    },
    async (req) => d.pull.heartbeat(req.body.jobs, req.body.leaseMs ?? d.defaultLeaseMs),
  )

  api.post(
    '/pull/complete',
    {
      schema: {
        tags: TAGS,
        summary: 'Complete a leased job (409 JOBS_LEASE_LOST when the lease is no longer held)',
        body: Type.Object(
          { id: JobId, leaseToken: LeaseToken, result: Type.Optional(Type.Unknown()) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ id: Type.String(), state: Type.Literal('completed') }) },
      },
    },
    async (req) => {
      await d.pull.complete(req.body.id, req.body.leaseToken, req.body.result)
      return { id: req.body.id, state: 'completed' as const }
    },
  )

  api.post(
    '/pull/fail',
    {
      schema: {
        tags: TAGS,
        summary: "Fail a leased job's attempt: retried with backoff, or dead after its last attempt",
        body: Type.Object(
          {
            id: JobId,
            leaseToken: LeaseToken,
            worker: Type.Optional(Worker),
            error: Type.String({ minLength: 1, maxLength: 10_000 }),
            stack: Type.Optional(Type.String({ maxLength: 100_000 })),
            retryInMs: Type.Optional(
              Type.Integer({ minimum: 0, maximum: 604_800_000, description: 'default: the queue’s backoff' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            id: Type.String(),
            state: Type.Union([Type.Literal('failed'), Type.Literal('dead')]),
          }),
        },
      },
    },
    async (req) => {
      const b = req.body
      const state = await d.pull.fail(b.id, b.leaseToken, b.worker ?? 'pull', b.error, b.stack, b.retryInMs)
      return { id: b.id, state }
    },
  )
}
