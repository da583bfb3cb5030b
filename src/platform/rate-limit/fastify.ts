/**
 * The Fastify plugin: rate limit the routes of a scope with any limiter of
 * this library, answering 429 problem+json with Retry-After and the IETF
 * and legacy headers (headers.ts) on every limited route.
 *
 *   await app.register(rateLimit, { limiter, key: (req) => req.headers['x-api-key'] ?? req.ip })
 *   app.get('/cheap', { config: { rateLimit: false } }, ...)               // not limited
 *   app.post('/search', { config: { rateLimit: { cost: 5 } } }, ...)      // 5 units per call
 *
 * It applies to the routes of the scope it is registered in (it is not
 * encapsulated, like @fastify/rate-limit with `global: true`). When the
 * limiter's store fails, `onStoreError` admits (default: a rate limiter
 * should not take an API down with it) or refuses with 503; either way the
 * error is logged and counted in `http_rate_limit_decisions_total`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { sendProblem } from '../http/error-handler.js'
import { Counter, type Registry } from '../telemetry/metrics.js'
import { type HeaderStyle, rateLimitHeaders, sfString } from './headers.js'
import type { RateLimiter } from './limiter.js'

export interface RouteRateLimit {
  limiter?: RateLimiter
  cost?: number | ((req: FastifyRequest) => number)
  key?: (req: FastifyRequest) => string
  /** Policy name in the RateLimit headers. */
  policy?: string
}

export interface RateLimitPluginOptions {
  limiter: RateLimiter
  /** Who is limited; default the client address (`request.ip`, which honours trustProxy). */
  key?: (req: FastifyRequest) => string
  /** Units a request costs; default 1. */
  cost?: number | ((req: FastifyRequest) => number)
  /** Policy name in the RateLimit headers; default "default". */
  policy?: string
  headers?: HeaderStyle
  /** When the store fails: admit (default) or answer 503. */
  onStoreError?: 'open' | 'closed'
  /** Count and send headers, but never refuse. */
  shadow?: boolean
  /** Limit every route of the scope (default), or only those with `config.rateLimit`. */
  global?: boolean
  /** Where to register `http_rate_limit_decisions_total{policy,outcome}`. */
  registry?: Registry
}

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: false | RouteRateLimit
  }
}

type Outcome = 'allowed' | 'limited' | 'shadow_limited' | 'store_error'

/** Per-registration state the hook reads; a class so the hot path allocates no closures. */
class Plan {
  readonly policy: string
  readonly counts = new Map<string, Record<Outcome, number>>()

  constructor(readonly opts: RateLimitPluginOptions) {
    this.policy = sfString(opts.policy ?? 'default')
  }

  count(policy: string, outcome: Outcome): void {
    let c = this.counts.get(policy)
    if (!c) {
      c = { allowed: 0, limited: 0, shadow_limited: 0, store_error: 0 }
      this.counts.set(policy, c)
    }
    c[outcome]++
  }
}

const defaultKey = (req: FastifyRequest) => req.ip

async function check(plan: Plan, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const route = req.routeOptions.config?.rateLimit
  if (route === false || (route === undefined && plan.opts.global === false)) return
  const o = plan.opts
  const limiter = route?.limiter ?? o.limiter
  const costOpt = route?.cost ?? o.cost ?? 1
  const cost = typeof costOpt === 'number' ? costOpt : costOpt(req)
  const key = (route?.key ?? o.key ?? defaultKey)(req)
  const policy = route?.policy !== undefined ? sfString(route.policy) : plan.policy
  let result: Awaited<ReturnType<RateLimiter['consume']>>
  try {
    result = await limiter.consume(key, cost)
  } catch (err) {
    plan.count(policy, 'store_error')
    req.log.warn({ err }, 'rate limit store failed')
    if (o.onStoreError === 'closed') {
      sendProblem(
        req,
        reply,
        new AppError('RATE_LIMIT_UNAVAILABLE', 503, 'Rate limiting is unavailable; try again shortly', {
          headers: { 'retry-after': '1' },
        }),
      )
      return reply
    }
    return
  }
  const headers = rateLimitHeaders(result, policy, limiter.limits.periodMs, o.headers)
  if (result.allowed || o.shadow) {
    plan.count(policy, result.allowed ? 'allowed' : 'shadow_limited')
    if (!result.allowed) delete headers['retry-after']
    reply.headers(headers)
    return
  }
  plan.count(policy, 'limited')
  const retry = headers['retry-after']
  sendProblem(
    req,
    reply,
    new AppError('RATE_LIMITED', 429, `Rate limit exceeded: retry in ${retry} s`, { headers }),
  )
  return reply
}

function registerMetrics(plan: Plan, registry: Registry): void {
  new Counter({
    name: 'http_rate_limit_decisions_total',
    help: 'Requests seen by the rate limit plugin, by policy and outcome',
    labelNames: ['policy', 'outcome'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [policy, c] of plan.counts)
        for (const [outcome, n] of Object.entries(c))
          if (n) this.inc({ policy: policy.slice(1, -1), outcome }, n)
    },
  })
}

/** The plugin; register it with `app.register(rateLimitPlugin, options)`. */
export async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitPluginOptions): Promise<void> {
  if (!opts?.limiter) throw new Error('rateLimitPlugin needs a limiter (createRateLimiter)')
  const plan = new Plan(opts)
  if (opts.registry) registerMetrics(plan, opts.registry)
  app.addHook('onRequest', function rateLimitHook(req, reply) {
    return check(plan, req, reply)
  })
}
// Not encapsulated: the hook applies to the routes of the scope that registers it.
;(rateLimitPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true
