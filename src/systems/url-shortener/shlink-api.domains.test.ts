/**
 * Shlink's own API test suite (shlinkio/shlink, module/Rest/test-api), its
 * expectations reproduced against this server, for domains (redirects,
 * listing, visits by domain) and orphan visits. The cases run in order: the
 * listing sees the domains the redirect cases created. Where we differ on
 * purpose the test says so (and the README's "What is not Shlink's" says why).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { BASE, createShortUrl, flushVisits, INVALID_DATA, shortenerApp, type TestClient } from './testing.js'

describe.each(backends())("Shlink's API tests: domains and orphan visits (%s)", (backend) => {
  let c: TestClient
  const create = (body: Record<string, unknown>) => createShortUrl(c, body)
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  describe('DomainRedirectsTest', () => {
    it.each([
      [{}, 'no domain'],
      [{ domain: '' }, 'empty domain'],
      [{ domain: null }, 'null domain'],
      [{ domain: 'not a domain' }, 'invalid domain'],
      [{ domain: '540.38.386.0' }, 'invalid IP'],
      [{ domain: 'example.com:888888' }, 'invalid port'],
    ])('anErrorIsReturnedWhenTryingToEditAnInvalidDomain: %j (%s)', async (body, _case) => {
      const res = await c.api('PATCH', '/rest/v3/domains/redirects', body)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ ...INVALID_DATA, invalidElements: ['domain'] })
    })

    it('allowsToEditDomainRedirects (merging with what the domain had)', async () => {
      // Shlink stores any string ('foo.com'); here a redirect must be an absolute URL (README).
      const edit = async (body: Record<string, unknown>) => {
        const res = await c.api('PATCH', '/rest/v3/domains/redirects', body)
        expect(res.statusCode).toBe(200)
        return res.json()
      }
      expect(await edit({ domain: 'my-new-domain.com', regular404Redirect: 'https://foo.com' })).toEqual({
        baseUrlRedirect: null,
        regular404Redirect: 'https://foo.com/',
        invalidShortUrlRedirect: null,
      })
      expect(await edit({ domain: 's.test', regular404Redirect: 'https://foo-for-default.com' })).toEqual({
        baseUrlRedirect: null,
        regular404Redirect: 'https://foo-for-default.com/',
        invalidShortUrlRedirect: null,
      })
      await edit({
        domain: 'detached-with-redirects.com',
        baseUrlRedirect: 'https://foo.com',
        regular404Redirect: 'https://bar.com',
      })
      expect(
        await edit({
          domain: 'detached-with-redirects.com',
          baseUrlRedirect: null,
          invalidShortUrlRedirect: 'https://foo.com',
        }),
      ).toEqual({
        baseUrlRedirect: null,
        regular404Redirect: 'https://bar.com/',
        invalidShortUrlRedirect: 'https://foo.com/',
      })
    })

    it('refuses a redirect that is not a URL, naming it', async () => {
      const res = await c.api('PATCH', '/rest/v3/domains/redirects', {
        domain: 'example.com',
        baseUrlRedirect: 'javascript:alert(1)',
        invalidShortUrlRedirect: 42,
      })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({
        ...INVALID_DATA,
        invalidElements: ['baseUrlRedirect', 'invalidShortUrlRedirect'],
      })
    })

    it('ListDomainsTest: the default domain first, then the others by name', async () => {
      await c.api('PATCH', '/rest/v3/domains/redirects', { domain: 'example.com' })
      const res = await c.api('GET', '/rest/v3/domains')
      expect(res.statusCode).toBe(200)
      const { domains } = res.json()
      expect(domains.defaultRedirects).toEqual({
        baseUrlRedirect: null,
        regular404Redirect: null,
        invalidShortUrlRedirect: null,
      })
      expect(domains.data.map((d: { domain: string }) => d.domain)).toEqual([
        's.test',
        'detached-with-redirects.com',
        'example.com',
        'my-new-domain.com',
      ])
      expect(domains.data[0]).toEqual({
        domain: 's.test',
        isDefault: true,
        redirects: {
          baseUrlRedirect: null,
          regular404Redirect: 'https://foo-for-default.com/',
          invalidShortUrlRedirect: null,
        },
      })
      expect(domains.data[2]).toEqual({
        domain: 'example.com',
        isDefault: false,
        redirects: { baseUrlRedirect: null, regular404Redirect: null, invalidShortUrlRedirect: null },
      })
    })
  })

  describe('DomainVisitsTest', () => {
    it('DEFAULT (or the default domain) lists the visits; another domain has none; excludeBots', async () => {
      const link = (await create({ longUrl: 'https://example.com/domain-visits' })).body
      await c.get(`/${link.shortCode}`, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' })
      await c.get(`/${link.shortCode}`, { 'user-agent': 'cf-facebook' })
      await flushVisits(c.app)
      const all = (await c.api('GET', '/rest/v3/domains/DEFAULT/visits')).json().visits
      expect(all.data.length).toBeGreaterThanOrEqual(2)
      const named = (await c.api('GET', '/rest/v3/domains/s.test/visits')).json().visits
      expect(named.pagination.totalItems).toBe(all.pagination.totalItems)
      const noBots = (await c.api('GET', '/rest/v3/domains/DEFAULT/visits?excludeBots=true')).json().visits
      const humans = all.data.filter((v: { potentialBot: boolean }) => !v.potentialBot).length
      expect(humans).toBeGreaterThanOrEqual(1)
      expect(noBots.pagination.totalItems).toBe(humans)
      const other = await c.api('GET', '/rest/v3/domains/example.com/visits')
      expect(other.statusCode).toBe(200)
      expect(other.json().visits.data).toEqual([])
    })

    it('notFoundErrorIsReturnedForInvalidTags (an unknown domain)', async () => {
      const res = await c.api('GET', '/rest/v3/domains/invalid_domain.com/visits')
      expect(res.statusCode).toBe(404)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/domain-not-found',
        title: 'Domain not found',
        detail: 'Domain with authority "invalid_domain.com" could not be found',
        status: 404,
        authority: 'invalid_domain.com',
      })
    })
  })

  describe('OrphanVisitsTest and DeleteOrphanVisitsTest', () => {
    it('lists orphan visits newest first, by type, paged; deletes them without touching the rest', async () => {
      await c.api('DELETE', '/rest/v3/visits/orphan')
      await c.get('/no-such-code', { 'user-agent': 'cf-facebook', referer: 'https://s.test/foo' })
      await flushVisits(c.app)
      const before = (await c.api('GET', '/rest/v3/visits/non-orphan')).json().visits.pagination.totalItems
      const res = await c.api('GET', '/rest/v3/visits/orphan')
      expect(res.statusCode).toBe(200)
      const { data, pagination } = res.json().visits
      expect(pagination.totalItems).toBe(1)
      expect(data[0]).toEqual({
        referer: 'https://s.test/foo',
        date: expect.any(String),
        userAgent: 'cf-facebook',
        visitLocation: null,
        potentialBot: true,
        visitedUrl: `${BASE}/no-such-code`,
        type: 'invalid_short_url',
        redirectUrl: null,
      })
      const typed = await c.api('GET', '/rest/v3/visits/orphan?type=invalid_short_url')
      expect(typed.json().visits.pagination.totalItems).toBe(1)
      const other = await c.api('GET', '/rest/v3/visits/orphan?type=base_url')
      expect(other.json().visits.data).toEqual([])
      expect((await c.api('GET', '/rest/v3/visits/orphan?excludeBots=true')).json().visits.data).toEqual([])
      expect((await c.api('GET', '/rest/v3/visits/orphan?domain=DEFAULT')).json().visits.data).toHaveLength(1)
      expect((await c.api('GET', '/rest/v3/visits/orphan?domain=example.com')).json().visits.data).toEqual([])
      const summary = (await c.api('GET', '/rest/v3/visits')).json().visits
      expect(summary.orphanVisits).toEqual({ total: 1, nonBots: 0, bots: 1 })

      const del = await c.api('DELETE', '/rest/v3/visits/orphan')
      expect(del.statusCode).toBe(200)
      expect(del.json()).toEqual({ deletedVisits: 1 })
      expect((await c.api('GET', '/rest/v3/visits/orphan')).json().visits.pagination.totalItems).toBe(0)
      expect((await c.api('GET', '/rest/v3/visits/non-orphan')).json().visits.pagination.totalItems).toBe(
        before,
      )
      expect((await c.api('GET', '/rest/v3/visits')).json().visits.orphanVisits.total).toBe(0)
    })

    it('errorIsReturnedForInvalidType', async () => {
      const res = await c.api('GET', '/rest/v3/visits/orphan?type=invalid')
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ ...INVALID_DATA, invalidElements: ['type'] })
    })
  })
})
