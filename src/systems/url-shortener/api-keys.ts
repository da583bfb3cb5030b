/**
 * API keys, as Shlink has them: a UUID v4 sent in `X-Api-Key`, printed once
 * when created (`npx blueprints url-shortener api-key create`) and stored
 * only as its SHA-256. A fast hash is right here: the key is 122 random
 * bits, so nothing can be guessed from a leaked hash, and the check runs on
 * every management request. Verdicts are cached for a few seconds, so a
 * client does not cost a query per request and a flood of bad keys does
 * not reach the database.
 */
import { createHash, randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { ApiKeyRow, ApiKeyStore } from './ports.js'

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex')

const CACHE_TTL_MS = 5_000

export class ApiKeys {
  private readonly verdicts = new LRUCache<string, { row: ApiKeyRow | null }>({
    max: 10_000,
    ttl: CACHE_TTL_MS,
  })

  constructor(private readonly store: ApiKeyStore) {}

  /** Create a key; the plain key is returned once and never stored. */
  async create(
    name: string,
    expiresAt: Date | null = null,
    key = randomUUID(),
  ): Promise<{ key: string; row: ApiKeyRow }> {
    const row = await this.store.create(name, hashKey(key), expiresAt)
    if (row === 'exists') throw new Error('that API key already exists')
    return { key, row }
  }

  /** Create `key` unless it exists (INITIAL_API_KEY at start; safe when several processes start at once). */
  async ensure(key: string, name: string): Promise<boolean> {
    return (await this.store.create(name, hashKey(key), null)) !== 'exists'
  }

  /** The key's row when it exists, is enabled and has not expired. */
  async verify(key: string): Promise<ApiKeyRow | undefined> {
    const hash = hashKey(key)
    let cached = this.verdicts.get(hash)
    if (!cached) {
      cached = { row: (await this.store.findByHash(hash)) ?? null }
      this.verdicts.set(hash, cached)
    }
    const row = cached.row
    if (!row?.enabled) return undefined
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return undefined
    return row
  }

  list(): Promise<ApiKeyRow[]> {
    return this.store.list()
  }

  async disable(name: string): Promise<number> {
    const n = await this.store.disable(name)
    this.verdicts.clear()
    return n
  }
}

/** Parse `--name x --expires 2030-01-01` style arguments. */
export function parseFlags(args: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (!a.startsWith('--')) continue
    const eq = a.indexOf('=')
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1)
    else out[a.slice(2)] = args[i + 1] && !args[i + 1]!.startsWith('--') ? args[++i]! : 'true'
  }
  return out
}
