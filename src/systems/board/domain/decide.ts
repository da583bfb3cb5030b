/**
 * Commands: each one is checked against the board's current state and, if valid, decides the
 * events it appends. Pure functions of (state, actor, input): no I/O, so a command retried after
 * a version conflict simply decides again on the newer state.
 */

import { BoardError } from '../errors.js'
import type { DraftEvent } from '../events/types.js'
import { type Placement, rankFor } from './ordering.js'
import { type BoardState, type CardState, evolve } from './state.js'

/** What a command appends and what its caller is told (ids it created). */
export interface Decision {
  events: DraftEvent[]
  result: Record<string, string>
}

export interface Limits {
  maxLists: number
  maxCards: number
  maxMembers: number
  maxItemsPerCard: number
}

/** The command's board, visible to `actor` (a member), or the 404 a missing board gets. */
export function member(s: BoardState, actor: string): BoardState {
  if (s.version === 0 || !s.members.includes(actor)) throw BoardError.notFound(s.id)
  return s
}

function writable(s: BoardState, actor: string): BoardState {
  member(s, actor)
  if (s.archived) throw BoardError.archived('board', s.id)
  return s
}

function liveList(s: BoardState, listId: string) {
  const l = s.lists[listId]
  if (!l) throw BoardError.listNotFound(listId)
  if (l.archived) throw BoardError.archived('list', listId)
  return l
}

function cardOf(s: BoardState, cardId: string): CardState {
  const c = s.cards[cardId]
  if (!c) throw BoardError.cardNotFound(cardId)
  return c
}

function liveCard(s: BoardState, cardId: string): CardState {
  const c = cardOf(s, cardId)
  if (c.archived) throw BoardError.archived('card', cardId)
  return c
}

const one = (e: DraftEvent, result: Record<string, string> = {}): Decision => ({ events: [e], result })
const none = (result: Record<string, string> = {}): Decision => ({ events: [], result })

/** The siblings a card is ranked among: the cards of `listId`, `except` one. */
function cardsIn(s: BoardState, listId: string, except?: string) {
  return Object.entries(s.cards)
    .filter(([id, c]) => c.listId === listId && id !== except)
    .map(([id, c]) => ({ id, rank: c.rank, archived: c.archived }))
}

export function createBoard(s: BoardState, actor: string, name: string): Decision {
  if (s.version !== 0) throw BoardError.positionStale(`board ${s.id} exists already`)
  return one({ type: 'BoardCreated', data: { name, owner: actor } }, { id: s.id })
}

export function renameBoard(s: BoardState, actor: string, name: string): Decision {
  writable(s, actor)
  return s.name === name ? none() : one({ type: 'BoardRenamed', data: { name } })
}

export function archiveBoard(s: BoardState, actor: string, archived: boolean): Decision {
  member(s, actor)
  if (s.owner !== actor) throw BoardError.forbidden('only the board owner archives or restores it')
  if (s.archived === archived) return none()
  return one(archived ? { type: 'BoardArchived', data: {} } : { type: 'BoardRestored', data: {} })
}

export function addMember(s: BoardState, actor: string, user: string, limits: Limits): Decision {
  writable(s, actor)
  if (s.members.includes(user)) return none()
  if (s.members.length >= limits.maxMembers)
    throw BoardError.limit(`a board has at most ${limits.maxMembers} members`)
  return one({ type: 'MemberAdded', data: { user } })
}

export function removeMember(s: BoardState, actor: string, user: string): Decision {
  writable(s, actor)
  if (user === s.owner) throw BoardError.forbidden('the owner cannot be removed from the board')
  if (actor !== s.owner && actor !== user) throw BoardError.forbidden('only the owner removes other members')
  return s.members.includes(user) ? one({ type: 'MemberRemoved', data: { user } }) : none()
}

export function addList(
  s: BoardState,
  actor: string,
  listId: string,
  name: string,
  limits: Limits,
): Decision {
  writable(s, actor)
  const lists = Object.entries(s.lists).map(([id, l]) => ({ id, rank: l.rank, archived: l.archived }))
  if (lists.length >= limits.maxLists) throw BoardError.limit(`a board has at most ${limits.maxLists} lists`)
  const rank = rankFor(lists, {}, 'list')
  return one({ type: 'ListAdded', data: { listId, name, rank } }, { id: listId })
}

export function renameList(s: BoardState, actor: string, listId: string, name: string): Decision {
  writable(s, actor)
  const l = liveList(s, listId)
  return l.name === name ? none() : one({ type: 'ListRenamed', data: { listId, name } })
}

export function archiveList(s: BoardState, actor: string, listId: string, archived: boolean): Decision {
  writable(s, actor)
  const l = s.lists[listId]
  if (!l) throw BoardError.listNotFound(listId)
  if (l.archived === archived) return none()
  return one(
    archived ? { type: 'ListArchived', data: { listId } } : { type: 'ListRestored', data: { listId } },
  )
}

export function addCard(
  s: BoardState,
  actor: string,
  listId: string,
  cardId: string,
  title: string,
  place: Placement,
  limits: Limits,
): Decision {
  writable(s, actor)
  liveList(s, listId)
  if (Object.keys(s.cards).length >= limits.maxCards)
    throw BoardError.limit(`a board has at most ${limits.maxCards} cards`)
  const rank = rankFor(cardsIn(s, listId), place)
  return one({ type: 'CardAdded', data: { cardId, listId, title, rank } }, { id: cardId })
}

export function moveCard(
  s: BoardState,
  actor: string,
  cardId: string,
  toListId: string,
  place: Placement,
): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  liveList(s, toListId)
  if (place.after === cardId || place.before === cardId)
    throw BoardError.invalidPosition('a card cannot be placed before or after itself')
  const rank = rankFor(cardsIn(s, toListId, cardId), place)
  return one({ type: 'CardMoved', data: { cardId, fromListId: c.listId, toListId, rank } })
}

/** Edits of one card's fields; each key present is a change, absent keys are left alone. */
export interface CardPatch {
  title?: string
  dueAt?: string | null
  archived?: boolean
}

export function patchCard(s: BoardState, actor: string, cardId: string, p: CardPatch): Decision {
  writable(s, actor)
  const c = cardOf(s, cardId)
  const events: DraftEvent[] = []
  if (p.archived === false && c.archived) events.push({ type: 'CardRestored', data: { cardId } })
  else if (c.archived && p.archived !== false) throw BoardError.archived('card', cardId)
  if (p.title !== undefined) events.push({ type: 'CardRenamed', data: { cardId, title: p.title } })
  if (p.dueAt !== undefined) events.push({ type: 'CardDueSet', data: { cardId, dueAt: p.dueAt } })
  if (p.archived === true && !c.archived) events.push({ type: 'CardArchived', data: { cardId } })
  return { events, result: {} }
}

export function label(
  s: BoardState,
  actor: string,
  cardId: string,
  label: string,
  on: boolean,
  limits: Limits,
): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (c.labels.includes(label) === on) return none()
  if (on && c.labels.length >= limits.maxItemsPerCard)
    throw BoardError.limit(`a card has at most ${limits.maxItemsPerCard} labels`)
  return one(
    on
      ? { type: 'CardLabeled', data: { cardId, label } }
      : { type: 'CardUnlabeled', data: { cardId, label } },
  )
}

export function assign(s: BoardState, actor: string, cardId: string, user: string, on: boolean): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (on && !s.members.includes(user))
    throw BoardError.invalidPosition(`${user} is not a member of this board`)
  if (c.assignees.includes(user) === on) return none()
  return one(
    on
      ? { type: 'CardAssigned', data: { cardId, user } }
      : { type: 'CardUnassigned', data: { cardId, user } },
  )
}

export function addChecklistItem(
  s: BoardState,
  actor: string,
  cardId: string,
  itemId: string,
  text: string,
  limits: Limits,
): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (c.checklist.length >= limits.maxItemsPerCard)
    throw BoardError.limit(`a checklist has at most ${limits.maxItemsPerCard} items`)
  return one({ type: 'ChecklistItemAdded', data: { cardId, itemId, text } }, { id: itemId })
}

export function checkItem(
  s: BoardState,
  actor: string,
  cardId: string,
  itemId: string,
  done: boolean,
): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (!c.checklist.includes(itemId)) throw BoardError.itemNotFound('checklist item', itemId)
  return one({ type: 'ChecklistItemChecked', data: { cardId, itemId, done } })
}

export function removeItem(s: BoardState, actor: string, cardId: string, itemId: string): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (!c.checklist.includes(itemId)) throw BoardError.itemNotFound('checklist item', itemId)
  return one({ type: 'ChecklistItemRemoved', data: { cardId, itemId } })
}

/** `@name` mentions of board members in a comment (others are plain text). */
export function mentionsIn(s: BoardState, text: string): string[] {
  const found = new Set<string>()
  for (const m of text.matchAll(/(?:^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,64})/g))
    if (s.members.includes(m[1]!)) found.add(m[1]!)
  return [...found]
}

export function comment(
  s: BoardState,
  actor: string,
  cardId: string,
  commentId: string,
  text: string,
  limits: Limits,
): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (c.comments >= limits.maxItemsPerCard * 10) throw BoardError.limit('this card has too many comments')
  return one(
    { type: 'CommentAdded', data: { cardId, commentId, text, mentions: mentionsIn(s, text) } },
    { id: commentId },
  )
}

export function attach(
  s: BoardState,
  actor: string,
  cardId: string,
  attachmentId: string,
  url: string,
  name: string,
  limits: Limits,
): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (c.attachments.length >= limits.maxItemsPerCard)
    throw BoardError.limit(`a card has at most ${limits.maxItemsPerCard} attachments`)
  return one({ type: 'AttachmentAdded', data: { cardId, attachmentId, url, name } }, { id: attachmentId })
}

export function detach(s: BoardState, actor: string, cardId: string, attachmentId: string): Decision {
  writable(s, actor)
  const c = liveCard(s, cardId)
  if (!c.attachments.includes(attachmentId)) throw BoardError.itemNotFound('attachment', attachmentId)
  return one({ type: 'AttachmentRemoved', data: { cardId, attachmentId } })
}

/** A step of a command made of several (`sequence`); `false` steps are skipped. */
export type Step = ((s: BoardState) => Decision) | false

/** Several decisions in one command, each decided on the state the ones before it leave. */
export function sequence(s: BoardState, steps: Step[]): Decision {
  let cur = s
  const events: DraftEvent[] = []
  let result: Record<string, string> = {}
  for (const step of steps) {
    if (!step) continue
    const d = step(cur)
    if (d.events.length) {
      cur = structuredClone(cur)
      for (const e of d.events) evolve(cur, e)
      events.push(...d.events)
    }
    result = { ...result, ...d.result }
  }
  return { events, result }
}
