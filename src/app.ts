/**
 * The composition root. `buildApp(config)` opens the platform (Db, Redis,
 * Bus, telemetry), migrates and creates each selected system, mounts its
 * routes and prepares its workers. `start()` starts workers and listens;
 * `close()` shuts down in order: stop accepting and drain requests, stop
 * workers (relays flush), close systems, flush traces, close pools.
 */
import { createMemoryBus } from './platform/bus/memory.js'
import { createNatsBus } from './platform/bus/nats.js'
import { createOutbox, createOutboxRelay, OUTBOX_MIGRATIONS } from './platform/bus/outbox.js'
import type { Bus } from './platform/bus/port.js'
import { type Config, ConfigError, systemSettings } from './platform/config.js'
import type { DataDirLock } from './platform/data-dir/lock.js'
import { type MigrationSource, migrate } from './platform/db/migrate.js'
import { lockDataDir, openDb } from './platform/db/open.js'
import type { Db } from './platform/db/port.js'
import type { ReadinessCheck } from './platform/http/health.js'
import { indexPage } from './platform/http/index-page.js'
import { createHttpServer } from './platform/http/server.js'
import type { TypedApp } from './platform/http/types.js'
import { JobsEngine } from './platform/jobs/engine.js'
import { jobsSchema } from './platform/jobs/migrations.js'
import { type EngineSettingsValues, engineSettings } from './platform/jobs/settings.js'
import { systemJobs } from './platform/jobs/system-jobs.js'
import { Live } from './platform/live/live.js'
import { liveMetrics } from './platform/live/metrics.js'
import {
  LIVE_MIGRATIONS,
  mountPlatformEndpoint,
  platformEndpoint,
} from './platform/live/platform-endpoint.js'
import { LIVE_RENAMED, liveSettings } from './platform/live/settings.js'
import { createRedis, type Redis, redactUrl } from './platform/redis/client.js'
import { parseSettingsRenamed } from './platform/settings.js'
import { listenError } from './platform/startup-error.js'
import {
  type SystemContext,
  type SystemDefinition,
  type SystemInstance,
  schemaOf,
  type Worker,
} from './platform/system.js'
import { createLogger, type Logger } from './platform/telemetry/logger.js'
import { createMetrics, type Metrics } from './platform/telemetry/metrics.js'
import { createTracing, type Tracing } from './platform/telemetry/tracing.js'
import { systems as registry } from './systems/index.js'

// biome-ignore lint/suspicious/noExplicitAny: systems carry their own settings types
type AnySystem = SystemDefinition<any>

export interface AppOverrides {
  /** Use these definitions instead of the registry (tests, fixtures). */
  systems?: AnySystem[]
  db?: Db
  redis?: Redis | null
  bus?: Bus
  logger?: Logger
  /** Job engine tuning for tests: the worker's heartbeat period (0: none), the stalled-job sweep's period. */
  jobs?: { heartbeatMs?: number; sweepMs?: number }
}

export interface App {
  readonly config: Config
  readonly http: TypedApp
  readonly db: Db
  readonly redis: Redis | undefined
  readonly bus: Bus
  readonly logger: Logger
  readonly metrics: Metrics
  readonly systems: readonly { definition: AnySystem; context: SystemContext; instance: SystemInstance }[]
  /** Start workers, then listen (unless `listen: false`); resolves to the base URL. */
  start(opts?: { listen?: boolean }): Promise<string>
  /** Graceful shutdown; safe to call twice. Owned resources (not overrides) are closed. */
  close(): Promise<void>
}

/** Pick the systems `config.systems` names; an unknown name is a ConfigError listing the known ones. */
export function selectSystems(config: Config, available: AnySystem[]): AnySystem[] {
  if (config.systems.includes('all')) return available
  const known = new Map(available.map((s) => [s.name, s]))
  return config.systems.map((name) => {
    const s = known.get(name)
    if (!s)
      throw new ConfigError(
        `SYSTEMS names unknown system ${JSON.stringify(name)}; known: ${[...known.keys()].join(', ') || '(none)'}, all`,
      )
    return s
  })
}

export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const selected = selectSystems(config, overrides.systems ?? registry)
  // Validate every system's settings before opening anything: a bad value stops the boot cleanly.
  const settings = new Map(selected.map((s) => [s.name, systemSettings(config, s.settings ?? {})]))
  // Presence and the node's name were chat's (CHAT_*): the old names still work, with a warning.
  const { values: liveConfig, warnings: renamed } = parseSettingsRenamed(
    liveSettings,
    config.env,
    LIVE_RENAMED,
  )
  // The job engine runs in the process when a selected system declares queues (platform/jobs).
  const jobSettings = selected.some((s) => s.jobs) ? systemSettings(config, engineSettings) : undefined

  const logger = overrides.logger ?? createLogger(config.logLevel)
  for (const w of renamed) logger.warn(w)
  const metrics = createMetrics()
  const tracing: Tracing = createTracing({
    endpoint: config.otelEndpoint,
    serviceName: config.otelServiceName,
  })
  const owned: (() => Promise<void>)[] = []
  const fail = async (err: unknown): Promise<never> => {
    for (const close of owned.reverse()) await close().catch(() => {})
    throw err
  }

  let db: Db
  let redis: Redis | undefined
  let bus: Bus
  let lock: DataDirLock | undefined
  try {
    // One process per embedded data folder: refused here, before PGlite opens, when another holds it.
    if (!overrides.db && !config.databaseUrl) {
      const held = await lockDataDir(config)
      lock = held
      owned.push(() => held.release())
    }
    db =
      overrides.db ?? (await openDb(config, (err) => logger.warn({ err }, 'database connection error'), lock))
    if (!overrides.db) owned.push(() => db.close())
    if (overrides.redis !== undefined) redis = overrides.redis ?? undefined
    else if (config.redisUrl) {
      const url = config.redisUrl
      redis = await createRedis(url, {
        keyPrefix: config.redisKeyPrefix,
        onError: (err) => logger.warn({ err: err.message, redis: redactUrl(url) }, 'redis error'),
      })
      const r = redis
      owned.push(async () => void (await r.quit().catch(() => r.disconnect())))
    }
    bus =
      overrides.bus ??
      (config.natsUrl
        ? await createNatsBus({ url: config.natsUrl, prefix: config.busPrefix, logger })
        : createMemoryBus({ onDead: (subject, err) => logger.error({ subject, err }, 'bus message dead') }))
    if (!overrides.bus) owned.push(() => bus.close())
  } catch (err) {
    return fail(err)
  }

  let closing = false
  const readiness: Record<string, ReadinessCheck> = { database: () => db.ping(), bus: () => bus.ping() }
  if (redis) {
    const r = redis
    readiness.redis = async () => {
      if ((await r.ping()) !== 'PONG') throw new Error('unexpected PING answer')
    }
  }

  let http: TypedApp
  const running: { definition: AnySystem; context: SystemContext; instance: SystemInstance }[] = []
  // Live streams: one per process, shared by every system (platform/live); its feeds start first, stop last.
  const live = new Live({
    bus,
    log: logger.child({ platform: 'live' }),
    node: liveConfig.LIVE_NODE_ID,
    presenceIntervalMs: liveConfig.LIVE_PRESENCE_INTERVAL_MS,
    legacySubjects: liveConfig.LIVE_LEGACY_SUBJECTS,
  })
  const workers: Worker[] = [{ name: 'live', start: () => live.start(), stop: () => live.stop() }]
  let jobs: JobsEngine | undefined
  let listenUrl: string | undefined
  try {
    http = await createHttpServer({
      config,
      logger,
      metrics,
      tracing,
      readiness: () => readiness,
      isClosing: () => closing,
      systems: selected.map((s) => ({ name: s.name, description: s.description })),
    })
    owned.push(() => http.close())
    if (jobSettings)
      jobs = await openJobs(
        config,
        { db, redis, bus, logger, metrics, tracing },
        jobSettings,
        selected,
        overrides.jobs,
        owned,
      )
    for (const definition of selected) {
      const schema = schemaOf(config.dbSchemaPrefix, definition.name)
      const sysDb = db.withSchema(schema)
      const sources: MigrationSource[] = []
      if (definition.outbox) sources.push({ source: 'platform/outbox', dir: OUTBOX_MIGRATIONS })
      if (definition.migrations) sources.push({ source: 'system', dir: definition.migrations })
      if (sources.length > 0) {
        const applied = await migrate(sysDb, sources)
        if (applied.length > 0) logger.info({ system: definition.name, applied }, 'migrations applied')
      }
      const sysRedis = redis?.duplicate({ keyPrefix: `${config.redisKeyPrefix}${definition.name}:` })
      if (sysRedis) owned.push(async () => void (await sysRedis.quit().catch(() => sysRedis.disconnect())))
      const log = logger.child({ system: definition.name })
      const context: SystemContext = {
        name: definition.name,
        config,
        settings: settings.get(definition.name)!,
        db: sysDb,
        redis: sysRedis,
        bus,
        outbox: definition.outbox ? createOutbox(schema) : undefined,
        live: live.forSystem(definition.name),
        jobs: systemJobs(jobs, definition.name, definition.jobs),
        log,
        metrics,
        tracing,
        publicUrl: () => config.publicUrl ?? listenUrl ?? `http://${config.host}:${config.port}`,
      }
      const instance = await definition.create(context)
      running.push({ definition, context, instance })
      if (instance.tasks && (!jobs || !definition.jobs))
        throw new ConfigError(`system ${definition.name} has job tasks but declares no jobs in defineSystem`)
      // Recorded even when empty: a job added from elsewhere to its queues is checked against it.
      if (jobs && definition.jobs) await jobs.register(definition.name, instance.tasks ?? {})
      if (definition.outbox) workers.push(createOutboxRelay(sysDb, bus, log))
      workers.push(...(instance.workers ?? []))
      if (instance.ready) readiness[definition.name] = instance.ready
      if (instance.siteFallback) http.siteFallbacks.push(instance.siteFallback)
      const prefix = definition.prefix ?? `/${definition.name}`
      await http.register(
        async (scope) => {
          // Label every route of this system in metrics, and group its operations in the OpenAPI
          // document under one tag, the system's name: the console's "API docs" links are
          // Swagger UI deep links to it (`/docs#/<name>`), so no operation may sit elsewhere.
          scope.addHook('onRoute', (route) => {
            route.config = { ...(route.config as object), system: definition.name }
            route.schema = { ...route.schema, tags: [definition.name] }
          })
          await instance.routes(scope)
        },
        { prefix },
      )
    }
    // The platform's live endpoint (`/live`): every system's streams on one connection, when some
    // system of this process declared a stream kind.
    if (live.allKinds().length > 0) {
      const liveDb = db.withSchema(schemaOf(config.dbSchemaPrefix, 'live'))
      await migrate(liveDb, [{ source: 'platform/live', dir: LIVE_MIGRATIONS }])
      const liveEndpoint = platformEndpoint(live, liveDb, liveConfig)
      workers.push(liveEndpoint.worker)
      await mountPlatformEndpoint(http as never, liveEndpoint)
      liveMetrics(metrics.registry, live, liveEndpoint)
    }
    // Last: started after every system's workers, stopped first (the pool hands back what it cannot finish).
    if (jobs) workers.push(...jobs.workers())
    await http.register(
      indexPage(
        selected.map((s) => ({ name: s.name, description: s.description, prefix: s.prefix ?? `/${s.name}` })),
      ),
    )
    await http.ready()
    lock?.update({ systems: running.map((r) => r.definition.name) })
    // CLI commands typed beside this process run here (the folder's one process), see platform/data-dir.
    lock?.serveCommands(async (req, out) => {
      const r = running.find((x) => x.definition.name === req.system)
      const command = r?.definition.commands?.[req.command]
      if (!r || !command) throw new Error(`this process does not run ${req.system} ${req.command}`)
      await command.run(r.context, req.args, out)
      return 0
    })
  } catch (err) {
    for (const r of running.reverse()) await r.instance.close?.().catch(() => {})
    return fail(err)
  }

  const started: Worker[] = []
  let closePromise: Promise<void> | undefined

  async function close(): Promise<void> {
    closing = true
    // 1. stop accepting; in-flight requests finish (Fastify waits for them).
    // Node closes idle keep-alive sockets only at the moment close() is called; sockets whose
    // last response finishes during the drain would hold the server open, so sweep them.
    const sweep = setInterval(() => http.server.closeIdleConnections(), 100)
    try {
      await http.close()
    } finally {
      clearInterval(sweep)
    }
    logger.debug('http closed')
    // 2. workers in reverse start order: relays and flushers write what they buffered.
    for (const w of [...started].reverse()) {
      try {
        await w.stop()
      } catch (err) {
        logger.error({ err, worker: w.name }, 'worker failed to stop cleanly')
      }
    }
    // 3. systems release what they opened; then traces are flushed and pools closed.
    for (const r of [...running].reverse())
      await r.instance.close?.().catch((err) => logger.error({ err }, 'close failed'))
    logger.debug('workers and systems stopped')
    await tracing.shutdown().catch(() => {})
    for (const closeOwned of owned.reverse())
      await closeOwned().catch((err) => logger.warn({ err }, 'close failed'))
  }

  return {
    config,
    http,
    db,
    redis,
    bus,
    logger,
    metrics,
    systems: running,
    async start(opts = {}) {
      for (const w of workers) {
        await w.start()
        started.push(w)
      }
      if (opts.listen === false) return 'http://in-process'
      const address = await http.listen({ port: config.port, host: config.host }).catch((err) => {
        throw listenError(err, { portVar: 'PORT', hostVar: 'HOST', host: config.host, port: config.port })
      })
      const port = (http.server.address() as { port: number }).port
      const host = config.host.includes(':') ? `[${config.host}]` : config.host
      const wildcard = host === '0.0.0.0' || host === '[::]'
      listenUrl = `http://${wildcard ? '127.0.0.1' : host}:${port}`
      lock?.update({ url: listenUrl })
      // Listening on every interface means clients come from elsewhere, and links built from the
      // loopback fallback (short URLs, hub URLs) would send them to their own machine.
      if (wildcard && !config.publicUrl)
        logger.warn(
          { listenUrl },
          'PUBLIC_URL is not set: links this process hands out point at its loopback address; set PUBLIC_URL to the address clients use',
        )
      logger.debug({ address }, 'listening')
      return listenUrl
    },
    close: () => {
      closePromise ??= close()
      return closePromise
    },
  }
}

/**
 * Open the job engine on the installation's job tables (migrated here even when the jobs system
 * is not selected) and record the queues each selected system declares.
 */
async function openJobs(
  config: Config,
  p: { db: Db; redis: Redis | undefined; bus: Bus; logger: Logger; metrics: Metrics; tracing: Tracing },
  settings: EngineSettingsValues,
  selected: AnySystem[],
  tuning: AppOverrides['jobs'],
  owned: (() => Promise<void>)[],
): Promise<JobsEngine> {
  const redis = p.redis?.duplicate({ keyPrefix: `${config.redisKeyPrefix}jobs:` })
  if (redis) owned.push(async () => void (await redis.quit().catch(() => redis.disconnect())))
  const log = p.logger.child({ system: 'platform/jobs' })
  const { engine, applied } = await JobsEngine.open({
    db: p.db.withSchema(jobsSchema(config.dbSchemaPrefix)),
    settings,
    log,
    registry: p.metrics.registry,
    tracing: p.tracing,
    redis,
    bus: p.bus,
    ...tuning,
  })
  if (applied.length > 0) log.info({ applied }, 'job tables migrated')
  for (const s of selected) if (s.jobs) await engine.declare(s.name, s.jobs)
  return engine
}
