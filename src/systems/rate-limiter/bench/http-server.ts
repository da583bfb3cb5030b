/**
 * The servers of the plugin scenarios: bare Fastify 5 (as bench/servers/
 * bare-fastify.ts: no logger, no hooks) with one route, `GET /ping?c=<client>`
 * -> 200 {"ok":true} with a response schema, either unprotected or behind a
 * rate limit plugin. Only the plugin differs between the servers, so the
 * gap between two of them is what the plugin costs per request.
 *
 * Both plugins limit per client (the `c` query parameter, 1,000 clients:
 * within @fastify/rate-limit's default LRU of 5,000 keys), in a fixed window
 * of 60 s with a limit no client reaches, so every request is admitted and
 * each plugin does its full work: count, then set X-RateLimit-Limit,
 * -Remaining and -Reset. Ours sends only those three (`headers: { ietf:
 * false }`), the same bytes as @fastify/rate-limit's defaults.
 *
 * This file imports no devDependency (.dependency-cruiser.cjs): the peer's
 * registration is handed in by bench.ts, which is the child's entry.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import { rateLimitPlugin } from '../../../platform/rate-limit/fastify.js'
import { createRateLimiter } from '../../../platform/rate-limit/index.js'
import { benchRedis } from './redis.js'

export const HTTP_VARIANTS = [
  'unprotected',
  'blueprints-memory',
  'blueprints-redis',
  'peer-memory',
  'peer-redis',
] as const
export type HttpVariant = (typeof HTTP_VARIANTS)[number]

/** A limit no client reaches within one 60 s window. */
export const HTTP_LIMIT = 1_000_000_000
export const HTTP_WINDOW_MS = 60_000
export const HTTP_CLIENTS = 1_000

export const clientOf = (req: FastifyRequest): string => (req.query as { c?: string }).c ?? req.ip

/** How bench.ts registers the peer plugin (it alone may import it). */
export type RegisterPeer = (app: FastifyInstance, redis: Redis | undefined) => Promise<void>

/** Build, listen, print `{"listening":...}` (the harness reads it), exit on SIGTERM. */
export async function serveHttp(variant: HttpVariant, registerPeer: RegisterPeer): Promise<void> {
  const env = process.env
  const needsRedis = variant.endsWith('-redis')
  const redis = needsRedis ? await benchRedis(env.RL_BENCH_REDIS_PREFIX ?? 'bench:rl:http:') : undefined
  const app = Fastify()

  if (variant === 'blueprints-memory' || variant === 'blueprints-redis') {
    const limiter = createRateLimiter({
      algorithm: 'fixed-window',
      limit: HTTP_LIMIT,
      periodMs: HTTP_WINDOW_MS,
      store: redis ? { redis, namespace: 'http' } : 'memory',
    })
    await app.register(rateLimitPlugin, { limiter, key: clientOf, headers: { ietf: false } })
  } else if (variant === 'peer-memory' || variant === 'peer-redis') {
    await registerPeer(app, redis)
  }

  app.get(
    '/ping',
    {
      schema: {
        response: {
          200: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
        },
      },
    },
    async () => ({ ok: true }),
  )

  let closing = false
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.on(sig, () => {
      if (closing) return
      closing = true
      app.close().then(
        () => {
          redis?.disconnect()
          process.exit(0)
        },
        () => process.exit(1),
      )
    })

  await app.listen({ port: Number(env.PORT ?? 0), host: env.HOST ?? '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${port}` })}\n`)
}

export function isHttpVariant(v: string | undefined): v is HttpVariant {
  return (HTTP_VARIANTS as readonly string[]).includes(v ?? '')
}
