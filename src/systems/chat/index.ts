/**
 * Real-time chat over WebSocket, SSE and long polling, on any number of
 * nodes. Rooms are live streams of the platform's live library
 * (`platform/live`): chat declares the room kind (who may read a room, where
 * its history lives, its frames), publishes each committed event to it, and
 * mounts its own endpoint (`/chat/ws`, `/chat/sse`, `/chat/sessions`) that
 * speaks the chat protocol as it always did. The same rooms are on the
 * platform's endpoint (`/live`) too. This file wires the parts: stores ->
 * room stream -> service -> frames -> routes. Read README.md first.
 */
import { kindAddressing } from '../../platform/live/index.js'
import { createRateLimiter } from '../../platform/rate-limit/index.js'
import { defineSystem } from '../../platform/system.js'
import { MessageStore } from './messages.store.js'
import { chatMetrics } from './metrics.js'
import { ADMIN_REQUIRED, documentSecurity, TOKEN_REQUIRED } from './openapi.js'
import { authHook } from './rest.auth.js'
import { publicRoutes, restRoutes } from './rest.routes.js'
import { Revocations, revokes } from './revocations.js'
import { adminRevocationRoutes, revocationRoutes } from './revocations.routes.js'
import { roomFrames } from './room-frames.js'
import { roomStream } from './room-stream.js'
import { RoomStore } from './rooms.store.js'
import { ChatService } from './service.js'
import { settings } from './settings.js'
import { Tokens } from './tokens.js'

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
    const revocations = new Revocations(ctx.db, ctx.bus, ctx.log, s.CHAT_REVOCATION_SYNC_MS)
    tokens.revoked = (claims) => revocations.isRevoked(claims)
    // Per connection (and per user over REST): a token bucket of N writes a second, bursts of 2N.
    const limiter = createRateLimiter({
      algorithm: 'token-bucket',
      limit: s.CHAT_MESSAGES_PER_SECOND,
      periodMs: 1_000,
      burst: s.CHAT_MESSAGES_PER_SECOND * 2,
      store: 'memory',
    })
    let service: ChatService | undefined
    const spec = roomStream({
      rooms,
      messages,
      readable: (user, room) => service!.readable(user, room),
      limiter,
      sweepMs: s.CHAT_SWEEP_MS,
      replayPage: s.CHAT_REPLAY_PAGE,
    })
    const room = ctx.live.stream('room', spec)
    service = new ChatService(
      rooms,
      messages,
      room,
      { maxMessageBytes: s.CHAT_MAX_MESSAGE_BYTES, maxRoomsPerUser: s.CHAT_MAX_ROOMS_PER_USER },
      ctx.log,
      // PGlite runs one statement at a time: a second call would only wait, with a smaller batch.
      ctx.db.kind === 'pglite' ? 1 : 4,
    )
    spec.frames = roomFrames(service, s.CHAT_MAX_MESSAGE_BYTES)
    const seen = (user: string) => service!.seen(user)
    /** A chat token's claims (the user recorded), or the 401 ChatError: on every transport. */
    const authenticate = async (token: string | undefined) => {
      const claims = await tokens.claims(token)
      await seen(claims.user)
      return claims
    }
    // The platform endpoint (`/live`) accepts chat tokens too: the console reads rooms there.
    ctx.live.acceptTokens(authenticate)
    // Chat's own endpoint: the chat protocol as it always was (`"room": <id>`, CHAT_* codes).
    const endpoint = ctx.live.endpoint({
      name: 'chat',
      codePrefix: 'CHAT',
      addressing: kindAddressing(room, { field: 'room', plural: 'rooms', noun: 'room', numeric: true }),
      authenticate,
      db: ctx.db,
      limits: {
        maxMessageBytes: s.CHAT_MAX_MESSAGE_BYTES,
        maxFrameBytes: s.CHAT_MAX_FRAME_BYTES,
        messagesPerSecond: s.CHAT_MESSAGES_PER_SECOND,
      },
      maxFrameBytes: s.CHAT_MAX_FRAME_BYTES,
      maxConnectionsPerUser: s.CHAT_MAX_CONNECTIONS_PER_USER,
      sendBufferBytes: s.CHAT_SEND_BUFFER_BYTES,
      pingIntervalMs: s.CHAT_PING_INTERVAL_MS,
      longPollMs: s.CHAT_LONG_POLL_MS,
      sessionIdleMs: s.CHAT_SESSION_IDLE_MS,
      onRoute: documentSecurity(TOKEN_REQUIRED),
    })
    chatMetrics(ctx.metrics.registry, endpoint, room, ctx.live.presence, service.writer)
    const restDeps = { service, tokens, presence: ctx.live.presence, limiter, devTokens: s.CHAT_DEV_TOKENS }
    // A revocation (from this node, the Bus or PostgreSQL) closes the connections it revokes, on every endpoint.
    revocations.onRevoked = (r) => void ctx.live.revoke((principal, user) => revokes(r, principal, user))

    return {
      async routes(app) {
        publicRoutes(app, restDeps)
        await app.register(async (admin) => {
          admin.addHook('onRoute', documentSecurity(ADMIN_REQUIRED))
          adminRevocationRoutes(admin, { tokens, revocations, adminToken: s.CHAT_ADMIN_TOKEN })
        })
        await endpoint.routes(app)
        await app.register(async (api) => {
          api.addHook('onRequest', authHook(tokens, seen))
          api.addHook('onRoute', documentSecurity(TOKEN_REQUIRED))
          restRoutes(api, restDeps)
          revocationRoutes(api, { tokens, revocations, adminToken: s.CHAT_ADMIN_TOKEN })
        })
      },
      workers: [
        endpoint.worker,
        { name: 'chat:revocations', start: () => revocations.start(), stop: () => revocations.stop() },
      ],
    }
  },
})
