/**
 * The URL shortener: a drop-in for Shlink's REST API v3 that redirects at
 * bare-route speed. This file only wires the parts: stores -> caches ->
 * service and redirector -> routes -> workers. Read README.md first.
 */

import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { ConfigError } from '../../platform/settings.js'
import { defineSystem, type SystemContext, type Worker } from '../../platform/system.js'
import { Counter, Gauge } from '../../platform/telemetry/metrics.js'
import { ApiKeys, parseFlags } from './api-keys.js'
import { createApiKeyStore } from './api-keys.store.pg.js'
import { apiKeyHook, documentApiKey } from './auth.js'
import { LocalCache } from './cache.lru.js'
import { createRedisCache } from './cache.redis.js'
import { CodeCodec } from './codes.js'
import { Domains } from './domains.js'
import { domainRoutes } from './domains.routes.js'
import { createDomainStore } from './domains.store.pg.js'
import { IdAllocator } from './id-allocator.js'
import { parseDate } from './input.js'
import { Invalidator } from './invalidation.js'
import { MercureHub } from './mercure.hub.js'
import { MercurePublisher } from './mercure.publisher.js'
import { type MercureDeps, mercureHubRoutes, mercureInfoRoute } from './mercure.routes.js'
import { derivedSecret, MercureTokens } from './mercure.tokens.js'
import { healthRoutes } from './misc.routes.js'
import type { SharedCache, VisitStore } from './ports.js'
import { Redirector } from './redirect.js'
import { redirectRoutes, siteFallback } from './redirect.routes.js'
import { redirectRuleRoutes } from './redirect-rules.routes.js'
import { RedirectResolver, type Tier, throttledWarn } from './resolver.js'
import { ShortUrlService } from './service.js'
import { settings } from './settings.js'
import { shlinkErrorHandler } from './shlink-errors.js'
import { shortUrlRoutes } from './short-urls.routes.js'
import { createShortUrlStore } from './store.pg.js'
import { tagRoutes } from './tags.routes.js'
import { createTagStore } from './tags.store.pg.js'
import { VisitBuffer } from './visits.buffer.js'
import { databaseFiles, Geolocator } from './visits.geolocation.js'
import { visitRoutes } from './visits.routes.js'
import { createVisitStore } from './visits.store.pg.js'

type Ctx = SystemContext<typeof settings>

/** A Redis client for the cache that fails at once when Redis is away (the caller falls back to PostgreSQL). */
async function failFastRedis(redis: Redis): Promise<Redis> {
  const client = redis.duplicate({ enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  return client
}

/** Plain counters on the hot path (no label hashing per request), exported to Prometheus only when scraped. */
function cacheMetrics(ctx: Ctx) {
  const tiers: Tier[] = ['lru', 'redis', 'db']
  const found = [0, 0, 0]
  const missing = [0, 0, 0]
  let sharedErrors = 0
  const warn = throttledWarn(ctx.log, 'redis cache unavailable; reading PostgreSQL')
  new Counter({
    name: 'url_shortener_cache_lookups_total',
    help: 'Short code lookups by the tier that answered (lru, redis, db) and whether the code exists',
    labelNames: ['tier', 'result'] as const,
    registers: [ctx.metrics.registry],
    collect() {
      this.reset()
      for (const [i, tier] of tiers.entries()) {
        if (found[i]) this.inc({ tier, result: 'found' }, found[i])
        if (missing[i]) this.inc({ tier, result: 'not_found' }, missing[i])
      }
    },
  })
  new Counter({
    name: 'url_shortener_shared_cache_errors_total',
    help: 'Redis cache calls that failed or timed out (answered from PostgreSQL instead)',
    registers: [ctx.metrics.registry],
    collect() {
      this.reset()
      this.inc(sharedErrors)
    },
  })
  return {
    lookup(tier: Tier, exists: boolean) {
      const i = tier === 'lru' ? 0 : tier === 'redis' ? 1 : 2
      if (exists) found[i]!++
      else missing[i]!++
    },
    sharedError(err: unknown) {
      sharedErrors++
      warn(err)
    },
  }
}

function visitMetrics(ctx: Ctx, buffer: () => VisitBuffer, visits: VisitStore) {
  const written = new Counter({
    name: 'url_shortener_visits_written_total',
    help: 'Visits written to PostgreSQL by the flusher',
    registers: [ctx.metrics.registry],
  })
  const dropped = new Counter({
    name: 'url_shortener_visits_dropped_total',
    help: 'Visits dropped because the buffer was full (database unreachable for long)',
    registers: [ctx.metrics.registry],
  })
  new Gauge({
    name: 'url_shortener_visits_buffered',
    help: 'Visits waiting in memory for the next flush',
    registers: [ctx.metrics.registry],
    collect() {
      this.set(buffer().pending)
    },
  })
  new Gauge({
    name: 'url_shortener_visits_journaled',
    help: "Visits written to the embedded database's journal, not rolled up into buckets and counters yet",
    registers: [ctx.metrics.registry],
    collect() {
      this.set(visits.journaled())
    },
  })
  return { onFlushed: (n: number) => written.inc(n), onDropped: (n: number) => dropped.inc(n) }
}

/** The Mercure hub, its publisher and routes' dependencies; undefined with URL_SHORTENER_MERCURE=false. */
async function createMercure(
  ctx: Ctx,
  codeKey: Uint8Array,
  findByCode: MercurePublisherFindByCode,
  baseUrl: () => string,
) {
  const s = ctx.settings
  if (!s.URL_SHORTENER_MERCURE) return undefined
  const secret = s.URL_SHORTENER_MERCURE_JWT_SECRET
  if (secret !== undefined && secret.length < 32)
    throw new ConfigError('URL_SHORTENER_MERCURE_JWT_SECRET must be at least 32 characters (HS256 key)')
  const published = new Counter({
    name: 'url_shortener_mercure_updates_total',
    help: 'Mercure updates published to the hub (each process counts what it published)',
    registers: [ctx.metrics.registry],
  })
  const dropped = new Counter({
    name: 'url_shortener_mercure_updates_dropped_total',
    help: 'Mercure updates not published because a flush held more visits than one publication takes',
    registers: [ctx.metrics.registry],
  })
  const hub: MercureHub = new MercureHub(ctx.bus, {
    history: s.URL_SHORTENER_MERCURE_HISTORY,
    maxSubscribers: s.URL_SHORTENER_MERCURE_MAX_SUBSCRIBERS,
    log: ctx.log,
    onPublished: (n) => published.inc(n),
  })
  new Gauge({
    name: 'url_shortener_mercure_subscribers',
    help: 'Open Mercure hub subscriptions on this process',
    registers: [ctx.metrics.registry],
    collect() {
      this.set(hub.subscriberCount)
    },
  })
  const publisher = new MercurePublisher({
    hub,
    findByCode,
    baseUrl,
    log: ctx.log,
    onDropped: (n) => dropped.inc(n),
  })
  const deps: MercureDeps = {
    hub,
    tokens: new MercureTokens(secret ?? derivedSecret(codeKey)),
    hubBaseUrl: () => s.URL_SHORTENER_MERCURE_PUBLIC_HUB_URL ?? baseUrl(),
    tokenDays: s.URL_SHORTENER_MERCURE_JWT_DAYS,
  }
  /** Stopped after the flusher: what its last flush handed over is published before the hub closes. */
  const drain: Worker = {
    name: 'url-shortener:mercure-publisher',
    start: async () => {},
    stop: () => publisher.idle(),
  }
  return { hub, publisher, deps, drain }
}

type MercurePublisherFindByCode = ConstructorParameters<typeof MercurePublisher>[0]['findByCode']

export default defineSystem({
  name: 'url-shortener',
  description: 'URL shortener with the Shlink REST API v3: short links, redirects, visits, tags, QR codes',
  // It serves `/rest/v3/...` and `/{shortCode}` at the root, as Shlink does.
  prefix: '',
  migrations: new URL('./sql/', import.meta.url),
  settings,

  async create(ctx) {
    const s = ctx.settings
    const db = ctx.db
    const store = createShortUrlStore(db)
    const apiKeys = new ApiKeys(createApiKeyStore(db))
    if (s.INITIAL_API_KEY && (await apiKeys.ensure(s.INITIAL_API_KEY, 'INITIAL_API_KEY')))
      ctx.log.info('created the API key given in INITIAL_API_KEY')

    // The public URL changes once (when the server learns its port); remember the trimmed form.
    let rawBase = ''
    let trimmedBase = ''
    const baseUrl = () => {
      const raw = ctx.publicUrl()
      if (raw !== rawBase) {
        rawBase = raw
        trimmedBase = raw.replace(/\/+$/, '')
      }
      return trimmedBase
    }
    const defaultDomain = () => new URL(baseUrl()).host
    const policy = {
      ownHosts: () => [
        defaultDomain().toLowerCase(),
        ...s.URL_SHORTENER_OWN_HOSTS.map((h) => h.toLowerCase()),
      ],
      allowPrivateTargets: s.URL_SHORTENER_ALLOW_PRIVATE_TARGETS,
    }

    const local = new LocalCache({
      max: s.URL_SHORTENER_LRU_MAX,
      ttlMs: s.URL_SHORTENER_LRU_TTL_MS,
      negativeTtlMs: s.URL_SHORTENER_NEGATIVE_TTL_MS,
    })
    let shared: SharedCache | undefined
    if (ctx.redis)
      shared = createRedisCache(await failFastRedis(ctx.redis), {
        ttlMs: s.URL_SHORTENER_REDIS_TTL_MS,
        negativeTtlMs: s.URL_SHORTENER_NEGATIVE_TTL_MS,
      })
    const resolver = new RedirectResolver(local, shared, store, cacheMetrics(ctx))
    const invalidator = new Invalidator(ctx.bus, local, ctx.log)

    const codeKey = await store.codeKey(randomBytes(32))
    const visitStore = createVisitStore(db)
    // The rows published with new visits count them (Shlink's visitsSummary): settled first.
    const mercure = await createMercure(
      ctx,
      codeKey,
      async (code) => {
        await visitStore.settle()
        return store.findByCode(code)
      },
      baseUrl,
    )
    const geolocator = s.URL_SHORTENER_TRACK_VISITS
      ? await Geolocator.open(await databaseFiles(s.URL_SHORTENER_GEOLOCATION_DB), ctx.log)
      : undefined

    const buffer: VisitBuffer = new VisitBuffer(visitStore, {
      flushMs: s.URL_SHORTENER_VISITS_FLUSH_MS,
      batch: s.URL_SHORTENER_VISITS_BATCH,
      max: s.URL_SHORTENER_VISITS_BUFFER_MAX,
      log: ctx.log,
      ...visitMetrics(ctx, () => buffer, visitStore),
      ...(geolocator && { locate: (ip: string) => geolocator.locate(ip) }),
      ...(mercure && {
        onWritten: (visits, orphans) => {
          mercure.publisher.visitsWritten(visits)
          mercure.publisher.orphanVisitsWritten(orphans)
        },
      }),
    })
    const redirector = new Redirector(
      resolver,
      store,
      buffer,
      s.URL_SHORTENER_TRACK_VISITS,
      s.URL_SHORTENER_TRACK_ORPHAN_VISITS,
      geolocator && ((ip: string) => geolocator.locate(ip)),
    )
    const domains = new Domains({
      store: createDomainStore(db),
      defaultDomain,
      defaults: {
        baseUrlRedirect: s.URL_SHORTENER_BASE_URL_REDIRECT ?? null,
        regular404Redirect: s.URL_SHORTENER_REGULAR_404_REDIRECT ?? null,
        invalidShortUrlRedirect: s.URL_SHORTENER_INVALID_CODE_REDIRECT ?? null,
      },
      policy,
      refreshMs: s.URL_SHORTENER_DOMAINS_REFRESH_MS,
      log: ctx.log,
    })

    const codec = new CodeCodec(codeKey)
    const service = new ShortUrlService({
      store,
      tags: createTagStore(db),
      visits: visitStore,
      codec,
      ids: new IdAllocator(db),
      shared,
      invalidator,
      input: { policy, defaultCodeLength: s.URL_SHORTENER_DEFAULT_CODE_LENGTH, defaultDomain },
      log: ctx.log,
      ...(mercure && { onCreated: (rows) => mercure.publisher.created(rows) }),
    })
    const misc = { ping: () => db.ping() }
    const redirectDeps = {
      redirector,
      baseUrl,
      status: Number(s.URL_SHORTENER_REDIRECT_STATUS) as 301 | 302 | 307 | 308,
      cacheLifetimeSec: s.URL_SHORTENER_REDIRECT_CACHE_LIFETIME,
      domains,
      withIp: geolocator !== undefined,
    }

    return {
      // Base-URL and other-404 visits: recorded as orphan visits, redirected per domain.
      siteFallback: siteFallback(redirectDeps),
      async routes(app) {
        app.setErrorHandler(shlinkErrorHandler(ctx.config.bodyLimit))
        healthRoutes(app, misc)
        await app.register(
          async (api) => {
            api.addHook('onRequest', apiKeyHook(apiKeys))
            documentApiKey(api as unknown as FastifyInstance)
            shortUrlRoutes(api, { service, baseUrl })
            redirectRuleRoutes(api, service)
            visitRoutes(api, service, domains)
            tagRoutes(api, service)
            domainRoutes(api, domains)
            mercureInfoRoute(api, mercure?.deps)
          },
          { prefix: '/rest/v3' },
        )
        if (mercure) mercureHubRoutes(app, mercure.deps)
        redirectRoutes(app, redirectDeps)
      },
      // Started in this order, stopped in reverse: the flusher stops (and writes) first, then what
      // it publishes to has gone out, then the hub closes its streams.
      workers: [
        domains,
        {
          name: 'url-shortener:cache-invalidation',
          start: () => invalidator.start(),
          stop: () => invalidator.stop(),
        },
        ...(geolocator ? [geolocator] : []),
        ...(mercure ? [mercure.hub, mercure.drain] : []),
        buffer,
      ],
      async close() {
        await shared?.close()
      },
    }
  },

  commands: {
    'api-key create': {
      summary: 'create an API key and print it once (--name NAME, --expires ISO-DATE)',
      async run(ctx, args, out) {
        const flags = parseFlags(args)
        const expires = flags.expires ? parseDate(flags.expires, 'expires') : null
        const keys = new ApiKeys(createApiKeyStore(ctx.db))
        const { key, row } = await keys.create(flags.name ?? 'default', expires)
        out(
          `API key "${row.name}" created${row.expiresAt ? `, expires ${row.expiresAt.toISOString()}` : ''}.`,
        )
        out('It is shown only now; send it as the X-Api-Key header:')
        out(key)
      },
    },
    'api-key list': {
      summary: 'list API keys (names and state; keys themselves are not stored)',
      async run(ctx, _args, out) {
        const rows = await new ApiKeys(createApiKeyStore(ctx.db)).list()
        for (const r of rows)
          out(
            `${r.name}\t${r.enabled ? 'enabled' : 'disabled'}\tcreated ${r.createdAt.toISOString()}` +
              (r.expiresAt ? `\texpires ${r.expiresAt.toISOString()}` : ''),
          )
        if (rows.length === 0) out('(no API keys)')
      },
    },
    'api-key disable': {
      summary: 'disable every API key with this name (--name NAME)',
      async run(ctx, args, out) {
        const name = parseFlags(args).name ?? args[0]
        if (!name) throw new Error('give the key name: --name NAME')
        const n = await new ApiKeys(createApiKeyStore(ctx.db)).disable(name)
        out(`${n} API key${n === 1 ? '' : 's'} disabled`)
      },
    },
  },
})
