/**
 * The cron schedules systems declare in `defineSystem({ jobs: { schedules } })`,
 * written at boot (putSchedule: an unchanged timing keeps its next tick, so a
 * restart never skips or repeats one). A schedule belongs to the system whose
 * queue it enqueues into: one of the same name on another system's queue, or on
 * a queue no system owns (made through the jobs API), is never replaced.
 */
import type { Db } from '../db/port.js'
import type { ScheduleDeclaration } from './declaration.js'
import { JobsDeclarationError } from './declared-queues.js'
import { putSchedule } from './schedules.js'

/** Write `system`'s schedules in one transaction; its queues must be declared (and written) first. */
export async function declareSchedules(
  db: Db,
  system: string,
  queues: readonly string[],
  schedules: Readonly<Record<string, ScheduleDeclaration>>,
): Promise<void> {
  const names = Object.keys(schedules)
  if (names.length === 0) return
  for (const name of names) {
    const s = schedules[name]!
    if (!queues.includes(s.queue))
      throw new JobsDeclarationError(
        `system ${system} declares schedule ${name} on queue ${s.queue}, which it does not declare`,
      )
  }
  await db.tx(async (tx) => {
    for (const name of names) {
      const { rows } = await tx.query<{ system: string | null }>(
        'SELECT q.system FROM schedules s JOIN queues q ON q.name = s.queue WHERE s.name = $1 FOR UPDATE OF s',
        [name],
      )
      if (rows[0] && rows[0].system !== system)
        throw new JobsDeclarationError(
          `system ${system} declares schedule ${name}, which exists on a queue of ${rows[0].system === null ? 'no system (made through the jobs API)' : `system ${rows[0].system}`}: give the schedule another name`,
        )
      const s = schedules[name]!
      try {
        await putSchedule(tx, name, {
          queue: s.queue,
          task: s.task,
          payload: s.payload ?? {},
          cron: s.cron,
          tz: s.tz ?? 'UTC',
          catchUp: s.catchUp ?? 'latest',
          priority: s.priority ?? 0,
          maxAttempts: s.maxAttempts ?? 25,
          enabled: true,
        })
      } catch (err) {
        throw new JobsDeclarationError(
          `system ${system} declares schedule ${name}: ${(err as Error).message}`,
        )
      }
    }
  })
}
