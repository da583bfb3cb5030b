/**
 * One endpoint's open connections on this node, of every transport: opens
 * them (with the per-user connection limit and presence), pings them, closes
 * those whose token expired or was revoked, and closes them all at shutdown
 * with a frame that tells clients to reconnect (to any node).
 */
import type { Addressing } from './addressing.js'
import { Connection, type Transport } from './connection.js'
import { checkExpiry, closeRevoked, expiryFields } from './connection-auth.js'
import type { LiveErrors } from './errors.js'
import type { Fanout } from './fanout.js'
import type { FrameHandler } from './frames.js'
import type { Presence } from './presence.js'
import { PING_GRACE_MS, type ProtocolVersion } from './protocol.js'
import type { Principal, StreamKindHandle } from './stream-kind.js'

export interface HubOptions {
  maxConnectionsPerUser: number
  sendBufferBytes: number
  /** What `hello` says under `limits` (the endpoint's own: message and frame sizes, write rate). */
  limits: Record<string, number>
  /** How often every WebSocket and SSE connection gets a `ping` frame (and a WebSocket a protocol ping). */
  pingIntervalMs: number
}

/** The server's heartbeat frame: no answer needed; any frame proves the connection alive. */
const PING_FRAME = JSON.stringify({ v: 1, type: 'ping' })

export class Hub {
  private readonly byUser = new Map<string, number>()
  readonly all = new Set<Connection>()
  resyncs = 0
  opened = 0
  private readonly heartbeat: NodeJS.Timeout
  private readonly expiry: NodeJS.Timeout
  private readonly hooks

  constructor(
    readonly frames: FrameHandler,
    private readonly presence: Presence,
    readonly addressing: Addressing,
    readonly errors: LiveErrors,
    fanoutOf: (kind: StreamKindHandle) => Fanout,
    private readonly opts: HubOptions,
  ) {
    this.hooks = {
      fanoutOf,
      sendBufferBytes: opts.sendBufferBytes,
      onResync: () => void this.resyncs++,
      onClose: (c: Connection) => this.closed(c),
    }
    // One timer for every connection (not one each: idle connections are counted in bytes).
    this.heartbeat = setInterval(() => this.beat(), opts.pingIntervalMs)
    this.heartbeat.unref()
    // Token lifetimes are checked once a second for all connections, not with a timer each.
    this.expiry = setInterval(() => checkExpiry(this.all), 1_000)
    this.expiry.unref()
  }

  /** Close this node's connections whose token `revokes` says is revoked. */
  revoke(revokes: (principal: Principal | undefined, user: string) => boolean): number {
    return closeRevoked(this.all, revokes)
  }

  /**
   * Ping every connection that streams (WebSocket, SSE): a client that hears nothing for the
   * interval plus PING_GRACE_MS knows the connection is dead even when no close ever came, and a
   * WebSocket that did not answer the previous protocol ping is closed here. Long polls need no
   * ping: every poll is answered within the long-poll time.
   */
  private beat(): void {
    for (const conn of this.all) {
      const t = conn.transport
      if (t.kind === 'poll') continue
      if (t.probe && !t.probe()) {
        conn.release()
        continue
      }
      conn.sendControl(PING_FRAME)
    }
  }

  /** Throw the 429 TOO_MANY_CONNECTIONS error when `user` holds as many connections as allowed. */
  assertCanOpen(user: string): void {
    if ((this.byUser.get(user) ?? 0) >= this.opts.maxConnectionsPerUser)
      throw this.errors.tooManyConnections(this.opts.maxConnectionsPerUser)
  }

  /**
   * Open a connection for `user` on `transport`, speaking `protocol` (the version negotiated);
   * a user over the limit gets a 429 error.
   */
  open(
    user: string,
    transport: Transport,
    extra: Record<string, unknown> = {},
    protocol: ProtocolVersion = 1,
    /** The token the connection opened with: it expires with it unless refreshed. */
    claims?: Principal,
    /** false: no `hello` (a session taken over from another node: the client had it already). */
    hello = true,
  ): Connection {
    this.assertCanOpen(user)
    const n = this.byUser.get(user) ?? 0
    this.byUser.set(user, n + 1)
    const conn = this.connection(user, transport, protocol)
    conn.principal = claims
    this.all.add(conn)
    this.opened++
    this.presence.connected(conn)
    if (!hello) return conn
    conn.sendFrame({
      v: 1,
      type: 'hello',
      user,
      node: this.presence.node,
      protocol,
      limits: this.opts.limits,
      heartbeat: {
        intervalMs: this.opts.pingIntervalMs,
        timeoutMs: this.opts.pingIntervalMs + PING_GRACE_MS,
      },
      ...expiryFields(claims),
      ...extra,
    })
    return conn
  }

  /**
   * A connection that is not one of this node's clients: it runs frames POSTed here for a session
   * another node holds (session-relay.ts), and its transport carries the answers there.
   */
  detached(user: string, transport: Transport, protocol: ProtocolVersion, claims?: Principal): Connection {
    const conn = this.connection(user, transport, protocol)
    conn.principal = claims
    return conn
  }

  private connection(user: string, transport: Transport, protocol: ProtocolVersion): Connection {
    return new Connection(user, transport, this.hooks, protocol, this.addressing, this.errors)
  }

  /** Called when one of this node's connections closed (the session registry forgets its session). */
  onClosed: (conn: Connection) => void = () => {}

  private closed(conn: Connection): void {
    if (!this.all.delete(conn)) return
    this.onClosed(conn)
    const n = (this.byUser.get(conn.user) ?? 1) - 1
    if (n <= 0) this.byUser.delete(conn.user)
    else this.byUser.set(conn.user, n)
    this.presence.disconnected(conn)
  }

  /** Shutdown: tell every client to reconnect elsewhere and close. */
  closeAll(): void {
    clearInterval(this.heartbeat)
    clearInterval(this.expiry)
    for (const conn of [...this.all]) {
      conn.sendFrame({ v: 1, type: 'bye', reason: 'server shutting down; reconnect and resume' })
      conn.close(1001, 'server shutting down')
    }
  }
}
