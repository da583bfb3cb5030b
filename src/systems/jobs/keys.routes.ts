/**
 * `/jobs/queues/{queue}/keys/{key}`: the pending job with a key (a dedupe or
 * debounce key given at enqueue), read, removed or rescheduled by that key,
 * as graphile-worker's remove_job() and reschedule_jobs() do it.
 */
import { Type } from '@sinclair/typebox'
import type { Db } from '../../platform/db/port.js'
import type { TypedApp } from '../../platform/http/types.js'
import { JobsErrors } from '../../platform/jobs/errors.js'
import { removeJob, rescheduleJob } from '../../platform/jobs/keyed-jobs.js'
import { checkSpec } from '../../platform/jobs/validate.js'
import type { JobsStore } from './jobs.store.js'
import { Job, Name, State } from './schemas.js'

export interface KeyRouteDeps {
  db: Db
  jobs: JobsStore
}

const TAGS = ['jobs']
const Params = Type.Object({ queue: Name, key: Type.String({ minLength: 1, maxLength: 500 }) })

export function keyRoutes(api: TypedApp, d: KeyRouteDeps): void {
  api.get(
    '/queues/:queue/keys/:key',
    {
      schema: {
        tags: TAGS,
        summary: 'The pending job with this key',
        description:
          'Waiting, scheduled, blocked or failed awaiting its retry; 404 when no pending job has the key.',
        params: Params,
        response: { 200: Job },
      },
    },
    async (req) => {
      const { queue, key } = req.params
      const { rows } = await d.db.query<{ id: string }>(
        `SELECT id::text AS id FROM jobs WHERE queue = $1 AND key = $2 AND state IN ('waiting', 'blocked', 'failed')`,
        [queue, key],
      )
      const job = rows[0] && (await d.jobs.get(rows[0].id))
      if (!job) throw JobsErrors.unknownKey(queue, key)
      return job
    },
  )

  api.delete(
    '/queues/:queue/keys/:key',
    {
      schema: {
        tags: TAGS,
        summary: 'Remove the pending job with this key',
        description:
          'Deletes it (a `jobs.job.removed` event says so). A running or finished job does not hold its key and ' +
          'is not touched (404); a job other jobs depend on is refused (409 JOBS_HAS_DEPENDENTS): cancel it instead.',
        params: Params,
        response: {
          200: Type.Object({ id: Type.String(), state: State, removed: Type.Literal(true) }),
        },
      },
    },
    async (req) => {
      const { queue, key } = req.params
      const out = await removeJob(d.db, queue, key)
      if (!out) throw JobsErrors.unknownKey(queue, key)
      return { id: out.id, state: out.state, removed: true as const }
    },
  )

  api.patch(
    '/queues/:queue/keys/:key',
    {
      schema: {
        tags: TAGS,
        summary: 'Reschedule the pending job with this key',
        description:
          'Sets its `runAt`, `priority` and/or `maxAttempts` (at least one more than the attempts it made); ' +
          'fields left out are unchanged.',
        params: Params,
        body: Type.Object(
          {
            runAt: Type.Optional(Type.String({ format: 'date-time' })),
            priority: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
            maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            id: Type.String(),
            state: State,
            runAt: Type.String(),
            priority: Type.Integer(),
            maxAttempts: Type.Integer(),
          }),
        },
      },
    },
    async (req) => {
      const { queue, key } = req.params
      const { runAt: at, priority, maxAttempts } = req.body
      if (at === undefined && priority === undefined && maxAttempts === undefined)
        throw JobsErrors.invalidRequest('give runAt, priority or maxAttempts', [
          'runAt',
          'priority',
          'maxAttempts',
        ])
      const runAt = at === undefined ? undefined : new Date(at)
      checkSpec({ task: 'reschedule', runAt, priority, maxAttempts })
      const out = await rescheduleJob(d.db, queue, key, { runAt, priority, maxAttempts })
      if (!out) throw JobsErrors.unknownKey(queue, key)
      return out
    },
  )
}
