/**
 * The rate limiter service: Envoy's RateLimitService (gRPC) and its JSON
 * twin over HTTP, deciding with the platform's rate-limit library. This file
 * only wires the parts: config source -> limiter pool -> engine -> gRPC,
 * JSON and admin routes. Read README.md first.
 */
import { ConfigError } from '../../platform/settings.js'
import { listenError } from '../../platform/startup-error.js'
import { defineSystem } from '../../platform/system.js'
import { adminRoutes } from './admin.routes.js'
import { algorithmOf } from './config-domain.js'
import { ConfigSource } from './config-source.js'
import { RateLimitEngine } from './engine.js'
import { envoyResponseHeaders } from './envoy-headers.js'
import { type RlsServer, startGrpcServer } from './grpc.js'
import { InstanceCount } from './instances.js'
import { jsonRoutes } from './json.routes.js'
import { LimiterPool } from './limiters.js'
import { RateLimiterMetrics } from './metrics.js'
import type { RequestLimits } from './protocol.js'
import { settings } from './settings.js'

const EXAMPLE = new URL('./example.yaml', import.meta.url)

export default defineSystem({
  name: 'rate-limiter',
  description:
    "Rate limiter service: Envoy's RateLimitService over gRPC and JSON, six algorithms, hot-reloaded YAML",
  migrations: new URL('./sql/', import.meta.url),
  settings,

  async create(ctx) {
    const s = ctx.settings
    if (s.RATE_LIMITER_STORE === 'redis' && !ctx.redis)
      throw new ConfigError('RATE_LIMITER_STORE=redis needs REDIS_URL')
    const useRedis = s.RATE_LIMITER_STORE !== 'memory' && ctx.redis !== undefined
    // Its own connection: decisions fail fast instead of queueing while Redis is away (the fallback
    // decides), time out rather than hang, and are auto-pipelined (concurrent decisions share a write).
    const redis = useRedis
      ? ctx.redis!.duplicate({
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: s.RATE_LIMITER_REDIS_TIMEOUT_MS,
          enableAutoPipelining: true,
          lazyConnect: true,
        })
      : undefined
    if (redis) {
      redis.on('error', () => {}) // reconnects are logged by StoreHealth transitions, not per attempt
      await redis.connect()
    }

    const instances = new InstanceCount({
      redis,
      floor: s.RATE_LIMITER_INSTANCES,
      intervalMs: s.RATE_LIMITER_HEARTBEAT_MS,
      ttlMs: 3 * s.RATE_LIMITER_HEARTBEAT_MS,
      log: ctx.log,
    })
    const pool = new LimiterPool({
      redis,
      instances: () => instances.current,
      retryMs: s.RATE_LIMITER_REDIS_RETRY_MS,
      log: ctx.log,
    })
    const metrics = new RateLimiterMetrics(
      ctx.metrics.registry,
      () => (pool.health && !pool.health.isUp ? 0 : 1),
      () => instances.current,
    )
    const source = new ConfigSource({
      file: s.RATE_LIMITER_CONFIG ?? EXAMPLE.pathname,
      pollMs: s.RATE_LIMITER_CONFIG_POLL_MS,
      parse: {
        defaultAlgorithm: algorithmOf(s.RATE_LIMITER_DEFAULT_ALGORITHM),
        defaultFailureMode: s.RATE_LIMITER_FAILURE_MODE,
        mergeDomains: s.RATE_LIMITER_MERGE_DOMAIN_CONFIG,
      },
      db: ctx.db,
      bus: ctx.bus,
      log: ctx.log,
      onReload: (ok) => (ok ? metrics.reloads.ok++ : metrics.reloads.error++),
    })
    await source.init()
    const engine = new RateLimitEngine(pool, metrics, () => source.current.config, {
      globalShadow: s.RATE_LIMITER_SHADOW_MODE,
      globalQuota: s.RATE_LIMITER_QUOTA_MODE,
      stopIncrementWhenOverLimit: s.RATE_LIMITER_STOP_INCREMENT_WHEN_OVER_LIMIT,
      dynamicMetadata: s.RATE_LIMITER_RESPONSE_DYNAMIC_METADATA,
    })
    const limits: RequestLimits = {
      maxDescriptors: s.RATE_LIMITER_MAX_DESCRIPTORS,
      maxEntries: s.RATE_LIMITER_MAX_ENTRIES,
      maxLength: 1024,
    }

    let grpc: RlsServer | undefined
    const grpcPort = s.RATE_LIMITER_GRPC_PORT ?? (ctx.config.port === 0 ? 0 : 8081)
    const grpcHost = s.RATE_LIMITER_GRPC_HOST ?? ctx.config.host

    return {
      async routes(app) {
        jsonRoutes(app, engine, limits)
        adminRoutes(app, {
          engine,
          source,
          pool,
          metrics,
          instances,
          limits,
          token: s.RATE_LIMITER_ADMIN_TOKEN,
          grpc: () => (grpc ? { host: grpcHost, port: grpc.port } : undefined),
        })
      },
      workers: [
        { name: 'rate-limiter:instances', start: () => instances.start(), stop: () => instances.stop() },
        { name: 'rate-limiter:config-reload', start: () => source.start(), stop: () => source.stop() },
        {
          name: 'rate-limiter:grpc',
          async start() {
            if (grpcPort < 0) return
            grpc = await startGrpcServer(engine, {
              host: grpcHost,
              port: grpcPort,
              limits,
              maxMessageBytes: 1024 * 1024,
              log: ctx.log,
              headersOf: s.RATE_LIMITER_RESPONSE_HEADERS ? envoyResponseHeaders : undefined,
            }).catch((err) => {
              // A busy or bad port is one line naming the variable, not grpc-js's stack.
              throw listenError(err, {
                portVar: 'RATE_LIMITER_GRPC_PORT',
                hostVar: 'RATE_LIMITER_GRPC_HOST',
                host: grpcHost,
                port: grpcPort,
              })
            })
            ctx.log.info({ host: grpcHost, port: grpc.port }, 'rate limiter: Envoy RLS gRPC server listening')
          },
          async stop() {
            await grpc?.close()
            grpc = undefined
          },
        },
      ],
      async close() {
        pool.close()
        redis?.disconnect()
      },
    }
  },
})
