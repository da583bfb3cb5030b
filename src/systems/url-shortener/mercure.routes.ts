/**
 * The Mercure hub's subscription endpoint, `GET /.well-known/mercure`, and
 * `GET /rest/v3/mercure-info`, where Shlink clients learn the hub's URL and
 * get a subscriber token.
 *
 * A subscriber (shlink-web-component uses event-source-polyfill's
 * EventSource with `Authorization: Bearer <token>`) names topics in `topic`
 * query parameters and presents its token in, by precedence, the
 * `Authorization` header, the `access_token` (or older `authorization`)
 * query parameter, or the `mercureAuthorization` cookie. No token, or an
 * invalid or expired one, is a 401: the web client then fetches a new token
 * from mercure-info and reconnects. `Last-Event-ID` (header, or the
 * `lastEventID` query parameter) replays what was missed.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import type { MercureHub } from './mercure.hub.js'
import { MercureTokenError, type MercureTokens } from './mercure.tokens.js'
import { MAX_SELECTOR_LENGTH } from './mercure.topics.js'
import { atom } from './shapes.js'
import { ShlinkErrors } from './shlink-errors.js'

export const HUB_PATH = '/.well-known/mercure'
const MAX_TOPICS = 50

export interface MercureDeps {
  hub: MercureHub
  tokens: MercureTokens
  /** Where clients reach the hub, without the path (URL_SHORTENER_MERCURE_PUBLIC_HUB_URL or PUBLIC_URL). */
  hubBaseUrl: () => string
  tokenDays: number
}

// Fastify coerces a single `topic` into an array of one.
const TopicParam = Type.Array(Type.String({ maxLength: MAX_SELECTOR_LENGTH }), { maxItems: MAX_TOPICS })

const HubQuery = Type.Object({
  topic: Type.Optional(TopicParam),
  lastEventID: Type.Optional(Type.String({ maxLength: 200 })),
  access_token: Type.Optional(Type.String({ maxLength: 8_192 })),
  authorization: Type.Optional(Type.String({ maxLength: 8_192 })),
})

const MercureInfo = Type.Object({
  mercureHubUrl: Type.String(),
  token: Type.String(),
  jwtExpiration: Type.String(),
})

function unauthorized(detail: string, error: 'invalid_request' | 'invalid_token'): AppError {
  return new AppError('MERCURE_UNAUTHORIZED', 401, detail, {
    headers: { 'www-authenticate': `Bearer error="${error}"` },
  })
}

/** The token a subscriber presented, by Mercure's precedence; undefined when none. */
function tokenOf(request: FastifyRequest, query: { access_token?: string; authorization?: string }) {
  const header = request.headers.authorization
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m) throw unauthorized('The Authorization header is not "Bearer <token>"', 'invalid_request')
    return m[1]
  }
  const fromQuery = query.access_token ?? query.authorization
  if (fromQuery !== undefined) return fromQuery
  const cookie = request.headers.cookie
  if (cookie)
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=')
      if (eq > 0 && part.slice(0, eq).trim() === 'mercureAuthorization') return part.slice(eq + 1).trim()
    }
  return undefined
}

/** `GET /.well-known/mercure`: the SSE stream of updates (at the root, where Mercure clients expect it). */
export function mercureHubRoutes(app: TypedApp, d: MercureDeps): void {
  // Clients reconnect (to another process) and replay what they missed.
  app.addHook('preClose', async () => d.hub.closeAll())
  app.get(
    HUB_PATH,
    {
      schema: {
        tags: ['Integrations'],
        summary: 'Mercure hub: a Server-Sent Events stream of the updates of the `topic`s asked for',
        description:
          'Topics: `https://shlink.io/new-visit`, `https://shlink.io/new-visit/{shortCode}`, ' +
          '`https://shlink.io/new-orphan-visit`, `https://shlink.io/new-short-url` (or `*`, or a URI template). ' +
          'Needs the token from `/rest/v3/mercure-info` as `Authorization: Bearer`.',
        querystring: HubQuery,
      },
    },
    async (request, reply) => {
      const topics = request.query.topic ?? []
      if (topics.length === 0 || topics.some((t) => t === ''))
        throw new AppError(
          'MERCURE_MISSING_TOPIC',
          400,
          'Give at least one non-empty "topic" query parameter',
        )
      const token = tokenOf(request, request.query)
      if (token === undefined) throw unauthorized('This hub needs a subscriber token', 'invalid_request')
      let allowed: string[]
      try {
        allowed = (await d.tokens.verify(token)).subscribe
      } catch (err) {
        if (err instanceof MercureTokenError)
          throw unauthorized(`Subscriber token refused: ${err.message}`, 'invalid_token')
        throw err
      }
      if (d.hub.full)
        throw new AppError(
          'MERCURE_TOO_MANY_SUBSCRIBERS',
          503,
          'This process has all the subscribers it takes',
          {
            headers: { 'retry-after': '5' },
          },
        )
      const lastEventId = request.headers['last-event-id'] ?? request.query.lastEventID

      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'private, no-cache, no-store, must-revalidate, max-age=0',
        'x-accel-buffering': 'no',
        'last-event-id': d.hub.lastEventId,
        connection: 'keep-alive',
      })
      // Sends the headers now: EventSource clients report "open" on them.
      res.write(':\n\n')
      const close = d.hub.open(
        {
          topics,
          allowed,
          write(chunk) {
            res.write(chunk)
            return res.writableLength
          },
          close: () => res.destroy(),
        },
        typeof lastEventId === 'string' ? lastEventId : undefined,
      )
      request.raw.on('close', close)
      res.on('close', close)
    },
  )
}

/** `GET /rest/v3/mercure-info` (behind the API key): Shlink's answer, or its 501 with the hub turned off. */
export function mercureInfoRoute(api: TypedApp, d: MercureDeps | undefined): void {
  api.get(
    '/mercure-info',
    {
      schema: {
        tags: ['Integrations'],
        summary: 'The Mercure hub URL and a subscriber token (501 mercure-not-configured with the hub off)',
        response: { 200: MercureInfo },
      },
    },
    async () => {
      if (!d) throw ShlinkErrors.mercureNotConfigured()
      const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + d.tokenDays * 86_400_000)
      return {
        mercureHubUrl: `${d.hubBaseUrl().replace(/\/+$/, '')}${HUB_PATH}`,
        token: await d.tokens.issueSubscriber(expiresAt),
        jwtExpiration: atom(expiresAt),
      }
    },
  )
}
