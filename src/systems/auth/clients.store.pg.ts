/** The `clients` table: each client's oidc-provider metadata as JSON (secret hashed). */
import type { Queryable } from '../../platform/db/port.js'

export interface ClientRow {
  clientId: string
  metadata: Record<string, unknown>
  createdAt: Date
}

export interface ClientStore {
  get(clientId: string): Promise<Record<string, unknown> | undefined>
  /** Insert a client; false when the id is taken (nothing written). */
  insert(clientId: string, metadata: Record<string, unknown>): Promise<boolean>
  list(): Promise<ClientRow[]>
  /** Clients by id, after `after`, at most `limit`. */
  page(after: string | undefined, limit: number): Promise<ClientRow[]>
  /** Replace a client's metadata; false when there is no such client. */
  update(clientId: string, metadata: Record<string, unknown>): Promise<boolean>
  delete(clientId: string): Promise<boolean>
}

export function createClientStore(db: Queryable): ClientStore {
  return {
    async get(clientId) {
      const { rows } = await db.query<{ metadata: Record<string, unknown> }>(
        'SELECT metadata FROM clients WHERE client_id = $1',
        [clientId],
      )
      return rows[0]?.metadata
    },
    async insert(clientId, metadata) {
      const { rowCount } = await db.query(
        'INSERT INTO clients (client_id, metadata) VALUES ($1, $2) ON CONFLICT (client_id) DO NOTHING',
        [clientId, JSON.stringify(metadata)],
      )
      return rowCount === 1
    },
    async list() {
      const { rows } = await db.query<{
        client_id: string
        metadata: Record<string, unknown>
        created_at: Date
      }>('SELECT client_id, metadata, created_at FROM clients ORDER BY client_id')
      return rows.map((r) => ({
        clientId: r.client_id,
        metadata: r.metadata,
        createdAt: new Date(r.created_at),
      }))
    },
    async page(after, limit) {
      const { rows } = await db.query<{
        client_id: string
        metadata: Record<string, unknown>
        created_at: Date
      }>(
        'SELECT client_id, metadata, created_at FROM clients WHERE $1::text IS NULL OR client_id > $1 ORDER BY client_id LIMIT $2',
        [after ?? null, limit],
      )
      return rows.map((r) => ({
        clientId: r.client_id,
        metadata: r.metadata,
        createdAt: new Date(r.created_at),
      }))
    },
    async update(clientId, metadata) {
      const { rowCount } = await db.query(
        'UPDATE clients SET metadata = $2, updated_at = now() WHERE client_id = $1',
        [clientId, JSON.stringify(metadata)],
      )
      return rowCount === 1
    },
    async delete(clientId) {
      const { rowCount } = await db.query('DELETE FROM clients WHERE client_id = $1', [clientId])
      return rowCount === 1
    },
  }
}
