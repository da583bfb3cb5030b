/**
 * What every queue the jobs benchmark runs side by side shares: the small interface the scenarios
 * drive, how a side is set up, and its schema's database URL and teardown. Each side is created for
 * one scenario in a schema of its own (created fresh, dropped at the end), so no scenario measures
 * what an earlier one left behind: graphile-worker keeps every job in one table ordered by
 * (priority, run_at), and its fetch scans past jobs of tasks no runner of this level supports (a
 * backlog of 100,000 such jobs made its pickup ~50 ms instead of ~10), which is what the enqueue
 * scenarios leave.
 */
import pg from 'pg'
import { testServiceUrls } from '../../../platform/config.js'

export type SideName = 'blueprints' | 'graphile-worker' | 'pg-boss'

export interface QueueSide {
  readonly name: SideName
  readonly schema: string
  /** Enqueue one no-op job into the enqueue-only queue. */
  addOne(): Promise<void>
  /** Enqueue `n` no-op jobs in one call into the enqueue-only queue. */
  addMany(n: number): Promise<void>
  /** Enqueue `n` no-op jobs for the workers (one batch call). */
  fill(n: number): Promise<void>
  /** Start (once) workers of concurrency `c`; `onJob` (replaceable by a later call) runs in each handler. */
  workers(c: number, onJob: () => void): Promise<void>
  /** Stop everything and drop the schema. */
  close(): Promise<void>
}

/** The workers' fallback poll: long, so that a pickup that did not come from a NOTIFY stands out. */
export const POLL_MS = 10_000

/**
 * The database URL; with `app`, every connection made from it carries that application_name (the
 * side's schema), so the CPU of the PostgreSQL backends serving one side can be told apart (backend-cpu.ts).
 */
export const url = (app?: string) => {
  const base = testServiceUrls().databaseUrl
  return app ? `${base}${base.includes('?') ? '&' : '?'}application_name=${app}` : base
}

/** How a side is set up for one scenario. */
export interface SideOptions {
  /** The workers' concurrency (sizes the peers' pools); undefined for enqueue-only scenarios. */
  concurrency?: number
  /** The peer's connections commit with synchronous_commit off (Blueprints' worker always does). */
  asyncCommit?: boolean
}

/** Drop a side's schema with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url() })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
