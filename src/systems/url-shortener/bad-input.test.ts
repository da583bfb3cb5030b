/**
 * Property tests: random bodies at every write route, random query strings
 * and random codes at the read and public routes. Whatever comes in, the
 * answer is a 2xx/3xx or a 4xx problem+json; never a 5xx.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { type Res, shortenerApp, type TestClient } from './testing.js'

/** Any UTF-16 text, NUL and lone surrogates included. */
const anyText = fc.string({ unit: 'binary', maxLength: 40 })

const field = fc.oneof(
  anyText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.constantFrom(
    'https://example.com/x',
    'javascript:alert(1)',
    '2024-02-30T25:61:00Z',
    '2030-01-01',
    '',
    '../..',
    'rest',
    '\u0000',
    'a'.repeat(3000),
    '-1',
    '1e309',
  ),
)

const body = fc.oneof(
  fc.record(
    {
      longUrl: field,
      customSlug: field,
      findIfExists: field,
      validSince: field,
      validUntil: field,
      maxVisits: field,
      tags: fc.oneof(field, fc.array(field, { maxLength: 4 })),
      title: field,
      crawlable: field,
      forwardQuery: field,
      shortCodeLength: field,
      domain: field,
      oldName: field,
      newName: field,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
)

function expectSane(res: Res): void {
  expect(res.statusCode).toBeLessThan(500)
  if (res.statusCode >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(res.body).status).toBe(res.statusCode)
  }
}

describe.each(backends())('bad input never reaches a 5xx (%s)', (backend) => {
  let c: TestClient
  let code: string
  beforeAll(async () => {
    c = await shortenerApp(backend)
    code = (await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/fixed' })).json()
      .shortCode
  })
  afterAll(() => c.close())

  it('POST /short-urls, PATCH /short-urls/{code}, PUT /tags with random bodies', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('POST', 'PATCH', 'PUT'), async (b, method) => {
        const url =
          method === 'POST'
            ? '/rest/v3/short-urls'
            : method === 'PATCH'
              ? `/rest/v3/short-urls/${code}`
              : '/rest/v3/tags'
        expectSane(await c.api(method, url, b))
      }),
      { numRuns: 400 },
    )
  })

  it('POST /short-urls/batch with random items', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.record({ shortUrls: fc.array(body, { maxLength: 20 }) }), body),
        async (b) => {
          expectSane(await c.api('POST', '/rest/v3/short-urls/batch', b))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('raw bytes and odd content types at the write routes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
        fc.constantFrom('/rest/v3/short-urls', '/rest/v3/short-urls/batch', `/rest/v3/tags`),
        async (bytes, type, url) => {
          const res = await c.app.http.inject({
            method: url.endsWith('tags') ? 'PUT' : 'POST',
            url,
            headers: {
              'x-api-key': 'test-api-key-0000-0000-000000000000',
              ...(type && { 'content-type': type }),
            },
            payload: Buffer.from(bytes),
          })
          expectSane(res as unknown as Res)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('random query strings at the list, visits and tags routes, and DELETE /tags', async () => {
    const key = fc.constantFrom(
      'page',
      'itemsPerPage',
      'searchTerm',
      'tags[]',
      'tagsMode',
      'orderBy',
      'startDate',
      'endDate',
      'excludeMaxVisitsReached',
      'excludePastValidUntil',
      'excludeBots',
    )
    const qs = fc
      .array(
        fc.tuple(
          key,
          fc.oneof(anyText, fc.integer().map(String), fc.constantFrom('-1', '0', 'true', 'x-ASC')),
        ),
        {
          maxLength: 5,
        },
      )
      .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'))
    await fc.assert(
      fc.asyncProperty(
        qs,
        fc.constantFrom(
          ['GET', '/rest/v3/short-urls'],
          ['GET', `/rest/v3/short-urls/${code}/visits`],
          ['GET', '/rest/v3/tags'],
          ['GET', '/rest/v3/tags/stats'],
          ['DELETE', '/rest/v3/tags'],
        ),
        async (q, [method, path]) => {
          expectSane(await c.api(method!, `${path}?${q}`))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('NUL characters, which PostgreSQL text cannot hold, anywhere', async () => {
    const nul = 'a\u0000b'
    const created = await c.api('POST', '/rest/v3/short-urls', {
      longUrl: `https://example.com/${nul}`,
      title: nul,
      tags: [nul],
    })
    expectSane(created)
    expectSane(
      await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/', customSlug: nul }),
    )
    expectSane(await c.api('PATCH', `/rest/v3/short-urls/${code}`, { title: nul, tags: [nul] }))
    expectSane(await c.api('PUT', '/rest/v3/tags', { oldName: nul, newName: 'x' }))
    for (const q of ['searchTerm', 'tags[]', 'startDate'])
      expectSane(await c.api('GET', `/rest/v3/short-urls?${q}=${encodeURIComponent(nul)}`))
    expectSane(await c.api('GET', `/rest/v3/tags/stats?searchTerm=${encodeURIComponent(nul)}`))
    expectSane(await c.api('DELETE', `/rest/v3/tags?tags[]=${encodeURIComponent(nul)}`))
    expectSane(await c.api('GET', `/rest/v3/short-urls/${encodeURIComponent(nul)}`))
    // Refused at the edge (text no short code can hold), in Shlink's shape, naming the field.
    const refused = await c.get(`/${encodeURIComponent(nul)}`)
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({
      type: 'https://shlink.io/api/error/invalid-data',
      invalidElements: ['shortCode'],
    })
    expect((await c.get(`/${code}`, { referer: 'https://x.example/' })).statusCode).toBe(302)
  })

  it('random codes at the public and per-code routes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
        fc.constantFrom('', '/track', '/qr-code', '/visits'),
        fc.constantFrom('GET', 'DELETE', 'PATCH'),
        async (raw, suffix, method) => {
          const path = `/${encodeURIComponent(raw)}${suffix}`
          const res =
            suffix === '/visits' || method !== 'GET'
              ? await c.api(
                  method,
                  `/rest/v3/short-urls${path}`,
                  method === 'PATCH' ? { title: 't' } : undefined,
                )
              : await c.get(`${path}?q=${encodeURIComponent(raw)}`)
          expect(res.statusCode).toBeLessThan(500)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('random bodies at PATCH /domains/redirects and POST /redirect-rules', async () => {
    const condition = fc.record(
      {
        type: fc.oneof(
          fc.constantFrom('device', 'language', 'query-param', 'ip-address', 'before-date', 'browser'),
          fc.string(),
        ),
        matchKey: fc.oneof(fc.constant(null), fc.string({ maxLength: 20 }), fc.integer()),
        matchValue: fc.oneof(
          fc.constant(null),
          field,
          fc.constantFrom('android', 'en', '1.2.*.4', '1.2.3.0/99'),
        ),
      },
      { requiredKeys: [] },
    )
    const rules = fc.record(
      {
        redirectRules: fc.oneof(
          fc.array(
            fc.oneof(
              fc.record(
                { longUrl: field, conditions: fc.oneof(fc.array(condition, { maxLength: 3 }), field) },
                {
                  requiredKeys: [],
                },
              ),
              fc.jsonValue({ maxDepth: 2 }),
            ),
            { maxLength: 4 },
          ),
          field,
        ),
      },
      { requiredKeys: [] },
    )
    const redirects = fc.record(
      {
        domain: fc.oneof(field, fc.constantFrom('example.com', 'a.b:0', '[::1]', 'x'.repeat(300))),
        baseUrlRedirect: fc.oneof(fc.constant(null), field),
        regular404Redirect: fc.oneof(fc.constant(null), field),
        invalidShortUrlRedirect: fc.oneof(fc.constant(null), field),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(fc.oneof(rules, body), fc.oneof(redirects, body), async (r, d) => {
        expectSane(await c.api('POST', `/rest/v3/short-urls/${code}/redirect-rules`, r))
        expectSane(await c.api('PATCH', '/rest/v3/domains/redirects', d))
      }),
      { numRuns: 300 },
    )
    // Whatever was stored, the link still redirects and lists its rules.
    expect((await c.api('GET', `/rest/v3/short-urls/${code}/redirect-rules`)).statusCode).toBe(200)
    expect((await c.get(`/${code}`)).statusCode).toBe(302)
  })

  it('random topics, event ids and tokens at the Mercure hub: always a 4xx, never a stream', async () => {
    const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 60 })
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyText, { maxLength: 60 }),
        anyText,
        anyText,
        fc.option(
          fc.oneof(
            printable,
            printable.map((t) => `Bearer ${t}`),
          ),
          { nil: undefined },
        ),
        fc.option(printable, { nil: undefined }),
        async (topics, lastEventId, token, authorization, cookie) => {
          const q = [
            ...topics.map((t) => `topic=${encodeURIComponent(t)}`),
            `lastEventID=${encodeURIComponent(lastEventId)}`,
            `access_token=${encodeURIComponent(token)}`,
          ].join('&')
          const headers: Record<string, string> = {}
          if (authorization !== undefined) headers.authorization = authorization
          if (cookie !== undefined) headers.cookie = `mercureAuthorization=${cookie}`
          const res = await c.get(`/.well-known/mercure?${q}`, headers)
          expectSane(res)
          expect(res.statusCode).toBeGreaterThanOrEqual(400)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('random queries and domains at the orphan, domain and shorten routes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        async (q, domain) => {
          const enc = encodeURIComponent(q)
          expectSane(await c.api('GET', `/rest/v3/visits/orphan?type=${enc}&domain=${enc}&page=${enc}`))
          expectSane(
            await c.api('GET', `/rest/v3/domains/${encodeURIComponent(domain)}/visits?startDate=${enc}`),
          )
          expectSane(await c.get(`/rest/v3/short-urls/shorten?apiKey=${enc}&longUrl=${enc}&format=${enc}`))
        },
      ),
      { numRuns: 200 },
    )
  })
})
