/**
 * Mounting one selected system in the composition root: its migrations (with the outbox's when it
 * has one), its context (a Db on its own schema, Redis under its own key prefix, the shared Bus,
 * live streams and job engine), `create()`, then its task handlers, workers, readiness check and
 * routes (under its prefix, every route labelled and tagged with its name).
 */
import { createOutbox, createOutboxRelay, OUTBOX_MIGRATIONS } from './platform/bus/outbox.js'
import type { Bus } from './platform/bus/port.js'
import { type Config, ConfigError } from './platform/config.js'
import { type MigrationSource, migrate } from './platform/db/migrate.js'
import type { Db } from './platform/db/port.js'
import type { ReadinessCheck } from './platform/http/health.js'
import type { TypedApp } from './platform/http/types.js'
import type { JobsEngine } from './platform/jobs/engine.js'
import { systemJobs } from './platform/jobs/system-jobs.js'
import type { Live } from './platform/live/live.js'
import type { Redis } from './platform/redis/client.js'
import {
  type SystemContext,
  type SystemDefinition,
  type SystemInstance,
  schemaOf,
  type Worker,
} from './platform/system.js'
import type { Logger } from './platform/telemetry/logger.js'
import type { Metrics } from './platform/telemetry/metrics.js'
import type { Tracing } from './platform/telemetry/tracing.js'

// biome-ignore lint/suspicious/noExplicitAny: systems carry their own settings types
export type AnySystem = SystemDefinition<any>

/** A created system: its definition, the context it was given, what `create()` returned. */
export interface RunningSystem {
  definition: AnySystem
  context: SystemContext
  instance: SystemInstance
}

/** What every system is mounted with, and where its workers, checks and closers go. */
export interface MountDeps {
  config: Config
  db: Db
  redis: Redis | undefined
  bus: Bus
  logger: Logger
  metrics: Metrics
  tracing: Tracing
  http: TypedApp
  live: Live
  jobs: JobsEngine | undefined
  /** The URL this process listens on, once it does. */
  listenUrl(): string | undefined
  workers: Worker[]
  readiness: Record<string, ReadinessCheck>
  owned: (() => Promise<void>)[]
}

/** Migrate, create and mount `definition` with its validated `settings`; `onCreated` gets it before routes are mounted. */
export async function mountSystem(
  definition: AnySystem,
  settings: SystemContext['settings'],
  d: MountDeps,
  onCreated: (r: RunningSystem) => void,
): Promise<void> {
  const { config } = d
  const schema = schemaOf(config.dbSchemaPrefix, definition.name)
  const sysDb = d.db.withSchema(schema)
  const sources: MigrationSource[] = []
  if (definition.outbox) sources.push({ source: 'platform/outbox', dir: OUTBOX_MIGRATIONS })
  if (definition.migrations) sources.push({ source: 'system', dir: definition.migrations })
  if (sources.length > 0) {
    const applied = await migrate(sysDb, sources)
    if (applied.length > 0) d.logger.info({ system: definition.name, applied }, 'migrations applied')
  }
  const sysRedis = d.redis?.duplicate({ keyPrefix: `${config.redisKeyPrefix}${definition.name}:` })
  if (sysRedis) d.owned.push(async () => void (await sysRedis.quit().catch(() => sysRedis.disconnect())))
  const log = d.logger.child({ system: definition.name })
  const context: SystemContext = {
    name: definition.name,
    config,
    settings,
    db: sysDb,
    redis: sysRedis,
    bus: d.bus,
    outbox: definition.outbox ? createOutbox(schema) : undefined,
    live: d.live.forSystem(definition.name),
    jobs: systemJobs(d.jobs, definition.name, definition.jobs),
    log,
    metrics: d.metrics,
    tracing: d.tracing,
    publicUrl: () => config.publicUrl ?? d.listenUrl() ?? `http://${config.host}:${config.port}`,
  }
  const instance = await definition.create(context)
  onCreated({ definition, context, instance })
  if (instance.tasks && (!d.jobs || !definition.jobs))
    throw new ConfigError(`system ${definition.name} has job tasks but declares no jobs in defineSystem`)
  // Recorded even when empty: a job added from elsewhere to its queues is checked against it.
  if (d.jobs && definition.jobs) await d.jobs.register(definition.name, instance.tasks ?? {})
  if (definition.outbox) d.workers.push(createOutboxRelay(sysDb, d.bus, log))
  d.workers.push(...(instance.workers ?? []))
  if (instance.ready) d.readiness[definition.name] = instance.ready
  if (instance.siteFallback) d.http.siteFallbacks.push(instance.siteFallback)
  const prefix = definition.prefix ?? `/${definition.name}`
  await d.http.register(
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
