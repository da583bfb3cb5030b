/**
 * GET /jobs/jobs orders ids as numbers and its keyset paging neither skips
 * nor repeats: 1,200 jobs (ids across the 9/10, 99/100 and 999/1000
 * boundaries, where text order breaks) in three queues, four tasks and every
 * state; fast-check pages through them with random page sizes, filters and
 * both orders, following `next`, and must see exactly the matching jobs,
 * each once, in id order. Newest-first runs also enqueue jobs between pages,
 * which a keyset cursor must not show (they are newer than the first page).
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATES } from '../../platform/jobs/types.js'
import { backends } from '../../platform/testing/backends.js'
import { type JobsClient, jobsApp } from './testing.js'

const N = 1_200
const QUEUES = ['default', 'mail', 'video']
const TASKS = ['noop', 'sleep', 'fail', 'http']
// Stored states, with run_at far from now so that waiting vs scheduled cannot change mid-test.
const STORED = [
  ['waiting', '-1 hour', 'waiting'],
  ['waiting', '+1 day', 'scheduled'],
  ['blocked', '-1 hour', 'scheduled'],
  ['active', '-1 hour', 'active'],
  ['failed', '+1 day', 'failed'],
  ['completed', '-1 hour', 'completed'],
  ['dead', '-1 hour', 'dead'],
  ['cancelled', '-1 hour', 'cancelled'],
] as const

interface Row {
  id: bigint
  queue: string
  task: string
  state: string
}

describe.each(backends())('GET /jobs/jobs paging (%s)', (backend) => {
  let c: JobsClient
  const rows: Row[] = []

  beforeAll(async () => {
    // No worker: the states written below stay as they are.
    c = await jobsApp(backend, {}, { startWorkers: false })
    const db = c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
    await db.query("INSERT INTO queues (name) VALUES ('mail'), ('video')")
    const { rows: inserted } = await db.query<{ id: string; queue: string; task: string; k: number }>(
      `INSERT INTO jobs (queue, task, state, run_at)
       SELECT ($1::text[])[1 + i % 3], ($2::text[])[1 + (i / 3) % 4], ($3::text[])[1 + (i * 7 / 5) % 8],
              now() + (($4::text[])[1 + (i * 7 / 5) % 8])::interval
         FROM generate_series(0, $5 - 1) AS i
       RETURNING id::text AS id, queue, task, state, run_at > now() AS later`,
      [QUEUES, TASKS, STORED.map((s) => s[0]), STORED.map((s) => s[1]), N],
    )
    for (const r of inserted as unknown as {
      id: string
      queue: string
      task: string
      state: string
      later: boolean
    }[]) {
      const reported = STORED.find((s) => s[0] === r.state && s[1].startsWith('+') === r.later)![2]
      rows.push({ id: BigInt(r.id), queue: r.queue, task: r.task, state: reported })
    }
  })
  afterAll(() => c.close())

  interface Filter {
    queue?: string
    state?: string
    task?: string
    order: 'newest' | 'oldest'
  }

  /** Follow `next` from the first page to the last; every id seen, in order. */
  async function pageThrough(f: Filter, limit: number, between?: () => Promise<void>): Promise<string[]> {
    const seen: string[] = []
    let cursor: string | null = null
    for (let pages = 0; pages <= N; pages++) {
      const q = new URLSearchParams({ limit: String(limit), order: f.order })
      for (const k of ['queue', 'state', 'task'] as const) if (f[k]) q.set(k, f[k]!)
      if (cursor) q.set(f.order === 'newest' ? 'before' : 'after', cursor)
      const res = await c.call('GET', `/jobs/jobs?${q}`)
      expect(res.statusCode).toBe(200)
      const page = res.json()
      expect(page.jobs.length).toBeLessThanOrEqual(limit)
      seen.push(...page.jobs.map((j: { id: string }) => j.id))
      cursor = page.next
      if (cursor === null) return seen
      expect(cursor).toBe(page.jobs.at(-1).id)
      await between?.()
    }
    throw new Error('paging did not end')
  }

  function expected(f: Filter): string[] {
    const match = rows.filter(
      (r) =>
        (!f.queue || r.queue === f.queue) &&
        (!f.task || r.task === f.task) &&
        (!f.state || r.state === f.state),
    )
    match.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    if (f.order === 'newest') match.reverse()
    return match.map((r) => r.id.toString())
  }

  it('newest first crosses 1000/999 and 100/99 in numeric order', async () => {
    const ids = await pageThrough({ order: 'newest' }, 100)
    expect(ids).toHaveLength(N)
    expect(ids.slice(0, 3)).toEqual(['1200', '1199', '1198'])
    expect(ids.slice(200, 202)).toEqual(['1000', '999'])
    expect(ids.at(-1)).toBe('1')
  })

  it('sees every matching job exactly once, in order, whatever the page size, filters and order', async () => {
    const db = c.app.db.withSchema(`${c.app.config.dbSchemaPrefix}jobs`)
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          queue: fc.option(fc.constantFrom(...QUEUES), { nil: undefined }),
          state: fc.option(fc.constantFrom(...STATES), { nil: undefined }),
          task: fc.option(fc.constantFrom(...TASKS), { nil: undefined }),
          order: fc.constantFrom('newest' as const, 'oldest' as const),
        }),
        fc.integer({ min: 7, max: 500 }),
        async (f, limit) => {
          // Jobs enqueued while a newest-first listing is paged are newer than its first page: never shown.
          const want = expected(f)
          const between =
            f.order === 'newest'
              ? async () => {
                  const queue = f.queue ?? 'default'
                  const { rows: added } = await db.query<{ id: string }>(
                    "INSERT INTO jobs (queue, task, run_at) VALUES ($1, 'noop', now() - interval '1 hour') RETURNING id::text AS id",
                    [queue],
                  )
                  rows.push({ id: BigInt(added[0]!.id), queue, task: 'noop', state: 'waiting' })
                }
              : undefined
          expect(await pageThrough(f, limit, between)).toEqual(want)
        },
      ),
      { numRuns: 30 },
    )
  }, 300_000)

  it('refuses a cursor that is not a job id with a 4xx', async () => {
    for (const bad of ['9999999999999999999', 'abc', '0', '-1']) {
      const res = await c.call('GET', `/jobs/jobs?before=${bad}`)
      expect(res.statusCode, bad).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, bad).toBeLessThan(500)
    }
  })
})
