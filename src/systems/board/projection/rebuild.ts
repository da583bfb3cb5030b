/**
 * Rebuilding the views from zero while the old ones keep serving, then swapping: the rebuild
 * fills a second set of tables (`*_rebuild`) from the start of the log with its own checkpoint;
 * then, in one transaction that holds the live projector's checkpoint row (so it pauses), it
 * applies what was appended meanwhile, renames the new tables into place, drops the old ones and
 * hands the rebuild's checkpoint to the live projector. Readers see the old views until the
 * commit and the new ones after it, never a half-built one. One rebuild at a time per process
 * (the admin route refuses a second); two processes rebuilding at once would fail one swap.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import type { Logger } from '../../../platform/telemetry/logger.js'
import { readLog } from '../events/store.js'
import { Projector } from './projector.js'
import { applyEvent, VIEW_BASES, viewTables } from './views.js'

const SUFFIX = '_rebuild'
const NAME = 'rebuild'

/** Rebuild every view from the log and swap it in; returns the events applied. */
export async function rebuildViews(db: Db, log: Logger, batch = 1_000): Promise<{ events: number }> {
  await db.tx(async (lockTx) => {
    for (const base of VIEW_BASES) {
      await lockTx.query(`DROP TABLE IF EXISTS ${base}${SUFFIX}`)
      await lockTx.query(`CREATE TABLE ${base}${SUFFIX} (LIKE ${base} INCLUDING ALL)`)
    }
    await lockTx.query(
      `INSERT INTO checkpoints (name) VALUES ($1)
       ON CONFLICT (name) DO UPDATE SET tx = '0', position = 0, events = 0, updated_at = now()`,
      [NAME],
    )
  })
  const tables = viewTables(SUFFIX)
  const projector = new Projector(db, { name: NAME, tables, batch, pollMs: 1_000 }, log)
  let events = await projector.catchUp()
  events += await db.tx(async (tx) => swap(tx, tables))
  log.info({ events }, 'board views rebuilt from the log and swapped in')
  return { events }
}

/** In `tx`: pause the live projector, catch up, rename the rebuilt tables into place. */
async function swap(tx: Queryable, tables: ReturnType<typeof viewTables>): Promise<number> {
  await tx.query(`SELECT 1 FROM checkpoints WHERE name = 'views' FOR UPDATE`)
  const { rows } = await tx.query<{ tx: string; position: string; events: string }>(
    'SELECT tx::text AS tx, position, events FROM checkpoints WHERE name = $1 FOR UPDATE',
    [NAME],
  )
  let cursor = { tx: rows[0]!.tx, position: Number(rows[0]!.position) }
  let applied = 0
  for (;;) {
    const events = await readLog(tx, cursor, 1_000)
    if (events.length === 0) break
    for (const e of events) await applyEvent(tx, tables, e)
    applied += events.length
    cursor = { tx: events.at(-1)!.tx, position: events.at(-1)!.position }
  }
  for (const base of VIEW_BASES) {
    await tx.query(`ALTER TABLE ${base} RENAME TO ${base}_old`)
    await tx.query(`ALTER TABLE ${base}${SUFFIX} RENAME TO ${base}`)
    await tx.query(`DROP TABLE ${base}_old`)
  }
  await tx.query(
    `UPDATE checkpoints SET tx = $1::xid8, position = $2, events = $3, updated_at = now() WHERE name = 'views'`,
    [cursor.tx, cursor.position, Number(rows[0]!.events) + applied],
  )
  await tx.query('DELETE FROM checkpoints WHERE name = $1', [NAME])
  return applied
}
