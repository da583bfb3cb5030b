/**
 * SSE and long-poll sessions shared by every node (scaled mode without affinity). Each session is a
 * row of the registry (session-registry.ts) naming the node that holds it. A poll that lands on
 * another node takes the session over: that node claims the row (its generation grows, so the old
 * node can no longer store an answer), subscribes each stream from where the answer the poll
 * acknowledges left it, and goes on numbering frames from there: every event once, in order. A
 * frame POSTed on a node that does not hold the session runs there (session-relay.ts).
 */
import type { Logger } from '../telemetry/logger.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'
import type { ProtocolVersion } from './protocol.js'
import type { PollPosition, SessionRegistry } from './session-registry.js'
import type { SessionRelay } from './session-relay.js'
import { PollTransport, type Session, type Sessions } from './sessions.js'
import type { Principal } from './stream-kind.js'

export class SharedSessions {
  private readonly byConn = new WeakMap<Connection, { id: string; gen: number }>()
  private timer: NodeJS.Timeout | undefined
  /** Shutting down: rows stay, so another node takes the sessions over. */
  private stopping = false
  /** Long-poll sessions this node took over from another (metrics). */
  takeovers = 0

  constructor(
    private readonly registry: SessionRegistry,
    private readonly sessions: Sessions,
    private readonly hub: Hub,
    readonly relay: SessionRelay,
    readonly node: string,
    private readonly idleMs: number,
    private readonly log: Logger,
  ) {
    hub.onClosed = (conn) => this.closed(conn)
  }

  async start(): Promise<void> {
    await this.relay.start()
    // SSE streams are marked seen while open; rows nobody marked (a killed node's) are deleted.
    this.timer = setInterval(
      () => {
        const sse = this.sessions.ids().filter((id) => this.sessions.get(id)?.sse)
        this.registry
          .touch(sse)
          .then(() => this.registry.expire(this.idleMs * 2))
          .catch((err) => this.log.warn({ err }, 'session registry not swept'))
      },
      Math.max(1_000, this.idleMs / 2),
    )
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.relay.stop()
  }

  /** Shutdown begins: leave the rows for the node that takes the sessions over. */
  shuttingDown(): void {
    this.stopping = true
  }

  /**
   * Record a session opened (or an SSE stream resumed) here. Returns false when the id is another
   * user's session (the caller then opens it under a new id).
   */
  async register(id: string, user: string, kind: 'sse' | 'poll', protocol: number): Promise<number | false> {
    const gen = await this.registry.open(id, user, kind, protocol, this.node)
    return gen ?? false
  }

  /** Add a session opened here at generation `gen`. */
  add(s: Session, gen: number): void {
    s.gen = gen
    if (s.poll) s.answers = { last: { seq: 0, rooms: {} }, prev: { seq: 0, rooms: {} } }
    this.byConn.set(s.conn, { id: s.id, gen })
    this.sessions.add(s)
  }

  /**
   * The long-poll session `id` of `user`, held here, for a poll acknowledging `after`: taken over
   * from the node that held it when needed.
   */
  async forPoll(id: string, user: string, after: number, claims: Principal | undefined): Promise<Session> {
    const local = this.sessions.get(id)
    const row = await this.registry.get(id)
    if (!row) {
      // Closed here (its row is gone) and holding its last frames: they go to this poll.
      if (local && local.conn.user === user && local.conn.closed) return local
      // Closed elsewhere (DELETE on another node) or expired: gone here too.
      if (local && local.conn.user === user) this.sessions.remove(id)
      throw this.hub.errors.sessionNotFound()
    }
    if (row.user !== user) throw this.hub.errors.sessionNotFound()
    if (row.kind !== 'poll')
      throw this.hub.errors.invalid('this session streams over SSE; it cannot be polled')
    if (local && row.node === this.node && row.gen === local.gen) return local
    // The client has every frame up to `after`: one of the last two answers (the newer unless it was lost).
    const from = after === row.last.seq ? row.last : after === row.prev.seq ? row.prev : undefined
    if (!from) throw this.hub.errors.sessionNotFound()
    const gen = await this.registry.claim(id, this.node, row.gen)
    if (gen === undefined) throw this.hub.errors.sessionNotFound()
    if (local) this.sessions.remove(id)
    const transport = new PollTransport(after)
    const conn = this.hub.open(user, transport, {}, row.protocol as ProtocolVersion, claims, false)
    transport.positions = () => conn.positions()
    const s: Session = { id, conn, poll: transport }
    this.add(s, gen)
    s.answers = { last: from, prev: from }
    this.takeovers++
    for (const [token, offset] of Object.entries(from.rooms)) {
      const ref = this.hub.addressing.fromToken(token)
      if (ref) await this.hub.frames.resubscribe(conn, ref, offset)
    }
    // Then (so that only subscriptions made since are added) the old node's answers not yet polled
    // and its newer subscriptions, before this poll is answered: they are not left behind again
    // when the next poll lands elsewhere.
    if (row.node !== this.node) await this.relay.handover(id, row.node, after)
    return s
  }

  /**
   * Store what a poll answer (frames up to `seq`, leaving the streams at `rooms`) gave the client;
   * false when another node took the session over meanwhile (the answer must then give nothing).
   */
  async answered(s: Session, after: number, seq: number, rooms: Map<string, number>): Promise<boolean> {
    const a = s.answers
    // A closed session has no row any more: its last frames go to whoever polls it here.
    if (s.gen === undefined || !a || s.conn.closed) return true
    const prev = after === a.prev.seq && after !== a.last.seq ? a.prev : a.last
    const last: PollPosition = { seq, rooms: Object.fromEntries(rooms) }
    if (prev === a.prev && seq === a.last.seq && same(last.rooms, a.last.rooms)) return true
    if (!(await this.registry.answered(s.id, s.gen, prev, last))) return false
    s.answers = { last, prev }
    return true
  }

  /** Frames POSTed for session `id` of `user`: run on the session here, or for the node holding it. */
  async post(id: string, user: string, frames: unknown[], claims: Principal | undefined): Promise<void> {
    const local = this.sessions.get(id)
    const row = await this.registry.find(id)
    if (!row) throw this.hub.errors.sessionNotFound()
    if (row.user !== user) throw this.hub.errors.sessionNotFound()
    if (local && row.node === this.node && row.gen === local.gen && !local.conn.closed) {
      for (const f of frames) this.hub.frames.receiveObject(local.conn, f)
      return
    }
    if (row.node === this.node) throw this.hub.errors.sessionNotFound()
    this.relay.forward(row, frames, claims)
  }

  /** Session `id` of `user` is closed by the client: forget it everywhere. */
  async remove(id: string, user: string): Promise<void> {
    const local = this.sessions.get(id)
    const row = await this.registry.find(id)
    if (row && row.user === user) await this.registry.remove(id, row.gen)
    else if (!local || local.conn.user !== user) throw this.hub.errors.sessionNotFound()
    if (local && local.conn.user === user) this.sessions.remove(id)
  }

  private closed(conn: Connection): void {
    const r = this.byConn.get(conn)
    if (!r || this.stopping) return
    // Only while it is still ours: a stream or poll queue replaced elsewhere deletes nothing.
    this.registry.remove(r.id, r.gen).catch((err) => this.log.warn({ err }, 'session not forgotten'))
  }
}

function same(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}
