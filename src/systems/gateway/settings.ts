/**
 * The gateway's environment variables (validated at boot with the platform's). Names follow Kong's
 * where Kong has one (KONG_PROXY_LISTEN -> GATEWAY_PORT/GATEWAY_HOST, KONG_DECLARATIVE_CONFIG ->
 * GATEWAY_CONFIG), with our prefix.
 */
import { int, list, optional, str } from '../../platform/settings.js'

export const settings = {
  GATEWAY_PORT: optional(
    int({
      min: 0,
      max: 65535,
      doc: "the proxy listener's port, apart from PORT (default 8000 as Kong's; 0 when PORT is 0: a free one)",
    }),
  ),
  GATEWAY_HOST: optional(str({ maxLength: 200, doc: 'the proxy listener address (default HOST)' })),
  GATEWAY_CONFIG: optional(
    str({
      maxLength: 4096,
      doc: "a declarative config file in Kong's DB-less format (YAML or JSON), reloaded on change; set: the admin API is read-only",
    }),
  ),
  GATEWAY_ADMIN_TOKEN: optional(
    str({
      maxLength: 200,
      doc: 'bearer token the admin API (/gateway/admin) requires (Authorization: Bearer <token>); unset: open',
    }),
  ),
  GATEWAY_WORKSPACE_TOKENS: list({
    default: [],
    doc: 'admin tokens scoped to workspaces, as workspace:token entries (a token listed again gets more workspaces); such a token gets 403 outside them',
  }),
  GATEWAY_TRUSTED_IPS: list({
    default: [],
    doc: "addresses (or CIDRs) of proxies in front whose X-Forwarded-* headers are believed (Kong's trusted_ips)",
  }),
  GATEWAY_MAX_HEADER_BYTES: int({
    default: 16_384,
    min: 1_024,
    max: 1_048_576,
    doc: 'request line and headers larger than this are refused with 431 before routing',
  }),
  GATEWAY_HEADERS_TIMEOUT_MS: int({
    default: 10_000,
    min: 100,
    max: 600_000,
    doc: 'a client must send its whole request head within this (slowloris defence; 408 after)',
  }),
  GATEWAY_RETRY_METHODS: list({
    default: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'],
    item: (v) => /^[A-Z]{1,20}$/.test(v),
    itemDoc: 'upper-case method names',
    doc: 'methods retried on another target after a failure before any answer (add POST only for idempotent POST APIs; a streamed body is never retried)',
  }),
  GATEWAY_RETRY_BUDGET_PERCENT: int({
    default: 20,
    min: 0,
    max: 1000,
    doc: "retries may add at most this percentage of a service's requests over the last 10 s",
  }),
  GATEWAY_RETRY_BUDGET_MIN_PER_SEC: int({
    default: 10,
    min: 0,
    max: 100_000,
    doc: 'retries per second a service may always spend, on top of the percentage',
  }),
  GATEWAY_BREAKER_FAILURES: int({
    default: 5,
    min: 0,
    max: 1_000,
    doc: 'consecutive failures (no answer, or 5xx) that open a target circuit breaker; 0: no breakers',
  }),
  GATEWAY_BREAKER_HALF_OPEN_MS: int({
    default: 5_000,
    min: 10,
    max: 3_600_000,
    doc: 'how long an open breaker keeps its target out before one request probes it',
  }),
  GATEWAY_RELOAD_POLL_MS: int({
    default: 5_000,
    min: 100,
    max: 3_600_000,
    doc: 'how often a node rereads the stored config even without a Bus message (the Bus brings changes sooner)',
  }),
} as const
