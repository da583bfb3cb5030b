/** The HTTP transports of an endpoint: SSE + POST, and long polling + POST. */
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import type { TypedApp } from '../http/types.js'
import type { Hub } from './hub.js'
import { LATEST_PROTOCOL, negotiate } from './protocol.js'
import type { SharedSessions } from './session-share.js'
import { PollTransport, type Sessions, SseTransport } from './sessions.js'
import { decodeEventId } from './sse-resume.js'
import type { Principal } from './stream-kind.js'
import { tokenOf } from './ws.routes.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who a live session request runs as (the endpoint's token hook has run). */
    livePrincipal?: Principal
  }
}

export interface SessionDeps {
  hub: Hub
  sessions: Sessions
  /** The registry every node shares: sessions survive a request landing on another node. */
  shared: SharedSessions
  longPollMs: number
  /** Verify a request's token (header or `?access_token=`): its principal, or the endpoint's 401 error. */
  authenticate(token: string | undefined): Promise<Principal>
  /** The endpoint's name, in the comment that opens an SSE stream. */
  name: string
}

/** The principal of a request the token hook let through. */
function principal(request: FastifyRequest): Principal {
  return request.livePrincipal!
}

const SessionParams = Type.Object({ session: Type.String({ minLength: 1, maxLength: 64 }) })
/** `?v=2` asks for protocol v2 (room events in `batch` frames), as on the WebSocket. */
const VersionQuery = Type.Object({
  v: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000,
      description: `protocol version asked for (default 1); the server speaks up to ${LATEST_PROTOCOL}`,
    }),
  ),
})

/** Register the SSE and long-poll routes in `app` (the endpoint's prefix), behind its token hook. */
export function sessionRoutes(app: TypedApp, deps: SessionDeps): void {
  const { hub, sessions, shared } = deps
  app.addHook('onRequest', async (request) => {
    request.livePrincipal = await deps.authenticate(tokenOf(request.headers.authorization, request.query))
  })

  app.get(
    '/sse',
    {
      schema: {
        summary:
          'Server-Sent Events transport: server frames as `data:` lines; the first, `hello`, names the session',
        description:
          "Every event has an id naming the session and each stream's last offset; reconnect with it as `Last-Event-ID` (EventSource does) and the stream resumes there, on any node, without new subscriptions.",
        querystring: Type.Intersect([
          VersionQuery,
          Type.Object({
            lastEventId: Type.Optional(
              Type.String({ maxLength: 40_000, description: 'for clients that cannot set `Last-Event-ID`' }),
            ),
          }),
        ]),
      },
    },
    async (request, reply) => {
      const user = principal(request).user
      const header = request.headers['last-event-id']
      const resume = decodeEventId(
        hub.addressing,
        typeof header === 'string' ? header : request.query.lastEventId,
      )
      // A resumed stream keeps its session id (the client POSTs to it); a live stream of the same
      // session on this node is the one being replaced: the client has already left it.
      const earlier = resume && sessions.get(resume.session)
      if (earlier && earlier.conn.user === user) sessions.remove(resume.session)
      const protocol = negotiate(request.query.v)
      // Fails with 429 before anything is written when the user is over the connection limit.
      hub.assertCanOpen(user)
      // The registry says which node holds the stream now (POSTs landing elsewhere are relayed here).
      let id = resume && (!earlier || earlier.conn.user === user) ? resume.session : sessions.newId()
      let gen = await shared.register(id, user, 'sse', protocol)
      if (gen === false) {
        // Another user's session id: this stream starts afresh.
        id = sessions.newId()
        gen = (await shared.register(id, user, 'sse', protocol)) as number
      }
      const resumed = resume !== undefined && id === resume.session
      const transport = new SseTransport(reply.raw, id)
      reply.hijack()
      const headers = reply.getHeaders()
      reply.raw.writeHead(200, {
        ...(headers as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      })
      // `retry`: EventSource reconnects after 1 s (its default is 3 s) and resumes with its last id.
      reply.raw.write(`: ${deps.name} v${protocol}\nretry: 1000\n\n`)
      const conn = hub.open(
        user,
        transport,
        { session: id, ...(resumed && { resumed: true }) },
        protocol,
        principal(request),
      )
      transport.positions = () => conn.positions()
      shared.add({ id, conn, sse: transport }, gen)
      // Each stream from where the client stands, through the frame handler (the same checks as a
      // subscribe frame: a stream no longer readable is an error frame naming it).
      for (const { ref, after } of resumed ? resume.streams.values() : [])
        hub.frames.receiveObject(conn, { v: 1, type: 'subscribe', ...conn.naming(ref), after })
      // Heartbeats: the hub's `ping` frames (a data frame, so EventSource's onmessage sees them).
      request.raw.on('close', () => {
        sessions.remove(id, conn)
      })
    },
  )

  app.post(
    '/sessions',
    {
      schema: {
        summary: 'Open a long-poll session; poll it for frames, POST frames to it',
        querystring: VersionQuery,

        response: { 201: Type.Object({ session: Type.String() }) },
      },
    },
    async (request, reply) => {
      const id = sessions.newId()
      const user = principal(request).user
      const protocol = negotiate(request.query.v)
      hub.assertCanOpen(user)
      const gen = (await shared.register(id, user, 'poll', protocol)) as number
      const transport = new PollTransport()
      const conn = hub.open(user, transport, { session: id }, protocol, principal(request))
      transport.positions = () => conn.positions()
      shared.add({ id, conn, poll: transport }, gen)
      return reply.code(201).send({ session: id })
    },
  )

  app.get(
    '/sessions/:session/poll',
    {
      schema: {
        summary:
          'Frames after `after` (acknowledging those up to it), waiting up to the long-poll time for one',
        description: 'Answers `{"seq": N, "frames": [...]}`: pass `after=N` on the next poll.',

        params: SessionParams,
        querystring: Type.Object({
          after: Type.Integer({ minimum: 0, default: 0 }),
          waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 120_000 })),
        }),
      },
    },
    async (request, reply) => {
      const { after } = request.query
      // Held here, or taken over from the node that held it (from the answer `after` acknowledges).
      const p = principal(request)
      const s = await shared.forPoll(request.params.session, p.user, after, p)
      if (!s.poll) throw hub.errors.invalid('this session streams over SSE; it cannot be polled')
      if (s.conn.closed && s.poll.pendingAfter(after) === 0) {
        // Closed (expired, revoked) and its last frames acknowledged: gone.
        sessions.remove(s.id)
        throw hub.errors.sessionNotFound()
      }
      const signal = { aborted: false }
      request.raw.on('close', () => {
        signal.aborted = true
      })
      const wait = Math.min(request.query.waitMs ?? deps.longPollMs, deps.longPollMs)
      const { frames, seq, rooms } = await s.poll.poll(after, wait, signal)
      // Stored before it is sent: a later poll on any node continues from this answer.
      if (!(await shared.answered(s, after, seq, rooms))) {
        // Another node took the session over meanwhile: this copy is stale and answers nothing.
        sessions.remove(s.id, s.conn)
        return reply.type('application/json; charset=utf-8').send(`{"seq":${after},"frames":[]}`)
      }
      return reply
        .type('application/json; charset=utf-8')
        .send(`{"seq":${seq},"frames":[${frames.join(',')}]}`)
    },
  )

  app.post(
    '/sessions/:session/frames',
    {
      schema: {
        summary: 'Client frames (one object or an array); answers arrive on the stream or the next poll',

        params: SessionParams,
        body: Type.Union([
          Type.Object({}, { additionalProperties: true }),
          Type.Array(Type.Unknown(), { maxItems: 100 }),
        ]),
        response: { 202: Type.Object({ accepted: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      const frames = Array.isArray(request.body) ? request.body : [request.body]
      // Run here on the session, or here for the node that holds it (answers are relayed there).
      const p = principal(request)
      await shared.post(request.params.session, p.user, frames, p)
      return reply.code(202).send({ accepted: frames.length })
    },
  )

  app.delete(
    '/sessions/:session',
    { schema: { summary: 'Close a session', params: SessionParams } },
    async (request, reply) => {
      await shared.remove(request.params.session, principal(request).user)
      return reply.code(204).send()
    },
  )
}
