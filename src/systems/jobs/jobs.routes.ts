/** `/jobs/queues/{queue}/jobs` (enqueue) and `/jobs/jobs/...` (read, list, cancel, redrive). */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import { reportedState } from '../../platform/jobs/enqueue.js'
import { JobsErrors } from '../../platform/jobs/errors.js'
import { isJobId } from '../../platform/jobs/validate.js'
import type { JobsStore } from './jobs.store.js'
import { Added, BatchBody, EnqueueBody, Job, JobId, Name, RedriveBody, State } from './schemas.js'
import type { JobsService } from './service.js'

export interface JobRouteDeps {
  service: JobsService
  jobs: JobsStore
}

const TAGS = ['jobs']
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

function traceparentOf(headers: Record<string, unknown>): string | undefined {
  const t = headers.traceparent
  return typeof t === 'string' && TRACEPARENT.test(t) ? t : undefined
}

function checkedId(id: string): string {
  if (!isJobId(id)) throw JobsErrors.unknownJob(id)
  return id
}

export function jobRoutes(api: TypedApp, d: JobRouteDeps): void {
  api.post(
    '/queues/:queue/jobs',
    {
      schema: {
        tags: TAGS,
        summary: 'Enqueue a job',
        description:
          'Answers 201 with the job id and state. An `Idempotency-Key` header makes retries safe: the same key ' +
          'and body answer the same job (200 on a replay); the same key with another body is a 422.',
        params: Type.Object({ queue: Name }),
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: EnqueueBody,
        response: { 200: Added, 201: Added },
      },
    },
    async (req, reply) => {
      const idem = req.headers['idempotency-key']
      if (idem !== undefined && !IDEMPOTENCY_KEY.test(idem))
        throw JobsErrors.invalid('Idempotency-Key', 'must be 1 to 255 visible ASCII characters')
      const out = await d.service.enqueue(req.params.queue, req.body, {
        idempotencyKey: idem,
        traceparent: traceparentOf(req.headers),
      })
      if (out.replayed) reply.header('idempotent-replayed', 'true')
      return reply
        .code(out.replayed ? 200 : 201)
        .send({ id: out.id, state: out.state, deduplicated: out.deduplicated })
    },
  )

  api.post(
    '/queues/:queue/jobs/batch',
    {
      schema: {
        tags: TAGS,
        summary: 'Enqueue up to 1,000 jobs in one transaction',
        description:
          'Items may name each other (`ref`) in `dependsOn` to form a DAG; a cycle is refused (422) before anything is written.',
        params: Type.Object({ queue: Name }),
        body: BatchBody,
        response: { 201: Type.Object({ jobs: Type.Array(Added) }) },
      },
    },
    async (req, reply) => {
      const jobs = await d.service.enqueueBatch(req.params.queue, req.body.jobs, traceparentOf(req.headers))
      return reply.code(201).send({ jobs })
    },
  )

  api.get(
    '/jobs',
    {
      schema: {
        tags: TAGS,
        summary: 'List jobs, newest (or oldest) first, a page at a time',
        description:
          'Keyset paging by id: `next` is the cursor of the following page, to pass as `before` (newest ' +
          'first, the default) or `after` (`order=oldest`); null on the last page. Every filter combines ' +
          'with both orders, and a page never skips or repeats a job, however many are added meanwhile.',
        querystring: Type.Object({
          queue: Type.Optional(Name),
          state: Type.Optional(State),
          task: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          order: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('oldest')])),
          before: Type.Optional(JobId),
          after: Type.Optional(JobId),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: {
          200: Type.Object({ jobs: Type.Array(Job), next: Type.Union([Type.String(), Type.Null()]) }),
        },
      },
    },
    async (req) => {
      for (const name of ['before', 'after'] as const) {
        const v = req.query[name]
        if (v !== undefined && !isJobId(v)) throw JobsErrors.invalid(name, 'is not a job id')
      }
      return d.jobs.list({ ...req.query, limit: req.query.limit ?? 50 })
    },
  )

  api.get(
    '/jobs/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'A job with its state and attempts',
        params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
        response: { 200: Job },
      },
    },
    async (req) => {
      const job = await d.jobs.get(checkedId(req.params.id))
      if (!job) throw JobsErrors.unknownJob(req.params.id)
      return job
    },
  )

  api.post(
    '/jobs/:id/cancel',
    {
      schema: {
        tags: TAGS,
        summary: 'Cancel a job that has not finished (a running one is aborted at its next heartbeat)',
        params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
        response: { 200: Type.Object({ id: Type.String(), state: State }) },
      },
    },
    async (req) => {
      const id = checkedId(req.params.id)
      const out = await d.jobs.cancel(id)
      if (!out) throw JobsErrors.unknownJob(id)
      if (!out.cancelled) throw JobsErrors.notCancellable(id, reportedState(out.before, null))
      return { id, state: 'cancelled' as const }
    },
  )

  api.post(
    '/jobs/:id/redrive',
    {
      schema: {
        tags: TAGS,
        summary: 'Put a dead or cancelled job back in its queue with fresh attempts',
        params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
        response: { 200: Type.Object({ id: Type.String(), state: State }) },
      },
    },
    async (req) => {
      const id = checkedId(req.params.id)
      const done = await d.jobs.redrive({ ids: [id] })
      if (done.length === 0) {
        const state = await d.jobs.state(id)
        if (!state) throw JobsErrors.unknownJob(id)
        throw JobsErrors.notRedrivable(id, reportedState(state, null))
      }
      const state = await d.jobs.state(id)
      return { id, state: reportedState(state ?? 'waiting', null) }
    },
  )

  api.post(
    '/redrive',
    {
      schema: {
        tags: TAGS,
        summary: 'Redrive dead and cancelled jobs by ids, queue, task, or all',
        body: RedriveBody,
        response: { 200: Type.Object({ redriven: Type.Integer(), ids: Type.Array(Type.String()) }) },
      },
    },
    async (req) => {
      const { ids, queue, task, all } = req.body
      if (ids === undefined && queue === undefined && task === undefined && all !== true)
        throw JobsErrors.invalidRequest(
          'give ids, queue or task, or all: true to redrive every dead and cancelled job',
          ['ids', 'queue', 'task', 'all'],
        )
      // An id past bigint (19 digits pass the schema) names no job.
      const done = await d.jobs.redrive({ ids: ids?.filter(isJobId), queue, task })
      return { redriven: done.length, ids: done.slice(0, 1000) }
    },
  )
}
