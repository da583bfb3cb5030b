/**
 * The WebSocket transport at `/chat/ws`. The token comes in the
 * `Authorization` header, the `access_token` query parameter (browsers
 * cannot set headers on a WebSocket), or a first `auth` frame within
 * ten seconds. Then every text frame is a client frame. `?v=2` asks for
 * protocol v2 (room events in `batch` frames); the default is v1.
 */

import type { Socket } from 'node:net'
import fastifyWebsocket from '@fastify/websocket'
import { Type } from '@sinclair/typebox'
import type WebSocket from 'ws'
import type { TypedApp } from '../../platform/http/types.js'
import type { Connection, Transport } from './connection.js'
import { ChatError } from './errors.js'
import type { Hub } from './hub.js'
import { errorFrame, LATEST_PROTOCOL, negotiate, parseClientFrame } from './protocol.js'
import { type Tokens, tokenOf } from './tokens.js'
import type { OutFrame } from './wire.js'

const AUTH_TIMEOUT_MS = 10_000

/** Transports written to in this tick; one callback uncorks them all after it (not one callback each). */
const writtenThisTick: WsTransport[] = []
function endTick(): void {
  for (let i = 0; i < writtenThisTick.length; i++) writtenThisTick[i]!.endTick()
  writtenThisTick.length = 0
}

/**
 * A WebSocket as a connection's transport. Frames sent in one tick (a batch
 * of room events, a page of replay) leave in at most two writes: the first
 * frame at once, the rest corked and written together after the tick. A
 * write per socket per batch instead of one per frame is most of the
 * fan-out's cost, and a v2 client's batch is a single frame, so it pays no
 * cork at all.
 *
 * Shared frames (room events) are written as the ready-made WebSocket frame
 * of wire.ts, the same Buffer for every socket, instead of each socket
 * encoding and framing the text again. That is what ws itself would write, as
 * long as no extension (permessage-deflate) was negotiated: it is disabled on
 * this route, and a socket with an extension gets `ws.send` anyway.
 */
class WsTransport implements Transport {
  readonly kind = 'ws'
  private corked = false
  private ticked = false
  private readonly socket: Socket | undefined
  /** Bytes queued in this tick: held by our own cork, not by a slow reader. */
  private tickBytes = 0
  /** Whether ready-made frames may go straight to the TCP socket. */
  private readonly raw: boolean
  /** The peer answered the last protocol ping (or sent a frame) since the last heartbeat. */
  alive = true
  constructor(private readonly ws: WebSocket) {
    // ws keeps its TCP socket private; it is there for as long as the WebSocket is open.
    this.socket = (ws as unknown as { _socket?: Socket })._socket
    this.raw = this.socket !== undefined && ws.extensions === ''
  }
  endTick(): void {
    this.ticked = false
    this.tickBytes = 0
    if (this.corked) {
      this.corked = false
      this.socket?.uncork()
    }
  }
  /**
   * Account for a frame about to be written. The first frame of a tick goes out at once (one write,
   * nothing held: the usual case, one room's batch); from the second on the socket is corked, so
   * the rest of the tick leaves in one more write.
   */
  private hold(bytes: number): void {
    if (!this.socket) return
    if (!this.ticked) {
      this.ticked = true
      if (writtenThisTick.push(this) === 1) process.nextTick(endTick)
      return
    }
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
    }
    this.tickBytes += bytes
  }
  send(text: string): void {
    if (this.ws.readyState !== 1) return
    this.hold(text.length)
    this.ws.send(text)
  }
  sendShared(frame: OutFrame): void {
    if (this.ws.readyState !== 1) return
    if (!this.raw) {
      this.send(frame.text)
      return
    }
    const bytes = frame.wsFrame()
    this.hold(bytes.length)
    this.socket!.write(bytes)
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
  probe(): boolean {
    if (!this.alive) {
      // No pong for a whole interval: the peer is gone without a close (a cut cable, a sleeping laptop).
      this.ws.terminate()
      return false
    }
    this.alive = false
    if (this.ws.readyState === 1) this.ws.ping()
    return true
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
  // No permessage-deflate (ws's default, said here because WsTransport relies on it): compressing
  // is per socket, so it would undo the shared frames, and chat frames are small.
  await app.register(fastifyWebsocket, {
    options: { maxPayload: Math.max(deps.maxFrameBytes * 4, 1_048_576), perMessageDeflate: false },
  })
  app.get(
    '/ws',
    {
      websocket: true,
      schema: {
        summary: 'WebSocket transport of the chat protocol (v1; v2 with ?v=2)',
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
      let conn: Connection | undefined
      let transport: WsTransport | undefined
      let pending: Promise<void> | undefined
      const start = async (t: string) => {
        const claims = await deps.tokens.claims(t)
        await deps.seen(claims.user)
        if (socket.readyState !== 1) return
        transport = new WsTransport(socket)
        conn = deps.hub.open(claims.user, transport, {}, protocol, claims)
      }
      const onError = (err: unknown) => {
        if (socket.readyState === 1) refuse(socket, err)
      }
      const timer = setTimeout(() => {
        if (!conn) onError(ChatError.unauthenticated('no auth frame within 10 seconds'))
      }, AUTH_TIMEOUT_MS)
      timer.unref()
      if (token) pending = start(token).catch(onError)
      socket.on('pong', () => {
        if (transport) transport.alive = true
      })
      socket.on('message', (data, isBinary) => {
        if (transport) transport.alive = true
        if (conn) {
          if (isBinary) conn.sendError(ChatError.malformed('frames are text (JSON)'))
          else deps.hub.frames.receiveText(conn, data.toString())
          return
        }
        if (pending) return // authenticating: a client must wait for `hello`
        try {
          const frame = parseClientFrame(data.toString(), deps.maxMessageBytes, protocol)
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
