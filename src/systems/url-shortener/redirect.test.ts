/**
 * The public side: redirects and their rules (validity window, maxVisits,
 * forwardQuery, status), the negative cache, the pixel and QR codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../platform/testing/app.js'
import { backends } from '../../platform/testing/backends.js'
import { mergeQuery } from './redirect.js'
import { shortenerApp, type TestClient } from './testing.js'

/** How many lookups each cache tier answered so far. */
async function lookups(app: App): Promise<Record<string, number>> {
  const metric = app.metrics.registry.getSingleMetric('url_shortener_cache_lookups_total')
  const out: Record<string, number> = {}
  for (const v of (await metric!.get()).values) out[`${v.labels.tier}:${v.labels.result}`] = v.value
  return out
}

describe('mergeQuery', () => {
  it.each([
    ['https://a.example/p', 'x=1', 'https://a.example/p?x=1'],
    ['https://a.example/p?a=1', 'b=2', 'https://a.example/p?a=1&b=2'],
    ['https://a.example/p?a=1&b=1', 'b=2', 'https://a.example/p?a=1&b=2'],
    ['https://a.example/p#frag', 'x=1', 'https://a.example/p?x=1#frag'],
    ['https://a.example/p?a=1#frag', 'a=2&a=3', 'https://a.example/p?a=2&a=3#frag'],
    ['https://a.example/p', 'q=caf\u00e9', 'https://a.example/p?q=caf%E9'],
    ['https://a.example/p', '', 'https://a.example/p'],
  ])('%s + ?%s -> %s', (long, q, expected) => {
    expect(mergeQuery(long, q)).toBe(expected)
  })
})

describe.each(backends())('redirects (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  const create = async (body: Record<string, unknown>) => {
    const res = await c.api('POST', '/rest/v3/short-urls', body)
    expect(res.statusCode).toBe(200)
    return res.json().shortCode as string
  }

  it('302 to the long URL, with the query merged (forwardQuery)', async () => {
    const code = await create({ longUrl: 'https://example.com/landing?utm=1' })
    const res = await c.get(`/${code}?ref=tw&utm=2`)
    expect(res.statusCode).toBe(302)
    expect(res.headers.location).toBe('https://example.com/landing?ref=tw&utm=2')
    expect(res.headers['cache-control']).toBeUndefined()
  })

  it('does not forward the query when forwardQuery is false', async () => {
    const code = await create({ longUrl: 'https://example.com/x', forwardQuery: false })
    expect((await c.get(`/${code}?a=1`)).headers.location).toBe('https://example.com/x')
  })

  it('404s unknown codes, and negative-caches them (the database is asked once)', async () => {
    const before = await lookups(c.app)
    for (let i = 0; i < 5; i++) {
      const res = await c.get('/NoSuchCode', { accept: 'application/json' })
      expect(res.statusCode).toBe(404)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/short-url-not-found',
        shortCode: 'NoSuchCode',
      })
    }
    const after = await lookups(c.app)
    expect((after['db:not_found'] ?? 0) - (before['db:not_found'] ?? 0)).toBeLessThanOrEqual(1)
    expect((after['lru:not_found'] ?? 0) - (before['lru:not_found'] ?? 0)).toBeGreaterThanOrEqual(4)
    const html = await c.get('/NoSuchCode', { accept: 'text/html' })
    expect(html.headers['content-type']).toMatch(/^text\/html/)
  })

  it('a code created after it was probed is found at once (creates invalidate negative entries)', async () => {
    expect((await c.get('/probed-first')).statusCode).toBe(404)
    await create({ longUrl: 'https://example.com/now', customSlug: 'probed-first' })
    expect((await c.get('/probed-first')).statusCode).toBe(302)
  })

  it('never redirects before validSince or after validUntil', async () => {
    const future = await create({
      longUrl: 'https://example.com/f',
      validSince: new Date(Date.now() + 3_600_000).toISOString(),
    })
    const past = await create({
      longUrl: 'https://example.com/p',
      validUntil: new Date(Date.now() - 1000).toISOString(),
    })
    const window = await create({
      longUrl: 'https://example.com/w',
      validSince: new Date(Date.now() - 1000).toISOString(),
      validUntil: new Date(Date.now() + 3_600_000).toISOString(),
    })
    expect((await c.get(`/${future}`)).statusCode).toBe(404)
    expect((await c.get(`/${past}`)).statusCode).toBe(404)
    expect((await c.get(`/${window}`)).statusCode).toBe(302)
  })

  it('stops at exactly maxVisits, then 404s', async () => {
    const code = await create({ longUrl: 'https://example.com/max', maxVisits: 3 })
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => c.get(`/${code}`).then((r) => r.statusCode)),
    )
    expect(statuses.filter((s) => s === 302)).toHaveLength(3)
    expect(statuses.filter((s) => s === 404)).toHaveLength(7)
    const link = (await c.api('GET', `/rest/v3/short-urls/${code}`)).json()
    expect(link.visitsSummary.total).toBe(3)
    // Raising the limit by an edit reopens it (the exhausted entry is invalidated).
    await c.api('PATCH', `/rest/v3/short-urls/${code}`, { maxVisits: 4 })
    expect((await c.get(`/${code}`)).statusCode).toBe(302)
    expect((await c.get(`/${code}`)).statusCode).toBe(404)
  })

  it('an edit changes the target at once; a delete 404s at once', async () => {
    const code = await create({ longUrl: 'https://example.com/old' })
    expect((await c.get(`/${code}`)).headers.location).toBe('https://example.com/old')
    await c.api('PATCH', `/${'rest/v3/short-urls'}/${code}`, { longUrl: 'https://example.com/new' })
    expect((await c.get(`/${code}`)).headers.location).toBe('https://example.com/new')
    await c.api('DELETE', `/rest/v3/short-urls/${code}`)
    expect((await c.get(`/${code}`)).statusCode).toBe(404)
  })

  it('serves the tracking pixel for any code', async () => {
    const code = await create({ longUrl: 'https://example.com/px' })
    for (const path of [`/${code}/track`, '/unknown-code/track']) {
      const res = await c.get(path)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('image/gif')
      expect(Buffer.from(res.body, 'latin1').subarray(0, 6).toString()).toBe('GIF89a')
    }
  })

  it('draws QR codes in PNG and SVG', async () => {
    const code = await create({ longUrl: 'https://example.com/qr' })
    const png = await c.app.http.inject({ url: `/${code}/qr-code?size=200&margin=2` })
    expect(png.statusCode).toBe(200)
    expect(png.headers['content-type']).toBe('image/png')
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG')
    expect(png.rawPayload.readUInt32BE(16)).toBe(200)
    const svg = await c.get(`/${code}/qr-code?format=svg&color=ff0000`)
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/)
    expect(svg.body).toContain('<svg')
    expect(svg.body).toContain('#ff0000')
    expect((await c.get('/unknown-code/qr-code')).statusCode).toBe(404)
    expect((await c.get(`/${code}/qr-code?size=5000`)).statusCode).toBe(400)
    expect((await c.get(`/${code}/qr-code?format=gif`)).statusCode).toBe(400)
  })
})

describe('redirect settings', () => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp('embedded', {
      URL_SHORTENER_REDIRECT_STATUS: '301',
      URL_SHORTENER_INVALID_CODE_REDIRECT: 'https://example.com/oops',
    })
  })
  afterAll(() => c.close())

  it("uses the configured status, with Shlink's cache header for permanent redirects", async () => {
    const code = (await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/perm' })).json()
      .shortCode
    const res = await c.get(`/${code}`)
    expect(res.statusCode).toBe(301)
    expect(res.headers['cache-control']).toBe('private,max-age=30')
  })

  it('sends unknown codes to the fallback, never to a target', async () => {
    const res = await c.get('/whatever-this-is')
    expect(res.statusCode).toBe(302)
    expect(res.headers.location).toBe('https://example.com/oops')
    const domains = (await c.api('GET', '/rest/v3/domains')).json()
    expect(domains.domains.defaultRedirects.invalidShortUrlRedirect).toBe('https://example.com/oops')
  })
})
