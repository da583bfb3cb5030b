/** Installation secrets (cookie signing keys, the CSRF key), made once by the first process to start. */
import { randomBytes } from 'node:crypto'
import type { Queryable } from '../../platform/db/port.js'

/** The secret `name`, created (32 random bytes, base64url) if it does not exist; racing processes agree. */
export async function installationSecret(db: Queryable, name: string): Promise<string> {
  await db.query('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    randomBytes(32).toString('base64url'),
  ])
  const { rows } = await db.query<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [name])
  return rows[0]!.value
}
