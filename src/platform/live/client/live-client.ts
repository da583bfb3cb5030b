/**
 * The live client: one WebSocket to a live endpoint (the platform's `/live/ws`,
 * or a system's own, as chat's client uses `/chat/ws`), kept open, that never
 * loses or repeats an event of any stream it reads. No dependencies, so it
 * runs in the browser (the console) and in Node (Node 22+ has a global
 * WebSocket; on Node 20 pass `open: (url) => new WebSocket(url)` from `ws`).
 * It began as chat's client library; chat's is now a layer on top of it.
 *
 * Reconnects with exponential backoff and jitter; resumes every stream by
 * offset; reports each (re)subscription with a `recovered` flag (false when
 * the server could not give back everything after the cursor: its data was
 * reset); acknowledges what it handed over (`ack`); pings a silent
 * connection; refreshes its token over the open socket when the server says
 * it expires (`refreshToken`); restores presence and watched users.
 *
 * Exactly-once comes from the offsets, not from the socket: for every stream
 * it keeps the last offset it handed to the application (the cursor). Any
 * later (re)subscription asks for `after: cursor`, so a reconnect, a `resync`
 * (we read too slowly) or a server restart resumes where the application
 * stopped, and an event at or below the cursor (the overlap of a
 * resubscription) is dropped.
 */
import {
  isEvent as defaultIsEvent,
  type LiveEventFrame,
  parseServerFrames,
  type ServerFrame,
} from './frames.js'
import {
  type ConnectionState,
  defaultRetryMs,
  type LiveSocketHandlers,
  type LiveSocketOptions,
  type SocketLike,
  type StreamName,
} from './socket-options.js'

export * from './frames.js'
export * from './socket-options.js'

const OPEN = 1
const CONNECTING = 0
/** The server closes with 4000 + HTTP status; 4401 means the token is no good, so retrying is pointless. */
const UNAUTHORIZED_CLOSE = 4401

interface StreamCursor {
  name: StreamName
  cursor: number
  /** Subscribed at least once: the next subscription is a resume. */
  streamed: boolean
  /** The cursor was moved back to the server's head: the next `subscribed` is not a full recovery. */
  lost: boolean
  /** A resubscription is on its way: events beyond the cursor are the old stream's, not news. */
  resubscribing: boolean
}

export class LiveSocket {
  private ws: SocketLike | undefined
  private live = false
  private closed = false
  private attempt = 0
  /** By `String(name)`. */
  private readonly streams = new Map<string, StreamCursor>()
  private watching: string[] = []
  private status: 'online' | 'away' = 'online'
  private readonly acks = new Set<string>()
  private ackTimer: ReturnType<typeof setTimeout> | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private pingTimer: ReturnType<typeof setInterval> | undefined
  private heardSincePing = true
  private readonly field: string
  private readonly isEvent: (f: ServerFrame) => f is LiveEventFrame
  /** Events dropped because their offset was at or below the cursor (visible to tests and the curious). */
  duplicatesDropped = 0
  /** Who hears what this socket receives: the options' handlers, and any attached since (pages sharing it). */
  private readonly listeners = new Set<LiveSocketHandlers>()
  private state: ConnectionState = 'connecting'

  constructor(private readonly opts: LiveSocketOptions) {
    this.field = opts.field ?? 'stream'
    this.isEvent = opts.isEvent ?? defaultIsEvent
    if (opts.handlers) this.listeners.add(opts.handlers)
    this.connect()
  }

  /**
   * Share this socket: `h` hears every frame from now on (events of every stream: it keeps those of
   * the streams it subscribed), and at once the connection's state. Returns the way to stop.
   */
  attach(h: LiveSocketHandlers): () => void {
    this.listeners.add(h)
    h.state(this.state)
    if (this.live) h.live?.()
    return () => void this.listeners.delete(h)
  }

  private setState(s: ConnectionState, detail?: string): void {
    this.state = s
    for (const l of this.listeners) l.state(s, detail)
  }

  /** Whether the connection is open and said hello (frames written now reach the server). */
  get isLive(): boolean {
    return this.live
  }

  /** The offset the application has of `stream` (what a resubscription resumes from). */
  cursorOf(stream: StreamName): number | undefined {
    return this.streams.get(String(stream))?.cursor
  }

  /**
   * Stream `stream` from `after` on. A stream already streaming keeps its cursor: its events since
   * then have reached the application, and asking again from an older offset would only repeat them.
   */
  subscribe(stream: StreamName, after: number): void {
    const key = String(stream)
    if (this.streams.has(key)) return
    this.streams.set(key, { name: stream, cursor: after, resubscribing: false, streamed: false, lost: false })
    this.sendSubscribe(key)
  }

  unsubscribe(stream: StreamName): void {
    if (!this.streams.delete(String(stream))) return
    this.write({ type: 'unsubscribe', [this.field]: stream })
  }

  /** Watch the presence of `users` (replaces the previous list, as the server does). */
  watch(users: string[]): void {
    const next = [...new Set(users)].sort()
    if (next.join('\n') === this.watching.join('\n')) return
    this.watching = next
    this.write({ type: 'watch', users: next })
  }

  setPresence(status: 'online' | 'away'): void {
    if (status === this.status) return
    this.status = status
    this.write({ type: 'presence', status })
  }

  /**
   * Send a frame (`v: 1` is added) if the connection is live; before `hello` the server would drop
   * it, so a layer keeps what it must resend and sends it again from its `live` handler.
   */
  write(frame: Record<string, unknown>): void {
    if (this.live && this.ws?.readyState === OPEN) this.ws.send(JSON.stringify({ v: 1, ...frame }))
  }

  /** `{ <field>: stream }`: how a frame names `stream` on this endpoint. */
  naming(stream: StreamName): Record<string, StreamName> {
    return { [this.field]: stream }
  }

  /** Close for good (the page is leaving or the person signed out). */
  close(): void {
    this.closed = true
    this.live = false
    clearTimeout(this.retryTimer)
    clearTimeout(this.ackTimer)
    clearInterval(this.pingTimer)
    const ws = this.ws
    if (ws) {
      ws.onmessage = null
      ws.onclose = null
      ws.onerror = null
      // Closing a socket that is still connecting makes Chromium log an error; close it once open instead.
      if (ws.readyState === CONNECTING) ws.onopen = () => ws.close(1000, 'page closed')
      else if (ws.readyState === OPEN) ws.close(1000, 'page closed')
    }
    this.setState('closed')
  }

  private connect(): void {
    if (this.closed) return
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting')
    const open = this.opts.open ?? ((url: string) => new WebSocket(url) as unknown as SocketLike)
    const ws = open(this.opts.url())
    this.ws = ws
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      for (const f of parseServerFrames(ev.data)) this.receive(f)
    }
    ws.onclose = (ev) => this.lost(ev.code, ev.reason)
    // The close event follows every error with the details we need; nothing to do here.
    ws.onerror = () => {}
  }

  private lost(code: number, reason: string): void {
    this.live = false
    this.ws = undefined
    clearInterval(this.pingTimer)
    if (this.closed) return
    if (code === UNAUTHORIZED_CLOSE) {
      this.setState('unauthorized', reason || 'the server refused the token')
      return
    }
    this.setState('reconnecting', reason || undefined)
    const wait = (this.opts.retryMs ?? defaultRetryMs)(this.attempt++)
    this.retryTimer = setTimeout(() => this.connect(), wait)
  }

  private sendSubscribe(key: string): void {
    const s = this.streams.get(key)
    if (!s || !this.live) return
    s.resubscribing = true
    this.write({ type: 'subscribe', [this.field]: s.name, after: s.cursor, id: `sub-${key}` })
  }

  /** The stream a frame names in this endpoint's field, if it is one we read. */
  private streamOf(f: ServerFrame): StreamCursor | undefined {
    const name = (f as Record<string, unknown>)[this.field]
    return name === undefined ? undefined : this.streams.get(String(name))
  }

  private receive(f: ServerFrame): void {
    this.heardSincePing = true
    if (this.isEvent(f)) {
      this.event(f)
      return
    }
    for (const l of this.listeners) if (l.claim?.(f)) return
    switch (f.type) {
      case 'hello':
        this.welcomed()
        return
      case 'subscribed': {
        const s = this.streamOf(f)
        if (!s) return
        s.resubscribing = false
        const info = {
          after: f.after as number,
          head: f.head as number,
          resumed: s.streamed,
          recovered: !s.lost,
        }
        s.streamed = true
        s.lost = false
        for (const l of this.listeners) l.subscribed?.(s.name, info)
        return
      }
      case 'expiring':
        void this.refresh()
        return
      case 'refreshed':
      case 'ping':
      case 'pong':
      case 'ok':
        return
      case 'resync':
        // We read too slowly and the server dropped these subscriptions: resume each from our cursor.
        // `streams` on the platform endpoint, `rooms` on chat's: the field's plural.
        for (const key of Object.keys(((f as Record<string, unknown>)[`${this.field}s`] as object) ?? {}))
          this.sendSubscribe(key)
        return
      case 'error':
        this.refusedSubscription(f as Extract<ServerFrame, { type: 'error' }>)
        break
      case 'unsubscribed': {
        const s = this.streamOf(f)
        if (s && f.reason !== 'requested') this.streams.delete(String(s.name))
        break
      }
    }
    for (const l of this.listeners) l.frame(f)
  }

  private event(e: LiveEventFrame): void {
    const s = this.streamOf(e)
    if (!s) return
    if (e.offset <= s.cursor) {
      this.duplicatesDropped++
      return
    }
    const key = String(s.name)
    if (e.offset > s.cursor + 1) {
      // Offsets are dense, so this is a missed event. Ask again from the cursor rather than show a hole.
      if (!s.resubscribing) this.sendSubscribe(key)
      return
    }
    s.cursor = e.offset
    for (const l of this.listeners) l.event(s.name, e)
    this.acks.add(key)
    this.ackTimer ??= setTimeout(() => this.flushAcks(), this.opts.ackDelayMs ?? 250)
  }

  /** `ack` says how far we got; one per stream per burst rather than one per event. */
  private flushAcks(): void {
    this.ackTimer = undefined
    for (const key of this.acks) {
      const s = this.streams.get(key)
      if (s) this.write({ type: 'ack', [this.field]: s.name, offset: s.cursor })
    }
    this.acks.clear()
  }

  private welcomed(): void {
    this.live = true
    this.attempt = 0
    this.setState('live')
    // A new connection starts online, watching nobody, subscribed to nothing: restore all of it.
    if (this.status === 'away') this.write({ type: 'presence', status: 'away' })
    if (this.watching.length > 0) this.write({ type: 'watch', users: this.watching })
    for (const key of this.streams.keys()) this.sendSubscribe(key)
    for (const l of this.listeners) l.live?.()
    clearInterval(this.pingTimer)
    const every = this.opts.pingEveryMs ?? 25_000
    this.heardSincePing = true
    this.pingTimer = setInterval(() => {
      // Silence for a whole period after a ping: the connection is dead without a close (a laptop lid).
      if (!this.heardSincePing) {
        this.ws?.close(4000, 'no answer to ping')
        return
      }
      this.heardSincePing = false
      this.write({ type: 'ping' })
    }, every)
  }

  /** Ask the application for a new token and hand it to the server on this connection. */
  private async refresh(): Promise<void> {
    if (!this.opts.refreshToken) return
    try {
      this.write({ type: 'refresh', token: await this.opts.refreshToken() })
    } catch {
      // No new token: the server closes the connection at expiry, and the state says why.
    }
  }

  /** A subscription refused: follow the server's head when its data was reset, else forget the stream. */
  private refusedSubscription(f: Extract<ServerFrame, { type: 'error' }>): void {
    const s = this.streamOf(f)
    if (!s || !f.id?.startsWith('sub-')) return
    if (f.code.endsWith('_OFFSET_FROM_FUTURE') && typeof f.head === 'number') {
      // The server has fewer events than we saw (its data was reset): follow it from its head.
      s.cursor = f.head
      s.lost = true
      this.sendSubscribe(String(s.name))
    } else this.streams.delete(String(s.name))
  }
}
