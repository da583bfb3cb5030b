/**
 * The live protocol as a client sees it: the library's own server frames (the platform's README
 * lists them; chat's README documents each), and the parser. Events are the stream kinds' own
 * objects with an `offset`; the others name only what the client reads, so a field the server
 * adds later breaks nothing.
 */

export type PresenceStatus = 'online' | 'away' | 'offline'

/** An event of a stream: the kind's own fields, its offset, and (on `/live`) the stream's name. */
export interface LiveEventFrame {
  type: string
  offset: number
  stream?: string
  [field: string]: unknown
}

/** A frame naming a stream in the endpoint's field (`stream`, or a system's `room`). */
type Named = { [field: string]: unknown }

export type ServerFrame =
  | ({
      type: 'hello'
      user: string
      node: string
      protocol?: number
      limits?: Record<string, number>
    } & Named)
  | LiveEventFrame
  | ({ type: 'subscribed'; id?: string; after: number; head: number } & Named)
  | ({ type: 'unsubscribed'; id?: string; reason: string } & Named)
  | { type: 'resync'; [plural: string]: unknown }
  | { type: 'presence'; id?: string; users: Record<string, PresenceStatus> }
  | ({ type: 'ok'; id?: string } & Named)
  | { type: 'pong'; id?: string }
  | ({
      type: 'error'
      id?: string
      code: string
      status: number
      message: string
      head?: number
      retryAfterMs?: number
    } & Named)
  | { type: 'bye'; reason: string }
  | { type: 'expiring'; expiresAt: string; expiresInMs: number }
  | { type: 'refreshed'; id?: string; expiresAt: string; expiresInMs: number }
  | { type: 'ping' }

/**
 * Parse a text frame into the frames it carries: one, or a v2 `batch` unpacked into its events.
 * Anything that is not an object with a type of a version this client reads is dropped.
 */
export function parseServerFrames(text: string): ServerFrame[] {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return []
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return []
  const f = raw as { v?: unknown; type?: unknown; events?: unknown }
  if (f.v === 2 && f.type === 'batch' && Array.isArray(f.events))
    return f.events.filter(
      (e): e is ServerFrame => typeof e === 'object' && e !== null && (e as { v?: unknown }).v === 1,
    )
  if (f.v !== 1 || typeof f.type !== 'string') return []
  return [raw as ServerFrame]
}

/** The library's own server frames: never events, whatever they carry. */
const LIBRARY_FRAMES = new Set([
  'hello',
  'subscribed',
  'unsubscribed',
  'resync',
  'presence',
  'ok',
  'pong',
  'error',
  'bye',
  'expiring',
  'refreshed',
  'ping',
])

/**
 * The default test of what is an event, right for the platform endpoint: a frame with an offset
 * and a `stream`, no `id` (answers carry the id of the frame they answer), not one of the library's
 * own. (Signals name their stream in `signal` there, so one with an offset of its own, as chat's
 * receipts have, is never taken for an event.) A system's own endpoint may need its own test
 * (`LiveSocketOptions.isEvent`): chat's client passes one.
 */
export function isEvent(f: ServerFrame): f is LiveEventFrame {
  return (
    typeof (f as LiveEventFrame).offset === 'number' &&
    typeof (f as LiveEventFrame).stream === 'string' &&
    (f as { id?: unknown }).id === undefined &&
    !LIBRARY_FRAMES.has(f.type)
  )
}
