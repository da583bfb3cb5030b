/**
 * Everything the page knows about the chat, as one reducer: the connection,
 * each room (its timeline, head, our receipt, the members' receipts, who is
 * typing), the presence of watched users, and messages sent but not yet
 * seen back from the server. The socket and the REST calls only dispatch;
 * all merging happens here, where it can be tested without a browser.
 */

import type { HistoryPage, Member, MyRoom } from './api'
import type { ConnectionState } from './chat-socket'
import type { PresenceStatus, RoomEvent, ServerFrame } from './protocol'
import { applyEvent, emptyTimeline, mergePage, type Timeline } from './timeline'

export interface RoomState {
  room: MyRoom
  timeline: Timeline
  /** Highest offset known (from the room list, pages and events). */
  head: number
  /** Our read receipt. */
  lastRead: number
  /** Members' read receipts, by user. */
  receipts: Record<string, number>
  /** Who is typing, until when (ms since epoch). */
  typing: Record<string, number>
  members: Member[] | undefined
  /** Bumped by joins and leaves: the member list is stale. */
  membersVersion: number
}

export interface PendingSend {
  cid: string
  room: number
  body: string
  state: 'sending' | 'failed'
  error?: string
  /** Where the server stored it, once it said so. */
  offset?: number
}

export interface ChatState {
  me: string
  connection: ConnectionState
  connectionDetail?: string
  rooms: Record<number, RoomState>
  presence: Record<string, PresenceStatus>
  pending: PendingSend[]
  /** The last error frame not tied to a send (shown once, in words). */
  notice?: string
}

export type ChatAction =
  | { type: 'connection'; state: ConnectionState; detail?: string }
  | { type: 'event'; event: RoomEvent }
  | { type: 'frame'; frame: ServerFrame; now: number }
  | { type: 'rooms'; rooms: MyRoom[] }
  | { type: 'page'; room: number; page: HistoryPage; older: boolean }
  | { type: 'members'; room: number; members: Member[] }
  | { type: 'sending'; cid: string; room: number; body: string }
  | { type: 'sent'; cid: string; offset: number }
  | { type: 'failed'; cid: string; message: string }
  | { type: 'retry'; cid: string }
  | { type: 'discard'; cid: string }
  | { type: 'read'; room: number; offset: number }

export function initialChatState(me: string): ChatState {
  return { me, connection: 'connecting', rooms: {}, presence: {}, pending: [] }
}

function newRoom(room: MyRoom): RoomState {
  return {
    room,
    timeline: emptyTimeline,
    head: room.head,
    lastRead: room.lastRead,
    receipts: {},
    typing: {},
    members: undefined,
    membersVersion: 0,
  }
}

function withRoom(s: ChatState, id: number, change: (r: RoomState) => RoomState): ChatState {
  const r = s.rooms[id]
  return r ? { ...s, rooms: { ...s.rooms, [id]: change(r) } } : s
}

/** A message we sent has come back as an event (or the server told us its offset and we have it). */
function settle(pending: PendingSend[], done: (p: PendingSend) => boolean): PendingSend[] {
  const next = pending.filter((p) => !done(p))
  return next.length === pending.length ? pending : next
}

function onEvent(s: ChatState, e: RoomEvent): ChatState {
  const next = withRoom(s, e.room, (r) => {
    const typing = { ...r.typing }
    // Someone whose message arrived has stopped typing it.
    if (e.type === 'message') delete typing[e.sender]
    const members = e.type === 'update' && (e.kind === 'join' || e.kind === 'leave')
    return {
      ...r,
      timeline: applyEvent(r.timeline, e),
      head: Math.max(r.head, e.offset),
      typing,
      membersVersion: r.membersVersion + (members ? 1 : 0),
    }
  })
  if (e.type !== 'message' || e.sender !== s.me || !e.cid) return next
  return { ...next, pending: settle(next.pending, (p) => p.cid === e.cid && p.room === e.room) }
}

function onFrame(s: ChatState, f: ServerFrame, now: number): ChatState {
  switch (f.type) {
    case 'receipt':
      return withRoom(s, f.room, (r) => ({
        ...r,
        lastRead: f.user === s.me ? Math.max(r.lastRead, f.offset) : r.lastRead,
        receipts: { ...r.receipts, [f.user]: Math.max(r.receipts[f.user] ?? 0, f.offset) },
      }))
    case 'typing':
      if (f.user === s.me) return s
      return withRoom(s, f.room, (r) => ({ ...r, typing: { ...r.typing, [f.user]: now + f.ttlMs } }))
    case 'presence':
      return { ...s, presence: { ...s.presence, ...f.users } }
    case 'unsubscribed': {
      if (f.reason === 'requested') return s
      const rooms = { ...s.rooms }
      delete rooms[f.room]
      return { ...s, rooms }
    }
    case 'error': {
      // The server has fewer events than we saw (its data was reset): what we show is no longer true.
      const reset = f.code === 'CHAT_OFFSET_FROM_FUTURE' && f.room !== undefined
      const next = reset ? withRoom(s, f.room!, (r) => ({ ...r, timeline: emptyTimeline })) : s
      return { ...next, notice: f.message }
    }
    default:
      return s
  }
}

/** The reducer. */
export function chatReducer(s: ChatState, a: ChatAction): ChatState {
  switch (a.type) {
    case 'connection':
      return { ...s, connection: a.state, connectionDetail: a.detail }
    case 'event':
      return onEvent(s, a.event)
    case 'frame':
      return onFrame(s, a.frame, a.now)
    case 'rooms': {
      // The list is the truth about membership: rooms we left or lost disappear, new ones appear.
      const rooms: Record<number, RoomState> = {}
      for (const room of a.rooms) {
        const old = s.rooms[room.id]
        rooms[room.id] = old
          ? {
              ...old,
              room,
              head: Math.max(old.head, room.head),
              lastRead: Math.max(old.lastRead, room.lastRead),
            }
          : newRoom(room)
      }
      return { ...s, rooms }
    }
    case 'page':
      return withRoom(s, a.room, (r) => ({
        ...r,
        timeline: mergePage(r.timeline, a.page, a.older),
        head: Math.max(r.head, a.page.head),
      }))
    case 'members':
      return withRoom(s, a.room, (r) => {
        const receipts = { ...r.receipts }
        for (const m of a.members) receipts[m.user] = Math.max(receipts[m.user] ?? 0, m.lastRead)
        return { ...r, members: a.members, receipts }
      })
    case 'sending':
      return { ...s, pending: [...s.pending, { cid: a.cid, room: a.room, body: a.body, state: 'sending' }] }
    case 'sent': {
      const p = s.pending.find((x) => x.cid === a.cid)
      if (!p) return s
      // The event may have come first: then the message is on screen and nothing is pending.
      const shown = s.rooms[p.room]?.timeline.messages.some((m) => m.offset === a.offset)
      return {
        ...s,
        pending: shown
          ? settle(s.pending, (x) => x.cid === a.cid)
          : s.pending.map((x) => (x.cid === a.cid ? { ...x, offset: a.offset } : x)),
      }
    }
    case 'failed':
      return {
        ...s,
        pending: s.pending.map((x) => (x.cid === a.cid ? { ...x, state: 'failed', error: a.message } : x)),
      }
    case 'retry':
      return {
        ...s,
        pending: s.pending.map((x) => (x.cid === a.cid ? { ...x, state: 'sending', error: undefined } : x)),
      }
    case 'discard':
      return { ...s, pending: settle(s.pending, (x) => x.cid === a.cid) }
    case 'read':
      return withRoom(s, a.room, (r) => ({
        ...r,
        lastRead: Math.max(r.lastRead, a.offset),
        receipts: { ...r.receipts, [s.me]: Math.max(r.receipts[s.me] ?? 0, a.offset) },
      }))
  }
}

/** Users typing in `r` now. */
export function typists(r: RoomState | undefined, now: number): string[] {
  return r
    ? Object.entries(r.typing)
        .filter(([, until]) => until > now)
        .map(([u]) => u)
        .sort()
    : []
}

/** Events we have not read: the room's head past our receipt. */
export function unread(r: RoomState): number {
  return Math.max(0, r.head - r.lastRead)
}

/** The other person of a direct room, from its name ("alice, bob"). */
export function directPartner(room: { kind: string; name: string }, me: string): string | undefined {
  if (room.kind !== 'direct') return undefined
  return room.name.split(', ').find((u) => u !== me)
}
