/** API keys: the X-Api-Key check, INITIAL_API_KEY, the commands, and CORS for browser clients. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { shortenerApp, TEST_KEY, type TestClient } from './testing.js'

describe.each(backends())('API keys (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  const system = () => c.app.systems.find((s) => s.definition.name === 'url-shortener')!
  async function command(name: string, args: string[] = []): Promise<string[]> {
    const lines: string[] = []
    await system().definition.commands![name]!.run(system().context, args, (l: string) => lines.push(l))
    return lines
  }

  it('401 missing-authentication without a key, invalid-api-key with a wrong one', async () => {
    const none = await c.api('GET', '/rest/v3/short-urls', undefined, { 'x-api-key': '' })
    expect(none.statusCode).toBe(401)
    expect(none.json()).toMatchObject({
      type: 'https://shlink.io/api/error/missing-authentication',
      title: 'Invalid authorization',
      status: 401,
    })
    const wrong = await c.api('GET', '/rest/v3/short-urls', undefined, { 'x-api-key': 'nope' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({
      type: 'https://shlink.io/api/error/invalid-api-key',
      title: 'Invalid API key',
    })
  })

  it('INITIAL_API_KEY works, and is stored only as a hash', async () => {
    expect((await c.api('GET', '/rest/v3/short-urls')).statusCode).toBe(200)
    const { rows } = await system().context.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys')
    expect(rows.length).toBeGreaterThan(0)
    for (const r of rows) expect(r.key_hash).not.toContain(TEST_KEY)
  })

  it('`api-key create` prints a key once, which then works; `disable` turns it off', async () => {
    const out = await command('api-key create', ['--name', 'ci'])
    const key = out.at(-1)!
    expect(key).toMatch(/^[0-9a-f-]{36}$/)
    expect(out.join('\n')).toContain('"ci"')
    const ok = await c.api('GET', '/rest/v3/tags', undefined, { 'x-api-key': key })
    expect(ok.statusCode).toBe(200)
    expect((await command('api-key list')).join('\n')).toMatch(/ci\tenabled/)
    expect(await command('api-key disable', ['--name', 'ci'])).toEqual(['1 API key disabled'])
    // Verdicts are cached for 5 s per process.
    await new Promise((r) => setTimeout(r, 5_100))
    expect((await c.api('GET', '/rest/v3/tags', undefined, { 'x-api-key': key })).statusCode).toBe(401)
  })

  it('expired keys are refused', async () => {
    const out = await command('api-key create', ['--name', 'old', '--expires', '2001-01-01T00:00:00Z'])
    expect((await c.api('GET', '/rest/v3/tags', undefined, { 'x-api-key': out.at(-1)! })).statusCode).toBe(
      401,
    )
  })

  it('health needs no key; public routes need no key', async () => {
    for (const url of ['/rest/health', '/rest/v3/health']) {
      const res = await c.get(url)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/health\+json/)
      expect(res.json()).toMatchObject({ status: 'pass', links: { about: 'https://shlink.io' } })
    }
  })

  it('answers CORS preflights allowing X-Api-Key, and CORS headers on answers', async () => {
    const pre = await c.app.http.inject({
      method: 'OPTIONS',
      url: '/rest/v3/short-urls',
      headers: {
        origin: 'https://app.shlink.io',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
    })
    expect(pre.statusCode).toBe(204)
    // Any origin is allowed by default (CORS_ORIGINS=*): '*' or the origin echoed are both right.
    expect(['*', 'https://app.shlink.io']).toContain(pre.headers['access-control-allow-origin'])
    expect(String(pre.headers['access-control-allow-headers']).toLowerCase()).toContain('x-api-key')
    for (const m of ['PATCH', 'PUT', 'DELETE'])
      expect(String(pre.headers['access-control-allow-methods'])).toContain(m)
    const real = await c.api('GET', '/rest/v3/short-urls', undefined, { origin: 'https://app.shlink.io' })
    expect(['*', 'https://app.shlink.io']).toContain(real.headers['access-control-allow-origin'])
  })

  it('domains and mercure-info answer as Shlink does', async () => {
    const domains = (await c.api('GET', '/rest/v3/domains')).json()
    expect(domains.domains.data).toEqual([
      {
        domain: 's.test',
        isDefault: true,
        redirects: { baseUrlRedirect: null, regular404Redirect: null, invalidShortUrlRedirect: null },
      },
    ])
    // The hub itself is tested in mercure.test.ts (and its 501 with URL_SHORTENER_MERCURE=false).
    const mercure = await c.api('GET', '/rest/v3/mercure-info')
    expect(mercure.statusCode).toBe(200)
    expect(mercure.json()).toMatchObject({
      mercureHubUrl: 'https://s.test/.well-known/mercure',
      token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    })
  })
})
