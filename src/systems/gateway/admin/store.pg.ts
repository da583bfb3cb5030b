/**
 * The stored configuration: every entity row (each in one workspace), the workspaces, and the
 * version, read whole and changed in one transaction.
 */
import type { Db, Queryable } from '../../../platform/db/port.js'
import { DEFAULT_WORKSPACE, ENTITY_KINDS, type EntityKind, type Json } from '../config/types.js'

export type FlatDoc = Record<EntityKind, Json[]>

export interface Change {
  upsert: { kind: EntityKind; entity: Json }[]
  remove: { kind: EntityKind; id: string }[]
}

/** Everything stored: the workspaces (by name) and each one's entities. */
export interface Stored {
  version: number
  workspaces: Map<string, Json>
  docs: Map<string, FlatDoc>
}

/** An id already taken by an entity of another workspace (ids are unique across workspaces). */
export class IdTaken extends Error {
  constructor(
    readonly kind: EntityKind,
    readonly id: string,
  ) {
    super(`primary key violation on key '{id="${id}"}'`)
  }
}

export function emptyDoc(): FlatDoc {
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])) as unknown as FlatDoc
}

const parse = (body: Json | string): Json => (typeof body === 'string' ? (JSON.parse(body) as Json) : body)

async function readAll(q: Queryable, workspace?: string): Promise<Map<string, FlatDoc>> {
  const docs = new Map<string, FlatDoc>()
  const rows = await q.query<{ workspace: string; kind: EntityKind; body: Json | string }>(
    workspace === undefined
      ? 'SELECT workspace, kind, body FROM entities ORDER BY created_at, id'
      : 'SELECT workspace, kind, body FROM entities WHERE workspace = $1 ORDER BY created_at, id',
    workspace === undefined ? [] : [workspace],
  )
  for (const r of rows.rows) {
    let doc = docs.get(r.workspace)
    if (!doc) {
      doc = emptyDoc()
      docs.set(r.workspace, doc)
    }
    doc[r.kind].push(parse(r.body))
  }
  return docs
}

async function readWorkspaces(q: Queryable): Promise<Map<string, Json>> {
  const rows = await q.query<{ name: string; body: Json | string; created_at: string | number }>(
    'SELECT name, body, created_at FROM workspaces ORDER BY created_at, name',
  )
  return new Map(rows.rows.map((r) => [r.name, { ...parse(r.body), created_at: Number(r.created_at) }]))
}

async function bump(q: Queryable): Promise<number> {
  const v = await q.query<{ version: string | number }>('SELECT version FROM config_version FOR UPDATE')
  return Number(v.rows[0]!.version) + 1
}

export class ConfigStore {
  constructor(private readonly db: Db) {}

  async version(): Promise<number> {
    const r = await this.db.query<{ version: string | number }>('SELECT version FROM config_version')
    return Number(r.rows[0]!.version)
  }

  async load(): Promise<Stored> {
    return this.db.tx(async (q) => {
      const v = await q.query<{ version: string | number }>('SELECT version FROM config_version')
      const workspaces = await readWorkspaces(q)
      const docs = await readAll(q)
      for (const name of workspaces.keys()) if (!docs.has(name)) docs.set(name, emptyDoc())
      return { version: Number(v.rows[0]!.version), workspaces, docs }
    })
  }

  /**
   * Apply `plan` to one workspace's set under the version row's lock: `plan` reads the set and
   * returns the rows to write or delete (it throws to refuse); the version goes up by one.
   */
  async change<T>(
    workspace: string,
    plan: (doc: FlatDoc) => { change: Change; result: T },
  ): Promise<{ version: number; result: T }> {
    return this.db.tx(async (q) => {
      const version = await bump(q)
      const ws = await q.query('SELECT 1 FROM workspaces WHERE name = $1', [workspace])
      if (ws.rows.length === 0) throw new WorkspaceMissing(workspace)
      const { change, result } = plan((await readAll(q, workspace)).get(workspace) ?? emptyDoc())
      for (const r of change.remove)
        await q.query('DELETE FROM entities WHERE kind = $1 AND id = $2 AND workspace = $3', [
          r.kind,
          r.id,
          workspace,
        ])
      for (const u of change.upsert) {
        // An id of another workspace's entity is refused, never taken over.
        const w = await q.query(
          `INSERT INTO entities (kind, id, body, created_at, workspace) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body WHERE entities.workspace = EXCLUDED.workspace
           RETURNING id`,
          [u.kind, u.entity.id, JSON.stringify(u.entity), u.entity.created_at, workspace],
        )
        if (w.rows.length === 0) throw new IdTaken(u.kind, String(u.entity.id))
      }
      await q.query('UPDATE config_version SET version = $1', [version])
      return { version, result }
    })
  }

  /** Create or update a workspace row (bumping the version, so nodes learn the list). */
  async putWorkspace(name: string, body: Json, created: boolean): Promise<number> {
    return this.db.tx(async (q) => {
      const version = await bump(q)
      const r = created
        ? await q.query(
            'INSERT INTO workspaces (name, body, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING name',
            [name, JSON.stringify(body), body.created_at],
          )
        : await q.query('UPDATE workspaces SET body = $2 WHERE name = $1 RETURNING name', [
            name,
            JSON.stringify(body),
          ])
      if (r.rows.length === 0) throw created ? new WorkspaceExists(name) : new WorkspaceMissing(name)
      await q.query('UPDATE config_version SET version = $1', [version])
      return version
    })
  }

  /** Delete an empty workspace; false when it still holds entities. */
  async deleteWorkspace(name: string): Promise<{ version: number } | 'not-empty'> {
    return this.db.tx(async (q) => {
      const version = await bump(q)
      const used = await q.query('SELECT 1 FROM entities WHERE workspace = $1 LIMIT 1', [name])
      if (used.rows.length > 0) return 'not-empty' as const
      const r = await q.query('DELETE FROM workspaces WHERE name = $1 AND name <> $2 RETURNING name', [
        name,
        DEFAULT_WORKSPACE,
      ])
      if (r.rows.length === 0) throw new WorkspaceMissing(name)
      await q.query('UPDATE config_version SET version = $1', [version])
      return { version }
    })
  }
}

export class WorkspaceMissing extends Error {
  constructor(readonly workspace: string) {
    super(`Workspace '${workspace}' not found`)
  }
}

export class WorkspaceExists extends Error {
  constructor(readonly workspace: string) {
    super(`Workspace '${workspace}' exists already`)
  }
}
