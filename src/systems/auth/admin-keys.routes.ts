/**
 * The admin API's signing keys (listed without their private members, rotated) and grants
 * (revoked with everything issued under them).
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import { ERRORS, Problem } from './admin.schemas.js'
import type { AuthParts } from './parts.js'

const KeyView = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  state: Type.Union([Type.Literal('next'), Type.Literal('current'), Type.Literal('retired')]),
  createdAt: Type.String({ format: 'date-time' }),
  activatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  publishUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})
const Rotation = Type.Object({ retired: Type.String(), current: Type.String(), next: Type.String() })

/** Routes under /auth/admin/keys and /auth/admin/grants. */
export function adminKeyRoutes(app: TypedApp, p: AuthParts): void {
  app.get(
    '/keys',
    {
      schema: {
        summary: 'List signing keys',
        description:
          'The current key (signs), the next one (published, not signing yet) and retired ones still published.',
        response: { 200: Type.Object({ items: Type.Array(KeyView) }), ...ERRORS },
      },
    },
    async () => ({
      items: (await p.keys.list()).map((k) => ({
        kid: k.kid,
        alg: k.alg,
        state: k.state,
        createdAt: k.createdAt.toISOString(),
        activatedAt: k.activatedAt?.toISOString() ?? null,
        publishUntil: k.publishUntil?.toISOString() ?? null,
      })),
    }),
  )

  app.post(
    '/keys/rotate',
    {
      schema: {
        summary: 'Rotate the signing keys',
        description:
          'The next key signs from now on, the current one retires (published until its tokens expire), a new next key is published. 409 AUTH_KEY_NEXT_TOO_NEW while the next key has been published for less than AUTH_KEY_PUBLISH_LEAD_S, unless `force` (a leaked key).',
        body: Type.Optional(
          Type.Object({ force: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        ),
        response: { 200: Rotation, 409: Problem, ...ERRORS },
      },
    },
    async (req) => p.rotateKeys(req.body?.force ?? false, req.principal!.sub),
  )

  app.delete(
    '/grants/:grantId',
    {
      schema: {
        summary: 'Revoke a grant',
        description:
          "A user's consent to a client: its refresh tokens stop at once, its JWT access tokens when they expire.",
        params: Type.Object({ grantId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 204: Type.Null(), 404: Problem, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { grantId } = req.params
      if (!(await p.sessions.revokeGrant(grantId)))
        throw new AppError('AUTH_GRANT_NOT_FOUND', 404, `no grant has the id ${grantId}`)
      await p.audit.record({
        event: 'grant.revoked',
        actor: req.principal!.sub,
        detail: { grantId, route: 'admin' },
      })
      return reply.code(204).send(null)
    },
  )
}
