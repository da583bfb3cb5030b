/**
 * Vacuuming the jobs table when its dead rows pile up.
 *
 * Every job leaves two dead row versions behind in `jobs_open` (waiting ->
 * active, then the active row deleted when it completes and moves to
 * `jobs_done`, sql/0010; no update of a job can be HOT, since `state` is in
 * the partial indexes' predicates), and each left an entry in the fetch
 * index. The fetch reads that index from its head, where the entries of jobs
 * already taken sit: until a VACUUM removes them, every fetch steps over
 * more of them. Measured at concurrency 1, no VACUUM: 1,656 jobs/s in the
 * first 5 s, 301 after 35 s; with a VACUUM every 5 s it stayed at 1,900-2,950.
 * Autovacuum's defaults (a table is vacuumed once 20% of it is dead, checked
 * every minute) are far too lazy for a queue table, and some installations
 * turn it off; so the queue watches its own table: when the statistics count
 * at least `deadRows` dead rows in a partition it runs `VACUUM (SKIP_LOCKED)`
 * on that partition, which skips it when another process or autovacuum is
 * already at it (no pile-up across processes). `jobs_open` is the one the hot
 * path dirties; `jobs_done` only takes dead rows from pruning.
 */
import type { Db } from '../db/port.js'
import { quoteIdent } from '../db/port.js'

/** Dead rows of each partition of the jobs table, from the statistics (they lag by up to a second). */
const DEAD_ROWS = `
SELECT relname, n_dead_tup::text AS dead
  FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('jobs_open', 'jobs_done')`

export interface VacuumResult {
  /** Dead rows the statistics counted before the decision, all partitions together. */
  dead: number
  /** Whether a VACUUM ran. */
  vacuumed: boolean
}

/** Vacuum each partition of `db`'s jobs table with at least `deadRows` dead rows (0: never). */
export async function vacuumIfBloated(db: Db, deadRows: number): Promise<VacuumResult> {
  if (deadRows <= 0) return { dead: 0, vacuumed: false }
  const { rows } = await db.query<{ relname: string; dead: string }>(DEAD_ROWS, [db.schema])
  let dead = 0
  let vacuumed = false
  for (const r of rows) {
    const n = Number(r.dead)
    dead += n
    if (n < deadRows) continue
    // Not in a transaction (VACUUM cannot be); each Db query runs on its own.
    await db.query(`VACUUM (SKIP_LOCKED) ${quoteIdent(db.schema)}.${quoteIdent(r.relname)}`)
    vacuumed = true
  }
  return { dead, vacuumed }
}
