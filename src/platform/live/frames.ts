/**
 * The socket side of the protocol: one client frame in, its effect and its
 * answer out. The library answers its own frames (subscriptions, presence,
 * token refresh, ping) and hands a stream kind's frames (chat's `send`, ...)
 * to the kind. Frames of one connection run one after another (a client's
 * writes keep the order it sent them in); a subscription's replay runs in the
 * background so it never holds the queue.
 */
import { AppError } from '../errors.js'
import type { Logger } from '../telemetry/logger.js'
import type { Connection } from './connection.js'
import { expiryFields, refresh } from './connection-auth.js'
import type { Presence } from './presence.js'
import { type ClientFrame, type ParseContext, parseClientFrame, parseClientObject } from './protocol.js'
import type { Principal, StreamRef } from './stream-kind.js'

/** The most frames a connection may have waiting for the ones before them. */
const MAX_QUEUED = 256

export interface FrameCounters {
  frames: number
  errors: number
  rateLimited: number
}

export class FrameHandler {
  readonly counters: FrameCounters = { frames: 0, errors: 0, rateLimited: 0 }
  private readonly queues = new WeakMap<Connection, { tail: Promise<void>; size: number }>()

  constructor(
    private readonly ctx: ParseContext,
    private readonly presence: Presence,
    private readonly log: Logger,
    private readonly maxFrameBytes: number,
    /** Verify a token (a `refresh` frame's); throws the 401 error for a bad or revoked one. */
    private readonly verifyToken: (token: string) => Promise<Principal>,
  ) {}

  /** A text frame from a socket or SSE/long-poll POST body; errors become `error` frames. */
  receiveText(conn: Connection, text: string): void {
    this.counters.frames++
    if (text.length > this.maxFrameBytes || Buffer.byteLength(text) > this.maxFrameBytes) {
      this.fail(conn, this.ctx.errors.frameTooLarge(this.maxFrameBytes))
      return
    }
    let frame: ClientFrame
    try {
      frame = parseClientFrame(text, this.ctx, conn.protocol)
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
        throw this.ctx.errors.malformed('a frame is a JSON object')
      frame = parseClientObject(raw as Record<string, unknown>, this.ctx, conn.protocol)
    } catch (err) {
      const id = (raw as { id?: unknown } | null)?.id
      this.fail(conn, err, typeof id === 'string' && id.length <= 64 ? id : undefined)
      return
    }
    this.enqueue(conn, frame)
  }

  /**
   * Subscribe `conn` to `ref` after `after` without a `subscribed` answer (a session taken over
   * from another node, a resumed SSE stream); a stream no longer readable is an error frame naming it.
   */
  async resubscribe(conn: Connection, ref: StreamRef, after: number): Promise<void> {
    try {
      await ref.kind.spec.authorize(conn.user, ref.id, conn.principal)
      await conn.subscribe(ref, after, undefined, true)
    } catch (err) {
      this.fail(conn, err, undefined, ref)
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
      this.fail(conn, this.ctx.errors.rateLimited(1_000), frame.id)
      return
    }
    q.size++
    const queue = q
    queue.tail = queue.tail.then(() => this.run(conn, frame)).finally(() => void queue.size--)
  }

  private async run(conn: Connection, frame: ClientFrame): Promise<void> {
    if (conn.closed) return
    try {
      if (frame.type === 'kind') {
        const limiter = frame.ref.kind.spec.limiter
        if (limiter) {
          const r = await limiter.consume(conn.id)
          if (!r.allowed) {
            this.counters.rateLimited++
            throw this.ctx.errors.rateLimited(r.retryAfterMs)
          }
        }
        const done = frame.handler.handle(conn, frame.ref, frame.fields, frame.id)
        // Not awaited: the frames after it need not wait (chat's send is already queued in order).
        if (frame.handler.pipelined) done.catch((err) => this.fail(conn, err, frame.id, frame.ref))
        else await done
        return
      }
      await this.handle(conn, frame)
    } catch (err) {
      this.fail(conn, err, frame.id, 'ref' in frame ? frame.ref : undefined)
    }
  }

  private fail(conn: Connection, err: unknown, id?: string, ref?: StreamRef): void {
    this.counters.errors++
    if (!(err instanceof AppError)) this.log.error({ err }, 'live frame failed')
    conn.sendError(err, id, ref)
  }

  private async handle(conn: Connection, f: Exclude<ClientFrame, { type: 'kind' }>): Promise<void> {
    const id = f.id !== undefined ? { id: f.id } : {}
    switch (f.type) {
      case 'auth':
        throw this.ctx.errors.invalid('this connection is already authenticated')
      case 'ping': // answered in enqueue()
        return
      case 'refresh': {
        refresh(conn, await this.verifyToken(f.token))
        conn.sendFrame({ v: 1, type: 'refreshed', ...id, ...expiryFields(conn.principal) })
        return
      }
      case 'subscribe':
        await f.ref.kind.spec.authorize(conn.user, f.ref.id, conn.principal)
        await conn.subscribe(f.ref, f.after, f.id)
        return
      case 'unsubscribe':
        conn.unsubscribe(f.ref.key)
        conn.sendFrame({ v: 1, type: 'unsubscribed', ...id, ...conn.naming(f.ref), reason: 'requested' })
        return
      case 'ack':
        // Offsets are the client's to keep; an ack is accepted for protocol symmetry and metrics.
        conn.sendFrame({ v: 1, type: 'ok', ...id })
        return
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
