/**
 * The WebSocket transport at `/chat/ws`. The token comes in the
 * `Authorization` header, the `access_token` query parameter (browsers
 * cannot set headers on a WebSocket), or a first `auth` frame within
 * ten seconds. Then every text frame is a client frame.
 */

import type { Socket } from 'node:net'
import fastifyWebsocket from '@fastify/websocket'
import { Type } from '@sinclair/typebox'
import type WebSocket from 'ws'
import type { TypedApp } from '../../platform/http/types.js'
import type { Connection, Transport } from './connection.js'
import { ChatError } from './errors.js'
import type { Hub } from './hub.js'
import { errorFrame, parseClientFrame } from './protocol.js'
import { type Tokens, tokenOf } from './tokens.js'

const AUTH_TIMEOUT_MS = 10_000

/**
 * A WebSocket as a connection's transport. Frames sent in one tick (a batch
 * of room events, a page of replay) leave in one write: the TCP socket is
 * corked at the first frame and uncorked after the tick. One syscall per
 * socket per batch instead of one per frame is most of the fan-out's cost.
 */
class WsTransport implements Transport {
  readonly kind = 'ws'
  private corked = false
  private readonly socket: Socket | undefined
  /** Bytes queued in this tick: held by our own cork, not by a slow reader. */
  private tickBytes = 0
  private readonly uncork = () => {
    this.corked = false
    this.tickBytes = 0
    this.socket?.uncork()
  }
  constructor(private readonly ws: WebSocket) {
    // ws keeps its TCP socket private; it is there for as long as the WebSocket is open.
    this.socket = (ws as unknown as { _socket?: Socket })._socket
  }
  send(text: string): void {
    if (this.ws.readyState !== 1) return
    if (!this.corked && this.socket) {
      this.corked = true
      this.socket.cork()
      process.nextTick(this.uncork)
    }
    this.tickBytes += text.length
    this.ws.send(text)
  }
  buffered(): number {
    return Math.max(0, this.ws.bufferedAmount - this.tickBytes)
  }
  async drained(lowWater: number): Promise<void> {
    // ws has no drain event of its own; the check is cheap and runs only for a connection that is behind.
    while (this.ws.readyState === 1 && this.ws.bufferedAmount > lowWater)
      await new Promise((r) => setTimeout(r, 10))
  }
  close(code: number, reason: string): void {
    if (this.ws.readyState <= 1) this.ws.close(code, reason)
  }
}

export interface WsDeps {
  hub: Hub
  tokens: Tokens
  seen: (user: string) => Promise<void>
  maxFrameBytes: number
  maxMessageBytes: number
}

/** Send a frame and close: what an unauthenticated or refused socket gets. */
function refuse(ws: WebSocket, err: unknown): void {
  ws.send(JSON.stringify(errorFrame(err)))
  ws.close(4000 + (((err as ChatError).status ?? 500) % 1000), (err as Error).message.slice(0, 120))
}

export async function wsRoutes(app: TypedApp, deps: WsDeps): Promise<void> {
  // Registered in this system's scope: it routes upgrades through Fastify, so hooks and CORS apply.
  // Frames beyond our own limit get an error frame; far beyond it, ws closes with 1009.
  await app.register(fastifyWebsocket, {
    options: { maxPayload: Math.max(deps.maxFrameBytes * 4, 1_048_576) },
  })
  app.get(
    '/ws',
    {
      websocket: true,
      schema: {
        summary: 'WebSocket transport of the chat protocol (v1)',
        querystring: Type.Object({ access_token: Type.Optional(Type.String({ maxLength: 8192 })) }),
      },
    },
    (socket, request) => {
      const token = tokenOf(request.headers.authorization, request.query)
      let conn: Connection | undefined
      let pending: Promise<void> | undefined
      const start = async (t: string) => {
        const user = await deps.tokens.verify(t)
        await deps.seen(user)
        if (socket.readyState !== 1) return
        conn = deps.hub.open(user, new WsTransport(socket))
      }
      const onError = (err: unknown) => {
        if (socket.readyState === 1) refuse(socket, err)
      }
      const timer = setTimeout(() => {
        if (!conn) onError(ChatError.unauthenticated('no auth frame within 10 seconds'))
      }, AUTH_TIMEOUT_MS)
      timer.unref()
      if (token) pending = start(token).catch(onError)
      socket.on('message', (data, isBinary) => {
        if (conn) {
          if (isBinary) conn.sendError(ChatError.malformed('frames are text (JSON)'))
          else deps.hub.frames.receiveText(conn, data.toString())
          return
        }
        if (pending) return // authenticating: a client must wait for `hello`
        try {
          const frame = parseClientFrame(data.toString(), deps.maxMessageBytes)
          if (frame.type !== 'auth') throw ChatError.unauthenticated('the first frame must be auth')
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
