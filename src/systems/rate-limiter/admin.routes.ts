/**
 * Admin routes: the configuration (read, replace, reload, drop the override),
 * the state of one descriptor (read, reset) and live counters per rule (the
 * console polls these). When RATE_LIMITER_ADMIN_TOKEN is set, every admin
 * route except the counters needs `Authorization: Bearer <token>`.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../../platform/errors.js'
import { bearerGuard, bearerSecurity } from '../../platform/http/bearer-auth.js'
import type { TypedApp } from '../../platform/http/types.js'
import { ConfigLoadError, type Rule } from './config-model.js'
import type { ConfigSource, LoadedConfig } from './config-source.js'
import type { RateLimitEngine } from './engine.js'
import type { InstanceCount } from './instances.js'
import type { LimiterPool } from './limiters.js'
import type { Entry } from './matcher.js'
import type { RateLimiterMetrics } from './metrics.js'
import type { RequestLimits } from './protocol.js'

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain']

export interface AdminDeps {
  engine: RateLimitEngine
  source: ConfigSource
  pool: LimiterPool
  /** The live process count (heartbeats), shown by /stats. */
  instances: InstanceCount
  metrics: RateLimiterMetrics
  limits: RequestLimits
  token: string | undefined
  /** Where the gRPC server listens, once started. */
  grpc: () => { host: string; port: number } | undefined
}

const algorithmName = (r: Rule) => r.algorithm.replaceAll('-', '_')

function ruleView(r: Rule) {
  return {
    id: r.id,
    domain: r.domain,
    ...(r.unlimited
      ? { unlimited: true }
      : {
          requestsPerUnit: r.requestsPerUnit,
          unit: r.unit,
          unitMultiplier: r.unitMultiplier,
          algorithm: algorithmName(r),
          ...(r.burst !== undefined && { burst: r.burst }),
        }),
    ...(r.name !== undefined && { name: r.name }),
    ...(r.replaces.length > 0 && { replaces: r.replaces }),
    shadowMode: r.shadowMode,
    failureMode: r.failureMode,
  }
}

function configView(c: LoadedConfig, lastError: string | undefined) {
  return {
    source: c.source,
    origin: c.origin,
    loadedAt: c.loadedAt.toISOString(),
    ...(lastError !== undefined && { lastError }),
    domains: [...c.config.domains.keys()],
    rules: c.config.rules.map(ruleView),
    yaml: c.config.source,
  }
}

function invalidConfig(message: string): AppError {
  return new AppError('RATE_LIMITER_INVALID_CONFIG', 422, `${message} (the previous configuration stays)`)
}

/** `?domain=d&key=k1&value=v1&key=k2&value=v2`: the entries, paired in order. */
function entriesOf(
  q: { domain: string; key: string | string[]; value: string | string[] },
  limits: RequestLimits,
) {
  const keys = ([] as string[]).concat(q.key)
  const values = ([] as string[]).concat(q.value)
  if (keys.length !== values.length)
    throw new AppError(
      'RATE_LIMITER_INVALID_REQUEST',
      400,
      'give one value for each key (?key=k&value=v, repeated in order)',
    )
  if (keys.length > limits.maxEntries)
    throw new AppError('RATE_LIMITER_INVALID_REQUEST', 400, `at most ${limits.maxEntries} entries`)
  const entries: Entry[] = keys.map((key, i) => ({ key, value: values[i]! }))
  for (const e of entries)
    if (!e.key || !e.value || e.key.length > limits.maxLength || e.value.length > limits.maxLength)
      throw new AppError(
        'RATE_LIMITER_INVALID_REQUEST',
        400,
        `keys and values must be 1 to ${limits.maxLength} characters`,
      )
  return entries
}

const StateQuery = Type.Object({
  domain: Type.String({ minLength: 1, maxLength: 1024 }),
  key: Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 1000 })]),
  value: Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 1000 })]),
})

export function adminRoutes(app: TypedApp, d: AdminDeps): void {
  const auth = {
    token: d.token,
    code: 'RATE_LIMITER_UNAUTHORIZED',
    realm: 'rate-limiter',
    message: 'the admin routes need Authorization: Bearer <RATE_LIMITER_ADMIN_TOKEN>',
  }
  // Guarded route by route: the JSON decision API registered beside them stays open.
  const guard = bearerGuard(auth) ?? (async () => {})
  const security = bearerSecurity(app, auth)
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.get(
    '/config',
    {
      onRequest: guard,
      schema: { security, summary: 'The configuration being served, its source and rules' },
    },
    async () => configView(d.source.current, d.source.lastError),
  )

  app.put(
    '/config',
    {
      onRequest: guard,
      schema: {
        security,
        summary:
          'Replace the configuration on every process (YAML body); it wins over the file until deleted',
        consumes: YAML_TYPES,
      },
    },
    async (request) => {
      if (typeof request.body !== 'string')
        throw new AppError(
          'RATE_LIMITER_INVALID_REQUEST',
          415,
          `send the YAML with Content-Type ${YAML_TYPES[0]}`,
        )
      try {
        return configView(await d.source.putOverride(request.body), undefined)
      } catch (err) {
        if (err instanceof ConfigLoadError) throw invalidConfig(err.message)
        throw err
      }
    },
  )

  app.delete(
    '/config/override',
    { onRequest: guard, schema: { security, summary: 'Drop the admin override: back to the file' } },
    async (_req, reply) => {
      if (!(await d.source.deleteOverride()))
        throw new AppError('RATE_LIMITER_NO_OVERRIDE', 404, 'there is no admin override')
      return reply.code(204).send()
    },
  )

  app.post(
    '/config/reload',
    { onRequest: guard, schema: { security, summary: 'Check the file and the override now' } },
    async () => {
      await d.source.refresh()
      if (d.source.lastError) throw invalidConfig(d.source.lastError)
      return configView(d.source.current, undefined)
    },
  )

  app.get(
    '/state',
    {
      onRequest: guard,
      schema: {
        security,
        summary: 'The rule and current state of one descriptor (consumes nothing)',
        querystring: StateQuery,
      },
    },
    async (request) => {
      const q = request.query
      const r = await d.engine.inspect(q.domain, entriesOf(q, d.limits))
      if (r.match !== 'rule')
        throw new AppError('RATE_LIMITER_NO_RULE', 404, `no rule of the configuration matches (${r.match})`)
      return { rule: ruleView(r.rule), ...(r.key && { key: r.key }), ...(r.state && { state: r.state }) }
    },
  )

  app.delete(
    '/state',
    {
      onRequest: guard,
      schema: {
        security,
        summary: 'Reset one descriptor: its next request sees a fresh limit',
        querystring: StateQuery,
      },
    },
    async (request, reply) => {
      const q = request.query
      if (!(await d.engine.reset(q.domain, entriesOf(q, d.limits))))
        throw new AppError('RATE_LIMITER_NO_RULE', 404, 'no limited rule of the configuration matches')
      return reply.code(204).send()
    },
  )

  app.get(
    '/stats',
    {
      schema: { summary: 'Decision counters per rule since start (the console computes rates)' },
    },
    async () => ({
      store: d.pool.shared ? (d.pool.health?.isUp ? 'redis' : 'fallback') : 'memory',
      // What the insurance limiters divide by: the last live count seen, at least the floor.
      instances: { current: d.instances.current, lastSeen: d.instances.lastSeen },
      grpc: d.grpc() ?? null,
      config: {
        source: d.source.current.source,
        ...(d.source.lastError !== undefined && { lastError: d.source.lastError }),
      },
      rules: d.metrics.all().map((s) => ({
        id: s.id,
        domain: s.domain,
        allowed: s.allowed,
        limited: s.limited,
        shadowLimited: s.shadowLimited,
        unlimited: s.unlimited,
        storeErrors: s.storeErrors,
        fallback: s.insurance + s.failOpen + s.failClosed,
      })),
    }),
  )
}
