/**
 * The system contract. A system is a folder under `src/systems/` whose
 * `index.ts` default-exports `defineSystem({...})`, plus one line in the
 * registry. The platform gives it a context (its own Db schema, Redis key
 * prefix, Bus, logger, metrics, settings); the system returns its routes and
 * workers, and the platform mounts, starts, and stops them.
 */
import type { FastifyInstance } from 'fastify'
import type { Outbox } from './bus/outbox.js'
import type { Bus } from './bus/port.js'
import type { Config } from './config.js'
import type { Db } from './db/port.js'
import type { SiteFallback } from './http/not-found.js'
import type { TypedApp } from './http/types.js'
import type { JobsDeclaration, SystemJobs } from './jobs/declaration.js'
import type { TaskDefinition } from './jobs/types.js'
import type { SystemLive } from './live/live.js'
import type { Redis } from './redis/client.js'
import type { SettingsOf, SettingsSpec } from './settings.js'
import type { Logger } from './telemetry/logger.js'
import type { Metrics } from './telemetry/metrics.js'
import type { Tracing } from './telemetry/tracing.js'

/** A long-running consumer (queue worker, outbox relay, flusher). */
export interface Worker {
  readonly name: string
  start(): Promise<void>
  /** Stop taking work, finish or hand back what is in flight, flush. */
  stop(): Promise<void>
}

export interface SystemContext<S extends SettingsSpec = SettingsSpec> {
  readonly name: string
  readonly config: Config
  readonly settings: SettingsOf<S>
  /** The Db scoped to this system's schema (`<DB_SCHEMA_PREFIX><name with _>`). */
  readonly db: Db
  /** A Redis client whose keys are prefixed with `<REDIS_KEY_PREFIX><name>:`; undefined without REDIS_URL. */
  readonly redis: Redis | undefined
  readonly bus: Bus
  /** The transactional outbox of this system's schema (when `outbox: true`). */
  readonly outbox: Outbox | undefined
  /** Live streams to clients: declare stream kinds, publish committed events (platform/live). */
  readonly live: SystemLive
  /**
   * The job engine (platform/jobs): `ctx.jobs.addJob(tx, queue, spec)` enqueues into one of the
   * queues the system declares (`jobs` below) in the caller's transaction. Without a declaration,
   * every call throws.
   */
  readonly jobs: SystemJobs
  readonly log: Logger
  readonly metrics: Metrics
  readonly tracing: Tracing
  /** Base URL clients use to reach this process (PUBLIC_URL, or the listen address). */
  publicUrl(): string
}

export interface SystemInstance {
  /** Routes, registered under the system's prefix in their own encapsulated context. */
  routes: (app: TypedApp) => Promise<void> | void
  workers?: Worker[]
  /**
   * Handlers of the system's job tasks, by task name (prefix the names with the system's:
   * `payments.deliver-webhook`). The process's worker pool runs them for the jobs of the
   * queues the system declares (`jobs`); a name another selected system uses stops the boot.
   */
  tasks?: Readonly<Record<string, TaskDefinition>>
  /**
   * Answer GETs of `/` (otherwise the console) or of paths no route matches (otherwise a 404)
   * when the system wants to: see SiteFallback.
   */
  siteFallback?: SiteFallback
  /** Extra readiness check of the system's own; throw to report not ready. */
  ready?: () => Promise<void>
  /** Release what `create` opened that workers do not own. Runs after workers stopped. */
  close?: () => Promise<void>
}

export interface SystemDefinition<S extends SettingsSpec = SettingsSpec> {
  /** Folder name, route prefix, schema name (with `_`), metric label. */
  readonly name: string
  readonly description: string
  /** Route prefix; defaults to `/<name>`. A system that speaks a root-level protocol may use ''. */
  readonly prefix?: string
  /** Folder of numbered `.sql` migrations for the system's schema. */
  readonly migrations?: URL
  /** Create the outbox table in the schema and run its relay worker. */
  readonly outbox?: boolean
  /**
   * The queues the system owns in the installation's job tables (platform/jobs). Any selected
   * system declaring them makes the process migrate those tables and run one worker pool for
   * every selected system's queues; its handlers are the instance's `tasks`.
   */
  readonly jobs?: JobsDeclaration
  /** Environment variables the system reads, validated at boot with the platform's. */
  readonly settings?: S
  create(ctx: SystemContext<S>): Promise<SystemInstance>
  /**
   * Commands of `npx blueprints <system> <command...>`, keyed by space-joined
   * words (e.g. 'api-key create'). They run against the migrated schema without
   * starting the HTTP server; output goes to `out`.
   */
  readonly commands?: Record<string, SystemCommand<S>>
}

export interface SystemCommand<S extends SettingsSpec = SettingsSpec> {
  readonly summary: string
  run(ctx: SystemContext<S>, args: string[], out: (line: string) => void): Promise<void>
}

/** Declare a system; the identity function that gives `create` its typed context. */
export function defineSystem<S extends SettingsSpec = Record<never, never>>(
  def: SystemDefinition<S>,
): SystemDefinition<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`system name ${def.name} must be kebab-case`)
  return def
}

/** The PostgreSQL schema of a system: its name with `_`, after the configured prefix. */
export function schemaOf(prefix: string, name: string): string {
  return `${prefix}${name.replaceAll('-', '_')}`
}

export type { FastifyInstance, SiteFallback }
