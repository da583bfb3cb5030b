/**
 * The board aggregate: the state a command is validated against, folded from the board's events.
 * Plain JSON (records and arrays) so that a snapshot is the state itself. Only what decisions need
 * is kept here; what screens show lives in the projections.
 */
import type { BoardEvent, DraftEvent } from '../events/types.js'

export interface CardState {
  listId: string
  rank: string
  archived: boolean
  labels: string[]
  assignees: string[]
  checklist: string[]
  attachments: string[]
  comments: number
}

export interface ListState {
  name: string
  rank: string
  archived: boolean
}

export interface BoardState {
  id: string
  /** The stream version this state includes (0: the board does not exist). */
  version: number
  name: string
  owner: string
  members: string[]
  archived: boolean
  lists: Record<string, ListState>
  cards: Record<string, CardState>
}

/** The state of a board before its first event. */
export function emptyBoard(id: string): BoardState {
  return { id, version: 0, name: '', owner: '', members: [], archived: false, lists: {}, cards: {} }
}

const without = (xs: string[], x: string) => xs.filter((y) => y !== x)
const withOne = (xs: string[], x: string) => (xs.includes(x) ? xs : [...xs, x])

/** Apply one event to the state (mutating it: the state is the caller's own copy). */
export function evolve(s: BoardState, e: DraftEvent & { version?: number }): BoardState {
  if (e.version !== undefined) s.version = e.version
  const card = (id: string) => s.cards[id]!
  switch (e.type) {
    case 'BoardCreated':
      s.name = e.data.name
      s.owner = e.data.owner
      s.members = [e.data.owner]
      break
    case 'BoardRenamed':
      s.name = e.data.name
      break
    case 'BoardArchived':
      s.archived = true
      break
    case 'BoardRestored':
      s.archived = false
      break
    case 'MemberAdded':
      s.members = withOne(s.members, e.data.user)
      break
    case 'MemberRemoved':
      s.members = without(s.members, e.data.user)
      break
    case 'ListAdded':
      s.lists[e.data.listId] = { name: e.data.name, rank: e.data.rank, archived: false }
      break
    case 'ListRenamed':
      s.lists[e.data.listId]!.name = e.data.name
      break
    case 'ListArchived':
      s.lists[e.data.listId]!.archived = true
      break
    case 'ListRestored':
      s.lists[e.data.listId]!.archived = false
      break
    case 'CardAdded':
      s.cards[e.data.cardId] = {
        listId: e.data.listId,
        rank: e.data.rank,
        archived: false,
        labels: [],
        assignees: [],
        checklist: [],
        attachments: [],
        comments: 0,
      }
      break
    case 'CardRenamed':
    case 'CardDueSet':
      break
    case 'CardMoved':
      card(e.data.cardId).listId = e.data.toListId
      card(e.data.cardId).rank = e.data.rank
      break
    case 'CardArchived':
      card(e.data.cardId).archived = true
      break
    case 'CardRestored':
      card(e.data.cardId).archived = false
      break
    case 'CardLabeled':
      card(e.data.cardId).labels = withOne(card(e.data.cardId).labels, e.data.label)
      break
    case 'CardUnlabeled':
      card(e.data.cardId).labels = without(card(e.data.cardId).labels, e.data.label)
      break
    case 'CardAssigned':
      card(e.data.cardId).assignees = withOne(card(e.data.cardId).assignees, e.data.user)
      break
    case 'CardUnassigned':
      card(e.data.cardId).assignees = without(card(e.data.cardId).assignees, e.data.user)
      break
    case 'ChecklistItemAdded':
      card(e.data.cardId).checklist = withOne(card(e.data.cardId).checklist, e.data.itemId)
      break
    case 'ChecklistItemChecked':
      break
    case 'ChecklistItemRemoved':
      card(e.data.cardId).checklist = without(card(e.data.cardId).checklist, e.data.itemId)
      break
    case 'CommentAdded':
      card(e.data.cardId).comments++
      break
    case 'AttachmentAdded':
      card(e.data.cardId).attachments = withOne(card(e.data.cardId).attachments, e.data.attachmentId)
      break
    case 'AttachmentRemoved':
      card(e.data.cardId).attachments = without(card(e.data.cardId).attachments, e.data.attachmentId)
      break
  }
  return s
}

/** Fold `events` onto `state` (a copy is made: the argument is not changed). */
export function fold(state: BoardState, events: BoardEvent[]): BoardState {
  const s = structuredClone(state)
  for (const e of events) evolve(s, e)
  return s
}
