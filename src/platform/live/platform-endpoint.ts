/**
 * The platform's live endpoint, `/live/ws`, `/live/sse`, `/live/sessions`: one
 * connection carries streams of every declared kind, named in full
 * (`"stream": "chat.room.5"`), so a client (the console) connects once for
 * every live page. A token is accepted when some system's check accepts it
 * (`ctx.live.acceptTokens`); what a principal may read is each kind's own
 * `authorize`. Its session registry lives in the platform's `live` schema.
 */
import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Db } from '../db/port.js'
import type { SettingsOf } from '../settings.js'
import { fullAddressing } from './addressing.js'
import type { LiveEndpoint } from './endpoint.js'
import { liveErrors } from './errors.js'
import type { Live } from './live.js'
import type { liveSettings } from './settings.js'

/** The platform's migrations for the endpoint's schema (its session registry). */
export const LIVE_MIGRATIONS = new URL('./sql/', import.meta.url)

const SECURITY_SCHEMES = {
  liveBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A token some system issued and accepts for live streams (today: chat's)",
  },
  liveAccessToken: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'The same token in the query, for browsers (EventSource and WebSocket cannot set headers)',
  },
} as const

/** Create the platform endpoint on `live`; its routes go under `/live` (`mount`). */
export function platformEndpoint(live: Live, db: Db, s: SettingsOf<typeof liveSettings>): LiveEndpoint {
  const errors = liveErrors('LIVE', 'stream')
  const security: Record<string, string[]>[] = [{ liveBearer: [] }, { liveAccessToken: [] }]
  return live.endpoint({
    name: 'live',
    codePrefix: 'LIVE',
    addressing: fullAddressing((name) => live.kind(name)),
    authenticate: (token) =>
      live.authenticate(token, () =>
        errors.unauthenticated(
          token ? 'no system on this node accepts this token for live streams' : 'a bearer token is required',
        ),
      ),
    db,
    limits: { maxFrameBytes: s.LIVE_MAX_FRAME_BYTES },
    maxFrameBytes: s.LIVE_MAX_FRAME_BYTES,
    maxConnectionsPerUser: s.LIVE_MAX_CONNECTIONS_PER_USER,
    sendBufferBytes: s.LIVE_SEND_BUFFER_BYTES,
    pingIntervalMs: s.LIVE_PING_INTERVAL_MS,
    longPollMs: s.LIVE_LONG_POLL_MS,
    sessionIdleMs: s.LIVE_SESSION_IDLE_MS,
    onRoute(route: RouteOptions) {
      route.schema = { ...route.schema, security } as RouteOptions['schema']
    },
  })
}

/** Mount `endpoint`'s routes in `app` under `/live`, tagged `platform`, its security schemes declared. */
export async function mountPlatformEndpoint(app: FastifyInstance, endpoint: LiveEndpoint): Promise<void> {
  if (app.hasDecorator('addSecurityScheme'))
    for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.addSecurityScheme(name, scheme)
  await app.register(
    async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, tags: ['platform'] }
      })
      await endpoint.routes(scope as never)
    },
    { prefix: '/live' },
  )
}
