/**
 * A process listening on every interface (as in a container) serves clients on
 * other machines; without PUBLIC_URL the links it hands out fall back to its
 * loopback address. It must say so at start, and stay quiet when the operator
 * set PUBLIC_URL or listens on loopback only.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { loadConfig } from './config.js'
import { createLogger } from './telemetry/logger.js'
import { testDb } from './testing/backends.js'
import { fixtureSystem } from './testing/fixture-system.js'

async function startupWarnings(env: Record<string, string>): Promise<string[]> {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'warn', ...env })
  const app = await buildApp(config, {
    systems: [fixtureSystem],
    db: (await testDb('embedded')).withSchema('public'),
    redis: null,
    logger: createLogger('warn', 'test', sink),
  })
  try {
    await app.start()
  } finally {
    await app.close()
  }
  return lines.map((l) => JSON.parse(l).msg as string)
}

describe('PUBLIC_URL at start', { timeout: 60_000 }, () => {
  it('warns when listening on every interface without PUBLIC_URL', async () => {
    const msgs = await startupWarnings({ HOST: '0.0.0.0' })
    expect(msgs.some((m) => m.startsWith('PUBLIC_URL is not set'))).toBe(true)
  })

  it('is quiet with PUBLIC_URL set, or on loopback', async () => {
    const withUrl = await startupWarnings({ HOST: '0.0.0.0', PUBLIC_URL: 'https://sho.rt' })
    const loopback = await startupWarnings({ HOST: '127.0.0.1' })
    expect(withUrl.filter((m) => m.startsWith('PUBLIC_URL'))).toEqual([])
    expect(loopback.filter((m) => m.startsWith('PUBLIC_URL'))).toEqual([])
  })
})
