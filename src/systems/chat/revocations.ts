/**
 * Token revocation across nodes. A token is revoked by its id (`jti`: one login ends) or every token
 * of a user issued until a moment ("log out everywhere", a banned user). Rows live in PostgreSQL
 * (sql/0006_revocations.sql); each node holds them in memory, so checking a token costs no query.
 * A revocation is published on the Bus (`chat.revocations`, a broadcast): every node adds it and
 * closes the open connections it revokes at once. Every `syncMs` a node also reads the rows newer
 * than the last it saw, which brings what the bus lost (a NATS outage, a node that restarted).
 */
import type { Bus, Subscription } from '../../platform/bus/port.js'
import type { Db } from '../../platform/db/port.js'
import type { Principal } from '../../platform/live/index.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import type { TokenClaims } from './tokens.js'

const SUBJECT = 'chat.revocations'

/** One revocation: of one token (`jti`) or of a user's tokens issued at or before `before`. */
export type Revocation =
  | { kind: 'token'; jti: string; user: string; expiresAt: number }
  | { kind: 'user'; user: string; before: number }

/** Whether `r` revokes the token a connection of `user` runs on (`c`: its token; undefined: none). */
export function revokes(r: Revocation, c: Principal | undefined, user: string): boolean {
  if (r.kind === 'token') return c?.jti === r.jti
  return user === r.user && (c?.issuedAt === undefined || c.issuedAt <= Math.floor(r.before / 1000) * 1000)
}

export class Revocations {
  private readonly tokens = new Map<string, number>()
  private readonly users = new Map<string, number>()
  /**
   * The newest `revoked_at` read from PostgreSQL (ISO text, compared by the database). Each sync
   * reads 30 s before it: a row stamped earlier may commit later, and applying one twice is harmless.
   */
  private since = '-infinity'
  private timer: NodeJS.Timeout | undefined
  private sub: Subscription | undefined

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly syncMs: number,
  ) {}

  /** Called with each new revocation: closes this node's connections it revokes (set by the wiring). */
  onRevoked: (r: Revocation) => void = () => {}

  /** Whether `claims` names a revoked token. */
  isRevoked(claims: TokenClaims): boolean {
    if (claims.jti !== undefined && this.tokens.has(claims.jti)) return true
    const before = this.users.get(claims.user)
    // A token without `iat` cannot show it was issued after the revocation: it is revoked too. `iat`
    // counts whole seconds, so a token of the revocation's own second is revoked as well.
    return (
      before !== undefined &&
      (claims.issuedAt === undefined || claims.issuedAt <= Math.floor(before / 1000) * 1000)
    )
  }

  async start(): Promise<void> {
    // Rows of tokens that expired a day ago protect nothing (an expired token fails anyway).
    await this.db.query(`DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 day'`)
    await this.sync()
    this.sub = await this.bus.subscribe<Revocation>(SUBJECT, async (m) => this.apply(m.data))
    this.timer = setInterval(() => {
      this.sync().catch((err) => this.log.warn({ err }, 'revocations not read'))
    }, this.syncMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.sub?.close()
  }

  /** Revoke one token (its `jti`, until it expires anyway). */
  async revokeToken(jti: string, user: string, expiresAt: number): Promise<void> {
    await this.db.query(
      `INSERT INTO revoked_tokens (jti, user_name, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (jti) DO NOTHING`,
      [jti, user, new Date(expiresAt)],
    )
    await this.publish({ kind: 'token', jti, user, expiresAt })
  }

  /** Revoke every token of `user` issued until now; returns that moment. */
  async revokeUser(user: string): Promise<Date> {
    const { rows } = await this.db.query<{ before: Date }>(
      `INSERT INTO revoked_users (user_name, before) VALUES ($1, clock_timestamp())
       ON CONFLICT (user_name) DO UPDATE SET before = excluded.before, revoked_at = excluded.revoked_at
       RETURNING before`,
      [user],
    )
    const before = new Date(rows[0]!.before)
    await this.publish({ kind: 'user', user, before: before.getTime() })
    return before
  }

  private async publish(r: Revocation): Promise<void> {
    this.apply(r)
    // The row is stored: a lost publish is read by every node's next sync.
    await this.bus.publish(SUBJECT, r).catch((err) => this.log.warn({ err }, 'revocation not published'))
  }

  private apply(r: Revocation): void {
    if (r.kind === 'token') {
      if (r.expiresAt <= Date.now() || this.tokens.has(r.jti)) return
      this.tokens.set(r.jti, r.expiresAt)
    } else {
      if ((this.users.get(r.user) ?? -1) >= r.before) return
      this.users.set(r.user, r.before)
    }
    this.onRevoked(r)
  }

  /** Read the revocations newer than the last one read, and forget tokens past their expiry. */
  private async sync(): Promise<void> {
    const { rows } = await this.db.query<{
      kind: 'token' | 'user'
      jti: string | null
      user_name: string
      at: number
      revoked_at: string
    }>(
      `SELECT 'token' AS kind, jti, user_name, extract(epoch FROM expires_at) * 1000 AS at,
              to_json(revoked_at) #>> '{}' AS revoked_at
         FROM revoked_tokens WHERE revoked_at > $1::timestamptz - interval '30 seconds' AND expires_at > now()
       UNION ALL
       SELECT 'user', NULL, user_name, extract(epoch FROM before) * 1000, to_json(revoked_at) #>> '{}'
         FROM revoked_users WHERE revoked_at > $1::timestamptz - interval '30 seconds'
       ORDER BY revoked_at`,
      [this.since],
    )
    for (const r of rows) {
      const at = Number(r.at)
      if (r.kind === 'token') this.apply({ kind: 'token', jti: r.jti!, user: r.user_name, expiresAt: at })
      else this.apply({ kind: 'user', user: r.user_name, before: at })
      this.since = r.revoked_at
    }
    const now = Date.now()
    for (const [jti, exp] of this.tokens) if (exp <= now) this.tokens.delete(jti)
  }
}
