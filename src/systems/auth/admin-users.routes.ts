/**
 * The admin API's accounts: create, list (keyset pages, an email prefix filter), read, change
 * (disable, admin, name, verified), end a lockout, and the account's sessions listed and revoked.
 * Disabling an account also ends its sessions and grants: its refresh tokens stop at once, its
 * JWT access tokens when they expire.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import type { UserCursor } from './accounts.store.pg.js'
import {
  decodeCursor,
  ERRORS,
  encodeCursor,
  PageQuery,
  Problem,
  UserView,
  userView,
} from './admin.schemas.js'
import type { EmailVerifications } from './email-verification.js'
import type { AuthParts } from './parts.js'

const NewUserBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 1000 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    admin: Type.Optional(Type.Boolean()),
    emailVerified: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const PatchUserBody = Type.Object(
  {
    name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    admin: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(Type.Boolean()),
    emailVerified: Type.Optional(Type.Boolean()),
    mfaRequired: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
const SessionParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  uid: Type.String({ minLength: 1, maxLength: 200 }),
})
const SessionView = Type.Object({
  uid: Type.String(),
  loginAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  clients: Type.Array(Type.String()),
})

const notFound = (id: string) => new AppError('AUTH_USER_NOT_FOUND', 404, `no account has the id ${id}`)
const isCursor = (v: unknown): v is UserCursor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as UserCursor).createdUs === 'string' &&
  /^\d{1,20}$/.test((v as UserCursor).createdUs) &&
  typeof (v as UserCursor).id === 'string' &&
  (v as UserCursor).id.length <= 100

/** Routes under /auth/admin/users. */
export function adminUserRoutes(app: TypedApp, p: AuthParts, verifications: EmailVerifications): void {
  const user = async (id: string) => {
    const u = await p.accounts.byId(id)
    if (!u) throw notFound(id)
    return u
  }

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create an account',
        description:
          'The password policy applies (AUTH_INVALID_USER names the field); an email in use is 409.',
        body: NewUserBody,
        response: { 201: UserView, 409: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const b = req.body
      const u = await p.accounts.create(
        {
          email: b.email,
          password: b.password,
          name: b.name,
          isAdmin: b.admin ?? false,
          emailVerified: b.emailVerified ?? false,
        },
        req.principal!.sub,
      )
      // The link goes out after the account is committed; if that fails, POST .../verification resends.
      if (!u.emailVerified) await verifications.send(u.id, req.principal!.sub)
      return reply.code(201).send(userView(u))
    },
  )

  app.get(
    '/users',
    {
      schema: {
        summary: 'List accounts',
        description: 'Oldest first; `email` keeps the accounts whose email starts with it (any case).',
        querystring: Type.Intersect([
          PageQuery,
          Type.Object({ email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })) }),
        ]),
        response: {
          200: Type.Object({ items: Type.Array(UserView), nextCursor: Type.Optional(Type.String()) }),
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50
      const after = decodeCursor(req.query.cursor, isCursor)
      const rows = await p.accounts.page({ after, limit: limit + 1, email: req.query.email })
      const page = rows.slice(0, limit)
      return {
        items: page.map((r) => userView(r.user)),
        ...(rows.length > limit && { nextCursor: encodeCursor(page.at(-1)!.cursor) }),
      }
    },
  )

  app.get(
    '/users/:id',
    {
      schema: {
        summary: 'Read an account',
        params: UserParams,
        response: { 200: UserView, 404: Problem, ...ERRORS },
      },
    },
    async (req) => userView(await user(req.params.id)),
  )

  app.patch(
    '/users/:id',
    {
      schema: {
        summary: 'Change an account',
        description:
          '`disabled: true` refuses its logins and revokes its sessions and grants (refresh tokens) at once. ' +
          '`mfaRequired: true`: an account without a second factor enrols at its next sign-in.',
        params: UserParams,
        body: PatchUserBody,
        response: { 200: UserView, 404: Problem, ...ERRORS },
      },
    },
    async (req) => {
      const b = req.body
      const actor = req.principal!.sub
      const u = await p.accounts.update(req.params.id, {
        ...(b.name !== undefined && { name: b.name }),
        ...(b.admin !== undefined && { isAdmin: b.admin }),
        ...(b.disabled !== undefined && { disabled: b.disabled }),
        ...(b.emailVerified !== undefined && { emailVerified: b.emailVerified }),
        ...(b.mfaRequired !== undefined && { mfaRequired: b.mfaRequired }),
      })
      if (!u) throw notFound(req.params.id)
      if (b.disabled === true) {
        const revoked = await p.sessions.revokeAccount(u.id)
        await p.audit.record({
          event: 'user.disabled',
          userId: u.id,
          actor,
          detail: { artifactsRevoked: revoked },
        })
      } else if (b.disabled === false) await p.audit.record({ event: 'user.enabled', userId: u.id, actor })
      if (b.mfaRequired !== undefined)
        await p.audit.record({
          event: 'user.mfa_required',
          userId: u.id,
          actor,
          detail: { required: b.mfaRequired },
        })
      const fields = Object.keys(b).filter((k) => k !== 'disabled' && k !== 'mfaRequired')
      if (fields.length > 0)
        await p.audit.record({ event: 'user.updated', userId: u.id, actor, detail: { fields } })
      return userView(u)
    },
  )

  app.post(
    '/users/:id/lockout/reset',
    {
      schema: {
        summary: "End an account's login lockout",
        description: "Forgets the account's failed logins; the failures counted for IP addresses stay.",
        params: UserParams,
        response: { 204: Type.Null(), 404: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const u = await user(req.params.id)
      await p.accounts.resetLockout(u.email)
      await p.audit.record({ event: 'user.lockout_reset', userId: u.id, actor: req.principal!.sub })
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/users/:id/mfa',
    {
      schema: {
        summary: "Remove an account's second factor",
        description:
          'Its TOTP authenticator and recovery codes (a lost phone). If a second factor is required, ' +
          'the account enrols again at its next sign-in. 404 AUTH_MFA_NOT_FOUND when it has none.',
        params: UserParams,
        response: { 204: Type.Null(), 404: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const u = await user(req.params.id)
      if (!(await p.mfa.reset(u.id, req.principal!.sub)))
        throw new AppError('AUTH_MFA_NOT_FOUND', 404, 'the account has no second factor')
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/users/:id/verification',
    {
      schema: {
        summary: 'Mail a new email verification link',
        description:
          '202 when a link was sent; 409 AUTH_EMAIL_VERIFIED when the email is verified (or the account disabled).',
        params: UserParams,
        response: { 202: Type.Null(), 404: Problem, 409: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const u = await user(req.params.id)
      if (!(await verifications.send(u.id, req.principal!.sub)))
        throw new AppError(
          'AUTH_EMAIL_VERIFIED',
          409,
          'the email is verified already, or the account is disabled',
        )
      return reply.code(202).send(null)
    },
  )

  app.get(
    '/users/:id/sessions',
    {
      schema: {
        summary: "List an account's sessions",
        description: 'One per browser signed in, newest first, with the clients signed in through it.',
        params: UserParams,
        response: { 200: Type.Object({ items: Type.Array(SessionView) }), 404: Problem, ...ERRORS },
      },
    },
    async (req) => {
      const u = await user(req.params.id)
      const items = (await p.sessions.list(u.id)).map((s) => ({
        uid: s.uid,
        loginAt: s.loginAt.toISOString(),
        expiresAt: s.expiresAt?.toISOString() ?? null,
        clients: s.clients,
      }))
      return { items }
    },
  )

  app.delete(
    '/users/:id/sessions',
    {
      schema: {
        summary: "Revoke all of an account's sessions",
        description: 'And the grants made through them, with their refresh tokens.',
        params: UserParams,
        response: { 200: Type.Object({ revoked: Type.Integer() }), 404: Problem, ...ERRORS },
      },
    },
    async (req) => {
      const u = await user(req.params.id)
      const revoked = await p.sessions.revoke(u.id)
      await p.audit.record({
        event: 'session.revoked',
        userId: u.id,
        actor: req.principal!.sub,
        detail: { count: revoked },
      })
      return { revoked }
    },
  )

  app.delete(
    '/users/:id/sessions/:uid',
    {
      schema: {
        summary: 'Revoke one session',
        params: SessionParams,
        response: { 204: Type.Null(), 404: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const u = await user(req.params.id)
      if ((await p.sessions.revoke(u.id, req.params.uid)) === 0)
        throw new AppError('AUTH_SESSION_NOT_FOUND', 404, `the account has no session ${req.params.uid}`)
      await p.audit.record({
        event: 'session.revoked',
        userId: u.id,
        actor: req.principal!.sub,
        detail: { uid: req.params.uid },
      })
      return reply.code(204).send(null)
    },
  )
}
