/**
 * A system that exists only for the platform's own tests and benchmark:
 * a trivial route, a slow route (graceful shutdown), a validated body
 * (bad-input property tests), and an outbox write. It is never in the
 * registry; tests and `fixture-main.ts` pass it in explicitly.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../errors.js'
import { bool, int } from '../settings.js'
import { defineSystem } from '../system.js'

export const fixtureSystem = defineSystem({
  name: 'fixture',
  description: 'Platform test fixture (never registered)',
  outbox: true,
  migrations: new URL('./fixture-sql/', import.meta.url),
  settings: {
    FIXTURE_MAX_SLOW_MS: int({ default: 30_000, min: 0, max: 600_000, doc: 'longest /fixture/slow delay' }),
    FIXTURE_FLAG: bool({ default: false, doc: 'a boolean, to test settings validation' }),
  },
  async create(ctx) {
    return {
      routes(app) {
        app.get(
          '/ping',
          { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } },
          async () => ({
            ok: true,
          }),
        )
        app.get(
          '/slow',
          { schema: { querystring: Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 600_000 }) }) } },
          async (request) => {
            const ms = Math.min(request.query.ms, ctx.settings.FIXTURE_MAX_SLOW_MS)
            await new Promise((r) => setTimeout(r, ms))
            return { sleptMs: ms }
          },
        )
        app.post(
          '/things',
          {
            schema: {
              body: Type.Object(
                {
                  name: Type.String({ minLength: 1, maxLength: 100 }),
                  count: Type.Integer({ minimum: 0, maximum: 1000 }),
                  tags: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 10 })),
                },
                { additionalProperties: false },
              ),
              response: {
                201: Type.Object({ id: Type.String(), name: Type.String(), count: Type.Integer() }),
              },
            },
          },
          async (request, reply) => {
            const { name, count } = request.body
            if (name === 'taken') throw new AppError('FIXTURE_NAME_TAKEN', 409, 'That name is taken')
            const row = await ctx.db.tx(async (tx) => {
              const { rows } = await tx.query<{ id: string }>(
                'INSERT INTO things (name, count) VALUES ($1, $2) RETURNING id::text',
                [name, count],
              )
              await ctx.outbox!.add(tx, 'fixture.thing-created', { id: rows[0]!.id, name, count })
              return rows[0]!
            })
            return reply.code(201).send({ id: row.id, name, count })
          },
        )
      },
    }
  },
})
