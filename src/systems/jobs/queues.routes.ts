/** `/jobs/queues`: list with counts, create or update, pause and resume; `/jobs/tasks`, `/jobs/counts`. */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import { JobsErrors } from '../../platform/jobs/errors.js'
import { STATES } from '../../platform/jobs/types.js'
import { emptyCounts, type JobsStore } from './jobs.store.js'
import type { QueuesStore } from './queues.store.js'
import { Counts, Name, Queue, QueueBody } from './schemas.js'
import type { JobsService } from './service.js'

export interface QueueRouteDeps {
  queues: QueuesStore
  jobs: JobsStore
  service: JobsService
}

const TAGS = ['queues']

export function queueRoutes(api: TypedApp, d: QueueRouteDeps): void {
  api.get(
    '/queues',
    {
      schema: {
        tags: TAGS,
        summary: 'Queues with their settings and job counts per state',
        response: { 200: Type.Object({ queues: Type.Array(Queue) }) },
      },
    },
    async () => {
      const [queues, counts] = await Promise.all([d.queues.list(), d.jobs.counts()])
      return { queues: queues.map((q) => ({ ...q, counts: counts.get(q.name) ?? emptyCounts() })) }
    },
  )

  api.get(
    '/queues/:queue',
    {
      schema: {
        tags: TAGS,
        summary: 'One queue with its job counts',
        params: Type.Object({ queue: Name }),
        response: { 200: Queue },
      },
    },
    async (req) => {
      const q = await d.queues.get(req.params.queue)
      if (!q) throw JobsErrors.unknownQueue(req.params.queue)
      const counts = await d.jobs.counts(q.name)
      return { ...q, counts: counts.get(q.name) ?? emptyCounts() }
    },
  )

  api.put(
    '/queues/:queue',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a queue, or change its concurrency, rate limits, job defaults and dead-letter queue',
        description:
          'concurrency caps jobs per process, globalConcurrency across every process (1: serial). rateLimit per ratePeriodMs caps jobs started in the whole queue; groupRateLimit per groupRatePeriodMs caps each groupKey. maxAttempts, backoffBaseMs/backoffMaxMs, retentionMs/deadRetentionMs are the defaults of its jobs; deadLetter names a queue that receives a copy of each job that dies after its last attempt. Omitted fields are null (defaults, no limit).',
        params: Type.Object({ queue: Name }),
        body: QueueBody,
        response: { 200: Queue, 201: Queue },
      },
    },
    async (req, reply) => {
      const b = req.body
      if ((b.rateLimit == null) !== (b.ratePeriodMs == null))
        throw JobsErrors.invalidRequest('rateLimit and ratePeriodMs go together', [
          'rateLimit',
          'ratePeriodMs',
        ])
      if ((b.groupRateLimit == null) !== (b.groupRatePeriodMs == null))
        throw JobsErrors.invalidRequest('groupRateLimit and groupRatePeriodMs go together', [
          'groupRateLimit',
          'groupRatePeriodMs',
        ])
      if (b.backoffBaseMs != null && b.backoffMaxMs != null && b.backoffBaseMs > b.backoffMaxMs)
        throw JobsErrors.invalidRequest('backoffBaseMs must not be over backoffMaxMs', ['backoffBaseMs'])
      if (b.deadLetter != null) {
        if (b.deadLetter === req.params.queue)
          throw JobsErrors.invalidRequest('deadLetter must name another queue', ['deadLetter'])
        if (!(await d.queues.get(b.deadLetter)))
          throw JobsErrors.invalidRequest(`deadLetter names no queue: ${b.deadLetter}`, ['deadLetter'])
      }
      const { queue, created } = await d.queues.upsert(req.params.queue, {
        concurrency: b.concurrency ?? null,
        rateLimit: b.rateLimit ?? null,
        ratePeriodMs: b.ratePeriodMs ?? null,
        groupRateLimit: b.groupRateLimit ?? null,
        groupRatePeriodMs: b.groupRatePeriodMs ?? null,
        globalConcurrency: b.globalConcurrency ?? null,
        maxAttempts: b.maxAttempts ?? null,
        backoffBaseMs: b.backoffBaseMs ?? null,
        backoffMaxMs: b.backoffMaxMs ?? null,
        retentionMs: b.retentionMs ?? null,
        deadRetentionMs: b.deadRetentionMs ?? null,
        deadLetter: b.deadLetter ?? null,
        pull: b.pull ?? false,
      })
      const counts = await d.jobs.counts(queue.name)
      return reply
        .code(created ? 201 : 200)
        .send({ ...queue, counts: counts.get(queue.name) ?? emptyCounts() })
    },
  )

  for (const action of ['pause', 'resume'] as const)
    api.post(
      `/queues/:queue/${action}`,
      {
        schema: {
          tags: TAGS,
          summary:
            action === 'pause' ? 'Pause a queue: workers take no new job from it' : 'Resume a paused queue',
          params: Type.Object({ queue: Name }),
          response: { 200: Type.Object({ name: Type.String(), paused: Type.Boolean() }) },
        },
      },
      async (req) => {
        const q = await d.queues.setPaused(req.params.queue, action === 'pause')
        if (!q) throw JobsErrors.unknownQueue(req.params.queue)
        return { name: q.name, paused: q.paused }
      },
    )

  api.get(
    '/counts',
    {
      schema: {
        tags: TAGS,
        summary: 'Job counts per queue and state, and totals',
        response: { 200: Type.Object({ total: Counts, queues: Type.Record(Type.String(), Counts) }) },
      },
    },
    async () => {
      const counts = await d.jobs.counts()
      const total = emptyCounts()
      for (const c of counts.values()) for (const s of STATES) total[s] += c[s]
      return { total, queues: Object.fromEntries(counts) }
    },
  )

  api.get(
    '/tasks',
    {
      schema: {
        tags: TAGS,
        summary: 'Task types this process can run',
        response: {
          200: Type.Object({
            tasks: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
          }),
        },
      },
    },
    async () => ({ tasks: d.service.taskList() }),
  )
}
