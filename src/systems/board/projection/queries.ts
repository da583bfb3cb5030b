/**
 * Queries: every read answers from the views, never from the event store. A member sees a
 * board; anyone else gets the same 404 as for a missing one.
 */
import type { Db } from '../../../platform/db/port.js'
import { BoardError } from '../errors.js'
import { viewTables } from './views.js'

const T = viewTables()

interface CardRow {
  card_id: string
  board_id: string
  list_id: string
  title: string
  rank: string
  archived: boolean
  labels: string[]
  assignees: string[]
  due_at: Date | string | null
  checklist: { id: string; text: string; done: boolean }[]
  comments: { id: string; text: string; by: string; at: string; mentions: string[] }[]
  attachments: { id: string; url: string; name: string }[]
  version: string
  created_by: string
  created_at: Date | string
  updated_at: Date | string
}

const iso = (d: Date | string | null) =>
  d === null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString()

/** A card as board views list it (the detail has comments and attachments in full). */
function cardSummary(c: CardRow) {
  return {
    id: c.card_id,
    listId: c.list_id,
    title: c.title,
    rank: c.rank,
    archived: c.archived,
    labels: c.labels,
    assignees: c.assignees,
    dueAt: iso(c.due_at),
    checklist: { done: c.checklist.filter((i) => i.done).length, total: c.checklist.length },
    comments: c.comments.length,
    attachments: c.attachments.length,
  }
}

export class BoardQueries {
  constructor(private readonly db: Db) {}

  /** The board's projected version (0: not projected yet), for read-your-writes waits. */
  async versionOf(board: string): Promise<number> {
    const { rows } = await this.db.query<{ version: string }>(
      `SELECT version FROM ${T.board} WHERE board_id = $1`,
      [board],
    )
    return rows[0] ? Number(rows[0].version) : 0
  }

  /** Throws the 404 unless `user` is a member of `board` (as the views have it). */
  async assertMember(board: string, user: string): Promise<void> {
    const { rows } = await this.db.query(
      `SELECT 1 FROM ${T.board} WHERE board_id = $1 AND $2 = ANY(members)`,
      [board, user],
    )
    if (rows.length === 0) throw BoardError.notFound(board)
  }

  /** The board with its lists and their cards in order; archived ones only when asked. */
  async board(board: string, user: string, archived = false) {
    const { rows } = await this.db.query<{
      board_id: string
      name: string
      owner: string
      members: string[]
      archived: boolean
      version: string
      position: string
      created_at: Date
      updated_at: Date
    }>(`SELECT * FROM ${T.board} WHERE board_id = $1`, [board])
    const b = rows[0]
    if (!b?.members.includes(user)) throw BoardError.notFound(board)
    const lists = await this.db.query<{ list_id: string; name: string; rank: string; archived: boolean }>(
      `SELECT list_id, name, rank, archived FROM ${T.list} WHERE board_id = $1 AND ($2 OR NOT archived) ORDER BY rank, list_id`,
      [board, archived],
    )
    const cards = await this.db.query<CardRow>(
      `SELECT * FROM ${T.card} WHERE board_id = $1 AND ($2 OR NOT archived) ORDER BY rank, card_id`,
      [board, archived],
    )
    const byList = new Map<string, ReturnType<typeof cardSummary>[]>()
    for (const c of cards.rows) {
      const l = byList.get(c.list_id) ?? []
      l.push(cardSummary(c))
      byList.set(c.list_id, l)
    }
    return {
      id: b.board_id,
      name: b.name,
      owner: b.owner,
      members: b.members,
      archived: b.archived,
      version: Number(b.version),
      position: Number(b.position),
      createdAt: iso(b.created_at),
      updatedAt: iso(b.updated_at),
      lists: lists.rows.map((l) => ({
        id: l.list_id,
        name: l.name,
        rank: l.rank,
        archived: l.archived,
        cards: byList.get(l.list_id) ?? [],
      })),
    }
  }

  /** Boards `user` is a member of. */
  async boards(user: string) {
    const { rows } = await this.db.query<{
      board_id: string
      name: string
      archived: boolean
      version: string
    }>(
      `SELECT board_id, name, archived, version FROM ${T.board} WHERE $1 = ANY(members) ORDER BY created_at, board_id LIMIT 1000`,
      [user],
    )
    return rows.map((r) => ({
      id: r.board_id,
      name: r.name,
      archived: r.archived,
      version: Number(r.version),
    }))
  }

  /** One card in full, if `user` is a member of its board. */
  async card(card: string, user: string) {
    const { rows } = await this.db.query<CardRow & { members: string[] }>(
      `SELECT c.*, b.members FROM ${T.card} c JOIN ${T.board} b USING (board_id) WHERE c.card_id = $1`,
      [card],
    )
    const c = rows[0]
    if (!c?.members.includes(user)) throw BoardError.cardNotFound(card)
    return {
      ...cardSummary(c),
      boardId: c.board_id,
      checklist: c.checklist,
      comments: c.comments,
      attachments: c.attachments,
      version: Number(c.version),
      createdBy: c.created_by,
      createdAt: iso(c.created_at),
      updatedAt: iso(c.updated_at),
      description: { doc: `card-${c.card_id}` },
    }
  }

  /** Cards assigned to `user`, on boards they are still a member of. */
  async myCards(user: string) {
    const { rows } = await this.db.query<CardRow>(
      `SELECT c.* FROM ${T.card} c JOIN ${T.board} b USING (board_id)
        WHERE c.assignees @> ARRAY[$1]::text[] AND $1 = ANY(b.members) AND NOT c.archived
        ORDER BY c.due_at NULLS LAST, c.updated_at DESC LIMIT 500`,
      [user],
    )
    return rows.map((c) => ({ ...cardSummary(c), boardId: c.board_id }))
  }

  /** A board's (or one card's) activity, newest first, before version `before`. */
  async activity(
    board: string,
    user: string,
    o: { card?: string | undefined; before?: number | undefined; limit: number },
  ) {
    await this.assertMember(board, user)
    const { rows } = await this.db.query<{
      position: string
      card_id: string | null
      version: string
      type: string
      actor: string
      data: unknown
      at: Date
    }>(
      `SELECT position, card_id, version, type, actor, data, at FROM ${T.activity}
        WHERE board_id = $1 AND ($2::text IS NULL OR card_id = $2) AND version < $3
        ORDER BY version DESC LIMIT $4`,
      [board, o.card ?? null, o.before ?? Number.MAX_SAFE_INTEGER, o.limit],
    )
    return rows.map((r) => ({
      version: Number(r.version),
      position: Number(r.position),
      type: r.type,
      cardId: r.card_id,
      actor: r.actor,
      data: r.data,
      at: iso(r.at),
    }))
  }

  /** Comments that mention `user`, newest first. */
  async mentions(user: string, limit: number) {
    const { rows } = await this.db.query<{
      board_id: string
      card_id: string
      actor: string
      data: { text: string }
      at: Date
      version: string
    }>(
      `SELECT a.board_id, a.card_id, a.actor, a.data, a.at, a.version FROM ${T.activity} a JOIN ${T.board} b USING (board_id)
        WHERE a.mentions @> ARRAY[$1]::text[] AND $1 = ANY(b.members) ORDER BY a.position DESC LIMIT $2`,
      [user, limit],
    )
    return rows.map((r) => ({
      boardId: r.board_id,
      cardId: r.card_id,
      by: r.actor,
      text: r.data.text,
      at: iso(r.at),
      version: Number(r.version),
    }))
  }

  /** Cards whose title or comments match `q` (PostgreSQL full text), on `user`'s boards. */
  async search(user: string, q: string, limit: number) {
    const { rows } = await this.db.query<CardRow & { score: number }>(
      `SELECT c.*, ts_rank(c.search, query) AS score
         FROM ${T.card} c JOIN ${T.board} b USING (board_id), websearch_to_tsquery('simple', $2) AS query
        WHERE $1 = ANY(b.members) AND c.search @@ query AND NOT c.archived
        ORDER BY score DESC, c.card_id LIMIT $3`,
      [user, q, limit],
    )
    return rows.map((c) => ({ ...cardSummary(c), boardId: c.board_id }))
  }
}
