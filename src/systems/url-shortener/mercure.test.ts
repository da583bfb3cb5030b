/**
 * Real-time updates as Shlink's clients receive them: `mercure-info` hands
 * out a hub URL and a subscriber token, and an EventSource client (the
 * `eventsource` package, given the token as `Authorization: Bearer` the way
 * shlink-web-component's event-source-polyfill sends it) receives Shlink's
 * payloads on Shlink's topics: from this process and from another one
 * sharing the database and the Bus, and, after its connection is cut, what
 * it missed (Last-Event-ID), exactly once.
 */
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { EventSource } from 'eventsource'
import { decodeJwt, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bus } from '../../platform/bus/port.js'
import { loadConfig } from '../../platform/config.js'
import { createLogger } from '../../platform/telemetry/logger.js'
import { type App, buildApp } from '../../platform/testing/app.js'
import {
  type BackendName,
  backends,
  testBus,
  testDb,
  testRedis,
  uniqueId,
} from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import urlShortener from './index.js'
import { derivedSecret, MercureTokens } from './mercure.tokens.js'
import { flushVisits, type Json, TEST_KEY } from './testing.js'

const BASE = 'https://s.test'
const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'

/** Log lines of an app, parsed (to check what is logged at which level). */
class LogSink extends Writable {
  readonly lines: Json[] = []
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    for (const line of chunk.toString().split('\n')) if (line.trim()) this.lines.push(JSON.parse(line))
    done()
  }
}

interface Node {
  app: App
  url: string
  logs: LogSink
  api(method: string, path: string, body?: unknown): Promise<{ statusCode: number; json: () => Json }>
  visit(code: string, ip: string): Promise<number>
}

/** One process of an installation: the shared schema prefix, database and Bus, its own HTTP port. */
async function startNode(
  backend: BackendName,
  shared: { id: string; bus: Bus },
  env: Record<string, string> = {},
): Promise<Node> {
  const logs = new LogSink()
  const config = loadConfig({
    LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    DB_SCHEMA_PREFIX: `t${shared.id}_`,
    REDIS_KEY_PREFIX: `test:${shared.id}:`,
    BUS_PREFIX: `t${shared.id}`,
    PUBLIC_URL: BASE,
    INITIAL_API_KEY: TEST_KEY,
    URL_SHORTENER_VISITS_FLUSH_MS: '60000',
    ...env,
  })
  const db = (await testDb(backend)).withSchema('public')
  const redis = await testRedis(backend)
  const app = await buildApp(config, {
    systems: [urlShortener],
    db,
    redis: redis ?? null,
    bus: shared.bus,
    logger: createLogger('info', 'test', logs),
  })
  await app.start({ listen: false })
  await app.http.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.http.server.address() as AddressInfo
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    logs,
    async api(method, path, body) {
      return app.http.inject({
        method: method as 'GET',
        url: path,
        headers: { 'x-api-key': TEST_KEY, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      })
    },
    async visit(code, ip) {
      return (
        await app.http.inject({
          method: 'GET',
          url: `/${code}`,
          remoteAddress: ip,
          headers: { 'user-agent': BROWSER },
        })
      ).statusCode
    },
  }
}

/** An EventSource on the hub of `node` for `topic`, with the token as the web client sends it. */
function subscribe(node: Node, hubUrl: string, token: string, topics: string[]) {
  const url = new URL(hubUrl.replace(BASE, node.url))
  for (const t of topics) url.searchParams.append('topic', t)
  const received: { id: string; data: Json }[] = []
  const errors: (number | undefined)[] = []
  const es = new EventSource(url, {
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...init?.headers, Authorization: `Bearer ${token}` } }),
  })
  es.onmessage = (e) => received.push({ id: e.lastEventId, data: JSON.parse(e.data) })
  es.onerror = (e) => errors.push((e as unknown as { code?: number }).code)
  const opened = new Promise<void>((resolve) => {
    es.onopen = () => resolve()
  })
  return { es, received, errors, opened }
}

describe.each(backends())('Mercure hub (%s)', (backend) => {
  let bus: Bus
  let busB: Bus
  let a: Node
  let b: Node
  let info: Json
  beforeAll(async () => {
    const id = uniqueId()
    bus = await testBus(backend, `t${id}`)
    // Two processes share the Bus: one in-process bus object, or two NATS connections on one stream.
    busB = backend === 'embedded' ? bus : await testBus(backend, `t${id}`)
    a = await startNode(backend, { id, bus })
    b = await startNode(backend, { id, bus: busB })
    info = (await a.api('GET', '/rest/v3/mercure-info')).json()
  }, 60_000)
  afterAll(async () => {
    await a?.app.close()
    await b?.app.close()
    await bus?.close()
    if (busB !== bus) await busB?.close()
  })

  it('mercure-info gives the hub URL and an HS256 subscriber token, as Shlink does', async () => {
    expect(info.mercureHubUrl).toBe(`${BASE}/.well-known/mercure`)
    expect(info.jwtExpiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/)
    const claims = decodeJwt(info.token)
    expect(claims).toMatchObject({ iss: 'Shlink', mercure: { subscribe: ['*'] } })
    expect(claims.exp! * 1000).toBe(Date.parse(info.jwtExpiration))
    expect(claims.exp! - claims.iat!).toBe(86_400)
  })

  it('streams new short URLs and visits, with location, from this process and another', async () => {
    const all = subscribe(a, info.mercureHubUrl, info.token, ['https://shlink.io/new-visit'])
    const one = subscribe(b, info.mercureHubUrl, info.token, ['https://shlink.io/new-visit/live-1'])
    const created = subscribe(b, info.mercureHubUrl, info.token, ['https://shlink.io/new-short-url'])
    await Promise.all([all.opened, one.opened, created.opened])
    // Node A learns that B has subscribers from B's presence message.
    await waitFor(
      'presence of the other process',
      () => Boolean(a.app && (hubOf(a).wanted as boolean)),
      10_000,
    )

    expect(
      (await a.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/1', customSlug: 'live-1' }))
        .statusCode,
    ).toBe(200)
    await a.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/2', customSlug: 'live-2' })
    await waitFor('new-short-url on B', () => created.received.length === 2, 10_000)
    expect(created.received.map((e) => e.data.shortUrl.shortCode)).toEqual(['live-1', 'live-2'])
    expect(created.received[0]!.data.shortUrl).toMatchObject({
      shortUrl: `${BASE}/live-1`,
      longUrl: 'https://example.com/1',
    })

    // A visit on A from London, one on B from a private address, one on B to the other link.
    expect(await a.visit('live-1', '81.2.69.142')).toBe(302)
    expect(await b.visit('live-1', '10.1.2.3')).toBe(302)
    expect(await b.visit('live-2', '8.8.8.8')).toBe(302)
    await flushVisits(a.app)
    await flushVisits(b.app)
    await waitFor('visits on A', () => all.received.length === 3, 10_000)
    await waitFor('live-1 visits on B', () => one.received.length === 2, 10_000)

    const london = all.received.find((e) => e.data.visit.visitLocation?.cityName === 'London')
    expect(london?.data).toMatchObject({
      shortUrl: { shortCode: 'live-1', longUrl: 'https://example.com/1' },
      visit: {
        potentialBot: false,
        visitedUrl: `${BASE}/live-1`,
        redirectUrl: 'https://example.com/1',
        visitLocation: {
          countryCode: 'GB',
          countryName: 'United Kingdom',
          cityName: 'London',
          isEmpty: false,
        },
      },
    })
    expect(london!.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/)
    expect(one.received.every((e) => e.data.shortUrl.shortCode === 'live-1')).toBe(true)
    expect(one.received.map((e) => e.data.visit.visitLocation?.countryCode ?? null).sort()).toEqual(
      ['GB', null].sort(),
    )
    expect(all.received.some((e) => e.data.visit.visitLocation?.countryCode === 'US')).toBe(true)
    for (const s of [all, one, created]) s.es.close()
  }, 60_000)

  it('streams orphan visits, with their type and location, on new-orphan-visit', async () => {
    const s = subscribe(b, info.mercureHubUrl, info.token, ['https://shlink.io/new-orphan-visit'])
    await s.opened
    await waitFor('presence of the other process', () => hubOf(a).wanted, 10_000)
    expect(await a.visit('no-such-code', '81.2.69.142')).toBe(404)
    await flushVisits(a.app)
    await waitFor('the orphan visit', () => s.received.length === 1, 10_000)
    expect(s.received[0]!.data).toEqual({
      visit: expect.objectContaining({
        type: 'invalid_short_url',
        visitedUrl: `${BASE}/no-such-code`,
        visitLocation: expect.objectContaining({ countryCode: 'GB', cityName: 'London' }),
      }),
    })
    // Stored with its location too.
    const listed = (await a.api('GET', '/rest/v3/visits/orphan')).json().visits.data
    expect(listed[0]).toMatchObject({ type: 'invalid_short_url', visitLocation: { countryCode: 'GB' } })
    s.es.close()
  }, 60_000)

  it('replays what a cut connection missed after Last-Event-ID, once, in order', async () => {
    await a.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/r', customSlug: 'replay' })
    const s = subscribe(a, info.mercureHubUrl, info.token, ['https://shlink.io/new-visit/replay'])
    await s.opened
    await a.visit('replay', '1.1.1.1')
    await flushVisits(a.app)
    await waitFor('first visit', () => s.received.length === 1, 10_000)
    // Cut every connection of A: the client reconnects after its retry delay (3 s), sending Last-Event-ID.
    a.app.http.server.closeAllConnections()
    await a.visit('replay', '1.1.1.1')
    await a.visit('replay', '8.8.8.8')
    await flushVisits(a.app)
    await waitFor('the missed visits', () => s.received.length === 3, 20_000)
    await a.visit('replay', '81.2.69.142')
    await flushVisits(a.app)
    await waitFor('the next visit', () => s.received.length === 4, 10_000)
    expect(new Set(s.received.map((e) => e.id)).size).toBe(4)
    expect(s.received.map((e) => e.data.visit.visitLocation?.countryCode)).toEqual(['AU', 'AU', 'US', 'GB'])
    s.es.close()
  }, 60_000)

  it('refuses a missing, forged or expired token with 401 and a missing topic with 400, never logging an error', async () => {
    const hub = `${a.url}/.well-known/mercure`
    const topic = encodeURIComponent('https://shlink.io/new-visit')
    const forged = await new SignJWT({ mercure: { subscribe: ['*'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-secret-not-the-secret-not-the-secret'))
    const cases: [string, Record<string, string>, number][] = [
      [`${hub}?topic=${topic}`, {}, 401],
      [`${hub}?topic=${topic}`, { authorization: `Bearer ${forged}` }, 401],
      [`${hub}?topic=${topic}`, { authorization: 'Basic abc' }, 401],
      [`${hub}?topic=${topic}`, { authorization: `Bearer ${info.token}x` }, 401],
      [`${hub}`, { authorization: `Bearer ${info.token}` }, 400],
    ]
    for (const [url, headers, status] of cases) {
      const res = await fetch(url, { headers })
      expect(res.status, `${url} ${JSON.stringify(headers)}`).toBe(status)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
    }
    // The web client's reaction to 401 is to fetch a new token: the EventSource reports the status.
    const expired = subscribe(a, info.mercureHubUrl, forged, ['https://shlink.io/new-visit'])
    await waitFor('the 401', () => expired.errors.length > 0, 10_000)
    expect(expired.errors[0]).toBe(401)
    expired.es.close()
    // Through the query parameter and the cookie too.
    const q = await fetch(`${hub}?topic=${topic}&access_token=${info.token}`)
    expect(q.status).toBe(200)
    await q.body?.cancel()
    const c = await fetch(`${hub}?topic=${topic}`, {
      headers: { cookie: `mercureAuthorization=${info.token}` },
    })
    expect(c.status).toBe(200)
    await c.body?.cancel()
    expect(a.logs.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([])
  })

  it('normal 4xx answers across the API log nothing at error level', async () => {
    const before = a.logs.lines.length
    const calls: [string, string, unknown, number][] = [
      ['GET', '/no-such-code', undefined, 404],
      ['GET', '/rest/v3/short-urls/no-such-code', undefined, 404],
      ['POST', '/rest/v3/short-urls', { longUrl: 'javascript:alert(1)' }, 400],
      ['POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/x', maxVisits: -1 }, 400],
      ['PUT', '/rest/v3/tags', { oldName: 'nope', newName: 'x' }, 404],
      ['GET', '/rest/v3/short-urls?page=abc', undefined, 400],
    ]
    for (const [method, path, body, status] of calls)
      expect((await a.api(method, path, body)).statusCode, `${method} ${path}`).toBe(status)
    const noKey = await a.app.http.inject({ method: 'GET', url: '/rest/v3/short-urls' })
    expect(noKey.statusCode).toBe(401)
    const malformed = await a.app.http.inject({
      method: 'POST',
      url: '/rest/v3/short-urls',
      headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
      payload: '{"longUrl":',
    })
    expect(malformed.statusCode).toBe(400)
    const logged = a.logs.lines.slice(before)
    expect(logged.filter((l) => l.level === 'error' || l.level === 'fatal' || l.err?.stack)).toEqual([])
  })

  it('private updates reach only tokens whose selectors match their topic', async () => {
    // The installation's secret, as every process derives it from the shared code key.
    const { rows } = await system(a).context.db.query<{ key: Uint8Array }>(
      'SELECT key FROM code_key WHERE id = 1',
    )
    const tokens = new MercureTokens(derivedSecret(new Uint8Array(rows[0]!.key)))
    const narrow = await tokens.issueSubscriber(new Date(Date.now() + 3_600_000), [
      'https://shlink.io/new-short-url',
    ])
    const s = subscribe(a, info.mercureHubUrl, narrow, ['*'])
    await s.opened
    await a.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/p', customSlug: 'private-1' })
    await a.visit('private-1', '8.8.8.8')
    await flushVisits(a.app)
    await waitFor('the new short URL', () => s.received.length >= 1, 10_000)
    await hubPublisher(a).idle()
    await new Promise((r) => setTimeout(r, 300))
    expect(s.received.map((e) => Object.keys(e.data))).toEqual([['shortUrl']])
    s.es.close()
  })
})

describe('Mercure turned off', () => {
  it('mercure-info answers 501 mercure-not-configured, logged below error level', async () => {
    const id = uniqueId()
    const bus = await testBus('embedded', `t${id}`)
    const node = await startNode('embedded', { id, bus }, { URL_SHORTENER_MERCURE: 'false' })
    try {
      const res = await node.api('GET', '/rest/v3/mercure-info')
      expect(res.statusCode).toBe(501)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/mercure-not-configured',
        status: 501,
      })
      expect((await fetch(`${node.url}/.well-known/mercure?topic=x`)).status).toBe(404)
      expect(node.logs.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([])
    } finally {
      await node.app.close()
      await bus.close()
    }
  })
})

/** The system's internals, reached through its workers and routes' dependencies (tests only). */
function system(node: Node) {
  return node.app.systems.find((s) => s.definition.name === 'url-shortener')!
}
function hubOf(node: Node) {
  return system(node).instance.workers!.find((w) => w.name === 'url-shortener:mercure-hub') as unknown as {
    wanted: boolean
  }
}
function hubPublisher(node: Node) {
  const w = system(node).instance.workers!.find((x) => x.name === 'url-shortener:mercure-publisher')!
  return { idle: () => w.stop() }
}
