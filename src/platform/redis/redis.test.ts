import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { testServicesEnabled, testServiceUrls } from '../config.js'
import { uniqueId } from '../testing/backends.js'
import { createRedis } from './client.js'
import { loadScripts, runScript } from './scripts.js'

const INCR_BY = `-- incr-by-1.lua: add ARGV[1] to KEYS[1] and return the new value.
-- KEYS[1] counter key   ARGV[1] amount   returns: integer
return redis.call('INCRBY', KEYS[1], ARGV[1])
`

async function scriptDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bp-lua-'))
  for (const [name, src] of Object.entries(files)) await writeFile(path.join(dir, name), src)
  return dir
}

describe('loadScripts', () => {
  it('reads <op>-<nkeys>.lua files with their key count and sha', async () => {
    const scripts = loadScripts(await scriptDir({ 'incr-by-1.lua': INCR_BY, 'README.md': 'ignored' }))
    const s = scripts.get('incr-by')!
    expect(s.numberOfKeys).toBe(1)
    expect(s.sha).toMatch(/^[0-9a-f]{40}$/)
  })

  it('pastes in the *.lib.lua files a script includes, and hashes the whole', async () => {
    const dir = await scriptDir({
      'add.lib.lua': 'local function add(a, b) return a + b end\n',
      'sum-0.lua': '-- sum-0.lua: ARGV[1] + ARGV[2]\n--!include add.lib.lua\nreturn add(ARGV[1], ARGV[2])\n',
    })
    const scripts = loadScripts(dir)
    expect([...scripts.keys()]).toEqual(['sum'])
    expect(scripts.get('sum')!.source).toBe(
      '-- sum-0.lua: ARGV[1] + ARGV[2]\nlocal function add(a, b) return a + b end\nreturn add(ARGV[1], ARGV[2])\n',
    )
    const bad = await scriptDir({ 'x-0.lua': '--!include y-0.lua\n', 'y-0.lua': 'return 1\n' })
    expect(() => loadScripts(bad)).toThrow(/only \*\.lib\.lua files can be included/)
  })

  it('refuses badly named scripts', async () => {
    const noKeys = await scriptDir({ 'incr.lua': INCR_BY })
    expect(() => loadScripts(noKeys)).toThrow(/must be named <op>-<nkeys>\.lua/)
    const dir = await scriptDir({ 'Incr_By.lua': INCR_BY })
    expect(() => loadScripts(dir)).toThrow(/must be named <op>-<nkeys>\.lua/)
  })
})

describe.runIf(testServicesEnabled())('Redis (services)', () => {
  it('runs a script by EVALSHA, falls back to EVAL after SCRIPT FLUSH, and prefixes keys', async () => {
    const prefix = `test:${uniqueId()}:`
    const redis = await createRedis(testServiceUrls().redisUrl, { keyPrefix: prefix })
    const raw = await createRedis(testServiceUrls().redisUrl)
    try {
      const script = loadScripts(await scriptDir({ 'incr-by-1.lua': INCR_BY })).get('incr-by')!
      await raw.script('FLUSH')
      expect(await runScript(redis, script, ['n'], [2])).toBe(2) // NOSCRIPT -> EVAL
      expect(await runScript(redis, script, ['n'], [3])).toBe(5) // cached -> EVALSHA
      expect(await raw.get(`${prefix}n`)).toBe('5')
      expect(await raw.exists('n')).toBe(0)
      await expect(runScript(redis, script, [], [1])).rejects.toThrow(
        'incr-by takes 1 keys (per item), got 0',
      )
    } finally {
      await raw.del(`${prefix}n`)
      await redis.quit()
      await raw.quit()
    }
  })

  it('fails to connect with a clear message naming the URL', async () => {
    await expect(createRedis('redis://127.0.0.1:1')).rejects.toThrow(
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/,
    )
  })
})
