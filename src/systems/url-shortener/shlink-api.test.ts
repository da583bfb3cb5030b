/**
 * Shlink's own API test suite (shlinkio/shlink, module/Rest/test-api), its
 * expectations reproduced against this server: the cases that concern what
 * is implemented here, for short URLs and their redirect rules (domains and
 * orphan visits: shlink-api.domains.test.ts). Where we differ on purpose the test says so (and the
 * README's "What is not Shlink's" says why).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { BASE, createShortUrl, INVALID_DATA, shortenerApp, TEST_KEY, type TestClient } from './testing.js'

describe.each(backends())("Shlink's API tests (%s)", (backend) => {
  let c: TestClient
  const create = (body: Record<string, unknown>) => createShortUrl(c, body)
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  describe('CreateShortUrlTest', () => {
    it.each(['mailto:foo@example.com', 'shlink://some/path', 'https://example.com/'])(
      'lonUrlSupportsDifferentTypesOfSchemas: %s',
      async (longUrl) => {
        const res = await create({ longUrl })
        expect(res.status).toBe(200)
        expect(res.body.longUrl).toBe(longUrl)
      },
    )

    it('refuses file: where Shlink accepts it (a path on the visitor disk; README)', async () => {
      const res = await create({ longUrl: 'file:///foo/bar' })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ ...INVALID_DATA, invalidElements: ['longUrl'] })
    })

    it('createsNewShortUrlWithCustomSlug', async () => {
      const res = await create({ customSlug: 'my cool slug' })
      expect(res.status).toBe(200)
      expect(res.body.shortCode).toBe('my-cool-slug')
    })

    it.each([
      [{}, 'missing long url'],
      [{ longUrl: null }, 'empty long url (null)'],
      [{ longUrl: '  ' }, 'empty long url'],
      [{ longUrl: 'foo.com' }, 'missing url schema'],
    ])('failsToCreateShortUrlWithoutLongUrl: %j (%s)', async (body, _case) => {
      const res = await c.api('POST', '/rest/v3/short-urls', body)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject(INVALID_DATA)
    })

    it('canCreateShortUrlsWithEmojis, and they redirect', async () => {
      const res = await create({
        longUrl: 'https://emojipedia.org/fire/',
        title: '🔥🔥🔥',
        customSlug: '🦣🦣🦣',
      })
      expect(res.status).toBe(200)
      expect(res.body.title).toBe('🔥🔥🔥')
      expect(res.body.shortCode).toBe('🦣🦣🦣')
      expect(res.body.shortUrl).toBe(`${BASE}/🦣🦣🦣`)
      // A browser percent-encodes the path; the management API is addressed the same way.
      const visit = await c.get(`/${encodeURIComponent('🦣🦣🦣')}`)
      expect(visit.statusCode).toBe(302)
      expect(visit.headers.location).toBe('https://emojipedia.org/fire/')
      const got = await c.api('GET', `/rest/v3/short-urls/${encodeURIComponent('🦣🦣🦣')}`)
      expect(got.json().shortCode).toBe('🦣🦣🦣')
      const again = await create({ customSlug: '🦣🦣🦣' })
      expect(again.body).toMatchObject({
        type: 'https://shlink.io/api/error/non-unique-slug',
        customSlug: '🦣🦣🦣',
      })
    })

    it('a slug in either Unicode spelling is one slug (NFC), found by either', async () => {
      const res = await create({ customSlug: 'cafe\u0301' })
      expect(res.body.shortCode).toBe('caf\u00e9')
      const visit = await c.get(`/${encodeURIComponent('cafe\u0301')}`)
      expect(visit.statusCode).toBe(302)
      expect((await create({ customSlug: 'caf\u00e9' })).body.type).toBe(
        'https://shlink.io/api/error/non-unique-slug',
      )
    })

    it.each([
      ['foo', 'foo'],
      ['c'.repeat(513), 'c'.repeat(512)],
    ])('titleIsCroppedIfTooLong', async (title, expected) => {
      expect((await create({ title })).body.title).toBe(expected)
    })

    it('failsToCreateShortUrlWithDuplicatedSlug (detail and customSlug as Shlink)', async () => {
      await create({ customSlug: 'custom' })
      const res = await create({ customSlug: 'custom' })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({
        type: 'https://shlink.io/api/error/non-unique-slug',
        title: 'Invalid custom slug',
        detail: 'Provided slug "custom" is already in use.',
        customSlug: 'custom',
      })
    })
  })

  it('BodyParserTest: returnsErrorWhenRequestBodyIsInvalidJson', async () => {
    for (const url of ['/rest/v3/short-urls', '/rest/v3/short-urls/custom/redirect-rules']) {
      const res = await c.app.http.inject({
        method: 'POST',
        url,
        headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
        payload: '{"foo',
      })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/malformed-request-body',
        title: 'Malformed request body',
        detail: 'Provided request does not contain a valid JSON body.',
        status: 400,
      })
    }
    const patch = await c.app.http.inject({
      method: 'PATCH',
      url: '/rest/v3/domains/redirects',
      headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
      payload: '[1,',
    })
    expect(patch.json().type).toBe('https://shlink.io/api/error/malformed-request-body')
  })

  describe('SetRedirectRulesTest and ListRedirectRulesTest', () => {
    const LANGUAGE_EN = { type: 'language', matchKey: null, matchValue: 'en' }
    /** A rule body of one rule with `conditions`, as Shlink's test data writes them. */
    const ruleWith = (...conditions: unknown[]) => ({
      redirectRules: [{ longUrl: 'https://example.com', conditions }],
    })
    /** One rule of priority 1 with one condition, as the API answers it. */
    const oneRule = (condition: Record<string, unknown>) => [
      { longUrl: 'https://example.com/', priority: 1, conditions: [condition] },
    ]
    const setRules = (code: string, body: unknown) =>
      c.api('POST', `/rest/v3/short-urls/${code}/redirect-rules`, body)

    it('errorIsReturnedWhenInvalidUrlIsProvided', async () => {
      for (const method of ['GET', 'POST']) {
        const res = await c.api(method, '/rest/v3/short-urls/invalid/redirect-rules')
        expect(res.statusCode).toBe(404)
        expect(res.json()).toMatchObject({
          type: 'https://shlink.io/api/error/short-url-not-found',
          title: 'Short URL not found',
          detail: 'No URL found with short code "invalid"',
          status: 404,
          shortCode: 'invalid',
        })
      }
    })

    it.each([
      [{ redirectRules: ['foo'] }, 'invalid data'],
      [{ redirectRules: [{ longUrl: 'invalid' }] }, 'invalid long URL'],
      [{ redirectRules: [{ longUrl: 'https://example.com', conditions: 'foo' }] }, 'non-array conditions'],
      [ruleWith({ type: 'invalid', matchKey: null, matchValue: 'foo' }), 'invalid condition type'],
      [ruleWith({ type: 'device', matchValue: 'invalid-device', matchKey: null }), 'invalid device type'],
      [
        ruleWith({ type: 'ip-address', matchKey: null, matchValue: 'not an IP address' }),
        'invalid IP address',
      ],
      [
        ruleWith({ type: 'geolocation-country-code', matchKey: null, matchValue: 'not a country code' }),
        'invalid country code',
      ],
      [{ redirectRules: [{ longUrl: 'javascript:alert(1)', conditions: [] }] }, 'a refused scheme (ours)'],
      [{}, 'no redirectRules (ours)'],
    ])('errorIsReturnedWhenInvalidDataIsProvided: %j (%s)', async (body, _case) => {
      await create({ customSlug: 'abc123' })
      const res = await setRules('abc123', body)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ ...INVALID_DATA, invalidElements: ['redirectRules'] })
    })

    const rules = [
      {
        longUrl: 'https://example.com/english-and-foo-query',
        priority: 1,
        conditions: [LANGUAGE_EN, { type: 'any-value-query-param', matchKey: 'foo', matchValue: null }],
      },
      {
        longUrl: 'https://example.com/multiple-query-params',
        priority: 2,
        conditions: [
          { type: 'query-param', matchKey: 'hello', matchValue: 'world' },
          { type: 'query-param', matchKey: 'foo', matchValue: 'bar' },
        ],
      },
      { longUrl: 'https://example.com/only-english', priority: 3, conditions: [LANGUAGE_EN] },
      {
        longUrl: 'android://foo/bar',
        priority: 4,
        conditions: [{ type: 'device', matchKey: null, matchValue: 'android' }],
      },
      {
        longUrl: 'fb://profile/33138223345',
        priority: 5,
        conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }],
      },
      {
        longUrl: 'https://example.com/static-ip-address',
        priority: 6,
        conditions: [{ type: 'ip-address', matchKey: null, matchValue: '1.2.3.4' }],
      },
      {
        longUrl: 'https://example.com/linux',
        priority: 7,
        conditions: [{ type: 'device', matchKey: null, matchValue: 'linux' }],
      },
    ]

    it('setsListOfRulesForShortUrl, then returnsListOfRulesForShortUrl', async () => {
      await create({ customSlug: 'def456', longUrl: 'https://example.com/def' })
      const none = await c.api('GET', '/rest/v3/short-urls/def456/redirect-rules')
      expect(none.json()).toEqual({ defaultLongUrl: 'https://example.com/def', redirectRules: [] })
      const set = await setRules('def456', { redirectRules: rules })
      expect(set.statusCode).toBe(200)
      expect(set.json().redirectRules).toEqual(rules)
      const got = await c.api('GET', '/rest/v3/short-urls/def456/redirect-rules')
      expect(got.json()).toEqual({ defaultLongUrl: 'https://example.com/def', redirectRules: rules })
      expect((await c.api('GET', '/rest/v3/short-urls/def456')).json().hasRedirectRules).toBe(true)
      const cleared = await setRules('def456', { redirectRules: [] })
      expect(cleared.json().redirectRules).toEqual([])
      expect((await c.api('GET', '/rest/v3/short-urls/def456')).json().hasRedirectRules).toBe(false)
    })

    it.each([
      ['1.2.3.4', 'static IP'],
      ['1.2.3.0/24', 'CIDR block'],
      ['1.2.3.*', 'IP wildcard pattern'],
      ['1.2.*.4', 'in-between IP wildcard pattern'],
    ])('setsListOfRulesForShortUrl: ip-address %s (%s)', async (matchValue) => {
      const one = oneRule({ type: 'ip-address', matchKey: null, matchValue })
      const res = await setRules('abc123', { redirectRules: one })
      expect(res.statusCode).toBe(200)
      expect(res.json().redirectRules).toEqual(one)
    })

    it('setsListOfRulesForShortUrl: country code', async () => {
      const one = oneRule({ type: 'geolocation-country-code', matchKey: null, matchValue: 'US' })
      const res = await setRules('abc123', { redirectRules: one })
      expect(res.json().redirectRules).toEqual(one)
    })
  })

  describe('SingleStepCreateShortUrlTest', () => {
    const shorten = (query: string, headers: Record<string, string> = {}) =>
      c.get(
        `/rest/v3/short-urls/shorten?longUrl=${encodeURIComponent('https://app.shlink.io')}${query}`,
        headers,
      )

    it.each([
      [`&apiKey=${TEST_KEY}&format=txt`, 'text/plain'],
      [`&apiKey=${TEST_KEY}&format=json`, 'application/json'],
      [`&apiKey=${TEST_KEY}`, 'application/json'],
    ])('createsNewShortUrlWithExpectedResponse %s', async (query, type) => {
      const res = await shorten(query)
      expect(res.statusCode).toBe(200)
      expect(String(res.headers['content-type'])).toMatch(new RegExp(`^${type}`))
      const shortUrl = type === 'text/plain' ? res.body : res.json().shortUrl
      expect(shortUrl).toMatch(new RegExp(`^${BASE}/[0-9A-Za-z]{5}$`))
      const code = shortUrl.slice(BASE.length + 1)
      expect((await c.get(`/${code}`)).headers.location).toBe('https://app.shlink.io/')
    })

    it('authorizationErrorIsReturnedIfNoApiKeyIsSent', async () => {
      const res = await shorten('')
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/missing-authentication',
        title: 'Invalid authorization',
        detail: 'Expected authentication to be provided in "apiKey" query param',
        status: 401,
      })
      expect((await shorten('&apiKey=wrong')).json().type).toBe('https://shlink.io/api/error/invalid-api-key')
    })

    it('refuses a bad long URL as the POST does', async () => {
      const res = await c.get(`/rest/v3/short-urls/shorten?apiKey=${TEST_KEY}&longUrl=javascript:alert(1)`)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ ...INVALID_DATA, invalidElements: ['longUrl'] })
      const missing = await c.get(`/rest/v3/short-urls/shorten?apiKey=${TEST_KEY}`)
      expect(missing.statusCode).toBe(400)
      expect(missing.json()).toMatchObject({ ...INVALID_DATA, invalidElements: ['longUrl'] })
    })
  })
})
