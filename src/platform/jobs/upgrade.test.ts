/**
 * Upgrade in place: job tables made by the jobs system before the engine
 * became a platform library (its migrations 0001-0008, recorded under the
 * source name `system` in `<prefix>jobs`) are taken over by the engine with
 * only the new files applied, their jobs and queues kept, and those queues
 * owned by no system (run where the jobs system runs, as before).
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { OUTBOX_MIGRATIONS } from '../bus/outbox.js'
import { migrate } from '../db/migrate.js'
import { backends, testDb } from '../testing/backends.js'
import { JOBS_MIGRATIONS, migrateJobTables } from './migrations.js'

describe.each(backends())('job tables from before the move (%s)', (backend) => {
  it('are upgraded in place: only the new files run, jobs and queues are kept', async () => {
    // The jobs system's migration folder as it was when the engine moved (0001-0008).
    const before = mkdtempSync(join(tmpdir(), 'jobs-sql-'))
    try {
      const src = fileURLToPath(JOBS_MIGRATIONS)
      for (const f of readdirSync(src).filter((n) => n < '0009')) cpSync(join(src, f), join(before, f))
      const db = await testDb(backend)
      await migrate(db, [
        { source: 'platform/outbox', dir: OUTBOX_MIGRATIONS },
        { source: 'system', dir: before },
      ])
      await db.query("SELECT add_job('default', 'noop')")

      const applied = await migrateJobTables(db)
      expect(applied.length).toBeGreaterThan(0)
      expect(applied.every((id) => /^system\/(\d{4})_/.exec(id)![1]! >= '0009')).toBe(true)
      const { rows: jobs } = await db.query<{ task: string }>('SELECT task FROM jobs')
      expect(jobs).toEqual([{ task: 'noop' }])
      const { rows: queues } = await db.query<{ name: string; system: string | null }>(
        'SELECT name, system FROM queues',
      )
      expect(queues).toEqual([{ name: 'default', system: null }])
      expect(await migrateJobTables(db)).toEqual([])
    } finally {
      rmSync(before, { recursive: true, force: true })
    }
  })
})
