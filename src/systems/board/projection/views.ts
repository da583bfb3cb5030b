/**
 * The read model: how each event changes the views (board, lists, cards, activity). One function,
 * `applyEvent`, used by the live projector and by a rebuild alike; the table names are a
 * parameter so a rebuild can fill a second set of tables while the first keeps serving.
 */
import type { Queryable } from '../../../platform/db/port.js'
import { type BoardEvent, cardOf } from '../events/types.js'

/** The views' table names (`suffix` '' for the serving set). */
export interface ViewTables {
  board: string
  list: string
  card: string
  activity: string
}

export const VIEW_BASES = ['board_view', 'list_view', 'card_view', 'activity_view'] as const

export function viewTables(suffix = ''): ViewTables {
  return {
    board: `board_view${suffix}`,
    list: `list_view${suffix}`,
    card: `card_view${suffix}`,
    activity: `activity_view${suffix}`,
  }
}

/** The card's search document: its title and its comments (PostgreSQL full-text, 'simple' config). */
const SEARCH = `search = to_tsvector('simple', title || ' ' ||
  coalesce((SELECT string_agg(c->>'text', ' ') FROM jsonb_array_elements(comments) c), ''))`

/** Apply one event to the views in `t`, in the caller's transaction (with the checkpoint). */
export async function applyEvent(q: Queryable, t: ViewTables, e: BoardEvent): Promise<void> {
  const b = e.board
  const card = async (set: string, params: unknown[], search = false) => {
    await q.query(
      `UPDATE ${t.card} SET ${set}, version = $2, updated_at = $3${search ? `, ${SEARCH}` : ''} WHERE card_id = $1`,
      [(e.data as { cardId: string }).cardId, e.version, e.at, ...params],
    )
  }
  switch (e.type) {
    case 'BoardCreated':
      await q.query(
        `INSERT INTO ${t.board} (board_id, name, owner, members, version, position, created_at, updated_at)
         VALUES ($1, $2, $3, ARRAY[$3], 0, 0, $4, $4)`,
        [b, e.data.name, e.data.owner, e.at],
      )
      break
    case 'BoardRenamed':
      await q.query(`UPDATE ${t.board} SET name = $2 WHERE board_id = $1`, [b, e.data.name])
      break
    case 'BoardArchived':
    case 'BoardRestored':
      await q.query(`UPDATE ${t.board} SET archived = $2 WHERE board_id = $1`, [
        b,
        e.type === 'BoardArchived',
      ])
      break
    case 'MemberAdded':
      await q.query(
        `UPDATE ${t.board} SET members = array_append(array_remove(members, $2), $2) WHERE board_id = $1`,
        [b, e.data.user],
      )
      break
    case 'MemberRemoved':
      await q.query(`UPDATE ${t.board} SET members = array_remove(members, $2) WHERE board_id = $1`, [
        b,
        e.data.user,
      ])
      await q.query(`UPDATE ${t.card} SET assignees = array_remove(assignees, $2) WHERE board_id = $1`, [
        b,
        e.data.user,
      ])
      break
    case 'ListAdded':
      await q.query(`INSERT INTO ${t.list} (list_id, board_id, name, rank) VALUES ($1, $2, $3, $4)`, [
        e.data.listId,
        b,
        e.data.name,
        e.data.rank,
      ])
      break
    case 'ListRenamed':
      await q.query(`UPDATE ${t.list} SET name = $2 WHERE list_id = $1`, [e.data.listId, e.data.name])
      break
    case 'ListArchived':
    case 'ListRestored':
      await q.query(`UPDATE ${t.list} SET archived = $2 WHERE list_id = $1`, [
        e.data.listId,
        e.type === 'ListArchived',
      ])
      break
    case 'CardAdded':
      await q.query(
        `INSERT INTO ${t.card} (card_id, board_id, list_id, title, rank, version, created_by, created_at, updated_at, search)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, to_tsvector('simple', $4))`,
        [e.data.cardId, b, e.data.listId, e.data.title, e.data.rank, e.version, e.actor, e.at],
      )
      break
    case 'CardRenamed':
      await card('title = $4', [e.data.title], true)
      break
    case 'CardMoved':
      await card('list_id = $4, rank = $5', [e.data.toListId, e.data.rank])
      break
    case 'CardArchived':
    case 'CardRestored':
      await card('archived = $4', [e.type === 'CardArchived'])
      break
    case 'CardDueSet':
      await card('due_at = $4', [e.data.dueAt])
      break
    case 'CardLabeled':
      await card('labels = array_append(array_remove(labels, $4), $4)', [e.data.label])
      break
    case 'CardUnlabeled':
      await card('labels = array_remove(labels, $4)', [e.data.label])
      break
    case 'CardAssigned':
      await card('assignees = array_append(array_remove(assignees, $4), $4)', [e.data.user])
      break
    case 'CardUnassigned':
      await card('assignees = array_remove(assignees, $4)', [e.data.user])
      break
    case 'ChecklistItemAdded':
      await card(
        `checklist = checklist || jsonb_build_array(jsonb_build_object('id', $4::text, 'text', $5::text, 'done', false))`,
        [e.data.itemId, e.data.text],
      )
      break
    case 'ChecklistItemChecked':
      await card(
        `checklist = (SELECT coalesce(jsonb_agg(CASE WHEN i->>'id' = $4 THEN jsonb_set(i, '{done}', to_jsonb($5::boolean)) ELSE i END ORDER BY n), '[]')
                        FROM jsonb_array_elements(checklist) WITH ORDINALITY AS x(i, n))`,
        [e.data.itemId, e.data.done],
      )
      break
    case 'ChecklistItemRemoved':
      await card(
        `checklist = (SELECT coalesce(jsonb_agg(i ORDER BY n), '[]') FROM jsonb_array_elements(checklist) WITH ORDINALITY AS x(i, n) WHERE i->>'id' <> $4)`,
        [e.data.itemId],
      )
      break
    case 'CommentAdded':
      await card(
        `comments = comments || jsonb_build_array(jsonb_build_object('id', $4::text, 'text', $5::text, 'by', $6::text, 'at', $8::text, 'mentions', $7::jsonb))`,
        [e.data.commentId, e.data.text, e.actor, JSON.stringify(e.data.mentions), e.at],
        true,
      )
      break
    case 'AttachmentAdded':
      await card(
        `attachments = attachments || jsonb_build_array(jsonb_build_object('id', $4::text, 'url', $5::text, 'name', $6::text))`,
        [e.data.attachmentId, e.data.url, e.data.name],
      )
      break
    case 'AttachmentRemoved':
      await card(
        `attachments = (SELECT coalesce(jsonb_agg(i ORDER BY n), '[]') FROM jsonb_array_elements(attachments) WITH ORDINALITY AS x(i, n) WHERE i->>'id' <> $4)`,
        [e.data.attachmentId],
      )
      break
  }
  await q.query(`UPDATE ${t.board} SET version = $2, position = $3, updated_at = $4 WHERE board_id = $1`, [
    b,
    e.version,
    e.position,
    e.at,
  ])
  const mentions = e.type === 'CommentAdded' ? e.data.mentions : []
  await q.query(
    `INSERT INTO ${t.activity} (position, board_id, card_id, version, type, actor, data, mentions, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [e.position, b, cardOf(e) ?? null, e.version, e.type, e.actor, JSON.stringify(e.data), mentions, e.at],
  )
}
