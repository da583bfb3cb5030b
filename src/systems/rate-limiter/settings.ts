/**
 * The rate limiter's environment variables (validated at boot with the
 * platform's). Where envoyproxy/ratelimit has an equivalent, the doc names it.
 */
import { bool, ConfigError, int, oneOf, optional, type Setting, str } from '../../platform/settings.js'
import { parseConfigFiles } from './config.js'
import { readConfigFilesSync } from './config-files.js'

/**
 * The config file's path, read and checked while the settings are: a broken file stops the process
 * at once, before any database is opened. (The service parses it again with the defaults below;
 * this check uses the most permissive default algorithm, so it never refuses what the service takes.)
 */
function configFile(doc: string): Setting<string | undefined> {
  return {
    doc,
    parse(name, raw) {
      if (raw === undefined || raw === '') return undefined
      let files: ReturnType<typeof readConfigFilesSync>
      try {
        files = readConfigFilesSync(raw)
      } catch (err) {
        throw new ConfigError(
          `${name}: cannot read ${raw}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        )
      }
      // Merging on: the strictest check of a duplicate domain waits for the service's own parse.
      parseConfigFiles(files, { defaultAlgorithm: 'token-bucket', mergeDomains: true })
      return raw
    },
  }
}

export const settings = {
  RATE_LIMITER_CONFIG: configFile(
    'YAML file of rate limit domains (envoyproxy/ratelimit format plus algorithm/burst/failure_mode), or a directory of such files (*.yaml, *.yml); default: the bundled example.yaml',
  ),
  RATE_LIMITER_CONFIG_POLL_MS: int({
    default: 1_000,
    min: 100,
    max: 600_000,
    doc: 'how often the config file and the admin override are checked for changes (hot reload)',
  }),
  RATE_LIMITER_DEFAULT_ALGORITHM: oneOf(
    [
      'fixed_window',
      'sliding_window_log',
      'sliding_window_counter',
      'token_bucket',
      'leaky_bucket',
      'gcra',
    ] as const,
    { default: 'fixed_window', doc: 'algorithm of descriptors that name none (Envoy: fixed window)' },
  ),
  RATE_LIMITER_STORE: oneOf(['auto', 'redis', 'memory'] as const, {
    default: 'auto',
    doc: 'where limiter state lives: auto = Redis when REDIS_URL is set, else this process (memory)',
  }),
  RATE_LIMITER_FAILURE_MODE: oneOf(['insurance', 'open', 'closed'] as const, {
    default: 'insurance',
    doc: 'what decides while Redis is down, for descriptors without failure_mode: an in-memory limiter, admit all, or deny all',
  }),
  RATE_LIMITER_INSTANCES: int({
    default: 1,
    min: 1,
    max: 10_000,
    doc: 'the fewest processes sharing the limits (the floor of the count learned from heartbeats in Redis); while Redis is down each insurance limiter admits limit / count',
  }),
  RATE_LIMITER_HEARTBEAT_MS: int({
    default: 2_000,
    min: 100,
    max: 60_000,
    doc: 'how often each process announces itself in Redis; one not heard from for 3 intervals no longer counts',
  }),
  RATE_LIMITER_REDIS_TIMEOUT_MS: int({
    default: 250,
    min: 1,
    max: 60_000,
    doc: 'a Redis decision slower than this fails and falls back (Envoy: REDIS timeout)',
  }),
  RATE_LIMITER_REDIS_RETRY_MS: int({
    default: 500,
    min: 10,
    max: 60_000,
    doc: 'while Redis is down, how often it is probed to hand decisions back',
  }),
  RATE_LIMITER_MERGE_DOMAIN_CONFIG: bool({
    default: false,
    doc: 'a domain named in several files (or documents) adds their descriptors instead of being refused (Envoy: MERGE_DOMAIN_CONFIG)',
  }),
  RATE_LIMITER_SHADOW_MODE: bool({
    default: false,
    doc: 'answer OK to every request; descriptor statuses still say OVER_LIMIT and are counted (Envoy: SHADOW_MODE)',
  }),
  RATE_LIMITER_QUOTA_MODE: bool({
    default: false,
    doc: 'every descriptor in quota mode: a request is refused only when all its descriptors are over the limit (Envoy: QUOTA_MODE)',
  }),
  RATE_LIMITER_STOP_INCREMENT_WHEN_OVER_LIMIT: bool({
    default: false,
    doc: 'a refused request gives its hits back to the descriptors that admitted it; default: they keep them, as Envoy does (Envoy: STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT)',
  }),
  RATE_LIMITER_RESPONSE_DYNAMIC_METADATA: bool({
    default: false,
    doc: 'fill the response dynamic_metadata: domain, descriptors, hits and the metadata of the descriptors that passed (Envoy: RESPONSE_DYNAMIC_METADATA)',
  }),
  RATE_LIMITER_GRPC_PORT: optional(
    int({
      min: -1,
      max: 65_535,
      doc: 'port of the Envoy RLS gRPC server (Envoy: GRPC_PORT); default 8081, or a free one when PORT is 0; -1 turns it off',
    }),
  ),
  RATE_LIMITER_GRPC_HOST: optional(str({ maxLength: 255, doc: 'gRPC listen address; default HOST' })),
  RATE_LIMITER_RESPONSE_HEADERS: bool({
    default: false,
    doc: 'ask Envoy to add RateLimit and RateLimit-Policy headers to responses (Envoy: LIMIT_RESPONSE_HEADERS_ENABLED)',
  }),
  RATE_LIMITER_MAX_DESCRIPTORS: int({
    default: 64,
    min: 1,
    max: 10_000,
    doc: 'descriptors accepted in one request',
  }),
  RATE_LIMITER_MAX_ENTRIES: int({
    default: 16,
    min: 1,
    max: 1_000,
    doc: 'entries accepted in one descriptor',
  }),
  RATE_LIMITER_ADMIN_TOKEN: optional(
    str({
      maxLength: 512,
      doc: 'bearer token the admin routes (config, keys) require; unset: they are open (bind to a private address)',
    }),
  ),
} as const
