/**
 * The job tables' migrations: one schema for the whole installation,
 * `<DB_SCHEMA_PREFIX>jobs`, the schema the jobs system had before the engine
 * became a platform library. Its history is recorded under the source name
 * `system` (as the jobs system's own migrations were), so a data folder or
 * database from before the move upgrades in place: nothing is re-applied.
 */
import { OUTBOX_MIGRATIONS } from '../bus/outbox.js'
import { type MigrationSource, migrate } from '../db/migrate.js'
import type { Db } from '../db/port.js'
import { schemaOf } from '../system.js'

/** The engine's numbered `.sql` files (tables, indexes, add_job() and the other SQL functions). */
export const JOBS_MIGRATIONS = new URL('./sql/', import.meta.url)

/** The migration sources of the job tables: the outbox its lifecycle events go through, then its own. */
export const JOBS_MIGRATION_SOURCES: readonly MigrationSource[] = [
  { source: 'platform/outbox', dir: OUTBOX_MIGRATIONS },
  { source: 'system', dir: JOBS_MIGRATIONS },
]

/** The schema of the installation's job tables. */
export function jobsSchema(dbSchemaPrefix: string): string {
  return schemaOf(dbSchemaPrefix, 'jobs')
}

/** Create or upgrade the job tables in `db`'s schema; returns the files applied. */
export function migrateJobTables(db: Db): Promise<string[]> {
  return migrate(db, [...JOBS_MIGRATION_SOURCES])
}
