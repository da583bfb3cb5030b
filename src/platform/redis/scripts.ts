/**
 * Lua script loader. A system keeps one atomic operation per file, named
 * `<op>-<nkeys>.lua`, with a header documenting KEYS, ARGV and the return
 * value. Redis has no `require`, so code that several scripts share lives in
 * `*.lib.lua` files that a script pulls in with a line `--!include <path>`
 * (relative to the script): the loader pastes them in, and the SHA is the one
 * of the whole text Redis runs. Scripts run by EVALSHA; when the server
 * answers NOSCRIPT (restart, SCRIPT FLUSH, failover) the loader falls back to
 * EVAL once, which also caches the script again.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'

export interface LuaScript {
  readonly op: string
  readonly numberOfKeys: number
  readonly source: string
  readonly sha: string
}

const FILE = /^([a-z][a-z0-9-]*?)-(\d+)\.lua$/
const INCLUDE = /^--!include\s+(\S+)\s*$/gm
const MAX_INCLUDE_DEPTH = 8

/** The text of `file` with its `--!include` lines replaced by the files they name. */
function expand(file: string, depth = 0): string {
  if (depth > MAX_INCLUDE_DEPTH)
    throw new Error(`Lua includes nest deeper than ${MAX_INCLUDE_DEPTH} at ${file}`)
  const text = readFileSync(file, 'utf8')
  return text.replace(INCLUDE, (_line, rel: string) => {
    if (!rel.endsWith('.lib.lua'))
      throw new Error(`${file}: only *.lib.lua files can be included, not ${rel}`)
    const body = expand(join(dirname(file), rel), depth + 1)
    return body.endsWith('\n') ? body.slice(0, -1) : body
  })
}

/** Read every `<op>-<nkeys>.lua` of `dir` (includes expanded) into a map keyed by `op`; `*.lib.lua` files are only included. */
export function loadScripts(dir: URL | string): Map<string, LuaScript> {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir)
  const out = new Map<string, LuaScript>()
  for (const name of readdirSync(path).sort()) {
    if (!name.endsWith('.lua') || name.endsWith('.lib.lua')) continue
    const m = FILE.exec(name)
    if (!m) throw new Error(`Lua script ${name} must be named <op>-<nkeys>.lua`)
    const source = expand(join(path, name))
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

/** Run `script` with EVALSHA, falling back to EVAL on NOSCRIPT. Keys are prefixed by the client; `keys` may repeat the script's key group. */
export async function runScript<T = unknown>(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<T> {
  // A script may decide several items per call, its keys in groups of `numberOfKeys` (one per item).
  if (keys.length === 0 ? script.numberOfKeys !== 0 : keys.length % script.numberOfKeys !== 0)
    throw new Error(`${script.op} takes ${script.numberOfKeys} keys (per item), got ${keys.length}`)
  try {
    return (await redis.evalsha(script.sha, keys.length, ...keys, ...args)) as T
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err
    return (await redis.eval(script.source, keys.length, ...keys, ...args)) as T
  }
}
