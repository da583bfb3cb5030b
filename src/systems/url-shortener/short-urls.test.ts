/**
 * The management API against Shlink's shapes: create, get, list, edit,
 * delete, and the errors a Shlink client shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { BASE, type Json, shortenerApp, type TestClient } from './testing.js'

const ATOM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/

describe.each(backends())('short URLs (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  describe('create', () => {
    it("returns Shlink's ShortUrl shape", async () => {
      const res = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/some/page?x=1',
        tags: ['Games', ' tech ', 'games'],
        title: 'Example',
        maxVisits: 100,
        validSince: '2020-01-01T00:00:00+02:00',
      })
      expect(res.statusCode).toBe(200)
      const body = res.json()
      expect(body).toEqual({
        shortCode: expect.stringMatching(/^[0-9A-Za-z]{5}$/),
        shortUrl: `${BASE}/${body.shortCode}`,
        longUrl: 'https://example.com/some/page?x=1',
        dateCreated: expect.stringMatching(ATOM),
        visitsSummary: { total: 0, nonBots: 0, bots: 0 },
        tags: ['games', 'tech'],
        meta: { validSince: '2019-12-31T22:00:00+00:00', validUntil: null, maxVisits: 100 },
        domain: null,
        title: 'Example',
        crawlable: false,
        forwardQuery: true,
        hasRedirectRules: false,
      })
    })

    it('honours shortCodeLength and a custom slug', async () => {
      const long = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com',
        shortCodeLength: 9,
      })
      expect(long.json().shortCode).toMatch(/^[0-9A-Za-z]{9}$/)
      const slug = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com',
        customSlug: 'my promo',
      })
      expect(slug.statusCode).toBe(200)
      expect(slug.json().shortCode).toBe('my-promo')
    })

    it('refuses a taken slug with non-unique-slug', async () => {
      await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/a', customSlug: 'taken' })
      const res = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/b',
        customSlug: 'taken',
      })
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/non-unique-slug',
        title: 'Invalid custom slug',
        status: 400,
        customSlug: 'taken',
        code: 'INVALID_SLUG',
      })
    })

    it('slugs are case-sensitive', async () => {
      const a = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/1',
        customSlug: 'CaseSlug',
      })
      const b = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/2',
        customSlug: 'caseslug',
      })
      expect([a.statusCode, b.statusCode]).toEqual([200, 200])
    })

    it.each([
      'rest',
      'DOCS',
      'metrics',
      'healthz',
      'readyz',
      'openapi.json',
      'url-shortener',
      'jobs',
      '..',
      'a?b',
      'a#b',
    ])('refuses the slug %j with invalid-data', async (slug) => {
      const res = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com',
        customSlug: slug,
      })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/invalid-data',
        code: 'INVALID_ARGUMENT',
        invalidElements: ['customSlug'],
      })
    })

    it('findIfExists returns the existing link instead of a new one', async () => {
      const first = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/find-me',
        tags: ['x'],
      })
      const again = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/find-me',
        findIfExists: true,
      })
      expect(again.json().shortCode).toBe(first.json().shortCode)
      const otherTags = await c.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/find-me',
        findIfExists: true,
        tags: ['y'],
      })
      expect(otherTags.json().shortCode).not.toBe(first.json().shortCode)
    })
  })

  describe('bad input', () => {
    it.each([
      ['javascript:alert(1)', 'scheme'],
      ['data:text/html,<b>hi</b>', 'scheme'],
      ['file:///etc/passwd', 'scheme'],
      ['vbscript:msgbox(1)', 'scheme'],
      ['ftp://127.0.0.1/x', 'private'],
      ['foo.com', 'absolute'],
      ['  ', 'empty'],
      ['example.com:8080/x', 'scheme'],
      ['LONG', 'longer than 2048'],
      ['http://127.0.0.1/admin', 'private'],
      ['http://localhost:8080/', 'private'],
      ['http://10.1.2.3/', 'private'],
      ['http://192.168.1.1/', 'private'],
      ['http://169.254.169.254/latest/meta-data', 'private'],
      ['http://[::1]/', 'private'],
      ['http://2130706433/', 'private'],
      [`${BASE}/abc12`, 'this shortener'],
      ['not a url', 'absolute'],
    ])('refuses %j as Shlink 4 does: invalid-data naming longUrl', async (url, reason) => {
      const longUrl = url === 'LONG' ? `https://example.com/${'a'.repeat(2100)}` : url
      const res = await c.api('POST', '/rest/v3/short-urls', { longUrl })
      expect(res.statusCode).toBe(400)
      const body = res.json()
      expect(body).toMatchObject({
        type: 'https://shlink.io/api/error/invalid-data',
        title: 'Invalid data',
        detail: 'Provided data is not valid',
        status: 400,
        invalidElements: ['longUrl'],
        code: 'INVALID_ARGUMENT',
      })
      expect(body.reason).toContain(reason)
    })

    it.each([
      [{ longUrl: 'https://example.com', maxVisits: -1 }, 'maxVisits'],
      [{ longUrl: 'https://example.com', maxVisits: 0 }, 'maxVisits'],
      [{ longUrl: 'https://example.com', validSince: 'yesterday' }, 'validSince'],
      [{ longUrl: 'https://example.com', validUntil: '2020-13-45' }, 'validUntil'],
      [{ longUrl: 'https://example.com', validSince: '2030-01-01', validUntil: '2020-01-01' }, 'validUntil'],
      [{ longUrl: 'https://example.com', shortCodeLength: 3 }, 'shortCodeLength'],
      [{ longUrl: 'https://example.com', customSlug: '' }, 'customSlug'],
      [{ longUrl: 'https://example.com', tags: { a: 1 } }, 'tags'],
      [{ longUrl: 'https://example.com', domain: 'other.example' }, 'domain'],
      [{}, 'longUrl'],
    ])('refuses %j with invalid-data naming %s', async (body, field) => {
      const res = await c.api('POST', '/rest/v3/short-urls', body)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/invalid-data',
        title: 'Invalid data',
        status: 400,
        invalidElements: [field],
      })
    })

    it('refuses malformed JSON with malformed-request-body', async () => {
      const res = await c.app.http.inject({
        method: 'POST',
        url: '/rest/v3/short-urls',
        headers: { 'x-api-key': 'test-api-key-0000-0000-000000000000', 'content-type': 'application/json' },
        payload: '{"longUrl": ',
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().type).toBe('https://shlink.io/api/error/malformed-request-body')
    })

    it('refuses an unknown orderBy with invalid-data', async () => {
      const res = await c.api('GET', '/rest/v3/short-urls?orderBy=password-ASC')
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({
        type: 'https://shlink.io/api/error/invalid-data',
        invalidElements: ['orderBy'],
      })
    })
  })

  describe('get, edit, delete', () => {
    it('gets a link, 404 short-url-not-found for an unknown code', async () => {
      const created = (
        await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/get' })
      ).json()
      const got = await c.api('GET', `/rest/v3/short-urls/${created.shortCode}`)
      expect(got.json()).toEqual(created)
      const missing = await c.api('GET', '/rest/v3/short-urls/nope-nope')
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toEqual({
        type: 'https://shlink.io/api/error/short-url-not-found',
        title: 'Short URL not found',
        detail: 'No URL found with short code "nope-nope"',
        status: 404,
        shortCode: 'nope-nope',
        code: 'INVALID_SHORTCODE',
      })
    })

    it('edits only the given fields; null clears', async () => {
      const created = (
        await c.api('POST', '/rest/v3/short-urls', {
          longUrl: 'https://example.com/edit',
          maxVisits: 5,
          title: 'Before',
          tags: ['a'],
        })
      ).json()
      const res = await c.api('PATCH', `/rest/v3/short-urls/${created.shortCode}`, {
        longUrl: 'https://example.org/after',
        maxVisits: null,
        tags: ['b', 'c'],
        forwardQuery: false,
      })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({
        shortCode: created.shortCode,
        longUrl: 'https://example.org/after',
        title: 'Before',
        tags: ['b', 'c'],
        meta: { maxVisits: null },
        forwardQuery: false,
      })
      const bad = await c.api('PATCH', `/rest/v3/short-urls/${created.shortCode}`, {
        longUrl: 'javascript:x',
      })
      expect(bad.json()).toMatchObject({
        type: 'https://shlink.io/api/error/invalid-data',
        invalidElements: ['longUrl'],
      })
      const missing = await c.api('PATCH', '/rest/v3/short-urls/nope-nope', { title: 'x' })
      expect(missing.statusCode).toBe(404)
    })

    it('deletes with 204, then 404', async () => {
      const created = (
        await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/del' })
      ).json()
      const del = await c.api('DELETE', `/rest/v3/short-urls/${created.shortCode}`)
      expect(del.statusCode).toBe(204)
      expect((await c.api('GET', `/rest/v3/short-urls/${created.shortCode}`)).statusCode).toBe(404)
      expect((await c.api('DELETE', `/rest/v3/short-urls/${created.shortCode}`)).statusCode).toBe(404)
    })
  })

  describe('list', () => {
    let fresh: TestClient
    beforeAll(async () => {
      fresh = await shortenerApp(backend)
      const links = [
        { longUrl: 'https://alpha.example/1', tags: ['red', 'blue'], title: 'Alpha' },
        { longUrl: 'https://beta.example/2', tags: ['red'], title: 'Beta' },
        { longUrl: 'https://gamma.example/3', tags: ['green'], maxVisits: 1 },
        { longUrl: 'https://delta.example/4', validUntil: '2001-01-01T00:00:00Z' },
      ]
      for (const l of links) expect((await fresh.api('POST', '/rest/v3/short-urls', l)).statusCode).toBe(200)
    })
    afterAll(() => fresh.close())

    const list = async (qs: string) => (await fresh.api('GET', `/rest/v3/short-urls${qs}`)).json().shortUrls

    it('paginates as Shlink does', async () => {
      const page = await list('?itemsPerPage=3&page=2')
      expect(page.pagination).toEqual({
        currentPage: 2,
        pagesCount: 2,
        itemsPerPage: 3,
        itemsInCurrentPage: 1,
        totalItems: 4,
      })
      expect((await list('')).pagination.itemsPerPage).toBe(10)
    })

    it('searches long URL, title and tags', async () => {
      expect((await list('?searchTerm=beta')).data.map((d: Json) => d.title)).toEqual(['Beta'])
      expect((await list('?searchTerm=green')).data).toHaveLength(1)
      expect((await list('?searchTerm=%25')).data).toHaveLength(0)
    })

    it('filters by tags in any and all modes', async () => {
      expect((await list('?tags[]=red')).data).toHaveLength(2)
      expect((await list('?tags[]=red&tags[]=blue&tagsMode=all')).data).toHaveLength(1)
      expect((await list('?tags[]=red&tags[]=green')).data).toHaveLength(3)
      expect((await list('?excludeTags[]=red')).data).toHaveLength(2)
    })

    it('orders', async () => {
      const asc = (await list('?orderBy=longUrl-ASC')).data.map((d: Json) => d.longUrl)
      expect(asc).toEqual([...asc].sort())
      const desc = (await list('?orderBy=title-DESC')).data.map((d: Json) => d.title)
      expect(desc.slice(0, 2)).toEqual(['Beta', 'Alpha'])
    })

    it('excludes expired and exhausted links on request', async () => {
      expect((await list('?excludePastValidUntil=true')).data).toHaveLength(3)
      const code = (await list('?tags[]=green')).data[0].shortCode
      expect((await fresh.get(`/${code}`)).statusCode).toBe(302)
      expect((await list('?excludeMaxVisitsReached=true')).data).toHaveLength(3)
    })

    it('filters by creation date', async () => {
      expect((await list('?startDate=2000-01-01')).data).toHaveLength(4)
      expect((await list('?endDate=2000-01-01')).data).toHaveLength(0)
      const bad = await fresh.api('GET', '/rest/v3/short-urls?startDate=soon')
      expect(bad.json()).toMatchObject({ invalidElements: ['startDate'] })
    })
  })
})
