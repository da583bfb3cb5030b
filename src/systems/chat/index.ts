/**
 * Real-time chat over WebSocket, SSE and long polling, on any number of
 * nodes. This file wires the parts: stores -> fan-out and presence ->
 * service -> frame handler and hub -> routes. Read README.md first.
 */
import { createRateLimiter } from '../../platform/rate-limit/index.js'
import { defineSystem } from '../../platform/system.js'
import { Fanout } from './fanout.js'
import { FrameHandler } from './frames.js'
import { Hub } from './hub.js'
import { MessageStore } from './messages.store.js'
import { chatMetrics } from './metrics.js'
import { ADMIN_REQUIRED, documentSecurity, TOKEN_REQUIRED } from './openapi.js'
import { Presence } from './presence.js'
import { authHook } from './rest.auth.js'
import { publicRoutes, restRoutes } from './rest.routes.js'
import { Revocations } from './revocations.js'
import { adminRevocationRoutes, revocationRoutes } from './revocations.routes.js'
import { RoomStore } from './rooms.store.js'
import { ChatService } from './service.js'
import { SessionRegistry } from './session-registry.js'
import { SessionRelay } from './session-relay.js'
import { SharedSessions } from './session-share.js'
import { Sessions } from './sessions.js'
import { sessionRoutes } from './sessions.routes.js'
import { settings } from './settings.js'
import { Tokens } from './tokens.js'
import { wsRoutes } from './ws.routes.js'

export default defineSystem({
  name: 'chat',
  description:
    'Real-time chat over WebSocket, SSE and long polling: rooms, DMs, threads, presence, receipts, search',
  migrations: new URL('./sql/', import.meta.url),
  settings,

  async create(ctx) {
    const s = ctx.settings
    const rooms = new RoomStore(ctx.db)
    const messages = new MessageStore(ctx.db)
    const tokens = await Tokens.open(ctx.db, {
      issuer: s.CHAT_TOKEN_ISSUER,
      audience: s.CHAT_TOKEN_AUDIENCE,
      ttlSeconds: s.CHAT_TOKEN_TTL_S,
      jwksUrl: s.CHAT_JWKS_URL,
    })
    const fanout = new Fanout(ctx.bus, rooms, messages, ctx.log, {
      sweepMs: s.CHAT_SWEEP_MS,
      page: s.CHAT_REPLAY_PAGE,
    })
    const revocations = new Revocations(ctx.db, ctx.bus, ctx.log, s.CHAT_REVOCATION_SYNC_MS)
    tokens.revoked = (claims) => revocations.isRevoked(claims)
    const presence = new Presence(ctx.bus, ctx.log, s.CHAT_PRESENCE_INTERVAL_MS, s.CHAT_NODE_ID)
    const service = new ChatService(
      rooms,
      messages,
      fanout,
      { maxMessageBytes: s.CHAT_MAX_MESSAGE_BYTES, maxRoomsPerUser: s.CHAT_MAX_ROOMS_PER_USER },
      ctx.log,
      // PGlite runs one statement at a time: a second call would only wait, with a smaller batch.
      ctx.db.kind === 'pglite' ? 1 : 4,
    )
    // Per connection (and per user over REST): a token bucket of N writes a second, bursts of 2N.
    const limiter = createRateLimiter({
      algorithm: 'token-bucket',
      limit: s.CHAT_MESSAGES_PER_SECOND,
      periodMs: 1_000,
      burst: s.CHAT_MESSAGES_PER_SECOND * 2,
      store: 'memory',
    })
    const frames = new FrameHandler(
      service,
      presence,
      limiter,
      ctx.log,
      { maxFrameBytes: s.CHAT_MAX_FRAME_BYTES, maxMessageBytes: s.CHAT_MAX_MESSAGE_BYTES },
      (token) => tokens.claims(token),
    )
    const hub = new Hub(frames, fanout, messages, presence, {
      maxConnectionsPerUser: s.CHAT_MAX_CONNECTIONS_PER_USER,
      sendBufferBytes: s.CHAT_SEND_BUFFER_BYTES,
      replayPage: s.CHAT_REPLAY_PAGE,
      pingIntervalMs: s.CHAT_PING_INTERVAL_MS,
      limits: {
        maxMessageBytes: s.CHAT_MAX_MESSAGE_BYTES,
        maxFrameBytes: s.CHAT_MAX_FRAME_BYTES,
        messagesPerSecond: s.CHAT_MESSAGES_PER_SECOND,
      },
    })
    const sessions = new Sessions(s.CHAT_SESSION_IDLE_MS)
    const shared = new SharedSessions(
      new SessionRegistry(ctx.db),
      sessions,
      hub,
      new SessionRelay(ctx.bus, hub, sessions, presence.node, ctx.log),
      presence.node,
      s.CHAT_SESSION_IDLE_MS,
      ctx.log,
    )
    chatMetrics(ctx.metrics.registry, hub, frames, fanout, presence, service.writer, shared)
    const seen = (user: string) => service.seen(user)
    const restDeps = { service, tokens, presence, limiter, devTokens: s.CHAT_DEV_TOKENS }
    // A revocation (from this node, the Bus or PostgreSQL) closes the connections it revokes.
    revocations.onRevoked = (r) => hub.revoke(r)

    return {
      async routes(app) {
        // Before the server closes: tell every client to reconnect (SSE and long polls would hold the drain).
        app.addHook('preClose', async () => {
          shared.shuttingDown()
          sessions.stop()
          hub.closeAll()
        })
        publicRoutes(app, restDeps)
        await app.register(async (admin) => {
          admin.addHook('onRoute', documentSecurity(ADMIN_REQUIRED))
          adminRevocationRoutes(admin, { tokens, revocations, adminToken: s.CHAT_ADMIN_TOKEN })
        })
        await wsRoutes(app, {
          hub,
          tokens,
          seen,
          maxFrameBytes: s.CHAT_MAX_FRAME_BYTES,
          maxMessageBytes: s.CHAT_MAX_MESSAGE_BYTES,
        })
        await app.register(async (api) => {
          api.addHook('onRequest', authHook(tokens, seen))
          api.addHook('onRoute', documentSecurity(TOKEN_REQUIRED))
          restRoutes(api, restDeps)
          revocationRoutes(api, { tokens, revocations, adminToken: s.CHAT_ADMIN_TOKEN })
          sessionRoutes(api, { hub, sessions, shared, longPollMs: s.CHAT_LONG_POLL_MS })
        })
      },
      workers: [
        { name: 'chat:fanout', start: () => fanout.start(), stop: () => fanout.stop() },
        { name: 'chat:presence', start: () => presence.start(), stop: () => presence.stop() },
        { name: 'chat:sessions', start: () => shared.start(), stop: () => shared.stop() },
        { name: 'chat:revocations', start: () => revocations.start(), stop: () => revocations.stop() },
      ],
    }
  },
})
