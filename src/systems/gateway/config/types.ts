/**
 * The gateway's entities, as Kong names them (services, routes, upstreams, targets, consumers,
 * credentials, plugins), after validation: every default filled in and every reference resolved to
 * an id. The declarative file and the admin API both produce a `GatewayConfig`; the proxy only reads
 * one (an immutable snapshot, swapped whole on reload).
 */

export type Json = Record<string, unknown>

export interface Service {
  id: string
  name: string | null
  protocol: 'http' | 'https'
  host: string
  port: number
  path: string | null
  retries: number
  connect_timeout: number
  write_timeout: number
  read_timeout: number
  enabled: boolean
  tags: string[] | null
  created_at: number
}

export interface Route {
  id: string
  name: string | null
  service: string | null
  protocols: string[]
  methods: string[] | null
  hosts: string[] | null
  paths: string[] | null
  headers: Record<string, string[]> | null
  strip_path: boolean
  preserve_host: boolean
  regex_priority: number
  path_handling: 'v0' | 'v1'
  https_redirect_status_code: number
  request_buffering: boolean
  response_buffering: boolean
  tags: string[] | null
  created_at: number
}

export interface HealthChecks {
  active: {
    type: 'http' | 'https'
    http_path: string
    timeout: number
    concurrency: number
    healthy: { interval: number; http_statuses: number[]; successes: number }
    unhealthy: {
      interval: number
      http_statuses: number[]
      tcp_failures: number
      timeouts: number
      http_failures: number
    }
  }
  passive: {
    type: 'http' | 'https'
    healthy: { http_statuses: number[]; successes: number }
    unhealthy: { http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number }
  }
  threshold: number
}

export interface Upstream {
  id: string
  name: string
  algorithm: 'round-robin' | 'consistent-hashing' | 'least-connections' | 'latency'
  hash_on: 'none' | 'consumer' | 'ip' | 'header' | 'cookie' | 'path' | 'query_arg'
  hash_fallback: 'none' | 'consumer' | 'ip' | 'header' | 'cookie' | 'path' | 'query_arg'
  hash_on_header: string | null
  hash_fallback_header: string | null
  hash_on_cookie: string | null
  hash_on_cookie_path: string
  hash_on_query_arg: string | null
  hash_fallback_query_arg: string | null
  slots: number
  healthchecks: HealthChecks
  host_header: string | null
  tags: string[] | null
  created_at: number
}

export interface Target {
  id: string
  upstream: string
  target: string
  weight: number
  tags: string[] | null
  created_at: number
}

export interface Consumer {
  id: string
  username: string | null
  custom_id: string | null
  tags: string[] | null
  created_at: number
}

export interface KeyAuthCredential {
  id: string
  consumer: string
  /** Always null once validated: only the digest is kept. */
  key: string | null
  /** SHA-256 of the key, hex. */
  key_hash: string
  tags: string[] | null
  created_at: number
}

export interface JwtSecret {
  id: string
  consumer: string
  key: string
  secret: string | null
  rsa_public_key: string | null
  algorithm: 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384'
  tags: string[] | null
  created_at: number
}

export interface Plugin {
  id: string
  name: string
  config: Json
  service: string | null
  route: string | null
  consumer: string | null
  enabled: boolean
  protocols: string[]
  tags: string[] | null
  created_at: number
}

/** Every entity of one configuration, by kind (Kong's declarative keys). */
export interface GatewayConfig {
  services: Service[]
  routes: Route[]
  upstreams: Upstream[]
  targets: Target[]
  consumers: Consumer[]
  keyauth_credentials: KeyAuthCredential[]
  jwt_secrets: JwtSecret[]
  plugins: Plugin[]
}

export const ENTITY_KINDS = [
  'services',
  'routes',
  'upstreams',
  'targets',
  'consumers',
  'keyauth_credentials',
  'jwt_secrets',
  'plugins',
] as const
export type EntityKind = (typeof ENTITY_KINDS)[number]

export function emptyConfig(): GatewayConfig {
  return {
    services: [],
    routes: [],
    upstreams: [],
    targets: [],
    consumers: [],
    keyauth_credentials: [],
    jwt_secrets: [],
    plugins: [],
  }
}

/** A configuration that is refused, naming the entity and field (Kong's "schema violation"). */
export class ConfigViolation extends Error {
  override name = 'ConfigViolation'
  constructor(
    message: string,
    readonly fields: Record<string, string> = {},
    /** A uniqueness conflict (the admin API answers 409), not a malformed entity. */
    readonly unique = false,
  ) {
    super(message)
  }
}

/** The workspace every entity belongs to unless it names another (Kong's `default`). */
export const DEFAULT_WORKSPACE = 'default'

/** Each workspace's configuration by workspace name; validated one workspace at a time. */
export type WorkspaceConfigs = ReadonlyMap<string, GatewayConfig>

/** Only the default workspace, holding `cfg` (DB-less mode, tests). */
export function singleWorkspace(cfg: GatewayConfig): WorkspaceConfigs {
  return new Map([[DEFAULT_WORKSPACE, cfg]])
}
