/**
 * Frames POSTed for a session that another node holds. They run here, on a connection of their own
 * (a `send`, `read`, `edit` ... needs only the database), and their answers travel over the Bus to
 * the node holding the session, which writes them to its stream or poll queue. Frames that change
 * the session's own state (subscriptions, presence, a token refresh) are relayed to that node and
 * run there. One broadcast subject; each node takes only what names it.
 */
import type { Bus, Subscription } from '../bus/port.js'
import type { Logger } from '../telemetry/logger.js'
import type { Connection, Transport } from './connection.js'
import type { Hub } from './hub.js'
import type { ProtocolVersion } from './protocol.js'
import type { SessionRow } from './session-registry.js'
import type { Session, Sessions } from './sessions.js'
import type { Principal } from './stream-kind.js'
import type { OutFrame } from './wire.js'

/** Frames that act on the session's connection itself: they run on the node that holds it. */
const HOLDER_ONLY = new Set(['subscribe', 'unsubscribe', 'presence', 'watch', 'refresh'])
/** A relay connection unused this long is dropped (the next POST makes a new one). */
const IDLE_MS = 60_000
/** How long a takeover waits for the old node's unanswered frames before its first answer. */
const HANDOVER_WAIT_MS = 2_000

/**
 * One relayed batch for `session` at `node`: client frames to run, server frames to send,
 * subscriptions to take on (from a node handing the session over), or a request to hand it over
 * (`handover`: the client has every frame up to `after`; the session is now `to`'s).
 */
interface Relayed {
  node: string
  session: string
  frames?: unknown[]
  out?: string[]
  /** `room`: how chat nodes before platform/live named the stream (read and written during a rolling deploy). */
  subs?: { token?: string; room?: number; from: number }[]
  handover?: { after: number; to: string }
}

/** Answers of a relay connection, published in order for the node holding the session. */
class RelayTransport implements Transport {
  private tail: Promise<void> = Promise.resolve()
  constructor(
    readonly kind: 'sse' | 'poll',
    private readonly publish: (out: string[]) => Promise<void>,
  ) {}
  send(text: string): void {
    this.tail = this.tail.then(() => this.publish([text]))
  }
  sendShared(frame: OutFrame): void {
    this.send(frame.text)
  }
  buffered(): number {
    return 0
  }
  async drained(): Promise<void> {}
  close(): void {}
}

export class SessionRelay {
  private sub: Subscription | undefined
  private readonly relays = new Map<string, { conn: Connection; gen: number; used: number }>()
  private readonly timer: NodeJS.Timeout
  /** Takeovers waiting for the old node's answer, by session. */
  private readonly handedOver = new Map<string, () => void>()
  /** Frames and answers relayed, both ways (metrics). */
  relayed = 0

  constructor(
    private readonly bus: Bus,
    private readonly hub: Hub,
    private readonly sessions: Sessions,
    private readonly node: string,
    private readonly log: Logger,
    /** The Bus subject of this endpoint's relay (`chat.sessions.relay`, `live.sessions.relay`). */
    private readonly subject: string,
  ) {
    this.timer = setInterval(() => this.expire(), IDLE_MS / 2)
    this.timer.unref()
  }

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe<Relayed>(this.subject, async (m) => this.receive(m.data))
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.sub?.close()
  }

  /** Run `frames` POSTed for `row` (held by another node) by `user`, as described above. */
  forward(row: SessionRow, frames: unknown[], claims: Principal | undefined): void {
    let holder: unknown[] = []
    const flush = () => {
      if (holder.length > 0) this.publish({ node: row.node, session: row.id, frames: holder })
      holder = []
    }
    for (const f of frames) {
      const type = f !== null && typeof f === 'object' ? (f as { type?: unknown }).type : undefined
      if (typeof type === 'string' && HOLDER_ONLY.has(type)) holder.push(f)
      else {
        flush()
        this.hub.frames.receiveObject(this.relayOf(row, claims), f)
      }
    }
    flush()
  }

  private relayOf(row: SessionRow, claims: Principal | undefined): Connection {
    const known = this.relays.get(row.id)
    if (known && known.gen === row.gen && known.conn.user === row.user) {
      known.used = Date.now()
      if (claims) known.conn.principal = claims
      return known.conn
    }
    const transport = new RelayTransport(row.kind, (out) =>
      this.publish({ node: row.node, session: row.id, out }),
    )
    const conn = this.hub.detached(row.user, transport, row.protocol as ProtocolVersion, claims)
    this.relays.set(row.id, { conn, gen: row.gen, used: Date.now() })
    return conn
  }

  /**
   * Session `id` was taken over from `node` by a poll acknowledging `after`: ask that node for
   * what the registry cannot hold (answers queued after `after`, subscriptions made since).
   */
  async handover(id: string, node: string, after: number): Promise<void> {
    await new Promise<void>((resolve) => {
      // Bounded: a node that died answers never (what it had queued and not answered is lost).
      const timer = setTimeout(done, HANDOVER_WAIT_MS)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.handedOver.get(id)?.()
      this.handedOver.set(id, done)
      void this.publish({ node, session: id, handover: { after, to: this.node } })
    })
    this.handedOver.delete(id)
  }

  private publish(r: Relayed): Promise<void> {
    this.relayed += (r.frames?.length ?? 0) + (r.out?.length ?? 0)
    return this.bus
      .publish(this.subject, r)
      .catch((err) => this.log.warn({ err }, 'session frames not relayed'))
  }

  private async receive(r: Relayed): Promise<void> {
    if (r.node !== this.node) return
    const s = this.sessions.get(r.session)
    if (r.handover) {
      if (s?.poll && !s.movedTo && !s.conn.closed) this.handOver(s, r.handover.after, r.handover.to)
      // Nothing to hand over: say so, the taking node need not wait.
      else await this.publish({ node: r.handover.to, session: r.session, out: [], subs: [] })
      return
    }
    if (!s || s.conn.closed) return
    // Moved on again meanwhile: the node that has it now takes this.
    if (s.movedTo) {
      await this.publish({ ...r, node: s.movedTo })
      return
    }
    // Subscriptions made here after the answer the takeover started from (only added: an
    // unsubscribe that raced a takeover leaves the stream subscribed, which loses nothing).
    for (const { token, room, from } of r.subs ?? []) {
      const ref = this.hub.addressing.fromToken(token ?? String(room))
      if (ref && !s.conn.subs.has(ref.key)) await this.hub.frames.resubscribe(s.conn, ref, from)
    }
    for (const text of r.out ?? []) s.conn.sendControl(text)
    for (const f of r.frames ?? []) this.hub.frames.receiveObject(s.conn, f)
    if (r.subs) this.handedOver.get(r.session)?.()
  }

  /** Give long-poll session `s` to `to`: its unanswered control frames and subscriptions go there. */
  private handOver(s: Session, after: number, to: string): void {
    const poll = s.poll!
    s.movedTo = to
    const out = poll.controlAfter(after)
    // A chat room's token is its number: said as `room` too, for a node of the version before this library.
    const subs = s.conn
      .subscriptions()
      .map((sub) => (/^[1-9]\d{0,15}$/.test(sub.token) ? { ...sub, room: Number(sub.token) } : sub))
    s.conn.dropSubscriptions()
    // Answers still being made here (a send not yet committed) follow it.
    poll.forward = (text) => void this.publish({ node: to, session: s.id, out: [text] })
    void this.publish({ node: to, session: s.id, out, subs })
  }

  private expire(): void {
    const old = Date.now() - IDLE_MS
    for (const [id, r] of this.relays) if (r.used < old) this.relays.delete(id)
  }
}
