/**
 * The composition root. `buildApp(config)` opens the platform (Db, Redis,
 * Bus, telemetry), migrates and creates each selected system, mounts its
 * routes and prepares its workers. `start()` starts workers and listens;
 * `close()` shuts down in order: stop accepting and drain requests, stop
 * workers (relays flush), close systems, flush traces, close pools.
 */
import { openJobs } from './app-jobs.js'
import { openResources, type Resources, resourceReadiness } from './app-resources.js'
import { type AnySystem, type MountDeps, mountSystem, type RunningSystem } from './app-system.js'
import type { Bus } from './platform/bus/port.js'
import { type Config, ConfigError, systemSettings } from './platform/config.js'
import { migrate } from './platform/db/migrate.js'
import type { Db } from './platform/db/port.js'
import { indexPage } from './platform/http/index-page.js'
import { createHttpServer } from './platform/http/server.js'
import type { TypedApp } from './platform/http/types.js'
import type { JobsEngine } from './platform/jobs/engine.js'
import { engineSettings } from './platform/jobs/settings.js'
import { Live } from './platform/live/live.js'
import { liveMetrics } from './platform/live/metrics.js'
import {
  LIVE_MIGRATIONS,
  mountPlatformEndpoint,
  platformEndpoint,
} from './platform/live/platform-endpoint.js'
import { LIVE_RENAMED, liveSettings } from './platform/live/settings.js'
import type { Redis } from './platform/redis/client.js'
import { parseSettingsRenamed } from './platform/settings.js'
import { listenError } from './platform/startup-error.js'
import { schemaOf, type Worker } from './platform/system.js'
import { createLogger, type Logger } from './platform/telemetry/logger.js'
import { createMetrics, type Metrics } from './platform/telemetry/metrics.js'
import { createTracing, type Tracing } from './platform/telemetry/tracing.js'
import { systems as registry } from './systems/index.js'

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
  readonly systems: readonly RunningSystem[]
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

  let resources: Resources
  try {
    resources = await openResources(config, overrides, logger, owned)
  } catch (err) {
    return fail(err)
  }
  const { db, redis, bus, lock } = resources
  let closing = false
  const readiness = resourceReadiness(resources)

  let http: TypedApp
  const running: RunningSystem[] = []
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
    const deps: MountDeps = {
      config,
      db,
      redis,
      bus,
      logger,
      metrics,
      tracing,
      http,
      live,
      jobs,
      listenUrl: () => listenUrl,
      workers,
      readiness,
      owned,
    }
    for (const definition of selected)
      await mountSystem(definition, settings.get(definition.name)!, deps, (r) => running.push(r))
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
