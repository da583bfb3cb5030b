/** Ending tokens: a user revokes the token it calls with (or all its tokens); an operator revokes any user. */
import { Type } from '@sinclair/typebox'
import { bearerMatches } from '../../platform/http/bearer-auth.js'
import type { TypedApp } from '../../platform/http/types.js'
import { ChatError } from './errors.js'
import type { Revocations } from './revocations.js'
import * as S from './schemas.js'
import type { Tokens } from './tokens.js'

export interface RevocationDeps {
  tokens: Tokens
  revocations: Revocations
  /** CHAT_ADMIN_TOKEN: the operator's bearer token for revoking any user; unset: no operator route. */
  adminToken: string | undefined
}

const Revoked = Type.Object({
  revoked: Type.Union([Type.Literal('token'), Type.Literal('user')]),
  user: Type.String(),
  before: Type.Optional(Type.String({ description: 'tokens issued at or before this moment are revoked' })),
})

export function revocationRoutes(app: TypedApp, deps: RevocationDeps): void {
  app.post(
    '/tokens/revoke',
    {
      schema: {
        summary: 'Revoke the token of this request (log out), or with `all` every token of its user',
        description:
          'Every connection open with a revoked token, on any node, gets a CHAT_TOKEN_REVOKED error frame and is closed (WebSocket code 4401).',
        body: Type.Optional(
          Type.Object(
            { all: Type.Optional(Type.Boolean({ default: false })) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: Revoked },
      },
    },
    async (request) => {
      const claims = request.chatClaims!
      if (request.body?.all === true || claims.jti === undefined) {
        // A token without an id can only be revoked with every other token of its user.
        const before = await deps.revocations.revokeUser(claims.user)
        return { revoked: 'user' as const, user: claims.user, before: before.toISOString() }
      }
      await deps.revocations.revokeToken(claims.jti, claims.user, claims.expiresAt)
      return { revoked: 'token' as const, user: claims.user }
    },
  )
}

/**
 * The operator's route, outside the user-token hook: its bearer is CHAT_ADMIN_TOKEN, checked before
 * the body is (register it in a scope of its own: the hook applies to the whole scope).
 */
export function adminRevocationRoutes(app: TypedApp, deps: RevocationDeps): void {
  app.addHook('onRequest', async (request) => {
    if (!deps.adminToken || !bearerMatches(request.headers.authorization, deps.adminToken))
      throw ChatError.unauthenticated(
        deps.adminToken ? 'the operator token (CHAT_ADMIN_TOKEN) is required' : 'CHAT_ADMIN_TOKEN is not set',
      )
  })
  app.post(
    '/admin/revocations',
    {
      schema: {
        summary: 'Revoke every token of a user issued until now (operator; bearer CHAT_ADMIN_TOKEN)',
        body: Type.Object({ user: S.UserName }, { additionalProperties: false }),
        response: { 200: Revoked },
      },
    },
    async (request) => {
      const before = await deps.revocations.revokeUser(request.body.user)
      return { revoked: 'user' as const, user: request.body.user, before: before.toISOString() }
    },
  )
}
