/**
 * Kong's rate-limiting plugin on the platform's limiter (src/platform/rate-limit): one fixed-window
 * limiter per configured period (second ... year), in this process (`policy: local`) or in Redis
 * (`policy: redis`, shared by every node). A request counts against every period; when one is
 * exhausted it is refused (429 `API rate limit exceeded`) and counts against none, as in Kong.
 *
 * Headers, as Kong 3.x sends them: X-RateLimit-Limit-<Period> and X-RateLimit-Remaining-<Period> for
 * each period, RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset for the tightest one, and
 * Retry-After on a refusal. Counters are kept per route, service and identifier (Kong's key), so a
 * global plugin limits each route apart.
 */
import {
  createRateLimiter,
  type RateLimiter,
  type RateLimitResult,
} from '../../../platform/rate-limit/index.js'
import { s } from '../config/fields.js'
import { ConfigViolation, type Json, type Plugin } from '../config/types.js'
import type { Exit, PluginDefinition, PluginDeps, RequestState } from './types.js'

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const
type Period = (typeof PERIODS)[number]
// Kong's windows; a month and a year are fixed lengths here (30 and 365 days), not calendar ones.
const PERIOD_MS: Record<Period, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
}

const redisFields = {
  host: s.str({ max: 256 }),
  port: s.int({ min: 0, max: 65535, default: 6379 }),
  timeout: s.int({ min: 0, max: 2_147_483_646, default: 2000 }),
  database: s.int({ min: 0, max: 15, default: 0 }),
  username: s.str({ max: 256 }),
  password: s.str({ max: 256 }),
  ssl: s.bool(false),
  ssl_verify: s.bool(false),
  server_name: s.str({ max: 256 }),
  connect_timeout: s.int({ min: 0, max: 2_147_483_646 }),
  send_timeout: s.int({ min: 0, max: 2_147_483_646 }),
  read_timeout: s.int({ min: 0, max: 2_147_483_646 }),
  keepalive_pool_size: s.int({ min: 1, max: 2_147_483_646 }),
  keepalive_backlog: s.int({ min: 0, max: 2_147_483_646 }),
}

interface Conf {
  second: number | null
  minute: number | null
  hour: number | null
  day: number | null
  month: number | null
  year: number | null
  limit_by: 'consumer' | 'credential' | 'ip' | 'service' | 'header' | 'path'
  header_name: string | null
  path: string | null
  policy: 'local' | 'redis'
  fault_tolerant: boolean
  hide_client_headers: boolean
  error_code: number
  error_message: string
}

export const rateLimiting: PluginDefinition = {
  name: 'rate-limiting',
  priority: 910,
  schema: {
    ...Object.fromEntries(PERIODS.map((p) => [p, s.num({ gt: 0, max: 1e12 })])),
    limit_by: s.oneOf(['consumer', 'credential', 'ip', 'service', 'header', 'path'], 'consumer'),
    header_name: s.str({ max: 256 }),
    path: s.str({ max: 1024, pattern: /^\//, why: 'must start with /' }),
    policy: s.oneOf(['local', 'cluster', 'redis'], 'local'),
    fault_tolerant: s.bool(true),
    redis: s.rec(redisFields),
    // Kong's deprecated shorthands (before config.redis), still accepted by Kong 3.x.
    redis_host: s.str({ max: 256 }),
    redis_port: s.int({ min: 0, max: 65535 }),
    redis_password: s.str({ max: 256 }),
    redis_username: s.str({ max: 256 }),
    redis_ssl: s.bool(),
    redis_ssl_verify: s.bool(),
    redis_server_name: s.str({ max: 256 }),
    redis_timeout: s.int({ min: 0, max: 2_147_483_646 }),
    redis_database: s.int({ min: 0, max: 15 }),
    hide_client_headers: s.bool(false),
    error_code: s.num({ gt: 0, max: 599, default: 429 }),
    error_message: s.str({ max: 1024, default: 'API rate limit exceeded' }),
    sync_rate: s.num({ gt: -2, max: 1e9, default: -1 }),
  },
  check(c: Json, path: string) {
    const set = PERIODS.filter((p) => c[p] !== null)
    if (set.length === 0)
      throw new ConfigViolation(
        `${path}: at least one of these fields must be non-empty: ${PERIODS.map((p) => `'config.${p}'`).join(', ')}`,
      )
    for (let i = 0; i < set.length; i++)
      for (let j = i + 1; j < set.length; j++)
        if ((c[set[j]!] as number) < (c[set[i]!] as number))
          throw new ConfigViolation(
            `${path}: The limit for ${set[j]}(${(c[set[j]!] as number).toFixed(1)}) cannot be lower than the limit for ${set[i]}(${(c[set[i]!] as number).toFixed(1)})`,
          )
    for (const p of set)
      if (!Number.isInteger(c[p]))
        throw new ConfigViolation(`${path}.${p}: fractional limits are not supported`)
    if (c.policy === 'cluster')
      throw new ConfigViolation(
        `${path}.policy: 'cluster' (counters in Kong's database) is not supported; use 'local' or 'redis'`,
      )
    if (c.sync_rate !== -1)
      throw new ConfigViolation(`${path}.sync_rate: only -1 (count synchronously) is supported`)
    if (c.limit_by === 'header' && !c.header_name)
      throw new ConfigViolation(`${path}.header_name: required when limit_by is 'header'`)
    if (c.limit_by === 'path' && !c.path)
      throw new ConfigViolation(`${path}.path: required when limit_by is 'path'`)
  },
  create(entity: Plugin, deps: PluginDeps) {
    const c = entity.config as unknown as Conf
    const periods = PERIODS.filter((p) => c[p] !== null)
    let useRedis = c.policy === 'redis'
    if (useRedis && !deps.redis) {
      // No REDIS_URL on this node: count locally rather than not at all, and say so once.
      deps.log.warn(
        { plugin: entity.id },
        'rate-limiting policy redis without REDIS_URL: counting in this process',
      )
      useRedis = false
    }
    const limiters: [Period, RateLimiter][] = periods.map((p) => [
      p,
      createRateLimiter({
        algorithm: 'fixed-window',
        limit: c[p]!,
        periodMs: PERIOD_MS[p],
        store: useRedis
          ? { redis: deps.redis!, namespace: `gateway-rl-${p}` }
          : { memory: deps.memoryState(PERIOD_MS[p]) },
      }),
    ])

    function identifier(st: RequestState): string {
      let id: string | undefined
      switch (c.limit_by) {
        case 'service':
          id = st.service?.id
          break
        case 'consumer':
          id = st.consumer?.id ?? st.credential?.id
          break
        case 'credential':
          id = st.credential?.id
          break
        case 'header': {
          const v = st.req.headers[c.header_name!.toLowerCase()]
          id = Array.isArray(v) ? v[0] : v
          break
        }
        case 'path':
          if (st.path === c.path) id = st.path
          break
      }
      return id ?? st.clientIp
    }

    // Counters are the workspace's own: the same route, consumer or IP in another workspace never shares one.
    const ns = `${deps.workspace}:`
    return {
      entity,
      async access(st: RequestState): Promise<Exit | undefined> {
        const key = `${ns}${st.route.id}:${st.service?.id ?? ''}:${identifier(st)}`
        let results: RateLimitResult[]
        try {
          results = await Promise.all(limiters.map(([, l]) => l.consume(key)))
        } catch (err) {
          if (c.fault_tolerant) {
            deps.log.warn({ err }, 'rate-limiting store unavailable: request let through (fault_tolerant)')
            return undefined
          }
          return { status: 500, message: 'An unexpected error occurred' }
        }
        const refused = results.findIndex((r) => !r.allowed)
        if (refused !== -1)
          // Kong counts a refused request against no period: give back what the others took.
          await Promise.all(
            limiters.map(([, l], i) => (results[i]!.allowed ? l.refund(key).catch(() => {}) : undefined)),
          )
        if (!c.hide_client_headers) {
          let tight = -1
          for (let i = 0; i < results.length; i++) {
            const r = results[i]!
            const remaining = refused === -1 ? r.remaining : i === refused ? 0 : r.remaining
            st.responseHeaders[`x-ratelimit-limit-${periods[i]}`] = String(r.limit)
            st.responseHeaders[`x-ratelimit-remaining-${periods[i]}`] = String(remaining)
            const t = tight === -1 ? undefined : results[tight]!
            if (
              !t ||
              remaining < t.remaining ||
              (remaining === t.remaining && PERIOD_MS[periods[i]!] > PERIOD_MS[periods[tight]!])
            )
              tight = i
          }
          const t = results[refused === -1 ? tight : refused]!
          const reset = String(Math.max(1, Math.ceil(t.resetMs / 1000)))
          st.responseHeaders['ratelimit-limit'] = String(t.limit)
          st.responseHeaders['ratelimit-remaining'] = String(refused === -1 ? t.remaining : 0)
          st.responseHeaders['ratelimit-reset'] = reset
          if (refused !== -1)
            st.responseHeaders['retry-after'] = String(Math.max(1, Math.ceil(t.retryAfterMs / 1000)))
        }
        if (refused !== -1) return { status: c.error_code, message: c.error_message }
        return undefined
      },
    }
  },
}
