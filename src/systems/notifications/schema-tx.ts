/**
 * `completeWith` hands a transaction of the job engine's Db, whose search path is the job
 * tables' schema; our SQL names our own tables unqualified. This runs `fn` with our schema first
 * on the path and puts the engine's back before the completion that follows in the same
 * transaction (SET LOCAL: nothing leaks past the commit).
 */
import type { Queryable } from '../../platform/db/port.js'

/** Run `fn` on `tx` with `schema` first on the search path, then restore the path. */
export async function inSchema<T>(
  tx: Queryable,
  schema: string,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const { rows } = await tx.query<{ path: string }>(
    `SELECT current_setting('search_path') AS path, set_config('search_path', $1, true)`,
    [`"${schema.replaceAll('"', '""')}", public`],
  )
  const value = await fn(tx)
  await tx.query(`SELECT set_config('search_path', $1, true)`, [rows[0]!.path])
  return value
}
