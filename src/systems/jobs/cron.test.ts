/**
 * Cron: expressions and time zones are checked; due ticks follow the
 * catch-up policy; three schedulers running at once enqueue every tick
 * exactly once.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { checkCron, latestTicks, nextTick, ticksBetween } from '../../platform/jobs/cron.js'
import { dueTicks } from '../../platform/jobs/scheduler.js'
import { migrateJobs, WorkerFixture } from '../../platform/jobs/worker-fixture.js'
import { backends, testDb } from '../../platform/testing/backends.js'
import { settle } from '../../platform/testing/wait.js'
import { SchedulesStore } from './schedules.store.js'

const iso = (ds: Date[]) => ds.map((d) => d.toISOString())

describe('cron expressions', () => {
  it('accepts 5 and 6 fields, aliases, and IANA zones; refuses the rest with a named code', () => {
    for (const ok of ['*/5 * * * *', '*/10 * * * * *', '@daily', '0 9 * * 1-5'])
      expect(() => checkCron(ok, 'UTC')).not.toThrow()
    for (const bad of ['61 * * * *', '* * *', 'x', '* * * * * * *', '@sometimes', '', '0 0 31 2 *'])
      expect(() => checkCron(bad, 'UTC'), bad).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_CRON' }))
    expect(() => checkCron('* * * * *', 'Mars/Olympus')).toThrow(
      expect.objectContaining({ code: 'JOBS_INVALID_TIME_ZONE', status: 422 }),
    )
  })

  it('computes ticks in a time zone, across a DST change', () => {
    // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer (DST starts 2026-03-29).
    const ticks = ticksBetween(
      '0 9 * * *',
      'Europe/Paris',
      new Date('2026-03-28T00:00:00Z'),
      new Date('2026-03-30T23:00:00Z'),
      10,
    )
    expect(iso(ticks)).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ])
    expect(nextTick('*/10 * * * * *', 'UTC', new Date('2026-01-01T00:00:05Z')).toISOString()).toBe(
      '2026-01-01T00:00:10.000Z',
    )
    expect(
      iso(
        latestTicks(
          '0 * * * *',
          'UTC',
          new Date('2026-01-01T00:00:00Z'),
          new Date('2026-01-01T05:30:00Z'),
          2,
        ),
      ),
    ).toEqual(['2026-01-01T04:00:00.000Z', '2026-01-01T05:00:00.000Z'])
  })

  it('after downtime enqueues all missed ticks (capped), the latest, or none; on-time ticks always', () => {
    const now = new Date('2026-01-01T10:00:30Z')
    const row = {
      name: 's',
      queue: 'default',
      task: 'noop',
      payload: {},
      cron: '0 * * * *',
      tz: 'UTC',
      priority: 0,
      max_attempts: 1,
      next_tick: new Date('2026-01-01T05:00:00Z'),
    }
    const grace = 60_000
    expect(iso(dueTicks({ ...row, catch_up: 'all' }, now, grace, 100))).toEqual([
      '2026-01-01T05:00:00.000Z',
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T07:00:00.000Z',
      '2026-01-01T08:00:00.000Z',
      '2026-01-01T09:00:00.000Z',
      '2026-01-01T10:00:00.000Z',
    ])
    expect(iso(dueTicks({ ...row, catch_up: 'all' }, now, grace, 2))).toEqual([
      '2026-01-01T08:00:00.000Z',
      '2026-01-01T09:00:00.000Z',
      '2026-01-01T10:00:00.000Z',
    ])
    expect(iso(dueTicks({ ...row, catch_up: 'latest' }, now, grace, 100))).toEqual([
      '2026-01-01T09:00:00.000Z',
      '2026-01-01T10:00:00.000Z',
    ])
    expect(iso(dueTicks({ ...row, catch_up: 'none' }, now, grace, 100))).toEqual(['2026-01-01T10:00:00.000Z'])
  })
})

describe.each(backends())('cron scheduler (%s)', (backend) => {
  // Opening the backend (PGlite boots in seconds) is not part of any test's time.
  beforeAll(() => testDb(backend))
  let f: WorkerFixture | undefined
  afterEach(async () => {
    await f?.close()
    f = undefined
  })

  it('three schedulers enqueue each tick exactly once, with no tick missed', async () => {
    const db = await testDb(backend)
    await migrateJobs(db)
    f = new WorkerFixture(db)
    await new SchedulesStore(db).put('every-second', {
      queue: 'default',
      task: 'noop',
      payload: {},
      cron: '* * * * * *',
      tz: 'UTC',
      catchUp: 'latest',
      priority: 0,
      maxAttempts: 1,
      enabled: true,
    })
    const schedulers = [f.scheduler(), f.scheduler(), f.scheduler()]
    for (const s of schedulers) await s.start()
    await settle(3_500)
    for (const s of schedulers) await s.stop()
    const { rows } = await db.query<{ tick: Date; n: number }>(
      'SELECT tick, count(*)::int AS n FROM jobs GROUP BY tick ORDER BY tick',
    )
    expect(rows.length).toBeGreaterThanOrEqual(2)
    expect(rows.every((r) => r.n === 1)).toBe(true)
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.tick.getTime() - rows[i - 1]!.tick.getTime()).toBe(1000)
    expect(schedulers.reduce((n, s) => n + s.enqueued, 0)).toBe(rows.length)
  })

  it('applies the catch-up policy after downtime', async () => {
    const db = await testDb(backend)
    await migrateJobs(db)
    f = new WorkerFixture(db)
    const store = new SchedulesStore(db)
    for (const catchUp of ['all', 'latest', 'none'] as const)
      await store.put(`hourly-${catchUp}`, {
        queue: 'default',
        task: 'noop',
        payload: {},
        cron: '0 * * * *',
        tz: 'UTC',
        catchUp,
        priority: 0,
        maxAttempts: 1,
        enabled: true,
      })
    // Down for five hours: the next tick is five hours in the past.
    await db.query("UPDATE schedules SET next_tick = date_trunc('hour', now()) - interval '4 hours'")
    await f.scheduler(60_000, 3).runOnce()
    const { rows } = await db.query<{ schedule: string; n: number }>(
      'SELECT schedule, count(*)::int AS n FROM jobs GROUP BY schedule ORDER BY schedule',
    )
    const counts = Object.fromEntries(rows.map((r) => [r.schedule, r.n]))
    // The current hour's tick may be within the grace (on time) or missed, depending on the clock.
    expect(counts['hourly-all']).toBeGreaterThanOrEqual(3)
    expect(counts['hourly-latest']).toBeGreaterThanOrEqual(1)
    expect(counts['hourly-latest']).toBeLessThanOrEqual(2)
    expect(counts['hourly-none'] ?? 0).toBeLessThanOrEqual(1)
    // Ran again: nothing more (next_tick moved on; ticks are unique).
    expect(await f.scheduler().runOnce()).toBe(0)
  })
})
