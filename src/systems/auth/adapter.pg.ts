/**
 * oidc-provider's storage adapter on the platform Db port: every model the
 * provider persists (Session, Interaction, Grant, AuthorizationCode,
 * RefreshToken, AccessToken, DeviceCode, ReplayDetection, ...) is one row of
 * `oidc_artifacts`; the Client model reads the `clients` table (clients.ts).
 * The provider creates one adapter per model name.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { Queryable } from '../../platform/db/port.js'
import { findUnstorableText, isStorableText } from '../../platform/text/storable.js'
import type { ClientRegistry } from './clients.js'
import { errors } from './oidc-provider.js'

export interface AdapterOptions {
  db: Queryable
  clients: ClientRegistry
  /** A rotated refresh token still counts as unused this long (the concurrent-refresh race). */
  refreshReuseGraceMs: number
}

interface ArtifactRow {
  payload: AdapterPayload
  consumed_ms: number | null
}

/** The adapter factory oidc-provider's `adapter` option takes. */
export function pgAdapterFactory(opts: AdapterOptions): (model: string) => Adapter {
  return (model) => (model === 'Client' ? new ClientAdapter(opts.clients) : new ArtifactAdapter(model, opts))
}

const SELECT = `SELECT payload, (extract(epoch FROM consumed_at) * 1000)::float8 AS consumed_ms
  FROM oidc_artifacts WHERE model = $1`
// Expired rows are not returned (the sweeper deletes them later).
const LIVE = '(expires_at IS NULL OR expires_at > now())'

class ArtifactAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly opts: AdapterOptions,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    // Request parameters end up in payloads (state, nonce, ...); text PostgreSQL cannot store is
    // the client's mistake, answered as one.
    const bad = findUnstorableText(payload)
    if (bad !== undefined) throw new errors.InvalidRequest(`${bad} contains text that cannot be stored`)
    await this.opts.db.query(
      `INSERT INTO oidc_artifacts (model, id, payload, grant_id, uid, user_code, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7::int) END)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         uid = EXCLUDED.uid, user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`,
      [
        this.model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.uid ?? null,
        payload.userCode ?? null,
        expiresIn > 0 ? Math.ceil(expiresIn) : null,
      ],
    )
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(id)) return undefined
    const { rows } = await this.opts.db.query<ArtifactRow>(`${SELECT} AND id = $2 AND ${LIVE}`, [
      this.model,
      id,
    ])
    return this.payloadOf(rows[0])
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(uid)) return undefined
    const { rows } = await this.opts.db.query<ArtifactRow>(`${SELECT} AND uid = $2 AND ${LIVE} LIMIT 1`, [
      this.model,
      uid,
    ])
    return this.payloadOf(rows[0])
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(userCode)) return undefined
    const { rows } = await this.opts.db.query<ArtifactRow>(
      `${SELECT} AND user_code = $2 AND ${LIVE} LIMIT 1`,
      [this.model, userCode],
    )
    return this.payloadOf(rows[0])
  }

  async consume(id: string): Promise<void> {
    // The first consumption's time is kept: a second one must not restart the grace period.
    await this.opts.db.query(
      'UPDATE oidc_artifacts SET consumed_at = coalesce(consumed_at, now()) WHERE model = $1 AND id = $2',
      [this.model, id],
    )
  }

  async destroy(id: string): Promise<void> {
    await this.opts.db.query('DELETE FROM oidc_artifacts WHERE model = $1 AND id = $2', [this.model, id])
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.opts.db.query('DELETE FROM oidc_artifacts WHERE model = $1 AND grant_id = $2', [
      this.model,
      grantId,
    ])
  }

  private payloadOf(row: ArtifactRow | undefined): AdapterPayload | undefined {
    if (!row) return undefined
    if (row.consumed_ms === null) return row.payload
    // Within the grace period a rotated refresh token is answered as unused, so the second of two
    // concurrent refreshes gets tokens too instead of revoking the grant as a replay.
    if (this.model === 'RefreshToken' && Date.now() - row.consumed_ms < this.opts.refreshReuseGraceMs)
      return row.payload
    return { ...row.payload, consumed: Math.floor(row.consumed_ms / 1000) }
  }
}

/** Clients live in their own table; the provider only reads them (no dynamic registration). */
class ClientAdapter implements Adapter {
  constructor(private readonly clients: ClientRegistry) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(id)) return undefined
    return (await this.clients.metadata(id)) as AdapterPayload | undefined
  }

  async upsert(): Promise<void> {
    throw new Error('clients are written through the client registry, not the provider')
  }
  async findByUid(): Promise<undefined> {
    return undefined
  }
  async findByUserCode(): Promise<undefined> {
    return undefined
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/** Delete expired artifacts and revoked-JWT entries, at most `batch` rows per table; returns rows deleted. */
export async function sweepExpired(db: Queryable, batch = 1000): Promise<number> {
  const a = await db.query(
    `DELETE FROM oidc_artifacts WHERE (model, id) IN (
       SELECT model, id FROM oidc_artifacts WHERE expires_at < now() ORDER BY expires_at LIMIT $1)`,
    [batch],
  )
  const b = await db.query(
    `DELETE FROM revoked_jwts WHERE jti IN (
       SELECT jti FROM revoked_jwts WHERE expires_at < now() ORDER BY expires_at LIMIT $1)`,
    [batch],
  )
  return a.rowCount + b.rowCount
}
