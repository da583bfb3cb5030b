/** The stored configuration: every entity row and the version, read whole and changed in one transaction. */
import type { Db, Queryable } from '../../../platform/db/port.js'
import { ENTITY_KINDS, type EntityKind, type Json } from '../config/types.js'

export type FlatDoc = Record<EntityKind, Json[]>

export interface Change {
  upsert: { kind: EntityKind; entity: Json }[]
  remove: { kind: EntityKind; id: string }[]
}

export function emptyDoc(): FlatDoc {
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])) as unknown as FlatDoc
}

async function readAll(q: Queryable): Promise<FlatDoc> {
  const doc = emptyDoc()
  const rows = await q.query<{ kind: EntityKind; body: Json | string }>(
    'SELECT kind, body FROM entities ORDER BY created_at, id',
  )
  for (const r of rows.rows)
    doc[r.kind].push(typeof r.body === 'string' ? (JSON.parse(r.body) as Json) : r.body)
  return doc
}

export class ConfigStore {
  constructor(private readonly db: Db) {}

  async version(): Promise<number> {
    const r = await this.db.query<{ version: string | number }>('SELECT version FROM config_version')
    return Number(r.rows[0]!.version)
  }

  async load(): Promise<{ version: number; doc: FlatDoc }> {
    return this.db.tx(async (q) => {
      const v = await q.query<{ version: string | number }>('SELECT version FROM config_version')
      return { version: Number(v.rows[0]!.version), doc: await readAll(q) }
    })
  }

  /**
   * Apply `plan` to the current set under the version row's lock: `plan` reads the set and returns
   * the rows to write or delete (it throws to refuse); the version goes up by one.
   */
  async change<T>(
    plan: (doc: FlatDoc) => { change: Change; result: T },
  ): Promise<{ version: number; result: T }> {
    return this.db.tx(async (q) => {
      const v = await q.query<{ version: string | number }>('SELECT version FROM config_version FOR UPDATE')
      const version = Number(v.rows[0]!.version) + 1
      const { change, result } = plan(await readAll(q))
      for (const r of change.remove)
        await q.query('DELETE FROM entities WHERE kind = $1 AND id = $2', [r.kind, r.id])
      for (const u of change.upsert)
        await q.query(
          `INSERT INTO entities (kind, id, body, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body`,
          [u.kind, u.entity.id, JSON.stringify(u.entity), u.entity.created_at],
        )
      await q.query('UPDATE config_version SET version = $1', [version])
      return { version, result }
    })
  }
}
