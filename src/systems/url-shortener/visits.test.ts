/** Visits: what a redirect records, the counters, and Shlink's visit endpoints. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../platform/testing/backends.js'
import { BASE, flushVisits, type Json, shortenerApp, type TestClient } from './testing.js'

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const CRAWLER = 'Googlebot/2.1 (+http://www.google.com/bot.html)'

describe.each(backends())('visits (%s)', (backend) => {
  let c: TestClient
  let code: string
  beforeAll(async () => {
    c = await shortenerApp(backend)
    code = (await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/v' })).json().shortCode
    await c.get(`/${code}?from=mail`, { referer: 'https://news.example/', 'user-agent': FIREFOX })
    await c.get(`/${code}`, { 'user-agent': CRAWLER })
    await c.get(`/${code}/track`, { 'user-agent': FIREFOX })
    await c.get('/not-a-code-at-all', { 'user-agent': CRAWLER })
    await flushVisits(c.app)
  })
  afterAll(() => c.close())

  it("lists visits newest first in Shlink's Visit shape", async () => {
    const res = await c.api('GET', `/rest/v3/short-urls/${code}/visits`)
    expect(res.statusCode).toBe(200)
    const { data, pagination } = res.json().visits
    expect(pagination).toMatchObject({ totalItems: 3, itemsInCurrentPage: 3, currentPage: 1 })
    const first = data.find((v: Json) => v.referer === 'https://news.example/')
    expect(first).toEqual({
      referer: 'https://news.example/',
      date: expect.stringMatching(/\+00:00$/),
      userAgent: FIREFOX,
      visitLocation: null,
      potentialBot: false,
      visitedUrl: `${BASE}/${code}?from=mail`,
      redirectUrl: 'https://example.com/v?from=mail',
    })
    expect(data.find((v: Json) => v.userAgent === CRAWLER).potentialBot).toBe(true)
    expect(data.find((v: Json) => v.visitedUrl.endsWith('/track')).redirectUrl).toBeNull()
    const dates = data.map((v: Json) => v.date)
    expect(dates).toEqual([...dates].sort().reverse())
  })

  it('filters bots and pages', async () => {
    const noBots = (await c.api('GET', `/rest/v3/short-urls/${code}/visits?excludeBots=true`)).json().visits
    expect(noBots.data).toHaveLength(2)
    const paged = (await c.api('GET', `/rest/v3/short-urls/${code}/visits?itemsPerPage=2&page=2`)).json()
      .visits
    expect(paged.data).toHaveLength(1)
    expect(paged.pagination.pagesCount).toBe(2)
    const future = (await c.api('GET', `/rest/v3/short-urls/${code}/visits?startDate=2999-01-01`)).json()
      .visits
    expect(future.data).toHaveLength(0)
  })

  it('counts visits on the link and globally, orphans apart', async () => {
    const link = (await c.api('GET', `/rest/v3/short-urls/${code}`)).json()
    expect(link.visitsSummary).toEqual({ total: 3, nonBots: 2, bots: 1 })
    const stats = (await c.api('GET', '/rest/v3/visits')).json().visits
    expect(stats.nonOrphanVisits).toEqual({ total: 3, nonBots: 2, bots: 1 })
    expect(stats.orphanVisits).toEqual({ total: 1, nonBots: 0, bots: 1 })
  })

  it('404s the visits of an unknown code', async () => {
    const res = await c.api('GET', '/rest/v3/short-urls/nope-nope/visits')
    expect(res.statusCode).toBe(404)
    expect(res.json().type).toBe('https://shlink.io/api/error/short-url-not-found')
  })

  it('orders links by visits', async () => {
    const other = (
      await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/quiet' })
    ).json()
    const list = (await c.api('GET', '/rest/v3/short-urls?orderBy=visits-DESC&itemsPerPage=2')).json()
      .shortUrls.data
    expect(list[0].shortCode).toBe(code)
    const asc = (await c.api('GET', '/rest/v3/short-urls?orderBy=nonBotVisits-ASC&itemsPerPage=1')).json()
      .shortUrls
    expect(asc.data[0].shortCode).toBe(other.shortCode)
  })

  it('keeps every buffered visit across a graceful close (the flusher writes on stop)', async () => {
    const prefix = `t${Math.random().toString(16).slice(2, 10)}_`
    const env = { DB_SCHEMA_PREFIX: prefix, URL_SHORTENER_VISITS_FLUSH_MS: '60000' }
    const a = await shortenerApp(backend, env)
    const shortCode = (
      await a.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/d' })
    ).json().shortCode
    await Promise.all(Array.from({ length: 250 }, () => a.get(`/${shortCode}`)))
    await a.close()
    const b = await shortenerApp(backend, env)
    try {
      const visits = (await b.api('GET', `/rest/v3/short-urls/${shortCode}/visits`)).json().visits
      expect(visits.pagination.totalItems).toBe(250)
      expect((await b.api('GET', `/rest/v3/short-urls/${shortCode}`)).json().visitsSummary.total).toBe(250)
    } finally {
      await b.close()
    }
  })
})
