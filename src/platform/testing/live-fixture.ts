/**
 * A second user of platform/live, for the library's own tests (never in the registry): a "board"
 * is a stream kind (`live-fixture.board.<id>`) with an authorization callback (a private board is
 * its owner's: anyone else gets the same 404 as for a missing one) and its own history table
 * (`board_events`, read by offset; `boards.last_offset` is the counter row). Its routes write
 * notes the way every user of the library must: lock the counter row, take the next offsets,
 * insert, commit, then publish (or, with `publish: false`, never: what a node killed between
 * commit and publish leaves for the sweep). It accepts tokens `fixture.<user>` on `/live`.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../errors.js'
import type { LiveEvent } from '../live/index.js'
import { int } from '../settings.js'
import { defineSystem } from '../system.js'

/** A board's event as clients get it. */
export interface NoteEvent extends LiveEvent {
  v: 1
  type: 'note'
  board: number
  offset: number
  note: string
  by: string
}

const notFound = (board: string | number) =>
  new AppError('LIVE_FIXTURE_BOARD_NOT_FOUND', 404, `board ${board} does not exist or you cannot see it`)

const BoardParams = Type.Object({ board: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }) })

export const liveFixture = defineSystem({
  name: 'live-fixture',
  description: 'A second user of platform/live, for its tests (never registered)',
  migrations: new URL('./live-fixture-sql/', import.meta.url),
  settings: {
    LIVE_FIXTURE_SWEEP_MS: int({ default: 1_000, min: 50, max: 60_000, doc: 'the board kind’s sweep' }),
  },
  async create(ctx) {
    const db = ctx.db
    const board = ctx.live.stream<NoteEvent>('board', {
      streamOf: (e) => String(e.board),
      parseId: (raw) => (/^[1-9]\d{0,9}$/.test(raw) ? raw : undefined),
      async authorize(user, id) {
        const { rows } = await db.query<{ owner: string; private: boolean }>(
          'SELECT owner, private FROM boards WHERE id = $1',
          [id],
        )
        const b = rows[0]
        if (!b || (b.private && b.owner !== user)) throw notFound(id)
      },
      history: {
        async heads(ids) {
          const { rows } = await db.query<{ id: string; head: number }>(
            'SELECT id::text, last_offset::float8 AS head FROM boards WHERE id = ANY($1::bigint[])',
            [ids],
          )
          return new Map(rows.map((r) => [r.id, r.head]))
        },
        async read(id, after, upTo, limit) {
          const { rows } = await db.query<NoteEvent>(
            `SELECT 1 AS v, 'note' AS type, board_id::float8 AS board, "offset"::float8 AS "offset", note, by_user AS by
               FROM board_events WHERE board_id = $1 AND "offset" > $2 AND "offset" <= $3
              ORDER BY "offset" LIMIT $4`,
            [id, after, upTo, limit],
          )
          return rows
        },
      },
      sweepMs: ctx.settings.LIVE_FIXTURE_SWEEP_MS,
    })
    ctx.live.acceptTokens(async (token) => {
      const user = /^fixture\.([A-Za-z0-9_-]{1,64})$/.exec(token)?.[1]
      if (!user) throw new AppError('LIVE_FIXTURE_UNAUTHENTICATED', 401, 'not a fixture token')
      return { user, expiresAt: Date.now() + 3_600_000, issuedAt: undefined, jti: undefined }
    })

    return {
      routes(app) {
        app.post(
          '/boards',
          {
            schema: {
              body: Type.Object(
                {
                  id: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
                  owner: Type.String({ minLength: 1, maxLength: 64 }),
                  private: Type.Optional(Type.Boolean()),
                },
                { additionalProperties: false },
              ),
            },
          },
          async (request, reply) => {
            const b = request.body
            await db.query('INSERT INTO boards (id, owner, private) VALUES ($1, $2, $3)', [
              b.id,
              b.owner,
              b.private ?? false,
            ])
            return reply.code(201).send({ id: b.id })
          },
        )
        app.post(
          '/boards/:board/notes',
          {
            schema: {
              params: BoardParams,
              body: Type.Object(
                {
                  notes: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
                    minItems: 1,
                    maxItems: 100,
                  }),
                  by: Type.String({ minLength: 1, maxLength: 64 }),
                  publish: Type.Optional(Type.Boolean()),
                },
                { additionalProperties: false },
              ),
            },
          },
          async (request, reply) => {
            const id = request.params.board
            const { notes, by } = request.body
            // The counter row's lock orders the commits: offset N+1 is never visible before N.
            const events = await db.tx(async (tx) => {
              const { rows } = await tx.query<{ head: number }>(
                'UPDATE boards SET last_offset = last_offset + $2 WHERE id = $1 RETURNING last_offset::float8 AS head',
                [id, notes.length],
              )
              if (!rows[0]) throw notFound(id)
              const first = rows[0].head - notes.length + 1
              const out: NoteEvent[] = notes.map((note, i) => ({
                v: 1,
                type: 'note',
                board: id,
                offset: first + i,
                note,
                by,
              }))
              await tx.query(
                `INSERT INTO board_events (board_id, "offset", note, by_user)
                 SELECT $1, o, n, $4 FROM unnest($2::bigint[], $3::text[]) AS t(o, n)`,
                [id, out.map((e) => e.offset), notes, by],
              )
              return out
            })
            if (request.body.publish !== false) await board.publish(events)
            return reply.code(201).send({ offsets: events.map((e) => e.offset) })
          },
        )
        app.post(
          '/boards/:board/signal',
          {
            schema: {
              params: BoardParams,
              body: Type.Object({
                text: Type.String({ maxLength: 200 }),
                except: Type.Optional(Type.String()),
              }),
            },
          },
          async (request, reply) => {
            const id = request.params.board
            await board.signal(
              String(id),
              { v: 1, type: 'poke', board: id, text: request.body.text },
              request.body.except ? { except: request.body.except } : {},
            )
            return reply.code(202).send({})
          },
        )
        app.delete('/boards/:board', { schema: { params: BoardParams } }, async (request, reply) => {
          const id = request.params.board
          await db.query('DELETE FROM boards WHERE id = $1', [id])
          await board.end(String(id), 'deleted')
          return reply.code(204).send()
        })
      },
    }
  },
})
