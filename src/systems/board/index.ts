/**
 * The collaborative task board: event-sourced (the log in `events` is the truth), CQRS (every
 * screen reads a projection of it), live for every viewer (platform/live), with card
 * descriptions edited together (Yjs). This file wires the parts: event store -> command handler
 * -> projector and queries -> live stream -> routes. Read README.md first.
 */
import { verifierFromSettings } from '../../platform/auth/index.js'
import { defineSystem } from '../../platform/system.js'
import { adminRoutes } from './admin.routes.js'
import { boardRoutes, publicRoutes } from './boards.routes.js'
import { cardRoutes } from './cards.routes.js'
import { CommandHandler } from './commands.js'
import { member } from './domain/decide.js'
import { BoardError } from './errors.js'
import { EventStore } from './events/store.js'
import { authHook, type RouteDeps } from './http.js'
import { boardStream, type LiveBoardEvent, liveEvent } from './live.js'
import { boardMetrics } from './metrics.js'
import { documentAdmin, documentSecurity } from './openapi.js'
import { Projector } from './projection/projector.js'
import { BoardQueries } from './projection/queries.js'
import { viewTables } from './projection/views.js'
import { settings } from './settings.js'
import { BoardTokens } from './tokens.js'
import { YjsDocStore } from './yjs/doc-store.js'
import { YjsRooms } from './yjs/rooms.js'
import { yjsRoutes } from './yjs/yjs.routes.js'

export default defineSystem({
  name: 'board',
  description:
    'Collaborative task board: event-sourced, CQRS projections, live for every viewer, rich text on Yjs',
  migrations: new URL('./sql/', import.meta.url),
  settings,

  async create(ctx) {
    const s = ctx.settings
    const store = new EventStore(ctx.db)
    const commands = new CommandHandler(
      ctx.db,
      store,
      {
        maxAttempts: s.BOARD_COMMAND_ATTEMPTS,
        snapshotEvery: s.BOARD_SNAPSHOT_EVERY,
        cacheBoards: s.BOARD_CACHE_BOARDS,
      },
      ctx.log,
    )
    const projector = new Projector(
      ctx.db,
      {
        name: 'views',
        tables: viewTables(),
        batch: s.BOARD_PROJECTOR_BATCH,
        pollMs: s.BOARD_PROJECTOR_POLL_MS,
      },
      ctx.log,
    )
    projector.observeLag = boardMetrics(ctx.metrics.registry, commands, projector)
    const oidc = verifierFromSettings(s, () => ctx.publicUrl())
    const tokens = await BoardTokens.open(ctx.db, s.BOARD_TOKEN_TTL_S, oidc)
    const queries = new BoardQueries(ctx.db)

    const stream = ctx.live.stream<LiveBoardEvent>(
      'board',
      boardStream({
        store,
        // Who may watch: the aggregate's members (the write side knows them at once; the views may lag).
        member: async (user, board) => void member(await commands.load(board), user),
        sweepMs: s.BOARD_SWEEP_MS,
      }),
    )
    ctx.live.acceptTokens((token) => tokens.verify(token))
    commands.onCommitted = (events) => {
      if (s.BOARD_PROJECTOR) projector.wake()
      stream
        .publish(events.map(liveEvent))
        .catch((err) => ctx.log.warn({ err }, 'board events not published (the sweep will)'))
    }

    const yjs = new YjsRooms(
      new YjsDocStore(ctx.db),
      {
        maxMessageBytes: s.BOARD_YJS_MAX_MESSAGE_BYTES,
        maxDocBytes: s.BOARD_YJS_MAX_DOC_BYTES,
        compactEvery: s.BOARD_YJS_COMPACT_EVERY,
      },
      ctx.log,
    )
    /** A card description is open to the members of the card's board. */
    const authorizeDoc = async (user: string, doc: string) => {
      const board = await commands.boardOf('card', doc.slice('card-'.length))
      if (!board) throw BoardError.cardNotFound(doc)
      member(await commands.load(board), user)
    }

    const deps: RouteDeps = {
      commands,
      queries,
      tokens,
      projector,
      limits: {
        maxLists: s.BOARD_MAX_LISTS,
        maxCards: s.BOARD_MAX_CARDS,
        maxMembers: s.BOARD_MAX_MEMBERS,
        maxItemsPerCard: s.BOARD_MAX_ITEMS_PER_CARD,
      },
      readWaitMs: s.BOARD_READ_WAIT_MS,
      devTokens: s.BOARD_DEV_TOKENS,
      async viewing(board, user, cardId) {
        const state = member(await commands.load(board), user)
        if (cardId !== null && !state.cards[cardId]) throw BoardError.cardNotFound(cardId)
        await stream.signal(
          board,
          { v: 1, type: 'viewing', board, user, cardId, at: new Date().toISOString() },
          { except: user },
        )
      },
    }

    return {
      async routes(app) {
        publicRoutes(app, deps)
        await yjsRoutes(app, {
          rooms: yjs,
          tokens,
          authorize: authorizeDoc,
          maxMessageBytes: s.BOARD_YJS_MAX_MESSAGE_BYTES,
        })
        await app.register(async (api) => {
          api.addHook('onRequest', authHook(tokens))
          api.addHook('onRoute', documentSecurity)
          boardRoutes(api, deps)
          cardRoutes(api, deps)
        })
        await app.register(async (admin) => {
          admin.addHook('onRoute', documentAdmin)
          adminRoutes(admin, { db: ctx.db, log: ctx.log, adminToken: s.BOARD_ADMIN_TOKEN })
        })
      },
      workers: s.BOARD_PROJECTOR
        ? [{ name: 'board:projector', start: async () => projector.start(), stop: () => projector.stop() }]
        : [],
    }
  },
})
