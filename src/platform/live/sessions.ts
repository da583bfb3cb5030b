/**
 * Sessions for the HTTP transports. A client behind a proxy that kills
 * WebSockets opens a session and speaks the same frames:
 * - SSE: `GET <endpoint>/sse` streams server frames as `data:` lines; the
 *   first is `hello` with the session id;
 * - long polling: `POST <endpoint>/sessions` opens a session, `GET
 *   <endpoint>/sessions/:id/poll?after=SEQ` returns the frames after SEQ
 *   (waiting up to the long-poll time when there are none). Frames stay queued
 *   until a later poll's `after` acknowledges them, so a lost poll response
 *   loses nothing.
 * Both take client frames on `POST <endpoint>/sessions/:id/frames`.
 * Sessions live in the node that holds them, and are recorded in the shared
 * registry (session-registry.ts, session-share.ts), so a request for one may
 * land on any node.
 */
import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { Connection, Transport } from './connection.js'
import type { PollPosition } from './session-registry.js'
import { encodeEventId } from './sse-resume.js'
import type { OutFrame } from './wire.js'

/**
 * An SSE response as a transport. Every event carries an `id:` that says where the stream stands:
 * the session and, per subscribed stream, the last offset sent (`sse-resume.ts`). EventSource keeps
 * the last id it received and sends it back as `Last-Event-ID` when it reconnects, so the stream
 * resumes exactly there, on any node, with nothing stored on the server.
 */
export class SseTransport implements Transport {
  readonly kind = 'sse'
  /** The connection's positions (set once it exists); until then events carry no id. */
  positions: (() => Map<string, number>) | undefined
  constructor(
    private readonly res: ServerResponse,
    private readonly session: string,
  ) {}
  private id(at?: { token: string; offset: number }): string {
    if (!this.positions) return ''
    const p = this.positions()
    if (at) p.set(at.token, at.offset)
    return `id: ${encodeEventId(this.session, p)}\n`
  }
  send(text: string): void {
    if (!this.res.writableEnded) this.res.write(`${this.id()}data: ${text}\n\n`)
  }
  sendShared(frame: OutFrame, at?: { token: string; offset: number }): void {
    if (this.res.writableEnded) return
    // The id line and the shared data chunk form one event: the browser applies the id only with it.
    this.res.write(this.id(at))
    this.res.write(frame.sseChunk())
  }
  buffered(): number {
    return this.res.writableLength
  }
  async drained(lowWater: number): Promise<void> {
    while (!this.res.writableEnded && !this.res.destroyed && this.res.writableLength > lowWater)
      await new Promise<void>((r) => {
        const done = () => {
          this.res.off('drain', done)
          this.res.off('close', done)
          r()
        }
        this.res.once('drain', done)
        this.res.once('close', done)
      })
  }
  close(): void {
    if (!this.res.writableEnded) this.res.end()
  }
}

interface Queued {
  seq: number
  text: string
  /** An event (replayed from its history by a node that takes the session over) or a control frame. */
  event: boolean
}

/** A long-poll queue as a transport: frames wait for a poll and stay until acknowledged. */
export class PollTransport implements Transport {
  readonly kind = 'poll'
  private queue: Queued[] = []
  private bytes = 0
  private seq: number
  private waiter: (() => void) | undefined
  private drainWaiters: (() => void)[] = []
  closed = false
  lastSeen = Date.now()
  /** The connection's positions (set once it exists): taken with each answer, in the same tick. */
  positions: (() => Map<string, number>) | undefined

  /** `startSeq`: the last frame number the client has (a session taken over from another node). */
  constructor(startSeq = 0) {
    this.seq = startSeq
  }

  /**
   * Set once another node took the session over: control frames (answers still being made here)
   * go there, events are dropped (that node sends them from its own subscriptions).
   */
  forward: ((text: string) => void) | undefined

  send(text: string): void {
    this.push(text, false)
  }
  sendShared(frame: OutFrame): void {
    this.push(frame.text, true)
  }
  private push(text: string, event: boolean): void {
    if (this.closed) return
    if (this.forward) {
      if (!event) this.forward(text)
      return
    }
    this.queue.push({ seq: ++this.seq, text, event })
    this.bytes += text.length
    this.wake()
  }

  /** The control frames queued after `after` (what a node taking the session over cannot rebuild). */
  controlAfter(after: number): string[] {
    return this.queue.filter((q) => q.seq > after && !q.event).map((q) => q.text)
  }
  buffered(): number {
    return this.bytes
  }
  async drained(lowWater: number): Promise<void> {
    while (!this.closed && this.bytes > lowWater) await new Promise<void>((r) => this.drainWaiters.push(r))
  }
  close(): void {
    this.closed = true
    this.wake()
    for (const r of this.drainWaiters.splice(0)) r()
  }

  /** Frames queued after `after` (not acknowledged by it). */
  pendingAfter(after: number): number {
    let n = 0
    for (const q of this.queue) if (q.seq > after) n++
    return n
  }

  /** Drop frames up to `after` (the client has them), then return the rest, waiting up to `waitMs` for one. */
  async poll(
    after: number,
    waitMs: number,
    signal: { aborted: boolean },
  ): Promise<{ frames: string[]; seq: number; rooms: Map<string, number> }> {
    this.lastSeen = Date.now()
    this.ack(after)
    if (this.queue.length === 0 && !this.closed && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (this.waiter === done) this.waiter = undefined
          resolve()
        }, waitMs)
        const done = () => {
          clearTimeout(timer)
          resolve()
        }
        // One poll at a time: a newer poll replaces (and releases) an older one.
        this.waiter?.()
        this.waiter = done
      })
    }
    this.lastSeen = Date.now()
    // Frames and positions at one instant: `rooms` is exactly what the answered frames leave.
    const rooms = this.positions?.() ?? new Map<string, number>()
    if (signal.aborted) return { frames: [], seq: after, rooms }
    const frames = this.queue.map((q) => q.text)
    return { frames, seq: this.queue.at(-1)?.seq ?? Math.max(after, this.seq), rooms }
  }

  private ack(after: number): void {
    let i = 0
    while (i < this.queue.length && this.queue[i]!.seq <= after) this.bytes -= this.queue[i++]!.text.length
    if (i > 0) this.queue = this.queue.slice(i)
    if (this.bytes <= 0) this.bytes = 0
    for (const r of this.drainWaiters.splice(0)) r()
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }
}

export interface Session {
  id: string
  conn: Connection
  poll?: PollTransport
  sse?: SseTransport
  /** Its generation in the shared registry (session-registry.ts): stale once another node took it. */
  gen?: number
  /** A long-poll session's last two answers, as stored in the registry. */
  answers?: { last: PollPosition; prev: PollPosition }
  /** The node this session was handed over to: frames for it go there (session-relay.ts). */
  movedTo?: string
}

/** The sessions of this node, by id, with idle expiry for long-poll sessions. */
export class Sessions {
  private readonly byId = new Map<string, Session>()
  private readonly timer: NodeJS.Timeout

  constructor(private readonly idleMs: number) {
    this.timer = setInterval(() => this.expire(), Math.min(idleMs, 5_000))
    this.timer.unref()
  }

  /** A fresh unguessable id (it is not a credential: every call also carries the token). */
  newId(): string {
    return randomBytes(16).toString('base64url')
  }

  add(s: Session): void {
    this.byId.set(s.id, s)
  }

  get(id: string): Session | undefined {
    return this.byId.get(id)
  }

  /** The ids of this node's sessions. */
  ids(): string[] {
    return [...this.byId.keys()]
  }

  /** Close and forget session `id` (only if it is still `conn`'s, when given: a resumed stream reuses ids). */
  remove(id: string, conn?: Connection): void {
    const s = this.byId.get(id)
    if (!s || (conn && s.conn !== conn)) return
    this.byId.delete(id)
    s.conn.close(1000, 'session closed')
  }

  private expire(): void {
    const now = Date.now()
    for (const s of this.byId.values())
      if (s.poll) {
        // A closed poll session waits (up to the idle time) for a poll to take its last frames.
        if (now - s.poll.lastSeen > this.idleMs) this.remove(s.id)
      } else if (s.conn.closed) this.byId.delete(s.id)
  }

  stop(): void {
    clearInterval(this.timer)
    for (const id of [...this.byId.keys()]) this.remove(id)
  }
}
