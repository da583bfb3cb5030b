/**
 * The chat system's REST calls this page makes (all under `/chat`, with the
 * signed-in user's bearer token): the development token issuer, rooms and
 * members, history pages, search. Live traffic goes over the WebSocket
 * (chat-socket.ts); REST is for what a socket does not give: lists, pages
 * of the past, and search.
 */
import { requestJson } from '../../api/http'
import type { MessageEvent } from './protocol'

export type RoomKind = 'public' | 'private' | 'direct'

export interface Room {
  id: number
  kind: RoomKind
  name: string
  topic: string
  createdBy: string
  /** The room's last offset. */
  head: number
  createdAt: string
}

/** A room as one of its members sees it. */
export interface MyRoom extends Room {
  role: 'owner' | 'member'
  /** Our read receipt: the last offset we read. */
  lastRead: number
}

export interface Member {
  user: string
  role: 'owner' | 'member'
  lastRead: number
  joinedAt: string
}

/** A message in a history page: its current state, with reactions. */
export interface HistoryMessage extends Omit<MessageEvent, 'type'> {
  editedAt: string | null
  deleted: boolean
  reactions: Record<string, string[]>
  replies: number
}

export interface HistoryPage {
  messages: HistoryMessage[]
  hasMore: boolean
  /** The room's head when the page was read: the page reflects every event up to it. */
  head: number
}

export interface SearchHit {
  room: number
  offset: number
  sender: string
  at: string
  /** HTML-escaped text with matches wrapped in `<mark>` (see highlight.ts). */
  highlight: string
  rank: number
}

export interface Token {
  token: string
  user: string
  expiresAt: string
}

/** History pages are this long: a screenful and some, small enough to load fast. */
export const PAGE_SIZE = 50

const q = encodeURIComponent

/** The development issuer: a token for any user name (no password; the server may turn it off). */
export function issueToken(user: string): Promise<Token> {
  return requestJson<Token>('/chat/tokens', { method: 'POST', body: { user } })
}

/** The chat API as `token`'s user. */
export function chatApi(token: string) {
  const headers = { authorization: `Bearer ${token}` }
  const get = <T>(path: string, signal?: AbortSignal) => requestJson<T>(path, { headers, signal })
  const write = <T>(method: string, path: string, body?: unknown) =>
    requestJson<T>(path, { method, headers, body })
  return {
    myRooms: (signal?: AbortSignal) => get<MyRoom[]>('/chat/rooms', signal),
    publicRooms: (signal?: AbortSignal) => get<Room[]>('/chat/rooms/public?limit=100', signal),
    createRoom: (body: { name: string; kind: 'public' | 'private'; topic?: string; members?: string[] }) =>
      write<Room>('POST', '/chat/rooms', body),
    direct: (user: string) => write<Room>('POST', '/chat/direct', { user }),
    join: (room: number, user: string) =>
      write<{ added: boolean }>('PUT', `/chat/rooms/${room}/members/${q(user)}`),
    leave: (room: number, user: string) => write<void>('DELETE', `/chat/rooms/${room}/members/${q(user)}`),
    members: (room: number, signal?: AbortSignal) => get<Member[]>(`/chat/rooms/${room}/members`, signal),
    /** The newest page, or the page just before `before` (the cursor is the oldest offset we have). */
    history: (room: number, before?: number, signal?: AbortSignal) => {
      const params = new URLSearchParams({ limit: String(PAGE_SIZE) })
      if (before !== undefined) params.set('before', String(before))
      return get<HistoryPage>(`/chat/rooms/${room}/messages?${params}`, signal)
    },
    search: async (text: string, room?: number, signal?: AbortSignal) => {
      const params = new URLSearchParams({ q: text, limit: '20' })
      if (room !== undefined) params.set('room', String(room))
      return (await get<{ hits: SearchHit[] }>(`/chat/search?${params}`, signal)).hits
    },
  }
}

export type ChatApi = ReturnType<typeof chatApi>
