/**
 * The socket side of the protocol: one client frame in, its effect and its
 * answer out. Frames of one connection run one after another (a client's
 * messages keep the order it sent them in); a subscription's replay runs in
 * the background so it never holds the queue.
 */
import type { RateLimiter } from '../../platform/rate-limit/index.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { Connection } from './connection.js'
import { expiryFields, refresh } from './connection-auth.js'
import { ChatError } from './errors.js'
import type { Presence } from './presence.js'
import { type ClientFrame, parseClientFrame, parseClientObject } from './protocol.js'
import type { ChatService } from './service.js'
import type { TokenClaims } from './tokens.js'

/** Frame types that write, and so count against the per-connection rate limit. */
const WRITES = new Set(['send', 'edit', 'delete', 'react', 'read', 'typing'])
/** The most frames a connection may have waiting for the ones before them. */
const MAX_QUEUED = 256
/** The most messages of one connection waiting for their commit. */
const MAX_SENDING = 1_000
/** A typing indicator is relayed at most this often per connection and room. */
const TYPING_EVERY_MS = 2_000

export interface FrameCounters {
  frames: number
  errors: number
  rateLimited: number
}

export class FrameHandler {
  readonly counters: FrameCounters = { frames: 0, errors: 0, rateLimited: 0 }
  private readonly queues = new WeakMap<Connection, { tail: Promise<void>; size: number }>()

  constructor(
    private readonly service: ChatService,
    private readonly presence: Presence,
    private readonly limiter: RateLimiter,
    private readonly log: Logger,
    private readonly limits: { maxFrameBytes: number; maxMessageBytes: number },
    /** Verify a token (a `refresh` frame's); throws the 401 ChatError for a bad or revoked one. */
    private readonly verifyToken: (token: string) => Promise<TokenClaims> = () =>
      Promise.reject(ChatError.unauthenticated('tokens cannot be refreshed here')),
  ) {}

  /** A text frame from a socket or SSE/long-poll POST body; errors become `error` frames. */
  receiveText(conn: Connection, text: string): void {
    this.counters.frames++
    if (text.length > this.limits.maxFrameBytes || Buffer.byteLength(text) > this.limits.maxFrameBytes) {
      this.fail(conn, ChatError.frameTooLarge(this.limits.maxFrameBytes))
      return
    }
    let frame: ClientFrame
    try {
      frame = parseClientFrame(text, this.limits.maxMessageBytes, conn.protocol)
    } catch (err) {
      this.fail(conn, err, idOf(text))
      return
    }
    this.enqueue(conn, frame)
  }

  /** An already-decoded frame (HTTP POST). */
  receiveObject(conn: Connection, raw: unknown): void {
    this.counters.frames++
    let frame: ClientFrame
    try {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        throw ChatError.malformed('a frame is a JSON object')
      frame = parseClientObject(raw as Record<string, unknown>, this.limits.maxMessageBytes, conn.protocol)
    } catch (err) {
      const id = (raw as { id?: unknown } | null)?.id
      this.fail(conn, err, typeof id === 'string' && id.length <= 64 ? id : undefined)
      return
    }
    this.enqueue(conn, frame)
  }

  /**
   * Subscribe `conn` to `room` after `after` without a `subscribed` answer (a session taken over
   * from another node); a room no longer readable is an error frame naming it.
   */
  async resubscribe(conn: Connection, room: number, after: number): Promise<void> {
    try {
      await this.service.readable(conn.user, room)
      await conn.subscribe(room, after, undefined, true)
    } catch (err) {
      this.fail(conn, err, undefined, room)
    }
  }

  private enqueue(conn: Connection, frame: ClientFrame): void {
    if (frame.type === 'ping') {
      // Answered at once, outside the queue and the write limit: a heartbeat must get through when
      // the connection is busiest, or a client would call a healthy connection dead.
      conn.sendFrame({ v: 1, type: 'pong', ...(frame.id !== undefined && { id: frame.id }) })
      return
    }
    let q = this.queues.get(conn)
    if (!q) {
      q = { tail: Promise.resolve(), size: 0 }
      this.queues.set(conn, q)
    }
    if (q.size >= MAX_QUEUED) {
      this.fail(conn, ChatError.rateLimited(1_000), frame.id)
      return
    }
    q.size++
    const queue = q
    queue.tail = queue.tail.then(() => this.run(conn, frame)).finally(() => void queue.size--)
  }

  private async run(conn: Connection, frame: ClientFrame): Promise<void> {
    if (conn.closed) return
    try {
      if (WRITES.has(frame.type)) {
        const r = await this.limiter.consume(conn.id)
        if (!r.allowed) {
          this.counters.rateLimited++
          throw ChatError.rateLimited(r.retryAfterMs)
        }
      }
      if (frame.type === 'send') {
        // Not awaited: the message is already queued in order (writer.ts), and the next frames
        // need not wait for its commit; this is what lets a busy room's messages commit in batches.
        if (conn.sending >= MAX_SENDING) throw ChatError.rateLimited(1_000)
        conn.sending++
        this.handle(conn, frame).then(
          () => void conn.sending--,
          (err) => {
            conn.sending--
            this.fail(conn, err, frame.id, frame.room)
          },
        )
        return
      }
      await this.handle(conn, frame)
    } catch (err) {
      this.fail(conn, err, frame.id, 'room' in frame ? frame.room : undefined)
    }
  }

  private fail(conn: Connection, err: unknown, id?: string, room?: number): void {
    this.counters.errors++
    if (!(err instanceof ChatError)) this.log.error({ err }, 'chat frame failed')
    conn.sendError(err, id, room)
  }

  private async handle(conn: Connection, f: ClientFrame): Promise<void> {
    const user = conn.user
    const s = this.service
    const id = f.id !== undefined ? { id: f.id } : {}
    switch (f.type) {
      case 'auth':
        throw ChatError.invalid('this connection is already authenticated')
      case 'ping': // answered in enqueue()
        return
      case 'refresh': {
        refresh(conn, await this.verifyToken(f.token))
        conn.sendFrame({ v: 1, type: 'refreshed', ...id, ...expiryFields(conn.auth) })
        return
      }
      case 'subscribe':
        await s.readable(user, f.room)
        await conn.subscribe(f.room, f.after, f.id)
        return
      case 'unsubscribe':
        conn.unsubscribe(f.room)
        conn.sendFrame({ v: 1, type: 'unsubscribed', ...id, room: f.room, reason: 'requested' })
        return
      case 'ack':
        // Offsets are the client's to keep; an ack is accepted for protocol symmetry and metrics.
        conn.sendFrame({ v: 1, type: 'ok', ...id })
        return
      case 'send': {
        const r = await s.post(user, f.room, f.body, f.cid, f.parent)
        conn.sendFrame({
          v: 1,
          type: 'sent',
          ...id,
          room: f.room,
          offset: r.event.offset,
          cid: r.event.cid,
          duplicate: r.duplicate,
        })
        return
      }
      case 'edit': {
        const e = await s.edit(user, f.room, f.message, f.body)
        conn.sendFrame({ v: 1, type: 'ok', ...id, room: f.room, offset: e.offset })
        return
      }
      case 'delete': {
        const e = await s.delete(user, f.room, f.message)
        conn.sendFrame({ v: 1, type: 'ok', ...id, room: f.room, offset: e.offset })
        return
      }
      case 'react': {
        const e = await s.react(user, f.room, f.message, f.emoji, f.remove === true)
        conn.sendFrame({ v: 1, type: 'ok', ...id, room: f.room, offset: e?.offset ?? null })
        return
      }
      case 'read': {
        const lastRead = await s.markRead(user, f.room, f.offset)
        conn.sendFrame({ v: 1, type: 'ok', ...id, room: f.room, lastRead })
        return
      }
      case 'typing': {
        if (!conn.subs.has(f.room)) await s.memberOf(user, f.room)
        const now = Date.now()
        if (now - (conn.typingAt.get(f.room) ?? 0) >= TYPING_EVERY_MS) {
          conn.typingAt.set(f.room, now)
          await s.typing(user, f.room)
        }
        if (f.id !== undefined) conn.sendFrame({ v: 1, type: 'ok', ...id })
        return
      }
      case 'presence':
        this.presence.setStatus(conn, f.status)
        conn.sendFrame({ v: 1, type: 'ok', ...id })
        return
      case 'watch': {
        const users = this.presence.watch(conn, f.users)
        conn.sendFrame({ v: 1, type: 'presence', ...id, users })
        return
      }
    }
  }
}

/** The `id` of a frame that failed to parse, when it can be found cheaply (to answer it). */
function idOf(text: string): string | undefined {
  const m = /"id"\s*:\s*"([^"\\]{1,64})"/.exec(text.slice(0, 512))
  return m?.[1]
}
