/**
 * Kong's entity schemas (3.x field names and defaults), restricted to what this gateway does. Kong
 * fields we do not implement (snis, sources, tls client certificates, expressions, ...) are absent,
 * so a config that uses them is refused naming the field.
 */
import { type Schema, STATUS, s, TAGS } from './fields.js'

const NAME = s.str({
  max: 128,
  pattern: /^[A-Za-z0-9._~-]+$/,
  why: 'names may contain letters, digits and . _ ~ -',
})
const TIMEOUT = s.int({ min: 1, max: 2_147_483_646, default: 60_000 })
const META = {
  id: s.str({ max: 64 }),
  created_at: s.int({ min: 0 }),
  updated_at: s.int({ min: 0 }),
  tags: TAGS,
}
const REF = s.str({ max: 128 })

export const serviceSchema: Schema = {
  ...META,
  name: NAME,
  url: s.str({ max: 2048 }),
  protocol: s.oneOf(['http', 'https'], 'http'),
  host: s.str({
    max: 256,
    pattern: /^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$/,
    why: 'must be a host name or IP address',
  }),
  port: s.int({ min: 0, max: 65535, default: 80 }),
  path: s.str({ max: 1024, pattern: /^\/[^?#\s]*$/, why: 'must start with / and hold no query or fragment' }),
  retries: s.int({ min: 0, max: 32767, default: 5 }),
  connect_timeout: TIMEOUT,
  write_timeout: TIMEOUT,
  read_timeout: TIMEOUT,
  enabled: s.bool(true),
}

export const routeSchema: Schema = {
  ...META,
  name: NAME,
  service: REF,
  protocols: s.arr(s.oneOf(['http', 'https']), ['http', 'https']),
  methods: s.arr(s.str({ max: 32, pattern: /^[A-Z]+$/, why: 'methods are upper-case tokens' })),
  hosts: s.arr(
    s.str({
      max: 256,
      pattern: /^(\*\.)?[A-Za-z0-9.-]+(\.\*)?(:\d+)?$/,
      why: 'invalid host (one leading or trailing * wildcard)',
    }),
  ),
  paths: s.arr(
    s.str({ max: 1024, pattern: /^(\/|~)/, why: 'should start with: / (fixed path) or ~/ (regex path)' }),
  ),
  headers: s.map(s.arr(s.str({ max: 1024 }))),
  https_redirect_status_code: s.int({ min: 301, max: 426, default: 426 }),
  regex_priority: s.int({ min: -2_147_483_648, max: 2_147_483_647, default: 0 }),
  strip_path: s.bool(true),
  path_handling: s.oneOf(['v0', 'v1'], 'v0'),
  preserve_host: s.bool(false),
  request_buffering: s.bool(true),
  response_buffering: s.bool(true),
}

const statuses = (def: number[]) => s.arr(STATUS, def, 64)
const COUNT = (def = 0) => s.int({ min: 0, max: 255, default: def })
const INTERVAL = s.num({ gt: -1, max: 65535, default: 0 })

export const healthchecksSchema: Schema = {
  active: s.rec({
    type: s.oneOf(['http', 'https'], 'http'),
    http_path: s.str({ max: 1024, pattern: /^\//, default: '/' }),
    timeout: s.num({ gt: 0, max: 65535, default: 1 }),
    concurrency: s.int({ min: 1, max: 2_147_483_648, default: 10 }),
    healthy: s.rec({ interval: INTERVAL, http_statuses: statuses([200, 302]), successes: COUNT() }),
    unhealthy: s.rec({
      interval: INTERVAL,
      http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
      tcp_failures: COUNT(),
      timeouts: COUNT(),
      http_failures: COUNT(),
    }),
  }),
  passive: s.rec({
    type: s.oneOf(['http', 'https'], 'http'),
    healthy: s.rec({
      http_statuses: statuses([
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
      ]),
      successes: COUNT(),
    }),
    unhealthy: s.rec({
      http_statuses: statuses([429, 500, 503]),
      tcp_failures: COUNT(),
      timeouts: COUNT(),
      http_failures: COUNT(),
    }),
  }),
  threshold: s.num({ gt: -1, max: 100, default: 0 }),
}

const HASH = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg'] as const

export const upstreamSchema: Schema = {
  ...META,
  name: s.str({ max: 256, required: true, pattern: /^[A-Za-z0-9.-]+$/, why: 'must be a host name' }),
  algorithm: s.oneOf(['round-robin', 'consistent-hashing', 'least-connections', 'latency'], 'round-robin'),
  hash_on: s.oneOf(HASH, 'none'),
  hash_fallback: s.oneOf(HASH, 'none'),
  hash_on_header: s.str({ max: 256 }),
  hash_fallback_header: s.str({ max: 256 }),
  hash_on_cookie: s.str({ max: 256, pattern: /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, why: 'must be a cookie name' }),
  hash_on_cookie_path: s.str({ max: 1024, pattern: /^\//, default: '/' }),
  hash_on_query_arg: s.str({ max: 256 }),
  hash_fallback_query_arg: s.str({ max: 256 }),
  slots: s.int({ min: 10, max: 65536, default: 10_000 }),
  healthchecks: s.rec(healthchecksSchema),
  host_header: s.str({ max: 256 }),
}

export const targetSchema: Schema = {
  ...META,
  upstream: REF,
  target: s.str({
    max: 300,
    required: true,
    pattern: /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$/,
    why: 'must be host[:port]',
  }),
  weight: s.int({ min: 0, max: 65535, default: 100 }),
}

export const consumerSchema: Schema = {
  ...META,
  username: s.str({ max: 256 }),
  custom_id: s.str({ max: 256 }),
}

export const keyauthCredentialSchema: Schema = {
  ...META,
  consumer: REF,
  /** Given in, never kept: replaced by its digest (config/key-hash.ts). */
  key: s.str({ max: 1024 }),
  key_hash: s.str({ pattern: /^[0-9a-f]{64}$/, why: 'must be a SHA-256 digest in lower-case hex' }),
}

export const jwtSecretSchema: Schema = {
  ...META,
  consumer: REF,
  key: s.str({ max: 1024 }),
  secret: s.str({ max: 4096 }),
  rsa_public_key: s.str({ max: 8192, multiline: true }),
  algorithm: s.oneOf(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384'], 'HS256'),
}

export const pluginSchema: Schema = {
  ...META,
  name: s.str({ max: 128, required: true }),
  config: s.map({ t: 'bool' }), // replaced per plugin by its own schema (see normalize.ts)
  service: REF,
  route: REF,
  consumer: REF,
  enabled: s.bool(true),
  protocols: s.arr(s.oneOf(['http', 'https', 'grpc', 'grpcs']), ['grpc', 'grpcs', 'http', 'https']),
}
