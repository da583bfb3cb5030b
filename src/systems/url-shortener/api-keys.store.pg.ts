/** API keys in PostgreSQL, stored as SHA-256 hashes (see api-keys.ts). */
import type { Db } from '../../platform/db/port.js'
import type { ApiKeyRow, ApiKeyStore } from './ports.js'

interface Row {
  id: string | number
  name: string
  created_at: Date
  expires_at: Date | null
  enabled: boolean
}

const toRow = (r: Row): ApiKeyRow => ({
  id: Number(r.id),
  name: r.name,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  enabled: r.enabled,
})

export function createApiKeyStore(db: Db): ApiKeyStore {
  return {
    async create(name, keyHash, expiresAt) {
      const { rows } = await db.query<Row>(
        `INSERT INTO api_keys (name, key_hash, expires_at) VALUES ($1, $2, $3::timestamptz)
         ON CONFLICT (key_hash) DO NOTHING
         RETURNING id, name, created_at, expires_at, enabled`,
        [name, keyHash, expiresAt ? expiresAt.toISOString() : null],
      )
      return rows[0] ? toRow(rows[0]) : 'exists'
    },
    async findByHash(keyHash) {
      const { rows } = await db.query<Row>(
        'SELECT id, name, created_at, expires_at, enabled FROM api_keys WHERE key_hash = $1',
        [keyHash],
      )
      return rows[0] ? toRow(rows[0]) : undefined
    },
    async list() {
      const { rows } = await db.query<Row>(
        'SELECT id, name, created_at, expires_at, enabled FROM api_keys ORDER BY id',
      )
      return rows.map(toRow)
    },
    async disable(name) {
      const { rowCount } = await db.query('UPDATE api_keys SET enabled = false WHERE name = $1 AND enabled', [
        name,
      ])
      return rowCount
    },
  }
}
