/**
 * The one reader of `process.env`. Everything the platform and the systems
 * can be told from outside is declared here (platform) or in a system's
 * `settings` (parsed through `systemSettings`), validated at boot and frozen.
 */
import path from 'node:path'
import {
  bool,
  ConfigError,
  int,
  list,
  oneOf,
  optional,
  parseSettings,
  type SettingsOf,
  type SettingsSpec,
  str,
  url,
} from './settings.js'

export { ConfigError } from './settings.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The platform's variables: the configuration table of the root README. */
export const platformSettings = {
  PORT: int({ default: 3000, min: 0, max: 65535, doc: 'HTTP port (0 picks a free one)' }),
  HOST: str({ default: '127.0.0.1', doc: 'HTTP listen address' }),
  PUBLIC_URL: optional(url(['http', 'https'], { doc: 'base URL clients use to reach this process' })),
  DATA_DIR: str({ default: './data', doc: 'PGlite files and other local state' }),
  DATABASE_URL: optional(url(['postgres', 'postgresql'], { doc: 'PostgreSQL; unset -> PGlite in DATA_DIR' })),
  DB_POOL_MAX: int({ default: 10, min: 1, max: 1000, doc: 'PostgreSQL connections per process' }),
  DB_SCHEMA_PREFIX: str({
    default: '',
    doc: 'prefix of every system schema (several installs in one database)',
  }),
  REDIS_URL: optional(url(['redis', 'rediss'], { doc: 'Redis; unset -> memory stores' })),
  REDIS_KEY_PREFIX: str({ default: 'bp:', doc: 'prefix of every Redis key' }),
  NATS_URL: optional(url(['nats', 'tls'], { doc: 'NATS JetStream; unset -> in-process bus' })),
  BUS_PREFIX: str({ default: 'blueprints', doc: 'subject prefix and stream name on NATS' }),
  SYSTEMS: list({ default: ['all'], doc: 'systems this process runs (comma-separated, or all)' }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { default: 'info', doc: 'pino log level' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(
    url(['http', 'https'], { doc: 'OTLP/HTTP endpoint; unset -> no export' }),
  ),
  OTEL_SERVICE_NAME: str({ default: 'blueprints', doc: 'service.name of exported spans' }),
  SHUTDOWN_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 600_000, doc: 'graceful shutdown budget' }),
  BODY_LIMIT: int({ default: 1_048_576, min: 1024, max: 1 << 30, doc: 'largest request body, bytes' }),
  MAX_HEADER_SIZE: int({ default: 16_384, min: 1024, max: 1 << 20, doc: 'largest request head, bytes' }),
  REQUEST_TIMEOUT_MS: int({
    default: 30_000,
    min: 0,
    max: 3_600_000,
    doc: 'whole-request timeout (0: none)',
  }),
  CORS_ORIGINS: list({ default: ['*'], doc: 'origins allowed by CORS (comma-separated, * for any)' }),
  METRICS_ENABLED: bool({ default: true, doc: 'serve /metrics and record RED metrics' }),
} satisfies SettingsSpec

type PlatformSettings = SettingsOf<typeof platformSettings>

export interface Config {
  readonly port: number
  readonly host: string
  readonly publicUrl: string | undefined
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  readonly dbPoolMax: number
  readonly dbSchemaPrefix: string
  readonly redisUrl: string | undefined
  readonly redisKeyPrefix: string
  readonly natsUrl: string | undefined
  readonly busPrefix: string
  /** Names of the systems to run; `['all']` means every registered one. */
  readonly systems: readonly string[]
  readonly logLevel: PlatformSettings['LOG_LEVEL']
  readonly otelEndpoint: string | undefined
  readonly otelServiceName: string
  readonly shutdownTimeoutMs: number
  readonly bodyLimit: number
  readonly maxHeaderSize: number
  readonly requestTimeoutMs: number
  readonly corsOrigins: readonly string[]
  readonly metricsEnabled: boolean
  /** The environment as it was at boot, for `systemSettings` only. */
  readonly env: Readonly<Record<string, string | undefined>>
}

const IDENT = /^[a-z_][a-z0-9_]*$/

/** Read and validate the platform's configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const s = parseSettings(platformSettings, env)
  if (s.DB_SCHEMA_PREFIX && !IDENT.test(s.DB_SCHEMA_PREFIX))
    throw new ConfigError(
      `DB_SCHEMA_PREFIX must be lower-case letters, digits and _, got ${JSON.stringify(s.DB_SCHEMA_PREFIX)}`,
    )
  if (!/^[A-Za-z0-9_-]+$/.test(s.BUS_PREFIX))
    throw new ConfigError(`BUS_PREFIX must be letters, digits, _ and -, got ${JSON.stringify(s.BUS_PREFIX)}`)
  return Object.freeze({
    port: s.PORT,
    host: s.HOST,
    publicUrl: s.PUBLIC_URL,
    dataDir: path.resolve(s.DATA_DIR),
    databaseUrl: s.DATABASE_URL,
    dbPoolMax: s.DB_POOL_MAX,
    dbSchemaPrefix: s.DB_SCHEMA_PREFIX,
    redisUrl: s.REDIS_URL,
    redisKeyPrefix: s.REDIS_KEY_PREFIX,
    natsUrl: s.NATS_URL,
    busPrefix: s.BUS_PREFIX,
    systems: Object.freeze([...s.SYSTEMS]),
    logLevel: s.LOG_LEVEL,
    otelEndpoint: s.OTEL_EXPORTER_OTLP_ENDPOINT,
    otelServiceName: s.OTEL_SERVICE_NAME,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    bodyLimit: s.BODY_LIMIT,
    maxHeaderSize: s.MAX_HEADER_SIZE,
    requestTimeoutMs: s.REQUEST_TIMEOUT_MS,
    corsOrigins: Object.freeze([...s.CORS_ORIGINS]),
    metricsEnabled: s.METRICS_ENABLED,
    env: Object.freeze({ ...env }),
  })
}

/** A system's own settings, parsed from the environment captured at boot. */
export function systemSettings<S extends SettingsSpec>(config: Config, spec: S): SettingsOf<S> {
  return parseSettings(spec, config.env)
}

/** Whether tests should also run against real services (`TEST_SERVICES=1`). */
export function testServicesEnabled(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return env.TEST_SERVICES === '1' || env.TEST_SERVICES === 'true'
}

/** Connection URLs of the local services used by `TEST_SERVICES=1` runs. */
export function testServiceUrls(env: Readonly<Record<string, string | undefined>> = process.env) {
  return {
    databaseUrl: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
  }
}

/** Log level of apps built by tests (`TEST_LOG_LEVEL`, default silent). */
export function testLogLevel(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.TEST_LOG_LEVEL || 'silent'
}

/** Whether the browser/CI strictness applies (`CI=true`). */
export function isCi(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.CI === 'true' || env.CI === '1'
}
