/**
 * Organisations: accounts belong to organisations with roles, and roles carry permissions
 * (strings a resource server checks, such as `invoices:read`). A client asks for an organisation
 * with the authorization request's `organization` parameter; consent records it for the grant
 * (`grant_organisations`), and every access token of that grant (code exchange, each refresh)
 * carries `org_id` and the member's permissions there, read when the token is issued: a role
 * change applies at the next refresh, a removed member's refresh fails.
 */
import { randomUUID } from 'node:crypto'
import type { Db, Queryable } from '../../platform/db/port.js'
import { AppError } from '../../platform/errors.js'
import type { AuditLog } from './audit.js'

export interface Org {
  id: string
  name: string
  createdAt: Date
}
export interface Role {
  id: string
  orgId: string
  name: string
  permissions: string[]
}
export interface Member {
  userId: string
  email: string
  roles: { id: string; name: string }[]
  since: Date
}
/** What a token for the organisation carries. */
export interface Membership {
  orgId: string
  roles: string[]
  permissions: string[]
}

export const PERMISSION = /^[A-Za-z0-9_.:*/-]{1,100}$/

export const orgNotFound = (id: string) =>
  new AppError('AUTH_ORG_NOT_FOUND', 404, `no organisation has the id ${id}`)
const roleNotFound = (id: string) =>
  new AppError('AUTH_ROLE_NOT_FOUND', 404, `the organisation has no role ${id}`)

type OrgRow = { id: string; name: string; created_at: Date }
type RoleRow = { id: string; org_id: string; name: string; permissions: string[] }
const toOrg = (r: OrgRow): Org => ({ id: r.id, name: r.name, createdAt: new Date(r.created_at) })
const toRole = (r: RoleRow): Role => ({ id: r.id, orgId: r.org_id, name: r.name, permissions: r.permissions })

export class Organisations {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  async create(name: string, actor?: string): Promise<Org> {
    const id = `org_${randomUUID().replaceAll('-', '')}`
    const { rows } = await this.db.query<OrgRow>(
      'INSERT INTO organisations (id, name) VALUES ($1, $2) RETURNING *',
      [id, name],
    )
    await this.audit.record({ event: 'org.created', actor, detail: { orgId: id } })
    return toOrg(rows[0]!)
  }

  async get(id: string): Promise<Org> {
    const { rows } = await this.db.query<OrgRow>('SELECT * FROM organisations WHERE id = $1', [id])
    if (!rows[0]) throw orgNotFound(id)
    return toOrg(rows[0])
  }

  /** Oldest first, after the keyset position (created_at in microseconds, id). */
  async page(o: { after?: { createdUs: string; id: string } | undefined; limit: number }) {
    const { rows } = await this.db.query<OrgRow & { created_us: string }>(
      `SELECT *, (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us FROM organisations
       WHERE ($1::bigint IS NULL
          OR (created_at, id) > (timestamptz 'epoch' + $1::bigint * interval '1 microsecond', $2::text))
       ORDER BY created_at, id LIMIT $3`,
      [o.after?.createdUs ?? null, o.after?.id ?? null, o.limit],
    )
    return rows.map((r) => ({ org: toOrg(r), cursor: { createdUs: r.created_us, id: r.id } }))
  }

  async rename(id: string, name: string, actor?: string): Promise<Org> {
    const { rows } = await this.db.query<OrgRow>(
      'UPDATE organisations SET name = $2, updated_at = now() WHERE id = $1 RETURNING *',
      [id, name],
    )
    if (!rows[0]) throw orgNotFound(id)
    await this.audit.record({ event: 'org.updated', actor, detail: { orgId: id, fields: ['name'] } })
    return toOrg(rows[0])
  }

  /** Delete it with its roles, memberships and invitations; tokens already issued run to expiry. */
  async delete(id: string, actor?: string): Promise<void> {
    const { rowCount } = await this.db.query('DELETE FROM organisations WHERE id = $1', [id])
    if (rowCount === 0) throw orgNotFound(id)
    await this.audit.record({ event: 'org.deleted', actor, detail: { orgId: id } })
  }

  async createRole(orgId: string, name: string, permissions: string[], actor?: string): Promise<Role> {
    await this.get(orgId)
    const { rows } = await this.db.query<RoleRow>(
      `INSERT INTO org_roles (id, org_id, name, permissions) VALUES ($1, $2, $3, $4)
       ON CONFLICT (org_id, name) DO NOTHING RETURNING *`,
      [`rol_${randomUUID().replaceAll('-', '')}`, orgId, name, [...new Set(permissions)]],
    )
    if (!rows[0]) throw new AppError('AUTH_ROLE_EXISTS', 409, `the organisation has a role named ${name}`)
    await this.audit.record({
      event: 'org.role_created',
      actor,
      detail: { orgId, roleId: rows[0].id, permissions },
    })
    return toRole(rows[0])
  }

  async roles(orgId: string): Promise<Role[]> {
    await this.get(orgId)
    const { rows } = await this.db.query<RoleRow>(
      'SELECT * FROM org_roles WHERE org_id = $1 ORDER BY name, id',
      [orgId],
    )
    return rows.map(toRole)
  }

  async updateRole(
    orgId: string,
    roleId: string,
    patch: { name?: string | undefined; permissions?: string[] | undefined },
    actor?: string,
  ): Promise<Role> {
    await this.get(orgId)
    let rows: RoleRow[]
    try {
      ;({ rows } = await this.db.query<RoleRow>(
        `UPDATE org_roles SET name = coalesce($3, name), permissions = coalesce($4, permissions)
         WHERE org_id = $1 AND id = $2 RETURNING *`,
        [orgId, roleId, patch.name ?? null, patch.permissions ? [...new Set(patch.permissions)] : null],
      ))
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new AppError('AUTH_ROLE_EXISTS', 409, `the organisation has a role named ${patch.name}`)
      throw err
    }
    if (!rows[0]) throw roleNotFound(roleId)
    await this.audit.record({
      event: 'org.role_updated',
      actor,
      detail: { orgId, roleId, fields: Object.keys(patch) },
    })
    return toRole(rows[0])
  }

  async deleteRole(orgId: string, roleId: string, actor?: string): Promise<void> {
    await this.get(orgId)
    const { rowCount } = await this.db.query('DELETE FROM org_roles WHERE org_id = $1 AND id = $2', [
      orgId,
      roleId,
    ])
    if (rowCount === 0) throw roleNotFound(roleId)
    await this.audit.record({ event: 'org.role_deleted', actor, detail: { orgId, roleId } })
  }

  async members(orgId: string): Promise<Member[]> {
    await this.get(orgId)
    const { rows } = await this.db.query<{
      user_id: string
      email: string
      created_at: Date
      roles: { id: string; name: string }[] | null
    }>(
      `SELECT m.user_id, u.email, m.created_at,
         (SELECT json_agg(json_build_object('id', r.id, 'name', r.name) ORDER BY r.name)
            FROM org_member_roles mr JOIN org_roles r ON r.id = mr.role_id
           WHERE mr.org_id = m.org_id AND mr.user_id = m.user_id) AS roles
       FROM org_members m JOIN users u ON u.id = m.user_id
       WHERE m.org_id = $1 ORDER BY m.created_at, m.user_id LIMIT 1000`,
      [orgId],
    )
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      roles: r.roles ?? [],
      since: new Date(r.created_at),
    }))
  }

  /**
   * Make `userId` a member with exactly `roleIds` (which must be the organisation's), in `tx` when
   * given (an invitation's acceptance). AUTH_INVALID_ROLE (400) names a role of no such org.
   */
  async setMember(orgId: string, userId: string, roleIds: string[], actor?: string, tx?: Queryable) {
    const run = async (q: Queryable) => {
      const { rows: org } = await q.query('SELECT 1 FROM organisations WHERE id = $1 FOR SHARE', [orgId])
      if (!org[0]) throw orgNotFound(orgId)
      const ids = [...new Set(roleIds)]
      const { rows: known } = await q.query<{ id: string }>(
        'SELECT id FROM org_roles WHERE org_id = $1 AND id = ANY($2::text[])',
        [orgId, ids],
      )
      const unknown = ids.filter((id) => !known.some((k) => k.id === id))
      if (unknown.length > 0)
        throw new AppError('AUTH_INVALID_ROLE', 400, `not roles of the organisation: ${unknown.join(', ')}`)
      await q.query('INSERT INTO org_members (org_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        orgId,
        userId,
      ])
      await q.query('DELETE FROM org_member_roles WHERE org_id = $1 AND user_id = $2', [orgId, userId])
      await q.query(
        'INSERT INTO org_member_roles (org_id, user_id, role_id) SELECT $1, $2, unnest($3::text[])',
        [orgId, userId, ids],
      )
      await this.audit.record({ event: 'org.member_set', userId, actor, detail: { orgId, roleIds: ids } }, q)
    }
    if (tx) return run(tx)
    return this.db.tx(run)
  }

  async removeMember(orgId: string, userId: string, actor?: string): Promise<void> {
    await this.get(orgId)
    const { rowCount } = await this.db.query('DELETE FROM org_members WHERE org_id = $1 AND user_id = $2', [
      orgId,
      userId,
    ])
    if (rowCount === 0)
      throw new AppError('AUTH_MEMBER_NOT_FOUND', 404, `the account ${userId} is not a member of ${orgId}`)
    await this.audit.record({ event: 'org.member_removed', userId, actor, detail: { orgId } })
  }

  /** The account's roles and permissions in the organisation; undefined when it is not a member. */
  async membership(orgId: string, userId: string): Promise<Membership | undefined> {
    const { rows } = await this.db.query<{ roles: string[] | null; permissions: string[] | null }>(
      `SELECT array_agg(DISTINCT r.name) FILTER (WHERE r.id IS NOT NULL) AS roles,
              (SELECT array_agg(DISTINCT p ORDER BY p) FROM org_member_roles mr2
                 JOIN org_roles r2 ON r2.id = mr2.role_id, unnest(r2.permissions) AS p
                WHERE mr2.org_id = m.org_id AND mr2.user_id = m.user_id) AS permissions
       FROM org_members m
       LEFT JOIN org_member_roles mr ON mr.org_id = m.org_id AND mr.user_id = m.user_id
       LEFT JOIN org_roles r ON r.id = mr.role_id
       WHERE m.org_id = $1 AND m.user_id = $2
       GROUP BY m.org_id, m.user_id`,
      [orgId, userId],
    )
    if (!rows[0]) return undefined
    return { orgId, roles: (rows[0].roles ?? []).sort(), permissions: rows[0].permissions ?? [] }
  }

  /** Record the organisation a grant was given for (at consent). */
  async setGrantOrg(grantId: string, orgId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO grant_organisations (grant_id, org_id) VALUES ($1, $2)
       ON CONFLICT (grant_id) DO UPDATE SET org_id = $2, created_at = now()`,
      [grantId, orgId],
    )
  }

  /** The organisation a grant was given for, if any. */
  async grantOrg(grantId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ org_id: string }>(
      'SELECT org_id FROM grant_organisations WHERE grant_id = $1',
      [grantId],
    )
    return rows[0]?.org_id
  }

  /** Forget the organisations of grants that no longer exist (the sweeper). */
  async sweepGrants(): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM grant_organisations g WHERE created_at < now() - interval '1 minute'
         AND NOT EXISTS (SELECT 1 FROM oidc_artifacts a WHERE a.model = 'Grant' AND a.id = g.grant_id)`,
    )
    return rowCount
  }
}
