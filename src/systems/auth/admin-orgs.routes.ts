/**
 * The admin API's organisations: create, list, read, rename, delete; their roles (a name and
 * permissions); their members (an account and its roles there, set as a whole by PUT); their
 * invitations by mail. Every change is in the audit log with the token's subject as actor.
 */
import { type Static, Type } from '@sinclair/typebox'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import { decodeCursor, ERRORS, encodeCursor, PageQuery, Problem } from './admin.schemas.js'
import type { Invitation, Invitations } from './invitations.js'
import type { Org, Organisations, Role } from './organisations.js'
import type { AuthParts } from './parts.js'

const Id = Type.String({ minLength: 1, maxLength: 100 })
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })
const Permission = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:*/-]+$' })
const Permissions = Type.Array(Permission, { maxItems: 100 })
const RoleIds = Type.Array(Id, { maxItems: 50 })

const OrgView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
})
const RoleView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  permissions: Type.Array(Type.String()),
})
const MemberView = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  roles: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  since: Type.String({ format: 'date-time' }),
})
const InvitationView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  roleIds: Type.Array(Type.String()),
  status: Type.Union(['pending', 'accepted', 'revoked', 'expired'].map((s) => Type.Literal(s))),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
})

const orgView = (o: Org): Static<typeof OrgView> => ({
  id: o.id,
  name: o.name,
  createdAt: o.createdAt.toISOString(),
})
const roleView = (r: Role) => ({ id: r.id, name: r.name, permissions: r.permissions })
const invitationView = (i: Invitation): Static<typeof InvitationView> => ({
  id: i.id,
  email: i.email,
  roleIds: i.roleIds,
  status: i.status,
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
})

const OrgParams = Type.Object({ id: Id })
const RoleParams = Type.Object({ id: Id, roleId: Id })
const MemberParams = Type.Object({ id: Id, userId: Id })
const InvitationParams = Type.Object({ id: Id, invitationId: Id })
const closed = { additionalProperties: false }
type Cursor = { createdUs: string; id: string }
const isCursor = (v: unknown): v is Cursor =>
  typeof v === 'object' &&
  v !== null &&
  /^\d{1,20}$/.test(String((v as Cursor).createdUs)) &&
  typeof (v as Cursor).createdUs === 'string' &&
  typeof (v as Cursor).id === 'string' &&
  (v as Cursor).id.length <= 100

/** Routes under /auth/admin/orgs. */
export function adminOrgRoutes(app: TypedApp, p: AuthParts, invitations: Invitations): void {
  const orgs: Organisations = p.orgs
  const r404 = { 404: Problem, ...ERRORS }

  app.post(
    '/orgs',
    {
      schema: {
        summary: 'Create an organisation',
        body: Type.Object({ name: Name }, closed),
        response: { 201: OrgView, ...ERRORS },
      },
    },
    async (req, reply) => reply.code(201).send(orgView(await orgs.create(req.body.name, req.principal!.sub))),
  )

  app.get(
    '/orgs',
    {
      schema: {
        summary: 'List organisations',
        description: 'Oldest first, in cursor pages.',
        querystring: PageQuery,
        response: {
          200: Type.Object({ items: Type.Array(OrgView), nextCursor: Type.Optional(Type.String()) }),
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50
      const rows = await orgs.page({ after: decodeCursor(req.query.cursor, isCursor), limit: limit + 1 })
      const page = rows.slice(0, limit)
      return {
        items: page.map((r) => orgView(r.org)),
        ...(rows.length > limit && { nextCursor: encodeCursor(page.at(-1)!.cursor) }),
      }
    },
  )

  app.get(
    '/orgs/:id',
    { schema: { summary: 'Read an organisation', params: OrgParams, response: { 200: OrgView, ...r404 } } },
    async (req) => orgView(await orgs.get(req.params.id)),
  )

  app.patch(
    '/orgs/:id',
    {
      schema: {
        summary: 'Rename an organisation',
        params: OrgParams,
        body: Type.Object({ name: Name }, closed),
        response: { 200: OrgView, ...r404 },
      },
    },
    async (req) => orgView(await orgs.rename(req.params.id, req.body.name, req.principal!.sub)),
  )

  app.delete(
    '/orgs/:id',
    {
      schema: {
        summary: 'Delete an organisation',
        description:
          'With its roles, memberships and invitations; tokens already issued run to their expiry.',
        params: OrgParams,
        response: { 204: Type.Null(), ...r404 },
      },
    },
    async (req, reply) => {
      await orgs.delete(req.params.id, req.principal!.sub)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/orgs/:id/roles',
    {
      schema: {
        summary: 'Create a role',
        description: '409 AUTH_ROLE_EXISTS when the organisation has a role of that name.',
        params: OrgParams,
        body: Type.Object({ name: Name, permissions: Permissions }, closed),
        response: { 201: RoleView, 409: Problem, ...r404 },
      },
    },
    async (req, reply) => {
      const role = await orgs.createRole(
        req.params.id,
        req.body.name,
        req.body.permissions,
        req.principal!.sub,
      )
      return reply.code(201).send(roleView(role))
    },
  )

  app.get(
    '/orgs/:id/roles',
    {
      schema: {
        summary: "List an organisation's roles",
        params: OrgParams,
        response: { 200: Type.Object({ items: Type.Array(RoleView) }), ...r404 },
      },
    },
    async (req) => ({ items: (await orgs.roles(req.params.id)).map(roleView) }),
  )

  app.patch(
    '/orgs/:id/roles/:roleId',
    {
      schema: {
        summary: 'Change a role',
        description: "Members' tokens carry the new permissions from their next refresh.",
        params: RoleParams,
        body: Type.Object(
          { name: Type.Optional(Name), permissions: Type.Optional(Permissions) },
          {
            ...closed,
            minProperties: 1,
          },
        ),
        response: { 200: RoleView, 409: Problem, ...r404 },
      },
    },
    async (req) =>
      roleView(await orgs.updateRole(req.params.id, req.params.roleId, req.body, req.principal!.sub)),
  )

  app.delete(
    '/orgs/:id/roles/:roleId',
    { schema: { summary: 'Delete a role', params: RoleParams, response: { 204: Type.Null(), ...r404 } } },
    async (req, reply) => {
      await orgs.deleteRole(req.params.id, req.params.roleId, req.principal!.sub)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/orgs/:id/members',
    {
      schema: {
        summary: "List an organisation's members",
        params: OrgParams,
        response: { 200: Type.Object({ items: Type.Array(MemberView) }), ...r404 },
      },
    },
    async (req) => ({
      items: (await orgs.members(req.params.id)).map((m) => ({ ...m, since: m.since.toISOString() })),
    }),
  )

  app.put(
    '/orgs/:id/members/:userId',
    {
      schema: {
        summary: 'Make an account a member, with exactly these roles',
        description: '400 AUTH_INVALID_ROLE for a role of another organisation; 404 for an unknown account.',
        params: MemberParams,
        body: Type.Object({ roleIds: RoleIds }, closed),
        response: { 204: Type.Null(), ...r404 },
      },
    },
    async (req, reply) => {
      const user = await p.accounts.byId(req.params.userId)
      if (!user) throw new AppError('AUTH_USER_NOT_FOUND', 404, `no account has the id ${req.params.userId}`)
      await orgs.setMember(req.params.id, user.id, req.body.roleIds, req.principal!.sub)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/orgs/:id/members/:userId',
    {
      schema: {
        summary: 'Remove a member',
        description: "The member's refresh tokens for the organisation stop working at their next use.",
        params: MemberParams,
        response: { 204: Type.Null(), ...r404 },
      },
    },
    async (req, reply) => {
      await orgs.removeMember(req.params.id, req.params.userId, req.principal!.sub)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/orgs/:id/invitations',
    {
      schema: {
        summary: 'Invite someone by email',
        description:
          'Mails a link (through the job queue) that makes the account with this email a member with ' +
          'these roles, creating the account if there is none.',
        params: OrgParams,
        body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 320 }), roleIds: RoleIds }, closed),
        response: { 201: InvitationView, ...r404 },
      },
    },
    async (req, reply) => {
      const inv = await invitations.invite(
        req.params.id,
        req.body.email,
        req.body.roleIds,
        req.principal!.sub,
      )
      return reply.code(201).send(invitationView(inv))
    },
  )

  app.get(
    '/orgs/:id/invitations',
    {
      schema: {
        summary: "List an organisation's invitations",
        description: 'Newest first.',
        params: OrgParams,
        response: { 200: Type.Object({ items: Type.Array(InvitationView) }), ...r404 },
      },
    },
    async (req) => ({ items: (await invitations.list(req.params.id)).map(invitationView) }),
  )

  app.delete(
    '/orgs/:id/invitations/:invitationId',
    {
      schema: {
        summary: 'Revoke a pending invitation',
        params: InvitationParams,
        response: { 204: Type.Null(), ...r404 },
      },
    },
    async (req, reply) => {
      await invitations.revoke(req.params.id, req.params.invitationId, req.principal!.sub)
      return reply.code(204).send(null)
    },
  )
}
