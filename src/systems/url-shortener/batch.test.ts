/** POST /rest/v3/short-urls/batch: per-item results, one bad item does not sink the others. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { shortenerApp, type TestClient } from './testing.js'

describe.each(backends())('batch create (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
    await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/x', customSlug: 'already' })
  })
  afterAll(() => c.close())

  it('answers each item in order', async () => {
    const res = await c.api('POST', '/rest/v3/short-urls/batch', {
      shortUrls: [
        { longUrl: 'https://example.com/1', tags: ['t'] },
        { longUrl: 'javascript:alert(1)' },
        { longUrl: 'https://example.com/2', customSlug: 'already' },
        { longUrl: 'https://example.com/3', customSlug: 'fresh-one' },
        { longUrl: 'https://example.com/4', customSlug: 'fresh-one' },
        { longUrl: 'https://example.com/5', maxVisits: -3 },
        'not an object',
        { longUrl: 'https://example.com/x', findIfExists: true },
      ],
    })
    expect(res.statusCode).toBe(200)
    const r = res.json().results
    expect(r).toHaveLength(8)
    expect(r[0]).toMatchObject({ ok: true, shortUrl: { longUrl: 'https://example.com/1', tags: ['t'] } })
    expect(r[1]).toMatchObject({
      ok: false,
      error: { type: 'https://shlink.io/api/error/invalid-data', status: 400, invalidElements: ['longUrl'] },
    })
    expect(r[2]).toMatchObject({ ok: false, error: { type: 'https://shlink.io/api/error/non-unique-slug' } })
    expect(r[3]).toMatchObject({ ok: true, shortUrl: { shortCode: 'fresh-one' } })
    expect(r[4]).toMatchObject({ ok: false, error: { type: 'https://shlink.io/api/error/non-unique-slug' } })
    expect(r[5]).toMatchObject({ ok: false, error: { invalidElements: ['maxVisits'] } })
    expect(r[6]).toMatchObject({ ok: false, error: { type: 'https://shlink.io/api/error/invalid-data' } })
    expect(r[7]).toMatchObject({ ok: true, shortUrl: { shortCode: 'already' } })
    // The created ones redirect.
    expect((await c.get(`/${r[0].shortUrl.shortCode}`)).statusCode).toBe(302)
    expect((await c.get('/fresh-one')).headers.location).toBe('https://example.com/3')
  })

  it('fails an item holding text PostgreSQL cannot store alone, naming the field', async () => {
    const res = await c.api('POST', '/rest/v3/short-urls/batch', {
      shortUrls: [
        { longUrl: 'https://example.com/good-1' },
        { longUrl: 'https://example.com/bad', title: 'nul \u0000 here' },
        { longUrl: 'https://example.com/good-2', tags: ['ok'] },
        { longUrl: 'https://example.com/bad', tags: ['lone \ud800'] },
        { longUrl: 'https://example.com/\udfff' },
      ],
    })
    expect(res.statusCode).toBe(200)
    const r = res.json().results
    expect(r.map((x: { ok: boolean }) => x.ok)).toEqual([true, false, true, false, false])
    expect(r[1].error).toMatchObject({
      type: 'https://shlink.io/api/error/invalid-data',
      invalidElements: ['title'],
    })
    expect(r[3].error).toMatchObject({ invalidElements: ['tags'] })
    expect(r[4].error).toMatchObject({ invalidElements: ['longUrl'] })
    expect((await c.get(`/${r[2].shortUrl.shortCode}`)).headers.location).toBe('https://example.com/good-2')
    // The single create refuses the same text at the edge, in the same shape.
    const single = await c.api('POST', '/rest/v3/short-urls', {
      longUrl: 'https://example.com/',
      title: '\ud800',
    })
    expect(single.statusCode).toBe(400)
    expect(single.json()).toMatchObject({
      type: 'https://shlink.io/api/error/invalid-data',
      invalidElements: ['title'],
    })
  })

  it('refuses more than 1,000 items, and an empty batch', async () => {
    const many = await c.api('POST', '/rest/v3/short-urls/batch', {
      shortUrls: Array.from({ length: 1001 }, () => ({ longUrl: 'https://example.com' })),
    })
    expect(many.statusCode).toBe(400)
    expect(many.json().type).toBe('https://shlink.io/api/error/invalid-data')
    expect((await c.api('POST', '/rest/v3/short-urls/batch', { shortUrls: [] })).statusCode).toBe(400)
  })
})
