/**
 * Shlink's own JS SDK (@shlinkio/shlink-js-sdk, what shlink-web-client is
 * built on) against a listening server: the proof that existing Shlink
 * clients work unchanged.
 */
import { get as httpGet } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { flushVisits, type Json, shortenerApp, TEST_KEY, type TestClient } from './testing.js'

// The SDK's .d.ts files re-export without file extensions, which NodeNext resolution cannot follow
// (the JavaScript is fine), so its types are not used here: the assertions check the shapes.
type Client = Json
const { ShlinkApiClient } = (await import('@shlinkio/shlink-js-sdk')) as unknown as {
  ShlinkApiClient: new (http: unknown, server: { baseUrl: string; apiKey: string }) => Client
}
const { FetchHttpClient } = (await import('@shlinkio/shlink-js-sdk/fetch')) as unknown as {
  FetchHttpClient: new () => unknown
}
const { ErrorType } = (await import('@shlinkio/shlink-js-sdk/api-contract')) as unknown as {
  ErrorType: Record<string, string>
}

describe.each(backends())('Shlink JS SDK (%s)', (backend) => {
  let c: TestClient
  let client: Client
  let base: string
  beforeAll(async () => {
    c = await shortenerApp(backend)
    await c.app.http.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(c.app.http.server.address() as { port: number }).port}`
    client = new ShlinkApiClient(new FetchHttpClient(), { baseUrl: base, apiKey: TEST_KEY })
  })
  afterAll(() => c.close())

  it('creates, reads, lists, edits and deletes short URLs', async () => {
    const created = await client.createShortUrl({
      longUrl: 'https://shlink.io/documentation',
      tags: ['docs', 'shlink'],
      customSlug: 'sdk-docs',
      title: 'Docs',
      maxVisits: 10,
      crawlable: true,
    })
    expect(created).toMatchObject({
      shortCode: 'sdk-docs',
      tags: ['docs', 'shlink'],
      crawlable: true,
      meta: { maxVisits: 10 },
    })
    expect((await client.getShortUrl({ shortCode: 'sdk-docs' })).title).toBe('Docs')

    await client.createShortUrl({ longUrl: 'https://example.com/other', tags: ['other'] })
    const list = await client.listShortUrls({
      tags: ['docs'],
      orderBy: { field: 'dateCreated', dir: 'DESC' },
    })
    expect(list.data.map((s: Json) => s.shortCode)).toEqual(['sdk-docs'])
    expect(list.pagination.totalItems).toBe(1)
    const notExhausted = await client.listShortUrls({ excludeMaxVisitsReached: true, itemsPerPage: 50 })
    expect(notExhausted.pagination.totalItems).toBe(2)

    const edited = await client.updateShortUrl(
      { shortCode: 'sdk-docs' },
      { title: 'Documentation', maxVisits: null },
    )
    expect(edited).toMatchObject({ title: 'Documentation', meta: { maxVisits: null } })

    await client.deleteShortUrl({ shortCode: 'sdk-docs' })
    await expect(client.getShortUrl({ shortCode: 'sdk-docs' })).rejects.toMatchObject({
      type: ErrorType.INVALID_SHORTCODE,
      status: 404,
    })
  })

  it('surfaces errors with the types the SDK knows', async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/a', customSlug: 'sdk-taken' })
    await expect(
      client.createShortUrl({ longUrl: 'https://example.com/b', customSlug: 'sdk-taken' }),
    ).rejects.toMatchObject({
      type: ErrorType.INVALID_SLUG,
      customSlug: 'sdk-taken',
    })
    await expect(
      client.createShortUrl({ longUrl: 'https://example.com', validSince: 'soon' }),
    ).rejects.toMatchObject({
      type: ErrorType.INVALID_ARGUMENT,
      invalidElements: ['validSince'],
    })
    // The SDK reads the hub's URL and a subscriber token (the web client then opens an EventSource).
    await expect(client.mercureInfo()).resolves.toMatchObject({
      mercureHubUrl: expect.stringMatching(/\/\.well-known\/mercure$/),
      token: expect.any(String),
    })
    const wrongKey = new ShlinkApiClient(new FetchHttpClient(), { baseUrl: base, apiKey: 'nope' })
    await expect(wrongKey.listTags()).rejects.toMatchObject({ type: ErrorType.INVALID_API_KEY })
  })

  it('tags: list, stats, rename, delete', async () => {
    await client.createShortUrl({ longUrl: 'https://example.com/t', tags: ['alpha', 'beta'] })
    expect((await client.listTags()).data).toEqual(expect.arrayContaining(['alpha', 'beta']))
    const stats = await client.tagsStats()
    expect(stats.data.find((t: Json) => t.tag === 'alpha')).toMatchObject({ shortUrlsCount: 1 })
    await client.editTag({ oldName: 'alpha', newName: 'gamma' })
    await client.deleteTags(['beta'])
    const tags = (await client.listTags()).data
    expect(tags).toContain('gamma')
    expect(tags).not.toContain('alpha')
    expect(tags).not.toContain('beta')
    await expect(client.editTag({ oldName: 'nope', newName: 'x' })).rejects.toMatchObject({
      type: ErrorType.TAG_NOT_FOUND,
    })
  })

  it('visits: per short URL, per tag, non-orphan, overview, delete', async () => {
    const link = await client.createShortUrl({ longUrl: 'https://example.com/visited', tags: ['seen'] })
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/${link.shortCode}`, {
        redirect: 'manual',
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0' },
      })
      expect(res.status).toBe(302)
    }
    await flushVisits(c.app)
    expect((await client.getShortUrlVisits({ shortCode: link.shortCode })).pagination.totalItems).toBe(3)
    expect((await client.getTagVisits('seen')).data).toHaveLength(3)
    expect(
      (await client.getNonOrphanVisits({ itemsPerPage: 1 })).pagination.totalItems,
    ).toBeGreaterThanOrEqual(3)
    expect((await client.getOrphanVisits()).data).toEqual([])
    const overview = await client.getVisitsOverview()
    expect(overview.nonOrphanVisits.total).toBeGreaterThanOrEqual(3)
    expect(await client.deleteShortUrlVisits({ shortCode: link.shortCode })).toEqual({ deletedVisits: 3 })
    expect((await client.getShortUrl({ shortCode: link.shortCode })).visitsSummary?.total).toBe(0)
  })

  it('health and domains', async () => {
    expect(await client.health()).toMatchObject({ status: 'pass' })
    const domains = await client.listDomains()
    expect(domains.data[0]).toEqual(expect.objectContaining({ domain: 's.test', isDefault: true }))
  })

  it('Shlink 4 features the web client turns on: domain redirects and visits, redirect rules, orphan visits', async () => {
    // Domain redirects: set, merged, listed, applied to a visit of an unknown code on that host.
    expect(
      await client.editDomainRedirects({
        domain: 'go.example',
        invalidShortUrlRedirect: 'https://example.com/404',
      }),
    ).toEqual({
      baseUrlRedirect: null,
      regular404Redirect: null,
      invalidShortUrlRedirect: 'https://example.com/404',
    })
    const listed = await client.listDomains()
    expect(listed.data).toContainEqual({
      domain: 'go.example',
      isDefault: false,
      redirects: {
        baseUrlRedirect: null,
        regular404Redirect: null,
        invalidShortUrlRedirect: 'https://example.com/404',
      },
    })
    // fetch may not set Host (a forbidden header); a browser sends the name it was given.
    const lost = await new Promise<{ status?: number; location?: string }>((resolve, reject) =>
      httpGet(`${base}/sdk-nowhere`, { headers: { host: 'go.example' } }, (res) => {
        res.resume()
        resolve({ status: res.statusCode, location: res.headers.location })
      }).on('error', reject),
    )
    expect(lost).toEqual({ status: 302, location: 'https://example.com/404' })
    await expect(client.editDomainRedirects({ domain: 'not a domain' })).rejects.toMatchObject({
      type: ErrorType.INVALID_ARGUMENT,
      invalidElements: ['domain'],
    })

    // Redirect rules: set through the SDK, read back, applied.
    const link = await client.createShortUrl({
      longUrl: 'https://example.com/rules',
      customSlug: 'sdk-rules',
    })
    const set = await client.setShortUrlRedirectRules(
      { shortCode: link.shortCode },
      {
        redirectRules: [
          {
            longUrl: 'https://example.com/fr',
            conditions: [{ type: 'language', matchKey: null, matchValue: 'fr' }],
          },
        ],
      },
    )
    expect(set.redirectRules).toEqual([
      {
        longUrl: 'https://example.com/fr',
        priority: 1,
        conditions: [{ type: 'language', matchKey: null, matchValue: 'fr' }],
      },
    ])
    expect(await client.getShortUrlRedirectRules({ shortCode: link.shortCode })).toEqual({
      defaultLongUrl: 'https://example.com/rules',
      redirectRules: set.redirectRules,
    })
    expect((await client.getShortUrl({ shortCode: link.shortCode })).hasRedirectRules).toBe(true)
    const french = await fetch(`${base}/sdk-rules`, {
      headers: { 'accept-language': 'fr-FR' },
      redirect: 'manual',
    })
    expect(french.headers.get('location')).toBe('https://example.com/fr')

    // Visits of the default domain; orphan visits (the unknown code above) listed by type, then deleted.
    await fetch(`${base}/sdk-rules`, { redirect: 'manual' })
    await flushVisits(c.app)
    const domainVisits = await client.getDomainVisits('DEFAULT')
    expect(domainVisits.pagination.totalItems).toBeGreaterThanOrEqual(2)
    await expect(client.getDomainVisits('unknown.example')).rejects.toMatchObject({
      type: ErrorType.DOMAIN_NOT_FOUND,
      authority: 'unknown.example',
    })
    const orphans = await client.getOrphanVisits({ type: 'invalid_short_url' })
    expect(orphans.data).toContainEqual(
      expect.objectContaining({
        type: 'invalid_short_url',
        visitedUrl: 'https://s.test/sdk-nowhere',
        redirectUrl: 'https://example.com/404',
      }),
    )
    const overview = await client.getVisitsOverview()
    expect(overview.orphanVisits.total).toBe(orphans.pagination.totalItems)
    expect(await client.deleteOrphanVisits()).toEqual({ deletedVisits: orphans.pagination.totalItems })
    expect((await client.getOrphanVisits()).data).toEqual([])
  })

  it('emoji slugs and deep links through the SDK', async () => {
    const emoji = await client.createShortUrl({ longUrl: 'https://emojipedia.org/fire/', customSlug: '🔥🦣' })
    expect(emoji.shortCode).toBe('🔥🦣')
    expect((await client.getShortUrl({ shortCode: '🔥🦣' })).longUrl).toBe('https://emojipedia.org/fire/')
    const visit = await fetch(`${base}/${encodeURIComponent('🔥🦣')}`, { redirect: 'manual' })
    expect(visit.headers.get('location')).toBe('https://emojipedia.org/fire/')
    const deep = await client.createShortUrl({ longUrl: 'myapp://open/item?id=7' })
    expect(deep.longUrl).toBe('myapp://open/item?id=7')
    await expect(client.createShortUrl({ longUrl: 'javascript:alert(1)' })).rejects.toMatchObject({
      type: ErrorType.INVALID_ARGUMENT,
      invalidElements: ['longUrl'],
    })
  })
})
