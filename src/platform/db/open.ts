/**
 * Pick the Db adapter from configuration: `pg` when DATABASE_URL is set, else
 * PGlite in DATA_DIR, opened only under the folder's lock (data-dir/lock.ts):
 * one process per embedded data folder.
 */
import path from 'node:path'
import type { Config } from '../config.js'
import { acquireDataDirLock, type DataDirLock, describeLaunch } from '../data-dir/lock.js'
import { openPg } from './pg.js'
import { openPglite } from './pglite.js'
import type { Db } from './port.js'

/**
 * Open the configured database. On PGlite, `lock` is the caller's lock on DATA_DIR; without one,
 * the lock is taken here and released when the returned Db is closed.
 */
export async function openDb(
  config: Config,
  onError?: (err: Error) => void,
  lock?: DataDirLock,
): Promise<Db> {
  if (config.databaseUrl) return openPg(config.databaseUrl, 'public', { max: config.dbPoolMax, onError })
  const own = lock ? undefined : await lockDataDir(config)
  try {
    const db = await openPglite(path.join(config.dataDir, 'pglite'))
    if (!own) return db
    return {
      ...db,
      close: async () => {
        await db.close()
        await own.release()
      },
    }
  } catch (err) {
    await own?.release()
    throw err
  }
}

/** Take the lock on DATA_DIR for this process (see data-dir/lock.ts). */
export function lockDataDir(config: Config): Promise<DataDirLock> {
  return acquireDataDirLock(config.dataDir, describeLaunch(config.env, process.argv))
}
