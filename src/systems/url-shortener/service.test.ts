/**
 * The domain service on its own, wired to the real stores in a fresh schema
 * but without HTTP: creation and deduplication of codes, slug rules, edits
 * that reach every process's LRU through the Bus, and deletion. Two
 * LocalCache + Invalidator pairs on one bus stand for two processes.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bus } from '../../platform/bus/port.js'
import { migrate } from '../../platform/db/migrate.js'
import { createLogger } from '../../platform/telemetry/logger.js'
import { backends, testBus, testDb } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { LocalCache } from './cache.lru.js'
import { CodeCodec } from './codes.js'
import { IdAllocator } from './id-allocator.js'
import { Invalidator } from './invalidation.js'
import { ShortUrlService, targetOf } from './service.js'
import { ShlinkError } from './shlink-errors.js'
import { createShortUrlStore } from './store.pg.js'
import { createTagStore } from './tags.store.pg.js'
import { createVisitStore } from './visits.store.pg.js'

const log = createLogger('silent')

describe.each(backends())('ShortUrlService on %s', (backend) => {
  let bus: Bus
  let service: ShortUrlService
  const here = new LocalCache({ max: 100, ttlMs: 60_000, negativeTtlMs: 1_000 })
  const elsewhere = new LocalCache({ max: 100, ttlMs: 60_000, negativeTtlMs: 1_000 })
  let invalidators: Invalidator[] = []

  beforeAll(async () => {
    const db = await testDb(backend)
    await migrate(db, [{ source: 'system', dir: new URL('./sql/', import.meta.url) }])
    bus = await testBus(backend)
    invalidators = [new Invalidator(bus, here, log), new Invalidator(bus, elsewhere, log)]
    for (const inv of invalidators) await inv.start()
    const store = createShortUrlStore(db)
    service = new ShortUrlService({
      store,
      tags: createTagStore(db),
      visits: createVisitStore(db),
      codec: new CodeCodec(await store.codeKey(randomBytes(32))),
      ids: new IdAllocator(db),
      shared: undefined,
      invalidator: invalidators[0]!,
      input: {
        policy: { ownHosts: () => ['sho.rt'], allowPrivateTargets: false },
        defaultCodeLength: 5,
        defaultDomain: () => 'sho.rt',
      },
      log,
    })
  })
  afterAll(async () => {
    for (const inv of invalidators) await inv.stop()
    await bus.close()
  })

  it('gives every creation its own code, and findIfExists returns the existing link', async () => {
    const rows = await Promise.all(
      Array.from({ length: 200 }, (_, i) => service.create({ longUrl: `https://example.com/${i}` }, null)),
    )
    expect(new Set(rows.map((r) => r.shortCode)).size).toBe(200)
    expect(rows.every((r) => r.shortCode.length === 5)).toBe(true)
    const again = await service.create({ longUrl: 'https://example.com/7', findIfExists: true }, null)
    expect(again.id).toBe(rows[7]!.id)
    const fresh = await service.create({ longUrl: 'https://example.com/7' }, null)
    expect(fresh.id).not.toBe(rows[7]!.id)
  })

  it('refuses a taken slug, a reserved one, and a target on its own host', async () => {
    await service.create({ longUrl: 'https://example.com/a', customSlug: 'taken-slug' }, null)
    const taken = await service
      .create({ longUrl: 'https://example.com/b', customSlug: 'taken-slug' }, null)
      .catch((e) => e)
    // As in Shlink: a taken slug is INVALID_SLUG (non-unique-slug); a malformed or reserved one is invalid data.
    expect(taken).toBeInstanceOf(ShlinkError)
    expect(taken.status).toBe(400)
    expect(taken.code).toBe('INVALID_SLUG')
    const reserved = await service
      .create({ longUrl: 'https://example.com/c', customSlug: 'rest' }, null)
      .catch((e) => e)
    expect(reserved).toBeInstanceOf(ShlinkError)
    expect(reserved.code).toBe('INVALID_ARGUMENT')
    expect(JSON.stringify(reserved.extensions)).toContain('customSlug')
    const loop = await service.create({ longUrl: 'https://sho.rt/abc' }, null).catch((e) => e)
    expect(loop).toBeInstanceOf(ShlinkError)
    // Shlink 4 has no invalid-url: a refused long URL is invalid data naming longUrl.
    expect(loop.code).toBe('INVALID_ARGUMENT')
    expect(loop.extensions.invalidElements).toEqual(['longUrl'])
  })

  it('an edit changes the target and drops the code from every process LRU', async () => {
    const row = await service.create({ longUrl: 'https://example.com/old', customSlug: 'moving' }, null)
    for (const cache of [here, elsewhere]) cache.set('moving', targetOf(row), cache.token())
    const edited = await service.edit('moving', { longUrl: 'https://example.com/new' })
    expect(edited.longUrl).toBe('https://example.com/new')
    expect(edited.version).toBeGreaterThan(row.version)
    expect(here.get('moving').hit).toBe(false) // synchronously, in the editing process
    await waitFor('the other process to drop the code', () => elsewhere.get('moving').hit === false, 1_000)
    expect((await service.get('moving')).longUrl).toBe('https://example.com/new')
  })

  it('a deleted link is gone for reads and for every LRU', async () => {
    const row = await service.create({ longUrl: 'https://example.com/gone', customSlug: 'gone' }, null)
    elsewhere.set('gone', targetOf(row), elsewhere.token())
    await service.remove('gone')
    await waitFor('the other process to drop the code', () => elsewhere.get('gone').hit === false, 1_000)
    const err = await service.get('gone').catch((e) => e)
    expect(err).toBeInstanceOf(ShlinkError)
    expect(err.status).toBe(404)
  })
})
