/**
 * A room as a live stream (`chat.room.<id>`): chat declares the kind to the
 * platform's live library, which streams it to every client on every
 * transport and node. What the library needs of chat: who may read a room
 * (public rooms, and rooms one belongs to: the same 404 for a private room as
 * for a missing one), where a room's history lives (messages and room_events,
 * read by offset; the head is rooms.last_offset), and that a member's own
 * `leave` ends the stream for them. Its frames are room-frames.ts.
 */
import type { StreamKindSpec } from '../../platform/live/index.js'
import type { RateLimiter } from '../../platform/rate-limit/index.js'
import { legacyRoomSignals } from './legacy-signals.js'
import type { MessageStore } from './messages.store.js'
import type { RoomEvent } from './protocol.js'
import type { RoomStore } from './rooms.store.js'

/** A room id as a stream id: a positive integer, in decimal without leading zeros. */
const ROOM_ID = /^[1-9]\d{0,15}$/

export interface RoomStreamDeps {
  rooms: RoomStore
  messages: MessageStore
  /** Throws the 404 (or 403) ChatError when `user` may not read `room`. */
  readable(user: string, room: number): Promise<unknown>
  limiter: RateLimiter
  sweepMs: number
  replayPage: number
}

/** The room kind's declaration; its `frames` (room-frames.ts) are set once the service exists. */
export function roomStream(d: RoomStreamDeps): StreamKindSpec<RoomEvent> {
  return {
    streamOf: (e) => String(e.room),
    parseId: (raw) => (ROOM_ID.test(raw) && Number.isSafeInteger(Number(raw)) ? raw : undefined),
    async authorize(user, id) {
      await d.readable(user, Number(id))
    },
    history: {
      async heads(ids) {
        const heads = await d.rooms.heads(ids.map(Number))
        return new Map([...heads].map(([room, head]) => [String(room), head]))
      },
      read: (id, after, upTo, limit) => d.messages.replay(Number(id), after, upTo, limit),
    },
    endsFor: (e) => (e.type === 'update' && e.kind === 'leave' ? e.user : undefined),
    limiter: d.limiter,
    sweepMs: d.sweepMs,
    replayPage: d.replayPage,
    legacySignals: legacyRoomSignals,
  }
}
