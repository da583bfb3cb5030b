/** The admin API's audit log query: filters by actor, user, event types and time, newest first, cursor pages. */
import { Type } from '@sinclair/typebox'
import { invalidParams } from '../../platform/errors.js'
import type { TypedApp } from '../../platform/http/types.js'
import { decodeCursor, ERRORS, encodeCursor } from './admin.schemas.js'
import type { AuthParts } from './parts.js'

const Query = Type.Object({
  actor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 320,
      description: 'who caused the event (an admin token subject, a user id, a client id)',
    }),
  ),
  user: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'the account the event is about' }),
  ),
  event: Type.Optional(
    Type.String({
      maxLength: 1000,
      pattern: '^[a-z_]+\\.[a-z_]+(,[a-z_]+\\.[a-z_]+)*$',
      description: 'event types, comma-separated (`login.failed,login.locked`)',
    }),
  ),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'events at or after (RFC 3339)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'events before (RFC 3339)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(
    Type.String({ maxLength: 100, description: 'the `nextCursor` of the previous page' }),
  ),
})
const Entry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  event: Type.String(),
  actor: Type.Optional(Type.String()),
  userId: Type.Optional(Type.String()),
  clientId: Type.Optional(Type.String()),
  ip: Type.Optional(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
})

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0

/** GET /auth/admin/audit. */
export function adminAuditRoutes(app: TypedApp, p: AuthParts): void {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Query the audit log',
        description:
          'Security events (logins, failures, lockouts, token reuse, key rotations, admin changes), newest first. Filters combine; `nextCursor` is absent on the last page. A page is stable under new events: they are newer than any cursor.',
        querystring: Query,
        response: {
          200: Type.Object({ items: Type.Array(Entry), nextCursor: Type.Optional(Type.String()) }),
          ...ERRORS,
        },
      },
    },
    async (req) => {
      const q = req.query
      const from = q.from === undefined ? undefined : new Date(q.from)
      const to = q.to === undefined ? undefined : new Date(q.to)
      if (from && to && from > to)
        throw invalidParams('AUTH_INVALID_QUERY', 400, [{ name: 'from', reason: 'is after to' }])
      const limit = q.limit ?? 100
      const rows = await p.audit.query({
        actor: q.actor,
        userId: q.user,
        events: q.event?.split(','),
        from,
        to,
        before: decodeCursor(q.cursor, isId),
        limit: limit + 1,
      })
      const items = rows
        .slice(0, limit)
        .map((r) => ({ ...r, at: r.at.toISOString(), detail: r.detail ?? {} }))
      return { items, ...(rows.length > limit && { nextCursor: encodeCursor(items.at(-1)!.id) }) }
    },
  )
}
