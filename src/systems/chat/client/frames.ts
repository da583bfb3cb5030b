/**
 * The chat protocol (version 1) as the browser sees it: the frames the
 * server sends and the ones this page sends. The server's README is the
 * reference. The room events (MessageEvent, UpdateEvent) are the one
 * definition the server's protocol.ts extends, so they name every field the
 * server sends; the other frames name only what the page reads, so a field
 * the server adds later does not break it.
 */

export type PresenceStatus = 'online' | 'away' | 'offline'

/** A message, as a room event (`message` frame) and in history pages. */
export interface MessageEvent {
  type: 'message'
  room: number
  offset: number
  sender: string
  body: string
  cid: string | null
  parent: number | null
  at: string
  editedAt?: string | null
  deleted?: boolean
}

export type UpdateKind = 'edit' | 'delete' | 'react' | 'unreact' | 'join' | 'leave'

/** A change in a room (a room event): it has an offset of its own, like a message. */
export interface UpdateEvent {
  type: 'update'
  room: number
  offset: number
  kind: UpdateKind
  user: string
  target: number | null
  data: Record<string, unknown>
  at: string
}

export type RoomEvent = MessageEvent | UpdateEvent

export type ServerFrame =
  | { type: 'hello'; user: string; node: string; limits?: Record<string, number> }
  | RoomEvent
  | { type: 'receipt'; room: number; user: string; offset: number }
  | { type: 'typing'; room: number; user: string; ttlMs: number }
  | { type: 'presence'; id?: string; users: Record<string, PresenceStatus> }
  | { type: 'resync'; rooms: Record<string, number> }
  | { type: 'subscribed'; id?: string; room: number; after: number; head: number }
  | { type: 'unsubscribed'; id?: string; room: number; reason: string }
  | { type: 'sent'; id?: string; room: number; offset: number; cid: string | null; duplicate: boolean }
  | { type: 'ok'; id?: string; room?: number; lastRead?: number }
  | { type: 'pong'; id?: string }
  | {
      type: 'error'
      id?: string
      room?: number
      code: string
      status: number
      message: string
      head?: number
      retryAfterMs?: number
    }
  | { type: 'bye'; reason: string }
  | { type: 'expiring'; expiresAt: string; expiresInMs: number }
  | { type: 'refreshed'; id?: string; expiresAt: string; expiresInMs: number }
  | { type: 'ping' }

export type ClientFrame =
  | { type: 'subscribe'; room: number; after?: number; id?: string }
  | { type: 'refresh'; token: string; id?: string }
  | { type: 'unsubscribe'; room: number }
  | { type: 'ack'; room: number; offset: number }
  | { type: 'send'; room: number; body: string; cid: string; id: string; parent?: number }
  | { type: 'read'; room: number; offset: number }
  | { type: 'edit'; room: number; message: number; body: string; id?: string }
  | { type: 'delete'; room: number; message: number; id?: string }
  | { type: 'react'; room: number; message: number; emoji: string; remove?: boolean; id?: string }
  | { type: 'typing'; room: number }
  | { type: 'presence'; status: 'online' | 'away' }
  | { type: 'watch'; users: string[] }
  | { type: 'ping'; id?: string }

/** Parse a text frame; anything that is not a v1 object with a type is dropped rather than trusted. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const f = raw as { v?: unknown; type?: unknown }
  if (f.v !== 1 || typeof f.type !== 'string') return undefined
  return raw as ServerFrame
}

/** Room events are what the offset counts; everything else is a control or ephemeral frame. */
export function isRoomEvent(f: ServerFrame): f is RoomEvent {
  return (f.type === 'message' || f.type === 'update') && typeof (f as RoomEvent).offset === 'number'
}

/**
 * The WebSocket URL of this origin. The token travels in the query string because a browser's
 * WebSocket cannot set an Authorization header (the server accepts either).
 */
export function socketUrl(
  token: string,
  loc: { protocol: string; host: string } = (
    globalThis as unknown as { location: { protocol: string; host: string } }
  ).location,
): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${loc.host}/chat/ws?access_token=${encodeURIComponent(token)}`
}
