/**
 * Lua script loader. A system keeps one atomic operation per file, named
 * `<op>-<nkeys>.lua`, with a header documenting KEYS, ARGV and the return
 * value. Scripts run by EVALSHA; when the server answers NOSCRIPT (restart,
 * SCRIPT FLUSH, failover) the loader falls back to EVAL once, which also
 * caches the script again.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'

export interface LuaScript {
  readonly op: string
  readonly numberOfKeys: number
  readonly source: string
  readonly sha: string
}

const FILE = /^([a-z][a-z0-9-]*?)-(\d+)\.lua$/

/** Read every `<op>-<nkeys>.lua` of `dir` into a map keyed by `op`. */
export function loadScripts(dir: URL | string): Map<string, LuaScript> {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir)
  const out = new Map<string, LuaScript>()
  for (const name of readdirSync(path).sort()) {
    if (!name.endsWith('.lua')) continue
    const m = FILE.exec(name)
    if (!m) throw new Error(`Lua script ${name} must be named <op>-<nkeys>.lua`)
    const source = readFileSync(`${path}/${name}`, 'utf8')
    const op = m[1]!
    if (out.has(op)) throw new Error(`two Lua scripts define the operation ${op}`)
    out.set(op, {
      op,
      numberOfKeys: Number(m[2]),
      source,
      sha: createHash('sha1').update(source).digest('hex'),
    })
  }
  return out
}

/** Run `script` with EVALSHA, falling back to EVAL on NOSCRIPT. Keys are prefixed by the client. */
export async function runScript<T = unknown>(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<T> {
  if (keys.length !== script.numberOfKeys)
    throw new Error(`${script.op} takes ${script.numberOfKeys} keys, got ${keys.length}`)
  try {
    return (await redis.evalsha(script.sha, keys.length, ...keys, ...args)) as T
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err
    return (await redis.eval(script.source, keys.length, ...keys, ...args)) as T
  }
}
