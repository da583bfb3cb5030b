/**
 * This node's open connections, of every transport: opens them (with the
 * per-user connection limit and presence), closes them, and closes them all
 * at shutdown with a frame that tells clients to reconnect (to any node).
 */
import { Connection, type Transport } from './connection.js'
import { ChatError } from './errors.js'
import type { Fanout } from './fanout.js'
import type { FrameHandler } from './frames.js'
import type { MessageStore } from './messages.store.js'
import type { Presence } from './presence.js'
import type { ProtocolVersion } from './protocol.js'

export interface HubOptions {
  maxConnectionsPerUser: number
  sendBufferBytes: number
  replayPage: number
  limits: Record<string, number>
}

export class Hub {
  private readonly byUser = new Map<string, number>()
  readonly all = new Set<Connection>()
  resyncs = 0
  opened = 0

  constructor(
    readonly frames: FrameHandler,
    private readonly fanout: Fanout,
    private readonly messages: MessageStore,
    private readonly presence: Presence,
    private readonly opts: HubOptions,
  ) {}

  /** Throw the 429 ChatError when `user` holds as many connections as allowed. */
  assertCanOpen(user: string): void {
    if ((this.byUser.get(user) ?? 0) >= this.opts.maxConnectionsPerUser)
      throw ChatError.tooManyConnections(this.opts.maxConnectionsPerUser)
  }

  /**
   * Open a connection for `user` on `transport`, speaking `protocol` (the version negotiated);
   * a user over the limit gets a 429 ChatError.
   */
  open(
    user: string,
    transport: Transport,
    extra: Record<string, unknown> = {},
    protocol: ProtocolVersion = 1,
  ): Connection {
    this.assertCanOpen(user)
    const n = this.byUser.get(user) ?? 0
    this.byUser.set(user, n + 1)
    const conn = new Connection(
      user,
      transport,
      {
        fanout: this.fanout,
        messages: this.messages,
        sendBufferBytes: this.opts.sendBufferBytes,
        replayPage: this.opts.replayPage,
        onResync: () => void this.resyncs++,
        onClose: (c) => this.closed(c),
      },
      protocol,
    )
    this.all.add(conn)
    this.opened++
    this.presence.connected(conn)
    conn.sendFrame({
      v: 1,
      type: 'hello',
      user,
      node: this.presence.node,
      protocol,
      limits: this.opts.limits,
      ...extra,
    })
    return conn
  }

  private closed(conn: Connection): void {
    if (!this.all.delete(conn)) return
    const n = (this.byUser.get(conn.user) ?? 1) - 1
    if (n <= 0) this.byUser.delete(conn.user)
    else this.byUser.set(conn.user, n)
    this.presence.disconnected(conn)
  }

  /** Shutdown: tell every client to reconnect elsewhere and close. */
  closeAll(): void {
    for (const conn of [...this.all]) {
      conn.sendFrame({ v: 1, type: 'bye', reason: 'server shutting down; reconnect and resume' })
      conn.close(1001, 'server shutting down')
    }
  }
}
