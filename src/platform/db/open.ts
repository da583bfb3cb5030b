/** Pick the Db adapter from configuration: `pg` when DATABASE_URL is set, else PGlite in DATA_DIR. */
import path from 'node:path'
import type { Config } from '../config.js'
import { openPg } from './pg.js'
import { openPglite } from './pglite.js'
import type { Db } from './port.js'

export async function openDb(config: Config, onError?: (err: Error) => void): Promise<Db> {
  if (config.databaseUrl) return openPg(config.databaseUrl, 'public', { max: config.dbPoolMax, onError })
  return openPglite(path.join(config.dataDir, 'pglite'))
}
