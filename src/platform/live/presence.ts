/**
 * Presence across nodes, with expiry. Each node announces the users it
 * holds connections for (and their status) on the Bus: a full snapshot every
 * interval, and a delta at once when a user comes, goes or changes status.
 * Every node keeps each other node's last snapshot with a deadline of three
 * intervals; a node that stops announcing (killed, partitioned) expires and
 * its users go offline everywhere. A user's status is the best over nodes:
 * online > away > offline. Watchers get a `presence` frame on each change.
 */
import { randomUUID } from 'node:crypto'
import type { Bus, BusMessage, Subscription } from '../bus/port.js'
import type { Logger } from '../telemetry/logger.js'
import type { Connection } from './connection.js'
import { isLegacyCopy, LEGACY_COPY_HEADER } from './legacy-subjects.js'
import type { PresenceStatus } from './protocol.js'

/** Every node's announcements, for every endpoint: a user is online if connected anywhere. */
export const PRESENCE_SUBJECT = 'live.presence'

interface Announcement {
  node: string
  /** Full snapshot (replaces what we knew of the node) or a delta. */
  full: boolean
  users: Record<string, PresenceStatus>
  /** Ask every other node to announce itself now (sent by a node that just started). */
  hello?: boolean
}

interface NodeState {
  users: Map<string, PresenceStatus>
  expiresAt: number
}

const RANK: Record<PresenceStatus, number> = { offline: 0, away: 1, online: 2 }

export class Presence {
  readonly node: string
  private readonly local = new Map<string, Set<Connection>>()
  private readonly nodes = new Map<string, NodeState>()
  private readonly watchers = new Map<string, Set<Connection>>()
  private sub: Subscription | undefined
  private legacySub: Subscription | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly intervalMs: number,
    node?: string,
    /** Announce on this subject too, and hear old nodes there (`chat.presence`, legacy-subjects.ts). */
    private readonly legacySubject?: string,
  ) {
    this.node = node ?? randomUUID()
  }

  async start(): Promise<void> {
    this.sub = await this.bus.subscribe<Announcement>(PRESENCE_SUBJECT, (m) => this.receive(m))
    if (this.legacySubject)
      // New nodes' copies there came on PRESENCE_SUBJECT already.
      this.legacySub = await this.bus.subscribe<Announcement>(this.legacySubject, (m) =>
        isLegacyCopy(m.headers) ? Promise.resolve() : this.receive(m),
      )
    this.timer = setInterval(() => {
      this.expire()
      void this.announce(true)
    }, this.intervalMs)
    this.timer.unref()
    await this.announce(true, true)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    // Leaving cleanly: tell the others our users are gone rather than let them expire.
    const users: Record<string, PresenceStatus> = {}
    for (const u of this.local.keys()) users[u] = 'offline'
    this.local.clear()
    if (Object.keys(users).length > 0) await this.publish({ node: this.node, full: true, users: {} })
    await this.sub?.close()
    await this.legacySub?.close()
  }

  /** The status of `user` as this node knows it. */
  status(user: string): PresenceStatus {
    let best: PresenceStatus = 'offline'
    for (const state of this.nodes.values()) {
      const s = state.users.get(user)
      if (s && RANK[s] > RANK[best]) best = s
    }
    return best
  }

  /** A connection opened. */
  connected(conn: Connection): void {
    let set = this.local.get(conn.user)
    if (!set) {
      set = new Set()
      this.local.set(conn.user, set)
    }
    set.add(conn)
    this.localChanged(conn.user)
  }

  /** A connection closed. */
  disconnected(conn: Connection): void {
    for (const u of conn.watching) this.watchers.get(u)?.delete(conn)
    const set = this.local.get(conn.user)
    if (!set) return
    set.delete(conn)
    if (set.size === 0) this.local.delete(conn.user)
    this.localChanged(conn.user)
  }

  /** A connection set its status (online or away). */
  setStatus(conn: Connection, status: 'online' | 'away'): void {
    conn.status = status
    this.localChanged(conn.user)
  }

  /** Replace the users `conn` watches; answers with their current status. */
  watch(conn: Connection, users: string[]): Record<string, PresenceStatus> {
    for (const u of conn.watching) this.watchers.get(u)?.delete(conn)
    conn.watching = new Set(users)
    const snapshot: Record<string, PresenceStatus> = {}
    for (const u of conn.watching) {
      let set = this.watchers.get(u)
      if (!set) {
        set = new Set()
        this.watchers.set(u, set)
      }
      set.add(conn)
      snapshot[u] = this.status(u)
    }
    return snapshot
  }

  private localStatus(user: string): PresenceStatus {
    const set = this.local.get(user)
    if (!set || set.size === 0) return 'offline'
    for (const c of set) if (c.status === 'online') return 'online'
    return 'away'
  }

  private localChanged(user: string): void {
    const status = this.localStatus(user)
    const mine = this.ownState()
    if ((mine.users.get(user) ?? 'offline') === status) return
    void this.publish({ node: this.node, full: false, users: { [user]: status } })
    this.apply({ node: this.node, full: false, users: { [user]: status } })
  }

  private ownState(): NodeState {
    let s = this.nodes.get(this.node)
    if (!s) {
      s = { users: new Map(), expiresAt: Number.POSITIVE_INFINITY }
      this.nodes.set(this.node, s)
    }
    return s
  }

  private async announce(full: boolean, hello = false): Promise<void> {
    const users: Record<string, PresenceStatus> = {}
    for (const u of this.local.keys()) users[u] = this.localStatus(u)
    await this.publish({ node: this.node, full, users, ...(hello && { hello: true }) })
  }

  private async publish(a: Announcement): Promise<void> {
    try {
      await this.bus.publish(PRESENCE_SUBJECT, a)
      if (this.legacySubject)
        await this.bus.publish(this.legacySubject, a, { headers: { [LEGACY_COPY_HEADER]: '1' } })
    } catch (err) {
      this.log.warn({ err }, 'presence announcement not published')
    }
  }

  private async receive(m: BusMessage<Announcement>): Promise<void> {
    const a = m.data
    if (a.node === this.node) return
    if (a.hello) void this.announce(true)
    this.apply(a)
  }

  /** Merge an announcement and notify watchers of every user whose status changed. */
  private apply(a: Announcement): void {
    const touched = new Set(Object.keys(a.users))
    const before = new Map<string, PresenceStatus>()
    let state = this.nodes.get(a.node)
    if (a.full && state) for (const u of state.users.keys()) touched.add(u)
    for (const u of touched) before.set(u, this.status(u))
    if (!state) {
      state = { users: new Map(), expiresAt: 0 }
      this.nodes.set(a.node, state)
    }
    if (a.node !== this.node) state.expiresAt = Date.now() + this.intervalMs * 3
    if (a.full) state.users.clear()
    for (const [u, s] of Object.entries(a.users)) {
      if (s === 'offline') state.users.delete(u)
      else state.users.set(u, s)
    }
    this.notify(before)
  }

  /** Forget nodes that stopped announcing; their users go offline. */
  private expire(): void {
    const now = Date.now()
    for (const [node, state] of this.nodes) {
      if (state.expiresAt > now) continue
      const before = new Map<string, PresenceStatus>()
      for (const u of state.users.keys()) before.set(u, this.status(u))
      this.nodes.delete(node)
      this.log.info({ node, users: state.users.size }, 'presence: node expired')
      this.notify(before)
    }
  }

  private notify(before: Map<string, PresenceStatus>): void {
    for (const [user, was] of before) {
      const now = this.status(user)
      if (now === was) continue
      const watchers = this.watchers.get(user)
      if (!watchers || watchers.size === 0) continue
      const text = JSON.stringify({ v: 1, type: 'presence', users: { [user]: now } })
      for (const c of watchers) c.sendControl(text)
    }
  }

  /** Users with a connection on this node. */
  get localUsers(): number {
    return this.local.size
  }
}
