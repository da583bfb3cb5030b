/**
 * What the admin API's routes share: the opaque page cursor, the page query, and the views it
 * answers with (a client never shows its secret's hash, a key never its private members).
 */
import { type Static, Type } from '@sinclair/typebox'
import { AppError } from '../../platform/errors.js'
import type { UserRow } from './accounts.store.pg.js'
import type { ClientRow } from './clients.store.pg.js'

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size' })),
  cursor: Type.Optional(
    Type.String({ maxLength: 500, description: 'the `nextCursor` of the previous page' }),
  ),
})

/** A page cursor as clients see it: base64url JSON, opaque to them. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

/** The position in a cursor; AUTH_INVALID_CURSOR (400) unless `check` accepts what it decodes to. */
export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined) return undefined
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    v = undefined
  }
  if (!check(v)) throw new AppError('AUTH_INVALID_CURSOR', 400, 'cursor is not one this API gave')
  return v
}

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
  },
  { additionalProperties: true, description: 'RFC 9457 problem+json' },
)
/** The refusals every admin route may answer, for its OpenAPI responses. */
export const ERRORS = { 400: Problem, 401: Problem, 403: Problem, 503: Problem }

export const ClientView = Type.Object({
  clientId: Type.String(),
  name: Type.Optional(Type.String()),
  grantTypes: Type.Array(Type.String()),
  redirectUris: Type.Array(Type.String()),
  postLogoutRedirectUris: Type.Array(Type.String()),
  scope: Type.Optional(Type.String()),
  authMethod: Type.String(),
  createdAt: Type.Optional(Type.String({ format: 'date-time' })),
})
export type ClientView = Static<typeof ClientView>

/** A client as the admin API shows it (no secret, not even its hash). */
export function clientView(clientId: string, m: Record<string, unknown>, createdAt?: Date): ClientView {
  return {
    clientId,
    ...(typeof m.client_name === 'string' && { name: m.client_name }),
    grantTypes: (m.grant_types as string[] | undefined) ?? [],
    redirectUris: (m.redirect_uris as string[] | undefined) ?? [],
    postLogoutRedirectUris: (m.post_logout_redirect_uris as string[] | undefined) ?? [],
    ...(typeof m.scope === 'string' && { scope: m.scope }),
    authMethod: String(m.token_endpoint_auth_method ?? 'client_secret_basic'),
    ...(createdAt && { createdAt: createdAt.toISOString() }),
  }
}

export const clientRowView = (r: ClientRow) => clientView(r.clientId, r.metadata, r.createdAt)

export const UserView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  emailVerified: Type.Boolean(),
  name: Type.Union([Type.String(), Type.Null()]),
  admin: Type.Boolean(),
  disabled: Type.Boolean(),
  /** A second factor is required at sign-in (enrolment at the next one if there is none). */
  mfaRequired: Type.Boolean(),
  /** The account has a confirmed TOTP authenticator. */
  mfaEnrolled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
})

/** An account as the admin API shows it (no password hash). */
export function userView(u: UserRow): Static<typeof UserView> {
  return {
    id: u.id,
    email: u.email,
    emailVerified: u.emailVerified,
    name: u.name,
    admin: u.isAdmin,
    disabled: u.disabled,
    mfaRequired: u.mfaRequired,
    mfaEnrolled: u.mfaEnrolledAt !== null,
    createdAt: u.createdAt.toISOString(),
  }
}
