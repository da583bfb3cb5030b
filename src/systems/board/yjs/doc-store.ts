/**
 * Where Yjs documents live: appended updates per document in PostgreSQL, compacted into one
 * merged update (Y.mergeUpdates) when a document has many rows or is closed.
 */
import * as Y from 'yjs'
import type { Db } from '../../../platform/db/port.js'

export class YjsDocStore {
  constructor(private readonly db: Db) {}

  /** The document's updates merged into one (an empty update for a new document), and its row count. */
  async load(doc: string): Promise<{ update: Uint8Array; rows: number }> {
    const { rows } = await this.db.query<{ update: Uint8Array }>(
      'SELECT update FROM yjs_updates WHERE doc = $1 ORDER BY seq',
      [doc],
    )
    const parts = rows.map((r) => new Uint8Array(r.update))
    return { update: parts.length ? Y.mergeUpdates(parts) : new Uint8Array([0, 0]), rows: parts.length }
  }

  /** Append one update (durable when this resolves). */
  async append(doc: string, update: Uint8Array): Promise<void> {
    await this.db.query('INSERT INTO yjs_updates (doc, update) VALUES ($1, $2)', [doc, update])
  }

  /** Replace the document's rows by their merge, in one transaction; returns the merged size. */
  async compact(doc: string): Promise<number> {
    return this.db.tx(async (tx) => {
      const { rows } = await tx.query<{ seq: string; update: Uint8Array }>(
        'SELECT seq, update FROM yjs_updates WHERE doc = $1 ORDER BY seq FOR UPDATE',
        [doc],
      )
      if (rows.length <= 1) return rows[0]?.update.length ?? 0
      const merged = Y.mergeUpdates(rows.map((r) => new Uint8Array(r.update)))
      await tx.query('DELETE FROM yjs_updates WHERE doc = $1 AND seq <= $2', [doc, rows.at(-1)!.seq])
      await tx.query('INSERT INTO yjs_updates (doc, update) VALUES ($1, $2)', [doc, merged])
      return merged.length
    })
  }
}
