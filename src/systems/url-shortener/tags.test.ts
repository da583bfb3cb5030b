/** Tags: list, stats, rename, delete, in Shlink's shapes and errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { flushVisits, type Json, shortenerApp, type TestClient } from './testing.js'

describe.each(backends())('tags (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
    const a = (
      await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/a', tags: ['news', 'tech'] })
    ).json()
    await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/b', tags: ['news'] })
    await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/c', tags: ['old'] })
    await c.get(`/${a.shortCode}`, {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    })
    await c.get(`/${a.shortCode}`, { 'user-agent': 'curl/8.5.0' })
    await flushVisits(c.app)
  })
  afterAll(() => c.close())

  it("lists tags with Shlink's pagination", async () => {
    const res = (await c.api('GET', '/rest/v3/tags')).json()
    expect(res.tags.data).toEqual(['news', 'old', 'tech'])
    expect(res.tags.pagination).toMatchObject({ totalItems: 3, currentPage: 1 })
    expect((await c.api('GET', '/rest/v3/tags?searchTerm=ew&orderBy=tag-DESC')).json().tags.data).toEqual([
      'news',
    ])
  })

  it('gives stats per tag', async () => {
    const res = (await c.api('GET', '/rest/v3/tags/stats?orderBy=shortUrlsCount-DESC')).json()
    expect(res.tags.data[0]).toEqual({
      tag: 'news',
      shortUrlsCount: 2,
      visitsSummary: { total: 2, nonBots: 1, bots: 1 },
    })
    expect(res.tags.data.find((t: Json) => t.tag === 'old').visitsSummary.total).toBe(0)
  })

  it('renames; 404 for an unknown tag, 409 when the new name exists', async () => {
    expect((await c.api('PUT', '/rest/v3/tags', { oldName: 'old', newName: 'archive' })).statusCode).toBe(204)
    expect((await c.api('GET', '/rest/v3/tags')).json().tags.data).toContain('archive')
    const missing = await c.api('PUT', '/rest/v3/tags', { oldName: 'ghost', newName: 'x' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ type: 'https://shlink.io/api/error/tag-not-found', tag: 'ghost' })
    const conflict = await c.api('PUT', '/rest/v3/tags', { oldName: 'archive', newName: 'news' })
    expect(conflict.statusCode).toBe(409)
    expect(conflict.json()).toMatchObject({
      type: 'https://shlink.io/api/error/tag-conflict',
      oldName: 'archive',
      newName: 'news',
    })
    const bad = await c.api('PUT', '/rest/v3/tags', { oldName: 'news' })
    expect(bad.json()).toMatchObject({
      type: 'https://shlink.io/api/error/invalid-data',
      invalidElements: ['newName'],
    })
  })

  it('deletes tags and unlinks them from short URLs', async () => {
    expect((await c.api('DELETE', '/rest/v3/tags?tags[]=tech&tags[]=archive')).statusCode).toBe(204)
    expect((await c.api('GET', '/rest/v3/tags')).json().tags.data).toEqual(['news'])
    const links = (await c.api('GET', '/rest/v3/short-urls?tags[]=news')).json().shortUrls.data
    expect(links.every((l: Json) => l.tags.join() === 'news')).toBe(true)
  })
})
