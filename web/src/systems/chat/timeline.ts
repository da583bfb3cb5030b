/**
 * One room's messages as the page shows them, built from two sources that
 * overlap: history pages (REST, the current state of each message) and room
 * events (the socket, in offset order). Both are keyed by offset, so the
 * overlap costs nothing: a message seen twice is the same message.
 *
 * The one subtlety: a history page read at head H shows every change up to
 * H, but an edit or reaction after H may already have reached us over the
 * socket before the page arrived. So live updates are kept for a while
 * (`recent`), and those after H are applied again on top of the page.
 * Edits set a body and reactions add or remove one user from a set, so
 * applying one twice changes nothing.
 */
import type { HistoryMessage, HistoryPage } from './api'
import type { MessageEvent, RoomEvent, UpdateEvent } from './protocol'

export interface ChatMessage {
  offset: number
  sender: string
  body: string
  cid: string | null
  parent: number | null
  at: string
  editedAt: string | null
  deleted: boolean
  reactions: Record<string, string[]>
}

export interface Timeline {
  /** In offset order. */
  messages: ChatMessage[]
  /** A history page has been merged (until then only live messages are known). */
  loaded: boolean
  /** There are messages before the oldest one we have. */
  hasOlder: boolean
  /** Live updates, newest last, to bring a history page up to date. */
  recent: UpdateEvent[]
}

/** Live updates kept: far more than can arrive while one page loads. */
const RECENT = 500

export const emptyTimeline: Timeline = { messages: [], loaded: false, hasOlder: false, recent: [] }

function fromEvent(e: MessageEvent | HistoryMessage, old?: ChatMessage): ChatMessage {
  return {
    offset: e.offset,
    sender: e.sender,
    body: e.body,
    cid: e.cid,
    parent: e.parent,
    at: e.at,
    editedAt: e.editedAt ?? null,
    deleted: e.deleted ?? false,
    // A live message event carries no reactions; a history message carries them all.
    reactions: 'reactions' in e ? e.reactions : (old?.reactions ?? {}),
  }
}

/** The index of `offset` in `messages`, or where it would go (binary search: lists are long). */
function indexOf(messages: ChatMessage[], offset: number): { at: number; found: boolean } {
  let lo = 0
  let hi = messages.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (messages[mid]!.offset < offset) lo = mid + 1
    else hi = mid
  }
  return { at: lo, found: messages[lo]?.offset === offset }
}

function upsert(messages: ChatMessage[], m: ChatMessage): ChatMessage[] {
  const last = messages[messages.length - 1]
  if (!last || last.offset < m.offset) return [...messages, m]
  const { at, found } = indexOf(messages, m.offset)
  const next = [...messages]
  next.splice(at, found ? 1 : 0, m)
  return next
}

/** Apply an update to its target message, if we have it (if not, a later page will show its effect). */
function applyUpdate(messages: ChatMessage[], e: UpdateEvent): ChatMessage[] {
  if (e.target === null) return messages
  const { at, found } = indexOf(messages, e.target)
  if (!found) return messages
  const m = messages[at]!
  let changed: ChatMessage | undefined
  if (e.kind === 'edit' && typeof e.data.body === 'string')
    changed = { ...m, body: e.data.body, editedAt: e.at }
  else if (e.kind === 'delete') changed = { ...m, body: '', deleted: true }
  else if ((e.kind === 'react' || e.kind === 'unreact') && typeof e.data.emoji === 'string') {
    const emoji = e.data.emoji
    const users = (m.reactions[emoji] ?? []).filter((u) => u !== e.user)
    if (e.kind === 'react') users.push(e.user)
    const reactions = { ...m.reactions, [emoji]: users }
    if (users.length === 0) delete reactions[emoji]
    changed = { ...m, reactions }
  }
  if (!changed) return messages
  const next = [...messages]
  next[at] = changed
  return next
}

/** A room event from the socket. */
export function applyEvent(t: Timeline, e: RoomEvent): Timeline {
  if (e.type === 'message') {
    const { at, found } = indexOf(t.messages, e.offset)
    return { ...t, messages: upsert(t.messages, fromEvent(e, found ? t.messages[at] : undefined)) }
  }
  const recent = t.recent.length >= RECENT ? t.recent.slice(1) : [...t.recent]
  recent.push(e)
  return { ...t, messages: applyUpdate(t.messages, e), recent }
}

/** A history page: the newest (`older` false) or the one before our oldest message. */
export function mergePage(t: Timeline, page: HistoryPage, older: boolean): Timeline {
  let messages = t.messages
  for (const m of page.messages) messages = upsert(messages, fromEvent(m))
  for (const e of t.recent) if (e.offset > page.head) messages = applyUpdate(messages, e)
  // The newest page says whether anything precedes it only if we had nothing older already.
  const hasOlder = older || !t.loaded ? page.hasMore : t.hasOlder
  return { ...t, messages, loaded: true, hasOlder }
}

/** The offset to ask the page before (the pagination cursor). */
export function oldestOffset(t: Timeline): number | undefined {
  return t.messages[0]?.offset
}
