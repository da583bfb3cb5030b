/**
 * Visits that find no short URL, Shlink's three kinds: the base URL, an
 * unknown code, any other path. Each is recorded as an orphan visit of its
 * type and sent to the redirect configured for the host it came to (or the
 * server-wide default), else answered as before (console at `/`, 404).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, uniqueId } from '../../platform/testing/backends.js'
import { waitFor } from '../../platform/testing/wait.js'
import { BASE, flushVisits, type Json, shortenerApp, type TestClient } from './testing.js'

describe.each(backends())('not-found visits (%s)', (backend) => {
  let c: TestClient
  const orphans = async (): Promise<Json[]> => {
    await flushVisits(c.app)
    return (await c.api('GET', '/rest/v3/visits/orphan')).json().visits.data
  }
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  it('without redirects: / stays the console, other paths 404; unknown codes and other paths are recorded', async () => {
    const root = await c.get('/', {
      host: 's.test',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
    })
    expect(root.statusCode).toBe(200)
    expect(root.headers['content-type']).toMatch(/^text\/html/)
    expect((await c.get('/nope-code', { host: 's.test' })).statusCode).toBe(404)
    expect((await c.get('/foo/bar', { host: 's.test' })).statusCode).toBe(404)
    // Not visits to the short domain: the API, other systems, browser probes.
    expect((await c.get('/rest/v3/nope', { host: 's.test' })).statusCode).toBe(404)
    expect((await c.get('/favicon.ico/x', { host: 's.test' })).statusCode).toBe(404)
    const seen = await orphans()
    expect(seen.map((v) => [v.type, v.visitedUrl, v.redirectUrl])).toEqual([
      ['regular_404', `${BASE}/foo/bar`, null],
      ['invalid_short_url', `${BASE}/nope-code`, null],
    ])
    await c.api('DELETE', '/rest/v3/visits/orphan')
  })

  it("each kind goes to its host's redirect, placeholders filled, and is recorded with where it went", async () => {
    const set = await c.api('PATCH', '/rest/v3/domains/redirects', {
      domain: 'go.example',
      baseUrlRedirect: 'https://home.example/',
      regular404Redirect: 'https://home.example/{DOMAIN}/missing?from={ORIGINAL_PATH}',
      invalidShortUrlRedirect: 'https://home.example/bad-link',
    })
    expect(set.statusCode).toBe(200)
    const go = async (path: string, host: string) => {
      const res = await c.get(path, { host })
      return [res.statusCode, res.headers.location]
    }
    expect(await go('/', 'go.example')).toEqual([302, 'https://home.example/'])
    expect(await go('/a/b', 'go.example')).toEqual([
      302,
      'https://home.example/go.example/missing?from=%2Fa%2Fb',
    ])
    expect(await go('/no-such', 'GO.EXAMPLE')).toEqual([302, 'https://home.example/bad-link'])
    // Another host keeps the defaults (none here): the console and 404s.
    expect((await c.get('/', { host: 's.test' })).statusCode).toBe(200)
    expect(await go('/no-such', 's.test')).toEqual([404, undefined])
    const seen = await orphans()
    expect(seen.map((v) => [v.type, v.redirectUrl])).toEqual([
      ['invalid_short_url', null],
      ['invalid_short_url', 'https://home.example/bad-link'],
      ['regular_404', 'https://home.example/go.example/missing?from=%2Fa%2Fb'],
      ['base_url', 'https://home.example/'],
    ])
    const baseOnly = (await c.api('GET', '/rest/v3/visits/orphan?type=base_url')).json().visits
    expect(baseOnly.pagination.totalItems).toBe(1)
    // A redirect cleared with null no longer applies.
    await c.api('PATCH', '/rest/v3/domains/redirects', { domain: 'go.example', baseUrlRedirect: null })
    expect((await c.get('/', { host: 'go.example' })).statusCode).toBe(200)
  })

  it('the server-wide defaults apply to every host without its own, and are listed as defaultRedirects', async () => {
    const other = await shortenerApp(backend, {
      URL_SHORTENER_BASE_URL_REDIRECT: 'https://landing.example/',
      URL_SHORTENER_REGULAR_404_REDIRECT: 'https://landing.example/404',
      URL_SHORTENER_INVALID_CODE_REDIRECT: 'https://landing.example/bad',
    })
    try {
      expect((await other.get('/')).headers.location).toBe('https://landing.example/')
      expect((await other.get('/x/y')).headers.location).toBe('https://landing.example/404')
      expect((await other.get('/unknown')).headers.location).toBe('https://landing.example/bad')
      // The console is still one click away.
      expect((await other.get('/console')).statusCode).toBe(200)
      const { domains } = (await other.api('GET', '/rest/v3/domains')).json()
      expect(domains.defaultRedirects).toEqual({
        baseUrlRedirect: 'https://landing.example/',
        regular404Redirect: 'https://landing.example/404',
        invalidShortUrlRedirect: 'https://landing.example/bad',
      })
    } finally {
      await other.close()
    }
  })

  it('a redirect set through one process applies in another sharing the database within its refresh', async () => {
    const id = uniqueId()
    const env = { DB_SCHEMA_PREFIX: `t${id}_`, URL_SHORTENER_DOMAINS_REFRESH_MS: '200' }
    const a = await shortenerApp(backend, env)
    const b = await shortenerApp(backend, env)
    try {
      expect((await b.get('/gone', { host: 'shared.example' })).statusCode).toBe(404)
      await a.api('PATCH', '/rest/v3/domains/redirects', {
        domain: 'shared.example',
        invalidShortUrlRedirect: 'https://shared.example.org/lost',
      })
      await waitFor(
        'the other process to apply the redirect',
        async () =>
          (await b.get('/gone', { host: 'shared.example' })).headers.location ===
          'https://shared.example.org/lost',
        15_000,
      )
      expect(
        (await b.api('GET', '/rest/v3/domains')).json().domains.data.map((d: Json) => d.domain),
      ).toContain('shared.example')
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('URL_SHORTENER_TRACK_ORPHAN_VISITS=false records none', async () => {
    const quiet = await shortenerApp(backend, { URL_SHORTENER_TRACK_ORPHAN_VISITS: 'false' })
    try {
      await quiet.get('/unknown-code')
      await quiet.get('/a/b')
      await flushVisits(quiet.app)
      expect((await quiet.api('GET', '/rest/v3/visits')).json().visits.orphanVisits.total).toBe(0)
    } finally {
      await quiet.close()
    }
  })
})
