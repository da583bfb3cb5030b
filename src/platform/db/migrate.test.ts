import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { backends, testDb, uniqueId } from '../testing/backends.js'
import { MigrationError, migrate, readMigrations } from './migrate.js'

async function migrationDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bp-mig-'))
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql)
  return dir
}

describe.each(backends())('migrations on %s', (backend) => {
  it('applies pending files in order, once, into the schema', async () => {
    const db = await testDb(backend, `m_${uniqueId()}`)
    const dir = await migrationDir({
      '0001_init.sql': 'CREATE TABLE a (id int);',
      '0002_more.sql': 'ALTER TABLE a ADD COLUMN label text; CREATE TABLE b (id int);',
    })
    expect(await migrate(db, [{ source: 'system', dir }])).toEqual([
      'system/0001_init.sql',
      'system/0002_more.sql',
    ])
    expect(await migrate(db, [{ source: 'system', dir }])).toEqual([])
    await db.query("INSERT INTO a (id, label) VALUES (1, 'x')")
    const { rows } = await db.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
      [db.schema],
    )
    expect(rows.map((r) => r.table_name)).toEqual(['a', 'b', 'schema_migrations'])
  })

  it('applies a file added later, and only that one', async () => {
    const db = await testDb(backend, `m_${uniqueId()}`)
    const files: Record<string, string> = { '0001_init.sql': 'CREATE TABLE a (id int);' }
    const dir = await migrationDir(files)
    await migrate(db, [{ source: 'system', dir }])
    await writeFile(path.join(dir, '0002_next.sql'), 'CREATE TABLE c (id int);')
    expect(await migrate(db, [{ source: 'system', dir }])).toEqual(['system/0002_next.sql'])
  })

  it('refuses an applied migration that was edited, naming it', async () => {
    const db = await testDb(backend, `m_${uniqueId()}`)
    const dir = await migrationDir({ '0001_init.sql': 'CREATE TABLE a (id int);' })
    await migrate(db, [{ source: 'system', dir }])
    await writeFile(path.join(dir, '0001_init.sql'), 'CREATE TABLE a (id bigint);')
    const err = await migrate(db, [{ source: 'system', dir }]).catch((e) => e)
    expect(err).toBeInstanceOf(MigrationError)
    expect(err.message).toMatch(/system\/0001_init\.sql .* was edited after it was applied/)
  })

  it('rolls back every file of a run when one fails', async () => {
    const db = await testDb(backend, `m_${uniqueId()}`)
    const dir = await migrationDir({
      '0001_ok.sql': 'CREATE TABLE ok (id int);',
      '0002_bad.sql': 'CREATE TABLE broken (id int) nonsense;',
    })
    const err = await migrate(db, [{ source: 'system', dir }]).catch((e) => e)
    expect(err).toBeInstanceOf(MigrationError)
    expect(err.message).toContain('system/0002_bad.sql')
    const { rows } = await db.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1', [
      db.schema,
    ])
    expect(rows).toEqual([])
  })

  it('lets many processes migrate the same schema at once: applied exactly once', async () => {
    const dir = await migrationDir({
      '0001_init.sql': 'CREATE TABLE once (id int); INSERT INTO once VALUES (1);',
    })
    const root = await testDb(backend)
    // Repeated: the race this guards against (a waiter trusting catalog entries cached
    // before the lock holder committed) failed 99 times in 100 before the lock moved
    // outside the transaction.
    for (let round = 0; round < 10; round++) {
      const schema = `m_${uniqueId()}`
      // Separate views racing; on pg each takes its own connection and the lock orders them.
      const dbs = Array.from({ length: 4 }, () => root.withSchema(schema))
      const results = await Promise.all(dbs.map((db) => migrate(db, [{ source: 'system', dir }])))
      expect(results.flat()).toEqual(['system/0001_init.sql'])
      expect((await dbs[0]!.query('SELECT count(*)::int AS n FROM once')).rows[0]).toEqual({ n: 1 })
    }
  })
})

describe('readMigrations', () => {
  it('rejects badly named files and duplicate numbers', async () => {
    const bad = await migrationDir({ 'init.sql': 'SELECT 1' })
    await expect(readMigrations({ source: 's', dir: bad })).rejects.toThrow(
      /must be named NNNN_lower_snake\.sql/,
    )
    const dup = await migrationDir({ '0001_a.sql': 'SELECT 1', '0001_b.sql': 'SELECT 2' })
    await expect(readMigrations({ source: 's', dir: dup })).rejects.toThrow(
      /two migrations are numbered 0001/,
    )
  })

  it('treats a missing folder as no migrations', async () => {
    expect(await readMigrations({ source: 's', dir: '/nonexistent/blueprints' })).toEqual([])
  })
})
