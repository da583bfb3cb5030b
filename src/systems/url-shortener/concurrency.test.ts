/** Many clients at once: creates never share a code, a slug goes to one of them, maxVisits holds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { shortenerApp, type TestClient } from './testing.js'

describe.each(backends())('concurrency (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  it('10,000 concurrent creates give 10,000 distinct codes', async () => {
    const results = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        c.api('POST', '/rest/v3/short-urls', { longUrl: `https://example.com/${i}`, shortCodeLength: 4 }),
      ),
    )
    const failed = results.filter((r) => r.statusCode !== 200)
    expect(failed.slice(0, 3).map((r) => `${r.statusCode} ${r.body.slice(0, 200)}`)).toEqual([])
    const codes = new Set(results.map((r) => r.json().shortCode))
    expect(codes.size).toBe(10_000)
    const count = (await c.api('GET', '/rest/v3/short-urls?itemsPerPage=1')).json().shortUrls.pagination
      .totalItems
    expect(count).toBeGreaterThanOrEqual(10_000)
  }, 120_000)

  it('10 concurrent batches of 1,000 give 10,000 distinct codes', async () => {
    const batches = await Promise.all(
      Array.from({ length: 10 }, (_, b) =>
        c.api('POST', '/rest/v3/short-urls/batch', {
          shortUrls: Array.from({ length: 1000 }, (_, i) => ({ longUrl: `https://example.com/b${b}/${i}` })),
        }),
      ),
    )
    const codes = new Set<string>()
    for (const b of batches) {
      expect(b.statusCode).toBe(200)
      for (const r of b.json().results) {
        expect(r.ok).toBe(true)
        codes.add(r.shortUrl.shortCode)
      }
    }
    expect(codes.size).toBe(10_000)
  }, 120_000)

  it('one custom slug, 50 concurrent claimants: exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        c.api('POST', '/rest/v3/short-urls', {
          longUrl: `https://example.com/race/${i}`,
          customSlug: 'the-race',
        }),
      ),
    )
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1)
    const losers = results.filter((r) => r.statusCode === 400)
    expect(losers).toHaveLength(49)
    for (const r of losers) expect(r.json().type).toBe('https://shlink.io/api/error/non-unique-slug')
  })

  it('maxVisits holds under 200 concurrent visits', async () => {
    const code = (
      await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/m', maxVisits: 50 })
    ).json().shortCode
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => c.get(`/${code}`).then((r) => r.statusCode)),
    )
    expect(statuses.filter((s) => s === 302)).toHaveLength(50)
  })
})
