/**
 * The database going away: cached codes keep redirecting, an uncached code
 * gets a 503 with Retry-After (never a wrong target), visits wait in the
 * buffer and are written once the database is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryBus } from '../../platform/bus/memory.js'
import { loadConfig } from '../../platform/config.js'
import type { Db } from '../../platform/db/port.js'
import { createLogger } from '../../platform/telemetry/logger.js'
import { type App, buildApp } from '../../platform/testing/app.js'
import { testDb, uniqueId } from '../../platform/testing/backends.js'
import urlShortener from './index.js'
import { flushVisits, TEST_KEY } from './testing.js'

/** A Db whose every view fails while `down` is set (a database outage, without stopping the shared one). */
function flaky(real: Db, state: { down: boolean }): Db {
  const fail = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
  return {
    ...real,
    query: (text, params) => (state.down ? fail() : real.query(text, params)),
    exec: (sql) => (state.down ? fail() : real.exec(sql)),
    tx: (fn) => (state.down ? fail() : real.tx(fn)),
    ping: () => (state.down ? fail() : real.ping()),
    withSchema: (schema) => flaky(real.withSchema(schema), state),
  }
}

describe('database outage (embedded)', () => {
  const state = { down: false }
  let app: App
  beforeAll(async () => {
    const id = uniqueId()
    const real = await testDb('embedded', 'public')
    app = await buildApp(
      loadConfig({
        LOG_LEVEL: 'silent',
        DB_SCHEMA_PREFIX: `t${id}_`,
        PUBLIC_URL: 'https://s.test',
        INITIAL_API_KEY: TEST_KEY,
        URL_SHORTENER_VISITS_FLUSH_MS: '50',
      }),
      {
        systems: [urlShortener],
        db: flaky(real, state),
        bus: createMemoryBus(),
        redis: null,
        logger: createLogger('silent'),
      },
    )
    await app.start({ listen: false })
  })
  afterAll(() => app.close())

  it('keeps redirecting cached codes, 503s the rest, and loses no visit', async () => {
    const create = await app.http.inject({
      method: 'POST',
      url: '/rest/v3/short-urls',
      headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
      payload: JSON.stringify({ longUrl: 'https://example.com/up' }),
    })
    const code = create.json().shortCode
    expect((await app.http.inject({ url: `/${code}` })).statusCode).toBe(302) // now cached

    state.down = true
    for (let i = 0; i < 20; i++) expect((await app.http.inject({ url: `/${code}` })).statusCode).toBe(302)
    const cold = await app.http.inject({ url: '/never-seen' })
    expect(cold.statusCode).toBe(503)
    expect(cold.headers['retry-after']).toBe('5')
    expect((await app.http.inject({ url: '/rest/health' })).json().status).toBe('fail')
    await new Promise((r) => setTimeout(r, 200)) // a few failed flushes

    state.down = false
    await flushVisits(app)
    const visits = await app.http.inject({
      url: `/rest/v3/short-urls/${code}/visits?itemsPerPage=1`,
      headers: { 'x-api-key': TEST_KEY },
    })
    expect(visits.json().visits.pagination.totalItems).toBe(21)
  })
})
