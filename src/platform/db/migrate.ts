/**
 * Forward-only migrations, one schema per system. Every pending file is
 * applied in one transaction run under a PostgreSQL advisory lock, so any
 * number of processes may start at the same moment: the first applies,
 * the others wait and then find nothing to do. Each applied file's SHA-256
 * is recorded; a file edited after it was applied stops the boot.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Db, quoteIdent } from './port.js'

/** A folder of numbered `.sql` files, recorded under `source` (e.g. `system`, `platform/outbox`). */
export interface MigrationSource {
  source: string
  dir: URL | string
}

export interface Migration {
  source: string
  name: string
  sql: string
  checksum: string
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

const FILE = /^(\d{4})_[a-z0-9_]+\.sql$/

/** Read a migration folder: `NNNN_name.sql` files in order; anything else is an error. */
export async function readMigrations(src: MigrationSource): Promise<Migration[]> {
  const dir = typeof src.dir === 'string' ? src.dir : fileURLToPath(src.dir)
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const seen = new Set<string>()
  const out: Migration[] = []
  for (const name of names) {
    const m = FILE.exec(name)
    if (!m)
      throw new MigrationError(`${src.source}: migration file ${name} must be named NNNN_lower_snake.sql`)
    if (seen.has(m[1]!)) throw new MigrationError(`${src.source}: two migrations are numbered ${m[1]}`)
    seen.add(m[1]!)
    const sql = await readFile(`${dir}/${name}`, 'utf8')
    out.push({ source: src.source, name, sql, checksum: createHash('sha256').update(sql).digest('hex') })
  }
  return out
}

/** The advisory lock key every migrating process takes (one for the whole database). */
export const MIGRATION_LOCK_KEY = 0x62_70_6d_67 // "bpmg"

/**
 * Apply pending migrations of `sources` to `db.schema`, creating it if needed.
 * Returns the names applied by this call.
 */
export async function migrate(db: Db, sources: MigrationSource[]): Promise<string[]> {
  const migrations = (await Promise.all(sources.map(readMigrations))).flat()
  const schema = quoteIdent(db.schema)
  return db.exclusive(MIGRATION_LOCK_KEY, async (tx) => {
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
      source text NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, name)
    )`)
    const { rows } = await tx.query<{ source: string; name: string; checksum: string }>(
      `SELECT source, name, checksum FROM ${schema}.schema_migrations`,
    )
    const applied = new Map(rows.map((r) => [`${r.source}/${r.name}`, r.checksum]))
    const done: string[] = []
    for (const m of migrations) {
      const id = `${m.source}/${m.name}`
      const checksum = applied.get(id)
      if (checksum !== undefined) {
        if (checksum !== m.checksum)
          throw new MigrationError(
            `migration ${id} in schema ${db.schema} was edited after it was applied ` +
              `(checksum ${checksum.slice(0, 12)} recorded, ${m.checksum.slice(0, 12)} on disk); ` +
              'migrations are forward-only: restore the file and add a new one',
          )
        continue
      }
      try {
        await tx.exec(m.sql)
      } catch (err) {
        throw new MigrationError(`migration ${id} in schema ${db.schema} failed: ${(err as Error).message}`)
      }
      await tx.query(`INSERT INTO ${schema}.schema_migrations (source, name, checksum) VALUES ($1, $2, $3)`, [
        m.source,
        m.name,
        m.checksum,
      ])
      done.push(id)
    }
    return done
  })
}
