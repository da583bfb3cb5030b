/**
 * Shlink's JS SDK with its Node client (`@shlinkio/shlink-js-sdk/node`, node:http), which sends
 * `Content-Type: application/json` on every request, bodyless DELETEs included: the three
 * bodyless calls work through it, and a body-taking call still does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { flushVisits, type Json, shortenerApp, TEST_KEY, type TestClient } from './testing.js'

// The SDK's .d.ts files re-export without file extensions, which NodeNext resolution cannot follow
// (the JavaScript is fine), so its types are not used here: the assertions check the shapes.
const { ShlinkApiClient } = (await import('@shlinkio/shlink-js-sdk')) as unknown as {
  ShlinkApiClient: new (http: unknown, server: { baseUrl: string; apiKey: string }) => Json
}
const { NodeHttpClient } = (await import('@shlinkio/shlink-js-sdk/node')) as unknown as {
  NodeHttpClient: new () => unknown
}

describe.each(backends())('Shlink JS SDK, Node client (%s)', (backend) => {
  let c: TestClient
  let client: Json
  beforeAll(async () => {
    c = await shortenerApp(backend)
    await c.app.http.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(c.app.http.server.address() as { port: number }).port}`
    client = new ShlinkApiClient(new NodeHttpClient(), { baseUrl: base, apiKey: TEST_KEY })
  })
  afterAll(() => c.close())

  it('deleteShortUrl', async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/a', customSlug: 'node-del' })
    await client.deleteShortUrl({ shortCode: 'node-del' })
    expect((await c.api('GET', '/rest/v3/short-urls/node-del')).statusCode).toBe(404)
  })

  it('deleteShortUrlVisits', async () => {
    const link = await client.createShortUrl({ longUrl: 'https://example.com/v', customSlug: 'node-visits' })
    for (let i = 0; i < 2; i++) await c.get(`/${link.shortCode}`, { 'user-agent': 'Mozilla/5.0 Firefox/120' })
    await flushVisits(c.app)
    expect(await client.deleteShortUrlVisits({ shortCode: 'node-visits' })).toEqual({ deletedVisits: 2 })
  })

  it('deleteTags', async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/t', tags: ['node-a', 'node-b'] })
    expect(await client.deleteTags(['node-a'])).toEqual({ tags: ['node-a'] })
    const tags = await client.listTags()
    expect(tags.data).toContain('node-b')
    expect(tags.data).not.toContain('node-a')
  })

  it('the Shlink 4 calls: domain redirects and visits, redirect rules, orphan visits and their deletion', async () => {
    expect(
      await client.editDomainRedirects({
        domain: 'node.example',
        regular404Redirect: 'https://example.com/',
      }),
    ).toEqual({
      baseUrlRedirect: null,
      regular404Redirect: 'https://example.com/',
      invalidShortUrlRedirect: null,
    })
    expect((await client.listDomains()).data.map((d: Json) => d.domain)).toContain('node.example')
    const link = await client.createShortUrl({ longUrl: 'https://example.com/r', customSlug: 'node-rules' })
    const rules = await client.setShortUrlRedirectRules(
      { shortCode: link.shortCode },
      {
        redirectRules: [
          { longUrl: 'myapp://r', conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }] },
        ],
      },
    )
    expect(rules.redirectRules[0]).toMatchObject({ longUrl: 'myapp://r', priority: 1 })
    expect((await client.getShortUrlRedirectRules({ shortCode: link.shortCode })).redirectRules).toHaveLength(
      1,
    )
    await c.get('/node-unknown', { 'user-agent': 'Mozilla/5.0 Firefox/120' })
    await c.get(`/${link.shortCode}`, { 'user-agent': 'Mozilla/5.0 Firefox/120' })
    await flushVisits(c.app)
    expect((await client.getDomainVisits('DEFAULT')).data.length).toBeGreaterThanOrEqual(1)
    const orphans = await client.getOrphanVisits({ type: 'invalid_short_url' })
    expect(orphans.data[0]).toMatchObject({
      type: 'invalid_short_url',
      visitedUrl: 'https://s.test/node-unknown',
    })
    // A bodyless DELETE with Content-Type: application/json, as this client sends every request.
    expect(await client.deleteOrphanVisits()).toEqual({ deletedVisits: orphans.pagination.totalItems })
    expect((await client.getVisitsOverview()).orphanVisits.total).toBe(0)
  })
})
