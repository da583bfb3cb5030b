/** `/jobs/schedules`: cron schedules, create or replace, read, list, delete. */
import { Type } from '@sinclair/typebox'
import type { TypedApp } from '../../platform/http/types.js'
import { checkCron } from '../../platform/jobs/cron.js'
import { JobsErrors } from '../../platform/jobs/errors.js'
import type { SchedulesStore } from './schedules.store.js'
import { Name, Schedule, ScheduleBody } from './schemas.js'
import type { JobsService } from './service.js'

export interface ScheduleRouteDeps {
  schedules: SchedulesStore
  service: JobsService
}

const TAGS = ['schedules']

export function scheduleRoutes(api: TypedApp, d: ScheduleRouteDeps): void {
  api.get(
    '/schedules',
    {
      schema: {
        tags: TAGS,
        summary: 'Cron schedules',
        response: { 200: Type.Object({ schedules: Type.Array(Schedule) }) },
      },
    },
    async () => ({ schedules: await d.schedules.list() }),
  )

  api.get(
    '/schedules/:name',
    {
      schema: {
        tags: TAGS,
        summary: 'One cron schedule',
        params: Type.Object({ name: Name }),
        response: { 200: Schedule },
      },
    },
    async (req) => {
      const s = await d.schedules.get(req.params.name)
      if (!s) throw JobsErrors.unknownSchedule(req.params.name)
      return s
    },
  )

  api.put(
    '/schedules/:name',
    {
      schema: {
        tags: TAGS,
        summary: 'Create or replace a cron schedule',
        description:
          'Each tick enqueues one job of `task` into `queue`, exactly once however many schedulers run. catchUp says what ticks missed during downtime do: all, latest (default), none.',
        params: Type.Object({ name: Name }),
        body: ScheduleBody,
        response: { 200: Schedule, 201: Schedule },
      },
    },
    async (req, reply) => {
      const b = req.body
      const tz = b.tz ?? 'UTC'
      checkCron(b.cron, tz)
      // The task and payload are checked as an enqueue would check them.
      await d.service.toSpec({ task: b.task, payload: b.payload }, undefined, undefined, b.queue ?? 'default')
      const { schedule, created } = await d.schedules.put(req.params.name, {
        queue: b.queue ?? 'default',
        task: b.task,
        payload: b.payload ?? {},
        cron: b.cron,
        tz,
        catchUp: b.catchUp ?? 'latest',
        priority: b.priority ?? 0,
        maxAttempts: b.maxAttempts ?? 25,
        enabled: b.enabled ?? true,
      })
      return reply.code(created ? 201 : 200).send(schedule)
    },
  )

  api.delete(
    '/schedules/:name',
    { schema: { tags: TAGS, summary: 'Delete a cron schedule', params: Type.Object({ name: Name }) } },
    async (req, reply) => {
      if (!(await d.schedules.delete(req.params.name))) throw JobsErrors.unknownSchedule(req.params.name)
      return reply.code(204).send()
    },
  )
}
