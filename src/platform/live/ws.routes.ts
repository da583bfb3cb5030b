/**
 * The WebSocket transport of an endpoint (`/chat/ws`, `/live/ws`). The token
 * comes in the `Authorization` header, the `access_token` query parameter
 * (browsers cannot set headers on a WebSocket), or a first `auth` frame
 * within ten seconds. Then every text frame is a client frame. `?v=2` asks
 * for protocol v2 (events in `batch` frames); the default is v1.
 */
import fastifyWebsocket from '@fastify/websocket'
import { Type } from '@sinclair/typebox'
import type WebSocket from 'ws'
import type { TypedApp } from '../http/types.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'
import { errorFrame, LATEST_PROTOCOL, negotiate, type ParseContext, parseClientFrame } from './protocol.js'
import type { Principal } from './stream-kind.js'
import { WsTransport } from './transport-ws.js'

const AUTH_TIMEOUT_MS = 10_000

export interface WsDeps {
  hub: Hub
  /** Verify a token: its principal, or the endpoint's 401 error. */
  authenticate(token: string): Promise<Principal>
  parse: ParseContext
  maxFrameBytes: number
  /** The route's summary in the OpenAPI document (which @fastify/websocket hides anyway). */
  summary: string
}

/** The bearer token of a request: `Authorization: Bearer`, or `?access_token=` (browsers' sockets and EventSource). */
export function tokenOf(authorization: string | undefined, query: unknown): string | undefined {
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim()
  const q = query as { access_token?: unknown } | undefined
  return typeof q?.access_token === 'string' ? q.access_token : undefined
}

/** Send a frame and close: what an unauthenticated or refused socket gets. */
function refuse(ws: WebSocket, deps: WsDeps, err: unknown): void {
  ws.send(JSON.stringify(errorFrame(deps.parse.errors, err)))
  const status = (err as { status?: number }).status ?? 500
  ws.close(4000 + (status % 1000), (err as Error).message.slice(0, 120))
}

/** Register `GET /ws` in `app` (the endpoint's prefix). */
export async function wsRoutes(app: TypedApp, deps: WsDeps): Promise<void> {
  // Registered in the endpoint's scope: it routes upgrades through Fastify, so hooks and CORS apply.
  // Frames beyond our own limit get an error frame; far beyond it, ws closes with 1009.
  // No permessage-deflate (ws's default, said here because WsTransport relies on it): compressing
  // is per socket, so it would undo the shared frames, and live frames are small.
  await app.register(fastifyWebsocket, {
    options: { maxPayload: Math.max(deps.maxFrameBytes * 4, 1_048_576), perMessageDeflate: false },
  })
  app.get(
    '/ws',
    {
      websocket: true,
      schema: {
        summary: deps.summary,
        querystring: Type.Object({
          access_token: Type.Optional(Type.String({ maxLength: 8192 })),
          v: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 1_000,
              description: `protocol version asked for (default 1); the server speaks up to ${LATEST_PROTOCOL}`,
            }),
          ),
        }),
      },
    },
    (socket, request) => {
      const token = tokenOf(request.headers.authorization, request.query)
      const protocol = negotiate(request.query.v)
      const errors = deps.parse.errors
      let conn: Connection | undefined
      let transport: WsTransport | undefined
      let pending: Promise<void> | undefined
      const start = async (t: string) => {
        const claims = await deps.authenticate(t)
        if (socket.readyState !== 1) return
        transport = new WsTransport(socket)
        conn = deps.hub.open(claims.user, transport, {}, protocol, claims)
      }
      const onError = (err: unknown) => {
        if (socket.readyState === 1) refuse(socket, deps, err)
      }
      const timer = setTimeout(() => {
        if (!conn) onError(errors.unauthenticated('no auth frame within 10 seconds'))
      }, AUTH_TIMEOUT_MS)
      timer.unref()
      if (token) pending = start(token).catch(onError)
      socket.on('pong', () => {
        if (transport) transport.alive = true
      })
      socket.on('message', (data, isBinary) => {
        if (transport) transport.alive = true
        if (conn) {
          if (isBinary) conn.sendError(errors.malformed('frames are text (JSON)'))
          else deps.hub.frames.receiveText(conn, data.toString())
          return
        }
        if (pending) return // authenticating: a client must wait for `hello`
        try {
          const frame = parseClientFrame(data.toString(), deps.parse, protocol)
          if (frame.type !== 'auth') throw errors.unauthenticated('the first frame must be auth')
          pending = start(frame.token).catch(onError)
        } catch (err) {
          onError(err)
        }
      })
      socket.on('close', () => {
        clearTimeout(timer)
        conn?.release()
      })
      socket.on('error', () => socket.terminate())
    },
  )
}
