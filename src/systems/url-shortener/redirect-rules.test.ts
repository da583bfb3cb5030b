/** Redirect rules: each condition as Shlink matches it (geolocation included), priority order, and rules applied on the redirect. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import type { RedirectRule } from './ports.js'
import { acceptsLanguage, ipMatches, matchRules, type VisitContext } from './redirect-rules.js'
import { flushVisits, shortenerApp, type TestClient } from './testing.js'
import { browserOf, devicesOf } from './user-agent.js'

const UA = {
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
  windowsEdge:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0',
  macSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
  linuxFirefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  chromeOs:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  opera:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0',
  curl: 'curl/8.5.0',
}

const visit = (v: Partial<VisitContext>): VisitContext => ({
  query: '',
  userAgent: undefined,
  acceptLanguage: undefined,
  ip: undefined,
  ...v,
})

describe('conditions', () => {
  it.each([
    [UA.iphone, ['ios', 'mobile'], 'safari'],
    [UA.android, ['android', 'mobile'], 'chrome'],
    [UA.windowsEdge, ['windows', 'desktop'], 'edge'],
    [UA.macSafari, ['macos', 'desktop'], 'safari'],
    [UA.linuxFirefox, ['linux', 'desktop'], 'firefox'],
    [UA.chromeOs, ['chromeos', 'desktop'], 'chrome'],
    [UA.opera, ['windows', 'desktop'], 'opera'],
    [UA.curl, [], null],
  ])('device and browser of %s', (ua, devices, browser) => {
    expect(devicesOf(ua)).toEqual(devices)
    expect(browserOf(ua)).toBe(browser)
  })

  it.each([
    ['en-US,en;q=0.9', 'en', true],
    ['en-US', 'en-us', true],
    ['en_GB', 'en-GB', true],
    ['fr-FR, en;q=0.8', 'en', false],
    ['fr-FR, en;q=0.9', 'en', true],
    ['es-AR', 'es-ES', false],
    ['es', 'es-ES', false],
    ['*', 'en', false],
    [undefined, 'en', false],
    ['de;q=abc', 'de', false],
  ])('Accept-Language %j accepts %s: %s', (header, lang, expected) => {
    expect(acceptsLanguage(header, lang)).toBe(expected)
  })

  it.each([
    ['1.2.3.4', '1.2.3.4', true],
    ['1.2.3.4', '1.2.3.5', false],
    ['1.2.3.0/24', '1.2.3.200', true],
    ['1.2.3.0/24', '1.2.4.1', false],
    ['1.2.*.4', '1.2.99.4', true],
    ['1.2.*.4', '1.2.99.5', false],
    ['1.2.3.*', '::ffff:1.2.3.9', true],
    ['2001:db8::/32', '2001:db8::1', true],
    ['2001:db8::/32', '1.2.3.4', false],
  ])('ip-address %s against %s: %s', (pattern, ip, expected) => {
    expect(ipMatches(pattern, ip)).toBe(expected)
  })

  it('query parameters: value, any value, no value; a repeated one counts by its last value', () => {
    const rule = (type: string, matchKey: string, matchValue: string | null): RedirectRule[] => [
      { longUrl: 'hit', conditions: [{ type: type as 'query-param', matchKey, matchValue }] },
    ]
    expect(matchRules(rule('query-param', 'foo', 'bar'), visit({ query: 'foo=bar' }))).toBe('hit')
    expect(matchRules(rule('query-param', 'foo', 'bar'), visit({ query: 'foo=baz' }))).toBeUndefined()
    expect(matchRules(rule('query-param', 'foo', 'bar'), visit({ query: 'foo=bar&foo=x' }))).toBeUndefined()
    expect(matchRules(rule('any-value-query-param', 'foo', null), visit({ query: 'foo=1' }))).toBe('hit')
    expect(matchRules(rule('any-value-query-param', 'foo', null), visit({ query: 'fo=1' }))).toBeUndefined()
    expect(matchRules(rule('valueless-query-param', 'foo', null), visit({ query: 'foo' }))).toBe('hit')
    expect(matchRules(rule('valueless-query-param', 'foo', null), visit({ query: 'foo=1' }))).toBeUndefined()
  })

  it('dates; geolocation never matches without a location; a rule without conditions never matches', () => {
    const one = (type: string, matchValue: string): RedirectRule[] => [
      { longUrl: 'hit', conditions: [{ type: type as 'before-date', matchKey: null, matchValue }] },
    ]
    expect(matchRules(one('before-date', '2999-01-01T00:00:00+00:00'), visit({}))).toBe('hit')
    expect(matchRules(one('after-date', '2999-01-01T00:00:00+00:00'), visit({}))).toBeUndefined()
    expect(matchRules(one('after-date', '2000-01-01T00:00:00+00:00'), visit({}))).toBe('hit')
    expect(matchRules(one('geolocation-country-code', 'US'), visit({}))).toBeUndefined()
    expect(matchRules([{ longUrl: 'hit', conditions: [] }], visit({}))).toBeUndefined()
  })

  it('geolocation: country code and city name, case-insensitive, looked up once and only when needed', () => {
    const geo = (
      type: 'geolocation-country-code' | 'geolocation-city-name',
      value: string,
    ): RedirectRule => ({
      longUrl: value,
      conditions: [{ type, matchKey: null, matchValue: value }],
    })
    const london = {
      countryCode: 'GB',
      countryName: 'United Kingdom',
      regionName: 'England',
      cityName: 'London',
      latitude: 51.5,
      longitude: -0.1,
      timezone: 'Europe/London',
    }
    const asked: string[] = []
    const locate = (ip: string) => {
      asked.push(ip)
      return ip === '81.2.69.142' ? london : null
    }
    const at = visit({ ip: '81.2.69.142' })
    expect(matchRules([geo('geolocation-country-code', 'gb')], at, locate)).toBe('gb')
    expect(matchRules([geo('geolocation-city-name', 'LONDON')], at, locate)).toBe('LONDON')
    expect(matchRules([geo('geolocation-city-name', 'Lond')], at, locate)).toBeUndefined()
    expect(matchRules([geo('geolocation-country-code', 'US')], at, locate)).toBeUndefined()
    // Two geolocation rules on one visit: one lookup.
    asked.length = 0
    const two = [geo('geolocation-country-code', 'US'), geo('geolocation-city-name', 'london')]
    expect(matchRules(two, at, locate)).toBe('london')
    expect(asked).toEqual(['81.2.69.142'])
    // No location, no address, geolocation off: never a match.
    expect(matchRules(two, visit({ ip: '127.0.0.1' }), locate)).toBeUndefined()
    expect(matchRules(two, visit({}), locate)).toBeUndefined()
    expect(matchRules(two, at)).toBeUndefined()
    // Rules without a geolocation condition never look the address up.
    asked.length = 0
    const byIp: RedirectRule = {
      longUrl: 'by-ip',
      conditions: [{ type: 'ip-address', matchKey: null, matchValue: '81.2.0.0/16' }],
    }
    expect(matchRules([byIp], at, locate)).toBe('by-ip')
    expect(asked).toEqual([])
  })

  it('the first rule whose conditions all match wins', () => {
    const rules: RedirectRule[] = [
      {
        longUrl: 'android-en',
        conditions: [
          { type: 'device', matchKey: null, matchValue: 'android' },
          { type: 'language', matchKey: null, matchValue: 'en' },
        ],
      },
      { longUrl: 'android', conditions: [{ type: 'device', matchKey: null, matchValue: 'android' }] },
      { longUrl: 'mobile', conditions: [{ type: 'device', matchKey: null, matchValue: 'mobile' }] },
    ]
    expect(matchRules(rules, visit({ userAgent: UA.android, acceptLanguage: 'en' }))).toBe('android-en')
    expect(matchRules(rules, visit({ userAgent: UA.android, acceptLanguage: 'fr' }))).toBe('android')
    expect(matchRules(rules, visit({ userAgent: UA.iphone }))).toBe('mobile')
    expect(matchRules(rules, visit({ userAgent: UA.linuxFirefox }))).toBeUndefined()
  })
})

describe.each(backends())('rules on the redirect (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  it('applies the rules in priority order, forwards the query, and follows a change at once', async () => {
    await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/default', customSlug: 'app' })
    // Cached in this process's LRU before the rules exist: setting them must reach the cache.
    expect((await c.get('/app')).headers.location).toBe('https://example.com/default')
    const set = await c.api('POST', '/rest/v3/short-urls/app/redirect-rules', {
      redirectRules: [
        {
          longUrl: 'https://example.com/android-en',
          conditions: [
            { type: 'device', matchKey: null, matchValue: 'android' },
            { type: 'language', matchKey: null, matchValue: 'en' },
          ],
        },
        { longUrl: 'myapp://open', conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }] },
        {
          longUrl: 'https://example.com/campaign',
          conditions: [{ type: 'query-param', matchKey: 'utm_source', matchValue: 'mail' }],
        },
      ],
    })
    expect(set.statusCode).toBe(200)
    const go = async (url: string, headers: Record<string, string> = {}) =>
      (await c.get(url, headers)).headers.location
    expect(await go('/app', { 'user-agent': UA.android, 'accept-language': 'en-US,en;q=0.9' })).toBe(
      'https://example.com/android-en',
    )
    expect(await go('/app', { 'user-agent': UA.android, 'accept-language': 'de' })).toBe(
      'https://example.com/default',
    )
    expect(await go('/app', { 'user-agent': UA.iphone })).toBe('myapp://open')
    expect(await go('/app?utm_source=mail')).toBe('https://example.com/campaign?utm_source=mail')
    expect(await go('/app?utm_source=web')).toBe('https://example.com/default?utm_source=web')

    // The visit records where the visitor went.
    await flushVisits(c.app)
    const visits = (await c.api('GET', '/rest/v3/short-urls/app/visits')).json().visits.data
    expect(visits[1].redirectUrl).toBe('https://example.com/campaign?utm_source=mail')

    await c.api('POST', '/rest/v3/short-urls/app/redirect-rules', { redirectRules: [] })
    expect(await go('/app', { 'user-agent': UA.iphone })).toBe('https://example.com/default')
  })

  it('geolocation conditions match on the redirect from the visitor address, never with geolocation off', async () => {
    const rules = {
      redirectRules: [
        {
          longUrl: 'https://example.com/london',
          conditions: [{ type: 'geolocation-city-name', matchKey: null, matchValue: 'london' }],
        },
        {
          longUrl: 'https://example.com/au',
          conditions: [{ type: 'geolocation-country-code', matchKey: null, matchValue: 'AU' }],
        },
      ],
    }
    const from = async (client: TestClient, code: string, ip: string) =>
      (await client.app.http.inject({ method: 'GET', url: `/${code}`, remoteAddress: ip })).headers.location
    await c.api('POST', '/rest/v3/short-urls', {
      longUrl: 'https://example.com/world',
      customSlug: 'geo-rules',
    })
    expect((await c.api('POST', '/rest/v3/short-urls/geo-rules/redirect-rules', rules)).statusCode).toBe(200)
    expect(await from(c, 'geo-rules', '81.2.69.142')).toBe('https://example.com/london')
    expect(await from(c, 'geo-rules', '::ffff:81.2.69.142')).toBe('https://example.com/london')
    expect(await from(c, 'geo-rules', '1.1.1.1')).toBe('https://example.com/au')
    expect(await from(c, 'geo-rules', '8.8.8.8')).toBe('https://example.com/world')
    expect(await from(c, 'geo-rules', '127.0.0.1')).toBe('https://example.com/world')

    const off = await shortenerApp(backend, { URL_SHORTENER_GEOLOCATION_DB: 'off' })
    try {
      await off.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/world',
        customSlug: 'geo-off',
      })
      expect((await off.api('POST', '/rest/v3/short-urls/geo-off/redirect-rules', rules)).statusCode).toBe(
        200,
      )
      expect(await from(off, 'geo-off', '81.2.69.142')).toBe('https://example.com/world')
      expect(await from(off, 'geo-off', '1.1.1.1')).toBe('https://example.com/world')
    } finally {
      await off.close()
    }
  })

  it('rules go with their link: deleting the link deletes them', async () => {
    await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/x', customSlug: 'gone-rules' })
    await c.api('POST', '/rest/v3/short-urls/gone-rules/redirect-rules', {
      redirectRules: [
        {
          longUrl: 'https://example.com/y',
          conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }],
        },
      ],
    })
    expect((await c.api('DELETE', '/rest/v3/short-urls/gone-rules')).statusCode).toBe(204)
    await c.api('POST', '/rest/v3/short-urls', {
      longUrl: 'https://example.com/x2',
      customSlug: 'gone-rules',
    })
    const rules = await c.api('GET', '/rest/v3/short-urls/gone-rules/redirect-rules')
    expect(rules.json().redirectRules).toEqual([])
  })
})
