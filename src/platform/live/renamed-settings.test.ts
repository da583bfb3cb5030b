/**
 * Presence's interval and the node's name were chat's variables (CHAT_PRESENCE_INTERVAL_MS,
 * CHAT_NODE_ID) before the transport became platform/live (LIVE_*). An upgrade that keeps the old
 * names keeps its settings, and is told once at start to rename them; a bad value under an old name
 * stops the boot naming that variable.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../app.js'
import { ConfigError, loadConfig } from '../config.js'
import { parseSettingsRenamed } from '../settings.js'
import { createLogger } from '../telemetry/logger.js'
import { testDb } from '../testing/backends.js'
import { fixtureSystem } from '../testing/fixture-system.js'
import { LIVE_RENAMED, liveSettings } from './settings.js'

const parse = (env: Record<string, string>) => parseSettingsRenamed(liveSettings, env, LIVE_RENAMED)

describe('renamed live variables', { timeout: 60_000 }, () => {
  it('reads the old names when the new ones are unset, with one warning each', () => {
    const { values, warnings } = parse({ CHAT_PRESENCE_INTERVAL_MS: '700', CHAT_NODE_ID: 'node-a' })
    expect(values.LIVE_PRESENCE_INTERVAL_MS).toBe(700)
    expect(values.LIVE_NODE_ID).toBe('node-a')
    expect(warnings).toHaveLength(2)
    expect(warnings.find((w) => w.startsWith('CHAT_NODE_ID '))).toContain('LIVE_NODE_ID')
    expect(warnings.find((w) => w.startsWith('CHAT_PRESENCE_INTERVAL_MS '))).toContain(
      'LIVE_PRESENCE_INTERVAL_MS',
    )
  })

  it('prefers the new name when both are set, and says the old one is ignored', () => {
    const { values, warnings } = parse({ CHAT_PRESENCE_INTERVAL_MS: '700', LIVE_PRESENCE_INTERVAL_MS: '900' })
    expect(values.LIVE_PRESENCE_INTERVAL_MS).toBe(900)
    expect(warnings).toEqual([expect.stringContaining('CHAT_PRESENCE_INTERVAL_MS is deprecated and ignored')])
  })

  it('is quiet without old names', () => {
    const { values, warnings } = parse({ LIVE_NODE_ID: 'n' })
    expect(values.LIVE_NODE_ID).toBe('n')
    expect(values.LIVE_PRESENCE_INTERVAL_MS).toBe(5_000)
    expect(warnings).toEqual([])
  })

  it('refuses a bad value under the old name, naming it', () => {
    expect(() => parse({ CHAT_PRESENCE_INTERVAL_MS: 'soon' })).toThrow(ConfigError)
    expect(() => parse({ CHAT_PRESENCE_INTERVAL_MS: 'soon' })).toThrow(/^CHAT_PRESENCE_INTERVAL_MS must be/)
  })

  it('a process started with CHAT_NODE_ID runs as that node and warns at start', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const app = await buildApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', CHAT_NODE_ID: 'upgraded-node' }), {
      systems: [fixtureSystem],
      db: (await testDb('embedded')).withSchema('public'),
      redis: null,
      logger: createLogger('warn', 'test', sink),
    })
    try {
      expect(app.systems[0]!.context.live.presence.node).toBe('upgraded-node')
    } finally {
      await app.close()
    }
    const msgs = lines.map((l) => JSON.parse(l).msg as string)
    expect(msgs.filter((m) => m.startsWith('CHAT_NODE_ID is deprecated'))).toHaveLength(1)
  })
})
