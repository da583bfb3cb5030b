/** The operator's routes (BOARD_ADMIN_TOKEN): rebuild the views from the log, and the projector's state. */
import { Type } from '@sinclair/typebox'
import type { Db } from '../../platform/db/port.js'
import type { TypedApp } from '../../platform/http/types.js'
import type { Logger } from '../../platform/telemetry/logger.js'
import { BoardError } from './errors.js'
import { rebuildViews } from './projection/rebuild.js'

export interface AdminDeps {
  db: Db
  log: Logger
  adminToken: string | undefined
}

export function adminRoutes(app: TypedApp, d: AdminDeps): void {
  let running = false
  app.addHook('onRequest', async (request) => {
    const auth = request.headers.authorization
    if (!d.adminToken || auth !== `Bearer ${d.adminToken}`)
      throw new BoardError(
        'BOARD_ADMIN_REQUIRED',
        401,
        'this route needs the operator token (BOARD_ADMIN_TOKEN)',
      )
  })
  app.post(
    '/admin/projections/rebuild',
    {
      schema: {
        summary: 'Rebuild every view from the event log while the old ones serve, then swap them in',
        response: { 200: Type.Object({ events: Type.Integer() }) },
      },
    },
    async () => {
      if (running)
        throw new BoardError('BOARD_REBUILD_RUNNING', 409, 'a rebuild is already running on this node')
      running = true
      try {
        return await rebuildViews(d.db, d.log)
      } finally {
        running = false
      }
    },
  )
  app.get(
    '/admin/projections',
    { schema: { summary: 'The projectors’ checkpoints and how far behind the log they are' } },
    async () => {
      const { rows } = await d.db.query<{
        name: string
        position: string
        events: string
        behind: string
        updated_at: Date
      }>(
        `SELECT c.name, c.position, c.events, c.updated_at,
              (SELECT count(*) FROM events e WHERE (e.tx, e.position) > (c.tx, c.position)) AS behind
         FROM checkpoints c ORDER BY c.name`,
      )
      return {
        projections: rows.map((r) => ({
          name: r.name,
          position: Number(r.position),
          events: Number(r.events),
          behind: Number(r.behind),
          updatedAt: new Date(r.updated_at).toISOString(),
        })),
      }
    },
  )
}
